"""The facts of one evaluation: the transaction's fields (from the contract's field table), derived values
computed on first use, and the trace that records what each condition gave."""

from __future__ import annotations

from typing import Any

from engine.contract import FIELDS, Transaction
from engine.language.values import MISSING
from engine.pack.model import Pack

UNSET: Any = object()  # a condition the evaluation never reached (short-circuited)
_GETTERS = tuple((f.name, f.getter(), f.kind == "list") for f in FIELDS)


class Trace(list[Any]):
    """The result of every condition leaf of a pack, by slot; UNSET where a leaf was not evaluated.

    Leaves write their own result while evaluating, so that a finding shows each condition's value
    without tracing the evaluation a second time."""

    __slots__ = ()

    @classmethod
    def empty(cls, slots: int) -> Trace:
        return cls([UNSET] * slots)


class Env(dict[str, Any]):
    """Named facts: transaction fields, then derived values computed on first use; `trace` records the
    conditions. One Env serves one evaluation and is never shared."""

    __slots__ = ("derive", "trace")
    derive: dict[str, Any]
    trace: Trace

    def __missing__(self, key: str) -> Any:
        value = self.derive[key](self)
        self[key] = value
        return value


def transaction_facts(tx: Transaction) -> dict[str, Any]:
    """The transaction as flat named facts (`customer.name`, `specs.tpp`); absent fields are MISSING."""
    facts: dict[str, Any] = {}
    for name, get, is_list in _GETTERS:
        value = get(tx)
        facts[name] = MISSING if value is None else frozenset(value) if is_list else value
    return facts


def bind(pack: Pack, tx: Transaction) -> Env:
    """The facts of `tx` for evaluating `pack`: the first step of every backend."""
    env = Env(transaction_facts(tx))
    env.derive = pack.derive
    env.trace = Trace.empty(pack.leaf_count)
    return env
