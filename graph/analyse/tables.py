"""The CSV files a strategist hands in (decisions, traffic): lenient about headers, exact about errors.

Spreadsheets save CSV with a byte-order mark, with `;` or tabs in some locales, and with headers in any
case; all of that is accepted. Anything that cannot be read is a UsageError naming the file and line.

>>> key("Top pages"), key(" Source URL "), key("Page path and screen class")
('top_pages', 'source_url', 'page_path_and_screen_class')
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from graph.errors import UsageError

_NOT_WORD = re.compile(r"[^a-z0-9]+")
DELIMITERS = (",", ";", "\t")


def key(header: str) -> str:
    """A header cell as a lookup key: lower case, runs of other characters as one underscore."""
    return _NOT_WORD.sub("_", header.strip().lower()).strip("_")


@dataclass(frozen=True, slots=True)
class Row:
    """One data row: the line it starts on and its cells by header key."""

    line: int
    cells: dict[str, str]

    def get(self, name: str) -> str:
        """The cell under header key `name`, stripped ('' when the row is short)."""
        return self.cells.get(name, "").strip()


@dataclass(frozen=True)
class Table:
    """A whole input file: its path (for messages), header keys and rows."""

    path: Path
    columns: tuple[str, ...]
    rows: tuple[Row, ...]

    def first_of(self, names: Iterable[str]) -> str | None:
        """The first of `names` the header has."""
        return next((n for n in names if n in self.columns), None)

    def error(self, line: int, message: str) -> UsageError:
        """A usage error pointing at one line of the file."""
        return UsageError(f"{self.path}:{line}: {message}")


def read_table(path: Path, what: str) -> Table:
    """Read `path`; `what` names the file in messages ('decisions', 'traffic')."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"{what} file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {what} file {path}: {exc.__class__.__name__}") from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    records = list(_records(reader, path))
    if not records:
        raise UsageError(f"{path}:1: {what} file is empty; it needs a header row")
    (_, header), body = records[0], records[1:]
    columns = tuple(key(h) for h in header)
    return Table(path, columns, tuple(_row(path, columns, line, cells) for line, cells in body))


def _delimiter(text: str) -> str:
    """The delimiter the header line uses most (a comma when it has none)."""
    first = text.split("\n", 1)[0]
    return max(DELIMITERS, key=lambda d: (first.count(d), d == ","))


class _Reader(Protocol):
    """What `csv.reader` returns: rows, and the number of lines read so far."""

    @property
    def line_num(self) -> int: ...

    def __iter__(self) -> Iterator[list[str]]: ...


def _records(reader: _Reader, path: Path) -> Iterator[tuple[int, list[str]]]:
    """(first line, cells) of every record; blank lines and lines starting with '#' are skipped.

    A CSV error (a quote never closed) is reported at the line its record starts on.
    """
    line, rows = 1, iter(reader)
    while True:
        try:
            cells = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            raise UsageError(f"{path}:{line}: not valid CSV: {exc}") from None
        if any(c.strip() for c in cells) and not cells[0].lstrip().startswith("#"):
            yield line, cells
        line = reader.line_num + 1


def _row(path: Path, columns: Sequence[str], line: int, cells: Sequence[str]) -> Row:
    extra = [c for c in cells[len(columns):] if c.strip()]
    if extra:
        raise UsageError(f"{path}:{line}: {len(cells)} cells but the header has {len(columns)}")
    return Row(line, dict(zip(columns, cells, strict=False)))
