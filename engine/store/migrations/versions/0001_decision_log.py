"""The decision log: decisions, reviews, external-fact totals, API keys.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None

Seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "decisions",
        sa.Column("seq", Seq, primary_key=True, autoincrement=True),
        sa.Column("decision_id", sa.String(32), nullable=False, unique=True),
        sa.Column("transaction_id", sa.String(200), nullable=False, unique=True),
        sa.Column("content_digest", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("fee_usd", sa.Numeric(20, 2), nullable=False),
        sa.Column("customer_name", sa.String(500), nullable=False),
        sa.Column("customer_id", sa.String(200)),
        sa.Column("transaction_date", sa.Date, nullable=False),
        sa.Column("ruleset_pack", sa.String(200), nullable=False),
        sa.Column("ruleset_version", sa.String(200), nullable=False),
        sa.Column("ruleset_digest", sa.String(80), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_by", sa.String(40)),
        sa.Column("transaction", sa.JSON, nullable=False),
        sa.Column("decision", sa.JSON, nullable=False),
    )
    op.create_index("ix_decisions_outcome_seq", "decisions", ["outcome", "seq"])
    op.create_index("ix_decisions_customer", "decisions", ["customer_name"])
    op.create_index("ix_decisions_evaluated_at", "decisions", ["evaluated_at"])
    op.create_table(
        "reviews",
        sa.Column("decision_id", sa.String(32), sa.ForeignKey("decisions.decision_id"), primary_key=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolution", sa.String(10)),
        sa.Column("note", sa.Text),
        sa.Column("reviewer", sa.String(40)),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_reviews_status", "reviews", ["status", "opened_at"])
    op.create_table(
        "fact_totals",
        sa.Column("fact", sa.String(100), primary_key=True),
        sa.Column("key", sa.String(500), primary_key=True),
        sa.Column("amounts", sa.JSON, nullable=False),
    )
    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.String(24), primary_key=True),
        sa.Column("secret_sha256", sa.String(64), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("label", sa.String(200)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    for table in ("api_keys", "fact_totals", "reviews", "decisions"):
        op.drop_table(table)
