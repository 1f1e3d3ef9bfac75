"""Tamper evidence: every logged decision carries `chain`, the sha256 of the previous entry's chain and its own
content, so that an entry altered, removed or reordered after it was written breaks the chain where it was
touched; the head row records the last entry, so that removing the newest entries shows too."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert

from engine.store.schema import chain_head, decisions

GENESIS = "0" * 64
HASHED = ("decision_id", "transaction_id", "content_digest", "decision", "transaction", "facts")
# columns kept beside the hashed content for searching and listing: each must say what the content says
INDEXED = ("outcome", "fee_usd", "customer_name", "customer_id", "transaction_date", "ruleset_digest", "evaluated_at")


def as_stored(value: Any) -> Any:
    """A value as the database gives it back from a JSON column."""
    return json.loads(json.dumps(value))


def entry_hash(previous: str, entry: Mapping[str, Any]) -> str:
    body = json.dumps({k: entry[k] for k in HASHED}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((previous + body).encode()).hexdigest()


def head(connection: Connection, locking: bool) -> tuple[int, str]:
    """The chain's last entry (seq, hash), locked for this transaction in PostgreSQL (SQLite's writer holds
    the whole file)."""
    if locking:
        connection.execute(postgres_insert(chain_head).values(id=1, seq=0, hash=GENESIS).on_conflict_do_nothing())
        query = select(chain_head.c.seq, chain_head.c.hash).where(chain_head.c.id == 1)
        row = connection.execute(query.with_for_update()).first()
    else:
        row = connection.execute(select(chain_head.c.seq, chain_head.c.hash).where(chain_head.c.id == 1)).first()
        if row is None:
            connection.execute(chain_head.insert().values(id=1, seq=0, hash=GENESIS))
            return 0, GENESIS
    assert row is not None
    return int(row.seq), str(row.hash)


def move_head(connection: Connection, seq: int, digest: str) -> None:
    connection.execute(update(chain_head).where(chain_head.c.id == 1).values(seq=seq, hash=digest))


def _altered_columns(entry: Mapping[str, Any]) -> list[str]:
    """The INDEXED columns of an entry that say something else than its hashed content."""
    decision, tx = entry["decision"], entry["transaction"]
    customer = tx.get("customer") or {}
    said = {
        "outcome": decision.get("decision"),
        "fee_usd": Decimal(str(decision.get("fee_usd"))),
        "customer_name": customer.get("name"),
        "customer_id": customer.get("id"),
        "transaction_date": tx.get("date"),
        "ruleset_digest": (decision.get("ruleset") or {}).get("digest"),
        "evaluated_at": _utc(dt.datetime.fromisoformat(str(decision.get("evaluated_at")).replace("Z", "+00:00"))),
    }
    stored = {
        **{column: entry[column] for column in INDEXED},
        "fee_usd": Decimal(str(entry["fee_usd"])),
        "transaction_date": str(entry["transaction_date"]),
        "evaluated_at": _utc(entry["evaluated_at"]),
    }
    return [column for column in INDEXED if stored[column] != said[column]]


def _utc(moment: dt.datetime) -> dt.datetime:
    """A moment as a naive UTC datetime (SQLite gives naive ones back, PostgreSQL aware ones)."""
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


def verify(engine: Engine) -> tuple[int, list[str]]:
    """How many entries were checked, and every problem found (an entry altered, removed or reordered)."""
    problems: list[str] = []
    previous = GENESIS
    checked = 0
    last_seq = 0
    columns = [decisions.c.seq, decisions.c.chain, *(decisions.c[k] for k in (*HASHED, *INDEXED))]
    with engine.connect() as connection:
        for row in connection.execute(select(*columns).order_by(decisions.c.seq)):
            checked += 1
            entry: Mapping[str, Any] = dict(row._mapping)
            expected = entry_hash(previous, entry)
            if row.chain != expected:
                problems.append(
                    f"entry {row.seq} (decision {row.decision_id}, transaction {row.transaction_id}) does not follow "
                    "from the entry before it: it was altered or moved, or the entry before it was removed"
                )
            problems += [
                f"entry {row.seq} (decision {row.decision_id}, transaction {row.transaction_id}): its `{column}` "
                "column disagrees with its content: it was altered"
                for column in _altered_columns(entry)
            ]
            previous = row.chain or expected
            last_seq = row.seq
        recorded = connection.execute(select(chain_head.c.seq, chain_head.c.hash).where(chain_head.c.id == 1)).first()
    if recorded is not None and (recorded.seq != last_seq or recorded.hash != previous):
        problems.append(f"entries are missing at the end: the log ended at entry {recorded.seq}, now at {last_seq}")
    return checked, problems
