"""JSON shapes of the on-call views: a CVE's affected hosts and the fleet's package drift.

Built from `fleetpatch.app.queries` records (`CveReport`, `DriftRow`); like `schemas.py`, these
models are the contract `/openapi.json` documents.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from fleetpatch.app.queries import CveReport, DriftRow


class AdvisoryOut(BaseModel):
    id: str
    summary: str
    severity: str
    cve_ids: list[str]
    published: datetime | None


class AffectedPackageOut(BaseModel):
    package: str
    installed: str
    fixed: str | None


class AffectedHostOut(BaseModel):
    hostname: str
    packages: list[AffectedPackageOut]
    pending_reboot: bool
    first_affected_at: datetime | None


class CveGroupOut(BaseModel):
    bucket: str | None
    owner: str | None
    contacts: dict[str, str]
    hosts: list[AffectedHostOut]


class CveOut(BaseModel):
    query: str
    advisories: list[AdvisoryOut]
    affected_hosts: int
    patched_hosts: int
    fixed_versions: dict[str, list[str]]
    owners_to_act: list[str]
    disclosed_at: datetime | None
    fleet_patched_at: datetime | None
    groups: list[CveGroupOut]


class VersionCountOut(BaseModel):
    version: str
    hosts: int
    direction: str | None


class DriftOut(BaseModel):
    ecosystem: str
    package: str
    canonical: str | None
    reason: str
    hosts_off: int
    versions: list[VersionCountOut]
    owner: str = ""  # the team that owns the canonical level


def cve_out(report: CveReport) -> CveOut:
    return CveOut(
        query=report.query,
        advisories=[
            AdvisoryOut(
                id=a.id,
                summary=a.summary,
                severity=a.severity.level,
                cve_ids=list(a.cve_ids),
                published=a.published,
            )
            for a in report.advisories
        ],
        affected_hosts=report.affected_hosts,
        patched_hosts=report.patched_hosts,
        fixed_versions={k: list(v) for k, v in report.fixed_versions.items()},
        owners_to_act=list(report.owners_to_act),
        disclosed_at=report.disclosed_at,
        fleet_patched_at=report.fleet_patched_at,
        groups=[
            CveGroupOut(
                bucket=g.bucket,
                owner=g.owner,
                contacts=dict(g.contacts),
                hosts=[
                    AffectedHostOut(
                        hostname=h.hostname,
                        packages=[
                            AffectedPackageOut(package=p, installed=i, fixed=f)
                            for p, i, f in h.packages
                        ],
                        pending_reboot=h.pending_reboot,
                        first_affected_at=h.first_affected_at,
                    )
                    for h in g.hosts
                ],
            )
            for g in report.groups
        ],
    )


def drift_out(row: DriftRow) -> DriftOut:
    return DriftOut(
        owner=row.owner,
        ecosystem=row.ecosystem,
        package=row.package,
        canonical=row.canonical,
        reason=row.reason,
        hosts_off=row.hosts_off,
        versions=[
            VersionCountOut(version=v.version, hosts=v.hosts, direction=v.direction)
            for v in row.versions
        ],
    )
