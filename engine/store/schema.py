"""The decision log's tables (SQLAlchemy Core): decisions, reviews, external-fact totals and API keys.

The same tables serve SQLite and PostgreSQL; Alembic migrations (`migrations/`) create and upgrade them."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()
# SQLite gives an INTEGER PRIMARY KEY its rowid (autoincrement); PostgreSQL a BIGINT identity
Seq = BigInteger().with_variant(Integer(), "sqlite")

decisions = Table(
    "decisions",
    metadata,
    Column("seq", Seq, primary_key=True, autoincrement=True),  # the log's order, and its cursor
    Column("decision_id", String(32), nullable=False, unique=True),
    Column("transaction_id", String(200), nullable=False, unique=True),
    Column("content_digest", String(64), nullable=False),  # of the transaction as validated
    Column("outcome", String(10), nullable=False),
    Column("fee_usd", Numeric(20, 2), nullable=False),
    Column("customer_name", String(500), nullable=False),
    Column("customer_id", String(200)),
    Column("transaction_date", Date, nullable=False),
    Column("ruleset_pack", String(200), nullable=False),
    Column("ruleset_version", String(200), nullable=False),
    Column("ruleset_digest", String(80), nullable=False),
    Column("ruleset_label", String(200)),  # the published label it was judged under (NULL: a pack directory)
    Column("evaluated_at", DateTime(timezone=True), nullable=False),
    Column("submitted_by", String(40)),
    Column("transaction", JSON, nullable=False),
    Column("decision", JSON, nullable=False),
    Column("facts", JSON),  # the external facts the decision read, as they were: replay uses them
    Column("chain", String(64)),  # hash of the previous entry's chain and this entry (tamper evidence: chain.py)
    Column("chain_format", Integer),  # how the entry is hashed: NULL for the first format, 2 now
    Index("ix_decisions_outcome_seq", "outcome", "seq"),
    Index("ix_decisions_customer", "customer_name"),
    Index("ix_decisions_evaluated_at", "evaluated_at"),
)

reviews = Table(
    "reviews",
    metadata,
    Column("decision_id", String(32), ForeignKey("decisions.decision_id"), primary_key=True),
    Column("status", String(10), nullable=False),  # open | resolved
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("resolution", String(10)),  # release | reject
    Column("note", Text),
    Column("reviewer", String(40)),
    Column("resolved_at", DateTime(timezone=True)),
    Index("ix_reviews_status", "status", "opened_at"),
)

fact_totals = Table(
    "fact_totals",
    metadata,
    Column("fact", String(100), primary_key=True),
    Column("key", String(500), primary_key=True),
    Column("amounts", JSON, nullable=False),  # field -> decimal text: what allowed decisions accrued
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", String(24), primary_key=True),  # the public part of the key
    Column("secret_sha256", String(64), nullable=False),  # the secret is never stored
    Column("role", String(20), nullable=False),
    Column("label", String(200)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)

rulesets = Table(
    "rulesets",
    metadata,
    Column("digest", String(80), primary_key=True),  # of the pack's canonical content: its identity
    Column("pack", String(200), nullable=False),
    Column("label", String(200), nullable=False),
    Column("note", Text, nullable=False),
    Column("published_by", String(200)),
    Column("published_at", DateTime(timezone=True), nullable=False),
    Column("files", JSON, nullable=False),  # every file of the pack, by path: the version, whole
    UniqueConstraint("pack", "label", name="uq_rulesets_pack_label"),
)

chain_head = Table(
    "chain_head",
    metadata,
    Column("id", Integer, primary_key=True),  # one row: the last entry of the chain
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("mac", String(64)),  # keyed logs: the head itself, under the log's key
    Column("keyed_from", BigInteger),  # keyed logs: the first entry hashed with the key
    Column("key_check", String(64)),  # keyed logs: tells the log's key from another (not the key)
)

events = Table(
    "events",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),  # its place in the chain, with decisions'
    Column("kind", String(40), nullable=False),  # review-resolved, version-published, pinned-evaluation, ...
    Column("subject", String(200), nullable=False),  # what it is about: a decision id, a version's digest
    Column("body", JSON, nullable=False),
    Column("recorded_by", String(200)),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("chain", String(64), nullable=False),
    Index("ix_events_kind_subject", "kind", "subject"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_sha256", String(64), primary_key=True),  # the cookie's token is never stored
    Column("key_id", String(24), ForeignKey("api_keys.key_id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)

shadows = Table(
    "shadows",
    metadata,
    Column("decision_id", String(32), ForeignKey("decisions.decision_id"), primary_key=True),
    Column("candidate_digest", String(80), nullable=False),
    Column("candidate_label", String(200)),
    Column("outcome", String(10), nullable=False),
    Column("fee_usd", Numeric(20, 2), nullable=False),
    Column("decision", JSON, nullable=False),  # the candidate's decision, whole (never sent to the client)
    Index("ix_shadows_candidate", "candidate_digest"),
)
