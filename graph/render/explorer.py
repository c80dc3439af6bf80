"""The offline explorer: one HTML file to browse pages, concepts, links and suggested links.

vis-network's JS and CSS are read from the installed pyvis package and inlined, so the page opens
from file:// and never contacts a host. Graph data travels as JSON in a non-executing script
element, escaped so that no article string can close it; the page's own script builds every
piece of text with textContent, and no node carries a vis `title` (vis renders those as HTML).
The CSP allows only the two inline scripts, by hash; a big site's page also allows scripts from
its own folder ('self'), which is how it loads the per-cluster files of its `<stem>-data/` folder.

>>> safe_json({"title": "</script><img src=x>"})
'{"title":"\\\\u003c/script\\\\u003e\\\\u003cimg src=x\\\\u003e"}'
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from graph.collector import without_gc
from graph.errors import LinkgraphError
from graph.render import overview
from graph.render.graphdata import (
    BROKEN_BORDER,
    CONCEPT_STYLES,
    EDGE_STYLES,
    ORPHAN_FILL,
    PAGE,
    PAGE_BORDER,
    counts,
    edge_styles,
    graph_data,
    safe_json,
    site_index,
)
from graph.render.layout import LayoutCache
from graph.render.view import REPORTS, ExplorerView, is_plain_name, site_host

__all__ = ["REPORTS", "ExplorerView", "LayoutCache", "Payload", "data_folder", "explorer_data", "explorer_payload",
           "render_explorer", "safe_json", "site_host", "write_explorer"]

Json = dict[str, Any]

REPORT_PAGE = "report.html"
STALE = ("cluster-*.js", overview.PAGES_FILE)  # files a previous write may have left in the data folder


@dataclass(frozen=True)
class Payload:
    """The page's data block, the files to write into its data folder, and how the page introduces itself."""

    data: Json
    files: Mapping[str, str] = field(default_factory=dict)
    caption: str = ""


def data_folder(path: Path) -> Path:
    """The folder of files that go with the explorer page at `path`: explorer.html -> explorer-data/."""
    return path.with_name(f"{path.stem}-data")


@without_gc
def write_explorer(path: Path, view: ExplorerView, layouts: LayoutCache | None = None) -> None:
    """Write the explorer page to `path` (parent folders are created), and its data files if it has any.

    `layouts` lends the node positions of graphs an earlier build laid out, and learns this build's.
    """
    write_payload(path, view, explorer_payload(view, data_folder(path).name, layouts=layouts), build=path.parent)


def explorer_payload(view: ExplorerView, folder: str = "explorer-data", focus: Sequence[str] = (),
                     caption: str = "", layouts: LayoutCache | None = None) -> Payload:
    """The whole site as one graph, or above OVERVIEW_LIMIT pages a cluster overview plus cluster files."""
    index = site_index(view)
    head = {"site": index.host, "counts": counts(index), "focus": list(focus),
            "edgeStyles": {**edge_styles(), **overview.edge_styles()}}
    if len(index.pages) > overview.OVERVIEW_LIMIT:
        data, extra = overview.overview_data(index, folder, layouts)
        return Payload({**head, "mode": "overview", **data}, extra, caption)
    return Payload({**head, "mode": "full", **graph_data(index, layouts=layouts)}, {}, caption)


def explorer_data(view: ExplorerView) -> Json:
    """Nodes, edges and side-panel details, ready for JSON (the cluster overview for big sites)."""
    return explorer_payload(view).data


def render_explorer(view: ExplorerView) -> str:
    """The explorer page as one HTML string (a big site's cluster files are not included)."""
    return render_page(view, explorer_payload(view), links_to="")


