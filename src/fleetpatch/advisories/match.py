"""Matching: which advisories affect one (ecosystem, package, version) triple, and how.

A version is affected by an entry when it is in the entry's `versions` list or inside one of its
``ECOSYSTEM`` ranges. Inside a range means, following the OSV specification: walk the events in
version order; ``introduced`` at or below the version opens, ``fixed`` at or below it closes,
``last_affected`` strictly below it closes; the last event that applies decides. When a range has
``limit`` events the version must also be below one of them.

The fix reported is the lowest ``fixed`` version above the installed one, taken from the ranges
that matched (or from all ranges when only the `versions` list matched). No fix above the version
means `affected_no_fix`.

For Debian, Ubuntu and Alpine the caller passes the *source* package name and version
(`fleetpatch.advisories.ecosystems.match_key`). Matching is pure and takes a prebuilt
`AdvisoryIndex`, so the same index serves every distinct triple of a fleet.
"""

from __future__ import annotations

from collections.abc import Sequence

from fleetpatch.advisories.ecosystems import lookup_ecosystems
from fleetpatch.advisories.index import AdvisoryIndex, CompiledRange, Entry, Position, position_of
from fleetpatch.advisories.records import (
    AFFECTED_FIX_AVAILABLE,
    AFFECTED_NO_FIX,
    FIXED,
    INTRODUCED,
    LAST_AFFECTED,
    Finding,
)


def match(
    index: AdvisoryIndex, ecosystem: str, package: str, version: str, *, pro: bool = False
) -> tuple[Finding, ...]:
    """Findings for one triple, sorted by advisory id; empty when nothing affects it.

    `pro` says the host is attached to Ubuntu Pro: then an advisory's ``Ubuntu:Pro:<release>``
    entry, when it has one, decides instead of its plain ``Ubuntu:<release>`` entry.
    Raises `VersionError` when some advisory names the package and `version` is not valid in
    the ecosystem's scheme (a package no advisory names is not parsed at all).
    """
    ecosystems = lookup_ecosystems(ecosystem, pro=pro)
    findings: list[Finding] = []
    seen: set[str] = set()
    for eco in ecosystems:
        entries = index.lookup(eco, package)
        if not entries:
            continue
        position = position_of(eco, version)
        for entry in entries:
            if len(ecosystems) > 1:
                if entry.advisory.id in seen:
                    continue
                seen.add(entry.advisory.id)
            finding = _finding(entry, version, position)
            if finding is not None:
                findings.append(finding)
    findings.sort(key=lambda f: f.advisory_id)
    return tuple(findings)


def is_affected(rng: CompiledRange, position: Position) -> bool:
    """Whether a position lies inside one compiled range (OSV evaluation, see module doc)."""
    if rng.limits and not any(position < limit for limit in rng.limits):
        return False
    affected = False
    for at, kind in rng.events:
        if at > position:
            break
        if kind == INTRODUCED:
            affected = True
        elif kind == FIXED or (kind == LAST_AFFECTED and at < position):
            affected = False
    return affected


def _finding(entry: Entry, version: str, position: Position) -> Finding | None:
    bounded = entry.floor is not None and entry.floor <= position < entry.ceiling
    listed = bool(entry.versions) and (version in entry.versions or position in entry.positions)
    if not bounded and not listed:
        return None
    hits = [rng for rng in entry.ranges if is_affected(rng, position)] if bounded else []
    if not hits and not listed:
        return None
    fixed = _lowest_fix_above(hits or entry.ranges, position)
    return Finding(
        advisory_id=entry.advisory.id,
        ecosystem=entry.ecosystem,
        package=entry.package,
        version=version,
        status=AFFECTED_NO_FIX if fixed is None else AFFECTED_FIX_AVAILABLE,
        fixed_version=fixed,
        severity=entry.severity,
        aliases=entry.aliases,
    )


def _lowest_fix_above(ranges: Sequence[CompiledRange], position: Position) -> str | None:
    best: tuple[Position, str] | None = None
    for rng in ranges:
        for at, fixed in rng.fixes:
            if at > position and (best is None or at < best[0]):
                best = (at, fixed)
                break
    return None if best is None else best[1]
