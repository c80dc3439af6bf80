"""Rich progress and summaries for the CLI; the library itself never prints."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from graph.pipeline import BuildResult, ProgressFn

console = Console(stderr=True)

_LABELS = {"read": "Reading articles", "extract": "Extracting concepts", "analyse": "Analysing links",
           "write": "Writing graph and reports"}


@contextlib.contextmanager
def progress_bar() -> Iterator[ProgressFn]:
    """A progress callback that drives one rich bar per stage."""
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True, disable=not console.is_terminal) as bar:
        tasks: dict[str, TaskID] = {}

        def update(stage: str, done: int, total: int) -> None:
            for name, task in tasks.items():
                if name != stage:
                    bar.update(task, completed=bar.tasks[task].total or 1)
            if stage not in tasks:
                tasks[stage] = bar.add_task(_LABELS.get(stage, stage), total=max(total, 1))
            bar.update(tasks[stage], completed=done, total=max(total, 1))

        yield update
        for task in tasks.values():
            bar.update(task, completed=bar.tasks[task].total or 1)


def print_summary(r: BuildResult) -> None:
    """The few numbers a strategist looks at first, and where the files are."""
    console.print(
        f"[bold]{r.articles}[/] articles, {r.links} links, {r.concepts} vocabulary concepts; "
        f"[bold]{r.gaps}[/] link suggestions, {r.orphans} orphan pages, {r.broken_links} broken links; "
        f"{r.skipped} files skipped or repaired ({r.seconds:.1f} s)."
    )
    if r.pending or r.done or r.rejected or r.unknown_decisions:
        console.print(f"Decisions: {r.pending} accepted links pending, {r.done} done, {r.rejected} rejected"
                      + (f", {r.unknown_decisions} matching no suggestion" if r.unknown_decisions else "") + ".")
    if r.reused:
        console.print(f"Incremental: {r.reused} unchanged files reused from the previous build.")
    console.print(f"Explorer: {r.out / 'explorer.html'}   Reports: {r.out / 'reports'}")
