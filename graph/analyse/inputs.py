"""The strategist's own files a build reads besides the articles: decisions and traffic (both optional).

They are read once, before the long stages, so a typo fails the build at once; their bytes go into the
build ID, so a changed decision is a new build for caches keyed by it (`linkgraph serve`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from graph.analyse.decisions import Decision, DecisionResult, decide, read_decisions
from graph.analyse.gaps import GapFinder, GapSettings
from graph.analyse.traffic import read_traffic, weight_by_traffic
from graph.errors import UsageError


@dataclass(frozen=True)
class Inputs:
    """Decisions on suggestions, clicks per page URL, and a fingerprint of the files they came from."""

    decisions: tuple[Decision, ...] = ()
    clicks: Mapping[str, float] = field(default_factory=dict)
    fingerprint: str = ""


def load_inputs(base: Path, decisions: str, traffic: str, resolve: Callable[[str], str | None]) -> Inputs:
    """Read the files the `decisions` and `traffic` settings name ('' = none), relative to `base` (the
    config file's folder); `resolve` normalises their URLs as the build does."""
    digest = hashlib.sha256()
    found = Inputs()
    if decisions:
        found = replace(found, decisions=tuple(read_decisions(base / decisions, resolve)))
        digest.update(b"decisions\0" + _bytes(base / decisions))
    if traffic:
        found = replace(found, clicks=read_traffic(base / traffic, resolve))
        digest.update(b"traffic\0" + _bytes(base / traffic))
    return replace(found, fingerprint=digest.hexdigest()[:16] if decisions or traffic else "")


def _bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.__class__.__name__}") from None


def apply_inputs(finder: GapFinder, settings: GapSettings, inputs: Inputs) -> DecisionResult:
    """The suggestions after the decisions, ranked by the source pages' traffic when there is any."""
    decided = decide(finder, settings, inputs.decisions)
    return replace(decided, gaps=weight_by_traffic(decided.gaps, inputs.clicks)) if inputs.clicks else decided
