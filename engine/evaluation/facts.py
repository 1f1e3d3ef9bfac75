"""The facts of one evaluation: the transaction's fields (from the contract's field table), derived values
computed on first use, and the trace that records what each condition gave."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any, Protocol

from engine.contract import FIELDS, Transaction
from engine.language.values import MISSING
from engine.pack.model import Pack

UNSET: Any = object()  # a condition the evaluation never reached (short-circuited)
# the fields the contract defaults when they are not given (`ship_from`): the fact `assumed` names those it did
ASSUMABLE = frozenset(
    name for name, info in Transaction.model_fields.items() if not info.is_required() and info.default not in (None, ())
)
ASSUMING = tuple(sorted(ASSUMABLE))
# `assumed` for each combination of the fields not given (bit i: ASSUMING[i]), made once
ASSUMED = tuple(
    frozenset(name for i, name in enumerate(ASSUMING) if combination >> i & 1)
    for combination in range(1 << len(ASSUMING))
)


def _facts_source() -> str:
    """The source of `transaction_facts`, generated from the field table: one dict display reading each
    field straight from the model, as fast as a hand-written function and never out of step with the table.
    The text comes from the table alone, never from input."""
    parents = {f.path[0] for f in FIELDS if len(f.path) == 2}
    lines = ["def transaction_facts(tx):"]
    for parent in sorted(parents):
        fallback = next((f.fallback for f in FIELDS if f.path[0] == parent and f.fallback), None)
        lines.append(f"    {parent} = tx.{parent}" + (f" or tx.{fallback}" if fallback else ""))
    lines.append("    return {")
    for f in FIELDS:
        if f.derived:
            continue
        owner = f.path[0] if len(f.path) == 2 else "tx"
        read = f"{owner}.{f.path[-1]}"
        optional_owner = owner != "tx" and not Transaction.model_fields[owner].is_required() and not f.fallback
        if f.kind == "list":
            value = f"FROZEN({read})"
        elif f.always_given:
            value = read
        else:
            guard = f"{owner} is None or " if optional_owner else ""
            value = f"MISSING if {guard}(_v := {read}) is None else _v"
        lines.append(f"        {f.name!r}: {value},")
    flags = " + ".join(f"{1 << i} * ({name!r} not in given)" for i, name in enumerate(ASSUMING))
    lines.insert(1, "    given = tx.model_fields_set")
    lines.append(f"        'assumed': ASSUMED[{flags or '0'}],")
    lines.append("    }")
    return "\n".join(lines) + "\n"


def _compile_facts() -> Callable[[Transaction], dict[str, Any]]:
    namespace: dict[str, Any] = {"MISSING": MISSING, "ASSUMED": ASSUMED, "FROZEN": lru_cache(maxsize=4096)(frozenset)}
    exec(compile(_facts_source(), "<transaction_facts>", "exec"), namespace)
    function: Callable[[Transaction], dict[str, Any]] = namespace["transaction_facts"]
    function.__doc__ = "The transaction as flat named facts (`customer.name`, `specs.tpp`); absent fields are MISSING."
    return function


Trace = list[Any]
"""The result of every condition leaf of a pack, by slot; UNSET where a leaf was not evaluated. Leaves write
their own result while evaluating, so that a finding shows each condition's value without tracing the
evaluation a second time. (A plain list: the interpreter's fast path for list indexing applies.)"""


def new_trace(slots: int) -> Trace:
    return [UNSET] * slots


@lru_cache(maxsize=64)
def _unset_trace(slots: int) -> Any:
    return (UNSET,) * slots  # read-only: shared by every evaluation that runs no condition in full


class FactProvider(Protocol):
    """Where a pack's external facts come from (the decision log, the earlier rows of a batch, a test).

    A decision made with a provider renders its findings and explanation at once, since the facts may change
    afterwards; a provider whose facts do not change before the decision is read may say `stable = True`."""

    def fact(self, name: str, key: Any) -> Mapping[str, Any] | None:
        """The fact `name` for `key` (its fields by name), or None when there is none."""
        ...


def amount_from_text(text: str) -> Any:
    """An accrued amount as stored in text (a checkpoint, the decision log): an int, or else a Decimal."""
    return int(text) if text.lstrip("-").isdigit() else Decimal(text)


class InMemoryFacts:
    """External facts held in memory: `add` what each allowed decision accrues, `fact` reads the totals."""

    def __init__(self, facts: Mapping[str, Mapping[Any, Mapping[str, Any]]] | None = None):
        self.facts: dict[str, dict[Any, dict[str, Any]]] = {
            name: {key: dict(fields) for key, fields in by_key.items()} for name, by_key in (facts or {}).items()
        }

    def fact(self, name: str, key: Any) -> Mapping[str, Any] | None:
        return self.facts.get(name, {}).get(key)

    def add(self, name: str, key: Any, amounts: Mapping[str, Any]) -> None:
        totals = self.facts.setdefault(name, {}).setdefault(key, {})
        for field, amount in amounts.items():
            totals[field] = totals.get(field, 0) + amount

    def record(self, decision: Any) -> None:
        """Add what an allowed decision accrues (its `accruals`)."""
        for accrual in decision.accruals:
            self.add(accrual["fact"], accrual["key"], accrual["amounts"])


class CountedFacts(InMemoryFacts):
    """Facts that are counted: a key nothing accrued to is zero (the rules see `counted`), as the decision log
    holds them or a batch adds them up. `whole` says whether they are the whole record: a batch that starts from
    no decision log counts only its own rows, and then an allow that relies on an accruing fact is held for
    review (see `engine.evaluation.kernel`)."""

    stable = True

    def __init__(self, facts: Mapping[str, Mapping[Any, Mapping[str, Any]]] | None = None, whole: bool = True):
        super().__init__(facts)
        self.whole = whole

    def fact(self, name: str, key: Any) -> Mapping[str, Any] | None:
        return self.facts.get(name, {}).get(key, {})

    @classmethod
    def from_totals(cls, totals: Mapping[tuple[str, str], Mapping[str, Any]]) -> CountedFacts:
        """The facts of a decision log's totals, `{(fact, key): amounts}` (see `DecisionLog.usage`)."""
        nested: dict[str, dict[Any, Mapping[str, Any]]] = {}
        for (name, key), amounts in totals.items():
            nested.setdefault(name, {})[key] = amounts
        return cls(nested)


class Env(dict[str, Any]):
    """Named facts: transaction fields, then derived values computed on first use; `trace` records the
    conditions; `provider` gives the pack's external facts. One Env serves one evaluation, never shared."""

    __slots__ = ("derive", "provider", "trace")
    derive: dict[str, Any]
    trace: Trace
    provider: FactProvider | None

    def external(self, name: str, key: Any) -> Mapping[str, Any] | None:
        return None if self.provider is None else self.provider.fact(name, key)

    def __missing__(self, key: str) -> Any:
        value = self.derive[key](self)
        self[key] = value
        return value


transaction_facts = _compile_facts()


def bind(pack: Pack, tx: Transaction, facts: FactProvider | None = None, *, trace: bool = True) -> Env:
    """The facts of `tx` for evaluating `pack` (with the caller's external `facts`): every backend's first step.
    Without `trace`, the trace reads as all UNSET and cannot be written: give it a `new_trace` before running
    any condition."""
    env = Env(transaction_facts(tx))
    env.derive = pack.derive
    env.trace = new_trace(pack.leaf_count) if trace else _unset_trace(pack.leaf_count)
    env.provider = facts
    return env
