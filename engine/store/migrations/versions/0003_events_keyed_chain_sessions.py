"""The chain covers events (reviews resolved, versions published) beside decisions, in one numbering; keyed
logs; console sessions.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"

GENESIS = "0" * 64


def upgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("chain_format", sa.Integer))
    with op.batch_alter_table("chain_head") as batch:
        batch.add_column(sa.Column("mac", sa.String(64)))
        batch.add_column(sa.Column("keyed_from", sa.BigInteger))
        batch.add_column(sa.Column("key_check", sa.String(64)))
    op.create_table(
        "events",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("recorded_by", sa.String(200)),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("chain", sa.String(64), nullable=False),
    )
    op.create_index("ix_events_kind_subject", "events", ["kind", "subject"])
    op.create_table(
        "sessions",
        sa.Column("token_sha256", sa.String(64), primary_key=True),
        sa.Column("key_id", sa.String(24), sa.ForeignKey("api_keys.key_id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )
    # a log has its head from the start: a head that goes missing later is a sign of tampering
    connection = op.get_bind()
    if connection.execute(sa.text("SELECT count(*) FROM chain_head")).scalar() == 0:
        last = connection.execute(sa.text("SELECT seq, chain FROM decisions ORDER BY seq DESC LIMIT 1")).first()
        seq, digest = (last[0], last[1]) if last is not None else (0, GENESIS)
        connection.execute(
            sa.text("INSERT INTO chain_head (id, seq, hash) VALUES (1, :seq, :hash)"), {"seq": seq, "hash": digest}
        )


def downgrade() -> None:
    op.drop_table("sessions")
    op.drop_index("ix_events_kind_subject", "events")
    op.drop_table("events")
    with op.batch_alter_table("chain_head") as batch:
        batch.drop_column("key_check")
        batch.drop_column("keyed_from")
        batch.drop_column("mac")
    with op.batch_alter_table("decisions") as batch:
        batch.drop_column("chain_format")
