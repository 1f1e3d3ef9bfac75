"""A compiled pack: rules as closures, values, tables and lists, ready to evaluate many transactions."""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import difflib
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

from engine.contract import BY_NAME, Transaction, parse_transaction
from engine.errors import FieldError, InvalidTransaction
from engine.language import Expr, Fn
from engine.language.values import Type, display
from engine.pack.index import Index
from engine.pack.tables import Table
from engine.screening import ScreeningIndex


@dataclass(frozen=True)
class ValueDef:
    name: str
    fn: Fn
    type: Type
    description: str | None
    file: str
    line: int | None
    inputs: tuple[tuple[str, Fn], ...] = ()
    expr: Expr | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Leaf:
    """One expression string of a rule's condition: its slot in the per-evaluation results."""

    slot: int
    text: str
    fn: Fn
    observed: tuple[tuple[str, Fn], ...]
    expr: Expr = field(compare=False, repr=False)


@dataclass(frozen=True)
class Template:
    """A message template: literal text and `{expr:spec}` fields, compiled."""

    source: str
    parts: tuple[tuple[str, Fn | None, str], ...]

    def render(self, env: Any) -> str:
        out = []
        for literal, fn, spec in self.parts:
            out.append(literal)
            if fn is not None:
                try:
                    out.append(display(fn(env), spec))
                except Exception:  # a message must never lose a decision
                    out.append("?")
        return "".join(out)


class Plan(NamedTuple):
    """How the evaluator runs a rule cheaply: its first conjunct `guard` (unrecorded by the closure; the
    evaluator records it in `guard_slot`), which skips the rule when false, then the `rest`, recorded."""

    guard: Fn
    guard_slot: int
    rest: Fn | None


@dataclass(frozen=True, eq=False)
class CompiledRule:
    id: str
    title: str
    description: str | None
    effect: str
    cite: str
    message: Template
    test: Fn
    leaves: tuple[Leaf, ...]
    when: Any
    effective_from: dt.date | None
    effective_until: dt.date | None
    fee_rate: Decimal | None
    fee_of: str | None
    fee_fn: Fn | None
    tags: tuple[str, ...]
    file: str
    line: int | None
    plan: Plan | None = None  # None: the evaluator runs `test` whole
    flat: bool = False  # a single condition or `all` of conditions: each is evaluated when the rule fires

    @cached_property
    def in_force_text(self) -> tuple[str | None, str | None]:
        return (
            self.effective_from.isoformat() if self.effective_from else None,
            self.effective_until.isoformat() if self.effective_until else None,
        )

    def in_force(self, on: dt.date) -> bool:
        return (self.effective_from is None or self.effective_from <= on) and (
            self.effective_until is None or on <= self.effective_until
        )

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "effect": self.effect,
            "cite": self.cite,
            "in_force": dict(zip(("from", "until"), self.in_force_text, strict=True)),
            "file": self.file,
            "line": self.line,
        }


@dataclass(frozen=True)
class Accrual:
    """What an allowed decision adds to an external fact: the key, and an amount per field."""

    fact: str
    key: Fn
    amounts: tuple[tuple[str, Fn], ...]
    cite: str | None = None


@dataclass(frozen=True)
class Reported:
    """The classification every decision reports: a summary value and named fields."""

    summary: Fn
    fields: tuple[tuple[str, Fn], ...]


@dataclass(frozen=True, eq=False)
class Pack:
    """A compiled rule pack. Immutable; evaluate it with `engine.evaluate`."""

    name: str
    version: str
    title: str
    description: str | None
    default: str
    digest: str
    root: Path
    rules: tuple[CompiledRule, ...]
    values: dict[str, ValueDef]
    tables: dict[str, Table]
    screening: ScreeningIndex | None
    leaf_count: int
    test_globs: tuple[str, ...]
    law_as_of: dt.date | None = None
    vocabularies: dict[str, frozenset[str]] = field(default_factory=dict)
    classification: Reported | None = None
    accruals: tuple[Accrual, ...] = ()
    reads_facts: bool = False  # its rules read external facts, which a caller's provider gives
    label: str | None = None  # the label it was published under, when it is a published version

    @cached_property
    def derive(self) -> dict[str, Fn]:
        return {name: value.fn for name, value in self.values.items()}

    @cached_property
    def _epochs(self) -> tuple[list[dt.date], list[tuple[CompiledRule, ...]]]:
        """Dates where the set of rules in force changes, and the rules in force from each."""
        bounds = {dt.date.min}
        for rule in self.rules:
            if rule.effective_from:
                bounds.add(rule.effective_from)
            if rule.effective_until and rule.effective_until < dt.date.max:
                bounds.add(rule.effective_until + dt.timedelta(days=1))
        starts = sorted(bounds)
        return starts, [tuple(r for r in self.rules if r.in_force(start)) for start in starts]

    @cached_property
    def _indexes(self) -> dict[int, Index]:
        return {}

    def index_on(self, on: dt.date) -> Index:
        """The rule index of the rules in force on a date (built on first use)."""
        starts, rules = self._epochs
        epoch = bisect.bisect_right(starts, on) - 1
        index = self._indexes.get(epoch)
        if index is None:
            index = self._indexes[epoch] = Index(rules[epoch])
        return index

    def rules_on(self, on: dt.date) -> tuple[CompiledRule, ...]:
        """The rules in force on a date (from and until are inclusive)."""
        starts, rules = self._epochs
        return rules[bisect.bisect_right(starts, on) - 1]

    def transaction(self, data: Any, source: str | None = None) -> Transaction:
        """`data` as a transaction valid under the input contract and this pack's vocabularies; raise
        InvalidTransaction naming every field that is not."""
        tx = parse_transaction(data, source)
        errors = self.vocabulary_errors(tx)
        if errors:
            raise InvalidTransaction(errors, source)
        return tx

    def vocabulary_errors(self, tx: Any) -> list[FieldError]:
        """Fields of a valid transaction that hold a value outside the pack's vocabularies, with the nearest
        value suggested (`us-third-party-tested` -> `us_third_party_tested`)."""
        errors = []
        for name, allowed in self.vocabularies.items():
            value = BY_NAME[name].read(tx) if name in BY_NAME else None
            if value is None or (allowed.issuperset(value) if isinstance(value, tuple) else value in allowed):
                continue
            items = value if isinstance(value, tuple | list | frozenset) else (value,)
            for index, item in enumerate(items):
                if item in allowed:
                    continue
                close = difflib.get_close_matches(str(item), sorted(allowed), n=1, cutoff=0.5)
                hint = f" (did you mean `{close[0]}`?)" if close else ""
                loc: tuple[str | int, ...] = tuple(name.split("."))
                if isinstance(value, tuple | list | frozenset):
                    loc = (*loc, index)
                errors.append(FieldError(loc, f"`{item}` is not in the pack's vocabulary{hint}"))
        return errors

    def rule(self, rule_id: str) -> CompiledRule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    @cached_property
    def _ruleset(self) -> dict[str, str | None]:
        return {"pack": self.name, "version": self.version, "label": self.label, "digest": self.digest}

    @property
    def ruleset(self) -> dict[str, str | None]:
        """What a decision records of the rules that judged it: the pack, its own version, the label it was
        published under (None for a pack directory not published), and its digest."""
        return dict(self._ruleset)

    def labelled(self, label: str | None) -> Pack:
        """This pack as the version published under `label`."""
        return self if label == self.label else dataclasses.replace(self, label=label)
