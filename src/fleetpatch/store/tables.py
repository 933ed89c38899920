"""The tables, as typed SQLAlchemy declarative classes.

Shape, chosen so that evaluation is cheap and a fleet built from a few images stays small:

- `package_versions`: each distinct `(ecosystem, name, version, arch, source, source_version)` once,
  with a small integer id. "All distinct package versions in the fleet" is one scan of this table.
- `package_sets`: each distinct installed-package set once, keyed by a content digest. Its members
  are a packed, sorted array of little-endian uint32 `package_versions` ids (see `digests.py`)
  instead of one join row per package: 10,000 hosts x 700 packages would be 7M rows; a few hundred
  distinct sets are a few hundred small blobs.
- `reports`: every report ever ingested (history), with its facts and a pointer to its set.
  `digest` identifies the content, so the same report sent twice is stored once.
- `hosts`: one row per hostname with a pointer to the latest report by `collected_at`.

Only this package imports these classes; everything else gets records (see `records.py`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from fleetpatch.store.types import UtcDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class PackageVersionRow(Base):
    __tablename__ = "package_versions"
    __table_args__ = (
        UniqueConstraint(
            "ecosystem",
            "name",
            "version",
            "arch",
            "source",
            "source_version",
            name="uq_package_versions_content",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ecosystem: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    version: Mapped[str] = mapped_column(String(255))
    arch: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(255))
    source_version: Mapped[str] = mapped_column(String(255))


class PackageSetRow(Base):
    __tablename__ = "package_sets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    ecosystem: Mapped[str] = mapped_column(String(64))
    package_count: Mapped[int] = mapped_column(Integer)
    members: Mapped[bytes] = mapped_column(LargeBinary)


class HostRow(Base):
    __tablename__ = "hosts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hostname: Mapped[str] = mapped_column(String(255), unique=True)
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    current_report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", use_alter=True))
    current_collected_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ReportRow(Base):
    __tablename__ = "reports"
    __table_args__ = (Index("ix_reports_host_collected", "host_id", "collected_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id"))
    package_set_id: Mapped[int] = mapped_column(ForeignKey("package_sets.id"), index=True)
    collected_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    report_schema: Mapped[str] = mapped_column(String(64))
    machine_id: Mapped[str] = mapped_column(String(255))
    collector: Mapped[str] = mapped_column(String(64))
    ecosystem: Mapped[str] = mapped_column(String(64))
    arch: Mapped[str] = mapped_column(String(32))
    os_id: Mapped[str] = mapped_column(String(64))
    os_version_id: Mapped[str] = mapped_column(String(64))
    os_codename: Mapped[str] = mapped_column(String(64))
    os_pretty_name: Mapped[str] = mapped_column(String(255))
    kernel_running: Mapped[str | None] = mapped_column(String(255))
    kernels_installed: Mapped[list[str]] = mapped_column(JSON)
    boot_time: Mapped[datetime | None] = mapped_column(UtcDateTime)
    boot_id: Mapped[str] = mapped_column(String(64))
    reboot_flag: Mapped[bool | None] = mapped_column()
    reboot_since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reboot_packages: Mapped[list[str]] = mapped_column(JSON)
    image_id: Mapped[str | None] = mapped_column(String(255))
    image_name: Mapped[str | None] = mapped_column(String(255))
    labels: Mapped[dict[str, Any]] = mapped_column(JSON)


def table_of(model: type[Base]) -> Table:
    """The Core table behind a mapped class, for bulk statements."""
    return Base.metadata.tables[model.__tablename__]
