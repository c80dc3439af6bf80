"""Plain-text articles (pasted or exported pages without markup) and recovery of their lost links.

A text export keeps the words of a page but drops its markup, so structure has to be guessed from
layout: the first line is the title, blocks are separated by blank lines, a short unpunctuated line
before a paragraph is a heading, and runs of short lines are a flattened table. The links are lost
too; `TitleIndex` finds them again where another article's title is quoted in a sentence.

>>> art = read("notes/Neck-Pain.txt", "Neck Pain\\n\\nCauses\\n\\nPoor sleep posture is common.")
>>> art.slug, art.title, [(s.heading, s.paragraphs) for s in art.sections]
('neck-pain', 'Neck Pain', [('Causes', ('Poor sleep posture is common.',))])
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath

import ahocorasick

from graph.errors import ArticleError
from graph.ingest.sentences import clean, split_sentences
from graph.records import Article, Link, LinkKind, Section

Block = tuple[str, ...]  # the stripped, non-empty lines between two blank lines

RELATED_SECTION = "Related Articles"
MIN_TITLE_WORDS = 3
_HEADING_CHARS, _HEADING_WORDS = 70, 10
_FINAL_PUNCTUATION = ".!?:;,"
_RELATED = re.compile(r"(related (articles?|posts?|reading)|you (may|might) also like)\s*:?", re.I)
_READ_MORE = re.compile(r"read more\W*", re.I)
_BULLET = re.compile(r"^(?:[•*]|-(?=\s))\s*")
_BLANK_LINE = re.compile(r"\n[ \t\f\v]*\n")
# "Q: Does it last?Most people..." -- an answer glued to its question mark.
_GLUED_ANSWER = re.compile(r"(?<=[a-z)])\?(?=[A-Z][a-z\s]|\d|[\"“])")
_WORD = re.compile(r"[^\W_]+(?:['’ʼ][^\W_]+)*")
_APOSTROPHES = str.maketrans("", "", "'’ʼ")
_ODD_CHAR = re.compile("[\x00-\x08\x0e-\x1f\ufffd]")  # controls but \t\n\v\f\r, and U+FFFD


def read(path: str, text: str) -> Article:
    """An Article from a plain-text page; raises ArticleError when the text is empty or binary."""
    _check(path, text)
    title, body = _split_title(text)
    blocks = _blocks(body)
    cut = _related_start(blocks)
    sections = _sections(blocks[:cut])
    if not sections:
        raise ArticleError(f"{path}: no article text under the title line")
    return Article(
        path=path,
        slug=PurePath(path).stem.lower(),
        title=title,
        format="txt",
        sections=sections,
        links=_related_links(blocks[cut + 1 :]),
    )


def _check(path: str, text: str) -> None:
    """Refuse text that cannot be an article, so one bad file never yields a blank page."""
    if "\x00" in text or _control_share(text[:4096]) > 0.1:
        raise ArticleError(f"{path}: looks like a binary file, not plain text")
    if not text.strip():
        raise ArticleError(f"{path}: the text file is empty")


def _control_share(sample: str) -> float:
    """Share of control or replacement characters: high in binary data decoded as text."""
    return len(_ODD_CHAR.findall(sample)) / max(len(sample), 1)


def _split_title(text: str) -> tuple[str, str]:
    """The first non-empty line and everything after it."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.lstrip().split("\n", 1)
    return clean(lines[0]), lines[1] if len(lines) > 1 else ""


def _blocks(body: str) -> list[Block]:
    """Blank-line separated blocks, each as its stripped non-empty lines."""
    blocks = (tuple(ln.strip() for ln in chunk.split("\n") if ln.strip()) for chunk in
              _BLANK_LINE.split(body))
    return [b for b in blocks if b]


def _is_bullet(line: str) -> bool:
    return bool(_BULLET.match(line)) and bool(_BULLET.sub("", line, count=1).strip())


def _is_short(block: Block) -> bool:
    """A heading candidate or table cell: one short line, not a bullet, no closing punctuation."""
    if len(block) != 1 or _is_bullet(block[0]):
        return False
    line = block[0]
    return (len(line) <= _HEADING_CHARS and len(line.split()) <= _HEADING_WORDS
            and line[-1] not in _FINAL_PUNCTUATION)


