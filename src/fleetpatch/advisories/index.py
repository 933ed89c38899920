"""The advisory index: advisories compiled for fast matching, keyed by (ecosystem, package).

Building the index does the expensive work once: every affected entry is filed under its
normalised ecosystem and package name, and every range event and listed version is turned into
a *position* (a sort key of the ecosystem's version scheme) so matching one triple is a dict
lookup plus a few tuple comparisons. Positions wrap the scheme's key so that the OSV specials
sort correctly: ``introduced: "0"`` below every version, ``limit: "*"`` above every version.

Several `affected` entries of one advisory for the same (ecosystem, package) — ``Ubuntu:22.04``
and ``Ubuntu:22.04:LTS``, or one per range — are merged into one `Entry`, so an advisory yields at
most one finding per triple. Only ``ECOSYSTEM`` ranges are compiled; entries in ecosystems without
a version scheme are counted in `unsupported`. A version the scheme cannot parse drops that range
or listed version and is reported in `problems`, never silently matched.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from fleetpatch.advisories.ecosystems import family, normalize_ecosystem
from fleetpatch.advisories.records import (
    FIXED,
    INTRODUCED,
    LIMIT,
    Advisory,
    Affected,
    Range,
    Severity,
)
from fleetpatch.errors import FleetpatchError
from fleetpatch.versions import VersionScheme, scheme, scheme_for_ecosystem

#: A position on an ecosystem's version line: (0, ()) is "0", (2, ()) is "*", (1, key) a version.
Position = tuple[int, Any]
BOTTOM: Position = (0, ())
TOP: Position = (2, ())


@dataclass(frozen=True, slots=True)
class CompiledRange:
    """A range's events sorted by position (stable for ties), and its limits."""

    events: tuple[tuple[Position, str], ...]
    limits: tuple[Position, ...]
    fixes: tuple[tuple[Position, str], ...]


@dataclass(frozen=True, slots=True)
class Entry:
    """One advisory's affected data for one (normalised ecosystem, package).

    `floor` and `ceiling` bound what the ranges can match, so most versions are answered
    without walking events: nothing below the lowest ``introduced`` (`floor`, None when no range
    has one) is affected, nor anything at or above `ceiling`, the highest position at which a
    range ends with ``fixed`` (`TOP` when some range stays open).
    """

    advisory: Advisory
    ecosystem: str
    package: str
    ranges: tuple[CompiledRange, ...]
    versions: frozenset[str]
    positions: frozenset[Position]
    severity: Severity
    aliases: tuple[str, ...]
    floor: Position | None
    ceiling: Position


@dataclass(frozen=True, slots=True)
class AdvisoryIndex:
    """Compiled entries by (normalised ecosystem, package); see `build_index`."""

    entries: Mapping[tuple[str, str], tuple[Entry, ...]]
    problems: tuple[str, ...] = ()
    unsupported: Mapping[str, int] = field(default_factory=dict)

    def lookup(self, ecosystem: str, package: str) -> tuple[Entry, ...]:
        """Entries for a normalised ecosystem and a package name; empty when none."""
        return self.entries.get((ecosystem, package), ())

    def __len__(self) -> int:
        return sum(len(v) for v in self.entries.values())


class Positions:
    """Turns version strings into positions for one scheme, caching repeated versions."""

    def __init__(self, ecosystem: str) -> None:
        self.scheme = _scheme(ecosystem)
        self._cache: dict[str, Position] = {}

    def of(self, version: str) -> Position:
        """The position of a version; raises the scheme's `VersionError` when it is invalid."""
        found = self._cache.get(version)
        if found is None:
            found = (1, self.scheme.key(version))
            self._cache[version] = found
        return found


@lru_cache(maxsize=1024)
def _scheme(ecosystem: str) -> VersionScheme:
    return scheme(scheme_for_ecosystem(ecosystem))


def position_of(ecosystem: str, version: str) -> Position:
    """The position of a queried version in a normalised ecosystem; raises `VersionError`."""
    return (1, _scheme(ecosystem).key(version))


