"""Link-gap suggestions on tiny hand-made corpora: what is suggested, where the anchor goes and why."""

from __future__ import annotations

import weakref
from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp

from graph.analyse.gaps import GapFinder, GapSettings
from graph.analyse.lexical import PhraseIndex, phrase, product_top_k, tfidf, top_k_per_row
from graph.analyse.spots import running_text
from graph.collector import gc_paused
from graph.extract import Matcher, drop_generic_about, extract
from graph.iris import SCHEMA, SKOS
from graph.records import Article, Concept, ConceptType, Gap, Link, LinkKind, LinkStatus, Relation, Section

SITE = "https://site.example/articles/"
EVERYTHING = GapSettings(per_source=20, min_score=0.0)

DISC = Concept("c:disc", "herniated disc", ConceptType.CONDITION, labels=("herniated disc", "slipped disc"))
SCIATICA = Concept("c:sciatica", "sciatica", ConceptType.SYMPTOM, labels=("sciatica",))
THERAPY = Concept("c:pt", "physical therapy", ConceptType.THERAPY, labels=("physical therapy", "physiotherapy"))
OBESITY = Concept("c:obesity", "obesity", ConceptType.RISK_FACTOR, labels=("obesity",))
IBUPROFEN = Concept("c:ibuprofen", "ibuprofen", ConceptType.DRUG, labels=("ibuprofen",))
NSAID = Concept("c:nsaid", "NSAID", ConceptType.DRUG_CLASS, labels=("anti-inflammatory painkiller",),
                abbreviations=("NSAID",))
ULCER = Concept("c:ulcer", "stomach ulcer", ConceptType.CONDITION, labels=("stomach ulcer",))
SPINE = Concept("c:spine", "spine disorder", ConceptType.CONDITION, labels=("spine disorder",))
CONCEPTS = {c.iri: c for c in (DISC, SCIATICA, THERAPY, OBESITY, IBUPROFEN, NSAID, ULCER, SPINE)}


def url(slug: str) -> str:
    return f"{SITE}{slug}/"


def page(slug: str, title: str, *paragraphs: str, links: tuple[Link, ...] = (), heading: str = "Overview",
         **flags: object) -> Article:
    """An article as resolution leaves it: URL set, links resolved."""
    return Article(f"{slug}.md", slug, title, "md", url=url(slug), sections=(Section(heading, paragraphs),),
                   links=links, **flags)  # type: ignore[arg-type]


def link(target: str, anchor: str, sentence: str, kind: LinkKind = LinkKind.BODY, section: str = "Overview") -> Link:
    return Link(f"/articles/{target}/", anchor, section, sentence, kind, url(target), LinkStatus.OK)


FILLER = page("filler", "Sleep Hygiene", "Keep a regular bedtime and a dark, quiet bedroom for better rest.")


def finder(*articles: Article, relations: tuple[Relation, ...] = ()) -> GapFinder:
    matcher = Matcher(CONCEPTS.values())
    extracted = {e.url: e for e in drop_generic_about([extract(a, matcher) for a in articles])}
    return GapFinder(articles, extracted, CONCEPTS, relations)


def gaps(*articles: Article, settings: GapSettings = EVERYTHING, relations: tuple[Relation, ...] = ()) -> list[Gap]:
    return finder(*articles, relations=relations).suggest(settings)


def pairs(found: list[Gap]) -> set[tuple[str, str]]:
    return {(g.source.split("/")[-2], g.target.split("/")[-2]) for g in found}


def only(found: list[Gap], source: str, target: str) -> Gap:
    (gap,) = [g for g in found if (g.source, g.target) == (url(source), url(target))]
    return gap


# --- reasons -------------------------------------------------------------------------------------

