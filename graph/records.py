"""Frozen records passed from stage to stage (ingest -> extract -> model -> analyse -> render)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class LinkKind(StrEnum):
    """Where a link sits: running text, a related-articles block, navigation, or another host."""

    BODY = "body"
    RELATED = "related"
    NAV = "nav"
    EXTERNAL = "external"


class LinkStatus(StrEnum):
    """What a link's target turned out to be once every article is known."""

    OK = "ok"
    BROKEN = "broken"
    OUTSIDE = "outside"
    REDIRECT = "redirect"
    UNRESOLVED = "unresolved"


class ConceptType(StrEnum):
    """The schema.org medical types a vocabulary concept may have (value = local name)."""

    CONDITION = "MedicalCondition"
    SYMPTOM = "MedicalSignOrSymptom"
    THERAPY = "MedicalTherapy"
    DRUG = "Drug"
    DRUG_CLASS = "DrugClass"
    PROCEDURE = "MedicalProcedure"
    RISK_FACTOR = "MedicalRiskFactor"


@dataclass(frozen=True, slots=True)
class Link:
    """One link occurrence. Readers fill href/anchor/section/sentence/kind; resolution fills the rest."""

    href: str
    anchor: str
    section: str = ""
    sentence: str = ""
    kind: LinkKind = LinkKind.BODY
    target: str | None = None
    status: LinkStatus = LinkStatus.UNRESOLVED
    recovered: bool = False


@dataclass(frozen=True, slots=True)
class Section:
    """A heading and the paragraphs under it; `heading` is '' for the lead before any heading."""

    heading: str
    paragraphs: tuple[str, ...] = ()
    level: int = 2


@dataclass(frozen=True, slots=True)
class Article:
    """One page as read from disk, format-independent."""

    path: str
    slug: str
    title: str
    format: str
    url: str = ""
    canonical: str | None = None
    description: str = ""
    author: str = ""
    published: date | None = None
    updated: date | None = None
    reviewed: date | None = None
    tags: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    redirect_from: tuple[str, ...] = ()
    draft: bool = False
    noindex: bool = False
    sections: tuple[Section, ...] = ()
    links: tuple[Link, ...] = ()

    @property
    def text(self) -> str:
        """All paragraphs as one string (headings excluded)."""
        return "\n".join(p for s in self.sections for p in s.paragraphs)


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file the build skipped or repaired, with the reason (one row of skipped.csv)."""

    path: str
    action: str
    reason: str


@dataclass(frozen=True, slots=True)
class Concept:
    """A vocabulary concept with the labels the matcher uses and the relations analysis uses."""

    iri: str
    label: str
    type: ConceptType
    labels: tuple[str, ...] = ()
    abbreviations: tuple[str, ...] = ()
    ambiguous: tuple[str, ...] = ()
    cues: tuple[str, ...] = ()
    code: str | None = None
    broader: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Relation:
    """A typed clinical relation in schema.org's direction, e.g. (condition, signOrSymptom, symptom)."""

    subject: str
    predicate: str
    object: str


@dataclass(frozen=True, slots=True)
class Mention:
    """Every occurrence of one concept in one article, summarised."""

    concept: str
    count: int
    surface: str
    section: str
    sentence: str
    negated: bool = False
    weight: float = 0.0
    in_heading: bool = False


@dataclass(frozen=True, slots=True)
class ArticleConcepts:
    """What extraction found in one article."""

    url: str
    about: tuple[str, ...]
    mentions: tuple[Mention, ...]


@dataclass(frozen=True, slots=True)
class PageMetrics:
    """Link metrics of one page (a row of pages.csv)."""

    url: str
    inlinks: int = 0
    inlinks_total: int = 0
    nav_inlinks: int = 0
    outlinks: int = 0
    outlinks_total: int = 0
    broken_links: int = 0
    pagerank: float = 0.0
    link_score: float = 0.0
    depth: int | None = None
    hub: float = 0.0
    authority: float = 0.0
    cluster: str = ""
    orphan: bool = False
    dead_end: bool = False


@dataclass(frozen=True, slots=True)
class Gap:
    """A suggested link: where it belongs, the words to use and why."""

    source: str
    target: str
    anchor: str
    sentence: str
    section: str
    score: float
    reason: str
    concept: str = ""


@dataclass(frozen=True, slots=True)
class ContentGap:
    """A concept many articles mention that no page is about."""

    concept: str
    label: str
    type: str
    mentions: int
    articles: tuple[str, ...] = field(default_factory=tuple)
