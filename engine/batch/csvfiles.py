"""CSV files in and out: the header check, rows with their line numbers, and output a spreadsheet can open safely.

Input: UTF-8, with or without a byte-order mark, delimited by `,` or (as European spreadsheets write it) `;`,
told apart by the header. Bytes that are not UTF-8 are kept (as surrogate escapes) so that the row can be
reported and passed through unchanged. A record that runs over several lines (a quoted cell holding a line
break, as spreadsheets write one) is one row; one with the wrong number of cells, or with a cell that holds a
whole row of the file, is a quote left open, and stops the file at its first line: rows are never silently
merged. Output: the input columns, then `OUTPUT_COLUMNS`; every cell
that a spreadsheet would run as a formula (it begins, after any blanks, with `=`, `+`, `-`, `@`, a tab, a
carriage return, or their full-width forms) is prefixed with `'` (CSV injection).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from engine.contract import CSV_COLUMNS
from engine.errors import ClearanceError

OUTPUT_COLUMNS = ("decision", "fee_usd", "rules", "explanation", "ruleset_version", "error")
REQUIRED_COLUMNS = ("id", "date", "quantity", "unit_price_usd", "destination", "customer_name")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_LINE_BREAK = re.compile("[\r\n]")
_NOT_UTF8 = re.compile("[\udc80-\udcff]")
csv.field_size_limit(10 * 1024 * 1024)  # one cell may be long (and is then reported), never unbounded


class BatchInputError(ClearanceError):
    """The input file cannot be batch-checked at all: unreadable, empty, or a header that does not fit."""


class CountingReader(io.RawIOBase):
    """A binary file that counts the bytes read from it (for progress on a file of known size)."""

    def __init__(self, raw: IO[bytes]):
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        self.count += len(data)
        return len(data)

    def close(self) -> None:
        self.raw.close()
        super().close()


@dataclass
class InputFile:
    """An open CSV input: its header, delimiter, and the rows as (line, cells)."""

    path: Path
    header: list[str]
    delimiter: str
    size: int
    counter: CountingReader
    text: IO[str]
    reader: Any
    bom: bool = False

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """Each data row with the line it starts on; blank lines are skipped, as spreadsheets write them.
        BatchInputError for a quote left open (see the module's docstring)."""
        reader = self.reader
        line = reader.line_num + 1
        for cells in reader:
            if cells:
                end = reader.line_num
                if end > line and self._open_quote(cells):
                    raise BatchInputError(
                        f"{self.path}:{line}: a quoted cell is not closed: the row runs on to line {end}, taking the "
                        "lines after it with it; close the quote (or remove it) and run the file again"
                    )
                yield line, cells
            line = reader.line_num + 1

    def _open_quote(self, cells: list[str]) -> bool:
        """A record over several lines that no spreadsheet meant: it has the wrong number of cells, or a cell
        holds a whole row of the file after a line break (the lines a quote left open swallowed)."""
        width = len(self.header)
        if len(cells) != width:
            return True
        return any(
            part.count(self.delimiter) >= width - 1
            for cell in cells
            if _LINE_BREAK.search(cell)
            for part in _LINE_BREAK.split(cell)[1:]
        )

    @property
    def position(self) -> int:
        return self.counter.count

    def close(self) -> None:
        self.text.close()


def open_input(path: Path) -> InputFile:
    """Open a CSV file and check its header; BatchInputError says what is wrong before any row is read."""
    try:
        if path.is_dir():
            raise IsADirectoryError(21, "is a directory")
        raw = path.open("rb")
        size = path.stat().st_size
        bom = raw.read(3) == b"\xef\xbb\xbf"
        raw.seek(0)
    except OSError as exc:
        raise BatchInputError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    counter = CountingReader(raw)
    text = io.TextIOWrapper(io.BufferedReader(counter), encoding="utf-8-sig", errors="surrogateescape", newline="")
    try:
        first = text.readline()
        if not first.strip():
            raise BatchInputError(f"{path}: the file is empty; a header row is required ({', '.join(CSV_COLUMNS)})")
        delimiter = _delimiter(first)
        header = next(csv.reader([first], delimiter=delimiter))
        _check_header(path, header)
        reader = csv.reader(text, delimiter=delimiter)
    except BatchInputError:
        text.close()
        raise
    except csv.Error as exc:
        text.close()
        raise BatchInputError(f"{path}:1: the header cannot be read: {exc}") from None
    return InputFile(path, header, delimiter, size, counter, text, _Offset(reader, 1), bom)


class _Offset:
    """A csv reader whose line numbers count the header line read before it."""

    def __init__(self, reader: Any, offset: int):
        self.reader = reader
        self.offset = offset

    def __iter__(self) -> Iterator[list[str]]:
        return iter(self.reader)

    @property
    def line_num(self) -> int:
        return int(self.reader.line_num) + self.offset


def _delimiter(first_line: str) -> str:
    known = set(CSV_COLUMNS)
    by_comma = len(known.intersection(c.strip() for c in first_line.rstrip("\r\n").split(",")))
    by_semicolon = len(known.intersection(c.strip() for c in first_line.rstrip("\r\n").split(";")))
    return ";" if by_semicolon > by_comma else ","


def _check_header(path: Path, header: list[str]) -> None:
    where = f"{path}:1"
    if _NOT_UTF8.search("".join(header)):
        raise BatchInputError(f"{where}: the header is not valid UTF-8")
    stripped = [c.strip() for c in header]
    if stripped != header:
        bad = next(c for c, s in zip(header, stripped, strict=True) if c != s)
        raise BatchInputError(f"{where}: column `{bad}` has blanks around its name")
    seen: set[str] = set()
    for column in header:
        if column in seen:
            raise BatchInputError(f"{where}: column `{column}` appears twice")
        if column in OUTPUT_COLUMNS:
            raise BatchInputError(f"{where}: column `{column}` is one the output adds; rename it")
        seen.add(column)
    missing = [c for c in REQUIRED_COLUMNS if c not in seen]
    if missing:
        known = ", ".join(CSV_COLUMNS)
        raise BatchInputError(
            f"{where}: the header lacks the required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(f'`{c}`' for c in missing)} (the columns are: {known})"
        )


def not_utf8(cell: str) -> bool:
    return not cell.isascii() and _NOT_UTF8.search(cell) is not None


def safe_cell(cell: str) -> str:
    """A cell a spreadsheet shows as text: a leading formula character, after any blanks a spreadsheet skips,
    is escaped with `'`."""
    return "'" + cell if cell.lstrip(" \u00a0\u3000").startswith(FORMULA_START) else cell


class CsvWriter:
    """Rows to CSV text, through one reused buffer."""

    def __init__(self, delimiter: str = ","):
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, delimiter=delimiter)

    def rows(self, rows: list[list[str]]) -> str:
        buffer = self.buffer
        buffer.seek(0)
        buffer.truncate()
        self.writer.writerows([[safe_cell(c) for c in row] for row in rows])
        return buffer.getvalue()