RELATION_CASES = [
    # (predicate, subject, object, A mentions, B is about, expected reason)
    (f"{SCHEMA}signOrSymptom", DISC, SCIATICA, SCIATICA, DISC, "mentions sciatica, a symptom of herniated disc"),
    (f"{SCHEMA}signOrSymptom", DISC, SCIATICA, DISC, SCIATICA, "mentions herniated disc, which can cause sciatica"),
    (f"{SCHEMA}possibleTreatment", DISC, THERAPY, THERAPY, DISC,
     "mentions physical therapy, a treatment for herniated disc"),
    (f"{SCHEMA}possibleTreatment", DISC, THERAPY, DISC, THERAPY,
     "mentions herniated disc, which physical therapy can treat"),
    (f"{SCHEMA}riskFactor", DISC, OBESITY, OBESITY, DISC, "mentions obesity, a risk factor for herniated disc"),
    (f"{SCHEMA}riskFactor", DISC, OBESITY, DISC, OBESITY,
     "mentions herniated disc, for which obesity is a risk factor"),
    (f"{SCHEMA}drugClass", IBUPROFEN, NSAID, NSAID, IBUPROFEN, "mentions NSAID, the class of ibuprofen"),
    (f"{SCHEMA}drugClass", IBUPROFEN, NSAID, IBUPROFEN, NSAID, "mentions ibuprofen, a NSAID"),
    (f"{SCHEMA}adverseOutcome", IBUPROFEN, ULCER, ULCER, IBUPROFEN,
     "mentions stomach ulcer, a possible side effect of ibuprofen"),
    (f"{SKOS}broader", DISC, SPINE, SPINE, DISC, "mentions spine disorder, the wider topic of herniated disc"),
    (f"{SKOS}broader", DISC, SPINE, DISC, SPINE, "mentions herniated disc, a kind of spine disorder"),
]


@pytest.mark.parametrize(("predicate", "subject", "obj", "mentioned", "topic", "reason"), RELATION_CASES)
def test_related_concept_reason_names_the_relation(predicate: str, subject: Concept, obj: Concept,
                                                   mentioned: Concept, topic: Concept, reason: str) -> None:
    a = page("a", "Weekend Notes", f"Last week my neighbour talked about {mentioned.label} over coffee.")
    b = page("b", topic.label.title(), f"All about {topic.label}: who gets it and what to do.")
    found = gaps(a, b, FILLER, relations=(Relation(subject.iri, predicate, obj.iri),))
    gap = only(found, "a", "b")
    assert gap.reason == reason
    assert gap.anchor.lower() == mentioned.label.lower()
    assert gap.concept == mentioned.iri


def test_direct_mention_names_the_topic_and_title() -> None:
    a = page("a", "Back Care", "A slipped disc can press on a nerve.")
    b = page("b", "Herniated Disc", "A herniated disc bulges out between two vertebrae.")
    gap = only(gaps(a, b, FILLER), "a", "b")
    assert (gap.anchor, gap.concept) == ("slipped disc", DISC.iri)
    assert gap.reason == 'names herniated disc, the topic of "Herniated Disc"'


def test_title_outside_the_vocabulary_is_found_with_its_small_words() -> None:
    a = page("a", "Allergy Season", "Many over-the-counter sleep aids contain an antihistamine.")
    b = page("b", "Over The Counter Sleep Aid", "What is in the pills sold without a prescription.")
    gap = only(gaps(a, b, FILLER), "a", "b")
    assert gap.anchor == "over-the-counter sleep aids"
    assert gap.reason == 'uses the page title "Over The Counter Sleep Aid"'
    assert gap.concept == ""


def test_aliases_and_large_parts_of_a_title_name_the_page() -> None:
    a = page("a", "Gym Notes", "My doctor mentioned Flexeril. Use heat or ice after a strain.")
    b = page("b", "Cyclobenzaprine", "A prescription muscle relaxer.", aliases=("Flexeril",))
    c = page("c", "Heat Or Ice For Back Pain", "Cold first, warmth later.")
    found = gaps(a, b, c, FILLER)
    assert only(found, "a", "b").reason == 'says "Flexeril", another name for "Cyclobenzaprine"'
    part = only(found, "a", "c")
    assert part.reason == 'says "heat or ice", words from the title "Heat Or Ice For Back Pain"'
    assert part.score < only(found, "a", "b").score  # half a title says less than a whole name


