"""Lookups into reference tables: index the rows once at compile time, look a value up per transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.language import ExprError, Fn, Scope, compile_expr
from engine.language.values import ANY, BOOL, MISSING, NUMBER, STRING, Type, record
from engine.pack.spec import LookupSpec
from engine.pack.tables import Table
from engine.screening.names import normalize_name


def compile_lookup(
    spec: LookupSpec, tables: dict[str, Table], scope: Scope
) -> tuple[Fn, Type, tuple[tuple[str, Fn], ...]]:
    """A lookup value: the first `match` whose value exists selects candidate rows through an index built
    here, `where` filters them (with `row` bound). Gives the first row that passes, None, or MISSING."""
    table = tables.get(spec.table)
    if table is None:
        raise ExprError(f"unknown table `{spec.table}`", "unknown-name")
    if table.kind != "rows":
        raise ExprError(f"table `{spec.table}` holds sets, not rows", "type-mismatch")
    matchers = []
    inputs: list[tuple[str, Fn]] = []
    for match in spec.match:
        for column in match.columns:
            if column not in table.columns:
                raise ExprError(f"table `{table.name}` has no column `{column}`", "unknown-name")
        value = compile_expr(match.value, scope)
        inputs.extend(value.observed)
        if value.type not in (STRING, NUMBER, ANY):
            raise ExprError(
                f"lookup value `{match.value}` is a {value.type}, expected a string or number", "type-mismatch"
            )
        norm = normalizer(match.normalize)
        index: dict[Any, list[Any]] = {}
        for row in table.rows:
            for column in match.columns:
                cell = row.get(column, MISSING)
                for item in cell if isinstance(cell, tuple) else (cell,):
                    if item is MISSING:
                        continue
                    key = norm(item) if isinstance(item, str) else item
                    bucket = index.setdefault(key, [])
                    if row not in bucket:
                        bucket.append(row)
        matchers.append((value.fn, norm, {k: tuple(v) for k, v in index.items()}))
    where = None
    if spec.where is not None:
        where_expr = compile_expr(spec.where, scope.with_row(table), want=BOOL)
        where = where_expr.fn
        inputs.extend(where_expr.observed)

    def lookup(env: Any) -> Any:
        for value_fn, norm, index in matchers:
            value = value_fn(env)
            if value is MISSING or value is None:
                continue
            candidates = index.get(norm(value) if isinstance(value, str) else value, ())
            break
        else:
            return MISSING
        if where is None:
            return candidates[0] if candidates else None
        unknown = False
        for row in candidates:
            verdict = where(RowEnv(env, row))
            if verdict is True:
                return row
            if verdict is MISSING:
                unknown = True
        return MISSING if unknown else None

    return lookup, record(table.name), tuple(inputs)


class RowEnv:
    """The facts seen by a lookup's `where`: the evaluation's facts, and `row`, the candidate row. The
    evaluation's own facts are never changed."""

    __slots__ = ("env", "row")

    def __init__(self, env: Any, row: Any):
        self.env = env
        self.row = row

    def __getitem__(self, key: str) -> Any:
        return self.env[key]

    def __contains__(self, key: str) -> bool:
        return key in self.env

    def __setitem__(self, key: str, value: Any) -> None:  # a derived value computed inline (see `emit.Derived`)
        self.env[key] = value

    def external(self, name: str, key: Any) -> Any:
        return self.env.external(name, key)


def normalizer(kind: str) -> Callable[[str], str]:
    if kind == "party-name":
        return normalize_name
    if kind == "casefold":
        return _casefold
    return str


def _casefold(text: str) -> str:
    return " ".join(text.casefold().split())
