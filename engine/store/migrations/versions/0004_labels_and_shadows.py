"""Each decision's published label; decisions judged again under a shadowed candidate.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("ruleset_label", sa.String(200)))
    op.create_table(
        "shadows",
        sa.Column("decision_id", sa.String(32), sa.ForeignKey("decisions.decision_id"), primary_key=True),
        sa.Column("candidate_digest", sa.String(80), nullable=False),
        sa.Column("candidate_label", sa.String(200)),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("fee_usd", sa.Numeric(20, 2), nullable=False),
        sa.Column("decision", sa.JSON, nullable=False),
    )
    op.create_index("ix_shadows_candidate", "shadows", ["candidate_digest"])


def downgrade() -> None:
    op.drop_index("ix_shadows_candidate", "shadows")
    op.drop_table("shadows")
    with op.batch_alter_table("decisions") as batch:
        batch.drop_column("ruleset_label")
