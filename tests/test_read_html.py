"""The HTML reader: metadata, main-content detection, link kinds and text extraction."""

from __future__ import annotations

from datetime import date

import pytest

from graph.errors import ArticleError
from graph.ingest.html import read, strip_site_suffix
from graph.records import Link, LinkKind

PAGE = """<!doctype html>
<html><head>
  <title>Shin Splints – Runners Clinic</title>
  <meta name="Description" content="Why the front of the shin aches after running.">
  <meta name="robots" content="NOINDEX, follow">
  <meta name="author" content="Ines Varga, PT">
  <meta property="article:published_time" content="2024-06-01T09:00:00+02:00">
  <meta property="article:modified_time" content="2025-02-14">
  <link rel="stylesheet" href="/s.css">
  <link rel="canonical" href="https://runclinic.example/guides/shin-splints/">
  <style>p { color: red } .x::after { content: "style words" }</style>
</head><body>
  <header><a href="/">Runners Clinic</a></header>
  <nav><a href="/guides/">All guides</a></nav>
  <div class="breadcrumbs"><a href="/guides/legs/">Legs</a></div>
  <main>
    <article>
      <h1>Shin Splints</h1>
      <p>Shin splints cause pain along the tibia. They are common in new runners.</p>
      <h2>Causes</h2>
      <p>Doing too much too soon is the main cause. Worn shoes and
         <a href="/guides/flat-feet/">flat <em>feet</em></a> add strain. Rest helps.</p>
      <ul><li>Hard surfaces raise the load.</li><li>See <a href="/guides/cadence/">cadence tips</a>.</li></ul>
      <h3>In teenagers</h3>
      <p>Growth spurts <a href="/guides/growth/">change the picture</a> a little.</p>
      <script>var promo = '<a href="/guides/secret/">Secret deal</a> buy now';</script>
      <noscript><a href="/guides/noscript/">Enable scripts</a></noscript>
      <template><p>Template text <a href="/guides/tpl/">tpl</a></p></template>
    </article>
    <aside class="sidebar">
      <h2>See also</h2>
      <ul><li><a href="/guides/stress-fracture/">Stress fracture</a> feels sharper.</li></ul>
    </aside>
  </main>
  <div class="widget"><a href="/newsletter/">Newsletter</a></div>
  <footer><p>Clinic info text.</p><a href="/privacy/">Privacy</a></footer>
</body></html>
"""


def links_by_href(html: str) -> dict[str, Link]:
    return {link.href: link for link in read("page.html", html).links}


def test_head_metadata_is_read() -> None:
    a = read("guides/Shin-Splints.html", PAGE)
    assert (a.slug, a.format, a.title) == ("shin-splints", "html", "Shin Splints")
    assert a.canonical == a.url == "https://runclinic.example/guides/shin-splints/"
    assert a.description == "Why the front of the shin aches after running."
    assert a.noindex is True
    assert a.author == "Ines Varga, PT"
    assert (a.published, a.updated) == (date(2024, 6, 1), date(2025, 2, 14))


def test_header_nav_breadcrumb_footer_and_stray_links_are_nav() -> None:
    links = links_by_href(PAGE)
    for href in ("/", "/guides/", "/guides/legs/", "/privacy/", "/newsletter/"):
        assert links[href].kind is LinkKind.NAV, href
        assert (links[href].section, links[href].sentence) == ("nav", "")


def test_body_links_have_anchor_section_and_sentence() -> None:
    links = links_by_href(PAGE)
    feet = links["/guides/flat-feet/"]
    assert (feet.kind, feet.anchor, feet.section) == (LinkKind.BODY, "flat feet", "Causes")
    assert feet.sentence == "Worn shoes and flat feet add strain."
    cadence = links["/guides/cadence/"]
    assert (cadence.sentence, cadence.section) == ("See cadence tips.", "Causes")
    assert links["/guides/growth/"].section == "In teenagers"


def test_aside_with_see_also_heading_is_related_and_not_article_text() -> None:
    a = read("page.html", PAGE)
    fracture = next(link for link in a.links if link.href == "/guides/stress-fracture/")
    assert fracture.kind is LinkKind.RELATED
    assert fracture.section == "See also"
    assert fracture.anchor == "Stress fracture"
    assert "feels sharper" not in a.text
    assert "See also" not in [s.heading for s in a.sections]


def test_related_class_without_heading_is_related() -> None:
    html = "<main><p>Body text here.</p></main><div class='related-posts'><a href='/r/'>R</a></div>"
    link = links_by_href(html)["/r/"]
    assert (link.kind, link.section) == (LinkKind.RELATED, "")


