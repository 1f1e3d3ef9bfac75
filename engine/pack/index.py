"""The rule index: the rules of an epoch that can fire, found with a few set operations per transaction.

A condition made of simple tests of names (`destination == "CN"`, `end_use in [...]`, `quantity >= 10`, a
boolean value), joined by `and` or `all`, or an `any` of such conjunctions, is decided here without running
it. Each conjunction ("branch") has a bit; for each name the pack tests, the transaction's value selects the
branches whose test on that name is false (a dict look-up for text, a bisection over sorted thresholds for
numbers), or missing. A rule fires when one of its branches has no false and no missing test, and is not
evaluable when none holds and one is missing, exactly as three-valued `and`/`any` say.

A rule whose condition starts with simple tests and goes on with others is skipped when those are false and
otherwise run in full; every other rule is run in full. When reading a name fails or gives a value of an
unexpected type, every rule testing it is run in full, so errors are reported as the rule itself reports
them.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from engine.language import Test
from engine.language.values import MISSING
from engine.pack.loop import compile_loop

if TYPE_CHECKING:
    from engine.pack.model import CompiledRule

MAX_BRANCHES = 4  # an `any` of more conjunctions is run in full
PAYS = 2  # the index is used when the rules it settles are at least twice the names it reads (each read
# may compute a derived value that running the rules would not have needed)
TEXT, NUMBER, BOOLEAN = "text", "number", "boolean"
_BISECT = {"ge": (bisect.bisect_right, True), "gt": (bisect.bisect_left, True),
           "le": (bisect.bisect_left, False), "lt": (bisect.bisect_right, False)}  # fmt: skip


def branches(rule: CompiledRule) -> tuple[list[list[Test]], bool] | None:
    """A rule's condition as branches of simple tests, and whether that is all of it (False: a simple prefix
    of an `all`, followed by other conditions); None when it has no simple part."""
    when, leaves = rule.when, rule.leaves
    if isinstance(when, str):
        tests = _conjunction(leaves[0].expr.test)
        return ([tests], True) if tests and _distinct(tests) else None
    if not isinstance(when, dict) or len(when) != 1 or not all(isinstance(w, str) for w in next(iter(when.values()))):
        return None
    kind = next(iter(when))
    if kind == "all":
        prefix: list[Test] = []
        for leaf in leaves:
            tests = _conjunction(leaf.expr.test)
            if tests is None:
                return ([prefix], False) if prefix and _distinct(prefix) else None
            prefix.extend(tests)
        return ([prefix], True) if _distinct(prefix) else None
    if kind == "any" and len(leaves) <= MAX_BRANCHES:
        found = [_conjunction(leaf.expr.test) for leaf in leaves]
        if all(tests is not None and _distinct(tests) for tests in found):
            return [t for t in found if t is not None], True
    return None


def _conjunction(test: Test | None) -> list[Test] | None:
    if test is None:
        return None
    if test[0] == "and":
        out: list[Test] = []
        for part in test[1]:
            tests = _conjunction(part)
            if tests is None:
                return None
            out.extend(tests)
        return out
    return [test]


def _distinct(tests: list[Test]) -> bool:
    """At most one `eq` test of a name in a branch (the false set of `eq` is computed per branch)."""
    names = [t[1] for t in tests if t[0] == "eq"]
    return len(names) == len(set(names))


@dataclass
class Group:
    """The tests of one name, over branch bits."""

    name: str
    kind: str
    every: int = 0  # branches that test the name
    eq_every: int = 0  # branches with an `eq` test of it
    eq_true: dict[str, int] = field(default_factory=dict)  # value -> branches whose `eq` test holds
    ne_false: dict[str, int] = field(default_factory=dict)  # value -> branches whose `ne` test fails
    is_false: int = 0  # branches that need the boolean true
    thresholds: dict[str, list[tuple[Any, int]]] = field(default_factory=dict)  # op -> (threshold, bit)
    orders: tuple[tuple[Callable[..., int], list[Any], list[int]], ...] = ()

    def add(self, test: Test, bit: int) -> None:
        op = test[0]
        self.every |= bit
        if op == "eq":
            self.eq_every |= bit
            for value in test[2]:
                self.eq_true[value] = self.eq_true.get(value, 0) | bit
        elif op == "ne":
            for value in test[2]:
                self.ne_false[value] = self.ne_false.get(value, 0) | bit
        elif op == "is":
            self.is_false |= bit
        else:
            self.thresholds.setdefault(op, []).append((test[2], bit))

    def freeze(self) -> None:
        """Sorted thresholds and, for each place a value can fall among them, the branches that fail."""
        orders = []
        for op, pairs in self.thresholds.items():
            pairs.sort(key=lambda pair: pair[0])
            find, failing_above = _BISECT[op]
            masks = [0] * (len(pairs) + 1)
            if failing_above:  # `ge`/`gt`: the tests with thresholds past the value fail
                for i in range(len(pairs) - 1, -1, -1):
                    masks[i] = masks[i + 1] | pairs[i][1]
            else:  # `le`/`lt`: the tests with thresholds before the value fail
                for i, (_, bit) in enumerate(pairs):
                    masks[i + 1] = masks[i] | bit
            orders.append((find, [threshold for threshold, _ in pairs], masks))
        self.orders = tuple(orders)

    def scan(self, value: Any) -> int:
        """The branches whose test of this name is false for `value` (a present value of the right type)."""
        if self.kind == TEXT:
            return (self.eq_every & ~self.eq_true.get(value, 0)) | self.ne_false.get(value, 0)
        if self.kind == NUMBER:
            failing = 0
            for find, thresholds, masks in self.orders:
                failing |= masks[find(thresholds, value)]
            return failing
        return self.is_false if value is False else 0


def _kind(test: Test) -> str:
    return {"eq": TEXT, "ne": TEXT, "is": BOOLEAN}.get(test[0], NUMBER)


_TYPES = {TEXT: (str,), NUMBER: (int, Decimal), BOOLEAN: (bool,)}


class Index:
    """The index of one epoch's rules (`rules`, in the pack's order)."""

    def __init__(self, rules: tuple[CompiledRule, ...]):
        self.rules = rules
        self.position_of = {id(rule): position for position, rule in enumerate(rules)}
        found = [(position, branches(rule)) for position, rule in enumerate(rules)]
        indexed = [(position, shape) for position, shape in found if shape is not None]
        names = {test[1] for _, shape in indexed for tests in shape[0] for test in tests}
        if sum(1 for _, shape in indexed if shape[1]) < PAYS * len(names):
            indexed, found = [], [(position, None) for position, _ in found]  # running them costs less
        self.positions = tuple(position for position, _ in indexed)  # rule bit -> position in `rules`
        self.plain = tuple(position for position, shape in found if shape is None)  # always run in full
        self.loop = compile_loop(rules, self.plain)  # the plain rules, run by one compiled function
        size = self.size = len(indexed)
        self.width = max((len(shape[0]) for _, shape in indexed), default=1)
        self.rule_mask = (1 << size) - 1
        groups: dict[tuple[str, str], Group] = {}
        self.branch_mask = 0
        self.simple = self.guarded = 0
        self.deny = self.review = self.allow = self.fees = 0
        for bit, (position, (conjunctions, whole)) in enumerate(indexed):
            rule = rules[position]
            if whole:
                self.simple |= 1 << bit
                effect_mask = {"deny": "deny", "review": "review"}.get(rule.effect, "allow")
                setattr(self, effect_mask, getattr(self, effect_mask) | 1 << bit)
                if rule.fee_fn is not None:
                    self.fees |= 1 << bit
            else:
                self.guarded |= 1 << bit
            for j, tests in enumerate(conjunctions):
                branch = 1 << (j * size + bit)
                self.branch_mask |= branch
                for test in tests:
                    key = (test[1], _kind(test))
                    groups.setdefault(key, Group(test[1], key[1])).add(test, branch)
        for group in groups.values():
            group.freeze()
        self.groups = tuple(groups.values())

    def fold(self, branch_bits: int) -> int:
        """Rule bits with at least one of their branches among `branch_bits`."""
        size, mask = self.size, self.rule_mask
        out = branch_bits & mask
        for j in range(1, self.width):
            out |= (branch_bits >> (j * size)) & mask
        return out

    def scan(self, env: Any) -> tuple[int, int, int]:
        """Rule bits: the simple rules that fire, those not evaluable, and the rules to run in full."""
        if not self.size:
            return 0, 0, 0
        false = missing = unsure = 0
        for group in self.groups:
            try:
                value = env[group.name]
                if value is MISSING:
                    missing |= group.every
                elif type(value) in _TYPES[group.kind]:
                    false |= group.scan(value)
                else:
                    unsure |= group.every
            except Exception:  # the rule reports it when run in full
                unsure |= group.every
        unsure = self.fold(unsure)
        fired = self.fold(self.branch_mask & ~(false | missing)) & self.simple & ~unsure
        not_evaluable = self.fold(missing & ~false) & self.simple & ~unsure & ~fired
        run = unsure | (self.guarded & ~self.fold(false & self.branch_mask & self.rule_mask))
        return fired, not_evaluable, run

    def in_order(self, bits: int) -> list[int]:
        """The positions in `rules` of the rule bits set in `bits`, in the pack's order."""
        positions = self.positions
        text = bin(bits)[:1:-1]
        return [positions[i] for i, digit in enumerate(text) if digit == "1"]


def merge(*sorted_positions: Iterable[int]) -> list[int]:
    return sorted(set().union(*sorted_positions))
