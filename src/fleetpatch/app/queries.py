"""Read use cases behind `outdated`, `vulns`, `status`, `cve` and `drift` (and their pages).

Each answers one question from the store's evidence at `now`; none writes. They return records
that the CLI renders as table/JSON/CSV and the web layer as pages and JSON.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from fleetpatch.advisories.ecosystems import lookup_ecosystems
from fleetpatch.advisories.index import AdvisoryIndex, build_index
from fleetpatch.advisories.match import match
from fleetpatch.advisories.records import LEVELS, Advisory, Finding
from fleetpatch.app.evaluate import PackageRows, Upstream, host_facts, load_upstream
from fleetpatch.app.time_to_patch import CvePatching, cve_patching, per_host
from fleetpatch.errors import UnknownNameError, VersionError
from fleetpatch.exposure.drift import CanonicalLevel, canonical_levels
from fleetpatch.exposure.evaluate import unevaluable
from fleetpatch.exposure.facts import PackageFacts, known_suites, match_triple
from fleetpatch.exposure.host_states import reboot_status
from fleetpatch.exposure.rollups import Rollup
from fleetpatch.policy.classify import HostFacts, classify
from fleetpatch.policy.records import Owner, Policy
from fleetpatch.store import HostRepository, PackageRepository, PackageVersion, Store
from fleetpatch.store.advisories import AdvisoryRepository
from fleetpatch.store.evaluations import EvaluationInfo, EvaluationRepository
from fleetpatch.store.fleet import FleetReader
from fleetpatch.store.records import ReportHeader
from fleetpatch.versions import compare, scheme_for_ecosystem, sort_key


@dataclass(frozen=True, slots=True)
class OutdatedRow:
    name: str
    arch: str
    installed: str
    candidate: str
    days_behind: float
    security: bool
    why_security: str
    suites: tuple[str, ...]
    first_seen_exact: bool


@dataclass(frozen=True, slots=True)
class VulnRow:
    advisory: str
    severity: str
    status: str
    package: str
    source: str
    installed: str
    fixed: str | None
    candidate: str | None
    cves: tuple[str, ...]


def outdated(
    store: Store, policy: Policy, hostname: str, *, now: datetime, upstream: Upstream | None = None
) -> list[OutdatedRow]:
    """Packages of `hostname` with a newer candidate, oldest lag first."""
    _, rows = host_facts(store, policy, hostname, now=now, upstream=upstream)
    return outdated_rows(rows)


def outdated_rows(rows: PackageRows) -> list[OutdatedRow]:
    """The outdated packages among one host's (or package set's) package facts, oldest lag first."""
    out = [_outdated_row(v, f) for v, f in rows if f.outdated]
    return sorted(out, key=lambda r: (-r.days_behind, r.name))


def _outdated_row(v: PackageVersion, f: PackageFacts) -> OutdatedRow:
    update = f.update
    if update is None or update.candidate is None:
        raise ValueError(f"{v.name} {v.version} is not outdated")
    scheme = scheme_for_ecosystem(v.ecosystem)
    fixes = [
        x.advisory_id
        for x in f.findings
        if x.fixed_version is not None and compare(scheme, update.candidate, x.fixed_version) >= 0
    ]
    reasons = ["security suite"] if update.security_suite else []
    if fixes:
        reasons.append("fixes " + ", ".join(fixes[:3]) + (" …" if len(fixes) > 3 else ""))
    return OutdatedRow(
        name=v.name,
        arch=v.arch,
        installed=v.version,
        candidate=update.candidate,
        days_behind=round(update.days_behind, 1),
        security=f.security_update,
        why_security="; ".join(reasons),
        suites=tuple(dict.fromkeys(o.suite for o in update.origins)),
        first_seen_exact=update.first_seen_exact,
    )


def vulns(
    store: Store, policy: Policy, hostname: str, *, now: datetime, upstream: Upstream | None = None
) -> list[VulnRow]:
    """Advisories `hostname` is affected by, worst first."""
    _, rows = host_facts(store, policy, hostname, now=now, upstream=upstream)
    out = [
        VulnRow(
            advisory=x.advisory_id,
            severity=x.severity.level,
            status=x.status,
            package=v.name,
            source=v.source or v.name,
            installed=v.version,
            fixed=x.fixed_version,
            candidate=f.update.candidate if f.update is not None else None,
            cves=x.aliases,
        )
        for v, f in rows
        for x in f.findings
    ]
    return sorted(out, key=lambda r: (LEVELS.index(r.severity), r.advisory, r.package))


def advisory_coverage(store: Store, hostname: str) -> tuple[str, int]:
    """The host's ecosystem and how many advisories the store holds for it: 0 means "no finding"
    says nothing, because nothing was looked for."""
    with store.session() as session:
        header = HostRepository(session).current_for(hostname)
        counts = AdvisoryRepository(session).count_by_ecosystem()
    if header is None:
        return "", 0
    ecosystem = header.ecosystem
    return ecosystem, sum(counts.get(e, 0) for e in lookup_ecosystems(ecosystem))


@dataclass(frozen=True, slots=True)
class FleetStatus:
    evaluation: EvaluationInfo | None
    fleet: Rollup
    groups: tuple[Rollup, ...]


def fleet_status(store: Store, *, by: str = "bucket") -> FleetStatus:
    """Rollups per bucket or owner from the last evaluation (and single-host updates since)."""
    with store.session() as session:
        repo = EvaluationRepository(session)
        return FleetStatus(repo.latest(), repo.rollups("fleet")[0], repo.rollups(by))


# -- cve -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AffectedHost:
    hostname: str
    packages: tuple[tuple[str, str, str | None], ...]  # (package, installed, fixed)
    pending_reboot: bool
    first_affected_at: datetime | None


@dataclass(frozen=True, slots=True)
class CveGroup:
    bucket: str | None
    owner: str | None
    contacts: Mapping[str, str]
    hosts: tuple[AffectedHost, ...]


@dataclass(frozen=True, slots=True)
class CveReport:
    query: str
    advisories: tuple[Advisory, ...]
    groups: tuple[CveGroup, ...]
    affected_hosts: int
    fixed_versions: Mapping[str, tuple[str, ...]]
    patched_hosts: int = 0
    disclosed_at: datetime | None = None
    fleet_patched_at: datetime | None = None
    owners_to_act: tuple[str, ...] = field(default_factory=tuple)
    patching: CvePatching | None = None
    """From the stored patch pairs: the burn-down and the time each bucket took."""

    @property
    def hours_to_fleet_patched(self) -> float | None:
        if self.disclosed_at is None or self.fleet_patched_at is None:
            return None
        return (self.fleet_patched_at - self.disclosed_at).total_seconds() / 3600


def cve_report(store: Store, policy: Policy, ident: str, *, now: datetime) -> CveReport:
    """Hosts affected by a CVE or advisory id, grouped by bucket and owner, with time to patch.

    Who is affected now is matched from the current reports; when each host was first affected
    and when it was patched come from the patch pairs evaluation keeps (no report history is
    read). `patched_hosts` counts hosts with pairs, all patched; `fleet_patched_at` is the last
    host's `patched_at` once no host is affected and every pair is patched."""
    with store.session() as session:
        repo = AdvisoryRepository(session)
        advisories = repo.by_id_or_alias(ident)
        if not advisories:
            known = repo.names()
            empty = "; import advisories first (`fleetpatch advisories import|sync`)"
            raise UnknownNameError(
                "advisory", ident.strip(), known, where=" in the store", hint="" if known else empty
            )
        index = build_index(advisories)
        versions = PackageRepository(session).distinct_versions()
        findings = _affected_versions(index, versions)
        fleet = FleetReader(session)
        members = fleet.set_members(fleet.all_set_ids())
        affected_sets = {
            sid: vids for sid, ids in members.items() if (vids := sorted(findings.keys() & ids))
        }
        hosts = fleet.current_headers(affected_sets)
    by_id = {v.id: v for v in versions}
    disclosed = min((a.published for a in advisories if a.published), default=None)
    patching = cve_patching(store, [a.id for a in advisories], disclosed)
    stored = per_host(patching.pairs)
    first_seen = {p.hostname: p.affected_since for p in stored}
    patched_at = [p.patched_at for p in stored if p.patched_at is not None]
    groups = _group(policy, hosts, affected_sets, findings, by_id, first_seen)
    everyone_patched = not hosts and bool(stored) and len(patched_at) == len(stored)
    return CveReport(
        query=ident,
        advisories=tuple(advisories),
        groups=groups,
        affected_hosts=len(hosts),
        fixed_versions=_fixed_versions(findings),
        patched_hosts=len(patched_at),
        disclosed_at=disclosed,
        fleet_patched_at=max(patched_at) if everyone_patched else None,
        patching=patching,
        owners_to_act=tuple(sorted({g.owner or "(unowned)" for g in groups})),
    )


