"""The covering index for the fleet figures also covers `security_updates`, which the rollups
now count (hosts with a security update pending, with or without imported advisories).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

# Written out, not imported from the model: a migration must keep meaning what it meant.
BEFORE = [
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
AFTER = [*BEFORE, "security_updates"]

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_host_status_figures", "host_status")
    op.create_index("ix_host_status_figures", "host_status", AFTER)


def downgrade() -> None:
    op.drop_index("ix_host_status_figures", "host_status")
    op.create_index("ix_host_status_figures", "host_status", BEFORE)
