"""The docs list every command, option, setting and report column (sqlite-utils' habit)."""

from __future__ import annotations

import re

import click
import pytest

from graph.cli import cli
from graph.reports import COLUMNS
from graph.settings import settings_markdown
from tests.conftest import ROOT

DOCS = ROOT / "docs"


def sections(text: str) -> dict[str, str]:
    parts = re.split(r"^## linkgraph (.+)$", text, flags=re.M)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


def commands() -> list[tuple[str, click.Command]]:
    found = []
    for name, cmd in sorted(cli.commands.items()):  # type: ignore[attr-defined]
        if isinstance(cmd, click.Group):
            found.extend((f"{name} {sub}", c) for sub, c in sorted(cmd.commands.items()))
        else:
            found.append((name, cmd))
    return found


@pytest.mark.parametrize(("name", "command"), commands(), ids=[n for n, _ in commands()])
def test_every_command_and_option_is_documented(name: str, command: click.Command) -> None:
    docs = sections((DOCS / "cli.md").read_text(encoding="utf-8"))
    assert name in docs, f"docs/cli.md has no '## linkgraph {name}' section"
    for param in command.params:
        if isinstance(param, click.Option):
            assert any(f"`{opt}" in docs[name] for opt in param.opts), f"{name}: {param.opts} undocumented"


def test_settings_doc_is_current() -> None:
    assert settings_markdown() in (DOCS / "settings.md").read_text(encoding="utf-8")


def test_every_report_and_column_is_documented() -> None:
    text = (DOCS / "reports.md").read_text(encoding="utf-8")
    for name, columns in COLUMNS.items():
        assert f"## {name}" in text
        section = text.split(f"## {name}", 1)[1].split("\n## ", 1)[0]
        for column in columns:
            assert column in section, f"{name}: column {column} undocumented"


def test_readme_leads_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.+?)\n```", readme, flags=re.S)
    assert "linkgraph build data/articles" in blocks[0]
    assert "pip install -e '.[test]'" in blocks[1] and "pytest" in blocks[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python -m pytest" in ci