def write_payload(path: Path, view: ExplorerView, payload: Payload, build: Path | None) -> None:
    """Write the page and its data files; `build` is the build folder its report links point into."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_page(view, payload, _relative(path.parent, build)), encoding="utf-8")
    _write_files(data_folder(path), payload.files)


def _relative(here: Path, build: Path | None) -> str | None:
    """Prefix of links from a page in `here` to files in `build` ('' when the same folder)."""
    if build is None:
        return None
    rel = Path(os.path.relpath(build.resolve(), here.resolve())).as_posix()
    return "" if rel == "." else quote(rel) + "/"


def _write_files(folder: Path, scripts: Mapping[str, str]) -> None:
    if folder.is_dir():
        for pattern in STALE:
            for old in folder.glob(pattern):
                old.unlink()
    if not scripts:
        return
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in scripts.items():
        folder.joinpath(name).write_text(text, encoding="utf-8")


def render_page(view: ExplorerView, payload: Payload, links_to: str | None) -> str:
    """The HTML for `payload`; `links_to` prefixes links to the report and CSVs (None: no such links)."""
    data = payload.data
    css, js = vis_assets()
    app_js = _own_asset("explorer.js")
    return _template().render(
        host=data["site"],
        counts=data["counts"],
        caption=payload.caption,
        overview=data["mode"] == "overview",
        csp=_csp([js, app_js], allow_self=bool(payload.files)),
        report=None if links_to is None else links_to + REPORT_PAGE,
        reports=[] if links_to is None else [(n, f"{links_to}reports/{n}") for n in view.reports if is_plain_name(n)],
        node_legend=_node_legend(),
        page_marks=_page_marks(),
        edge_legend=_edge_legend(),
        vis_css=inline_asset(css, "</style"),
        vis_js=inline_asset(js, "</script"),
        app_css=inline_asset(_own_asset("explorer.css"), "</style"),
        app_js=inline_asset(app_js, "</script"),
        data_json=Markup(safe_json(data)),
    )


def _csp(scripts: Sequence[str], allow_self: bool) -> Markup:
    """Only these inline scripts may run (by hash), and files beside the page only when it has some."""
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in scripts)
    sources = f"'self' {hashes}" if allow_self else hashes
    return csp_markup(f"default-src 'none'; script-src {sources}; style-src 'unsafe-inline'; img-src data:; "
                      "base-uri 'none'; form-action 'none'")


def csp_markup(policy: str) -> Markup:
    """A policy for a double-quoted attribute, its quotes kept readable (it holds no '"', '<' or '&')."""
    if any(c in policy for c in '"<>&'):
        raise LinkgraphError("a content security policy cannot contain '\"', '<', '>' or '&'")
    return Markup(policy)


def vis_assets() -> tuple[str, str]:
    """vis-network's CSS and minified JS, from the newest vis folder shipped inside pyvis."""
    return _vis_assets()


@cache
def _vis_assets() -> tuple[str, str]:
    lib = files("pyvis") / "templates" / "lib"
    folders = [d for d in lib.iterdir() if d.name.startswith("vis-") and _has_vis(d)]
    if not folders:
        raise LinkgraphError("vis-network not found inside the installed pyvis package")
    newest = max(folders, key=lambda d: _version(d.name[4:]))
    css = (newest / "vis-network.css").read_text(encoding="utf-8")
    return css, (newest / "vis-network.min.js").read_text(encoding="utf-8")


def _has_vis(folder: Traversable) -> bool:
    return (folder / "vis-network.min.js").is_file() and (folder / "vis-network.css").is_file()


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else -1 for part in text.split("."))


def inline_asset(text: str, closing: str) -> Markup:
    """Trusted library text for a raw-text element, refused if it could end that element early."""
    lowered = text.lower()
    if closing in lowered or "<!--" in lowered:
        raise LinkgraphError(f"cannot inline an asset containing {closing!r} or '<!--'")
    return Markup(text)


def _own_asset(name: str) -> str:
    return (files("graph.render") / "templates" / name).read_text(encoding="utf-8")


@cache
def _template() -> Any:
    return environment().get_template("explorer.html.j2")


@cache
def environment() -> Environment:
    """The render stage's Jinja environment: autoescaped, and strict about missing variables."""
    return Environment(
        loader=PackageLoader("graph.render", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


# --- legend ------------------------------------------------------------------------------------


def _node_legend() -> list[Json]:
    """Legend rows for node shapes and colours; `key` names the filter checkbox a row carries."""
    rows: list[Json] = [_legend_node("page", PAGE.label, PAGE.shape, PAGE.color, PAGE_BORDER)]
    rows += [_legend_node(f"type:{t.value}", s.label, s.shape, s.color, "#4d4d4d") for t, s in CONCEPT_STYLES.items()]
    return rows


def _legend_node(key: str, label: str, shape: str, fill: str, border: str) -> Json:
    return {"key": key, "label": label, "shape": shape, "fill": fill, "border": border}


def _page_marks() -> list[Json]:
    """Legend rows for the marks a page node can carry (they combine)."""
    return [
        _mark("Orphan (no content links in)", ORPHAN_FILL, PAGE_BORDER),
        _mark("Dead end (no content links out)", PAGE.color, PAGE_BORDER, dashed=True),
        _mark("Has broken links", PAGE.color, BROKEN_BORDER, width=3.0),
    ]


def _mark(label: str, fill: str, border: str, dashed: bool = False, width: float = 1.5) -> Json:
    return {"label": label, "fill": fill, "border": border, "dashed": dashed, "width": width}


def _edge_legend() -> list[Json]:
    return [
        {
            "kind": kind,
            "label": s.label,
            "color": s.color,
            "width": max(1.0, s.width),
            "dasharray": " ".join(str(d) for d in s.dashes),
            "checked": s.shown,
        }
        for kind, s in EDGE_STYLES.items()
    ]
