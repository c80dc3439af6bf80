"""The Markdown reader: front matter, sections, links and the errors for unusable files."""

from __future__ import annotations

from datetime import date

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from graph.errors import ArticleError
from graph.ingest.markdown import (
    _MD,
    _SIMPLE_YAML,
    _DatesAsText,
    _FastDatesAsText,
    _flatten,
    _inline,
    read,
    read_noted,
)
from graph.records import LinkKind

ARTICLE = """\
---
title: Knee Bursitis
slug: knee-bursitis
canonical: https://clinic.example/guides/knee-bursitis/
date: 2024-03-02
updated: "2025-01-20T08:30:00Z"
reviewed: 2024-02-30
author: Ola Brandt, MD
description: >
  Why the small fluid sacs
  around the knee swell.
tags: [knees, joints]
aliases: Housemaid's knee
redirect_from: [/old/bursitis/, /knee-swelling/]
draft: false
noindex: yes
---

# Knee Bursitis

Kneeling on hard floors irritates the bursa. Swelling follows within days.

## Causes

Repeated pressure is the usual trigger. Gardeners and tilers often get it, see
[occupational knee pain](/guides/work-knees/) for more. *Infection* is rarer.

- Rest the joint for a week.
- Ask about [ice packs](/guides/ice/ "Ice") and `elevation`.

```
code that mentions [not a link](/nope/)
```

## Related reading

- [Knee sprain](/guides/knee-sprain/)
- <https://other.example/knees>
"""


def test_front_matter_fields_are_read() -> None:
    a = read("guides/Knee-Bursitis.md", ARTICLE)
    assert (a.title, a.slug, a.format) == ("Knee Bursitis", "knee-bursitis", "md")
    assert a.canonical == a.url == "https://clinic.example/guides/knee-bursitis/"
    assert a.author == "Ola Brandt, MD"
    assert a.description == "Why the small fluid sacs around the knee swell."
    assert a.tags == ("knees", "joints")
    assert a.aliases == ("Housemaid's knee",)
    assert a.redirect_from == ("/old/bursitis/", "/knee-swelling/")
    assert (a.draft, a.noindex) == (False, True)


def test_dates_from_yaml_dates_and_iso_strings_and_impossible_dates_are_dropped() -> None:
    a = read("k.md", ARTICLE)
    assert a.published == date(2024, 3, 2)
    assert a.updated == date(2025, 1, 20)
    assert a.reviewed is None  # February 30th: that field is ignored, the article still reads


def test_slug_falls_back_to_lowercased_stem_and_url_stays_empty() -> None:
    a = read("notes/Heel-Spurs.md", "A spur grows on the heel bone.")
    assert a.slug == "heel-spurs"
    assert a.url == "" and a.canonical is None
    assert a.title == "heel-spurs"  # no title and no H1: the slug


def test_url_field_wins_over_canonical() -> None:
    text = "---\nurl: /guides/x/\ncanonical: https://c.example/x/\n---\nSome text here."
    a = read("x.md", text)
    assert (a.url, a.canonical) == ("/guides/x/", "https://c.example/x/")


def test_h1_equal_to_title_is_not_a_section_and_lead_keeps_its_text() -> None:
    a = read("k.md", ARTICLE)
    headings = [s.heading for s in a.sections]
    assert headings == ["", "Causes", "Related reading"]
    assert a.sections[0].paragraphs == (
        "Kneeling on hard floors irritates the bursa. Swelling follows within days.",
    )


def test_h1_gives_the_title_when_front_matter_has_none() -> None:
    a = read("t.md", "Lead words.\n\n# Tennis   Elbow\n\nThe tendon is sore.\n")
    assert a.title == "Tennis Elbow"
    assert [s.heading for s in a.sections] == [""]
    assert a.sections[0].paragraphs == ("Lead words.", "The tendon is sore.")


def test_h1_different_from_the_title_starts_a_level_1_section() -> None:
    a = read("t.md", "---\ntitle: Elbow pain\n---\n# Tennis elbow\n\nIt aches.\n\n## Care\n\nRest.")
    assert [(s.heading, s.level) for s in a.sections] == [("Tennis elbow", 1), ("Care", 2)]


