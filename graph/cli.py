"""The `linkgraph` command: thin wrappers over the library. Errors print one line and exit with their code."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from graph import __version__
from graph.errors import LinkgraphError, UsageError
from graph.settings import SETTINGS, Settings

DEFAULT_SOURCE = Path("data/articles")
CONFIG_NAME = "linkgraph.toml"


class Group(click.Group):
    """Turns LinkgraphError into one line on stderr and its exit code; never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LinkgraphError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            click.echo("Interrupted; the previous output is unchanged.", err=True)
            sys.exit(130)
        except Exception as exc:
            if os.environ.get("LINKGRAPH_DEBUG"):
                raise
            click.echo(f"Internal error: {exc.__class__.__name__}: {exc} (set LINKGRAPH_DEBUG=1 for details)",
                       err=True)
            sys.exit(4)


def parse_setting(name: str, value: str) -> Any:
    """A `--setting NAME VALUE` pair typed by the settings table (lists are comma-separated)."""
    table = {s.name: s for s in SETTINGS}
    if name not in table:
        raise UsageError(f"unknown setting {name!r}; see `linkgraph settings`")
    kind = table[name].type
    try:
        if kind is list:
            return [v.strip() for v in value.split(",") if v.strip()]
        return kind(value)
    except ValueError as exc:
        raise UsageError(f"setting {name} needs a {kind.__name__}, got {value!r}") from exc


def load_settings(config: Path | None, source: Path | None, pairs: tuple[tuple[str, str], ...]) -> Settings:
    """--config, else SOURCE/linkgraph.toml, else defaults; then --setting pairs on top."""
    if config is None and source is not None and (source / CONFIG_NAME).is_file():
        config = source / CONFIG_NAME
    settings = Settings.load(config) if config else Settings()
    return settings.with_overrides(**{k: parse_setting(k, v) for k, v in pairs})


setting_option = click.option("--setting", "-s", "settings_pairs", type=(str, str), multiple=True,
                              metavar="NAME VALUE", help="Override one setting (see `linkgraph settings`).")
config_option = click.option("--config", type=click.Path(path_type=Path, dir_okay=False),
                             help="Config file (default: SOURCE/linkgraph.toml).")


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="linkgraph")
def cli() -> None:
    """linkgraph: a health site's articles as a knowledge graph, and the links it is missing."""


@cli.command()
@click.argument("source", required=False, type=click.Path(path_type=Path, file_okay=False))
@config_option
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=Path("output"),
              show_default=True, help="Output folder (replaced atomically).")
@setting_option
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or summary.")
def build(source: Path | None, config: Path | None, out: Path, settings_pairs: tuple[tuple[str, str], ...],
          quiet: bool) -> None:
    """Build the graph, reports and explorer from SOURCE (default: ./data/articles)."""
    from graph.console import print_summary, progress_bar
    from graph.pipeline import build as run_build

    if source is None:
        if not DEFAULT_SOURCE.is_dir():
            raise UsageError("no SOURCE given and ./data/articles does not exist")
        source = DEFAULT_SOURCE
    if not source.is_dir():
        raise UsageError(f"source folder not found: {source}")
    settings = load_settings(config, source, settings_pairs)
    if quiet:
        run_build(source, out, settings)
        return
    with progress_bar() as progress:
        result = run_build(source, out, settings, progress)
    print_summary(result)


@cli.command()
@click.argument("out", type=click.Path(path_type=Path, file_okay=False))
@click.option("--format", "fmt", default="trig", show_default=True,
              help="trig, nquads, turtle, ntriples or rdfxml (turtle and the others without graphs: the union).")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="File to write (default: stdout).")
def export(out: Path, fmt: str, output: Path | None) -> None:
    """Serialise the graph of a build in another RDF format."""
    import tempfile

    from graph import store
    from graph.iris import PREFIXES

    form = store.Format.from_name(fmt)
    db = store.open_read_only(out)
    if output:
        store.dump(db, output, form, PREFIXES)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"graph.{form.extensions[0]}"
        store.dump(db, path, form, PREFIXES)
        click.echo(path.read_text(encoding="utf-8"), nl=False)


@cli.command(name="settings")
def settings_cmd() -> None:
    """List every setting with its default and help."""
    for s in SETTINGS:
        click.echo(f"{s.name} ({s.type.__name__}, default {s.default!r}): {s.help}")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="linkgraph")