def _affected_versions(
    index: AdvisoryIndex, versions: Sequence[PackageVersion]
) -> dict[int, tuple[Finding, ...]]:
    """Version id -> findings, matching only versions whose package the advisories name."""
    found: dict[int, tuple[Finding, ...]] = {}
    for v in versions:
        eco, package, version = match_triple(v)
        if not any(index.lookup(e, package) for e in lookup_ecosystems(eco)):
            continue
        try:
            hits = match(index, eco, package, version)
        except VersionError:
            continue
        if hits:
            found[v.id] = hits
    return found


def _group(
    policy: Policy,
    hosts: Sequence[ReportHeader],
    affected_sets: Mapping[int, Sequence[int]],
    findings: Mapping[int, tuple[Finding, ...]],
    versions: Mapping[int, PackageVersion],
    first_seen: Mapping[str, datetime],
) -> tuple[CveGroup, ...]:
    grouped: defaultdict[tuple[str | None, str | None], list[AffectedHost]] = defaultdict(list)
    for h in hosts:
        image = h.image.id if h.image else ""
        where = classify(policy, HostFacts(h.hostname, h.ecosystem, h.labels, image, h.collector))
        packages = tuple(
            (versions[vid].name, versions[vid].version, _lowest_fix(findings[vid]))
            for vid in affected_sets[h.package_set_id]
        )
        grouped[(where.bucket, where.owner)].append(
            AffectedHost(
                h.hostname,
                packages,
                reboot_status(h).state == "pending_reboot",
                first_seen.get(h.hostname),
            )
        )
    out = []
    for (bucket, owner), members in sorted(
        grouped.items(), key=lambda kv: (kv[0][0] is None, kv[0])
    ):
        contacts = policy.owner(owner) if owner else None
        out.append(
            CveGroup(
                bucket=bucket,
                owner=owner,
                contacts=_contacts(contacts),
                hosts=tuple(sorted(members, key=lambda a: a.hostname)),
            )
        )
    return tuple(out)


