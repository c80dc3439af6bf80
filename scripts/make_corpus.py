"""Write a synthetic health-publisher corpus: `make_corpus(n, out, seed)` or `make_corpus.py N OUT [--seed 1]`.

Benchmarks and tests need corpora far larger than the sample, shaped like a real site: mostly Markdown
with front matter, some HTML pages with navigation and a related block, some plain-text exports. Topics
and concept mentions follow a long tail (Zipf), links follow preferential attachment (popular pages get
more links), and every corpus has broken links, redirects, external links and a few orphan pages.
Titles and sentences come from the templates below filled with labels of the shipped vocabulary.

The same N and seed always give byte-identical files: one seeded `random.Random` plans the site and each
article is rendered from its own seeded generator, with no dependence on set order or today's date.
"""

from __future__ import annotations

import argparse
import bisect
import html
import itertools
import random
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TypeVar

from graph.records import Concept, ConceptType
from graph.vocab import Vocabulary, load

SITE = "https://healthguide.example/"
SITE_NAME = "HealthGuide"
FORMATS = (("md", 0.70), ("html", 0.15), ("txt", 0.15))
ORPHAN_SHARE = 0.03
BROKEN_SHARE = 0.04
REDIRECT_SHARE = 0.03
EXTERNAL_SHARE = 0.15
NO_RELATED_SHARE = 0.10
HUBS = 6  # pages in the HTML navigation menu
TOPIC_ZIPF, MENTION_ZIPF = 0.8, 1.1
EPOCH = date(2019, 1, 1)

T = ConceptType
FOLDERS = {T.CONDITION: "conditions", T.SYMPTOM: "symptoms", T.DRUG: "medicines", T.DRUG_CLASS: "medicines",
           T.THERAPY: "treatments", T.PROCEDURE: "treatments", T.RISK_FACTOR: "lifestyle"}
# Topic type shares; a real health site writes mostly about conditions, symptoms and medicines.
TOPIC_TYPES = ((T.CONDITION, 0.40), (T.SYMPTOM, 0.20), (T.DRUG, 0.18), (T.THERAPY, 0.08),
               (T.PROCEDURE, 0.05), (T.DRUG_CLASS, 0.05), (T.RISK_FACTOR, 0.04))

# --- templates (written for this generator) ---------------------------------------------------------
# Slots: {T} topic, {P} partner concept, {S} symptom, {C} condition, {D} drug, {K} drug class,
# {X} therapy or procedure, {R} risk factor, {A} link anchor.

TITLES: dict[ConceptType, tuple[str, ...]] = {
    T.CONDITION: ("{T}", "{T}: Causes, Symptoms and Treatment", "What Is {T}?", "Living With {T}",
                  "How {T} Is Diagnosed", "Early Signs of {T}", "{T} and {P}", "Can {T} Cause {P}?",
                  "Treatment Options for {T}", "Is {T} Serious?"),
    T.SYMPTOM: ("What Causes {T}?", "{T}: When to Worry", "{T} at Night", "How to Relieve {T}",
                "{T} and {P}", "Sudden {T}", "{T} After Exercise"),
    T.DRUG: ("{T} Side Effects", "{T} Dosage Guide", "{T} vs {P}", "Can You Take {T} With {P}?",
             "How Long Does {T} Take to Work?", "What Is {T} Used For?"),
    T.DRUG_CLASS: ("A Guide to {T} Medicines", "How {T} Medicines Work", "{T} Side Effects"),
    T.THERAPY: ("{T} for {P}", "What to Expect From {T}", "Is {T} Right for You?", "Getting Started With {T}"),
    T.PROCEDURE: ("{T} for {P}", "What to Expect From {T}", "Recovering After {T}", "Preparing for {T}"),
    T.RISK_FACTOR: ("{T} and Your Health", "How {T} Affects {P}", "Cutting the Risk From {T}"),
}
QUALIFIERS = ("in Children", "in Older Adults", "During Pregnancy", "for Runners", "for Office Workers",
              "After 50", "in Women", "in Men", "for Night Shift Workers", "in Teenagers", "for Carers")
# The type of the partner concept {P} in a title, by topic type.
PARTNER = {T.CONDITION: T.SYMPTOM, T.SYMPTOM: T.CONDITION, T.DRUG: T.DRUG, T.DRUG_CLASS: T.DRUG,
           T.THERAPY: T.CONDITION, T.PROCEDURE: T.CONDITION, T.RISK_FACTOR: T.CONDITION}

