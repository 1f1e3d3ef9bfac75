"""Tamper evidence: the log is one chain of entries, decisions and events (a review resolved, a version
published, an evaluation under a pinned version), numbered 1, 2, 3... across both tables. Each entry carries
`chain`, the hash of the previous entry's chain and its own content; the head row names the last entry.

Two modes. Unkeyed, the hash is sha256: it shows an entry altered, removed or moved by anyone who does not
also recompute every hash after it. Keyed, it is HMAC-sha256 with a key kept outside the database
(`CLEARANCE_LOG_KEY`, or a file named by `CLEARANCE_LOG_KEY_FILE`): without the key no one can recompute the
chain, and the head carries a MAC too, so that the newest entries cannot be cut off with the head moved back.
An anchor (`clearance log anchor`: the head's number and hash, kept elsewhere) shows a log rewound or rebuilt
after it was taken, in either mode.

`verify` checks, besides the chain, that every stored column says what the hashed content says, that the
review queue matches the decisions and the resolutions chained, and that the license usage totals are what
the chained allowed decisions add up to.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, select, update

from engine.store.errors import StoreError
from engine.store.schema import chain_head, decisions, events, fact_totals, reviews, rulesets

GENESIS = "0" * 64
FORMAT = 2  # how an entry is hashed: 1 (the first log) left out seq, submitted_by and the ruleset columns
HASHED_V1 = ("decision_id", "transaction_id", "content_digest", "decision", "transaction", "facts")
HASHED = ("seq", *HASHED_V1, "submitted_by")
EVENT_HASHED = ("seq", "kind", "subject", "body", "recorded_by", "recorded_at")
# columns kept beside the hashed content for searching and listing: each must say what the content says
INDEXED = (
    "outcome", "fee_usd", "customer_name", "customer_id", "transaction_date", "ruleset_pack", "ruleset_version",
    "ruleset_digest", "ruleset_label", "evaluated_at",
)  # fmt: skip
KEY_ENV, KEY_FILE_ENV = "CLEARANCE_LOG_KEY", "CLEARANCE_LOG_KEY_FILE"
KEY_CHECK = b"clearance log key check"


def as_stored(value: Any) -> Any:
    """A value as the database gives it back from a JSON column."""
    return json.loads(json.dumps(value))


def _canonical(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def log_key(path: str | None = None) -> bytes | None:
    """The log's key: the file `path`, else $CLEARANCE_LOG_KEY_FILE, else $CLEARANCE_LOG_KEY; None: unkeyed."""
    path = path or os.environ.get(KEY_FILE_ENV)
    if path:
        try:
            text = Path(path).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise StoreError(f"the log key file `{path}` cannot be read: {exc}") from None
    else:
        text = os.environ.get(KEY_ENV, "").strip()
    if not text:
        return None
    if len(text) < 32:
        raise StoreError("the log key is too short: give at least 32 characters (`clearance log new-key` makes one)")
    return text.encode()


class Chain:
    """How entries are linked: sha256, or HMAC-sha256 with the log's key."""

    def __init__(self, key: bytes | None = None):
        self.key = key

    @property
    def keyed(self) -> bool:
        return self.key is not None

    def check_value(self) -> str | None:
        """What the log records to tell its key from another (not the key, nor enough to find it)."""
        return None if self.key is None else hmac.new(self.key, KEY_CHECK, hashlib.sha256).hexdigest()

    def link(self, previous: str, body: Mapping[str, Any], keyed: bool | None = None) -> str:
        data = previous.encode() + _canonical(body)
        if keyed is None:
            keyed = self.keyed
        if keyed:
            assert self.key is not None
            return hmac.new(self.key, data, hashlib.sha256).hexdigest()
        return hashlib.sha256(data).hexdigest()

    def head_mac(self, seq: int, digest: str, keyed_from: int | None) -> str | None:
        if self.key is None:
            return None
        return hmac.new(self.key, f"head:{seq}:{digest}:{keyed_from}".encode(), hashlib.sha256).hexdigest()


def decision_body(entry: Mapping[str, Any], fmt: int | None) -> dict[str, Any]:
    """The hashed content of a decision entry, in its format."""
    if fmt == FORMAT:
        return {"entry": "decision", **{k: entry[k] for k in HASHED}}
    return {k: entry[k] for k in HASHED_V1}