def test_paragraphs_strip_markup_split_list_items_and_skip_code() -> None:
    causes = read("k.md", ARTICLE).sections[1]
    assert causes.paragraphs == (
        "Repeated pressure is the usual trigger. Gardeners and tilers often get it, see "
        "occupational knee pain for more. Infection is rarer.",
        "Rest the joint for a week.",
        "Ask about ice packs and elevation.",
    )
    assert "not a link" not in read("k.md", ARTICLE).text


def test_body_link_has_anchor_section_and_sentence() -> None:
    links = read("k.md", ARTICLE).links
    work = next(link for link in links if link.href == "/guides/work-knees/")
    assert work.anchor == "occupational knee pain"
    assert work.section == "Causes"
    assert work.sentence == "Gardeners and tilers often get it, see occupational knee pain for more."
    assert work.kind is LinkKind.BODY
    assert work.target is None  # readers never resolve
    ice = next(link for link in links if link.href == "/guides/ice/")
    assert (ice.anchor, ice.sentence) == ("ice packs", "Ask about ice packs and elevation.")


def test_links_under_a_related_heading_are_related_and_autolinks_count() -> None:
    links = read("k.md", ARTICLE).links
    related = [(link.href, link.anchor, link.section) for link in links if link.kind is LinkKind.RELATED]
    assert related == [
        ("/guides/knee-sprain/", "Knee sprain", "Related reading"),
        ("https://other.example/knees", "https://other.example/knees", "Related reading"),
    ]
    assert "/nope/" not in [link.href for link in links]


def test_subheading_under_see_also_stays_related() -> None:
    text = "Intro text.\n\n## See also\n\n### Joints\n\n- [Hip](/hip/)\n\n## Care\n\n[Ice](/ice/) helps."
    kinds = {link.href: (link.kind, link.section) for link in read("s.md", text).links}
    assert kinds["/hip/"] == (LinkKind.RELATED, "Joints")
    assert kinds["/ice/"] == (LinkKind.BODY, "Care")


def test_images_are_not_links_but_a_linked_image_uses_its_alt() -> None:
    text = "Look: ![x-ray](/img/knee.png) and [![knee diagram](/img/d.png)](/diagram/) here."
    links = read("i.md", text).links
    assert [(link.href, link.anchor) for link in links] == [("/diagram/", "knee diagram")]


def test_lead_links_have_empty_section() -> None:
    link = read("l.md", "Start with [basics](/basics/). Then rest.").links[0]
    assert (link.section, link.sentence) == ("", "Start with basics.")


def test_table_rows_are_paragraphs_and_their_links_are_kept() -> None:
    text = "Intro.\n\n| Grade | Guide |\n|---|---|\n| 1 | [mild](/mild/) strain |\n"
    a = read("t.md", text)
    assert a.sections[0].paragraphs == ("Intro.", "Grade | Guide", "1 | mild strain")
    assert a.links[0].anchor == "mild" and a.links[0].sentence == "1 | mild strain"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("---\ntitle: a\nauthor: b: c\n---\nBody text.", "not valid YAML at line 3"),
        ("---\ntitle: [unclosed\n---\nBody text.", "not valid YAML"),
        ('---\ntitle: "open quote\ntags: [a\n---\nBody.', "not valid YAML"),
        ("---\n- just\n- a list\n---\nBody text.", "not a mapping"),
        ("---\nplain words\n---\nBody text.", "not a mapping"),
        ("---\ntitle: x\nno closing line\n", "not closed"),
        ("", "empty"),
        ("  \n\n", "empty"),
        ("---\ntitle: Only metadata\n---\n", "no article text"),
        ("# Just a heading\n\n```\ncode only\n```\n", "no article text"),
        ("PNG\x00\x00\x1a binary", "binary"),
    ],
)
def test_unusable_files_raise_article_error_with_one_line_reason(text: str, reason: str) -> None:
    with pytest.raises(ArticleError) as info:
        read("bad.md", text)
    message = str(info.value)
    assert reason in message
    assert "\n" not in message and "Traceback" not in message


def test_yaml_is_loaded_safely() -> None:
    text = "---\ntitle: !!python/object/apply:os.system ['echo hacked']\n---\nBody text."
    with pytest.raises(ArticleError):
        read("evil.md", text)


def test_crlf_and_bom_are_accepted() -> None:
    a = read("w.md", "\ufeff---\r\ntitle: Windows file\r\n---\r\nLine one.\r\n")
    assert a.title == "Windows file"
    assert a.sections[0].paragraphs == ("Line one.",)


