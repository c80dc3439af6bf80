"""`build --incremental` updates the previous store graph by graph; the result must equal a full build."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from graph import pipeline, storeupdate
from graph.pipeline import build
from graph.settings import Settings
from graph.storeupdate import GraphState, Update
from tests.rdfcompare import assert_same_graphs

SITE = 'site_url = "https://site.example/"\nurl_pattern = "/articles/{slug}/"\n'
PAGE = "https://site.example/articles/{}/"
TOPICS = ["sciatica", "back pain", "a herniated disc", "heat therapy", "physical therapy", "ibuprofen",
          "numbness", "a muscle strain", "gentle stretching", "poor posture"]


def page(i: int) -> str:
    """Page i talks about one topic and links to the next page and, in its related list, to page 0."""
    topic = TOPICS[i % len(TOPICS)]
    return (f"---\ntitle: Page {i}\n---\nThis page on {topic} is written for test number {i}. "
            f"Read on at [the next page](/articles/p{i + 1}/) for more.\n\n"
            f"## Related articles\n- [First page](/articles/p0/)\n")


@pytest.fixture
def corpus(write_corpus) -> Path:
    return write_corpus({f"p{i}.md": page(i) for i in range(12)}, SITE)


@pytest.fixture
def plans(monkeypatch: pytest.MonkeyPatch) -> list[Update]:
    """Every update plan the pipeline carried out (empty when it loaded the store from scratch)."""
    seen: list[Update] = []
    real = pipeline.update

    def spy(db: ox.Store, plan: Update, *args: object) -> bool:
        seen.append(plan)
        return real(db, plan, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "update", spy)
    return seen


def dump_store(out: Path, to: Path) -> Path:
    """The store of a build as TriG, so it can be compared graph by graph."""
    db = ox.Store.read_only(str(out / "store"))
    db.dump(str(to), format=ox.RdfFormat.TRIG)
    return to


def graph_names(out: Path) -> set[str]:
    return {g.value for g in ox.Store.read_only(str(out / "store")).named_graphs() if isinstance(g, ox.NamedNode)}


def assert_incremental_equals_full(src: Path, inc: Path, tmp_path: Path) -> None:
    """The store and the reports match a fresh full build of the same input."""
    full = tmp_path / "full"
    build(src, full, Settings.load(src / "linkgraph.toml"))
    assert_same_graphs(dump_store(inc, tmp_path / "inc-store.trig"), dump_store(full, tmp_path / "full-store.trig"))
    for name in ("pages.csv", "links.csv", "gaps.csv", "content-gaps.csv"):
        assert (inc / "reports" / name).read_bytes() == (full / "reports" / name).read_bytes(), name


def first_build(src: Path, out: Path) -> Settings:
    settings = Settings.load(src / "linkgraph.toml")
    build(src, out, settings, incremental=True)
    return settings


def test_unchanged_input_keeps_every_article_graph(corpus: Path, tmp_path: Path, plans: list[Update]) -> None:
    out = tmp_path / "inc"
    settings = first_build(corpus, out)
    assert plans == []  # nothing to update the first time
    build(corpus, out, settings, incremental=True)
    assert [(p.kept, p.replaced, p.removed) for p in plans] == [(12, [], [])]
    assert_incremental_equals_full(corpus, out, tmp_path)


def test_edited_article_replaces_only_its_graph(corpus: Path, tmp_path: Path, plans: list[Update]) -> None:
    out = tmp_path / "inc"
    settings = first_build(corpus, out)
    (corpus / "p3.md").write_text(page(3).replace("written for", "rewritten about ibuprofen for"), encoding="utf-8")
    build(corpus, out, settings, incremental=True)
    assert [(p.replaced, p.removed) for p in plans] == [([PAGE.format("p3")], [])]
    assert_incremental_equals_full(corpus, out, tmp_path)


def test_added_article_fixes_the_link_that_was_broken(corpus: Path, tmp_path: Path, plans: list[Update]) -> None:
    out = tmp_path / "inc"
    settings = first_build(corpus, out)
    (corpus / "p12.md").write_text(page(12), encoding="utf-8")  # p11 links to it: no longer broken
    build(corpus, out, settings, incremental=True)
    assert sorted(plans[0].replaced) == [PAGE.format("p11"), PAGE.format("p12")]
    assert PAGE.format("p12") in graph_names(out)
    assert_incremental_equals_full(corpus, out, tmp_path)


def test_deleted_article_graph_vanishes(corpus: Path, tmp_path: Path, plans: list[Update]) -> None:
    out = tmp_path / "inc"
    settings = first_build(corpus, out)
    (corpus / "p5.md").unlink()  # p4's link to it turns broken
    build(corpus, out, settings, incremental=True)
    assert [(p.replaced, p.removed) for p in plans] == [([PAGE.format("p4")], [PAGE.format("p5")])]
    assert PAGE.format("p5") not in graph_names(out)
    assert_incremental_equals_full(corpus, out, tmp_path)


def test_vocabulary_change_updates_the_articles_it_touches(corpus: Path, tmp_path: Path,
                                                          plans: list[Update]) -> None:
    out = tmp_path / "inc"
    settings = first_build(corpus, out)
    (corpus / "own.ttl").write_text(
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n@prefix schema: <http://schema.org/> .\n"
        '<https://example.org/c/t7> a skos:Concept, schema:MedicalRiskFactor ; skos:prefLabel "test number 7"@en .\n',
        encoding="utf-8")
    (corpus / "linkgraph.toml").write_text(SITE + 'vocabulary = ["own.ttl"]\n', encoding="utf-8")
    build(corpus, out, Settings.load(corpus / "linkgraph.toml"), incremental=True)
    assert settings.vocabulary == []
    assert PAGE.format("p7") in plans[0].replaced  # the one page that says "test number 7"
    assert plans[0].kept >= 6
    assert_incremental_equals_full(corpus, out, tmp_path)


def test_large_change_loads_the_store_from_scratch(corpus: Path, tmp_path: Path, plans: list[Update]) -> None:
    out = tmp_path / "inc"
    settings = first_build(corpus, out)
    for i in range(8):
        (corpus / f"p{i}.md").write_text(page(i) + "\nOne more line about sciatica.\n", encoding="utf-8")
    build(corpus, out, settings, incremental=True)
    assert plans == []
    assert_incremental_equals_full(corpus, out, tmp_path)


def test_missing_state_falls_back_to_a_full_load(corpus: Path, tmp_path: Path, plans: list[Update]) -> None:
    out = tmp_path / "inc"
    settings = first_build(corpus, out)
    (out / "cache" / storeupdate.STATE_FILE).write_text("{not json", encoding="utf-8")
    (corpus / "p3.md").write_text(page(3).replace("test number", "check number"), encoding="utf-8")
    build(corpus, out, settings, incremental=True)
    assert plans == []
    assert GraphState.load(out) is not None  # written again for the next build
    assert_incremental_equals_full(corpus, out, tmp_path)


def test_failed_incremental_build_leaves_previous_store_intact(corpus: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "inc"
    settings = first_build(corpus, out)
    before = dump_store(out, tmp_path / "before.trig")
    (corpus / "p2.md").unlink()

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("graph.pipeline.write_explorer", boom)
    with pytest.raises(RuntimeError):
        build(corpus, out, settings, incremental=True)
    assert_same_graphs(before, dump_store(out, tmp_path / "after.trig"))
    assert PAGE.format("p2") in graph_names(out)


def test_state_from_another_version_is_ignored(tmp_path: Path) -> None:
    GraphState({"https://a.example/": "x"}, ("https://a.example/analysis",), "0.0.0-old").save(tmp_path)
    assert GraphState.load(tmp_path) is None
    GraphState({"https://a.example/": "x"}, ("https://a.example/analysis",)).save(tmp_path)
    assert GraphState.load(tmp_path) == GraphState({"https://a.example/": "x"}, ("https://a.example/analysis",))


def test_update_diffs_graphs_and_drops_removed_ones(tmp_path: Path) -> None:
    def iri(x: str) -> ox.NamedNode:
        return ox.NamedNode(f"https://a.example/{x}")

    def dec(v: str) -> ox.Literal:
        return ox.Literal(v, datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal"))

    db = ox.Store(str(tmp_path / "store"))
    site, b, c = iri("analysis"), iri("b"), iri("c")
    db.extend([ox.Quad(b, iri("score"), dec("0.5000"), site), ox.Quad(b, iri("note"), ox.Literal("old"), site),
               ox.Quad(b, iri("name"), ox.Literal("B"), b), ox.Quad(c, iri("name"), ox.Literal("C"), c)])
    old = GraphState({b.value: "1", c.value: "1"}, (site.value,))
    new = GraphState({b.value: "2"}, (site.value,))
    plan = storeupdate.changed(old, new)
    assert (plan.replaced, plan.removed) == ([b.value], [c.value])
    fresh = [ox.Quad(b, iri("score"), dec("0.50"), site), ox.Quad(b, iri("note"), ox.Literal("new"), site),
             ox.Quad(b, iri("name"), ox.Literal("B2"), b)]
    assert storeupdate.update(db, plan, old, new, fresh, batch=2)
    assert sorted(str(q) for q in db) == sorted(str(q) for q in [
        ox.Quad(b, iri("score"), dec("0.5"), site), ox.Quad(b, iri("note"), ox.Literal("new"), site),
        ox.Quad(b, iri("name"), ox.Literal("B2"), b)])
    assert not storeupdate.update(db, Update(), new, GraphState({c.value: "1"}, ()), [], batch=2)