def event_body(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {"entry": "event", **{k: iso(entry[k]) if k == "recorded_at" else entry[k] for k in EVENT_HASHED}}


class Head(NamedTuple):
    seq: int
    hash: str
    keyed_from: int | None


def head(connection: Connection, chain: Chain, locking: bool) -> Head:
    """The chain's last entry, locked for this transaction in PostgreSQL (SQLite's writer holds the whole
    file). StoreError when the head is missing (it is made with the log), or when this process's key is not the
    log's: a keyed log is written with its key only."""
    query = select(chain_head.c.seq, chain_head.c.hash, chain_head.c.keyed_from, chain_head.c.key_check).where(
        chain_head.c.id == 1
    )
    row = connection.execute(query.with_for_update() if locking else query).first()
    if row is None:
        raise StoreError("the decision log's chain head is missing: the log was tampered with (run `log verify`)")
    if row.key_check is not None and row.key_check != chain.check_value():
        given = "none is given" if chain.key is None else "the key given is another"
        raise StoreError(f"this decision log is keyed and {given}: set {KEY_ENV} or {KEY_FILE_ENV} to the log's key")
    return Head(int(row.seq), str(row.hash), row.keyed_from)


def move_head(connection: Connection, chain: Chain, start: Head, seq: int, digest: str) -> None:
    """The head after entries start.seq+1..seq, the first keyed one recorded when the chain becomes keyed."""
    keyed_from = start.keyed_from
    if chain.keyed and keyed_from is None:
        keyed_from = start.seq + 1
    connection.execute(
        update(chain_head)
        .where(chain_head.c.id == 1)
        .values(
            seq=seq, hash=digest, keyed_from=keyed_from, key_check=chain.check_value(),
            mac=chain.head_mac(seq, digest, keyed_from),
        )
    )  # fmt: skip


def append_event(
    connection: Connection, chain: Chain, locking: bool, clock_now: dt.datetime, kind: str, subject: str,
    body: Mapping[str, Any], by: str | None,
) -> dict[str, Any]:  # fmt: skip
    """Chain one event after the last entry (within the caller's database transaction)."""
    start = head(connection, chain, locking)
    entry = {
        "seq": start.seq + 1, "kind": kind, "subject": subject, "body": as_stored(dict(body)),
        "recorded_by": by, "recorded_at": clock_now,
    }  # fmt: skip
    entry["chain"] = chain.link(start.hash, event_body(entry))
    connection.execute(events.insert().values(**entry))
    move_head(connection, chain, start, entry["seq"], entry["chain"])
    return entry


def iso(moment: Any) -> Any:
    """A moment as the chain writes it (naive UTC, to the microsecond), whatever the database gave back."""
    if isinstance(moment, dt.datetime):
        return _utc(moment).isoformat(timespec="microseconds")
    return moment


def _utc(moment: dt.datetime) -> dt.datetime:
    """A moment as a naive UTC datetime (SQLite gives naive ones back, PostgreSQL aware ones)."""
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


def _altered_columns(entry: Mapping[str, Any], fmt: int | None) -> list[str]:
    """The INDEXED columns of a decision entry that say something else than its hashed content."""
    decision, tx = entry["decision"], entry["transaction"]
    customer = tx.get("customer") or {}
    ruleset = decision.get("ruleset") or {}
    evaluated: dt.datetime | None
    try:
        evaluated = _utc(dt.datetime.fromisoformat(str(decision.get("evaluated_at")).replace("Z", "+00:00")))
        fee: Any = Decimal(str(decision.get("fee_usd")))
    except (ValueError, InvalidOperation):
        evaluated = fee = None
    said = {
        "outcome": decision.get("decision"),
        "fee_usd": fee,
        "customer_name": customer.get("name"),
        "customer_id": customer.get("id"),
        "transaction_date": tx.get("date"),
        "ruleset_pack": ruleset.get("pack"),
        "ruleset_version": ruleset.get("version"),
        "ruleset_digest": ruleset.get("digest"),
        "ruleset_label": ruleset.get("label"),
        "evaluated_at": evaluated,
    }
    stored = {
        **{column: entry[column] for column in INDEXED},
        "fee_usd": Decimal(str(entry["fee_usd"])),
        "transaction_date": str(entry["transaction_date"]),
        "evaluated_at": _utc(entry["evaluated_at"]),
    }
    if decision.get("transaction_id") != entry["transaction_id"]:
        stored["outcome"] = None  # the content is another transaction's: every column disagrees with it
    return [column for column in INDEXED if stored[column] != said[column]]


@dataclass
class Report:
    """What `verify` found: entries checked, problems, and what it could not check (said, not hidden)."""

    checked: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    head: Head | None = None


def _entries(connection: Connection) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every entry, decisions and events, in chain order."""
    columns = [decisions.c[k] for k in ("seq", "chain", "chain_format", *HASHED_V1, "submitted_by", *INDEXED)]
    decided = connection.execute(select(*columns).order_by(decisions.c.seq).execution_options(yield_per=2000))
    happened = connection.execute(select(events).order_by(events.c.seq))
    pending = {"decision": next(decided, None), "event": next(happened, None)}
    sources = {"decision": decided, "event": happened}
    while any(pending.values()):
        kind = min((k for k, row in pending.items() if row is not None), key=lambda k: pending[k].seq)  # type: ignore[union-attr]
        row = pending[kind]
        assert row is not None
        yield kind, dict(row._mapping)
        pending[kind] = next(sources[kind], None)


def verify(engine: Engine, chain: Chain, anchor: tuple[int, str] | None = None) -> Report:
    """Check the chain, every stored column, the reviews, the usage totals and the head (and the anchor)."""
    report = Report()
    try:
        return _verify(engine, chain, anchor, report)
    except (ValueError, TypeError, KeyError, AttributeError, ArithmeticError) as exc:  # a value edited past reading
        report.problems.append(
            f"the log holds a value that cannot be read ({type(exc).__name__}: {str(exc)[:120]}), after entry "
            f"{report.checked}: it was altered"
        )
        return report


def _verify(engine: Engine, chain: Chain, anchor: tuple[int, str] | None, report: Report) -> Report:
    with engine.connect() as connection:
        heads = connection.execute(select(chain_head)).all()
        recorded = next((row for row in heads if row.id == 1), None)
        if len(heads) > (recorded is not None):
            report.problems.append("the chain head table holds rows it never wrote: it was altered")
        keyed_from = recorded.keyed_from if recorded is not None else None
        key_fits = chain.keyed and (recorded is None or recorded.key_check in (None, chain.check_value()))
        if keyed_from is not None and not chain.keyed:
            report.problems.append(
                f"the log is keyed from entry {keyed_from} on: verify it with its key ({KEY_ENV} or {KEY_FILE_ENV}); "
                "without it, the hashes of those entries cannot be checked"
            )
        elif chain.keyed and not key_fits:
            report.problems.append("the key given is not this log's key: nothing keyed can be checked with it")
        previous, last_seq, last_format = GENESIS, 0, 0
        resolutions: dict[str, dict[str, Any]] = {}
        published: dict[str, dict[str, Any]] = {}
        review_decisions: dict[str, Any] = {}
        usage: dict[tuple[str, str], dict[str, Decimal]] = {}
        legacy = 0
        at_anchor: str | None = None
        for kind, entry in _entries(connection):
            report.checked += 1
            seq = int(entry["seq"])
            keyed = keyed_from is not None and seq >= keyed_from
            if kind == "decision":
                fmt = entry["chain_format"]
                name = f"entry {seq} (decision {entry['decision_id']}, transaction {entry['transaction_id']})"
                body = decision_body(entry, fmt)
                if fmt != FORMAT:
                    legacy += 1
                    if last_format == FORMAT:
                        report.problems.append(f"{name} is of the first format after entries of the second")
            else:
                fmt = FORMAT
                name = f"entry {seq} ({entry['kind']} {entry['subject']})"
                body = event_body(entry)
            if fmt == FORMAT and seq != last_seq + 1:
                report.problems.append(f"{name} follows entry {last_seq}: entries are missing or renumbered")
            if not keyed or key_fits:
                expected = chain.link(previous, body, keyed=keyed)
                if entry["chain"] != expected:
                    report.problems.append(
                        f"{name} does not follow from the entry before it: it was altered or moved, or the entry "
                        "before it was removed"
                    )
            if kind == "decision":
                report.problems += [
                    f"{name}: its `{column}` column disagrees with its content: it was altered"
                    for column in _altered_columns(entry, fmt)
                ]
                decision = entry["decision"]
                if decision.get("decision") == "review":
                    review_decisions[entry["decision_id"]] = entry["evaluated_at"]
                if decision.get("decision") == "allow":
                    for accrual in decision.get("accruals") or ():
                        totals = usage.setdefault((accrual["fact"], str(accrual["key"])), {})
                        for amount_field, amount in accrual["amounts"].items():
                            totals[amount_field] = totals.get(amount_field, Decimal(0)) + Decimal(str(amount))
            elif entry["kind"] == "review-resolved":
                resolutions[entry["subject"]] = entry["body"]
            elif entry["kind"] == "version-published":
                published[entry["subject"]] = entry["body"]
            if anchor is not None and seq == anchor[0]:
                at_anchor = entry["chain"]
            previous, last_seq, last_format = entry["chain"], seq, fmt
        report.problems += _check_head(recorded, chain, last_seq, previous)
        report.head = Head(last_seq, previous, keyed_from)
        report.problems += _check_reviews(connection, review_decisions, resolutions)
        report.problems += _check_usage(connection, usage)
        report.problems += _check_versions(connection, published, legacy)
    if anchor is not None:
        seq, digest = anchor
        if at_anchor is None:
            report.problems.append(f"the anchor names entry {seq}, which the log no longer holds: it was cut back")
        elif at_anchor != digest:
            report.problems.append(
                f"entry {seq} is not the one anchored: the log up to it was rewritten after the anchor was taken"
            )
    if legacy:
        report.notes.append(
            f"{legacy:,} entries of the first format: their `submitted_by` and ruleset columns are not covered"
        )
    return report


def _check_head(recorded: Any, chain: Chain, last_seq: int, last_hash: str) -> list[str]:
    if recorded is None:
        return ["the chain head is missing: entries may have been removed from the end"]
    problems = []
    if recorded.seq != last_seq or recorded.hash != last_hash:
        if recorded.seq > last_seq:
            problems.append(f"entries are missing at the end: the log ended at entry {recorded.seq}, now at {last_seq}")
        else:
            problems.append(f"the chain head names entry {recorded.seq}, but the log ends at entry {last_seq}")
    keyed_here = chain.keyed and recorded.key_check == chain.check_value()
    if keyed_here and recorded.mac != chain.head_mac(recorded.seq, recorded.hash, recorded.keyed_from):
        problems.append("the chain head was not written with the log's key: it was moved (entries cut off?)")
    return problems


def _check_reviews(
    connection: Connection, review_decisions: dict[str, Any], resolutions: dict[str, dict[str, Any]]
) -> list[str]:
    """The review queue against the chain: one review per `review` decision, opened when it was made, and
    resolved exactly as the chained resolution says (or open, when none is chained)."""
    problems = []
    rows = {row.decision_id: row for row in connection.execute(select(reviews))}
    for decision_id, opened in review_decisions.items():
        row = rows.pop(decision_id, None)
        if row is None:
            problems.append(f"the review of decision {decision_id} is missing: it was removed")
            continue
        said = resolutions.get(decision_id)
        stored = {
            "status": row.status, "resolution": row.resolution, "note": row.note, "reviewer": row.reviewer,
            "resolved_at": iso(row.resolved_at),
        }  # fmt: skip
        expected = {"status": "open", "resolution": None, "note": None, "reviewer": None, "resolved_at": None}
        if said is not None:
            expected = {"status": "resolved", **{k: said.get(k) for k in ("resolution", "note", "reviewer")},
                        "resolved_at": said.get("resolved_at")}  # fmt: skip
        altered = [k for k in expected if stored[k] != expected[k]]
        if iso(row.opened_at) != iso(opened):
            altered.append("opened_at")
        if altered:
            problems.append(
                f"the review of decision {decision_id} disagrees with the chain in {', '.join(altered)}: it was altered"
            )
    problems += [f"a review of decision {d} stands without a `review` decision in the chain" for d in rows]
    return problems


def _check_usage(connection: Connection, usage: dict[tuple[str, str], dict[str, Decimal]]) -> list[str]:
    """The usage totals against what the chained allowed decisions add up to."""
    problems = []
    stored: dict[tuple[str, str], dict[str, Decimal]] = {}
    for row in connection.execute(select(fact_totals)):
        try:
            stored[(row.fact, row.key)] = {f: Decimal(str(v)) for f, v in (row.amounts or {}).items()}
        except (InvalidOperation, AttributeError):
            stored[(row.fact, row.key)] = {"?": Decimal(-1)}
    for slot in sorted(usage.keys() | stored.keys()):
        said = {f: v for f, v in usage.get(slot, {}).items() if v}
        held = {f: v for f, v in stored.get(slot, {}).items() if v}
        if said != held:
            shown = ", ".join(f"{f} {v}" for f, v in sorted(held.items())) or "nothing"
            owed = ", ".join(f"{f} {v}" for f, v in sorted(said.items())) or "nothing"
            problems.append(
                f"the usage of {slot[0]} `{slot[1]}` reads {shown}, but the allowed decisions in the chain add up to "
                f"{owed}: it was altered"
            )
    return problems


def _check_versions(connection: Connection, published: dict[str, dict[str, Any]], legacy: int) -> list[str]:
    """Each published version as its chained publication says (a log of the first format may hold versions
    published before publications were chained)."""
    problems = []
    for row in connection.execute(select(rulesets)):
        said = published.pop(row.digest, None)
        if said is None:
            if not legacy:
                problems.append(f"version {row.pack} {row.label} ({row.digest[:19]}) was never published in the chain")
            continue
        stored = version_record(row)
        altered = [k for k in stored if stored[k] != said.get(k)]
        if altered:
            problems.append(
                f"version {row.pack} {row.label} ({row.digest[:19]}) disagrees with its publication in "
                f"{', '.join(altered)}: it was altered"
            )
    problems += [f"version {digest[:19]}, published in the chain, is missing: it was removed" for digest in published]
    return problems


def version_record(row: Any) -> dict[str, Any]:
    """What the chain says of a published version: its names, who, when, why, and a digest of its files."""
    return {
        "pack": row.pack, "label": row.label, "note": row.note, "published_by": row.published_by,
        "published_at": iso(row.published_at), "files_sha256": hashlib.sha256(_canonical(row.files)).hexdigest(),
    }  # fmt: skip
