"""Notices: the outbox of run events and pages, one row per (key, team, channel) delivery.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fleetpatch.store.types import UtcDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("team", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("run_id", sa.String(40), nullable=True),
        sa.Column("host", sa.String(255), nullable=True),
        sa.Column("message", sa.JSON(), nullable=False),
        sa.Column("resend", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("next_at", UtcDateTime(), nullable=False),
        sa.Column("claimed_at", UtcDateTime(), nullable=True),
        sa.Column("claimed_by", sa.String(128), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_notices"),
        sa.UniqueConstraint("key", "team", "channel", name="uq_notices_delivery"),
    )
    op.create_index("ix_notices_due", "notices", ["status", "next_at"])
    op.create_index("ix_notices_run_id", "notices", ["run_id"])
    op.create_index("ix_notices_host", "notices", ["host"])


def downgrade() -> None:
    op.drop_table("notices")
