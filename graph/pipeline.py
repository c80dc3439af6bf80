"""`build(source, settings) -> BuildResult`: wires the stages and writes OUT atomically.

Everything is written to a temporary folder beside OUT and swapped in at the end, so a failed or
interrupted build leaves the previous output intact.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from graph import __version__, model, store
from graph.analyse.content import content_gaps
from graph.analyse.gaps import GapFinder, GapSettings
from graph.analyse.links import LinkAnalysis, analyse_links
from graph.errors import UsageError
from graph.extract import Matcher, drop_generic_about, extract
from graph.ingest.registry import extensions, read_file
from graph.ingest.resolve import Corpus, resolve
from graph.ingest.source import SourceFile, read_sources
from graph.ingest.urls import Site
from graph.iris import PREFIXES
from graph.outdir import atomic_output
from graph.records import Article, ArticleConcepts, ContentGap, Gap, Skipped
from graph.render.explorer import ExplorerView, write_explorer
from graph.reports import ReportData, write_reports
from graph.settings import Settings
from graph.vocab import Vocabulary, load

ProgressFn = Callable[[str, int, int], None]


@dataclass(frozen=True)
class BuildResult:
    """Counts a user sees after a build, and where the output went."""

    out: Path
    build_id: str
    articles: int
    skipped: int
    links: int
    concepts: int
    gaps: int
    orphans: int
    broken_links: int
    seconds: float


def _quiet(stage: str, done: int, total: int) -> None:
    """Default progress callback: say nothing."""


def read_articles(source: Path, settings: Settings, digest: hashlib._Hash,
                  progress: ProgressFn = _quiet) -> tuple[list[Article], list[Skipped]]:
    """Every readable article; each unreadable file or row becomes a Skipped row and the build goes on."""
    items = list(read_sources(source, settings.max_file_bytes))
    articles: list[Article] = []
    skipped: list[Skipped] = []
    files = [i for i in items if isinstance(i, SourceFile)]
    skipped.extend(i for i in items if isinstance(i, Skipped))
    for done, item in enumerate(files, start=1):
        digest.update(item.path.encode() + b"\0" + item.text.encode() + b"\0")
        for found in read_file(item.path, item.text):
            (articles if isinstance(found, Article) else skipped).append(found)  # type: ignore[arg-type]
        progress("read", done, len(files))
    return articles, skipped


def _vocabulary(settings: Settings) -> Vocabulary:
    base = settings.config_dir or Path.cwd()
    return load([base / p for p in settings.vocabulary])


def _start_urls(site: Site, settings: Settings) -> list[str]:
    urls = [site.resolve(p, None) for p in settings.start_pages] or [site.url]
    return [u for u in urls if u]


def build(source: Path, out: Path, settings: Settings, progress: ProgressFn = _quiet) -> BuildResult:
    """Run every stage on SOURCE and publish the results in OUT."""
    started, clock = datetime.now(UTC).replace(microsecond=0), time.perf_counter()
    site = Site(settings.site_url, settings.url_pattern)
    digest = hashlib.sha256(f"{__version__}\0{settings!r}".encode())
    raw, skipped = read_articles(source, settings, digest, progress)
    if not raw:
        kinds = ", ".join(extensions())
        raise UsageError(f"no articles found in {source} ({len(skipped)} unreadable; looked for {kinds})")
    corpus = resolve(raw, site, settings.redirects)
    skipped += corpus.skipped
    vocab = _vocabulary(settings)
    matcher = Matcher(vocab.concepts.values())
    progress("extract", 0, len(corpus.articles))
    extracted = {e.url: e for e in drop_generic_about([extract(a, matcher) for a in corpus.articles])}
    progress("analyse", 0, 1)
    links = analyse_links(corpus.articles, extracted, vocab.concepts, site.host, _start_urls(site, settings))
    gap_settings = GapSettings(settings.gaps_per_source, settings.gap_min_score,
                               frozenset(filter(None, (site.resolve(u, None) for u in settings.exclude_pages))))
    gaps = GapFinder(corpus.articles, extracted, vocab.concepts, vocab.relations).suggest(gap_settings)
    cgaps = content_gaps(list(extracted.values()), vocab.concepts, settings.content_gap_min_articles)
    build_id = digest.hexdigest()[:16]
    with atomic_output(out) as tmp:
        progress("write", 0, 1)
        quads = _quads(corpus, extracted, vocab, site, links, gaps, cgaps)
        ended = datetime.now(UTC).replace(microsecond=0)
        quads.extend(model.build_quads(site.host, str(source), __version__, started, ended))
        _write(tmp, quads, ReportData(corpus.articles, extracted, links, gaps, cgaps, skipped,
                                      {c: v.label for c, v in vocab.concepts.items()}))
        write_explorer(tmp / "explorer.html", ExplorerView(site.url, corpus.articles, links.metrics,
                                                           vocab.concepts, list(extracted.values()), gaps))
        _write_manifest(tmp, build_id, source, started)
    return BuildResult(out, build_id, len(corpus.articles), len(skipped), sum(len(a.links) for a in corpus.articles),
                       len(vocab.concepts), len(gaps), sum(m.orphan for m in links.metrics.values()),
                       sum(m.broken_links for m in links.metrics.values()), round(time.perf_counter() - clock, 2))


def _quads(corpus: Corpus, extracted: dict[str, ArticleConcepts], vocab: Vocabulary, site: Site,
           links: LinkAnalysis, gaps: Sequence[Gap], cgaps: Sequence[ContentGap]) -> list[ox.Quad]:
    quads = model.vocabulary_quads(vocab, site.host)
    for a in corpus.articles:
        quads.extend(model.article_quads(a, extracted[a.url]))
    quads.extend(model.analysis_quads(site.host, links.metrics.values(), gaps, cgaps, links.clusters))
    return quads


def _write(tmp: Path, quads: list[ox.Quad], reports: ReportData) -> None:
    db = store.create(tmp / store.STORE_DIR, quads)
    store.dump(db, tmp / store.TRIG_FILE, store.Format.from_name("trig"), PREFIXES)
    del db
    write_reports(tmp / "reports", reports)


def _write_manifest(tmp: Path, build_id: str, source: Path, started: datetime) -> None:
    manifest = {"build_id": build_id, "linkgraph_version": __version__, "source": str(source),
                "started": started.isoformat()}
    (tmp / "build.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def iter_stages() -> Iterator[str]:
    """Stage names in order, as reported to progress callbacks."""
    yield from ("read", "extract", "analyse", "write")
