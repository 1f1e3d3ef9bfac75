"""Consolidated Screening List files: entries, list codes and the loader (2019 and today's layouts)."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from engine.errors import ScreeningListError

REQUIRED_COLUMNS = ("source", "name")
# Lists named without their abbreviation, and the abbreviations the screening rules name.
_KNOWN_LISTS = (
    ("military end user", "MEU"),
    ("unverified list", "UVL"),
    ("denied persons", "DPL"),
    ("specially designated nationals", "SDN"),
    ("entity list", "EL"),
)
_ABBREVIATION = re.compile(r"\(([A-Za-z][A-Za-z0-9-]{0,11})\)")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class ListEntry:
    """One row of a screening list."""

    list_code: str
    source: str
    name: str
    alt_names: tuple[str, ...]
    addresses: str
    federal_register_notice: str | None
    start_date: date | None
    end_date: date | None
    source_list_url: str | None
    entry_id: str | None
    file: str
    line: int

    def in_force(self, on: date) -> bool:
        """True when `on` lies within `start_date`..`end_date` (each bound inclusive, only if given)."""
        if self.start_date is not None and on < self.start_date:
            return False
        return self.end_date is None or on <= self.end_date

    def mentions_country(self, country: str) -> bool:
        """True when one of the addresses ends with the ISO alpha-2 code `country`."""
        code = country.strip().upper()
        return any(
            address.rsplit(",", 1)[-1].strip().upper() == code
            for address in self.addresses.split(";")
            if address.strip()
        )


@dataclass(frozen=True)
class ListFile:
    """A loaded list file and the digest of its bytes."""

    path: str
    digest: str
    entries: int


def list_code(source: str) -> str:
    """Short code of a CSL `source`: `Entity List (EL) - Bureau of Industry and Security` -> `EL`."""
    text = source.strip()
    lowered = text.lower()
    for words, code in _KNOWN_LISTS:
        if lowered.startswith(words) or lowered == code.lower():
            return code
    found = _ABBREVIATION.search(text)
    return found.group(1).upper() if found else text


def load_csl(path: str | Path) -> tuple[list[ListEntry], ListFile]:
    """Read a CSL file in either layout (the header decides; any column order; UTF-8, BOM or not)."""
    file = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        reason = (exc.strerror or type(exc).__name__).lower()
        raise ScreeningListError(file, None, f"cannot read the file: {reason}") from exc
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ScreeningListError(file, line, "not valid UTF-8") from exc
    entries = _read_rows(file, text)
    return entries, ListFile(file, digest, len(entries))


def _read_rows(file: str, text: str) -> list[ListEntry]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [column.strip() for column in next(reader)]
    except StopIteration:
        raise ScreeningListError(file, 1, "the file is empty: no header") from None
    except csv.Error as exc:
        raise ScreeningListError(file, 1, f"malformed CSV: {exc}") from None
    columns = {name: index for index, name in reversed(list(enumerate(header)))}
    for required in REQUIRED_COLUMNS:
        if required not in columns:
            raise ScreeningListError(file, 1, f"missing required column `{required}`")

    i_source, i_name = columns["source"], columns["name"]
    i_alt, i_addr, i_notice = columns.get("alt_names"), columns.get("addresses"), columns.get("federal_register_notice")
    i_start, i_end = columns.get("start_date"), columns.get("end_date")
    i_url, i_id = columns.get("source_list_url"), columns.get("_id")
    width = len(header)
    entries: list[ListEntry] = []
    codes: dict[str, str] = {}
    last = header_end = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ScreeningListError(file, last + 1, f"malformed CSV: {exc}") from None
        line, last = last + 1, reader.line_num
        if not row:
            continue
        if len(row) != width:
            raise ScreeningListError(file, line, f"expected {width} fields as in the header, found {len(row)}")
        name = row[i_name].strip()
        if not name:
            raise ScreeningListError(file, line, "empty `name`")
        source = row[i_source].strip()
        if not source:
            raise ScreeningListError(file, line, "empty `source`")
        code = codes.get(source)
        if code is None:
            code = codes[source] = list_code(source)
        entries.append(
            ListEntry(
                list_code=code,
                source=source,
                name=name,
                alt_names=_alt_names(row[i_alt]) if i_alt is not None else (),
                addresses=row[i_addr].strip() if i_addr is not None else "",
                federal_register_notice=_optional(row, i_notice),
                start_date=_date(file, line, "start_date", row, i_start),
                end_date=_date(file, line, "end_date", row, i_end),
                source_list_url=_optional(row, i_url),
                entry_id=_optional(row, i_id),
                file=file,
                line=line,
            )
        )
    if not entries:  # a list that screens nothing must not pass for a list that found no match
        raise ScreeningListError(file, header_end + 1, "no entries: the header is followed by no row")
    return entries


def _alt_names(value: str) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(part for part in (piece.strip() for piece in value.split(";")) if part)


def _optional(row: list[str], index: int | None) -> str | None:
    if index is None:
        return None
    value = row[index].strip()
    return value or None


def _date(file: str, line: int, name: str, row: list[str], index: int | None) -> date | None:
    value = _optional(row, index)
    if value is None:
        return None
    if _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ScreeningListError(file, line, f"`{name}` is not a date of the form YYYY-MM-DD: `{value}`")


@dataclass(frozen=True)
class Alias:
    """A name a list entry goes by that the list itself does not give (a native-script name): the listed name it
    belongs to, the alias, and where it was read."""

    listed: str
    name: str
    file: str
    line: int


def load_aliases(path: str | Path) -> list[Alias]:
    """An aliases file: CSV with `list_name` and `native_name` columns (others, such as `script` and `note`,
    are kept for people)."""
    file = str(path)
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ScreeningListError(file, None, f"cannot read the file: {(exc.strerror or '').lower()}") from exc
    except UnicodeDecodeError as exc:
        raise ScreeningListError(file, None, "not valid UTF-8") from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in ("list_name", "native_name") if c not in (reader.fieldnames or [])]
    if missing:
        raise ScreeningListError(file, 1, f"missing required column `{missing[0]}`")
    out = []
    width = len(reader.fieldnames or [])
    try:
        for row in reader:
            if None in row or len(row) != width or None in row.values():  # a name with a comma, unquoted
                found = len(row) - 1 + len(row.get(None) or []) if None in row else len(row)
                raise ScreeningListError(
                    file, reader.line_num, f"expected {width} fields as in the header, found {found} (quote a name "
                    "that holds a comma)"
                )  # fmt: skip
            listed, native = (row.get("list_name") or "").strip(), (row.get("native_name") or "").strip()
            if not listed or not native:
                raise ScreeningListError(file, reader.line_num, "an alias needs `list_name` and `native_name`")
            out.append(Alias(listed, native, file, reader.line_num))
    except csv.Error as exc:
        raise ScreeningListError(file, reader.line_num, f"malformed CSV: {exc}") from None
    return out


def with_aliases(entries: list[ListEntry], aliases: list[Alias]) -> tuple[list[ListEntry], list[Alias]]:
    """The entries with each alias added to the entries of its listed name (matched as written, or with case
    and spacing folded); and the aliases whose listed name no entry has (a name delisted since)."""
    by_name: dict[str, list[int]] = {}
    for index, entry in enumerate(entries):
        by_name.setdefault(_plain(entry.name), []).append(index)
    extra: dict[int, list[str]] = {}
    unmatched = []
    for alias in aliases:
        found = by_name.get(_plain(alias.listed))
        if not found:
            unmatched.append(alias)
        for index in found or ():
            extra.setdefault(index, []).append(alias.name)
    out = [
        replace(entry, alt_names=(*entry.alt_names, *(n for n in extra[i] if n not in entry.alt_names)))
        if i in extra
        else entry
        for i, entry in enumerate(entries)
    ]
    return out, unmatched


def _plain(name: str) -> str:
    return " ".join(name.casefold().split())
