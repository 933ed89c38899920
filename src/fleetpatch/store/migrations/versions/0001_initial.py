"""Initial schema: package versions, package sets, hosts and report history.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fleetpatch.store.types import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "package_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ecosystem", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("version", sa.String(255), nullable=False),
        sa.Column("arch", sa.String(32), nullable=False),
        sa.Column("source", sa.String(255), nullable=False),
        sa.Column("source_version", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_package_versions"),
        sa.UniqueConstraint(
            "ecosystem",
            "name",
            "version",
            "arch",
            "source",
            "source_version",
            name="uq_package_versions_content",
        ),
    )
    op.create_table(
        "package_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("ecosystem", sa.String(64), nullable=False),
        sa.Column("package_count", sa.Integer(), nullable=False),
        sa.Column("members", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_package_sets"),
        sa.UniqueConstraint("digest", name="uq_package_sets_digest"),
    )
    op.create_table(
        "hosts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hostname", sa.String(255), nullable=False),
        sa.Column("first_seen_at", UtcDateTime(), nullable=False),
        sa.Column("current_report_id", sa.Integer(), nullable=True),
        sa.Column("current_collected_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_hosts"),
        sa.UniqueConstraint("hostname", name="uq_hosts_hostname"),
    )
    _create_reports()
    with op.batch_alter_table("hosts") as batch:
        batch.create_foreign_key(
            "fk_hosts_current_report_id", "reports", ["current_report_id"], ["id"]
        )


def _create_reports() -> None:
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=False),
        sa.Column("package_set_id", sa.Integer(), nullable=False),
        sa.Column("collected_at", UtcDateTime(), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("report_schema", sa.String(64), nullable=False),
        sa.Column("machine_id", sa.String(255), nullable=False),
        sa.Column("collector", sa.String(64), nullable=False),
        sa.Column("ecosystem", sa.String(64), nullable=False),
        sa.Column("arch", sa.String(32), nullable=False),
        sa.Column("os_id", sa.String(64), nullable=False),
        sa.Column("os_version_id", sa.String(64), nullable=False),
        sa.Column("os_codename", sa.String(64), nullable=False),
        sa.Column("os_pretty_name", sa.String(255), nullable=False),
        sa.Column("kernel_running", sa.String(255), nullable=True),
        sa.Column("kernels_installed", sa.JSON(), nullable=False),
        sa.Column("boot_time", UtcDateTime(), nullable=True),
        sa.Column("boot_id", sa.String(64), nullable=False),
        sa.Column("reboot_flag", sa.Boolean(), nullable=True),
        sa.Column("reboot_since", UtcDateTime(), nullable=True),
        sa.Column("reboot_packages", sa.JSON(), nullable=False),
        sa.Column("image_id", sa.String(255), nullable=True),
        sa.Column("image_name", sa.String(255), nullable=True),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["host_id"], ["hosts.id"], name="fk_reports_host_id"),
        sa.ForeignKeyConstraint(
            ["package_set_id"], ["package_sets.id"], name="fk_reports_package_set_id"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_reports"),
        sa.UniqueConstraint("digest", name="uq_reports_digest"),
    )
    op.create_index("ix_reports_host_collected", "reports", ["host_id", "collected_at"])
    op.create_index("ix_reports_package_set_id", "reports", ["package_set_id"])


def downgrade() -> None:
    with op.batch_alter_table("hosts") as batch:
        batch.drop_constraint("fk_hosts_current_report_id", type_="foreignkey")
    op.drop_index("ix_reports_package_set_id", table_name="reports")
    op.drop_index("ix_reports_host_collected", table_name="reports")
    op.drop_table("reports")
    op.drop_table("hosts")
    op.drop_table("package_sets")
    op.drop_table("package_versions")
