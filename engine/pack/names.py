"""What names mean in a pack: the transaction's fields (from the contract), the pack's derived values and
its tables. Values are compiled on first use, so each is compiled after the values it reads; a value that
reads itself, through any chain, is reported with the cycle."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.contract import FIELDS
from engine.contract.yamlfile import line_of
from engine.language import ExprError, Fn, Functions, Scope, compile_expr
from engine.language.emit import Derived
from engine.language.values import ANY, TYPES, Type
from engine.pack.lookups import compile_lookup
from engine.pack.model import ValueDef
from engine.pack.spec import ValueSpec
from engine.pack.tables import Table

FIELD_TYPES: dict[str, Type] = {f.name: TYPES[f.kind] for f in FIELDS}


@dataclass(frozen=True)
class Site:
    """Where a value or rule is written: its file, the file's raw data (with lines) and its path in it."""

    file: str
    raw: Any
    loc: tuple[Any, ...]


Report = Callable[[ExprError, Site], None]


class Names:
    """Resolves names for the compiler and compiles the pack's values in dependency order."""

    def __init__(self, tables: dict[str, Table], functions: Functions, report: Report):
        self.tables = tables
        self.report = report
        self.specs: dict[str, tuple[Site, ValueSpec]] = {}
        self.compiled: dict[str, ValueDef] = {}
        self.failed: set[str] = set()
        self.stack: list[str] = []
        self.derived: dict[str, Derived] = {}
        self.scope = Scope(self._resolve, tables, self._known, functions)

    def taken(self, name: str) -> bool:
        return name in self.specs or name in FIELD_TYPES or name in self.tables

    def declare(self, site: Site, spec: ValueSpec) -> None:
        self.specs[spec.name] = (site, spec)

    def compile_values(self) -> dict[str, ValueDef]:
        for name in self.specs:
            self._value_type(name)
        return dict(self.compiled)

    def _known(self) -> list[str]:
        return [*FIELD_TYPES, *self.specs, *self.tables]

    def _resolve(self, name: str) -> tuple[Fn, Type] | None:
        if name in FIELD_TYPES:
            return operator.itemgetter(name), FIELD_TYPES[name]
        if name in self.specs:
            type_ = self._value_type(name)
            if name not in self.derived:  # one per value, so that its inline function is made once
                value = self.compiled.get(name)
                self.derived[name] = Derived(name, value.expr if value is not None else None)
            return self.derived[name], type_
        return None

    def _value_type(self, name: str) -> Type:
        if name in self.compiled:
            return self.compiled[name].type
        if name in self.failed:
            return ANY
        if name in self.stack:
            cycle = " -> ".join([*self.stack[self.stack.index(name) :], name])
            site, _ = self.specs[name]
            self.report(ExprError(f"value `{name}` depends on itself: {cycle}", "value-cycle"), site)
            self.failed.add(name)
            return ANY
        self._compile_value(name)
        return self.compiled[name].type if name in self.compiled else ANY

    def _compile_value(self, name: str) -> None:
        site, spec = self.specs[name]
        self.stack.append(name)
        try:
            if spec.expr is not None:
                expr = compile_expr(spec.expr, self.scope)
                fn, type_, inputs = expr.fn, expr.type, tuple(expr.observed)
            else:
                assert spec.lookup is not None
                expr = None
                fn, type_, inputs = compile_lookup(spec.lookup, self.tables, self.scope)
        except ExprError as exc:
            exc.message = f"value `{name}`: {exc.message}"
            where = (*site.loc, "expr") if spec.expr is not None else (*site.loc, "lookup")
            self.report(exc, Site(site.file, site.raw, where))
            self.failed.add(name)
            return
        finally:
            self.stack.pop()
        if name not in self.failed:
            line = line_of(site.raw, site.loc)
            self.compiled[name] = ValueDef(name, fn, type_, spec.description, site.file, line, inputs, expr)
