"""Run steps by (run, host): a resumed host's claim, `run show` and the host page read them so,
and with only the `run_id` index each read scanned every step of the run.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_run_steps_run_host", "run_steps", ["run_id", "host"])


def downgrade() -> None:
    op.drop_index("ix_run_steps_run_host", "run_steps")
