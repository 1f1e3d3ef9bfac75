"""Reference tables of a pack: CSV rows with typed columns, or YAML sets (name -> list of strings)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from engine.contract.yamlfile import LineDict, YamlError, load_yaml, not_utf8_diagnostic, yaml_diagnostic
from engine.errors import Diagnostic
from engine.language.values import BOOL, DATE, LIST, MISSING, NUMBER, STRING, TYPES, Row, Type
from engine.pack.loader import inside, outside
from engine.pack.spec import TableSpec

COLUMN_TYPES: dict[str, Type] = TYPES


@dataclass(frozen=True)
class Table:
    """A loaded table. `rows` for row tables, `sets` for set tables; `columns` maps column -> type."""

    name: str
    file: str
    kind: str
    columns: dict[str, Type] = field(default_factory=dict)
    rows: tuple[Row, ...] = ()
    sets: dict[str, frozenset[str]] = field(default_factory=dict)

    def column_values(self, column: str) -> frozenset[Any]:
        values: set[Any] = set()
        for row in self.rows:
            value = row.get(column, MISSING)
            if value is MISSING:
                continue
            if isinstance(value, tuple):
                values.update(value)
            else:
                values.add(value)
        return frozenset(values)


def load_table(name: str, spec: TableSpec, root: Path, diagnostics: list[Diagnostic]) -> Table | None:
    """Load one table; append every problem to `diagnostics` and return None when there is any."""
    found = inside(root, spec.file)
    if found is None:
        diagnostics.append(outside("pack.yaml", f"table `{name}`: file", spec.file))
        return None
    path, rel = found, spec.file
    if not path.is_file():
        diagnostics.append(
            Diagnostic(file="pack.yaml", code="file-not-found", message=f"table `{name}`: file `{rel}` not found")
        )
        return None
    kind = spec.kind or ("sets" if path.suffix in (".yaml", ".yml") else "rows")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        diagnostics.append(not_utf8_diagnostic(rel, exc))
        return None
    if kind == "sets":
        return _load_sets(name, rel, text, diagnostics)
    return _load_rows(name, spec, rel, text, diagnostics)


def _load_sets(name: str, rel: str, text: str, diagnostics: list[Diagnostic]) -> Table | None:
    try:
        data = load_yaml(text)
    except YamlError as exc:
        diagnostics.append(yaml_diagnostic(rel, exc))
        return None
    if not isinstance(data, dict):
        diagnostics.append(
            Diagnostic(
                file=rel, line=1, code="bad-table", message="a sets table must be a mapping of name to list of strings"
            )
        )
        return None
    sets: dict[str, frozenset[str]] = {}
    before = len(diagnostics)
    for key, items in data.items():
        line = data.key_lines.get(key) if isinstance(data, LineDict) else None
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            diagnostics.append(
                Diagnostic(file=rel, line=line, code="bad-table", message=f"set `{key}` must be a list of strings")
            )
            continue
        sets[str(key)] = frozenset(items)
    if len(diagnostics) > before:
        return None
    return Table(name=name, file=rel, kind="sets", sets=sets)


def _load_rows(name: str, spec: TableSpec, rel: str, text: str, diagnostics: list[Diagnostic]) -> Table | None:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(_rows(reader, rel, diagnostics), None)
    if header is None:
        if not diagnostics or diagnostics[-1].file != rel:
            diagnostics.append(
                Diagnostic(file=rel, line=1, code="bad-table", message="empty file: a header row is required")
            )
        return None
    header = [h.strip() for h in header]
    before = len(diagnostics)
    for column in spec.columns:
        if column not in header:
            diagnostics.append(
                Diagnostic(
                    file=rel,
                    line=1,
                    code="bad-table",
                    message=f"table `{name}`: column `{column}` declared but not in the header",
                )
            )
    if spec.key and spec.key not in header:
        diagnostics.append(
            Diagnostic(
                file=rel, line=1, code="bad-table", message=f"table `{name}`: key column `{spec.key}` not in the header"
            )
        )
    columns = {h: COLUMN_TYPES[spec.columns.get(h, "string")] for h in header}
    rows: list[Row] = []
    keys: dict[Any, int] = {}
    for cells in _rows(reader, rel, diagnostics):
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            diagnostics.append(
                Diagnostic(
                    file=rel, line=line, code="bad-table", message=f"expected {len(header)} fields, found {len(cells)}"
                )
            )
            continue
        values: dict[str, Any] = {}
        for column, cell in zip(header, cells, strict=True):
            try:
                values[column] = _cell(cell.strip(), columns[column], spec.list_separator)
            except ValueError as exc:
                diagnostics.append(
                    Diagnostic(file=rel, line=line, code="bad-table", message=f"column `{column}`: {exc}")
                )
        key = values.get(spec.key, MISSING) if spec.key else line
        if spec.key and key is MISSING:
            diagnostics.append(
                Diagnostic(file=rel, line=line, code="bad-table", message=f"key column `{spec.key}` is empty")
            )
        elif spec.key and key in keys:
            diagnostics.append(
                Diagnostic(
                    file=rel, line=line, code="bad-table", message=f"duplicate key `{key}` (first on line {keys[key]})"
                )
            )
        keys[key] = line
        rows.append(Row(name, key, line, values))
    if len(diagnostics) > before:
        return None
    return Table(name=name, file=rel, kind="rows", columns=columns, rows=tuple(rows))


def _rows(reader: Any, rel: str, diagnostics: list[Diagnostic]) -> Iterator[list[str]]:
    """The reader's rows; a row the csv module cannot read ends the table with a diagnostic at its line."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            diagnostics.append(
                Diagnostic(file=rel, line=reader.line_num, code="bad-table", message=f"unreadable row: {exc}")
            )
            return


def _cell(cell: str, type_: Type, separator: str) -> Any:
    if cell == "":
        return () if type_ is LIST else MISSING
    if type_ is STRING:
        return cell
    if type_ is NUMBER:
        try:
            number = Decimal(cell.replace(",", "")) if "." in cell else int(cell.replace(",", ""))
        except (InvalidOperation, ValueError):
            raise ValueError(f"`{cell}` is not a number") from None
        if isinstance(number, Decimal) and not number.is_finite():
            raise ValueError(f"`{cell}` is not a finite number")
        return number
    if type_ is BOOL:
        lowered = cell.lower()
        if lowered in ("true", "yes", "1"):
            return True
        if lowered in ("false", "no", "0"):
            return False
        raise ValueError(f"`{cell}` is not true or false")
    if type_ is DATE:
        try:
            return dt.date.fromisoformat(cell)
        except ValueError:
            raise ValueError(f"`{cell}` is not a date YYYY-MM-DD") from None
    return tuple(item.strip() for item in cell.split(separator) if item.strip())
