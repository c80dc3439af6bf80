"""CMS export readers: CSV and JSON Lines rows, WordPress WXR items, hostile XML, and whole builds."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from graph.ingest import exports, wxr
from graph.ingest.markdown import read as read_markdown
from graph.ingest.registry import read_file
from graph.ingest.resolve import resolve
from graph.ingest.urls import Site
from graph.pipeline import build
from graph.records import Article, LinkKind, LinkStatus, Skipped
from graph.settings import Settings

CSV_EXPORT = """\
URL,Title,Content,Tags,Published,Modified,Author,Draft
https://site.example/articles/shin-splints/,Shin Splints,"Shin splints ache along the inner shin bone.

## Easing it
Cut mileage for a week and read about [ankle mobility](/articles/ankle-mobility/).",\
"running, shins",2024-05-06,2024-06-01,Ines Varga,no
,Ankle Mobility,"<h2>Why it matters</h2><p>A stiff ankle shifts load to the shin. \
See <a href=""/articles/shin-splints/"">shin splints</a>.</p>",ankles,,,,yes
,,,orphaned-tag,,,,
,Plantar Fasciitis,"Heel pain is worst with the first steps of the morning.",,2024-02-30,,,
"""


def _split(items: list[Article | Skipped]) -> tuple[dict[str, Article], list[Skipped]]:
    articles = {i.path: i for i in items if isinstance(i, Article)}
    return articles, [i for i in items if isinstance(i, Skipped)]


# --- CSV ------------------------------------------------------------------------------------------


def test_csv_rows_become_markdown_and_html_articles_and_a_bad_row_is_skipped() -> None:
    articles, skipped = _split(list(exports.read_many("cms/export.csv", CSV_EXPORT)))
    assert sorted(articles) == ["cms/export.csv#row1", "cms/export.csv#row2", "cms/export.csv#row4"]
    md, page, third = articles["cms/export.csv#row1"], articles["cms/export.csv#row2"], articles["cms/export.csv#row4"]
    assert (md.format, md.slug, md.title, md.author) == ("md", "shin-splints", "Shin Splints", "Ines Varga")
    assert (md.published, md.updated, md.draft) == (date(2024, 5, 6), date(2024, 6, 1), False)
    assert md.tags == ("running", "shins")
    assert [s.heading for s in md.sections] == ["", "Easing it"]
    assert [(lk.href, lk.anchor, lk.section) for lk in md.links] == [
        ("/articles/ankle-mobility/", "ankle mobility", "Easing it")]
    assert (page.format, page.slug, page.title, page.draft, page.tags) == (
        "html", "ankle-mobility", "Ankle Mobility", True, ("ankles",))
    assert page.links[0].sentence == "See shin splints."
    assert (third.slug, third.published) == ("plantar-fasciitis", None)  # an impossible date drops only that field
    assert skipped == [Skipped("cms/export.csv#row3", "skipped", "no title and no body")]


def test_csv_without_a_body_column_is_skipped_whole() -> None:
    items = list(exports.read_many("redirects.csv", "from,to\n/a/,/b/\n/c/,/d/\n"))
    assert len(items) == 1
    assert isinstance(items[0], Skipped) and items[0].path == "redirects.csv"
    assert "no body column" in items[0].reason


def test_csv_headers_are_case_insensitive_and_semicolons_work() -> None:
    text = "TITLE;Slug;HTML;Format\nGout;gout-basics;Uric acid *crystals* form;markdown\nLupus;;<p>Joint pain.</p>;\n"
    articles, _ = _split(list(exports.read_many("x.csv", text)))
    gout, lupus = articles["x.csv#row1"], articles["x.csv#row2"]
    assert (gout.slug, gout.format, gout.text) == ("gout-basics", "md", "Uric acid crystals form")
    assert (lupus.slug, lupus.format, lupus.text) == ("lupus", "html", "Joint pain.")


def test_csv_slug_comes_from_url_then_title_then_heading() -> None:
    text = ("url,title,body\n"
            "https://site.example/guides/heel-spur/?ref=x,Heel Spurs,Bony growth.\n"
            ",Crohn’s Disease: Diet & Flares,Bowel inflammation.\n"
            ",,\"# Tennis Elbow\n\nTendon strain near the elbow.\"\n")
    articles, _ = _split(list(exports.read_many("x.csv", text)))
    assert [a.slug for a in articles.values()] == ["heel-spur", "crohns-disease-diet-flares", "tennis-elbow"]
    assert articles["x.csv#row3"].title == "Tennis Elbow"


def test_csv_bad_rows_are_reported_and_the_rest_read() -> None:
    text = ("title,body,format\n"
            "Extra,Body text,md,surplus\n"
            "Odd,Body text,docx\n"
            "Only a title,,\n"
            "Fine,Body text,\n")
    articles, skipped = _split(list(exports.read_many("x.csv", text)))
    assert list(articles) == ["x.csv#row4"]
    reasons = {s.path: s.reason for s in skipped}
    assert "4 cells but the header has 3 columns" in reasons["x.csv#row1"]
    assert "unknown format 'docx'" in reasons["x.csv#row2"]
    assert reasons["x.csv#row3"] == "empty body"


def test_csv_long_bodies_read_and_oversized_cells_are_reported_not_raised() -> None:
    long_body = "Rest eases the ache. " * 20_000  # ~420 kB, over the stdlib's 128 KiB cell limit
    articles, _ = _split(list(exports.read_many("x.csv", f"title,body\nLong,{long_body}\n")))
    assert len(articles["x.csv#row1"].text) > 400_000
    huge = "a" * (exports.CSV_FIELD_LIMIT + 10)
    items = list(exports.read_many("x.csv", f"title,body\nOk,Fine text.\nBig,{huge}\nLost,Never read.\n"))
    assert [type(i).__name__ for i in items] == ["Article", "Skipped"]
    assert items[1].path == "x.csv#row2" and "CSV parse error" in items[1].reason  # type: ignore[union-attr]


# --- JSON Lines -----------------------------------------------------------------------------------


def test_jsonl_malformed_line_is_skipped_alone() -> None:
    text = ('{"Title": "Migraine", "markdown": "Throbbing pain, often on one side.", "tags": ["head", "pain"]}\n'
            '{"title": "Broken", "body": \n'
            "\n"
            '["not", "an", "object"]\n'
            '{"title": "Numbers", "body": 42}\n'
            '{"title": "Vertigo", "content": "<p>The room spins.</p>", "draft": true, "slug": "/vertigo/"}\n')
    articles, skipped = _split(list(read_file("feed.ndjson", text)))
    assert sorted(articles) == ["feed.ndjson#line1", "feed.ndjson#line6"]
    assert articles["feed.ndjson#line1"].tags == ("head", "pain")
    vertigo = articles["feed.ndjson#line6"]
    assert (vertigo.slug, vertigo.format, vertigo.draft) == ("vertigo", "html", True)
    reasons = {s.path: s.reason for s in skipped}
    assert set(reasons) == {"feed.ndjson#line2", "feed.ndjson#line4", "feed.ndjson#line5"}
    assert reasons["feed.ndjson#line2"].startswith("not valid JSON")
    assert "list, not an object" in reasons["feed.ndjson#line4"]
    assert reasons["feed.ndjson#line5"] == "body is not text (got JSON int)"


def test_body_format_guess() -> None:
    assert exports.looks_like_html("<div>Rest</div>")
    assert exports.looks_like_html('Ice it, see <a href="/ice/">ice</a>.')
    assert not exports.looks_like_html('## Ice\nSee [ice](/ice/) or <a href="/heat/">heat</a>.')
    assert not exports.looks_like_html("Heat < cold for a stiff neck > 2 days.")


# --- WordPress WXR --------------------------------------------------------------------------------

WXR = """\
<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
     xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
  <title>Joint Clinic</title>
  <wp:wxr_version>1.2</wp:wxr_version>
  <item>
    <title>Frozen Shoulder</title>
    <link>https://site.example/articles/frozen-shoulder/</link>
    <dc:creator><![CDATA[mlarsen]]></dc:creator>
    <content:encoded><![CDATA[The shoulder capsule thickens and movement shrinks.

<h2>Treatment</h2>
<p>Gentle stretching helps, as does <a href="/articles/physiotherapy/">physiotherapy</a>.</p>
[caption id="attachment_9"]<img src="/x.jpg" alt="">A stiff shoulder[/caption]]]></content:encoded>
    <excerpt:encoded><![CDATA[Why a shoulder stiffens.]]></excerpt:encoded>
    <wp:post_id>11</wp:post_id>
    <wp:post_date>2024-09-14 08:30:00</wp:post_date>
    <wp:post_name>frozen-shoulder</wp:post_name>
    <wp:status>publish</wp:status>
    <wp:post_type>post</wp:post_type>
    <category domain="category" nicename="shoulders"><![CDATA[Shoulders]]></category>
    <category domain="category" nicename="uncategorized"><![CDATA[Uncategorized]]></category>
    <category domain="post_tag" nicename="stiffness"><![CDATA[stiffness]]></category>
    <wp:postmeta><wp:meta_key>_wp_old_slug</wp:meta_key><wp:meta_value>adhesive-capsulitis</wp:meta_value></wp:postmeta>
  </item>
  <item>
    <title>Physiotherapy</title>
    <link>https://site.example/articles/physiotherapy/</link>
    <content:encoded><![CDATA[<!-- wp:paragraph -->
<p>Guided exercise restores range of motion.</p>
<!-- /wp:paragraph -->]]></content:encoded>
    <wp:post_name>physiotherapy</wp:post_name>
    <wp:status>publish</wp:status>
    <wp:post_type>page</wp:post_type>
    <wp:postmeta>
      <wp:meta_key>_yoast_wpseo_metadesc</wp:meta_key><wp:meta_value>Exercise as therapy.</wp:meta_value>
    </wp:postmeta>
  </item>
  <item>
    <title>Bursitis Draft</title>
    <link>https://site.example/?p=13</link>
    <content:encoded><![CDATA[A swollen bursa near the joint.]]></content:encoded>
    <wp:post_date>0000-00-00 00:00:00</wp:post_date>
    <wp:post_name></wp:post_name>
    <wp:status>draft</wp:status>
    <wp:post_type>post</wp:post_type>
  </item>
  <item>
    <title>shoulder-diagram</title>
    <link>https://site.example/shoulder-diagram/</link>
    <content:encoded><![CDATA[An image of the shoulder joint.]]></content:encoded>
    <wp:status>inherit</wp:status>
    <wp:post_type>attachment</wp:post_type>
  </item>
  <item>
    <title>Old Note</title>
    <content:encoded><![CDATA[Deleted text.]]></content:encoded>
    <wp:status>trash</wp:status>
    <wp:post_type>post</wp:post_type>
  </item>
