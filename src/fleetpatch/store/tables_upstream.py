"""Tables of what upstream publishes: the package catalog and the OSV advisories.

Shape, chosen so that the questions asked of them are one indexed query each:

- `catalog_releases`: every repository index imported (an apt `Release`, an RPM `repomd.xml`, an
  `APKINDEX`), one row per (ecosystem, site, suite, date), with the indexes (`component/arch`)
  it brought and when. The newest row of a suite says "catalog last updated" and, through
  `valid_until`, whether it is stale. First-seen rules ask it whether a suite's index was ever
  imported before.
- `catalog_entries`: one row per (ecosystem, name, version, arch, suite, component) with its
  origin and first-seen time. All rows of one (ecosystem, name, version, arch) carry the same
  first-seen time: it belongs to the version, not to the suite that listed it.
- `advisories`: one row per OSV id, withdrawn ones kept as tombstones (no aliases, no affected
  rows) so that an older live copy arriving later cannot bring them back. `record` is the parsed
  advisory as compact JSON (cheap to turn back into an `Advisory`), `raw` the OSV JSON
  zlib-compressed, for showing the full record. `digest` (SHA-256 of the canonical raw JSON)
  tells an identical copy from a changed one and breaks ties on `modified` deterministically.
- `advisory_aliases` (id, CVE and other aliases, `related`, `upstream`) and `advisory_affected`
  (normalised ecosystem, package): the look-up paths "by alias" and "affecting E/package".
- `advisory_sync`: HTTP validators per source URL (ETag, Last-Modified) for conditional GETs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from fleetpatch.store.tables import Base
from fleetpatch.store.types import UtcDateTime


class CatalogReleaseRow(Base):
    __tablename__ = "catalog_releases"
    __table_args__ = (
        UniqueConstraint("ecosystem", "site", "suite", "date", name="uq_catalog_releases_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ecosystem: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))
    site: Mapped[str] = mapped_column(String(255))
    suite: Mapped[str] = mapped_column(String(255))
    archive: Mapped[str] = mapped_column(String(255))
    codename: Mapped[str] = mapped_column(String(255))
    date: Mapped[datetime] = mapped_column(UtcDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime)
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime)
    location: Mapped[str] = mapped_column(Text)
    indexes: Mapped[list[str]] = mapped_column(JSON)
    entry_count: Mapped[int] = mapped_column(Integer)


class CatalogEntryRow(Base):
    __tablename__ = "catalog_entries"
    __table_args__ = (
        UniqueConstraint(
            "ecosystem",
            "name",
            "version",
            "arch",
            "suite",
            "component",
            name="uq_catalog_entries_key",
        ),
        Index("ix_catalog_entries_name", "ecosystem", "name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ecosystem: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    version: Mapped[str] = mapped_column(String(255))
    arch: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(255))
    source_version: Mapped[str] = mapped_column(String(255))
    archive: Mapped[str] = mapped_column(String(255))
    suite: Mapped[str] = mapped_column(String(255))
    codename: Mapped[str] = mapped_column(String(255))
    label: Mapped[str] = mapped_column(String(255))
    component: Mapped[str] = mapped_column(String(255))
    security: Mapped[bool] = mapped_column(Boolean)
    origin: Mapped[str] = mapped_column(String(255))
    site: Mapped[str] = mapped_column(Text)
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    first_seen_exact: Mapped[bool] = mapped_column(Boolean)
    multi_arch: Mapped[str] = mapped_column(String(32))
    phased_percentage: Mapped[int | None] = mapped_column(Integer)


class AdvisoryRow(Base):
    __tablename__ = "advisories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    advisory_id: Mapped[str] = mapped_column(String(255), unique=True)
    modified: Mapped[datetime] = mapped_column(UtcDateTime)
    published: Mapped[datetime | None] = mapped_column(UtcDateTime)
    withdrawn: Mapped[datetime | None] = mapped_column(UtcDateTime)
    summary: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(16))
    digest: Mapped[str] = mapped_column(String(64))
    record: Mapped[bytes] = mapped_column(LargeBinary)
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AdvisoryAliasRow(Base):
    __tablename__ = "advisory_aliases"
    __table_args__ = (Index("ix_advisory_aliases_alias", "alias"),)

    advisory_pk: Mapped[int] = mapped_column(
        ForeignKey("advisories.id", ondelete="CASCADE"), primary_key=True
    )
    alias: Mapped[str] = mapped_column(String(255), primary_key=True)


class AdvisoryAffectedRow(Base):
    __tablename__ = "advisory_affected"
    __table_args__ = (Index("ix_advisory_affected_package", "ecosystem", "package"),)

    advisory_pk: Mapped[int] = mapped_column(
        ForeignKey("advisories.id", ondelete="CASCADE"), primary_key=True
    )
    ecosystem: Mapped[str] = mapped_column(String(128), primary_key=True)
    package: Mapped[str] = mapped_column(String(255), primary_key=True)


class AdvisorySyncRow(Base):
    __tablename__ = "advisory_sync"

    url: Mapped[str] = mapped_column(String(1024), primary_key=True)
    etag: Mapped[str | None] = mapped_column(String(1024))
    last_modified: Mapped[str | None] = mapped_column(String(64))
    fetched_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[int] = mapped_column(Integer)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
