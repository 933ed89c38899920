"""A covering index for the fleet figures (rollups, the overview, /metrics).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

# Written out, not imported from the model: a migration must keep meaning what it meant.
FIGURE_COLUMNS = [
    "bucket",
    "owner",
    "update_state",
    "worst_severity",
    "patched",
    "security_state",
    "reboot_state",
    "freshness",
    "uptime_over_limit",
    "uptime_days",
    "drifted",
    "breached",
    "days_behind_sum",
    "package_instances",
    "days_behind_max",
]

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_host_status_figures", "host_status", FIGURE_COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_host_status_figures", "host_status")
