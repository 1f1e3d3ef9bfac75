"""Exact facts for durable-rules: every operand reaches the engine as a small integer code.

durable-rules cannot carry a value exactly. It compares numbers as doubles or 64-bit integers, so a Decimal
sent as a float ties with a constant near it (`14000.0000000000000000001 > 14000` is false once both are
floats), integers past 2**53 lose digits and past 2**63 saturate, 1E+400 overflows and 1E-400 becomes 0;
and it rejects or mishandles strings over 65,535 UTF-8 bytes. Rather than guard each case, no value is sent
at all: each operand is sent as an integer code whose comparisons give exactly what Python's comparisons
of the values give.

Operands compared with each other (`end_user.name != customer.name`) share a *domain*; a domain's
constants are every literal a rule compares one of its operands with. Constants get fixed codes when the
pack is translated (they are written into the rules); a transaction's values are coded in Python:

- an equality domain (only `==`, `!=` and short `in` lists): constant i has code i; any other value gets
  the next free code, equal values the same one;
- an ordered domain (some `<`, `<=`, `>` or `>=`): the sorted constants c0 < c1 < ... have codes
  (i + 1) * W, with W one more than the domain's operands; a value between c(i-1) and c(i) gets i * W plus
  its rank among this fact's values in that gap. Codes compare as the values do, however close the values.

A value that cannot be coded so (an operand that failed to compute, None, NaN, a kind its domain does not
hold, such as a string among numbers) is not sent: its key is *unsure*, and the backend judges every
rule that reads that key in Python.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from engine.evaluation import Env
from engine.language import Fn
from engine.language.values import MISSING

ONE = "_one"
_KINDS: dict[type, str] = {
    int: "number", Decimal: "number", float: "number", bool: "bool", str: "string", dt.date: "date",
}  # fmt: skip
_MIXED = "mixed"  # a domain whose constants are of several kinds: its values are never sent


class Uncodable(Exception):
    """A domain's values cannot be coded exactly."""


@dataclass(frozen=True)
class Literal:
    """A constant a rule compares the operand `key` with; its code replaces it once every rule is known."""

    key: str
    value: Any

    def __repr__(self) -> str:
        return repr(self.value)


def kind_of(value: Any) -> str | None:
    """The kind of a value that can be coded (`number`, `bool`, `string`, `date`), or None."""
    kind = _KINDS.get(type(value))
    if kind == "number" and (value.is_nan() if type(value) is Decimal else type(value) is float and math.isnan(value)):
        return None
    return kind


class Encoded(NamedTuple):
    """The fact sent to durable-rules, and the keys whose values it does not carry although they exist."""

    fact: dict[str, Any]
    unsure: list[str]


