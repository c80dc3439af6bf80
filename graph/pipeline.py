"""`build(source, settings) -> BuildResult`: wires the stages and writes OUT atomically.

Everything is written to a temporary folder beside OUT and swapped in at the end, so a failed or
interrupted build leaves the previous output intact.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from graph import __version__, collector, iris, model, store
from graph.analyse.anchors import AnchorIssue, Cannibalised, anchor_issues, cannibalisation
from graph.analyse.content import content_gaps
from graph.analyse.decisions import DecisionResult
from graph.analyse.findings import Findings, editorial_findings
from graph.analyse.gaps import GapFinder, GapSettings
from graph.analyse.inputs import Inputs, apply_inputs, load_inputs
from graph.analyse.links import LinkAnalysis, analyse_links
from graph.cache import BuildCache, extraction_key
from graph.cache import digest as cache_digest
from graph.errors import UsageError
from graph.extract import Matcher, drop_generic_about, extract
from graph.ingest.registry import extensions, read_file
from graph.ingest.resolve import Corpus, resolve
from graph.ingest.source import SourceFile, read_sources
from graph.ingest.urls import Site
from graph.iris import PREFIXES
from graph.outdir import atomic_output
from graph.parallel import pmap, worker_count
from graph.records import Article, ArticleConcepts, Concept, ContentGap, Gap, Skipped
from graph.render.explorer import ExplorerView, write_explorer
from graph.render.layout import LayoutCache
from graph.render.report import ReportView, write_report
from graph.render.snapshot import write_view_snapshot
from graph.reports import ReportData, write_reports
from graph.settings import Settings
from graph.storeupdate import GraphState, Update, changed, copy_previous, fingerprints, update
from graph.validate import editorial_report, editorial_shapes, load_shapes, write_validation_csv
from graph.vocab import Vocabulary, load, shipped_files

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
    reused: int = 0
    pending: int = 0
    done: int = 0
    rejected: int = 0
    unknown_decisions: int = 0


def _quiet(stage: str, done: int, total: int) -> None:
    """Default progress callback: say nothing."""


def _parse(item: tuple[str, str]) -> list[Article | Skipped]:
    """Every record one file gives (runs in a worker process)."""
    return list(read_file(*item))


def read_articles(source: Path, settings: Settings, digest: hashlib._Hash, progress: ProgressFn = _quiet,
                  cache: BuildCache | None = None) -> tuple[list[Article], list[Skipped]]:
    """Every readable article; each unreadable file or row becomes a Skipped row and the build goes on."""
    cache = cache or BuildCache()
    items = list(read_sources(source, settings.max_file_bytes))
    skipped: list[Skipped] = [i for i in items if isinstance(i, Skipped)]
    files = [i for i in items if isinstance(i, SourceFile)]
    keys = [cache_digest(f.path, f.text) for f in files]
    found: list[list[Article | Skipped] | None] = [cache.parsed(k) for k in keys]
    misses = [i for i, f in enumerate(found) if f is None]
    parsed = pmap(_parse, [(files[i].path, files[i].text) for i in misses], worker_count(settings.workers),
                  progress=lambda n: progress("read", len(files) - len(misses) + n, len(files)))
    for i, fresh in zip(misses, parsed, strict=True):
        found[i] = fresh
        cache.remember_parsed(keys[i], fresh)
    articles: list[Article] = []
    for f, records in zip(files, found, strict=True):
        digest.update(f.path.encode() + b"\0" + f.text.encode() + b"\0")
        for record in records or ():
            if isinstance(record, Article):
                articles.append(_limit_links(record, settings.max_links_per_article, skipped))
            else:
                skipped.append(record)
    progress("read", len(files), len(files))
    return articles, skipped


def _limit_links(article: Article, limit: int, skipped: list[Skipped]) -> Article:
    """Keep the first `limit` links of a page (a link farm must not swamp the graph)."""
    if len(article.links) <= limit:
        return article
    skipped.append(Skipped(article.path, "repaired", f"{len(article.links)} links, kept the first {limit}"))
    return replace(article, links=article.links[:limit])


def load_vocabulary(settings: Settings) -> tuple[Vocabulary, str]:
    """The merged vocabulary and a fingerprint of every file it came from."""
    base = settings.config_dir or Path.cwd()
    extra = [base / p for p in settings.vocabulary]
    fingerprint = cache_digest(*(p.read_bytes() for p in [*shipped_files(), *extra] if p.is_file()))
    return load(extra), fingerprint


def _start_urls(site: Site, settings: Settings) -> list[str]:
    urls = [site.resolve(p, None) for p in settings.start_pages] or [site.url]
    return [u for u in urls if u]


_MATCHER: Matcher | None = None


def _init_matcher(concepts: Sequence[Concept]) -> None:
    """Compile the matcher once per worker process."""
    global _MATCHER
    _MATCHER = Matcher(concepts)


def _extract(article: Article) -> ArticleConcepts:
    assert _MATCHER is not None
    return extract(article, _MATCHER)


def extract_all(articles: Sequence[Article], vocab: Vocabulary, fingerprint: str, cache: BuildCache,
                progress: ProgressFn = _quiet, workers: int = 1) -> dict[str, ArticleConcepts]:
    """Concepts of every article; unchanged articles reuse the cached extraction."""
    keys = [extraction_key(a, fingerprint) for a in articles]
    found: list[ArticleConcepts | None] = [cache.extracted(k) for k in keys]
    misses = [i for i, f in enumerate(found) if f is None]
    if misses:
        fresh = pmap(_extract, [articles[i] for i in misses], workers, initializer=_init_matcher,
                     initargs=(list(vocab.concepts.values()),),
                     progress=lambda n: progress("extract", len(articles) - len(misses) + n, len(articles)))
        for i, result in zip(misses, fresh, strict=True):
            found[i] = result
            cache.remember_extracted(keys[i], result)
    progress("extract", len(articles), len(articles))
    return {e.url: e for e in drop_generic_about([f for f in found if f is not None])}


@dataclass(frozen=True)
class Analysis:
    """What the analysis stage hands to the writers."""

    links: LinkAnalysis
    gaps: list[Gap]
    content_gaps: list[ContentGap]
    decisions: DecisionResult
    cannibalised: list[Cannibalised]
    anchors: list[AnchorIssue]
    findings: Findings


def read_inputs(settings: Settings, site: Site) -> Inputs:
    """The decisions and traffic files the settings name, relative to the config file."""
    return load_inputs(settings.config_dir or Path.cwd(), settings.decisions, settings.traffic,
                       lambda url: site.resolve(url, None))


def analyse(corpus: Corpus, extracted: dict[str, ArticleConcepts], vocab: Vocabulary, site: Site,
            settings: Settings, inputs: Inputs | None = None) -> Analysis:
    """Link metrics, link-gap suggestions (after the strategist's decisions), content gaps, structure findings."""
    links = analyse_links(corpus.articles, extracted, vocab.concepts, site.host, _start_urls(site, settings))
    excluded = frozenset(filter(None, (site.resolve(u, None) for u in settings.exclude_pages)))
    gap_settings = GapSettings(settings.gaps_per_source, settings.gap_min_score, excluded)
    finder = GapFinder(corpus.articles, extracted, vocab.concepts, vocab.relations)
    decided = apply_inputs(finder, gap_settings, inputs if inputs is not None else read_inputs(settings, site))
    cgaps = content_gaps(list(extracted.values()), vocab.concepts, settings.content_gap_min_articles)
    return Analysis(links, decided.gaps, cgaps, decided, cannibalisation(corpus.articles, extracted, vocab.concepts),
                    anchor_issues(corpus.articles), editorial_findings(corpus.articles, extracted, vocab, links))


def build(source: Path, out: Path, settings: Settings, progress: ProgressFn = _quiet,
          incremental: bool = False) -> BuildResult:
    """Run every stage on SOURCE and publish the results in OUT (reusing OUT's cache if incremental).

    OUT is locked for the whole build, so a second build of the same OUT fails at once.
    """
    clock = time.perf_counter()
    with atomic_output(out) as tmp, collector.stages() as settle:
        result = _build_into(tmp, source, out, settings, progress, incremental, settle)
    return replace(result, seconds=round(time.perf_counter() - clock, 2))


def _build_into(tmp: Path, source: Path, out: Path, settings: Settings, progress: ProgressFn,
                incremental: bool, settle: Callable[[], None] = lambda: None) -> BuildResult:
    started = datetime.now(UTC).replace(microsecond=0)
    site = Site(settings.site_url, settings.url_pattern)
    digest = hashlib.sha256(f"{__version__}\0{settings!r}".encode())
    inputs = read_inputs(settings, site)  # before the long stages, so a bad decisions file fails at once
    digest.update(inputs.fingerprint.encode())
    cache = BuildCache(out if incremental else None)
    raw, skipped = read_articles(source, settings, digest, progress, cache)
    if not raw:
        kinds = ", ".join(extensions())
        raise UsageError(f"no articles found in {source} ({len(skipped)} unreadable; looked for {kinds})")
    corpus = resolve(raw, site, settings.redirects)
    skipped += corpus.skipped
    settle()
    vocab, fingerprint = load_vocabulary(settings)
    digest.update(fingerprint.encode())
    extracted = extract_all(corpus.articles, vocab, fingerprint, cache, progress, worker_count(settings.workers))
    settle()
    progress("analyse", 0, 1)
    result = analyse(corpus, extracted, vocab, site, settings, inputs)
    settle()
    progress("write", 0, 1)
    built = Built(source, started, site, corpus, vocab, extracted, result, skipped)
    _write_outputs(tmp, built, settings, out if incremental else None)
    cache.save(tmp)
    build_id = digest.hexdigest()[:16]
    _write_manifest(tmp, build_id, source, started)
    m, d = result.links.metrics.values(), result.decisions
    return BuildResult(out, build_id, len(corpus.articles), len(skipped), sum(len(a.links) for a in corpus.articles),
                       len(vocab.concepts), len(result.gaps), sum(x.orphan for x in m), sum(x.broken_links for x in m),
                       0.0, cache.hits, len(d.pending), d.done, d.rejected, len(d.unknown))


@dataclass(frozen=True)
class Built:
    """Everything the stages produced, handed to the writers."""

    source: Path
    started: datetime
    site: Site
    corpus: Corpus
    vocab: Vocabulary
    extracted: dict[str, ArticleConcepts]
    analysis: Analysis
    skipped: list[Skipped]

    def quads(self, only: Collection[str] | None = None) -> Iterator[ox.Quad]:
        """Every quad, or (with `only`) the site graphs plus the article graphs of those page IRIs."""
        r, corpus = self.analysis, self.corpus
        if only is not None:
            corpus = replace(corpus, articles=tuple(a for a in corpus.articles if a.url in only))
        return _quads(corpus, self.extracted, self.vocab, self.site, r.links, r.gaps, r.content_gaps,
                      r.findings, build=(str(self.source), self.started))

    def graph_state(self) -> GraphState:
        """The named graphs this build writes, with fingerprints of the records behind each article graph."""
        site = tuple(iris.site_graph(self.site.host, name) for name in ("vocabulary", "analysis", "build"))
        return GraphState(fingerprints(self.corpus.articles, self.extracted), site)

    def report_data(self) -> ReportData:
        r = self.analysis
        labels = {c: v.label for c, v in self.vocab.concepts.items()}
        return ReportData(self.corpus.articles, self.extracted, r.links, r.gaps, r.content_gaps, self.skipped,
                          labels, r.decisions.pending, r.cannibalised, r.anchors)


def _write_outputs(tmp: Path, built: Built, settings: Settings, previous: Path | None = None) -> None:
    """The store, reports, validation, explorer and report, and graph.trig if asked for.

    `previous` (incremental builds) is the last OUT, whose store is updated instead of loaded again when it
    can be, and whose explorer layouts are reused where unchanged.
    """
    with _trig_in_background(tmp, _load_store(tmp, built, settings.load_batch, previous), settings.trig) as db:
        write_reports(tmp / "reports", built.report_data())
        write_validation_csv(editorial_report(db, load_shapes(editorial_shapes())), tmp / "reports")
        _write_views(tmp, built, previous)


def _quads(corpus: Corpus, extracted: dict[str, ArticleConcepts], vocab: Vocabulary, site: Site,
           links: LinkAnalysis, gaps: Sequence[Gap], cgaps: Sequence[ContentGap], findings: Findings,
           build: tuple[str, datetime] | None = None) -> Iterator[ox.Quad]:
    """Every quad of the build, one article at a time: the store loads them without a list of millions."""
    yield from model.vocabulary_quads(vocab, site.host)
    for a in corpus.articles:
        yield from model.article_quads(a, extracted[a.url])
    yield from model.analysis_quads(site.host, links.metrics.values(), gaps, cgaps, links.clusters)
    yield from model.findings_quads(site.host, findings)
    if build:
        ended = datetime.now(UTC).replace(microsecond=0)
        yield from model.build_quads(site.host, build[0], __version__, build[1], ended)


def _load_store(tmp: Path, built: Built, batch: int, previous: Path | None) -> ox.Store:
    """OUT/store: the previous build's store with changed graphs replaced, else a full streaming load."""
    state = built.graph_state()
    old = GraphState.load(previous) if previous is not None else None
    path = tmp / store.STORE_DIR
    db = _updated_store(path, built, old, state, previous, batch) if old and previous else None
    if db is None:
        db = store.create(path, built.quads(), batch)
    state.save(tmp)
    return db


def _updated_store(path: Path, built: Built, old: GraphState, new: GraphState, previous: Path,
                   batch: int) -> ox.Store | None:
    """A copy of the previous store brought up to date, or None when a full load is the better (or only) way."""
    plan: Update = changed(old, new)
    if not plan.worth_it(len(new.articles)) or not copy_previous(previous, path):
        return None
    db = ox.Store(str(path))
    if update(db, plan, old, new, built.quads(only=frozenset(plan.replaced)), batch):
        return db
    del db
    shutil.rmtree(path)
    return None


@contextmanager
def _trig_in_background(tmp: Path, db: ox.Store, wanted: bool) -> Iterator[ox.Store]:
    """Dump graph.trig (if wanted) on a thread while the caller writes the reports from the loaded store.

    pyoxigraph releases the GIL while it serialises, so the dump runs on the second core.
    """
    if not wanted:
        yield db
        return
    with ThreadPoolExecutor(1, thread_name_prefix="trig") as pool:
        dumped = pool.submit(store.dump, db, tmp / store.TRIG_FILE, store.Format.from_name("trig"), PREFIXES)
        try:
            yield db
        finally:
            dumped.result()


def _write_views(tmp: Path, built: Built, previous: Path | None = None) -> None:
    """explorer.html, report.html and the view snapshot `suggest` and `explore` read."""
    r = built.analysis
    view = ExplorerView(built.site.url, built.corpus.articles, r.links.metrics, built.vocab.concepts,
                        list(built.extracted.values()), r.gaps, clusters=r.links.clusters)
    layouts = LayoutCache(previous)
    write_explorer(tmp / "explorer.html", view, layouts)
    layouts.save(tmp)
    write_report(tmp / "report.html", ReportView(view, r.content_gaps, built.skipped, built=built.started.isoformat()))
    write_view_snapshot(tmp, view)


def _write_manifest(tmp: Path, build_id: str, source: Path, started: datetime) -> None:
    manifest = {"build_id": build_id, "linkgraph_version": __version__, "source": str(source),
                "started": started.isoformat()}
    (tmp / "build.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