HEADINGS: dict[ConceptType, tuple[str, ...]] = {
    T.CONDITION: ("What is {T}?", "Causes", "Symptoms", "How it is diagnosed", "Treatment", "Living with {T}",
                  "When to see a doctor", "Outlook"),
    T.SYMPTOM: ("Common causes", "Less common causes", "Relief at home", "When to worry",
                "How doctors investigate {T}", "Preventing it"),
    T.DRUG: ("How {T} works", "Dosage", "Side effects", "Interactions", "Who should avoid it", "Stopping safely"),
    T.DRUG_CLASS: ("How they work", "Common examples", "Side effects", "Who should avoid them"),
    T.THERAPY: ("What happens", "Who it helps", "Risks", "Getting the most from {T}", "Alternatives"),
    T.PROCEDURE: ("Why it is done", "Before the procedure", "On the day", "Recovery", "Risks"),
    T.RISK_FACTOR: ("Why it matters", "Conditions linked to {T}", "Practical changes", "Getting support"),
}

SENTENCES = (
    "{T} affects people in different ways, and no two cases follow quite the same course.",
    "Many people with {T} first notice {S}.",
    "{S} and {S} often turn up together, which can make the picture confusing.",
    "Doctors usually ask when {S} started and what makes it better or worse.",
    "A short course of {D} helps some people, although it is not suitable for everyone.",
    "Medicines from the {K} group are sometimes prescribed when simpler measures have not helped.",
    "Some people find that {X} eases things over a few weeks.",
    "Risk factors such as {R} make {C} more likely.",
    "Cutting down on {R} is one of the most useful changes you can make.",
    "It can be hard to tell {T} apart from {C} without an examination.",
    "Keeping a simple diary of {S} helps you and your clinician spot patterns.",
    "Ask a pharmacist before combining {D} with other medicines you already take.",
    "In many cases {T} settles with time, rest and gentle activity.",
    "If {S} wakes you at night or keeps getting worse, book an appointment.",
    "{C} can sometimes cause similar complaints, so it is worth ruling out.",
    "People who also live with {C} may need a slightly different plan.",
    "Side effects of {D} can include {S}, so report anything unusual.",
    "{X} is usually offered after a careful talk about benefits and risks.",
    "There is reasonable evidence that {X} helps with {C}.",
    "Not everyone with {T} needs medicine; self-care is often enough.",
    "Your clinician may compare {D} with {D} before settling on one.",
    "Flare-ups of {T} are often linked to {R}.",
    "Most people with mild {T} have no {S} at all.",
    "It does not usually cause {S}.",
    "Without {S}, a serious cause is much less likely.",
    "Recovery times vary a great deal from one person to the next.",
    "Small daily changes tend to add up over a few weeks.",
    "Write down your questions before an appointment so nothing gets missed.",
    "Online symptom lists are a starting point, not a diagnosis.",
    "Follow-up visits are a good moment to review what is and is not working.",
    "Sleep, regular meals and steady activity all support recovery.",
    "Bring a list of everything you take, including supplements, to each visit.",
)
KEY_POINTS = (
    "{T} is common and usually manageable with the right plan",
    "{S} is the change people tend to notice first",
    "{X} and {D} are the main options discussed here",
    "Get urgent help if {S} comes on suddenly or is severe",
    "Reducing {R} lowers the chance of problems coming back",
)
QUESTIONS = (
    ("Can {T} go away on its own?", "Often it does, although {S} can linger for a while."),
    ("Is {D} safe to take for {T}?", "For most adults it is, but check with a pharmacist if you take other medicines."),
    ("How long does {S} last?", "Usually days to a few weeks; longer spells deserve a check-up."),
    ("Does {R} make {T} worse?", "It can, and tackling it tends to help over time."),
    ("Should I try {X}?", "Ask your clinician whether it suits your situation."),
)
LINK_SENTENCES = (
    ("For a closer look, read our guide to ", "."),
    ("The overlap is covered in ", "."),
    ("If this sounds familiar, ", " may also help."),
    ("We explain the details in ", "."),
    ("Readers often move on to ", " next."),
    ("Some of the same advice appears in ", "."),
)
GENERIC_ANCHORS = ("this article", "read more", "click here", "this guide")
TABLE_HEAD = ("Condition", "Typical duration", "See a doctor if")
DURATIONS = ("a few days", "one to two weeks", "several weeks", "months", "varies")
WARNINGS = ("it keeps getting worse", "you have a fever", "it wakes you at night", "you feel very unwell",
            "numbness spreads")
