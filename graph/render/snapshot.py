"""The explorer's inputs saved with a build, so later commands (`linkgraph explore`) need no rebuild.

`write_view_snapshot(out, view)` writes OUT/explorer-data/view.json; `load_view(out)` reads it
back. Only what the explorer draws is kept: per article its URL, titles, flags and the targets,
kinds and statuses of its links (no text); per mention its concept and count. Records with many
fields are stored as a header of field names plus rows, so the file stays compact on big sites.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from graph.collector import without_gc
from graph.errors import UsageError
from graph.outdir import read_build_json
from graph.records import (
    Article,
    ArticleConcepts,
    Concept,
    ConceptType,
    Gap,
    Link,
    LinkKind,
    LinkStatus,
    Mention,
    PageMetrics,
)
from graph.render.graphdata import LINK_EDGE_KINDS, concepts_in_use
from graph.render.view import ExplorerView

SNAPSHOT = Path("explorer-data") / "view.json"
FORMAT = 1
ARTICLE_FIELDS = ("url", "slug", "title", "path", "format", "draft", "noindex")


@without_gc
def write_view_snapshot(out_dir: Path, view: ExplorerView) -> Path:
    """Save `view` as OUT/explorer-data/view.json and return that path."""
    path = out_dir / SNAPSHOT
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(snapshot(view), ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return path


def load_view(out: Path) -> ExplorerView:
    """The view a finished build in `out` was drawn from; UsageError when it has no snapshot."""
    data = read_build_json(out, SNAPSHOT)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise UsageError(f"{out / SNAPSHOT} was written by another linkgraph version: "
                         "build again with `linkgraph build`")
    return restore(data)


def snapshot(view: ExplorerView) -> dict[str, Any]:
    """The view as plain JSON data."""
    used = set(concepts_in_use(view.extracted, view.concepts))
    return {
        "format": FORMAT,
        "site_url": view.site_url,
        "reports": list(view.reports),
        "clusters": dict(view.clusters),
        "articles": [_article(a) for a in view.articles],
        "metrics": _table(PageMetrics, view.metrics.values()),
        "concepts": [[c.iri, c.label, c.type.value, list(c.labels)] for c in view.concepts.values() if c.iri in used],
        "extracted": [[e.url, list(e.about), [[m.concept, m.count] for m in e.mentions]] for e in view.extracted],
        "gaps": _table(Gap, view.gaps),
    }


def restore(data: dict[str, Any]) -> ExplorerView:
    """The view back from `snapshot` data."""
    concepts = {iri: Concept(iri, label, ConceptType(kind), labels=tuple(labels))
                for iri, label, kind, labels in data["concepts"]}
    extracted = [ArticleConcepts(url, tuple(about), tuple(Mention(c, n, "", "", "") for c, n in mentions))
                 for url, about, mentions in data["extracted"]]
    metrics = {m.url: m for m in _rows(PageMetrics, data["metrics"])}
    return ExplorerView(data["site_url"], [_restore_article(row) for row in data["articles"]], metrics, concepts,
                        extracted, list(_rows(Gap, data["gaps"])), tuple(data["reports"]), dict(data["clusters"]))


def _article(a: Article) -> list[Any]:
    links = [[lk.target, lk.kind.value, lk.status.value] for lk in a.links
             if (lk.kind in LINK_EDGE_KINDS and lk.target) or lk.status is LinkStatus.BROKEN]
    return [*(getattr(a, name) for name in ARTICLE_FIELDS), links]


def _restore_article(row: list[Any]) -> Article:
    *values, links = row
    restored = tuple(Link("", "", kind=LinkKind(kind), target=target, status=LinkStatus(status))
                     for target, kind, status in links)
    return Article(**dict(zip(ARTICLE_FIELDS, values, strict=True)), links=restored)


def _table(record: type, items: Iterable[Any]) -> dict[str, Any]:
    names = [f.name for f in fields(record)]
    return {"fields": names, "rows": [[getattr(item, n) for n in names] for item in items]}


def _rows(record: type, table: dict[str, Any]) -> Iterable[Any]:
    names: Sequence[str] = table["fields"]
    for row in table["rows"]:
        yield record(**dict(zip(names, row, strict=True)))