def test_words_other_pages_link_with_become_a_name_of_the_target() -> None:
    sentence = "Read why a disc bulge hurts."
    c = page("c", "Spine Basics", sentence, links=(link("b", "disc bulge", sentence),))
    a = page("a", "Desk Work", "Sitting all day can worsen a disc bulge in the lower back.")
    b = page("b", "Herniated Disc", "A herniated disc bulges out between two vertebrae.")
    gap = only(gaps(a, b, c, FILLER), "a", "b")
    assert gap.anchor == "disc bulge"
    assert gap.reason == 'says "disc bulge", the words other pages use to link to "Herniated Disc"'


# --- anchors -------------------------------------------------------------------------------------

def test_anchor_is_in_its_sentence_and_the_sentence_in_the_source() -> None:
    a = page("a", "Back Care", "Rest helps. Later, physiotherapy and a slipped disc plan may follow. Walk daily.")
    b = page("b", "Herniated Disc", "A herniated disc bulges out.")
    c = page("c", "Physical Therapy", "Physical therapy builds strength.")
    found = gaps(a, b, c, FILLER)
    assert pairs(found) >= {("a", "b"), ("a", "c")}
    for gap in found:
        assert gap.anchor in gap.sentence
        assert gap.sentence in a.text or gap.sentence in b.text or gap.sentence in c.text
    assert only(found, "a", "b").sentence == "Later, physiotherapy and a slipped disc plan may follow."


def test_words_inside_an_existing_link_are_never_an_anchor() -> None:
    sentence = "See our sciatica stretches for relief."
    a = page("a", "Back Care", sentence, links=(link("c", "sciatica stretches", sentence),))
    b = page("b", "Sciatica", "Sciatica is nerve pain down the leg.")
    c = page("c", "Stretching", "Gentle stretches every morning.")
    assert ("a", "b") not in pairs(gaps(a, b, c, FILLER))


def test_negated_mentions_and_related_blocks_give_no_anchor() -> None:
    a = page("a", "Back Care", "This kind of ache causes no sciatica at all.")
    related = Section("Related articles", ("Sciatica", "Stretching"))
    d = replace(page("d", "Desk Work", "Take breaks from the desk."), sections=(
        Section("Overview", ("Take breaks from the desk.",)), related),
        links=(link("c", "Stretching", "Stretching", LinkKind.RELATED, "Related articles"),))
    b = page("b", "Sciatica", "Sciatica is nerve pain down the leg.")
    c = page("c", "Stretching", "Gentle stretches every morning.")
    found = pairs(gaps(a, b, c, d, FILLER))
    assert ("a", "b") not in found
    assert ("d", "b") not in found


@pytest.mark.parametrize("text", ["Warm up every muscle. Spasm-free workouts follow.",
                                  "Stretch each muscle; spasm-free sessions follow.",
                                  "Rest any muscle that may spasm."])
def test_a_phrase_never_runs_across_punctuation_or_other_words(text: str) -> None:
    a = page("a", "Gym Notes", text)
    b = page("b", "Muscle Spasm", "Why a muscle spasm happens.")
    assert ("a", "b") not in pairs(gaps(a, b, FILLER))


# --- which pairs ---------------------------------------------------------------------------------

def test_drafts_noindex_and_pages_canonical_elsewhere_are_never_targets() -> None:
    a = page("a", "Back Care", "Sciatica, a slipped disc and physiotherapy all come up.")
    b = page("b", "Sciatica", "Sciatica is nerve pain.", draft=True)
    c = page("c", "Herniated Disc", "A herniated disc bulges.", noindex=True)
    d = page("d", "Physical Therapy", "Physical therapy helps.", canonical=url("elsewhere"))
    found = gaps(a, b, c, d, FILLER)
    assert not {g.target for g in found} & {url("b"), url("c"), url("d")}


def test_draft_can_still_be_a_source() -> None:
    a = page("a", "Back Care", "A slipped disc is common.", draft=True)
    b = page("b", "Herniated Disc", "A herniated disc bulges.")
    assert ("a", "b") in pairs(gaps(a, b, FILLER))