AUTHORS = ("Dana Whitlock, RN", "Priya Ramaswamy, MD", "Tomas Ekberg, PT, DPT", "Grace Adebayo, PharmD",
           "Luca Ferrante, MD", "Hannah Okafor, RD", "Sam Lindqvist, MPH", "Mira Castellanos, NP")
TEASERS = ("A plain guide to what helps and what to watch for", "Find out who is most affected and why",
           "The main options, explained without jargon")
SMALL_WORDS = frozenset({"a", "an", "and", "as", "at", "for", "from", "in", "of", "on", "or", "the", "to",
                         "vs", "with"})


# --- vocabulary -------------------------------------------------------------------------------------


class Zipf:
    """Draws from ranked items with weight 1/rank^s, so a few items are common and most are rare."""

    def __init__(self, items: Sequence[Concept], s: float) -> None:
        self.items = list(items)
        self.cum = list(itertools.accumulate(1.0 / (rank**s) for rank in range(1, len(self.items) + 1)))

    def draw(self, rng: random.Random) -> Concept:
        return self.items[bisect.bisect_left(self.cum, rng.random() * self.cum[-1])]


@dataclass
class Lexicon:
    """Concepts ranked per type (seeded shuffle) and each concept's clinical neighbours by type."""

    topics: dict[ConceptType, Zipf]
    mentions: dict[ConceptType, Zipf]
    neighbours: dict[str, dict[ConceptType, list[Concept]]]

    def pick(self, kind: ConceptType, topic: Concept, rng: random.Random) -> Concept:
        """A concept of `kind`: half the time one related to the topic, else a long-tail draw."""
        near = self.neighbours.get(topic.iri, {}).get(kind)
        if near and rng.random() < 0.5:
            return near[rng.randrange(len(near))]
        return self.mentions[kind].draw(rng)


def lexicon(vocab: Vocabulary, rng: random.Random) -> Lexicon:
    """Rank the usable concepts (no ambiguous-only labels) and index their relations."""
    by_type: dict[ConceptType, list[Concept]] = defaultdict(list)
    for iri in sorted(vocab.concepts):
        by_type[vocab.concepts[iri].type].append(vocab.concepts[iri])
    for concepts in by_type.values():
        rng.shuffle(concepts)
    topics = {k: Zipf(v, TOPIC_ZIPF) for k, v in by_type.items()}
    mentions = {k: Zipf(v, MENTION_ZIPF) for k, v in by_type.items()}
    return Lexicon(topics, mentions, _neighbours(vocab))


def _neighbours(vocab: Vocabulary) -> dict[str, dict[ConceptType, list[Concept]]]:
    near: dict[str, dict[ConceptType, list[Concept]]] = defaultdict(lambda: defaultdict(list))
    for r in vocab.relations:
        s, o = vocab.concepts[r.subject], vocab.concepts[r.object]
        near[s.iri][o.type].append(o)
        near[o.iri][s.type].append(s)
    return near


# --- planning the site ------------------------------------------------------------------------------


@dataclass
class Page:
    """One planned article: what it is about, its file, and whom it links to."""

    index: int
    topic: Concept
    partner: Concept
    title: str
    slug: str
    folder: str
    fmt: str
    orphan: bool = False
    old_slug: str = ""
    draft: bool = False
    noindex: bool = False
    body: list[int] = field(default_factory=list)
    related: list[int] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)
    external: bool = False

    @property
    def path(self) -> str:
        return f"{self.folder}/{self.slug}.{self.fmt}"


def slugify(text: str) -> str:
    """Lower-case words joined by hyphens.

    >>> slugify("Can You Take Ibuprofen With GIP/GLP-1?")
    'can-you-take-ibuprofen-with-gip-glp-1'
    """
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def titlecase(text: str) -> str:
    """Capitalise words except short joining words; words with capitals (GERD, Advil) stay as written."""
    words = text.split(" ")
    out = []
    for i, w in enumerate(words):
        keep = w != w.lower() or (i and w in SMALL_WORDS)
        out.append(w if keep else w[:1].upper() + w[1:])
    return " ".join(out)


