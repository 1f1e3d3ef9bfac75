"""Tamper evidence: every logged decision carries `chain`, the sha256 of the previous entry's chain and its own
content, so that an entry altered, removed or reordered after it was written breaks the chain where it was
touched; the head row records the last entry, so that removing the newest entries shows too."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert

from engine.store.schema import chain_head, decisions

GENESIS = "0" * 64
HASHED = ("decision_id", "transaction_id", "content_digest", "decision", "transaction", "facts")


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


def verify(engine: Engine) -> tuple[int, list[str]]:
    """How many entries were checked, and every problem found (an entry altered, removed or reordered)."""
    problems: list[str] = []
    previous = GENESIS
    checked = 0
    last_seq = 0
    columns = [decisions.c.seq, decisions.c.chain, *(decisions.c[k] for k in HASHED)]
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
            previous = row.chain or expected
            last_seq = row.seq
        recorded = connection.execute(select(chain_head.c.seq, chain_head.c.hash).where(chain_head.c.id == 1)).first()
    if recorded is not None and (recorded.seq != last_seq or recorded.hash != previous):
        problems.append(f"entries are missing at the end: the log ended at entry {recorded.seq}, now at {last_seq}")
    return checked, problems