@pytest.mark.parametrize("kind", [LinkKind.BODY, LinkKind.RELATED])
def test_existing_body_or_related_link_is_never_suggested(kind: LinkKind) -> None:
    sentence = "Sciatica often follows a slipped disc."
    a = page("a", "Back Care", sentence, "More on sciatica later.", links=(link("b", "slipped disc", sentence),))
    if kind == LinkKind.RELATED:
        related = Section("Related articles", ("Herniated Disc",))
        a = replace(a, sections=(*a.sections, related),
                    links=(link("b", "Herniated Disc", "Herniated Disc", kind, "Related articles"),))
    b = page("b", "Herniated Disc", "A herniated disc bulges.")
    c = page("c", "Sciatica", "Sciatica is nerve pain.")
    assert pairs(gaps(a, b, c, FILLER)) >= {("a", "c")}
    assert ("a", "b") not in pairs(gaps(a, b, c, FILLER))


def test_navigation_link_is_no_substitute_for_a_body_link() -> None:
    nav = Link("/articles/b/", "Herniated Disc", "", "", LinkKind.NAV, url("b"), LinkStatus.OK)
    a = page("a", "Back Care", "A herniated disc can press on a nerve.", links=(nav,))
    b = page("b", "Herniated Disc", "A herniated disc bulges.")
    gap = only(gaps(a, b, FILLER), "a", "b")
    assert gap.anchor == "herniated disc"


def test_a_two_page_site_still_gets_its_suggestion() -> None:
    a = page("a", "Leg Pain", "Sciatica causes leg pain.")
    b = page("b", "Sciatica", "Sciatica is nerve pain.")
    assert [(g.anchor, g.score >= 0.2) for g in gaps(a, b, settings=GapSettings())] == [("Sciatica", True)]


def test_a_page_is_never_suggested_to_itself() -> None:
    a = page("a", "Herniated Disc", "A herniated disc bulges. Herniated disc care is simple.")
    assert not gaps(a, FILLER)


def test_similar_wording_alone_is_not_a_suggestion() -> None:
    text = "Gentle walking, warm baths and regular stretching ease a stiff lower back after long drives."
    a = page("a", "Driving Comfort", text)
    b = page("b", "Road Trips", text + " Plan stops.")
    assert not gaps(a, b, FILLER)


def test_similar_wording_raises_the_score_of_a_proposed_pair() -> None:
    a = page("a", "Back Care", "With sciatica, gentle walking, warm baths and regular stretching ease a stiff back.")
    alike = page("b", "Sciatica", "Sciatica eases with gentle walking, warm baths and regular stretching.")
    unlike = page("b", "Sciatica", "Sciatica is a sharp nerve pain that runs from the buttock down one leg.")
    others = (FILLER, page("diet", "Diet", "Fresh fruit and whole grains."), page("eyes", "Eyes", "Screens tire them."))
    assert only(gaps(a, alike, *others), "a", "b").reason == only(gaps(a, unlike, *others), "a", "b").reason
    assert finder(a, alike, *others).scores()[0, 1] > finder(a, unlike, *others).scores()[0, 1]


def test_per_source_cap_keeps_the_best_scoring() -> None:
    a = page("a", "Back Care", "Sciatica, a herniated disc, physical therapy and obesity all matter.")
    targets = [page("b", "Sciatica", "Sciatica is nerve pain."), page("c", "Herniated Disc", "It bulges."),
               page("d", "Physical Therapy", "Exercise helps."), page("e", "Obesity", "Weight matters.")]
    every = [g for g in gaps(a, *targets, FILLER) if g.source == url("a")]
    capped = [g for g in gaps(a, *targets, FILLER, settings=GapSettings(per_source=2, min_score=0.0))
              if g.source == url("a")]
    assert len(every) == 4
    assert [g.target for g in capped] == [g.target for g in every[:2]]


def test_min_score_drops_weak_suggestions() -> None:
    a = page("a", "Weekend Notes", "My neighbour has sciatica.")
    b = page("b", "Herniated Disc", "All about herniated disc.")
    relation = (Relation(DISC.iri, f"{SCHEMA}signOrSymptom", SCIATICA.iri),)
    assert gaps(a, b, FILLER, relations=relation)
    assert not gaps(a, b, FILLER, relations=relation, settings=GapSettings(min_score=0.2))