</channel>
</rss>
"""


def test_wxr_posts_pages_and_drafts_are_read_and_attachments_ignored() -> None:
    articles, skipped = _split(list(read_file("wp/export.xml", WXR)))
    assert sorted(articles) == ["wp/export.xml#item1", "wp/export.xml#item2", "wp/export.xml#item3"]
    post = articles["wp/export.xml#item1"]
    assert (post.slug, post.title, post.format, post.author) == (
        "frozen-shoulder", "Frozen Shoulder", "html", "mlarsen")
    assert (post.url, post.published, post.draft) == (
        "https://site.example/articles/frozen-shoulder/", date(2024, 9, 14), False)
    assert post.tags == ("Shoulders", "stiffness")
    assert post.description == "Why a shoulder stiffens."
    assert post.redirect_from == ("https://site.example/articles/adhesive-capsulitis/",)
    assert [s.heading for s in post.sections] == ["", "Treatment"]
    assert post.sections[0].paragraphs == ("The shoulder capsule thickens and movement shrinks.",)
    assert "caption" not in post.text
    assert [(lk.href, lk.kind) for lk in post.links] == [("/articles/physiotherapy/", LinkKind.BODY)]
    page = articles["wp/export.xml#item2"]
    assert (page.slug, page.description, page.text) == (
        "physiotherapy", "Exercise as therapy.", "Guided exercise restores range of motion.")
    draft = articles["wp/export.xml#item3"]
    assert (draft.draft, draft.slug, draft.url, draft.published) == (True, "bursitis-draft", "", None)
    assert skipped == [Skipped("wp/export.xml#item5", "skipped", "post is in the WordPress trash")]


@pytest.mark.parametrize("text", [
    '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url/></urlset>',
    '<rss version="2.0"><channel><title>Plain feed</title><item><title>x</title></item></channel></rss>',
])
def test_xml_that_is_not_wxr_gives_one_skipped_row(text: str) -> None:
    assert list(wxr.read_many("feed.xml", text)) == [
        Skipped("feed.xml", "skipped", "not a WordPress export (no <rss><channel> using the wp: export namespace)")]


def test_malformed_xml_is_skipped() -> None:
    [row] = wxr.read_many("bad.xml", "<rss><channel></rss>")
    assert isinstance(row, Skipped) and row.reason.startswith("not well-formed XML")


LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY a "hahahahahahahahahaha">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
  <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
]>
<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><item><title>&d;</title>
<content:encoded xmlns:content="http://purl.org/rss/1.0/modules/content/">&d;</content:encoded>
<wp:post_type>post</wp:post_type></item></channel></rss>
"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss xmlns:wp="http://wordpress.org/export/1.2/"
     xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><item>
<title>Leak &secret;</title><content:encoded>Body &secret; text.</content:encoded>
<wp:post_type>post</wp:post_type><wp:status>publish</wp:status></item></channel></rss>
"""
EXTERNAL_DTD = """<?xml version="1.0"?>
<!DOCTYPE rss SYSTEM "file:///etc/passwd">
<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel></channel></rss>
"""


