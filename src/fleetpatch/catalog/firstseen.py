"""First-seen times of catalog versions, merged import after import.

"Days behind upstream" counts from the moment a newer version was published, and the only clock a
repository gives us is the `Date` of its `Release`. So a version's first-seen time is the Date of
the first Release that listed it. Invariants, whatever order imports arrive in:

- a first-seen time never moves later (re-importing the same or a newer Release changes nothing);
- an older Release that also lists the version moves it earlier (we had seen it late);
- versions already listed by the very first import of a suite were published at some unknown
  earlier time: they get that Release's Date with `exact=False` ("at least since");
- versions missing from a later Release are kept (removal is not un-publication).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime

from fleetpatch.catalog.records import CatalogEntry, FirstSeen, VersionKey


def merge_first_seen(
    existing: Mapping[VersionKey, FirstSeen],
    listed: Iterable[VersionKey],
    release_date: datetime,
    *,
    first_import: bool,
) -> dict[VersionKey, FirstSeen]:
    """Return `existing` updated with the versions one Release (dated `release_date`) lists.

    `first_import` is True when no earlier Release of this suite was ever imported.
    """
    merged = dict(existing)
    for key in listed:
        known = merged.get(key)
        if known is None:
            merged[key] = FirstSeen(release_date, exact=not first_import)
        elif release_date < known.at:
            # An older snapshot lists it too: it was published no later than that.
            merged[key] = FirstSeen(release_date, exact=False)
    return merged


def stamp(
    entries: Iterable[CatalogEntry], first_seen: Mapping[VersionKey, FirstSeen]
) -> tuple[CatalogEntry, ...]:
    """Copy each entry with its first-seen time from the merged map (others unchanged)."""
    stamped = []
    for entry in entries:
        seen = first_seen.get(entry.key)
        if seen is not None:
            entry = replace(entry, first_seen=seen.at, first_seen_exact=seen.exact)
        stamped.append(entry)
    return tuple(stamped)


def import_release(
    existing: Mapping[VersionKey, FirstSeen],
    entries: Iterable[CatalogEntry],
    release_date: datetime,
    *,
    first_import: bool,
) -> tuple[tuple[CatalogEntry, ...], dict[VersionKey, FirstSeen]]:
    """Merge one Release's entries into the first-seen map and return them stamped, with the map."""
    entries = tuple(entries)
    merged = merge_first_seen(
        existing, (e.key for e in entries), release_date, first_import=first_import
    )
    return stamp(entries, merged), merged