def _heading_indices(blocks: Sequence[Block]) -> set[int]:
    """Short blocks that end a run of one or two and come before a paragraph.

    Three or more short blocks in a row are a flattened table, so none of them is a heading.
    """
    short = [_is_short(b) for b in blocks]
    headings, i = set(), 0
    while i < len(blocks):
        end = i
        while end < len(blocks) and short[end]:
            end += 1
        if 0 < end - i < 3 and end < len(blocks):
            headings.add(end - 1)
        i = max(end, i + 1)
    return headings


def _paragraphs(block: Block) -> list[str]:
    """One paragraph per bullet, else the block's lines joined (hard-wrapped prose)."""
    paragraphs: list[list[str]] = []
    for line in block:
        if _is_bullet(line) or not paragraphs:
            paragraphs.append([])
        paragraphs[-1].append(_BULLET.sub("", line, count=1))
    return [_GLUED_ANSWER.sub("? ", clean(" ".join(p))) for p in paragraphs]


def _sections(blocks: Sequence[Block]) -> tuple[Section, ...]:
    """Sections in reading order; text before the first heading is the lead Section('')."""
    headings = _heading_indices(blocks)
    sections: list[Section] = []
    heading, paragraphs = "", list[str]()
    for i, block in enumerate(blocks):
        if i in headings:
            sections.append(Section(heading, tuple(paragraphs)))
            heading, paragraphs = block[0], []
        else:
            paragraphs.extend(_paragraphs(block))
    sections.append(Section(heading, tuple(paragraphs)))
    return tuple(s for s in sections if s.paragraphs)


def _related_start(blocks: Sequence[Block]) -> int:
    """Index of the 'Related Articles' heading block, or len(blocks) when there is none."""
    for i, block in enumerate(blocks):
        if len(block) == 1 and _RELATED.fullmatch(block[0]):
            return i
    return len(blocks)


def _related_links(blocks: Sequence[Block]) -> tuple[Link, ...]:
    """The titles of a related block; teasers and 'Read More' lines are not article text."""
    return tuple(
        Link(href="", anchor=title, kind=LinkKind.RELATED, section=RELATED_SECTION)
        for title in _related_titles(blocks)
    )


def _related_titles(blocks: Sequence[Block]) -> Iterator[str]:
    """With 'Read More' markers a title opens each entry; without them, every title line counts."""
    structured = any(_is_read_more(b) for b in blocks)
    opens_entry = True
    for block in blocks:
        if _is_read_more(block):
            opens_entry = True
            continue
        if (opens_entry or not structured) and _is_title_line(block):
            yield block[0]
        opens_entry = False


def _is_read_more(block: Block) -> bool:
    return len(block) == 1 and bool(_READ_MORE.fullmatch(block[0]))


def _is_title_line(block: Block) -> bool:
    """One line that reads like a title; a title may end in '?', a teaser ends in '.' or '[...]'."""
    line = block[0]
    return len(block) == 1 and len(line) <= 2 * _HEADING_CHARS and line[-1] not in ".!:;,]…"


# --- Lost-link recovery -------------------------------------------------------------------------


def normalise_title(s: str) -> str:
    """Words of a title or sentence, lower-cased, for comparing title text with running text.

    Hyphens and punctuation separate words; apostrophes vanish ("What's" = "whats").

    >>> normalise_title("Over-The-Counter Sleep Aid?")
    'over the counter sleep aid'
    >>> normalise_title("  What’s  causing   my back PAIN ")
    'whats causing my back pain'
    """
    return " ".join(_norm_word(m.group()) for m in _WORD.finditer(s))


def _norm_word(word: str) -> str:
    return word.translate(_APOSTROPHES).casefold()


@dataclass(frozen=True, slots=True)
class _Hit:
    """One title found in one sentence: its first word index, word count and URL."""

    first: int
    words: int
    url: str