# --- fast paths: libyaml front matter, skipped inline parses -----------------------------------
# Each fast path must give exactly what the pure-Python / full-parse path gives.

_WORDS = st.sampled_from(["Knee", "2024-03-02", "2024-02-30", "yes", "on", "null", "~", "12", "0x1F",
                          "1e5", ".inf", "1:20", "a:b", "what's", "/guides/x/", "(rare)", "é", "中",
                          "?", "%", "-", "'", "’", "$5", "+3", "x_y", "www.a.example", "#", "!"])
_SCALAR = st.lists(_WORDS, min_size=1, max_size=4).map(" ".join)
_VALUE = st.one_of(
    _SCALAR,
    _SCALAR.map(lambda s: f'"{s}"'),
    st.lists(st.one_of(_SCALAR, _SCALAR.map(lambda s: f'"{s}"')), max_size=3).map(
        lambda items: "[" + ", ".join(items) + "]"),
    st.lists(_SCALAR, min_size=1, max_size=3).map(lambda items: "".join(f"\n  - {i}" for i in items)),
)
_FRONT_MATTER = st.lists(
    st.tuples(st.sampled_from(["title", "tags", "date", "author", "on", "x-y"]), _VALUE),
    min_size=1, max_size=5,
).map(lambda pairs: "\n" + "".join(f"{k}: {v}\n" for k, v in pairs))


@settings(max_examples=300, deadline=None)
@given(_FRONT_MATTER)
def test_libyaml_front_matter_builds_what_pure_python_builds(raw: str) -> None:
    try:
        expected = ("ok", yaml.load(raw, Loader=_DatesAsText))
    except yaml.YAMLError:
        expected = ("error", None)
    if not _SIMPLE_YAML.fullmatch(raw):
        return  # outside the subset libyaml is trusted with
    try:
        fast = ("ok", yaml.load(raw, Loader=_FastDatesAsText))
    except yaml.YAMLError:
        return  # a libyaml failure falls back to the pure-Python path
    assert fast == expected


@pytest.mark.parametrize("raw", ["title: \t\n", "title: !\n", "title: |#x\n", "tags: [a?b]\n",
                                 "title: a # note\n", "\ufefftitle: a\n", "a: &x 1\nb: *x\n"])
def test_front_matter_where_libyaml_differs_takes_the_pure_python_path(raw: str) -> None:
    assert not _SIMPLE_YAML.fullmatch(raw)


def test_tab_front_matter_keeps_the_pure_python_verdict() -> None:
    # libyaml would read this as an empty title; PyYAML refuses it, and so must the reader.
    with pytest.raises(ArticleError, match="cannot start any token"):
        read("a.md", "---\ntitle: \t\n---\nKnees ache.\n")


def test_libyaml_failure_reports_the_pure_python_reason() -> None:
    text = "---\ntitle: Knees\nsize: " + "9" * 5000 + "\n---\nKnees ache.\n"
    with pytest.raises(ArticleError, match="unusable value: Exceeds the limit"):
        read("a.md", text)


def test_simple_front_matter_keeps_dates_as_text() -> None:
    text = '---\ntitle: "Knees: a guide"\ndate: 2024-02-30\nupdated: 2024-03-02\ntags: [knees, "joints"]\n---\nKnees ache.\n'
    article, notes = read_noted("a.md", text)
    assert (article.title, article.published, article.updated) == ("Knees: a guide", None, date(2024, 3, 2))
    assert article.tags == ("knees", "joints")
    assert notes == ("front matter 'date' is not a date (YYYY-MM-DD): '2024-02-30'; ignored",)


_REFERENCE_MD = MarkdownIt("commonmark").enable("table")
_INLINE_CHARS = st.sampled_from([*"ab .?-:#+=>@^{}~|\n*_`[]()!<&\\", "  \n", "\t", "\xa0", "\u2003",
                                 "[x](/y)", "<a href='z'>", "</a>", "&amp;", "# ", "- ", "1. ", "| a |\n|---|\n"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_INLINE_CHARS, max_size=30).map("".join))
def test_inline_text_and_links_match_a_stock_markdown_it_parse(body: str) -> None:
    ours = [_inline(t) for t in _MD.parse(body) if t.type == "inline"]
    stock = [_flatten(t.children or []) for t in _REFERENCE_MD.parse(body) if t.type == "inline"]
    assert ours == stock