def test_script_style_noscript_and_template_produce_nothing() -> None:
    a = read("page.html", PAGE)
    hrefs = {link.href for link in a.links}
    assert hrefs.isdisjoint({"/guides/secret/", "/guides/noscript/", "/guides/tpl/"})
    assert "Secret" not in a.text and "style words" not in a.text
    assert "Template text" not in a.text and "Enable scripts" not in a.text


def test_sections_paragraphs_and_h1_handling() -> None:
    a = read("page.html", PAGE)
    assert [(s.heading, s.level) for s in a.sections] == [
        ("", 1),
        ("Causes", 2),
        ("In teenagers", 3),
    ]
    assert a.sections[0].paragraphs == (
        "Shin splints cause pain along the tibia. They are common in new runners.",
    )
    assert a.sections[1].paragraphs == (
        "Doing too much too soon is the main cause. Worn shoes and flat feet add strain. Rest helps.",
        "Hard surfaces raise the load.",
        "See cadence tips.",
    )
    assert "Clinic info text" not in a.text


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Shin Splints | Runners Clinic", "Shin Splints"),
        ("Shin Splints - Runners Clinic", "Shin Splints"),
        ("Shin Splints – Runners Clinic", "Shin Splints"),
        ("Ice - or heat? | Clinic", "Ice - or heat?"),
        ("COVID-19 basics", "COVID-19 basics"),
    ],
)
def test_title_suffix_is_stripped(raw: str, clean: str) -> None:
    assert strip_site_suffix(raw) == clean


def test_title_falls_back_to_head_title_without_h1() -> None:
    html = "<title>Calf Cramps | Runners Clinic</title><main><p>Cramps strike at night.</p></main>"
    assert read("calf.html", html).title == "Calf Cramps"


def test_densest_block_is_main_content_when_no_main_or_article() -> None:
    html = """<html><body>
      <div id="top"><a href="/home/">Home</a><p>Short promo.</p></div>
      <div id="wrap"><h1>Plantar Fasciitis</h1>
        <div class="post">
          <p>Heel pain on the first steps of the morning is typical of this condition.</p>
          <h2>Care</h2>
          <p>Stretching the calf and the arch eases it; <a href="/guides/insoles/">insoles</a> help.</p>
          <p>Most cases settle within a year with simple care and patience.</p>
        </div>
      </div>
      <div class="side"><p>Tiny.</p><a href="/shop/">Shop</a></div>
    </body></html>"""
    a = read("plantar.html", html)
    assert a.title == "Plantar Fasciitis"
    assert [s.heading for s in a.sections] == ["", "Care"]
    assert "Short promo." not in a.text and "Tiny." not in a.text
    links = {link.href: link for link in a.links}
    assert links["/guides/insoles/"].kind is LinkKind.BODY
    assert links["/guides/insoles/"].section == "Care"
    assert links["/home/"].kind is links["/shop/"].kind is LinkKind.NAV


def test_menu_class_inside_main_is_nav_and_its_text_is_skipped() -> None:
    html = "<main><ul class='toc-menu'><li><a href='#a'>Jump</a></li></ul><p>Real text.</p></main>"
    a = read("m.html", html)
    assert a.links[0].kind is LinkKind.NAV
    assert a.text == "Real text."


def test_related_heading_inside_main_content_marks_links_related() -> None:
    html = "<main><p>Lead text.</p><h2>Read next</h2><ul><li><a href='/n/'>Next</a></li></ul></main>"
    link = read("r.html", html).links[0]
    assert (link.kind, link.section, link.sentence) == (LinkKind.RELATED, "Read next", "Next")


def test_byline_gives_author_and_time_gives_updated_date() -> None:
    html = """<main><h1>Gout</h1>
      <p class="byline">By Sam Ode, MD &middot; Updated <time datetime="2025-03-04">March 4</time></p>
      <p>Gout flares hit the big toe.</p></main>"""
    a = read("gout.html", html)
    assert a.author == "Sam Ode, MD"
    assert a.updated == date(2025, 3, 4) and a.published is None
    assert a.text == "Gout flares hit the big toe."


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   \n", "empty"),
        ("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("<html><head><title>T</title></head><body><nav><a href='/'>x</a></nav></body></html>", "no article text"),
        ("<html><body><script>document.write('words')</script></body></html>", "no article text"),
    ],
)
def test_unusable_documents_raise_article_error(text: str, reason: str) -> None:
    with pytest.raises(ArticleError, match=reason):
        read("bad.html", text)
