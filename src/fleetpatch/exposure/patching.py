"""Patch pairs (pure): one (advisory, host) pair from the first evaluation that saw the host
affected to the first that saw it patched and running.

Evaluation keeps these current incrementally, so time to patch is never rescanned from report
history. Two steps, both pure:

1. `set_exposures`: per (package set, host architecture), once, not per host: the advisories its
   members are affected by (a member shadowed by a newer install-only version is left out, as
   the set summary leaves it out), each with its worst severity, its `published` time and when a
   fix was first available to hosts of that set (`fix_available_at`, below).
2. `advance_pairs`: per evaluated host, from its stored pairs and its set's exposures, the pairs
   that are new or changed.

Definitions (docs/exposure.md has the user's version):

- `affected_since`: `collected_at` of the first evaluated report that showed the host affected.
- `patched_at`: `collected_at` of the first evaluated report that showed the host no longer
  affected *and* not `pending_reboot` (the host's reboot state from its `HostStatus`): a patched
  kernel on disk with the old one running is not patched. While pending, the pair stays open.
- Reopening: a patched pair whose host is affected again has `patched_at` cleared and
  `reopened` counted up; `affected_since` keeps the first time. So time to patch always measures
  to the patch that stuck, and a regression is exposure, never a second, shorter figure.
- `fix_available_at` of one affected package: the earliest catalog first-seen time among the
  versions >= the finding's `fixed_version` that the host's suites offer for that package and
  architecture (the first fixing version to appear). For Debian-style advisories keyed by source
  package, the binary package's versions are compared with the source's fixed version (they agree
  except for binNMUs). Of a host's pair: the latest of its affected packages' times (the host can
  be patched only once every package has a fix); None when any is unknown (no fixed version, or
  the catalog offers no fixing version). It is refreshed while the pair is open, frozen once
  patched.
- `severity`, `bucket`, `owner` follow the latest evaluation of the host.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from fleetpatch.advisories.index import AdvisoryIndex
from fleetpatch.advisories.records import LEVELS, Finding
from fleetpatch.catalog.candidates import CatalogIndex, arch_fits, in_suites
from fleetpatch.errors import VersionError
from fleetpatch.exposure.facts import PackageFacts, shadowed
from fleetpatch.exposure.inputs import VersionInput
from fleetpatch.exposure.status import HostStatus
from fleetpatch.exposure.updates import version_times
from fleetpatch.versions import compare, scheme_for_ecosystem

SetKey = tuple[int, str]
_RANK = {level: i for i, level in enumerate(LEVELS)}


@dataclass(frozen=True, slots=True)
class Exposure:
    """One advisory affecting the hosts of one package set."""

    severity: str
    disclosed_at: datetime | None
    fix_available_at: datetime | None


@dataclass(frozen=True, slots=True)
class PatchPair:
    advisory_id: str
    hostname: str
    severity: str
    bucket: str | None
    owner: str | None
    disclosed_at: datetime | None
    affected_since: datetime
    fix_available_at: datetime | None
    patched_at: datetime | None = None
    reopened: int = 0

    @property
    def open(self) -> bool:
        return self.patched_at is None


def published_times(index: AdvisoryIndex | None) -> dict[str, datetime | None]:
    """Advisory id -> its `published` time (None when the record has none)."""
    if index is None:
        return {}
    return {e.advisory.id: e.advisory.published for es in index.entries.values() for e in es}


FixTimes = Callable[[str, int, Finding], datetime | None]


def fix_times(
    versions: Mapping[int, VersionInput],
    catalog: CatalogIndex | None,
    suites_for: Callable[[str], Sequence[str]],
) -> FixTimes:
    """`(native arch, version id, finding) -> fix_available_at`, memoised per package group."""
    cache: dict[tuple[str, str, str, str], tuple[tuple[str, datetime], ...]] = {}

    def offered(native: str, v: VersionInput) -> tuple[tuple[str, datetime], ...]:
        key = (v.ecosystem, native, v.name, v.arch)
        found = cache.get(key)
        if found is None:
            suites = suites_for(v.ecosystem)
            entries = () if catalog is None else catalog.versions(v.ecosystem, v.name)
            fitting = (
                e
                for e in entries
                if in_suites(e.origin, suites) and arch_fits(v.arch, e.arch, native)
            )
            seen = version_times(fitting, scheme_for_ecosystem(v.ecosystem))
            found = cache[key] = tuple((s.version, s.at) for s in seen)
        return found

    def first_fix(native: str, vid: int, finding: Finding) -> datetime | None:
        fixed = finding.fixed_version
        if fixed is None:
            return None
        v = versions[vid]
        scheme = scheme_for_ecosystem(v.ecosystem)
        try:
            times = [at for ver, at in offered(native, v) if compare(scheme, ver, fixed) >= 0]
        except VersionError:
            return None
        return min(times, default=None)

    return first_fix


def set_exposures(
    wanted: Iterable[SetKey],
    sets: Mapping[int, Collection[int]],
    facts: Mapping[tuple[str, int], PackageFacts],
    *,
    shadows: Mapping[int, frozenset[int]],
    published: Mapping[str, datetime | None],
    fix_time: FixTimes,
) -> dict[SetKey, dict[str, Exposure]]:
    """Step 1: the advisories of each (set, arch), computed once per set, never per host."""
    affected: dict[str, dict[int, tuple[Finding, ...]]] = {}
    for (arch, vid), fact in facts.items():
        if fact.findings:
            affected.setdefault(arch, {})[vid] = fact.findings
    fixes: dict[tuple[str, int, str], datetime | None] = {}
    out: dict[SetKey, dict[str, Exposure]] = {}
    for set_id, arch in wanted:
        ids = sets.get(set_id, ())
        members = ids if isinstance(ids, set | frozenset) else set(ids)
        by_arch = affected.get(arch, {})
        levels: dict[str, str] = {}
        times: dict[str, list[datetime | None]] = {}
        for vid in members.intersection(by_arch):
            if shadowed(vid, members, shadows):
                continue
            for finding in by_arch[vid]:
                aid = finding.advisory_id
                key = (arch, vid, aid)
                if key not in fixes:
                    fixes[key] = fix_time(arch, vid, finding)
                level = finding.severity.level
                known = levels.get(aid)
                if known is None or _RANK[level] < _RANK[known]:
                    levels[aid] = level
                times.setdefault(aid, []).append(fixes[key])
        out[(set_id, arch)] = {
            aid: Exposure(level, published.get(aid), _latest(times[aid]))
            for aid, level in levels.items()
        }
    return out


def _latest(times: Sequence[datetime | None]) -> datetime | None:
    if not times or any(t is None for t in times):
        return None
    return max(t for t in times if t is not None)


def advance_pairs(
    status: HostStatus,
    exposures: Mapping[str, Exposure],
    stored: Mapping[str, PatchPair],
) -> list[PatchPair]:
    """Step 2 for one evaluated host: the pairs to write (new or changed), given its stored
    pairs by advisory id and the exposures of its package set."""
    at = status.collected_at
    pending = status.reboot == "pending_reboot"
    changed: list[PatchPair] = []
    for aid, exposure in exposures.items():
        pair = stored.get(aid)
        if pair is None:
            new = PatchPair(
                aid,
                status.hostname,
                exposure.severity,
                status.bucket,
                status.owner,
                exposure.disclosed_at,
                at,
                exposure.fix_available_at,
            )
            changed.append(new)
            continue
        updated = _follow(pair, status, exposure)
        if not pair.open:
            updated = replace(updated, patched_at=None, reopened=pair.reopened + 1)
        if updated != pair:
            changed.append(updated)
    for aid, pair in stored.items():
        if aid in exposures:
            continue
        updated = replace(pair, bucket=status.bucket, owner=status.owner)
        if pair.open and not pending:
            updated = replace(updated, patched_at=at)
        if updated != pair:
            changed.append(updated)
    return changed


def _follow(pair: PatchPair, status: HostStatus, exposure: Exposure) -> PatchPair:
    """An affected pair follows the latest evaluation: severity, bucket, owner, disclosure and
    (known) fix time."""
    return replace(
        pair,
        severity=exposure.severity,
        bucket=status.bucket,
        owner=status.owner,
        disclosed_at=exposure.disclosed_at,
        fix_available_at=exposure.fix_available_at or pair.fix_available_at,
    )