V = TypeVar("V")


def _weighted(rng: random.Random, table: Sequence[tuple[V, float]]) -> V:
    """One value of a (value, share) table."""
    roll, total = rng.random(), 0.0
    for value, share in table:
        total += share
        if roll < total:
            return value
    return table[-1][0]


def _title(rng: random.Random, topic: Concept, partner: Concept, qualify: bool) -> str:
    template = rng.choice(TITLES[topic.type])
    title = template.replace("{T}", titlecase(topic.label)).replace("{P}", titlecase(partner.label))
    if qualify:
        qualifier = rng.choice(QUALIFIERS)
        title = f"{title[:-1]} {qualifier}?" if title.endswith("?") else f"{title} {qualifier}"
    return title


def _unique_title(rng: random.Random, topic: Concept, partner: Concept, taken: set[str]) -> tuple[str, str]:
    """A title whose slug is new; after a few clashes a part number makes it unique."""
    for attempt in range(6):
        title = _title(rng, topic, partner, qualify=attempt > 0 or rng.random() < 0.25)
        if slugify(title) not in taken:
            return title, slugify(title)
    n = 2
    while f"{slugify(title)}-part-{n}" in taken:
        n += 1
    return f"{title} (Part {n})", f"{slugify(title)}-part-{n}"


def plan_pages(n: int, lex: Lexicon, rng: random.Random) -> list[Page]:
    """Titles, slugs, formats and flags of every article, in publication order."""
    pages: list[Page] = []
    taken: set[str] = set()
    for i in range(n):
        kind = _weighted(rng, TOPIC_TYPES)
        topic = lex.topics[kind].draw(rng)
        partner = lex.pick(PARTNER[topic.type], topic, rng)
        title, slug = _unique_title(rng, topic, partner, taken)
        taken.add(slug)
        fmt = _weighted(rng, FORMATS) if i else "md"
        page = Page(i, topic, partner, title, slug, FOLDERS[topic.type], fmt)
        page.draft = fmt == "md" and rng.random() < 0.01
        page.noindex = fmt == "html" and rng.random() < 0.02
        page.old_slug = f"{slug}-guide" if fmt == "md" and rng.random() < REDIRECT_SHARE else ""
        page.external = fmt != "txt" and rng.random() < EXTERNAL_SHARE
        pages.append(page)
    _mark_orphans(pages, rng)
    return pages


def _mark_orphans(pages: list[Page], rng: random.Random) -> None:
    """About 3% of pages (at least one once there are two) that nothing links to."""
    if len(pages) < 2:
        return
    count = max(1, round(ORPHAN_SHARE * len(pages)))
    for i in rng.sample(range(1, len(pages)), min(count, len(pages) - 1)):
        pages[i].orphan = True


def plan_links(pages: list[Page], rng: random.Random) -> None:
    """Body links by preferential attachment, related blocks by shared topic, plus broken hrefs."""
    urn: list[int] = []  # each linkable page once, plus once per inlink: a draw favours popular pages
    for page in pages:
        if urn:
            page.body = _attach(urn, rng, _link_count(rng))
        urn.extend(page.body)
        if not page.orphan:
            urn.append(page.index)
    _related_blocks(pages, rng)
    _adopt_strays(pages, rng)
    _broken_links(pages, rng)


def _link_count(rng: random.Random) -> int:
    """Body links per article: a few have none, most have two to five, some many more."""
    return min(int(rng.paretovariate(1.6)) + rng.choice((0, 1, 2, 3)), 15)


def _attach(urn: Sequence[int], rng: random.Random, k: int) -> list[int]:
    chosen: list[int] = []
    for _ in range(k * 2):
        target = urn[rng.randrange(len(urn))]
        if target not in chosen:
            chosen.append(target)
        if len(chosen) == k:
            break
    return chosen