@pytest.mark.parametrize("text", [LAUGHS, EXTERNAL, EXTERNAL_DTD], ids=["laughs", "entity", "dtd"])
def test_hostile_xml_is_refused_without_expanding_or_fetching(text: str) -> None:
    items = list(read_file("evil.xml", text))
    assert len(items) == 1 and isinstance(items[0], Skipped)
    assert items[0].path == "evil.xml"
    assert items[0].reason.startswith("refused: the XML declares a <!DOCTYPE>")
    assert "root:" not in repr(items) and "haha" not in repr(items)


# --- whole builds and redirects --------------------------------------------------------------------

SITE = 'site_url = "https://site.example/"\nurl_pattern = "/articles/{slug}/"\n'
KNEE = """---
title: Runner's Knee
---
Runner's knee is pain around the kneecap. Weak hips play a part, so see
[shin splints](/articles/shin-splints/) and [hip strength](/articles/hip-strength/).
"""
BUILD_CSV = """\
title,slug,body
Shin Splints,shin-splints,"Shin splints often follow a jump in mileage; \
compare with [runner's knee](/articles/runners-knee/)."
Hip Strength,,"<p>Strong hips steady the knee. Start with <a href=""../shin-splints/"">shin care</a>.</p>"
Broken Row,,
"""


