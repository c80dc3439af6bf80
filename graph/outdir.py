"""Atomic output folders: build into a temporary sibling, then swap it in under a lock.

Nothing the user had is lost: a folder that is not a linkgraph build is never replaced.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from graph.errors import UsageError

MANIFEST = "build.json"


def check_replaceable(out: Path) -> None:
    """OUT may be missing, empty, or an earlier build; anything else is refused."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"output path {out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise UsageError(f"output folder {out} is not empty and is not a linkgraph build; choose another --out")


@contextlib.contextmanager
def _lock(out: Path) -> Iterator[None]:
    lock = out.with_name(f".{out.name}.lock")
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError as exc:
        raise UsageError(f"another build is writing {out} (remove {lock} if it is stale)") from exc
    try:
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        yield
    finally:
        lock.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_output(out: Path) -> Iterator[Path]:
    """Yield a temporary folder; on success it replaces OUT, on failure it is removed."""
    out = out.absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    check_replaceable(out)
    with _lock(out):
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
        try:
            yield tmp
            _swap(tmp, out)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def _swap(tmp: Path, out: Path) -> None:
    if not out.exists():
        os.replace(tmp, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
    os.rmdir(old)
    os.replace(out, old)
    os.replace(tmp, out)
    shutil.rmtree(old, ignore_errors=True)