def _related_blocks(pages: list[Page], rng: random.Random) -> None:
    """Up to three pages on the same topic (its first page and its neighbours), else popular ones."""
    groups: dict[str, list[int]] = defaultdict(list)
    for p in pages:
        if not p.orphan:
            groups[p.topic.iri].append(p.index)
    popular = [p.index for p in pages[:HUBS * 3] if not p.orphan]
    for p in pages:
        if rng.random() < NO_RELATED_SHARE:
            continue
        group = groups[p.topic.iri]
        at = group.index(p.index) if p.index in group else 0
        near = [*group[:1], *group[max(0, at - 1) : at + 2]]
        fill = rng.sample(popular, min(2, len(popular)))
        p.related = [i for i in dict.fromkeys([*near, *fill]) if i != p.index][:3]


def _adopt_strays(pages: list[Page], rng: random.Random) -> None:
    """A page nothing links to gets one body link from a random page, so only planned orphans stay orphans."""
    linked = {t for p in pages for t in (*p.body, *p.related)}
    for page in pages:
        if page.orphan or page.index in linked or len(pages) < 2:
            continue
        source = pages[rng.randrange(len(pages))]
        while source.index == page.index:
            source = pages[rng.randrange(len(pages))]
        source.body.append(page.index)


def _broken_links(pages: list[Page], rng: random.Random) -> None:
    """Some hrefs point at pages that do not exist: a typo in a slug, or a retired article."""
    for p in pages:
        if p.fmt == "txt":
            continue
        for target in p.body:
            if rng.random() < BROKEN_SHARE:
                p.broken.append(_broken_slug(pages[target].slug, rng))
    if len(pages) > 1 and not any(p.broken for p in pages):
        carrier = next((p for p in pages if p.fmt != "txt"), pages[0])
        carrier.broken.append(_broken_slug(pages[-1].slug, rng))


def _broken_slug(slug: str, rng: random.Random) -> str:
    if rng.random() < 0.5 and len(slug) > 4:
        cut = rng.randrange(1, len(slug) - 1)
        return slug[:cut] + slug[cut + 1 :]
    return f"{slug}-archived-{rng.randrange(100, 999)}"


_SLOT = re.compile(r"\{([A-Z])\}")


# --- composing one article ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Linked:
    """A sentence holding one link: text before, the anchor, the href, text after."""

    before: str
    anchor: str
    href: str
    after: str


Sentence = str | Linked
Paragraph = list[Sentence]


@dataclass
class Doc:
    """One article's content, independent of the format it will be written in."""

    page: Page
    description: str
    author: str
    published: date
    updated: date | None
    lead: Paragraph
    key_points: list[str]
    sections: list[tuple[str, list[Paragraph]]]
    table: list[tuple[str, str, str]]
    faq: list[tuple[str, str]]
    related: list[Page]
    missing_related: list[str]


