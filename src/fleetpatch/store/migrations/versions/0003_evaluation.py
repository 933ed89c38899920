"""Evaluation: host status, evaluations, set summaries, daily history points, API tokens.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fleetpatch.store.types import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluated_at", UtcDateTime(), nullable=False),
        sa.Column("hosts", sa.Integer(), nullable=False),
        sa.Column("package_sets", sa.Integer(), nullable=False),
        sa.Column("package_versions", sa.Integer(), nullable=False),
        sa.Column("catalog_entries", sa.Integer(), nullable=False),
        sa.Column("advisories", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_evaluations"),
    )
    op.create_table(
        "set_summaries",
        sa.Column("package_set_id", sa.Integer(), nullable=False),
        sa.Column("arch", sa.String(32), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["package_set_id"], ["package_sets.id"], name="fk_set_summaries_package_set_id"
        ),
        sa.ForeignKeyConstraint(
            ["evaluation_id"], ["evaluations.id"], name="fk_set_summaries_evaluation_id"
        ),
        sa.PrimaryKeyConstraint("package_set_id", "arch", name="pk_set_summaries"),
    )
    op.create_index("ix_set_summaries_evaluation_id", "set_summaries", ["evaluation_id"])
    op.create_table(
        "host_status",
        sa.Column("host_id", sa.Integer(), nullable=False),
        sa.Column("hostname", sa.String(255), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("evaluated_at", UtcDateTime(), nullable=False),
        sa.Column("package_set_id", sa.Integer(), nullable=False),
        sa.Column("ecosystem", sa.String(64), nullable=False),
        sa.Column("bucket", sa.String(128), nullable=True),
        sa.Column("owner", sa.String(128), nullable=True),
        sa.Column("conflict", sa.String(512), nullable=False),
        sa.Column("update_state", sa.String(16), nullable=False),
        sa.Column("security_state", sa.String(32), nullable=False),
        sa.Column("reboot_state", sa.String(16), nullable=False),
        sa.Column("pending_since", UtcDateTime(), nullable=True),
        sa.Column("reboot_reasons", sa.JSON(), nullable=False),
        sa.Column("freshness", sa.String(8), nullable=False),
        sa.Column("patched", sa.Boolean(), nullable=False),
        sa.Column("collected_at", UtcDateTime(), nullable=False),
        sa.Column("uptime_days", sa.Float(), nullable=True),
        sa.Column("uptime_over_limit", sa.Boolean(), nullable=False),
        sa.Column("packages", sa.Integer(), nullable=False),
        sa.Column("package_instances", sa.Integer(), nullable=False),
        sa.Column("outdated", sa.Integer(), nullable=False),
        sa.Column("security_updates", sa.Integer(), nullable=False),
        sa.Column("days_behind_sum", sa.Float(), nullable=False),
        sa.Column("days_behind_mean", sa.Float(), nullable=False),
        sa.Column("days_behind_max", sa.Float(), nullable=False),
        sa.Column("advisories", sa.Integer(), nullable=False),
        sa.Column("fix_available", sa.Integer(), nullable=False),
        sa.Column("no_fix", sa.Integer(), nullable=False),
        sa.Column("critical", sa.Integer(), nullable=False),
        sa.Column("high", sa.Integer(), nullable=False),
        sa.Column("medium", sa.Integer(), nullable=False),
        sa.Column("low", sa.Integer(), nullable=False),
        sa.Column("worst_severity", sa.String(16), nullable=True),
        sa.Column("severity_rank", sa.Integer(), nullable=False),
        sa.Column("drifted", sa.Integer(), nullable=False),
        sa.Column("sla_breaches", sa.JSON(), nullable=False),
        sa.Column("breached", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["host_id"], ["hosts.id"], name="fk_host_status_host_id"),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], name="fk_host_status_report_id"),
        sa.PrimaryKeyConstraint("host_id", name="pk_host_status"),
        sa.UniqueConstraint("hostname", name="uq_host_status_hostname"),
    )
    op.create_index("ix_host_status_bucket_days", "host_status", ["bucket", "days_behind_mean"])
    op.create_index("ix_host_status_owner", "host_status", ["owner"])
    op.create_index("ix_host_status_days", "host_status", ["days_behind_mean"])
    op.create_index("ix_host_status_uptime", "host_status", ["uptime_days"])
    op.create_index("ix_host_status_severity", "host_status", ["severity_rank"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(128), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("last_used_at", UtcDateTime(), nullable=True),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.UniqueConstraint("name", name="uq_api_tokens_name"),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
    )
    op.create_table(
        "history_points",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("hosts", sa.Integer(), nullable=False),
        sa.Column("patched", sa.Integer(), nullable=False),
        sa.Column("critical_or_high", sa.Integer(), nullable=False),
        sa.Column("pending_reboot", sa.Integer(), nullable=False),
        sa.Column("stale", sa.Integer(), nullable=False),
        sa.Column("uptime_over_limit", sa.Integer(), nullable=False),
        sa.Column("drifted", sa.Integer(), nullable=False),
        sa.Column("unclassified", sa.Integer(), nullable=False),
        sa.Column("days_behind_mean", sa.Float(), nullable=False),
        sa.Column("days_behind_max", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("day", "scope", "key", name="pk_history_points"),
    )


def downgrade() -> None:
    op.drop_table("history_points")
    op.drop_table("api_tokens")
    op.drop_index("ix_host_status_severity", "host_status")
    op.drop_index("ix_host_status_uptime", "host_status")
    op.drop_index("ix_host_status_days", "host_status")
    op.drop_index("ix_host_status_owner", "host_status")
    op.drop_index("ix_host_status_bucket_days", "host_status")
    op.drop_table("host_status")
    op.drop_index("ix_set_summaries_evaluation_id", "set_summaries")
    op.drop_table("set_summaries")
    op.drop_table("evaluations")
