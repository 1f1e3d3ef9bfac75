"""The review queue: every `review` decision waits for a person, whose resolution is kept beside it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, func, select, update

from engine.store import chain
from engine.store.errors import Conflict, NotFound, StoreError
from engine.store.schema import decisions, reviews


class ReviewStore:
    """Reviews in the log's database (a part of DecisionLog)."""

    engine: Engine
    reader: Engine  # the same database, for reading (see `database.reader`)
    clock: Callable[[], dt.datetime]
    chain: chain.Chain
    postgres: bool

    get: Callable[[str], dict[str, Any]]  # a decision with its review (DecisionLog.get)

    # reviews -------------------------------------------------------------------------------------------------
    def reviews(self, status: str | None = "open", limit: int = 100) -> list[dict[str, Any]]:
        query = (
            select(reviews, decisions.c.transaction_id, decisions.c.decision, decisions.c.transaction)
            .select_from(reviews.join(decisions))
            .order_by(reviews.c.opened_at, decisions.c.seq)
            .limit(limit)
        )
        if status:
            query = query.where(reviews.c.status == status)
        with self.reader.connect() as connection:
            rows = connection.execute(query).all()
        return [
            {
                "decision_id": r.decision_id,
                "transaction_id": r.transaction_id,
                **_review(r),
                "opened_at": _iso(r.opened_at),
                "explanation": r.decision["explanation"],
                "rules": [f["rule"] for f in r.decision["findings"]],
                "transaction": r.transaction,
            }
            for r in rows
        ]

    def open_reviews(self) -> int:
        with self.reader.connect() as connection:
            return int(connection.execute(select(func.count()).where(reviews.c.status == "open")).scalar() or 0)

    def resolve(self, decision_id: str, resolution: str, note: str, reviewer: str) -> dict[str, Any]:
        """Record a reviewer's resolution beside the engine's decision (which stays as it was). The decision is
        named by its id or its transaction's id, as everywhere else."""
        if resolution not in ("release", "reject"):
            raise StoreError("the resolution is `release` or `reject`")
        if not note.strip():
            raise StoreError("a resolution needs a note saying why")
        with self.engine.begin() as connection:
            named = connection.execute(
                select(decisions.c.decision_id).where(
                    (decisions.c.decision_id == decision_id) | (decisions.c.transaction_id == decision_id)
                )
            ).first()
            decision_id = named.decision_id if named is not None else decision_id
            row = connection.execute(select(reviews.c.status).where(reviews.c.decision_id == decision_id)).first()
            if row is None:
                raise NotFound(f"no review for decision `{decision_id}`")
            if row.status != "open":
                raise Conflict(f"the review of `{decision_id}` is already resolved")
            now = self.clock()
            connection.execute(
                update(reviews)
                .where(reviews.c.decision_id == decision_id)
                .values(status="resolved", resolution=resolution, note=note.strip(), reviewer=reviewer,
                        resolved_at=now)
            )  # fmt: skip
            body = {"resolution": resolution, "note": note.strip(), "reviewer": reviewer,
                    "resolved_at": chain.iso(now)}  # fmt: skip
            chain.append_event(
                connection, self.chain, self.postgres, now, "review-resolved", decision_id, body, reviewer
            )
        return self.get(decision_id)


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _review(row: Any) -> dict[str, Any]:
    return {
        "status": row.status,
        "resolution": row.resolution,
        "note": row.note,
        "reviewer": row.reviewer,
        "resolved_at": _iso(row.resolved_at),
    }