class Composer:
    """Fills templates for one article with its own seeded generator."""

    def __init__(self, page: Page, pages: Sequence[Page], lex: Lexicon, seed: int) -> None:
        self.page, self.pages, self.lex = page, pages, lex
        self.rng = random.Random(f"{seed}:{page.index}")
        self.slots: dict[str, Callable[[], str]] = {
            "T": lambda: self._surface(page.topic), "P": lambda: self._surface(page.partner),
            "S": lambda: self._draw(T.SYMPTOM), "C": lambda: self._draw(T.CONDITION),
            "D": lambda: self._draw(T.DRUG), "K": lambda: self._draw(T.DRUG_CLASS),
            "X": lambda: self._draw(self.rng.choice((T.THERAPY, T.PROCEDURE))),
            "R": lambda: self._draw(T.RISK_FACTOR),
        }

    def _surface(self, concept: Concept) -> str:
        """The preferred label most of the time, else one of the other labels."""
        if concept.labels and self.rng.random() < 0.25:
            return self.rng.choice(concept.labels)
        return concept.label

    def _draw(self, kind: ConceptType) -> str:
        return self._surface(self.lex.pick(kind, self.page.topic, self.rng))

    def fill(self, template: str) -> str:
        """Each {X} slot replaced by a fresh concept surface; a sentence starts with a capital."""
        used: set[str] = set()
        text = _SLOT.sub(lambda m: self._fresh(m.group(1), used), template)
        return text[:1].upper() + text[1:]

    def _fresh(self, slot: str, used: set[str]) -> str:
        """A surface not yet used in this sentence ('compare X with X' reads wrong); one retry."""
        surface = self.slots[slot]()
        if surface in used:
            surface = self.slots[slot]()
        used.add(surface)
        return surface

    def paragraph(self, low: int, high: int) -> Paragraph:
        return [self.fill(self.rng.choice(SENTENCES)) for _ in range(self.rng.randint(low, high))]

    def compose(self) -> Doc:
        """The whole article: metadata, lead, key points, sections, table, FAQ, related block, links."""
        rng = self.rng
        published = EPOCH + timedelta(days=rng.randrange(2500))
        updated = published + timedelta(days=rng.randrange(30, 600)) if rng.random() < 0.6 else None
        doc = Doc(self.page, self.fill(f"What to know about {{T}}: {rng.choice(TEASERS).lower()}."),
                  rng.choice(AUTHORS), published, updated, self._lead(),
                  [self.fill(k) for k in rng.sample(KEY_POINTS, rng.randint(3, 4))], self._sections(),
                  self._table() if rng.random() < 0.2 else [],
                  [(self.fill(q), self.fill(a)) for q, a in rng.sample(QUESTIONS, rng.randint(0, 3))],
                  [self.pages[i] for i in self.page.related], self._missing_related())
        self._place_links(doc)
        return doc

    def _lead(self) -> Paragraph:
        opening = self.rng.choice(("a common", "a frequent", "an often misunderstood"))
        return [self.fill(f"{{T}} is {opening} topic."), *self.paragraph(1, 3)]

    def _sections(self) -> list[tuple[str, list[Paragraph]]]:
        headings = HEADINGS[self.page.topic.type]
        chosen = sorted(self.rng.sample(range(len(headings)), min(len(headings), self.rng.randint(3, 6))))
        return [(self.fill(headings[i]), [self.paragraph(2, 5) for _ in range(self.rng.randint(1, 3))])
                for i in chosen]

    def _table(self) -> list[tuple[str, str, str]]:
        return [(self.fill("{C}"), self.rng.choice(DURATIONS), self.rng.choice(WARNINGS))
                for _ in range(self.rng.randint(2, 4))]

    def _missing_related(self) -> list[str]:
        """Plain-text exports sometimes list a related title that no longer exists (unresolved)."""
        if self.page.fmt != "txt" or self.rng.random() > 0.1:
            return []
        return [titlecase(f"{self.fill('{C}')} questions answered")]

    def _place_links(self, doc: Doc) -> None:
        """Each planned link becomes one sentence appended to a random body paragraph."""
        paragraphs = [para for _, paras in doc.sections for para in paras]
        for target in self.page.body:
            paragraphs[self.rng.randrange(len(paragraphs))].append(self._link(self.pages[target]))
        for slug in self.page.broken:
            paragraphs[self.rng.randrange(len(paragraphs))].append(self._link_to(slug, self._topic_anchor()))
        if self.page.external:
            href = f"https://reference.example.org/topics/{slugify(self.page.topic.label)}"
            paragraphs[-1].append(Linked("An independent ", "overview from a reference site", href, " is also useful."))

    def _topic_anchor(self) -> str:
        return self._surface(self.page.topic)

    def _link(self, target: Page) -> Linked:
        if self.page.fmt == "txt":  # plain text keeps only the words: the title, as a recoverable mention
            before, after = self.rng.choice(LINK_SENTENCES)
            return Linked(before, normalise_anchor(target.title), "", after)
        anchor = self._anchor(target)
        slug = target.old_slug if target.old_slug and self.rng.random() < 0.5 else target.slug
        return self._link_to(slug, anchor)

    def _anchor(self, target: Page) -> str:
        roll = self.rng.random()
        if roll < 0.03:
            return self.rng.choice(GENERIC_ANCHORS)
        if roll < 0.35:
            return self._surface(target.topic)
        return target.title if self.rng.random() < 0.5 else target.title.lower()

    def _link_to(self, slug: str, anchor: str) -> Linked:
        before, after = self.rng.choice(LINK_SENTENCES)
        return Linked(before, anchor, self._href(slug), after)

    def _href(self, slug: str) -> str:
        """Mostly site-relative; some absolute, www., tracked or relative forms that resolve the same."""
        roll = self.rng.random()
        if roll < 0.80:
            return f"/articles/{slug}/"
        if roll < 0.88:
            return f"{SITE}articles/{slug}/"
        if roll < 0.94:
            return f"/articles/{slug}/?utm_source=newsletter&utm_medium=email"
        return f"http://www.healthguide.example/articles/{slug}"


