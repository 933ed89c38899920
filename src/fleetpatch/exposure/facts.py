"""Tier 1 of evaluation: facts about one distinct installed package version.

For each (host architecture, package version) the fleet has: the update it lacks (candidate, days
behind, security suite), the advisories it is affected by, its drift from the canonical level. Each
distinct (ecosystem, package, version) triple is matched against the advisories once.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from fleetpatch.advisories.ecosystems import match_key
from fleetpatch.advisories.index import AdvisoryIndex
from fleetpatch.advisories.match import match
from fleetpatch.advisories.records import Finding
from fleetpatch.catalog.candidates import CatalogIndex
from fleetpatch.errors import InputError, VersionError
from fleetpatch.exposure.drift import CanonicalLevel, Drift, drift_of
from fleetpatch.exposure.inputs import VersionInput
from fleetpatch.exposure.updates import (
    PackageKey,
    PackageUpdate,
    evaluate_updates,
    suites_for_ecosystem,
)
from fleetpatch.versions import compare, scheme_for_ecosystem, sort_key


@dataclass(frozen=True, slots=True)
class PackageFacts:
    """Tier 1: what is true of one installed package version on hosts of one architecture."""

    update: PackageUpdate | None
    findings: tuple[Finding, ...] = ()
    drift: Drift | None = None
    security_update: bool = False

    @property
    def outdated(self) -> bool:
        return self.update is not None and self.update.candidate is not None


def known_suites(ecosystem: str) -> tuple[str, ...]:
    """The default suites of an ecosystem; none (so no candidates) for one the catalog can't map.

    A fleet may hold hosts of an ecosystem no suite table knows (Amazon Linux, Fedora): their
    updates are `unknown`, and the rest of the fleet is still evaluated.
    """
    try:
        return suites_for_ecosystem(ecosystem)
    except InputError:
        return ()


@dataclass(frozen=True, slots=True)
class Sources:
    """What upstream says: catalog, advisories, canonical levels (any of them may be empty)."""

    catalog: CatalogIndex | None = None
    advisories: AdvisoryIndex | None = None
    levels: Mapping[tuple[str, str], CanonicalLevel] = field(default_factory=dict)
    suites_for: Callable[[str], Sequence[str]] = known_suites


def package_facts(
    members_by_arch: Mapping[str, Iterable[int]],
    versions: Mapping[int, VersionInput],
    *,
    sources: Sources,
    now: datetime,
) -> dict[tuple[str, int], PackageFacts]:
    """Tier 1 for every (native arch, version id) pair asked for."""
    keys: dict[tuple[str, int], PackageKey] = {}
    for arch, ids in members_by_arch.items():
        for vid in ids:
            v = versions[vid]
            keys[(arch, vid)] = (v.ecosystem, arch, v.name, v.version, v.arch)
    updates: Mapping[PackageKey, PackageUpdate] = {}
    if sources.catalog is not None:
        updates = evaluate_updates(
            set(keys.values()), sources.catalog, now=now, suites_for=sources.suites_for
        )
    drifts = drift_of(set(keys.values()), sources.levels) if sources.levels else {}
    findings = _findings(versions, {vid for _, vid in keys}, sources.advisories)
    facts: dict[tuple[str, int], PackageFacts] = {}
    for (arch, vid), key in keys.items():
        update = updates.get(key)
        found = findings.get(vid, ())
        facts[(arch, vid)] = PackageFacts(
            update=update,
            findings=found,
            drift=drifts.get(key),
            security_update=_is_security_update(versions[vid].ecosystem, update, found),
        )
    return facts


def _findings(
    versions: Mapping[int, VersionInput], ids: Iterable[int], index: AdvisoryIndex | None
) -> dict[int, tuple[Finding, ...]]:
    """Advisories per version id, matched once per distinct (ecosystem, package, version) triple."""
    if index is None or len(index) == 0:
        return {}
    by_triple: dict[tuple[str, str, str], tuple[Finding, ...]] = {}
    out: dict[int, tuple[Finding, ...]] = {}
    for vid in ids:
        triple = match_triple(versions[vid])
        found = by_triple.get(triple)
        if found is None:
            try:
                found = match(index, *triple)
            except VersionError:
                found = ()  # a version the scheme rejects cannot be placed in any range
            by_triple[triple] = found
        if found:
            out[vid] = found
    return out


def match_triple(v: VersionInput) -> tuple[str, str, str]:
    """The (ecosystem, package, version) advisories of `v`'s ecosystem are keyed by."""
    if match_key(v.ecosystem) == "source" and v.source:
        return (v.ecosystem, v.source, v.source_version or v.version)
    return (v.ecosystem, v.name, v.version)


def _is_security_update(
    ecosystem: str, update: PackageUpdate | None, findings: Sequence[Finding]
) -> bool:
    """A security update comes from a security suite, or its candidate fixes a finding."""
    if update is None or update.candidate is None:
        return False
    if update.security_suite:
        return True
    scheme = scheme_for_ecosystem(ecosystem)
    for finding in findings:
        fixed = finding.fixed_version
        if fixed is not None and compare(scheme, update.candidate, fixed) >= 0:
            return True
    return False


def shadowing(versions: Mapping[int, VersionInput]) -> dict[int, frozenset[int]]:
    """Version id -> ids of newer installed versions of the same package and architecture.

    RPM installs several versions of install-only packages side by side (dnf keeps three
    kernels). Only the newest of them is what the host will run after its next boot, so an older
    one that a newer one shadows on the same host is neither outdated nor exposed: the kernel
    that matters is judged, and a running old kernel is the reboot state's business.
    """
    groups: dict[tuple[str, str, str], list[int]] = {}
    for vid, v in versions.items():
        groups.setdefault((v.ecosystem, v.name, v.arch), []).append(vid)
    shadows: dict[int, frozenset[int]] = {}
    for (ecosystem, _, _), ids in groups.items():
        if len(ids) < 2:
            continue
        scheme = scheme_for_ecosystem(ecosystem)
        try:
            ordered = sorted(ids, key=lambda vid: sort_key(scheme, versions[vid].version))
        except VersionError:
            continue
        for i, vid in enumerate(ordered[:-1]):
            shadows[vid] = frozenset(ordered[i + 1 :])
    return shadows


def shadowed(vid: int, installed: Collection[int], shadows: Mapping[int, frozenset[int]]) -> bool:
    """Whether a newer version of `vid`'s package is installed beside it."""
    newer = shadows.get(vid)
    return newer is not None and not newer.isdisjoint(installed)