@dataclass
class Domain:
    """Operands compared with each other, the constants they are compared with, and how both are coded."""

    members: list[tuple[str, Fn]]
    ordered: bool
    constants: list[Any]
    kind: str | None = None
    width: int = 0
    codes: dict[Any, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        kinds = {kind_of(c) for c in self.constants}
        self.kind = _MIXED if None in kinds or len(kinds) > 1 else next(iter(kinds), None)
        self.width = len(self.members) + 1
        if self.ordered and self.kind != _MIXED:
            ordered: list[Any] = []
            for constant in sorted(self.constants):
                if not ordered or ordered[-1] != constant:
                    ordered.append(constant)
            self.constants = ordered
            self.codes = {c: (i + 1) * self.width for i, c in enumerate(ordered)}
        else:
            for constant in self.constants:
                self.codes.setdefault(constant, len(self.codes))

    @property
    def presence_only(self) -> bool:
        """One operand never compared with anything: only whether it has a value matters."""
        return len(self.members) == 1 and not self.constants

    def code(self, values: dict[str, Any]) -> dict[str, int]:
        """The codes of one fact's values (key -> value); raise Uncodable if they cannot be exact."""
        kind = self.kind
        for value in values.values():
            found = kind_of(value)
            if found is None or (kind is not None and found != kind):
                raise Uncodable
            kind = found
        return self._ordered(values) if self.ordered else self._equal(values)

    def _equal(self, values: dict[str, Any]) -> dict[str, int]:
        codes = self.codes
        fresh: dict[Any, int] = {}
        out = {}
        for key, value in values.items():
            code = codes.get(value)
            if code is None:
                code = fresh.get(value)
                if code is None:
                    code = fresh[value] = len(codes) + len(fresh)
            out[key] = code
        return out

    def _ordered(self, values: dict[str, Any]) -> dict[str, int]:
        constants, width = self.constants, self.width
        out: dict[str, int] = {}
        between: list[tuple[str, Any, int]] = []
        for key, value in values.items():
            index = bisect.bisect_left(constants, value)
            if index < len(constants) and constants[index] == value:
                out[key] = (index + 1) * width
            else:
                between.append((key, value, index))
        if len(between) == 1:
            key, _, gap = between[0]
            out[key] = gap * width + 1
        elif between:
            gaps: dict[int, set[Any]] = {}
            for _, value, gap in between:
                gaps.setdefault(gap, set()).add(value)
            ranks = {gap: sorted(found) for gap, found in gaps.items()}
            for key, value, gap in between:
                out[key] = gap * width + 1 + bisect.bisect_left(ranks[gap], value)
        return out


class Domains:
    """Collects, while rules are translated, what each operand is compared with; then builds the Encoder."""

    def __init__(self) -> None:
        self.constants: dict[str, list[Any]] = {}
        self.ordered: set[str] = set()
        self.parent: dict[str, str] = {}

    def literal(self, key: str, value: Any, *, ordered: bool) -> Literal:
        self.constants.setdefault(key, []).append(value)
        if ordered:
            self.ordered.add(key)
        return Literal(key, value)

    def link(self, key: str, other: str, *, ordered: bool) -> None:
        """`key` and `other` are compared with each other: they share one domain."""
        self.parent[self._root(key)] = self._root(other)
        if ordered:
            self.ordered.add(key)

    def _root(self, key: str) -> str:
        while (parent := self.parent.get(key, key)) != key:
            key = parent
        return key

    def encoder(self, operands: Iterable[tuple[str, Fn]], flags: Iterable[tuple[str, Fn]]) -> Encoder:
        grouped: dict[str, list[tuple[str, Fn]]] = {}
        for key, fn in operands:
            grouped.setdefault(self._root(key), []).append((key, fn))
        domains, by_key = [], {}
        for members in grouped.values():
            keys = [key for key, _ in members]
            domain = Domain(
                members,
                ordered=any(key in self.ordered for key in keys),
                constants=[c for key in keys for c in self.constants.get(key, [])],
            )
            domains.append(domain)
            by_key.update(dict.fromkeys(keys, domain))
        return Encoder(domains, by_key, list(flags))


class Encoder:
    """Builds the exact fact of one transaction; `resolve` writes the constants' codes into the rules."""

    def __init__(self, domains: list[Domain], by_key: dict[str, Domain], flags: list[tuple[str, Fn]]):
        self.presence = [d.members[0] for d in domains if d.presence_only]
        self.domains = [d for d in domains if not d.presence_only]
        self.by_key = by_key
        self.flags = flags

    def resolve(self, formula: Any) -> Any:
        """`formula` with every Literal replaced by its code."""
        if isinstance(formula, Literal):
            return self.by_key[formula.key].codes[formula.value]
        if isinstance(formula, dict):
            return {key: self.resolve(value) for key, value in formula.items()}
        if isinstance(formula, list):
            return [self.resolve(item) for item in formula]
        return formula

    def encode(self, env: Env) -> Encoded:
        fact: dict[str, Any] = {ONE: 1}
        unsure: list[str] = []
        for key, fn in self.presence:  # tested only by `exists`/`missing`, for which None is missing too
            try:
                value = fn(env)
            except Exception:
                unsure.append(key)
                continue
            if value is not MISSING and value is not None:
                fact[key] = 1
        for domain in self.domains:
            values = {}
            for key, fn in domain.members:
                try:
                    value = fn(env)
                except Exception:
                    unsure.append(key)
                    continue
                if value is None:  # `None == x` is false in Python, `None < x` an error: let Python judge
                    unsure.append(key)
                elif value is not MISSING:
                    values[key] = value
            if not values:
                continue
            try:
                fact.update(domain.code(values))
            except Exception:  # Uncodable, or a comparison Python itself refuses
                unsure.extend(values)
        for key, fn in self.flags:
            try:
                value = fn(env)
            except Exception:
                unsure.append(key)
                continue
            if value is True or value is False:
                fact[key] = value
            elif value is not MISSING:
                unsure.append(key)
        return Encoded(fact, unsure)