def normalise_anchor(title: str) -> str:
    """A title as it reads inside a sentence: lower case, no question mark or colon."""
    return re.sub(r"[?:]", "", title).lower()


# --- writing formats -------------------------------------------------------------------------------------


def _plain(sentence: Sentence) -> str:
    if isinstance(sentence, str):
        return sentence
    return f"{sentence.before}{sentence.anchor}{sentence.after}"


def _md(sentence: Sentence) -> str:
    if isinstance(sentence, str):
        return sentence
    return f"{sentence.before}[{sentence.anchor}]({sentence.href}){sentence.after}"


def _html(sentence: Sentence) -> str:
    if isinstance(sentence, str):
        return html.escape(sentence, quote=False)
    return (f'{html.escape(sentence.before, quote=False)}<a href="{html.escape(sentence.href)}">'
            f"{html.escape(sentence.anchor, quote=False)}</a>{html.escape(sentence.after, quote=False)}")


def _yaml(text: str) -> str:
    """A double-quoted YAML scalar."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_markdown(doc: Doc) -> str:
    p = doc.page
    lines = ["---", f"title: {_yaml(p.title)}", f"description: {_yaml(doc.description)}",
             f"date: {doc.published.isoformat()}"]
    if doc.updated:
        lines.append(f"updated: {doc.updated.isoformat()}")
    lines += [f"author: {_yaml(doc.author)}", f"tags: [{_yaml(p.folder)}, {_yaml(p.topic.label)}]"]
    if p.old_slug:
        lines.append(f"redirect_from: [/articles/{p.old_slug}/]")
    if p.draft:
        lines.append("draft: true")
    lines += ["---", "", f"# {p.title}", "", " ".join(map(_md, doc.lead)), "", "## Key points", ""]
    lines += [f"- {k}." for k in doc.key_points]
    for heading, paragraphs in doc.sections:
        lines += ["", f"## {heading}"]
        for para in paragraphs:
            lines += ["", " ".join(map(_md, para))]
    lines += _md_table(doc.table) + _md_faq(doc.faq)
    if doc.related:
        lines += ["", "## Related articles", ""] + [f"- [{r.title}](/articles/{r.slug}/)" for r in doc.related]
    return "\n".join(lines) + "\n"


def _md_table(rows: Sequence[tuple[str, str, str]]) -> list[str]:
    if not rows:
        return []
    return ["", "## At a glance", "", "| " + " | ".join(TABLE_HEAD) + " |", "|---|---|---|",
            *("| " + " | ".join(r) + " |" for r in rows)]


def _md_faq(faq: Sequence[tuple[str, str]]) -> list[str]:
    if not faq:
        return []
    return ["", "## FAQ", *(line for q, a in faq for line in ("", f"**{q}**", a))]


def write_html(doc: Doc, hubs: Sequence[Page]) -> str:
    p, e = doc.page, html.escape
    head = [f"<title>{e(p.title)} | {SITE_NAME}</title>", f'<meta name="description" content="{e(doc.description)}">',
            f'<link rel="canonical" href="{SITE}articles/{p.slug}/">']
    if p.noindex:
        head.append('<meta name="robots" content="noindex">')
    nav = "".join(f'<li><a href="/articles/{h.slug}/">{e(h.title)}</a></li>' for h in hubs)
    body = [f"<h1>{e(p.title)}</h1>",
            f'<p class="byline">By {e(doc.author)} &middot; Updated <time datetime="{doc.published}">'
            f"{doc.published:%B %d, %Y}</time></p>",
            f"<p>{' '.join(map(_html, doc.lead))}</p>", "<h2>Key points</h2>",
            "<ul>" + "".join(f"<li>{e(k)}.</li>" for k in doc.key_points) + "</ul>"]
    for heading, paragraphs in doc.sections:
        body += [f"<h2>{e(heading)}</h2>", *(f"<p>{' '.join(map(_html, para))}</p>" for para in paragraphs)]
    body += _html_table(doc.table) + _html_faq(doc.faq)
    return "\n".join(["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">', *head, "</head>",
                      "<body>", f'<header class="site-header"><nav class="site-nav"><ul>{nav}</ul></nav></header>',
                      "<main>", "<article>", *body, "</article>", *_html_related(doc.related), "</main>",
                      _FOOTER, "</body>", "</html>"]) + "\n"


_FOOTER = ('<footer class="site-footer"><p>For general information only.</p><ul>'
           '<li><a href="/about/">About us</a></li><li><a href="/privacy/">Privacy</a></li>'
           '<li><a href="mailto:editor@healthguide.example">Contact</a></li></ul></footer>')


def _html_table(rows: Sequence[tuple[str, str, str]]) -> list[str]:
    if not rows:
        return []
    cells = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    head = "".join(f"<th>{h}</th>" for h in TABLE_HEAD)
    return ["<h2>At a glance</h2>", f"<table><thead><tr>{head}</tr></thead><tbody>{cells}</tbody></table>"]


def _html_faq(faq: Sequence[tuple[str, str]]) -> list[str]:
    if not faq:
        return []
    return ["<h2>FAQ</h2>", *(f"<h3>{html.escape(q)}</h3>\n<p>{html.escape(a)}</p>" for q, a in faq)]


def _html_related(related: Sequence[Page]) -> list[str]:
    if not related:
        return []
    items = "".join(f'<li><a href="/articles/{r.slug}/">{html.escape(r.title)}</a></li>' for r in related)
    return ['<aside class="related">', "<h2>Related articles</h2>", f"<ul>{items}</ul>", "</aside>"]


def write_text(doc: Doc) -> str:
    """Shaped like a copy-pasted page: bullets with blank lines, glued FAQ answers, 'Read More' entries."""
    blocks = [doc.page.title, "Key Takeaways", *(f"  • {k}" for k in doc.key_points),
              " ".join(map(_plain, doc.lead))]
    for heading, paragraphs in doc.sections:
        blocks += [titlecase(heading), *(" ".join(map(_plain, para)) for para in paragraphs)]
    if doc.table:
        blocks += ["At a Glance", *TABLE_HEAD, *(c for row in doc.table for c in row)]
    if doc.faq:
        blocks += ["FAQs", *(f"Q: {q}{a}" for q, a in doc.faq)]
    titles = [r.title for r in doc.related] + doc.missing_related
    if titles:
        blocks.append("Related Articles")
        for title in titles:
            blocks += [title, f"{rng_teaser(title)} [...]", "Read More"]
    return "\n\n".join(blocks) + "\n"


def rng_teaser(title: str) -> str:
    """A teaser line that depends only on the title, so the same entry always reads the same."""
    return TEASERS[sum(map(ord, title)) % len(TEASERS)]


def render(doc: Doc, hubs: Sequence[Page]) -> str:
    if doc.page.fmt == "html":
        return write_html(doc, hubs)
    if doc.page.fmt == "txt":
        return write_text(doc)
    return write_markdown(doc)


# --- entry points ------------------------------------------------------------------------------------------


def config_text(pages: Sequence[Page]) -> str:
    return (f'# Synthetic corpus written by scripts/make_corpus.py ({len(pages)} articles).\n'
            f'site_url = "{SITE}"\nurl_pattern = "/articles/{{slug}}/"\n'
            f'start_pages = ["/articles/{pages[0].slug}/"]\n')


def make_corpus(n: int, out: Path, seed: int = 1, vocab: Vocabulary | None = None) -> list[Path]:
    """Write N articles and a linkgraph.toml into OUT (created if missing); returns the article paths."""
    if n < 1:
        raise ValueError("a corpus needs at least one article")
    rng = random.Random(seed)
    lex = lexicon(vocab or load(), rng)
    pages = plan_pages(n, lex, rng)
    plan_links(pages, rng)
    hubs = [p for p in pages if not p.orphan][:HUBS]
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for folder in sorted({p.folder for p in pages}):
        (out / folder).mkdir(exist_ok=True)
    for page in pages:
        text = render(Composer(page, pages, lex, seed).compose(), hubs)
        path = out / page.path
        path.write_text(text, encoding="utf-8", newline="\n")
        written.append(path)
    (out / "linkgraph.toml").write_text(config_text(pages), encoding="utf-8", newline="\n")
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="number of articles")
    parser.add_argument("out", type=Path, help="folder to write into")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("N must be at least 1")
    clock = time.perf_counter()
    paths = make_corpus(args.n, args.out, args.seed)
    size = sum(p.stat().st_size for p in paths)
    print(f"{len(paths)} articles, {size / 1e6:.1f} MB in {args.out} ({time.perf_counter() - clock:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