def _report(out: Path, name: str) -> list[dict[str, str]]:
    with (out / "reports" / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_build_reads_a_csv_export_beside_markdown_files(write_corpus, tmp_path: Path) -> None:
    src = write_corpus({"runners-knee.md": KNEE, "cms/export.csv": BUILD_CSV}, SITE)
    out = tmp_path / "out"
    result = build(src, out, Settings.load(src / "linkgraph.toml"))
    assert result.articles == 3
    base = "https://site.example/articles/"
    pages = {r["url"]: r for r in _report(out, "pages.csv")}
    assert set(pages) == {f"{base}runners-knee/", f"{base}shin-splints/", f"{base}hip-strength/"}
    assert pages[f"{base}hip-strength/"]["path"] == "cms/export.csv#row2"
    links = {(r["source_url"], r["target_url"]): r["status"] for r in _report(out, "links.csv")}
    assert links == {
        (f"{base}runners-knee/", f"{base}shin-splints/"): "ok",
        (f"{base}runners-knee/", f"{base}hip-strength/"): "ok",
        (f"{base}shin-splints/", f"{base}runners-knee/"): "ok",
        (f"{base}hip-strength/", f"{base}shin-splints/"): "ok",
    }
    assert [(s["path"], s["reason"]) for s in _report(out, "skipped.csv")] == [
        ("cms/export.csv#row3", "empty body")]


def test_front_matter_redirect_turns_a_link_to_the_old_url_into_a_redirect() -> None:
    renamed = read_markdown("new-name.md", "---\ntitle: New Name\nredirect_from: [/articles/old-name/]\n---\n"
                                           "Text that moved to a better address.\n")
    linker = read_markdown("linker.md", "Still pointing at [the old page](/articles/old-name/).\n")
    corpus = resolve([renamed, linker], Site("https://site.example/", ["/articles/{slug}/"]))
    [link] = corpus.by_url()["https://site.example/articles/linker/"].links
    assert (link.status, link.target) == (LinkStatus.REDIRECT, "https://site.example/articles/new-name/")
    assert corpus.redirects == {"https://site.example/articles/old-name/": "https://site.example/articles/new-name/"}
