"""Patch pairs: one row per (advisory, host) for time to patch; set exposures beside summaries.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fleetpatch.store.types import UtcDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "patch_pairs",
        sa.Column("advisory_id", sa.String(128), nullable=False),
        sa.Column("hostname", sa.String(255), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("bucket", sa.String(128), nullable=True),
        sa.Column("owner", sa.String(128), nullable=True),
        sa.Column("disclosed_at", UtcDateTime(), nullable=True),
        sa.Column("affected_since", UtcDateTime(), nullable=False),
        sa.Column("fix_available_at", UtcDateTime(), nullable=True),
        sa.Column("patched_at", UtcDateTime(), nullable=True),
        sa.Column("reopened", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("advisory_id", "hostname", name="pk_patch_pairs"),
    )
    op.create_index("ix_patch_pairs_hostname", "patch_pairs", ["hostname"])
    op.create_index("ix_patch_pairs_patched_at", "patch_pairs", ["patched_at"])
    # Which advisories a package set's hosts are affected by, kept with its summary so one new
    # report on a known set opens and closes its pairs without the advisories loaded.
    op.add_column("set_summaries", sa.Column("exposures", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("set_summaries") as batch:
        batch.drop_column("exposures")
    op.drop_index("ix_patch_pairs_patched_at", table_name="patch_pairs")
    op.drop_index("ix_patch_pairs_hostname", table_name="patch_pairs")
    op.drop_table("patch_pairs")
