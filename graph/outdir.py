"""Atomic output folders: build into a temporary sibling, then swap it in under a lock.

Nothing the user had is lost: a folder that is not a linkgraph build is never replaced. A build
killed outright (SIGKILL, power loss) can leave its lock, a `.OUT.*.tmp` folder, or, if it died
between the two renames of the swap, the previous output as `.OUT.*.old`; the next build takes
over a lock whose process is gone, removes the temporary folders and puts the old output back.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from graph.errors import UsageError

MANIFEST = "build.json"
LOCK_GRACE_SECONDS = 60.0  # a lock file without a readable owner is young enough to be being written


def read_build_json(out: Path, relative: Path) -> Any:
    """A JSON file a finished build wrote into OUT; a one-line UsageError when it is missing or unreadable."""
    path = out / relative
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{out} has no {relative.as_posix()}: build it again with `linkgraph build`") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None


def check_replaceable(out: Path) -> None:
    """OUT may be missing, empty, or an earlier build; anything else is refused."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"output path {out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise UsageError(f"output folder {out} is not empty and is not a linkgraph build; choose another --out")


def lock_path(out: Path) -> Path:
    """The lock file beside OUT that one build at a time holds."""
    return out.with_name(f".{out.name}.lock")


@contextlib.contextmanager
def build_lock(out: Path) -> Iterator[None]:
    """Hold OUT's lock; a second build exits 2, a lock left by a dead process is taken over."""
    lock = lock_path(out)
    for _ in range(3):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            _take_over_if_stale(lock, out)
            continue
        break
    else:
        raise UsageError(f"another build is writing {out}; try again when it has finished")
    try:
        os.write(fd, f"{os.getpid()} {socket.gethostname()}\n".encode())
        os.close(fd)
        yield
    finally:
        lock.unlink(missing_ok=True)


def _take_over_if_stale(lock: Path, out: Path) -> None:
    """Remove a lock whose owner is gone; otherwise refuse with the owner's pid."""
    owner = _lock_owner(lock)
    if owner is None:
        return  # released in the meantime: try again
    pid, host, age = owner
    stale = pid is not None and host == socket.gethostname() and not pid_alive(pid)
    if not stale and not (pid is None and age > LOCK_GRACE_SECONDS):
        who = f"process {pid} on {host}" if pid is not None else "another process"
        raise UsageError(f"another build ({who}) is writing {out}; if none is running, remove {lock}")
    _remove_if_unchanged(lock, owner)


def _lock_owner(lock: Path) -> tuple[int | None, str, float] | None:
    """(pid, host, age in seconds) written in a lock file; pid None if unreadable; None if it is gone."""
    try:
        text = lock.read_text(encoding="utf-8", errors="replace")
        age = time.time() - lock.stat().st_mtime
    except FileNotFoundError:
        return None
    parts = text.split()
    pid = int(parts[0]) if parts and parts[0].isdigit() else None
    return pid, parts[1] if len(parts) > 1 else socket.gethostname(), age


def _remove_if_unchanged(lock: Path, owner: tuple[int | None, str, float]) -> None:
    """Move the stale lock aside and delete it, unless a live build replaced it in the meantime."""
    aside = lock.with_name(f"{lock.name}.{os.getpid()}.stale")
    try:
        os.replace(lock, aside)
    except FileNotFoundError:
        return
    moved = _lock_owner(aside)
    if moved is not None and moved[:2] != owner[:2]:
        with contextlib.suppress(OSError):
            os.replace(aside, lock)  # it was a fresh lock: give it back
        return
    aside.unlink(missing_ok=True)


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (POSIX: signal 0; Windows: OpenProcess)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":
        return _windows_pid_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def _windows_pid_alive(pid: int) -> bool:
    """os.kill(pid, 0) would terminate the process on Windows, so ask the kernel instead."""
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined,unused-ignore]
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return bool(kernel32.GetLastError() == 5)  # access denied: it exists
    code = ctypes.c_ulong()
    try:
        kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        return code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


def leftovers(out: Path) -> list[Path]:
    """What killed builds of OUT left: `.OUT.xxxxxxxx.tmp`/`.old` folders, set-aside stale locks.

    The random part of a temporary name has no dot, so another OUT's folders never match.
    """
    name = re.escape(out.name)
    folders = re.compile(rf"\.{name}\.[A-Za-z0-9_]+\.(tmp|old)\Z")
    locks = re.compile(rf"\.{name}\.lock\.\d+\.stale\Z")
    if not out.parent.is_dir():
        return []
    return sorted(p for p in out.parent.iterdir()
                  if (folders.match(p.name) and p.is_dir()) or (locks.match(p.name) and p.is_file()))


def recover(out: Path) -> None:
    """Undo what a killed build left (call with the lock held): restore OUT, remove temporaries."""
    found = leftovers(out)
    if not out.exists():
        old = [p for p in found if p.suffix == ".old" and (p / MANIFEST).is_file()]
        if old:
            newest = max(old, key=lambda p: p.stat().st_mtime)
            os.replace(newest, out)
            found.remove(newest)
    for path in found:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_output(out: Path) -> Iterator[Path]:
    """Yield a temporary folder; on success it replaces OUT, on failure it is removed."""
    out = out.absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    with build_lock(out):
        recover(out)
        check_replaceable(out)
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
