"""Drift: how each installed package stands against the fleet's canonical patch level.

Every package the fleet runs has one canonical level per ecosystem, owned by one team:

- by default the highest version the ecosystem's default suites offer (any architecture) whose
  first-seen time is at least `defaults.soak_days` before `now` (a version first seen only "at
  least since" a Release date counts as soaked once that date is old enough: it was published no
  later). When no version has soaked yet there is no level, and the package is not judged;
- a baseline overrides it: a pinned version (`openssh-server: {version: "1:9.2p1-2+deb12u3",
  ecosystem: "Debian:12"}`) is that version, whatever the catalog holds; `latest` is the rule
  above with the baseline's own `soak_days`;
- the level's owner is the baseline's `owner`, else `defaults.baseline_owner`.

A baseline's `ecosystem` is empty (every ecosystem evaluated), a release prefix such as `Debian:`
or an exact ecosystem; the most specific baseline wins. A pin without an ecosystem applies only
where the catalog knows the package, so a Debian pin does not judge an AlmaLinux package of the
same name.

An installed version against its level (`Drift.state`): `on_baseline`, `behind_baseline` (older:
drift), `ahead_of_pin` (newer than a *pinned* version: drift, reported apart, e.g. from backports
or a manual install), or `ahead_of_baseline` (newer than a `latest` level and not a version the
catalog offers: drift, e.g. nodesource's nodejs 20 on Debian's 18). Newer than a `latest` level
but offered by the catalog is a version still soaking, not drift: the level moves there once it
has soaked, and it reads `on_baseline`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from fleetpatch.catalog.candidates import CatalogIndex, in_suites
from fleetpatch.errors import InputError
from fleetpatch.exposure.updates import (
    PackageKey,
    VersionSeen,
    suites_for_ecosystem,
    version_times,
)
from fleetpatch.policy.records import Baseline
from fleetpatch.versions import scheme_for_ecosystem, sort_key, validate

Direction = Literal["behind", "ahead"]
DriftState = Literal["on_baseline", "behind_baseline", "ahead_of_pin", "ahead_of_baseline"]
LevelKey = tuple[str, str]
"""(ecosystem, package name)."""

LATEST = "latest"


@dataclass(frozen=True, slots=True)
class CanonicalLevel:
    """The one target version of a package in an ecosystem, and why it is that one."""

    version: str
    pinned: bool
    reason: str
    owner: str = ""
    soaking: frozenset[str] = frozenset()
    """For a `latest` level: the newer versions the catalog offers that have not soaked yet."""


@dataclass(frozen=True, slots=True)
class Drift:
    """An installed version against its canonical level (`canonical` None: no level).

    `direction` is set only for drift: behind the level, or ahead of a pinned one."""

    canonical: str | None
    direction: Direction | None
    owner: str = ""
    pinned: bool = False

    @property
    def state(self) -> DriftState | None:
        """`on_baseline`, `behind_baseline`, `ahead_of_pin`, `ahead_of_baseline`; None when there
        is no level."""
        if self.canonical is None:
            return None
        if self.direction == "behind":
            return "behind_baseline"
        if self.direction == "ahead":
            return "ahead_of_pin" if self.pinned else "ahead_of_baseline"
        return "on_baseline"


def canonical_levels(
    baselines: Sequence[Baseline],
    index: CatalogIndex,
    *,
    ecosystems: Sequence[str],
    now: datetime,
    default_soak_days: float,
    all_packages: bool = True,
    packages: Iterable[LevelKey] = (),
    default_owner: str = "",
    suites_for: Callable[[str], Sequence[str]] = suites_for_ecosystem,
) -> dict[LevelKey, CanonicalLevel]:
    """The canonical level of every package that has one, as of `now` (aware).

    `ecosystems` are those evaluated (a baseline without an ecosystem applies to each);
    `packages` the (ecosystem, name) pairs the fleet runs, each levelled by the default rule
    (`all_packages`; off, only baselines give levels), owned by `default_owner`.
    """
    if now.tzinfo is None:
        raise InputError("now must be an aware datetime (UTC)")
    levels: dict[LevelKey, CanonicalLevel | None] = {}
    if all_packages:
        for ecosystem, name in packages:
            soaked = _soaked(index, ecosystem, name, suites_for(ecosystem), now, default_soak_days)
            levels[(ecosystem, name)] = _latest_level(
                soaked, default_soak_days, "default", default_owner
            )
    for baseline in sorted(baselines, key=baseline_specificity):
        for ecosystem in _targets(baseline, ecosystems):
            key = (ecosystem, baseline.package)
            if baseline.version != LATEST:
                if baseline.ecosystem or index.versions(*key):
                    levels[key] = _pinned_level(baseline, ecosystem)
                continue
            suites = suites_for(ecosystem)
            soaked = _soaked(index, ecosystem, baseline.package, suites, now, baseline.soak_days)
            levels[key] = _latest_level(soaked, baseline.soak_days, "baseline", baseline.owner)
    return {key: level for key, level in levels.items() if level is not None}


def baseline_specificity(baseline: Baseline) -> int:
    """Sort key: a baseline for every ecosystem (0) < a release prefix `Debian:` (1) < an exact
    ecosystem (2); applied in that order, the most specific wins."""
    if not baseline.ecosystem:
        return 0
    return 1 if baseline.ecosystem.endswith(":") else 2


def baseline_applies(baseline: Baseline, ecosystem: str) -> bool:
    """Whether `baseline` speaks for packages of `ecosystem`."""
    if not baseline.ecosystem:
        return True
    if baseline.ecosystem.endswith(":"):
        return ecosystem.startswith(baseline.ecosystem)
    return baseline.ecosystem == ecosystem


def _targets(baseline: Baseline, ecosystems: Sequence[str]) -> tuple[str, ...]:
    if baseline.ecosystem and not baseline.ecosystem.endswith(":"):
        return (baseline.ecosystem,)
    return tuple(e for e in ecosystems if baseline_applies(baseline, e))


def _pinned_level(baseline: Baseline, ecosystem: str) -> CanonicalLevel:
    validate(scheme_for_ecosystem(ecosystem), baseline.version)
    return CanonicalLevel(
        baseline.version, pinned=True, reason="pinned by baseline", owner=baseline.owner
    )


def _soaked(
    index: CatalogIndex,
    ecosystem: str,
    name: str,
    suites: Sequence[str],
    now: datetime,
    soak_days: float,
) -> tuple[VersionSeen | None, frozenset[str]]:
    """The highest version of `name` in `suites` first seen at least `soak_days` before `now`,
    and the newer versions offered that have not soaked yet."""
    offered = [e for e in index.versions(ecosystem, name) if in_suites(e.origin, suites)]
    cutoff = now - timedelta(days=soak_days)
    times = version_times(offered, scheme_for_ecosystem(ecosystem))
    for i in range(len(times) - 1, -1, -1):
        if times[i].at <= cutoff:
            return times[i], frozenset(t.version for t in times[i + 1 :])
    return None, frozenset(t.version for t in times)


def _latest_level(
    found: tuple[VersionSeen | None, frozenset[str]], soak_days: float, by: str, owner: str
) -> CanonicalLevel | None:
    soaked, soaking = found
    if soaked is None:
        return None
    since = soaked.at.date().isoformat() + ("" if soaked.exact else " or earlier")
    reason = f"latest after {soak_days:g} days soak ({by}): first seen {since}"
    return CanonicalLevel(soaked.version, pinned=False, reason=reason, owner=owner, soaking=soaking)


def packages_of(keys: Iterable[PackageKey]) -> frozenset[LevelKey]:
    """The (ecosystem, name) pairs of installed package keys, for `canonical_levels(packages=)`."""
    return frozenset((key[0], key[2]) for key in keys)


def drift_of(
    keys: Iterable[PackageKey], levels: Mapping[LevelKey, CanonicalLevel]
) -> dict[PackageKey, Drift]:
    """Each installed package version against the canonical level of its package."""
    drifts: dict[PackageKey, Drift] = {}
    for key in keys:
        ecosystem, _, name, version, _ = key
        level = levels.get((ecosystem, name))
        if level is None:
            drifts[key] = Drift(None, None)
            continue
        try:
            scheme = scheme_for_ecosystem(ecosystem)
            installed, canonical = sort_key(scheme, version), sort_key(scheme, level.version)
        except InputError:  # a version its scheme rejects cannot be placed against the level
            drifts[key] = Drift(None, None)
            continue
        direction: Direction | None = None
        if installed < canonical:
            direction = "behind"
        elif installed > canonical and version not in level.soaking:  # not merely soaking
            direction = "ahead"
        drifts[key] = Drift(level.version, direction, level.owner, level.pinned)
    return drifts
