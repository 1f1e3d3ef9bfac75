"""Published ruleset versions; the external facts each decision read; the log's hash chain.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "rulesets",
        sa.Column("digest", sa.String(80), primary_key=True),
        sa.Column("pack", sa.String(200), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("published_by", sa.String(200)),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("files", sa.JSON, nullable=False),
        sa.UniqueConstraint("pack", "label", name="uq_rulesets_pack_label"),
    )
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("facts", sa.JSON))
        batch.add_column(sa.Column("chain", sa.String(64)))
    op.create_table(
        "chain_head",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("chain_head")
    with op.batch_alter_table("decisions") as batch:
        batch.drop_column("chain")
        batch.drop_column("facts")
    op.drop_table("rulesets")
