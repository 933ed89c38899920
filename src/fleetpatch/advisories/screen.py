"""Screening an advisory's affected entries before import: every version must be placeable.

Matching places each ``ECOSYSTEM`` range event and each listed version on the ecosystem's
version line. A version the scheme cannot parse cannot be placed, and dropping just that range
or version (what the index does as a last resort) could quietly turn "affected" into "not
affected" for versions it covered. So an import leaves out the whole `affected` entry that holds
such a version and says so: the record keeps its other entries, and the reason names the
entry's position in the record, its package and the version at fault.

The specials the index places without the scheme are not checked: ``0`` for ``introduced``,
``fixed`` and ``last_affected`` (the bottom of the line) and ``*`` for ``limit`` (the top).
Ranges of other types (``GIT``, ``SEMVER``) are not matched, so they are not checked either, and
entries in ecosystems without a version scheme are left as they are (the index counts them as
unsupported).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from fleetpatch.advisories.ecosystems import normalize_ecosystem
from fleetpatch.advisories.records import LIMIT, Advisory, Affected
from fleetpatch.errors import InputError, VersionError
from fleetpatch.versions import scheme_for_ecosystem, validate


@dataclass(frozen=True, slots=True)
class Screened:
    """The advisory without its unplaceable affected entries, and one reason per entry left out."""

    advisory: Advisory
    skipped: tuple[str, ...] = ()


def screen_advisory(advisory: Advisory) -> Screened:
    """`advisory` without the affected entries holding a version invalid for their ecosystem."""
    kept: list[Affected] = []
    skipped: list[str] = []
    for number, affected in enumerate(advisory.affected):
        reason = unplaceable(affected)
        if reason is None:
            kept.append(affected)
        else:
            skipped.append(
                f"affected[{number}] ({affected.ecosystem}/{affected.package}) skipped: {reason}"
            )
    if not skipped:
        return Screened(advisory)
    return Screened(replace(advisory, affected=tuple(kept)), tuple(skipped))


def unplaceable(affected: Affected) -> str | None:
    """Why one of the entry's versions cannot be placed on its version line; None if all can."""
    try:
        scheme = scheme_for_ecosystem(normalize_ecosystem(affected.ecosystem))
    except InputError:
        return None
    for number, rng in enumerate(affected.ranges):
        if rng.type != "ECOSYSTEM":
            continue
        for event in rng.events:
            if _special(event.kind, event.version):
                continue
            reason = _invalid(scheme, event.version)
            if reason is not None:
                return f"ranges[{number}] {event.kind} {reason}"
    for version in affected.versions:
        reason = _invalid(scheme, version)
        if reason is not None:
            return f"versions: {reason}"
    return None


def _special(kind: str, version: str) -> bool:
    """The versions the index places without the scheme (see `index._place`)."""
    return (version == "0" and kind != LIMIT) or (version == "*" and kind == LIMIT)


def _invalid(scheme: str, version: str) -> str | None:
    try:
        validate(scheme, version)
    except VersionError as exc:
        return str(exc)
    return None