class TitleIndex:
    """Every title of three or more words, compiled once into an Aho-Corasick automaton.

    Build it once per build and call `find` for each article: each sentence is normalised once
    and scanned in one pass, however many titles the site has.

    >>> index = TitleIndex({"Can Heartburn Make Your Back Hurt?": "https://x.example/a/heartburn/"})
    >>> lead = Section("", ("Ask whether can heartburn make your back hurt applies.",))
    >>> article = Article("p.txt", "p", "P", "txt", sections=(lead,))
    >>> [(lk.anchor, lk.href) for lk in index.find(article)]
    [('can heartburn make your back hurt', 'https://x.example/a/heartburn/')]
    """

    def __init__(self, titles: Mapping[str, str]) -> None:
        self._keys: dict[str, str] = {}
        self._automaton = ahocorasick.Automaton()
        for title, url in titles.items():
            self._add(normalise_title(title), url)
        if self._keys:
            self._automaton.make_automaton()

    def _add(self, key: str, url: str) -> None:
        """Register one title; short titles are too common in prose to mean a link."""
        words = len(key.split())
        if words >= MIN_TITLE_WORDS and key not in self._keys:
            self._keys[key] = url
            self._automaton.add_word(f" {key} ", (key, words, url))

    def __len__(self) -> int:
        return len(self._keys)

    def find(self, article: Article) -> tuple[Link, ...]:
        """Recovered body links of an article, in reading order, never to the article itself."""
        own = _own_keys(article)
        links: list[Link] = []
        for section in article.sections:
            for paragraph in section.paragraphs:
                for sentence in split_sentences(paragraph):
                    links.extend(self._links(sentence, section.heading, own, article.url))
        return tuple(links)

    def _links(self, sentence: str, heading: str, own: set[str], own_url: str) -> Iterator[Link]:
        words = list(_WORD.finditer(sentence))
        for hit in self._hits(words, own, own_url):
            anchor = sentence[words[hit.first].start() : words[hit.first + hit.words - 1].end()]
            yield Link(href=hit.url, anchor=anchor, section=heading, sentence=sentence,
                       kind=LinkKind.BODY, target=None, recovered=True)

    def _hits(self, words: list[re.Match[str]], own: set[str], own_url: str) -> list[_Hit]:
        """Non-overlapping matches, longest title first, each URL once per sentence."""
        chosen: list[_Hit] = []
        taken: set[int] = set()
        for hit in sorted(self._candidates(words, own, own_url), key=lambda h: (-h.words, h.first)):
            span = set(range(hit.first, hit.first + hit.words))
            if not span & taken and all(c.url != hit.url for c in chosen):
                chosen.append(hit)
                taken |= span
        return sorted(chosen, key=lambda h: h.first)

    def _candidates(
        self, words: list[re.Match[str]], own: set[str], own_url: str
    ) -> Iterator[_Hit]:
        """Every title occurrence on word boundaries (keys are padded with spaces)."""
        if not self._keys or len(words) < MIN_TITLE_WORDS:
            return
        normalised = [_norm_word(w.group()) for w in words]
        word_at, offset = {}, 0
        for i, word in enumerate(normalised):
            word_at[offset] = i
            offset += len(word) + 1
        for end, (key, count, url) in self._automaton.iter(" " + " ".join(normalised) + " "):
            if key not in own and url != own_url:
                yield _Hit(word_at[end - len(key) - 1], count, url)


def _own_keys(article: Article) -> set[str]:
    """The article's own title and aliases: quoting yourself is not a link."""
    return {normalise_title(t) for t in (article.title, *article.aliases)}


_LAST_INDEX: dict[frozenset[tuple[str, str]], TitleIndex] = {}


def recover_links(article: Article, titles: Mapping[str, str]) -> tuple[Link, ...]:
    """Body links recovered from anchor text: `titles` maps an article title or alias to its URL.

    Keeps the last index, so calling this per article with the same mapping builds it once.
    """
    key = frozenset(titles.items())
    if key not in _LAST_INDEX:
        _LAST_INDEX.clear()
        _LAST_INDEX[key] = TitleIndex(titles)
    return _LAST_INDEX[key].find(article)
