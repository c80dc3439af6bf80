"""The one place IRIs are minted: namespaces, graph names and node IRIs.

Page IRI = the page's canonical URL (also its named graph). Other nodes hang off it or off the site key,
so the same input always yields the same IRIs and several sites can share one store.

>>> site_graph("healthguide.example", "analysis")
'https://w3id.org/linkgraph/site/healthguide.example/analysis'
>>> link_iri("https://healthguide.example/articles/gerd/", 3)
'https://healthguide.example/articles/gerd/#link-3'
>>> gap_iri("healthguide.example", "https://a.example/x/", "https://a.example/y/")
'https://w3id.org/linkgraph/site/healthguide.example/gap/c9209be5338b95bb'
"""

from __future__ import annotations

import functools
import hashlib
from urllib.parse import quote

LG = "https://w3id.org/linkgraph/ns#"
LGC = "https://w3id.org/linkgraph/concept/"
SCHEMA = "http://schema.org/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
PROV = "http://www.w3.org/ns/prov#"
OWL = "http://www.w3.org/2002/07/owl#"
SITE = "https://w3id.org/linkgraph/site/"
CODE = "https://w3id.org/linkgraph/code/"

PREFIXES = {
    "schema": SCHEMA,
    "skos": SKOS,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "prov": PROV,
    "owl": OWL,
    "lg": LG,
    "lgc": LGC,
}


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


@functools.lru_cache(maxsize=1 << 14)
def _concept_digest(concept: str) -> str:
    """`_digest(concept)` made once per concept: every page's mention IRIs hash the same few hundred concepts."""
    return _digest(concept)


def site_graph(site_key: str, name: str) -> str:
    """IRI of a site-level graph: 'vocabulary', 'analysis' or 'build'."""
    return f"{SITE}{quote(site_key, safe='.-')}/{name}"


def link_iri(page: str, index: int) -> str:
    """A link occurrence: the n-th link of a page, in reading order."""
    return f"{page}#link-{index}"


def mention_iri(page: str, concept: str) -> str:
    """The mention node of one concept in one page."""
    return f"{page}#mention-{_concept_digest(concept)}"


def gap_iri(site_key: str, source: str, target: str) -> str:
    """A link suggestion; stable across builds because it depends only on source and target."""
    return f"{SITE}{quote(site_key, safe='.-')}/gap/{_digest(source, target)}"


def content_gap_iri(site_key: str, concept: str) -> str:
    """A content gap: one per concept and site."""
    return f"{SITE}{quote(site_key, safe='.-')}/content-gap/{_digest(concept)}"


def finding_iri(site_key: str, *key: str) -> str:
    """An editorial finding of the analysis (a missing link, an ambiguous anchor): a digest of what it is
    about, not of its rank, so it is stable across builds."""
    return f"{SITE}{quote(site_key, safe='.-')}/finding/{_digest(*key)}"


def code_iri(system: str, value: str) -> str:
    """A medical code node, e.g. ICD-10-CM M54.3."""
    return f"{CODE}{quote(system.lower(), safe='')}/{quote(value, safe='.')}"


def cluster_iri(site_key: str, number: int) -> str:
    """A topic cluster of the link graph."""
    return f"{SITE}{quote(site_key, safe='.-')}/cluster/{number}"


def build_iri(site_key: str) -> str:
    """The build activity (PROV) of a site."""
    return f"{SITE}{quote(site_key, safe='.-')}/build/activity"
