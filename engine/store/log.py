"""The decision log: every decision with its transaction, findings, ruleset and time; the review queue; the
external facts (license usage) the pack's rules read; API keys. SQLite by default, PostgreSQL to scale out.

Submissions are committed in groups, each group one database transaction: look its transaction ids up (the
same content returns the stored decision; other content is a conflict), evaluate each new one in turn with the
log as the provider of external facts, adding what it accrues, store the new decisions (one statement) and open
their reviews, commit; only then is each answered. Facts are read under a lock:
PostgreSQL locks each fact's row (`SELECT ... FOR UPDATE`, the row made first if new), and SQLite takes its one
write lock when the transaction begins (`BEGIN IMMEDIATE`), so that concurrent submissions never use the same
units twice. A deadlock or serialisation failure is retried.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import queue
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from engine.contract import Decision, Transaction, parse_transaction
from engine.contract.decision import stamp, utcnow
from engine.evaluation import evaluate
from engine.evaluation.facts import amount_from_text
from engine.pack import Pack
from engine.store import chain
from engine.store.database import database_url, make_engine, reader
from engine.store.errors import Conflict, NotFound, StoreError
from engine.store.facts import LogFacts, RecordedFacts
from engine.store.keys import KeyStore
from engine.store.reviews import ReviewStore, _review
from engine.store.schema import api_keys, chain_head, decisions, events, fact_totals, reviews, shadows
from engine.store.shadows import ShadowStore
from engine.store.versions import VersionStore

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
RETRIES = 8
GROUP = 256  # submissions committed together at most
FROM_ENVIRONMENT: Any = object()  # no key given: the environment's, if any


def content_digest(tx: Transaction) -> str:
    """The digest of a transaction as validated: the same content, however written, has the same digest."""
    canonical = json.dumps(tx.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


# statements made once: executing them with parameters skips building and checking them each time
_FIND = select(decisions.c.transaction_id, decisions.c.content_digest, decisions.c.decision).where(
    decisions.c.transaction_id.in_(bindparam("ids", expanding=True))
)
_INSERT_DECISION = decisions.insert()
_OPEN_REVIEW = reviews.insert()
_SHADOW = shadows.insert()


class _Pending:
    """A submission waiting for the writer: answered (`done`) only after its transaction commits."""

    __slots__ = ("answer", "digest", "event", "outcome", "pack", "shadow", "submitted_by", "tx")

    def __init__(
        self, pack: Pack, tx: Transaction, digest: str, submitted_by: str | None,
        answer: Callable[[Any], None] | None = None, shadow: Pack | None = None,
    ):  # fmt: skip
        self.pack, self.tx, self.digest, self.submitted_by = pack, tx, digest, submitted_by
        self.answer, self.shadow = answer, shadow
        self.event = threading.Event() if answer is None else None  # a caller with a callback does not wait
        self.outcome: Any = None

    def done(self, outcome: Any) -> None:
        self.outcome = outcome
        if self.answer is not None:
            self.answer(outcome)
        if self.event is not None:
            self.event.set()

    def result(self) -> tuple[dict[str, Any], bool]:
        assert self.event is not None
        self.event.wait()
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        record, created = self.outcome
        return record, created


def _shadowed(candidate: Pack, tx: Transaction, facts: LogFacts, decision: Decision) -> dict[str, Any]:
    """The row of a decision judged again under the shadowed candidate: never sent, never counted."""
    try:
        again = evaluate(candidate, tx, facts.peeking()).stamped(str(decision.decision_id), str(decision.evaluated_at))
        record = chain.as_stored(again.as_dict())
        outcome, fee = again.decision, again.fee_usd
    except Exception as exc:  # the candidate failed: recorded as such, the live decision is not touched
        record = {"error": f"{type(exc).__name__}: {exc}"}
        outcome, fee = "error", Decimal(0)
    return {"decision_id": decision.decision_id, "candidate_digest": candidate.digest,
            "candidate_label": candidate.label, "outcome": outcome, "fee_usd": fee, "decision": record}  # fmt: skip


class _Written:
    """What a batch writes: the chain so far (its last entry's number and hash), the rows of its new decisions
    and reviews, and the transactions the log holds (those stored before, and those of this batch)."""

    __slots__ = ("previous", "reviews", "rows", "seq", "shadows", "stored")

    def __init__(self, start: chain.Head, stored: dict[str, tuple[str, dict[str, Any]]]):
        self.seq, self.previous = start.seq, start.hash
        self.stored = stored
        self.rows: list[dict[str, Any]] = []
        self.reviews: list[dict[str, Any]] = []
        self.shadows: list[dict[str, Any]] = []


class DecisionLog(KeyStore, ReviewStore, ShadowStore, VersionStore):
    """The log over one database; `migrate()` brings its tables to the current version."""

    def __init__(self, url: str, clock: Callable[[], dt.datetime] = utcnow, key: Any = FROM_ENVIRONMENT):
        """`key`: the log's key for a keyed chain (default: from the environment, see `chain.log_key`)."""
        self.url = database_url(url)
        self.chain = chain.Chain(chain.log_key() if key is FROM_ENVIRONMENT else key)
        self.engine = make_engine(url)
        self.reader = reader(self.engine)
        self.postgres = self.engine.dialect.name == "postgresql"
        self.clock = clock
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._writer: threading.Thread | None = None
        self._keys: dict[str, tuple[float, tuple[str, str] | None]] = {}
        self._compiled: dict[str, tuple[dict[str, str], Pack]] = {}

    def migrate(self) -> None:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def replay(self, decision_id: str, fallback: Pack | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
        """A logged decision, and the same transaction judged again under the version it was made under, with
        the external facts it read then, and its id and time (so that the two are equal when nothing changed).
        The version comes from the store, or is `fallback` when that is the same content."""
        with self.reader.connect() as connection:
            row = connection.execute(
                select(decisions.c.decision, decisions.c.transaction, decisions.c.facts, decisions.c.ruleset_digest)
                .where((decisions.c.decision_id == decision_id) | (decisions.c.transaction_id == decision_id))
            ).first()  # fmt: skip
        if row is None:
            raise NotFound(f"no decision `{decision_id}` in the log")
        if fallback is not None and fallback.digest == row.ruleset_digest:
            pack = fallback.labelled((row.decision.get("ruleset") or {}).get("label"))
        else:
            try:
                pack = self.load_version(row.ruleset_digest)
            except NotFound:
                raise NotFound(
                    f"decision `{decision_id}` was made under {row.ruleset_digest}, which is not published in this "
                    "log; give its pack directory with --pack"
                ) from None
        stored = dict(row.decision)
        tx = parse_transaction(row.transaction)
        again = evaluate(pack, tx, RecordedFacts(row.facts)).stamped(stored["decision_id"], stored["evaluated_at"])
        return stored, chain.as_stored(again.as_dict())

    def logged(self, since: dt.datetime | None = None) -> Iterator[tuple[Transaction, RecordedFacts]]:
        """Every logged transaction (since a time), in log order, with the external facts its decision read."""
        query = select(decisions.c.transaction, decisions.c.facts).order_by(decisions.c.seq)
        if since is not None:
            query = query.where(decisions.c.evaluated_at >= since)
        with self.reader.connect() as connection:
            for row in connection.execution_options(yield_per=2000).execute(query):
                yield parse_transaction(row.transaction), RecordedFacts(row.facts)

    def verify(self, anchor: tuple[int, str] | None = None) -> chain.Report:
        """The chain checked: every entry, column, review, usage total and the head (see `chain.verify`)."""
        return chain.verify(self.reader, self.chain, anchor)

    def anchor(self) -> chain.Head:
        """The head of the chain as it is now: kept elsewhere, it shows later whether the log was cut back or
        rebuilt (`verify(anchor=...)`)."""
        with self.reader.connect() as connection:
            found = connection.execute(select(chain_head.c.seq, chain_head.c.hash, chain_head.c.keyed_from)).first()
        if found is None:
            raise StoreError("the decision log's chain head is missing: run `log verify`")
        return chain.Head(int(found.seq), str(found.hash), found.keyed_from)

    def events(self, kind: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """The newest chained events (reviews resolved, versions published, pinned evaluations...), newest first."""
        query = select(events).order_by(events.c.seq.desc()).limit(limit)
        if kind:
            query = query.where(events.c.kind == kind)
        with self.reader.connect() as connection:
            rows = connection.execute(query).all()
        return [
            {"seq": r.seq, "kind": r.kind, "subject": r.subject, "body": r.body, "recorded_by": r.recorded_by,
             "recorded_at": chain.iso(r.recorded_at)}
            for r in rows
        ]  # fmt: skip

    def check_key(self) -> None:
        """StoreError when this process cannot write the log: it is keyed with another key, or with one this
        process does not have."""
        with self.reader.connect() as connection:
            chain.head(connection, self.chain, locking=False)

    def record_event(self, kind: str, subject: str, body: dict[str, Any], by: str | None) -> dict[str, Any]:
        """Chain an event (what happened, to what, by whom) after the last entry of the log."""
        with self.engine.begin() as connection:
            return chain.append_event(connection, self.chain, self.postgres, self.clock(), kind, subject, body, by)

    def ready(self) -> bool:
        try:
            with self.reader.connect() as connection:
                connection.execute(select(func.count()).select_from(api_keys))
            return True
        except DBAPIError:
            return False

    def close(self) -> None:
        with self._lock:
            if self._writer is not None and self._writer.is_alive():
                self._queue.put(None)
                self._writer.join(timeout=30)
            self._writer = None
        self.engine.dispose()

    # decisions ---------------------------------------------------------------------------------------------
    def submit(
        self, pack: Pack, tx: Transaction, submitted_by: str | None = None, shadow: Pack | None = None
    ) -> tuple[dict[str, Any], bool]:
        """The decision for `tx`, stored before it is returned, and whether it is new (False: the same
        transaction was submitted before, and this is its stored decision). Conflict: same id, other content.

        Submissions from many threads are committed together (group commit): the log's writer takes every
        submission waiting, judges them one after another in one database transaction, commits once, and
        only then answers each. One disk flush serves many decisions, and none is answered before it is on
        disk."""
        pending = _Pending(pack, tx, content_digest(tx), submitted_by, shadow=shadow)
        self._enqueue(pending)
        return pending.result()

    def submit_later(
        self, pack: Pack, tx: Transaction, submitted_by: str | None, answer: Callable[[Any], None],
        shadow: Pack | None = None,
    ) -> None:  # fmt: skip
        """As `submit`, without waiting: `answer` is called (from the log's writer thread) after the commit,
        with `(decision, new)` or the error. An event loop passes a callback that hands it back to the loop."""
        self._enqueue(_Pending(pack, tx, content_digest(tx), submitted_by, answer, shadow))

    def _enqueue(self, pending: _Pending) -> None:
        with self._lock:
            if self._writer is None or not self._writer.is_alive():
                self._writer = threading.Thread(target=self._write, name="decision-log-writer", daemon=True)
                self._writer.start()
        self._queue.put(pending)

    def _write(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < GROUP:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)
                    break
                batch.append(item)
            self._commit(batch)

    def _commit(self, batch: list[_Pending]) -> None:
        for attempt in range(RETRIES):
            try:
                outcomes: list[Any] = []
                with self.engine.begin() as connection:
                    facts = LogFacts(connection, locking=self.postgres)
                    start = chain.head(connection, self.chain, locking=self.postgres)  # locked in PostgreSQL
                    written = _Written(start, self._stored(connection, batch))
                    for item in batch:
                        outcomes.append(self._judge(connection, facts, item, written))
                    if written.rows:  # every new decision of the batch in one statement, then its reviews
                        connection.execute(_INSERT_DECISION, written.rows)
                        if written.reviews:
                            connection.execute(_OPEN_REVIEW, written.reviews)
                        if written.shadows:
                            connection.execute(_SHADOW, written.shadows)
                        chain.move_head(connection, self.chain, start, written.seq, written.previous)
                for item, outcome in zip(batch, outcomes, strict=True):
                    item.done(outcome)
                return
            except IntegrityError:  # an id stored meanwhile by another process: judge the batch again
                continue
            except OperationalError as exc:  # deadlock, serialisation failure, a busy SQLite file
                if attempt == RETRIES - 1:
                    for item in batch:
                        item.done(StoreError(f"the decision log is busy: {exc.orig}"))
                    return
                time.sleep(0.01 * 2**attempt)
            except Exception as exc:  # the database failed: every waiting submission is told
                for item in batch:
                    item.done(StoreError(f"the decision log failed: {exc}"))
                return
        for item in batch:
            item.done(StoreError(f"transaction `{item.tx.id}` could not be stored"))

    @staticmethod
    def _stored(connection: Connection, batch: list[_Pending]) -> dict[str, tuple[str, dict[str, Any]]]:
        """The batch's transactions already in the log: content digest and decision, by transaction id."""
        ids = list({item.tx.id for item in batch})
        rows = connection.execute(_FIND, {"ids": ids}).all()
        return {row.transaction_id: (row.content_digest, row.decision) for row in rows}

    def _judge(self, connection: Connection, facts: LogFacts, item: _Pending, written: _Written) -> Any:
        """One submission within the writer's transaction: the stored decision, a new one, or the error."""
        tx = item.tx
        stored = written.stored.get(tx.id)
        if stored is not None:
            if stored[0] != item.digest:
                return Conflict(
                    f"transaction `{tx.id}` is already in the log with other content; a new transaction needs a new id"
                )
            return (dict(stored[1]), False)
        try:
            facts.begin()
            decision = stamp(evaluate(item.pack, tx, facts), self.clock)
            record = decision.as_dict()
        except Exception as exc:  # this submission fails; the others of the batch go on
            return StoreError(f"transaction `{tx.id}` could not be judged: {type(exc).__name__}: {exc}")
        self._store(tx, item.digest, decision, record, item.submitted_by, facts.recorded(), written, self.chain)
        if item.shadow is not None:  # the candidate, with the facts the decision read; it uses none of them
            written.shadows.append(_shadowed(item.shadow, tx, facts, decision))
        if decision.decision == "allow":
            for accrual in decision.accruals:
                facts.add(accrual["fact"], accrual["key"], accrual["amounts"])
        return (record, True)

    @staticmethod
    def _store(
        tx: Transaction, digest: str, decision: Decision, record: dict[str, Any], submitted_by: str | None,
        facts: list[list[Any]] | None, written: _Written, links: chain.Chain,
    ) -> None:  # fmt: skip
        """The rows of a new decision (and its review), chained to the one before; inserted with the batch."""
        assert decision.decision_id is not None and decision.evaluated_at is not None
        at = dt.datetime.fromisoformat(decision.evaluated_at.replace("Z", "+00:00"))
        written.seq += 1
        entry = chain.as_stored(
            {
                "seq": written.seq,
                "decision_id": decision.decision_id,
                "transaction_id": tx.id,
                "content_digest": digest,
                "decision": record,
                "transaction": tx.model_dump(mode="json", exclude_unset=True),
                "facts": facts,
                "submitted_by": submitted_by,
            }
        )
        written.previous = links.link(written.previous, chain.decision_body(entry, chain.FORMAT))
        written.rows.append(
            {
                **entry,
                "chain": written.previous,
                "chain_format": chain.FORMAT,
                "outcome": decision.decision,
                "fee_usd": decision.fee_usd,
                "customer_name": tx.customer.name,
                "customer_id": tx.customer.id,
                "transaction_date": tx.date,
                "ruleset_pack": decision.ruleset["pack"],
                "ruleset_version": decision.ruleset["version"],
                "ruleset_digest": decision.ruleset["digest"],
                "ruleset_label": decision.ruleset.get("label"),
                "evaluated_at": at,
            }
        )
        written.stored[tx.id] = (digest, entry["decision"])  # the same transaction again in this batch
        if decision.decision == "review":
            written.reviews.append({"decision_id": decision.decision_id, "status": "open", "opened_at": at})

    def get(self, decision_id: str) -> dict[str, Any]:
        with self.reader.connect() as connection:
            row = connection.execute(
                select(decisions.c.decision, decisions.c.transaction, reviews.c.status, reviews.c.resolution,
                       reviews.c.note, reviews.c.reviewer, reviews.c.resolved_at)
                .select_from(decisions.outerjoin(reviews))
                .where((decisions.c.decision_id == decision_id) | (decisions.c.transaction_id == decision_id))
            ).first()  # fmt: skip
        if row is None:
            raise NotFound(f"no decision `{decision_id}` in the log")
        out = {**row.decision, "transaction": row.transaction}
        if row.status is not None:
            out["review"] = _review(row)
        return out

    def search(
        self, *, outcome: str | None = None, since: dt.datetime | None = None, customer: str | None = None,
        after: str | None = None, limit: int = 50,
    ) -> tuple[list[dict[str, Any]], str | None]:  # fmt: skip
        """Decisions in log order (oldest first), filtered; and the cursor for the next page, if any."""
        query = select(decisions.c.seq, decisions.c.decision).order_by(decisions.c.seq).limit(limit + 1)
        if outcome:
            query = query.where(decisions.c.outcome == outcome)
        if since:
            query = query.where(decisions.c.evaluated_at >= since)
        if customer:
            needle = customer.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(
                func.lower(decisions.c.customer_name).like(f"%{needle}%", escape="\\")
                | (decisions.c.customer_id == customer)
            )
        if after:
            query = query.where(decisions.c.seq > _cursor_seq(after))
        with self.reader.connect() as connection:
            rows = connection.execute(query).all()
        page = rows[:limit]
        more = len(rows) > limit
        return [dict(r.decision) for r in page], (_cursor(page[-1].seq) if more and page else None)

    def count(self) -> dict[str, int]:
        with self.reader.connect() as connection:
            rows = connection.execute(select(decisions.c.outcome, func.count()).group_by(decisions.c.outcome)).all()
        return {outcome: n for outcome, n in rows}

    def usage(self) -> dict[tuple[str, str], dict[str, Any]]:
        with self.reader.connect() as connection:
            rows = connection.execute(select(fact_totals.c.fact, fact_totals.c.key, fact_totals.c.amounts)).all()
        return {(r.fact, r.key): {f: amount_from_text(v) for f, v in r.amounts.items()} for r in rows}


def _cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"seq:{seq}".encode()).decode().rstrip("=")


def _cursor_seq(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, seq = text.partition(":")
        if kind != "seq" or not seq.isdigit() or not 0 <= int(seq) < 2**63:  # what a database's integer holds
            raise ValueError(text)
        return int(seq)
    except (ValueError, UnicodeDecodeError):
        raise StoreError(f"`{cursor[:40]}` is not a cursor this log gave") from None
