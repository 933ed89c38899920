"""Upstream data: catalog releases and entries, advisories with aliases and affected packages,
and the HTTP sync state of advisory sources.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fleetpatch.store.types import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _create_catalog()
    _create_advisories()
    op.create_table(
        "advisory_sync",
        sa.Column("url", sa.String(1024), nullable=False),
        sa.Column("etag", sa.String(1024), nullable=True),
        sa.Column("last_modified", sa.String(64), nullable=True),
        sa.Column("fetched_at", UtcDateTime(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("url", name="pk_advisory_sync"),
    )


def _create_catalog() -> None:
    op.create_table(
        "catalog_releases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ecosystem", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("site", sa.String(255), nullable=False),
        sa.Column("suite", sa.String(255), nullable=False),
        sa.Column("archive", sa.String(255), nullable=False),
        sa.Column("codename", sa.String(255), nullable=False),
        sa.Column("date", UtcDateTime(), nullable=False),
        sa.Column("valid_until", UtcDateTime(), nullable=True),
        sa.Column("imported_at", UtcDateTime(), nullable=False),
        sa.Column("checked_at", UtcDateTime(), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("indexes", sa.JSON(), nullable=False),
        sa.Column("entry_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_catalog_releases"),
        sa.UniqueConstraint("ecosystem", "site", "suite", "date", name="uq_catalog_releases_key"),
    )
    op.create_table(
        "catalog_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ecosystem", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("version", sa.String(255), nullable=False),
        sa.Column("arch", sa.String(32), nullable=False),
        sa.Column("source", sa.String(255), nullable=False),
        sa.Column("source_version", sa.String(255), nullable=False),
        sa.Column("archive", sa.String(255), nullable=False),
        sa.Column("suite", sa.String(255), nullable=False),
        sa.Column("codename", sa.String(255), nullable=False),
        sa.Column("label", sa.String(255), nullable=False),
        sa.Column("component", sa.String(255), nullable=False),
        sa.Column("security", sa.Boolean(), nullable=False),
        sa.Column("origin", sa.String(255), nullable=False),
        sa.Column("site", sa.Text(), nullable=False),
        sa.Column("first_seen", UtcDateTime(), nullable=False),
        sa.Column("first_seen_exact", sa.Boolean(), nullable=False),
        sa.Column("multi_arch", sa.String(32), nullable=False),
        sa.Column("phased_percentage", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_catalog_entries"),
        sa.UniqueConstraint(
            "ecosystem",
            "name",
            "version",
            "arch",
            "suite",
            "component",
            name="uq_catalog_entries_key",
        ),
    )
    op.create_index("ix_catalog_entries_name", "catalog_entries", ["ecosystem", "name"])


def _create_advisories() -> None:
    op.create_table(
        "advisories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("advisory_id", sa.String(255), nullable=False),
        sa.Column("modified", UtcDateTime(), nullable=False),
        sa.Column("published", UtcDateTime(), nullable=True),
        sa.Column("withdrawn", UtcDateTime(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("record", sa.LargeBinary(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=True),
        sa.Column("imported_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_advisories"),
        sa.UniqueConstraint("advisory_id", name="uq_advisories_advisory_id"),
    )
    op.create_table(
        "advisory_aliases",
        sa.Column("advisory_pk", sa.Integer(), nullable=False),
        sa.Column("alias", sa.String(255), nullable=False),
        _advisory_fk("advisory_aliases"),
        sa.PrimaryKeyConstraint("advisory_pk", "alias", name="pk_advisory_aliases"),
    )
    op.create_table(
        "advisory_affected",
        sa.Column("advisory_pk", sa.Integer(), nullable=False),
        sa.Column("ecosystem", sa.String(128), nullable=False),
        sa.Column("package", sa.String(255), nullable=False),
        _advisory_fk("advisory_affected"),
        sa.PrimaryKeyConstraint("advisory_pk", "ecosystem", "package", name="pk_advisory_affected"),
    )
    op.create_index("ix_advisory_aliases_alias", "advisory_aliases", ["alias"])
    op.create_index("ix_advisory_affected_package", "advisory_affected", ["ecosystem", "package"])


def _advisory_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["advisory_pk"], ["advisories.id"], name=f"fk_{table}_advisory_pk", ondelete="CASCADE"
    )


def downgrade() -> None:
    op.drop_table("advisory_sync")
    op.drop_index("ix_advisory_affected_package", table_name="advisory_affected")
    op.drop_table("advisory_affected")
    op.drop_index("ix_advisory_aliases_alias", table_name="advisory_aliases")
    op.drop_table("advisory_aliases")
    op.drop_table("advisories")
    op.drop_index("ix_catalog_entries_name", table_name="catalog_entries")
    op.drop_table("catalog_entries")
    op.drop_table("catalog_releases")
