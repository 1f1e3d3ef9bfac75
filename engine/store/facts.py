"""The pack's external facts (license usage) as the decision log holds them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert

from engine.evaluation.facts import amount_from_text
from engine.store.schema import fact_totals

_FACT = select(fact_totals.c.amounts).where(
    (fact_totals.c.fact == bindparam("fact")) & (fact_totals.c.key == bindparam("key"))
)
_FACT_LOCKED = _FACT.with_for_update()
_FACT_UPDATE = (
    update(fact_totals)
    .where((fact_totals.c.fact == bindparam("f")) & (fact_totals.c.key == bindparam("k")))
    .values(amounts=bindparam("amounts"))
)


class LogFacts:
    """The pack's external facts as the log holds them, read under a lock within one database transaction."""

    stable = True  # the decision is rendered and stored before the transaction commits

    def __init__(self, connection: Connection, locking: bool):
        self.connection = connection
        self.locking = locking
        self.read: dict[tuple[str, str], dict[str, Any]] = {}
        self.seen: dict[tuple[str, str], dict[str, str]] = {}  # what the current decision read

    def begin(self) -> None:
        """A new decision: what it reads is recorded afresh."""
        self.seen = {}

    def recorded(self) -> list[list[Any]] | None:
        """What the current decision read, as stored beside it (None: it read no fact)."""
        return [[name, key, fields] for (name, key), fields in self.seen.items()] or None

    def fact(self, name: str, key: Any) -> Mapping[str, Any] | None:
        slot = (name, str(key))
        if slot not in self.read:
            self.read[slot] = self._load(*slot)
        values = self.read[slot]
        self.seen.setdefault(slot, {field: str(amount) for field, amount in values.items()})
        return values

    def _load(self, name: str, key: str) -> dict[str, Any]:
        if self.locking:  # make the row, so that there is one to lock
            self.connection.execute(
                postgres_insert(fact_totals).values(fact=name, key=key, amounts={}).on_conflict_do_nothing()
            )
        amounts = self.connection.execute(_FACT_LOCKED if self.locking else _FACT, {"fact": name, "key": key}).scalar()
        return {field: amount_from_text(text) for field, text in (amounts or {}).items()}

    def peeking(self) -> _Peek:
        """These facts as a provider that records nothing of what it reads (a shadowed candidate's reads)."""
        return _Peek(self)

    def add(self, name: str, key: Any, amounts: Mapping[str, Any]) -> None:
        totals = dict(self.fact(name, key) or {})
        for field, amount in amounts.items():
            totals[field] = totals.get(field, 0) + amount
        self.read[(name, str(key))] = totals
        stored = {field: str(amount) for field, amount in totals.items()}
        changed = self.connection.execute(_FACT_UPDATE, {"f": name, "k": str(key), "amounts": stored}).rowcount
        if not changed:
            self.connection.execute(fact_totals.insert().values(fact=name, key=str(key), amounts=stored))


class RecordedFacts:
    """The facts a logged decision read, as they were then (for replaying it)."""

    stable = True

    def __init__(self, recorded: list[list[Any]] | None):
        self.values = {
            (name, key): {f: amount_from_text(v) for f, v in fields.items()} for name, key, fields in recorded or ()
        }

    def fact(self, name: str, key: Any) -> Mapping[str, Any] | None:
        return self.values.get((name, str(key)), {})


class _Peek:
    """LogFacts read without being recorded as what the current decision read."""

    stable = True

    def __init__(self, facts: LogFacts):
        self.facts = facts

    def fact(self, name: str, key: Any) -> Mapping[str, Any] | None:
        slot = (name, str(key))
        if slot not in self.facts.read:
            self.facts.read[slot] = self.facts._load(*slot)
        return self.facts.read[slot]
