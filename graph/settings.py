"""The one table of settings, read by the CLI, `linkgraph.toml` and the docs.

>>> s = Settings.from_mapping({"site_url": "https://example.org/"})
>>> s.site_url, s.gaps_per_source
('https://example.org/', 5)
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from graph.errors import UsageError


@dataclass(frozen=True)
class Setting:
    """One row of the settings table."""

    name: str
    type: type
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("site_url", str, "https://example.org/",
            "Home URL of the site; article URLs and internal links are resolved against it."),
    Setting("url_pattern", list, ["/articles/{slug}/"],
            "Path template(s) of article URLs, each with one {slug}; a string or a list."),
    Setting("vocabulary", list, [],
            "Extra SKOS vocabulary files (Turtle), merged over the shipped one; theirs win."),
    Setting("redirects", dict, {},
            "Old URL -> new URL table (paths or full URLs); links to an old URL are reported as redirects."),
    Setting("start_pages", list, [],
            "URLs click depth is measured from; default: site_url if it is an article, else the top page."),
    Setting("max_file_bytes", int, 5_000_000, "Articles larger than this are skipped and reported."),
    Setting("max_links_per_article", int, 5_000,
            "Links kept per article; the rest are dropped and the article reported as repaired."),
    Setting("workers", int, 0, "Processes for parsing and extraction; 0 = one per CPU core."),
    Setting("load_batch", int, 250_000,
            "Quads per bulk-load batch into the store; bigger is slightly faster but holds ~1.4 KiB more per quad."),
    Setting("trig", bool, False,
            "Also write OUT/graph.trig, the whole graph as one TriG file (the store holds the same graph; "
            "`linkgraph export` writes it in any format on demand)."),
    Setting("gaps_per_source", int, 5, "Most link-gap suggestions listed per source page."),
    Setting("gap_min_score", float, 0.2, "Suggestions scoring below this (0-1) are dropped."),
    Setting("exclude_pages", list, [], "URLs never suggested as link source or target."),
    Setting("content_gap_min_articles", int, 2,
            "A concept no page is about is a content gap once this many articles mention it."),
    Setting("decisions", str, "",
            "CSV of decisions on link suggestions (id,decision,note), relative to the config file: rejected "
            "ones never return, accepted ones wait in accepted-pending.csv until linked."),
    Setting("traffic", str, "",
            "CSV of page traffic (e.g. a Search Console export: page, clicks), relative to the config file; "
            "suggestions in busier pages rank higher."),
    Setting("query_timeout", float, 10.0,
            "Seconds a SPARQL query may run before it is stopped (exit 3 / HTTP 503)."),
    Setting("max_rows", int, 10_000, "Most result rows returned by a query; more are cut and flagged."),
    Setting("host", str, "127.0.0.1", "Address `linkgraph serve` binds to."),
    Setting("port", int, 7878, "Port `linkgraph serve` listens on."),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def _coerce(setting: Setting, value: Any) -> Any:
    """Check a value against its setting's type; a lone string counts as a one-item list."""
    if setting.type is list and isinstance(value, str):
        return [value]
    if setting.type is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, setting.type) or isinstance(value, bool) != (setting.type is bool):
        raise UsageError(f"setting {setting.name!r} must be {setting.type.__name__}, got {value!r}")
    return value


@dataclass(frozen=True)
class Settings:
    """Resolved settings for one build or server; built from the table above."""

    site_url: str = _BY_NAME["site_url"].default
    url_pattern: list[str] = field(default_factory=lambda: list(_BY_NAME["url_pattern"].default))
    vocabulary: list[str] = field(default_factory=list)
    redirects: dict[str, str] = field(default_factory=dict)
    start_pages: list[str] = field(default_factory=list)
    max_file_bytes: int = _BY_NAME["max_file_bytes"].default
    max_links_per_article: int = _BY_NAME["max_links_per_article"].default
    workers: int = _BY_NAME["workers"].default
    load_batch: int = _BY_NAME["load_batch"].default
    trig: bool = _BY_NAME["trig"].default
    gaps_per_source: int = _BY_NAME["gaps_per_source"].default
    gap_min_score: float = _BY_NAME["gap_min_score"].default
    exclude_pages: list[str] = field(default_factory=list)
    content_gap_min_articles: int = _BY_NAME["content_gap_min_articles"].default
    decisions: str = _BY_NAME["decisions"].default
    traffic: str = _BY_NAME["traffic"].default
    query_timeout: float = _BY_NAME["query_timeout"].default
    max_rows: int = _BY_NAME["max_rows"].default
    host: str = _BY_NAME["host"].default
    port: int = _BY_NAME["port"].default
    config_dir: Path | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], config_dir: Path | None = None) -> Settings:
        """Settings from a parsed config; unknown keys are an error, so typos never pass silently."""
        unknown = sorted(set(data) - set(_BY_NAME))
        if unknown:
            raise UsageError(f"unknown setting(s) in config: {', '.join(unknown)}")
        values = {k: _coerce(_BY_NAME[k], v) for k, v in data.items()}
        return cls(config_dir=config_dir, **values)

    @classmethod
    def load(cls, path: Path) -> Settings:
        """Read a `linkgraph.toml`; a bad file is a usage error with its path."""
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read config {path}: {exc.__class__.__name__}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise UsageError(f"config {path} is not valid TOML: {exc}") from exc
        return cls.from_mapping(data, config_dir=path.parent)

    def with_overrides(self, **values: Any) -> Settings:
        """A copy with CLI options applied; None means 'not given'."""
        given = {k: _coerce(_BY_NAME[k], v) for k, v in values.items() if v is not None}
        return replace(self, **given)


def settings_names() -> list[str]:
    """Names of every setting, in table order (the docs test uses it)."""
    return [f.name for f in fields(Settings) if f.name in _BY_NAME]


def settings_markdown() -> str:
    """The settings table as Markdown; docs/settings.md embeds exactly this (a test checks it)."""
    lines = ["| name | type | default | meaning |", "|---|---|---|---|"]
    for s in SETTINGS:
        lines.append(f"| `{s.name}` | {s.type.__name__} | `{s.default!r}` | {s.help} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(settings_markdown(), end="")