def test_excluded_pages_are_neither_source_nor_target() -> None:
    a = page("a", "Back Care", "Sciatica and a herniated disc.")
    b = page("b", "Sciatica", "Sciatica is nerve pain; a herniated disc may cause it.")
    c = page("c", "Herniated Disc", "A herniated disc bulges and can cause sciatica.")
    every = pairs(gaps(a, b, c, FILLER))
    assert {("a", "b"), ("a", "c"), ("b", "c"), ("c", "b")} <= every
    without_b = pairs(gaps(a, b, c, FILLER, settings=replace(EVERYTHING, exclude=frozenset({url("b")}))))
    assert without_b == every - {p for p in every if "b" in p}


def test_suggestions_are_deterministic_and_independent_of_input_order() -> None:
    articles = [page("a", "Back Care", "Sciatica, a slipped disc, physiotherapy and obesity."),
                page("b", "Sciatica", "Sciatica is nerve pain from a herniated disc."),
                page("c", "Herniated Disc", "A herniated disc bulges; obesity raises the risk."),
                page("d", "Physical Therapy", "Physical therapy eases sciatica."), FILLER]
    first = gaps(*articles)
    assert first == gaps(*articles)
    assert first == gaps(*reversed(articles))
    assert first == sorted(first, key=lambda g: (-g.score, g.source, g.target))
    assert all(0.0 <= g.score <= 1.0 for g in first)


def test_a_used_finder_is_freed_by_reference_counting_alone() -> None:
    """The pipeline freezes the cycle collector between stages: a finder in a cycle would keep its matrices."""
    articles = [page("a", "Back Care", "Sciatica, a slipped disc and physiotherapy."),
                page("b", "Sciatica", "Sciatica is nerve pain from a herniated disc."),
                page("c", "Herniated Disc", "A herniated disc bulges."), FILLER]
    with gc_paused():
        used = finder(*articles)
        assert used.suggest(EVERYTHING) and used.gaps_to(url("b"), EVERYTHING)
        assert used.explain(url("a"), url("c"))
        gone = weakref.ref(used)
        del used
        assert gone() is None


# --- building blocks -----------------------------------------------------------------------------

def test_running_text_skips_related_blocks_and_marks_links() -> None:
    sentence = "Try physical therapy first."
    a = replace(page("a", "Back Care", sentence, links=(link("d", "physical therapy", sentence),)),
                sections=(Section("Overview", (sentence,)), Section("Related articles", ("Sciatica",))),)
    a = replace(a, links=(*a.links, link("b", "Sciatica", "Sciatica", LinkKind.RELATED, "Related articles")))
    (para,) = running_text(a)
    assert para.text == sentence
    assert [(para.text[s.start : s.end], s.target) for s in para.links] == [("physical therapy", url("d"))]


def test_phrase_index_finds_overlapping_phrases() -> None:
    index = PhraseIndex([(("back", "pain"), "bp"), (("upper", "back", "pain"), "ubp")])
    assert list(index.find(list(phrase("Upper back pain, then back pain")))) == [
        (0, 3, ("ubp",)), (1, 3, ("bp",)), (3, 5, ("bp",))]


def test_product_top_k_matches_the_dense_product() -> None:
    rng = np.random.default_rng(7)
    left = sp.csr_matrix(rng.random((9, 6)) * (rng.random((9, 6)) > 0.5))
    right = sp.csr_matrix(rng.random((6, 9)) * (rng.random((6, 9)) > 0.5))
    kept = product_top_k(left, [right], 3, block=4).toarray()
    dense = (left @ right).toarray()
    assert ((kept > 0).sum(axis=1) <= 3).all()
    for row, full in zip(kept, dense, strict=True):
        assert sorted(row[row > 0], reverse=True) == sorted(full[full > 0], reverse=True)[:3]
    assert (top_k_per_row(sp.csr_matrix(dense), 3).toarray() == kept).all()


def test_tfidf_rows_are_unit_length_and_drop_words_most_documents_use() -> None:
    docs = [["back", "pain", "disc"], ["back", "pain", "sleep"], ["back", "diet"]]
    m = tfidf(docs, max_df=0.5)
    assert np.allclose(np.sqrt(m.multiply(m).sum(axis=1)).ravel(), 1.0)
    assert m.shape == (3, 5) and (m.getcol(0).toarray() == 0).all()  # "back" is in every document
