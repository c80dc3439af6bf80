"""The `linkgraph` command: thin wrappers over the library. Errors print one line and exit with their code."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from graph import __version__
from graph.errors import FindingsError, LinkgraphError, UsageError
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
        except BrokenPipeError:
            # The reader went away (`linkgraph query ... | head`): stop quietly, as Unix tools do.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except KeyboardInterrupt:
            click.echo("Interrupted; the previous output is unchanged.", err=True)
            sys.exit(130)
        except Exception as exc:
            if os.environ.get("LINKGRAPH_DEBUG"):
                raise
            click.echo(f"Internal error: {exc.__class__.__name__}: {exc} (set LINKGRAPH_DEBUG=1 for details)",
                       err=True)
            sys.exit(4)


def _boolean(value: str) -> bool:
    """`true`/`false` (also yes/no, on/off, 1/0), as in TOML; anything else is a usage error."""
    word = value.strip().lower()
    if word not in _BOOLEANS:
        raise ValueError(value)
    return _BOOLEANS[word]


_BOOLEANS = {"true": True, "yes": True, "on": True, "1": True, "false": False, "no": False, "off": False, "0": False}


def _pairs(value: str) -> dict[str, str]:
    pairs = (item.split("=", 1) for item in value.split(",") if item.strip())
    return {k.strip(): v.strip() for k, v in pairs}


_PARSERS: dict[type, Callable[[str], Any]] = {
    list: lambda value: [v.strip() for v in value.split(",") if v.strip()],
    dict: _pairs,
    bool: _boolean,
}


def parse_setting(name: str, value: str) -> Any:
    """A `--setting NAME VALUE` pair typed by the settings table (lists are comma-separated).

    >>> parse_setting("trig", "yes"), parse_setting("workers", "2"), parse_setting("vocabulary", "a.ttl, b.ttl")
    (True, 2, ['a.ttl', 'b.ttl'])
    """
    table = {s.name: s for s in SETTINGS}
    if name not in table:
        raise UsageError(f"unknown setting {name!r}; see `linkgraph settings`")
    kind = table[name].type
    try:
        return _PARSERS.get(kind, kind)(value)
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
@click.option("--incremental", is_flag=True,
              help="Reuse parsing and extraction of unchanged articles from the previous build in OUT.")
@click.option("--strict", is_flag=True,
              help="Exit 1 when any file was skipped or repaired (the output is still written).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or summary.")
def build(source: Path | None, config: Path | None, out: Path, settings_pairs: tuple[tuple[str, str], ...],
          incremental: bool, strict: bool, quiet: bool) -> None:
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
        result = run_build(source, out, settings, incremental=incremental)
    else:
        with progress_bar() as progress:
            result = run_build(source, out, settings, progress, incremental=incremental)
        print_summary(result)
    if strict and result.skipped:
        raise FindingsError(f"{result.skipped} files skipped or repaired (see {out / 'reports' / 'skipped.csv'})")


@cli.command()
@click.argument("out", type=click.Path(path_type=Path, file_okay=False))
@click.option("--format", "fmt", default="trig", show_default=True,
              help="trig, nquads, turtle, ntriples, rdfxml or jsonld (those without graphs get the union).")
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


QUERY_FORMATS = ("table", "csv", "tsv", "json", "xml", "turtle", "ntriples", "rdfxml", "jsonld")


def _param_pairs(values: tuple[str, ...]) -> dict[str, str]:
    pairs = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"--param needs NAME=VALUE, got {item!r}")
        pairs[name.strip()] = value
    return pairs


@cli.command()
@click.argument("args", nargs=-1, metavar="[OUT] (QUERY | NAME)")
@click.option("--file", "-f", "query_file", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Read the SPARQL query from a .rq file.")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
              help="A parameter of a named query (repeatable); bound safely, never pasted into the text.")
@click.option("--format", "fmt", type=click.Choice(QUERY_FORMATS), default="table", show_default=True,
              help="Output format (csv/tsv/json/xml for SELECT and ASK; turtle/ntriples/rdfxml/jsonld for graphs).")
@click.option("--endpoint", metavar="URL", help="Query a remote SPARQL endpoint instead of a build (OUT not needed).")
@setting_option
def query(args: tuple[str, ...], query_file: Path | None, params: tuple[str, ...], fmt: str, endpoint: str | None,
          settings_pairs: tuple[tuple[str, str], ...]) -> None:
    """Run a SPARQL query (text, --file or a shipped query NAME) against the build in OUT.

    The prefixes schema, skos, rdf, rdfs, xsd, prov, owl, lg and lgc are predeclared; the default graph
    is the union of all graphs. Run `linkgraph queries` for the named queries.
    """
    from graph import query as q
    from graph.remote import query_endpoint

    settings = load_settings(None, None, settings_pairs)
    expected = (0 if endpoint else 1) + (0 if query_file else 1)
    if len(args) != expected:
        raise UsageError("usage: linkgraph query OUT (QUERY | --file F.rq | NAME) or --endpoint URL QUERY")
    text = query_file.read_text(encoding="utf-8-sig") if query_file else args[-1]
    if endpoint:
        click.echo(query_endpoint(endpoint, text, fmt, settings.query_timeout), nl=False)
        return
    store_path = _store_path(Path(args[0]))
    names = {n.name for n in q.list_queries()}
    if not query_file and text in names:
        result = q.run_named_query(store_path, text, _param_pairs(params), timeout=settings.query_timeout,
                                   max_rows=settings.max_rows)
    else:
        if params:
            raise UsageError("--param only applies to named queries")
        result = q.run_query(store_path, text, timeout=settings.query_timeout, max_rows=settings.max_rows)
    click.echo(q.format_result(result, fmt), nl=False)
    if result.truncated:
        click.echo(f"Results cut at {settings.max_rows} rows (setting max_rows).", err=True)


def _store_path(out: Path) -> Path:
    from graph import store

    path = out / store.STORE_DIR
    if not path.is_dir():
        raise UsageError(f"no linkgraph build in {out} (run `linkgraph build` first)")
    return path


@cli.command()
def queries() -> None:
    """List the named editorial queries shipped with linkgraph, with their parameters."""
    from graph.query import list_queries

    for nq in list_queries():
        params = " ".join(f"[--param {p.name}=<{p.type}>]" if getattr(p, "optional", False)
                          else f"--param {p.name}=<{p.type}>" for p in nq.params)
        click.echo(f"{nq.name}: {nq.title}" + (f"  [{params}]" if params else ""))
        click.echo(f"    {nq.description}")


@cli.command()
@click.argument("out", type=click.Path(path_type=Path, file_okay=False))
@click.option("--host", help="Address to bind (default 127.0.0.1; another address needs --token or --no-auth).")
@click.option("--port", type=int, help="Port (default 7878).")
@click.option("--token", envvar="LINKGRAPH_TOKEN", help="Require this bearer token (also LINKGRAPH_TOKEN).")
@click.option("--no-auth", is_flag=True, help="Allow a non-loopback --host without a token.")
@click.option("--cors", metavar="ORIGIN", help="Allow cross-origin requests from this exact origin.")
@setting_option
def serve(out: Path, host: str | None, port: int | None, token: str | None, no_auth: bool, cors: str | None,
          settings_pairs: tuple[tuple[str, str], ...]) -> None:
    """Serve OUT: SPARQL 1.1 Protocol at /sparql, the explorer at /, reports under /reports/."""
    from graph.serve import serve as run_server

    _store_path(out)
    settings = load_settings(None, None, settings_pairs)
    run_server(out, settings, host=host, port=port, token=token, cors=cors, no_auth=no_auth)


@cli.command()
@click.argument("out", type=click.Path(path_type=Path, file_okay=False))
@click.option("--focus", required=True, help="A page URL, a page title or a concept label to centre on.")
@click.option("--hops", type=int, default=2, show_default=True, help="How many links away from the focus to show.")
@click.option("--out", "out_file", type=click.Path(path_type=Path, dir_okay=False),
              help="HTML file to write (default: OUT/explorer-<focus>.html).")
def explore(out: Path, focus: str, hops: int, out_file: Path | None) -> None:
    """Write a focused explorer: the pages and concepts within HOPS links of FOCUS."""
    from graph.render.focus import focus_file_name, write_focused_explorer
    from graph.render.snapshot import load_view

    view = load_view(out)
    target = out_file or out / focus_file_name(focus)
    summary = write_focused_explorer(target, view, focus, hops, build=out)
    click.echo(f"{target}: {summary.pages} pages, {summary.concepts} concepts around {', '.join(summary.seeds)}")


@cli.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=Path("output"), show_default=True,
              help="The build to suggest against.")
@config_option
@click.option("--format", "fmt", type=click.Choice(("table", "csv", "json")), default="table", show_default=True,
              help="Output format.")
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True,
              help="Most suggestions listed each way.")
@setting_option
def suggest(file: Path, out: Path, config: Path | None, fmt: str, limit: int,
            settings_pairs: tuple[tuple[str, str], ...]) -> None:
    """Suggest links for an unpublished article FILE: pages it should link to, and pages that should link to it."""
    from graph.suggest import build_source, format_suggestions, suggest_for_draft

    settings = load_settings(config, build_source(out), settings_pairs)
    click.echo(format_suggestions(suggest_for_draft(file, out, settings, limit), fmt), nl=False)


@cli.command(name="validate")
@click.argument("out", type=click.Path(path_type=Path, file_okay=False))
@click.option("--shapes", "shapes", multiple=True, type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="SHACL shapes file(s) to use instead of the shipped structural and editorial shapes.")
@click.option("--strict", is_flag=True, help="Exit 1 on any finding, editorial ones included.")
@click.option("--csv", "csv_folder", type=click.Path(path_type=Path, file_okay=False),
              help="Also write validation.csv into this folder.")
def validate_cmd(out: Path, shapes: tuple[Path, ...], strict: bool, csv_folder: Path | None) -> None:
    """Validate a build with SHACL: structural shapes and the editorial rules in data/shapes/."""
    from graph.validate import exit_code, validate, write_validation_csv

    report = validate(out, list(shapes) or None)
    for f in report.findings:
        click.echo(f"{f.severity}\t{f.rule}\t{f.focus}\t{f.message}")
    click.echo(f"{report.count('Violation')} violations, {report.count('Warning')} warnings, "
               f"{report.count('Info')} notes.", err=True)
    if csv_folder:
        write_validation_csv(report, csv_folder)
    sys.exit(exit_code(report, strict))


@cli.group()
def vocab() -> None:
    """Work with SKOS vocabularies."""


@vocab.command(name="check")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path, dir_okay=False, exists=True))
def vocab_check(files: tuple[Path, ...]) -> None:
    """Check the shipped vocabulary, or FILES merged over it: clashing labels, codes, types, relations."""
    from graph.vocabcheck import check_vocabulary

    findings = check_vocabulary(list(files) or None)
    for f in findings:
        click.echo(str(f))
    errors = sum(f.severity == "error" for f in findings)
    click.echo(f"{errors} errors, {len(findings) - errors} warnings.", err=True)
    sys.exit(2 if errors else 0)


@cli.command()
@click.argument("old", type=click.Path(path_type=Path, file_okay=False))
@click.argument("new", type=click.Path(path_type=Path, file_okay=False))
@click.option("--out", "folder", type=click.Path(path_type=Path, file_okay=False),
              help="Write diff.csv into this folder.")
def diff(old: Path, new: Path, folder: Path | None) -> None:
    """What changed between two builds: pages, links, link suggestions and concepts added or removed."""
    from graph.diff import diff_builds, write_diff

    changes = diff_builds(old, new)
    click.echo(changes.summary())
    if folder:
        click.echo(f"Details: {write_diff(changes, folder)}", err=True)


@cli.command()
@click.argument("out", type=click.Path(path_type=Path, file_okay=False))
@click.option("--gsp", required=True, metavar="URL", help="Graph Store Protocol endpoint of the remote store.")
@click.option("--query-url", metavar="URL", help="Its SPARQL query endpoint, to find and delete stale graphs.")
@click.option("--user", help="User name for HTTP Basic authentication.")
@click.option("--password", envvar="LINKGRAPH_PASSWORD", help="Password (also LINKGRAPH_PASSWORD).")
@click.option("--token", envvar="LINKGRAPH_TOKEN", help="Bearer token (also LINKGRAPH_TOKEN).")
@setting_option
def push(out: Path, gsp: str, query_url: str | None, user: str | None, password: str | None, token: str | None,
         settings_pairs: tuple[tuple[str, str], ...]) -> None:
    """Write every named graph of a build to a remote store (SPARQL 1.1 Graph Store Protocol)."""
    from graph.push import push as run_push

    if (user is None) != (password is None):
        raise UsageError("--user and --password go together")
    if user and token:
        raise UsageError("use either --user/--password or --token, not both")
    auth: tuple[str, str] | str | None = (user, password) if user and password else token
    settings = load_settings(None, None, settings_pairs)
    click.echo(run_push(out, gsp, query_url=query_url, auth=auth, timeout=settings.query_timeout).summary())


@cli.command(name="settings")
def settings_cmd() -> None:
    """List every setting with its default and help."""
    for s in SETTINGS:
        click.echo(f"{s.name} ({s.type.__name__}, default {s.default!r}): {s.help}")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="linkgraph")
