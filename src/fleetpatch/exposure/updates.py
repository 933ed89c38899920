"""Per-package update facts: the candidate, whether it comes from a security suite, days behind.

Evaluation works on DISTINCT installed package versions across the fleet, not on hosts: hosts
built from one image share package sets, so the same `PackageKey` appears on many hosts and is
evaluated once. A key carries the host's native (dpkg) architecture because an installed
`Architecture: all` package can move to a native-arch version and back, so its candidate depends
on the host.

- The candidate is exactly `fleetpatch.catalog.candidates.candidate` (apt's rules without
  pinning); it is reported only when strictly newer than the installed version.
- "Days behind upstream" counts from the first-seen time of the oldest catalog version newer than
  the installed one (the earliest first-seen among the newer versions that fit the host's suites
  and architecture): the moment an update first became available, whichever update the host takes.
  0.0 when current. A version first seen at or after `now` counts 0 days, never negative.
- A package that no suite of the ecosystem offers at all is `offered=False`: unknown, not current.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fleetpatch.catalog.candidates import (
    CatalogIndex,
    arch_fits,
    candidate,
    default_suites,
    in_suites,
)
from fleetpatch.catalog.records import CatalogEntry, Origin
from fleetpatch.errors import InputError
from fleetpatch.versions import scheme, scheme_for_ecosystem, sort_key

PackageKey = tuple[str, str, str, str, str]
"""(ecosystem, native_arch, name, version, arch): one distinct installed package version."""

_GroupKey = tuple[str, str, str, str]  # (ecosystem, native_arch, name, arch)
_SECONDS_PER_DAY = 86400.0

_CODENAMES: dict[str, str] = {
    "Debian:11": "bullseye",
    "Debian:12": "bookworm",
    "Debian:13": "trixie",
    "Ubuntu:20.04": "focal",
    "Ubuntu:22.04": "jammy",
    "Ubuntu:24.04": "noble",
}
# The repositories an AlmaLinux/Rocky install enables out of the box (updates land in them too).
_EL_REPOS = ("baseos", "appstream", "extras")


@dataclass(frozen=True, slots=True)
class PackageUpdate:
    """What the catalog says about one installed package version on hosts of one architecture.

    `candidate` and its `origins` (in the order of the host's suites) are set only when strictly
    newer than the installed version; `security_suite` says a security suite offers it.
    `oldest_newer_first_seen` is the time `days_behind` counts from, `first_seen_exact` False when
    that time is only "at least since"; `newer_versions` counts distinct newer versions offered.
    `offered` is False when no suite of the ecosystem has the package at all (unknown).
    """

    candidate: str | None
    origins: tuple[Origin, ...]
    security_suite: bool
    days_behind: float
    oldest_newer_first_seen: datetime | None
    first_seen_exact: bool
    newer_versions: int
    offered: bool


@dataclass(frozen=True, slots=True)
class VersionSeen:
    """One offered version with the earliest first-seen time among its entries."""

    version: str
    key: Any
    at: datetime
    exact: bool


def suites_for_ecosystem(
    ecosystem: str, codenames: Mapping[str, str] | None = None
) -> tuple[str, ...]:
    """The suites (apt) or repositories (RPM, apk) a host of `ecosystem` follows by default.

    Debian/Ubuntu: the release codename with `-updates` and `-security` (`codenames` maps an
    ecosystem to its codename and overrides the built-in table). Alpine: the branch (`v3.20`).
    AlmaLinux/Rocky: `baseos`, `appstream`, `extras`. For RPM and apk ecosystems a `codenames`
    value is the comma-separated list of repository ids instead.
    """
    override = (codenames or {}).get(ecosystem)
    scheme = scheme_for_ecosystem(ecosystem)
    if scheme != "dpkg":
        if override is not None:
            return tuple(r.strip() for r in override.split(",") if r.strip())
        return _non_apt_suites(ecosystem)
    codename = override or _CODENAMES.get(ecosystem)
    if codename is None:
        raise InputError(f"no default suites for {ecosystem!r}: name its codename")
    return default_suites(codename)


def _non_apt_suites(ecosystem: str) -> tuple[str, ...]:
    family, _, release = ecosystem.partition(":")
    if family == "Alpine" and release:
        return (release if release.startswith("v") else f"v{release}",)
    if family in ("AlmaLinux", "Rocky Linux"):
        return _EL_REPOS
    raise InputError(f"no default repositories for {ecosystem!r}: name them")


def version_times(entries: Iterable[CatalogEntry], scheme_name: str) -> tuple[VersionSeen, ...]:
    """Distinct versions of `entries`, oldest version first, each with its earliest first-seen.

    When entries of one version disagree, the earliest time wins; it is exact only when every
    entry carrying that earliest time is exact.
    """
    seen = _earliest_by_version(entries)
    ordered = sorted(
        (VersionSeen(v, sort_key(scheme_name, v), at, exact) for v, (at, exact) in seen.items()),
        key=lambda s: s.key,
    )
    return tuple(ordered)


def _earliest_by_version(entries: Iterable[CatalogEntry]) -> dict[str, tuple[datetime, bool]]:
    seen: dict[str, tuple[datetime, bool]] = {}
    for entry in entries:
        known = seen.get(entry.version)
        here = (entry.first_seen, entry.first_seen_exact)
        seen[entry.version] = here if known is None else _earlier(known, here)
    return seen


def _earlier(a: tuple[datetime, bool], b: tuple[datetime, bool]) -> tuple[datetime, bool]:
    if a[0] == b[0]:
        return (a[0], a[1] and b[1])
    return a if a[0] < b[0] else b


@dataclass(frozen=True, slots=True)
class _Timeline:
    """The versions one (ecosystem, native arch, name, arch) group may move to, computed once."""

    offered: bool
    keys: tuple[Any, ...]  # sort keys of the fitting versions, ascending
    suffix_first: tuple[tuple[datetime, bool], ...]  # earliest (at, exact) of versions[i:]


_CURRENT = PackageUpdate(None, (), False, 0.0, None, True, 0, offered=True)
_UNKNOWN = PackageUpdate(None, (), False, 0.0, None, True, 0, offered=False)


def evaluate_updates(
    keys: Iterable[PackageKey],
    index: CatalogIndex,
    *,
    now: datetime,
    suites_for: Callable[[str], Sequence[str]],
) -> dict[PackageKey, PackageUpdate]:
    """Update facts for each distinct installed package version, as of `now` (aware)."""
    if now.tzinfo is None:
        raise InputError("now must be an aware datetime (UTC)")
    groups: defaultdict[_GroupKey, list[str]] = defaultdict(list)
    for ecosystem, native_arch, name, version, arch in keys:
        groups[(ecosystem, native_arch, name, arch)].append(version)
    contexts: dict[str, _Context] = {}
    result: dict[PackageKey, PackageUpdate] = {}
    for group, versions in groups.items():
        ecosystem, native_arch, name, arch = group
        context = contexts.get(ecosystem)
        if context is None:
            context = contexts[ecosystem] = _Context.of(ecosystem, suites_for)
        updates = _group_updates(index, group, versions, context, now)
        for version, update in zip(versions, updates, strict=True):
            result[(ecosystem, native_arch, name, version, arch)] = update
    return result


@dataclass(frozen=True, slots=True)
class _Context:
    """What every group of one ecosystem shares: the host's suites and the version sort key."""

    suites: tuple[str, ...]
    key: Callable[[str], Any]

    @classmethod
    def of(cls, ecosystem: str, suites_for: Callable[[str], Sequence[str]]) -> _Context:
        return cls(tuple(suites_for(ecosystem)), scheme(scheme_for_ecosystem(ecosystem)).key)


def _group_updates(
    index: CatalogIndex,
    group: _GroupKey,
    versions: Sequence[str],
    context: _Context,
    now: datetime,
) -> list[PackageUpdate]:
    """The facts of each installed version of one group; the candidate is looked up only when
    some version is behind (most installed versions in a fleet are current)."""
    key = context.key
    timeline = _timeline(index, group, context.suites, key)
    current = _CURRENT if timeline.offered else _UNKNOWN
    firsts = [bisect_right(timeline.keys, key(v)) for v in versions]
    if all(first == len(timeline.keys) for first in firsts):
        return [current] * len(versions)
    best = _candidate_of(index, group, context.suites)
    return [current if f == len(timeline.keys) else _behind(timeline, f, best, now) for f in firsts]


def _timeline(
    index: CatalogIndex, group: _GroupKey, suites: Sequence[str], key: Callable[[str], Any]
) -> _Timeline:
    ecosystem, native_arch, name, arch = group
    every = index.versions(ecosystem, name)
    seen = _earliest_by_version(
        e for e in every if in_suites(e.origin, suites) and arch_fits(arch, e.arch, native_arch)
    )
    if len(seen) <= 1:  # the common case: one version offered (or none)
        keys = tuple(key(v) for v in seen)
        return _Timeline(bool(every), keys, tuple(seen.values()))
    ordered = sorted((key(v), at_exact) for v, at_exact in seen.items())
    return _Timeline(bool(every), tuple(k for k, _ in ordered), _suffix_earliest(ordered))


def _suffix_earliest(
    ordered: Sequence[tuple[Any, tuple[datetime, bool]]],
) -> tuple[tuple[datetime, bool], ...]:
    suffix: list[tuple[datetime, bool]] = []
    for _, here in reversed(ordered):
        suffix.append(here if not suffix else _earlier(suffix[-1], here))
    return tuple(reversed(suffix))


def _candidate_of(
    index: CatalogIndex, group: _GroupKey, suites: Sequence[str]
) -> tuple[str, tuple[Origin, ...]]:
    """The candidate version (apt's rules, from `catalog.candidates`) and its ranked origins."""
    ecosystem, native_arch, name, arch = group
    best = candidate(
        index,
        ecosystem=ecosystem,
        name=name,
        installed_arch=arch,
        native_arch=native_arch,
        suites=suites,
    )
    return best[0].version, _ranked_origins(best, suites)


def _ranked_origins(best: Sequence[CatalogEntry], suites: Sequence[str]) -> tuple[Origin, ...]:
    """The candidate's origins in the order of the host's suites (as `outdated` lists them)."""

    def rank(origin: Origin) -> tuple[int, Origin]:
        names = (origin.suite, origin.codename, origin.archive)
        return (next((i for i, s in enumerate(suites) if s in names), len(suites)), origin)

    return tuple(sorted({e.origin for e in best}, key=rank))


def _behind(
    timeline: _Timeline, first_newer: int, best: tuple[str, tuple[Origin, ...]], now: datetime
) -> PackageUpdate:
    # `_timeline` filters as `candidate` does, so a newer version exists exactly when the
    # candidate is newer than the installed version.
    at, exact = timeline.suffix_first[first_newer]
    version, origins = best
    return PackageUpdate(
        candidate=version,
        origins=origins,
        security_suite=any(o.security for o in origins),
        days_behind=max(0.0, (now - at).total_seconds() / _SECONDS_PER_DAY),
        oldest_newer_first_seen=at,
        first_seen_exact=exact,
        newer_versions=len(timeline.keys) - first_newer,
        offered=timeline.offered,
    )