def _contacts(owner: Owner | None) -> dict[str, str]:
    if owner is None:
        return {}
    c = owner.contacts
    pairs = (("chat", c.chat), ("pager", c.pager_key), ("email", c.email))
    return {k: v for k, v in pairs if v}


def _lowest_fix(findings: Sequence[Finding]) -> str | None:
    fixes = [f.fixed_version for f in findings if f.fixed_version]
    return fixes[0] if fixes else None


def _fixed_versions(findings: Mapping[int, tuple[Finding, ...]]) -> dict[str, tuple[str, ...]]:
    fixed: defaultdict[str, set[str]] = defaultdict(set)
    for hits in findings.values():
        for f in hits:
            if f.fixed_version:
                fixed[f"{f.ecosystem} {f.package}"].add(f.fixed_version)
    return {k: tuple(sorted(v)) for k, v in sorted(fixed.items())}


# -- drift -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VersionCount:
    version: str
    hosts: int
    direction: str | None  # a `Drift.state`: on_baseline, behind_baseline, ahead_of_pin,
    # ahead_of_baseline; None: the package has no level


@dataclass(frozen=True, slots=True)
class DriftRow:
    ecosystem: str
    package: str
    canonical: str | None
    reason: str
    versions: tuple[VersionCount, ...]
    owner: str = ""  # the team that owns the canonical level

    @property
    def hosts_off(self) -> int:
        """Hosts off the level: behind it, or ahead of a pin."""
        return sum(v.hosts for v in self.versions if v.direction not in (None, "on_baseline"))


def drift_report(
    store: Store,
    policy: Policy,
    *,
    now: datetime,
    package: str | None = None,
    upstream: Upstream | None = None,
) -> list[DriftRow]:
    """Canonical level per package vs the versions the fleet runs, with host counts.

    Without `package`: the packages that drift (more than one version in the fleet, or off the
    canonical level). With it: that package in every ecosystem.
    """
    with store.session() as session:
        fleet = FleetReader(session)
        hosts_per_set = fleet.hosts_per_set()
        members = fleet.set_members(hosts_per_set)
        versions = {v.id: v for v in PackageRepository(session).distinct_versions()}
        upstream = upstream or load_upstream(session, {v.ecosystem for v in versions.values()})
    for vid in unevaluable(versions, versions.keys()):  # see fleetpatch.exposure.evaluate
        del versions[vid]
    counts: defaultdict[int, int] = defaultdict(int)
    for sid, ids in members.items():
        n = hosts_per_set[sid]
        for vid in ids:
            if vid in versions and (package is None or versions[vid].name == package):
                counts[vid] += n
    per_package: defaultdict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for vid, n in counts.items():
        v = versions[vid]
        per = per_package[(v.ecosystem, v.name)]
        per[v.version] = per.get(v.version, 0) + n
    levels = canonical_levels(
        policy.baselines,
        upstream.catalog,
        ecosystems=sorted({eco for eco, _ in per_package}),
        now=now,
        default_soak_days=policy.defaults.soak_days,
        packages=per_package.keys(),
        default_owner=policy.defaults.baseline_owner,
        suites_for=known_suites,
    )
    rows = []
    for (eco, name), by_version in sorted(per_package.items()):
        level = levels.get((eco, name))
        scheme = scheme_for_ecosystem(eco)
        vcounts = tuple(
            VersionCount(ver, n, _state(scheme, ver, level))
            for ver, n in sorted(by_version.items(), key=lambda kv: sort_key(scheme, kv[0]))
        )
        row = DriftRow(
            eco,
            name,
            level.version if level else None,
            level.reason if level else "",
            vcounts,
            level.owner if level else "",
        )
        if package is not None or len(vcounts) > 1 or row.hosts_off:
            rows.append(row)
    return rows


def _state(scheme: str, version: str, level: CanonicalLevel | None) -> str | None:
    """As `Drift.state`: newer than a `latest` level but offered by the catalog is a version still
    soaking, not drift."""
    if level is None:
        return None
    order = compare(scheme, version, level.version)
    if order < 0:
        return "behind_baseline"
    if order > 0 and version not in level.soaking:
        return "ahead_of_pin" if level.pinned else "ahead_of_baseline"
    return "on_baseline"