def build_index(
    advisories: Iterable[Advisory], packages: Collection[tuple[str, str]] | None = None
) -> AdvisoryIndex:
    """Compile advisories into an `AdvisoryIndex`.

    `packages`, when given, limits compilation to those (normalised ecosystem, package) keys:
    evaluating a fleet only ever looks up the packages the fleet has, and compiling ranges is
    the expensive part of building an index.
    """
    grouped: dict[tuple[str, str], dict[str, list[Affected]]] = {}
    owners: dict[str, Advisory] = {}
    for advisory in advisories:
        owners[advisory.id] = advisory
        for affected in advisory.affected:
            key = (normalize_ecosystem(affected.ecosystem), affected.package)
            if packages is not None and key not in packages:
                continue
            grouped.setdefault(key, {}).setdefault(advisory.id, []).append(affected)
    problems: list[str] = []
    unsupported: Counter[str] = Counter()
    schemes: dict[str, Positions | None] = {}
    entries: dict[tuple[str, str], tuple[Entry, ...]] = {}
    for (ecosystem, package), by_id in sorted(grouped.items()):
        positions = _positions(ecosystem, schemes)
        if positions is None:
            unsupported[family(ecosystem)] += len(by_id)
            continue
        compiled = [
            _entry(owners[ident], ecosystem, package, parts, positions, problems)
            for ident, parts in sorted(by_id.items())
        ]
        entries[(ecosystem, package)] = tuple(compiled)
    return AdvisoryIndex(entries=entries, problems=tuple(problems), unsupported=dict(unsupported))


def _positions(ecosystem: str, schemes: dict[str, Positions | None]) -> Positions | None:
    if ecosystem not in schemes:
        try:
            schemes[ecosystem] = Positions(ecosystem)
        except FleetpatchError:
            schemes[ecosystem] = None
    return schemes[ecosystem]


def _entry(
    advisory: Advisory,
    ecosystem: str,
    package: str,
    parts: list[Affected],
    positions: Positions,
    problems: list[str],
) -> Entry:
    where = f"{advisory.id}: {ecosystem}/{package}"
    ranges = [
        compiled
        for part in parts
        for rng in part.ranges
        if rng.type == "ECOSYSTEM"
        and (compiled := _compile(rng, positions, where, problems)) is not None
    ]
    listed = {v for part in parts for v in part.versions}
    severities = [p.severity for p in parts if p.severity is not None]
    introduced = [at for rng in ranges for at, kind in rng.events if kind == INTRODUCED]
    return Entry(
        advisory=advisory,
        ecosystem=ecosystem,
        package=package,
        ranges=tuple(ranges),
        versions=frozenset(listed),
        positions=frozenset(_listed_positions(sorted(listed), positions, where, problems)),
        severity=severities[0] if severities else advisory.severity,
        aliases=advisory.cve_ids,
        floor=min(introduced) if introduced else None,
        ceiling=max((_ceiling(rng) for rng in ranges), default=TOP),
    )


def _ceiling(rng: CompiledRange) -> Position:
    """Where a range ends for good: its last event when that is ``fixed``, else `TOP`."""
    if rng.events and rng.events[-1][1] == FIXED:
        return rng.events[-1][0]
    return TOP


def _compile(
    rng: Range, positions: Positions, where: str, problems: list[str]
) -> CompiledRange | None:
    placed: list[tuple[Position, str]] = []
    for event in rng.events:
        try:
            placed.append((_place(event.kind, event.version, positions), event.kind))
        except FleetpatchError as exc:
            problems.append(f"{where}: range dropped, {event.kind} {event.version!r}: {exc}")
            return None
    limits = tuple(p for p, kind in placed if kind == LIMIT)
    events = tuple(sorted((e for e in placed if e[1] != LIMIT), key=lambda e: e[0]))
    fixes = tuple(
        sorted(
            (
                (p, e.version)
                for (p, _), e in zip(placed, rng.events, strict=True)
                if e.kind == FIXED
            ),
            key=lambda f: f[0],
        )
    )
    return CompiledRange(events=events, limits=limits, fixes=fixes)


def _place(kind: str, version: str, positions: Positions) -> Position:
    if version == "0" and kind != LIMIT:
        return BOTTOM
    if version == "*" and kind == LIMIT:
        return TOP
    return positions.of(version)


def _listed_positions(
    listed: list[str], positions: Positions, where: str, problems: list[str]
) -> Iterable[Position]:
    for version in listed:
        try:
            yield positions.of(version)
        except FleetpatchError as exc:
            problems.append(f"{where}: listed version {version!r} ignored: {exc}")
