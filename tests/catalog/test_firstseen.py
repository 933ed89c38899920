"""First-seen times: the Date of the first Release listing a version, never moved later."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from fleetpatch.catalog.firstseen import import_release, merge_first_seen
from fleetpatch.catalog.records import CatalogEntry, FirstSeen, Origin, VersionKey

JULY = datetime(2026, 7, 11, 10, 16, 37, tzinfo=UTC)
NOV = datetime(2026, 11, 26, 2, 14, 46, tzinfo=UTC)
OLD: VersionKey = ("Debian:12", "curl", "7.88.1-10+deb12u14", "amd64")
NEW: VersionKey = ("Debian:12", "curl", "7.88.1-10+deb12u15", "amd64")


def test_first_import_marks_everything_at_least_since() -> None:
    seen = merge_first_seen({}, [OLD], JULY, first_import=True)
    assert seen == {OLD: FirstSeen(JULY, exact=False)}


def test_version_new_in_a_later_import_is_exact() -> None:
    seen = merge_first_seen({}, [OLD], JULY, first_import=True)
    seen = merge_first_seen(seen, [OLD, NEW], NOV, first_import=False)
    assert seen[OLD] == FirstSeen(JULY, exact=False)
    assert seen[NEW] == FirstSeen(NOV, exact=True)


def test_reimport_never_moves_later_and_removal_forgets_nothing() -> None:
    seen = merge_first_seen({}, [OLD, NEW], JULY, first_import=True)
    again = merge_first_seen(seen, [NEW], NOV + timedelta(days=30), first_import=False)
    assert again == seen


def test_older_snapshot_moves_earlier_as_at_least_since() -> None:
    seen = merge_first_seen({}, [NEW], NOV, first_import=False)
    seen = merge_first_seen(seen, [NEW], JULY, first_import=False)
    assert seen[NEW] == FirstSeen(JULY, exact=False)


def test_import_release_stamps_entries() -> None:
    origin = Origin("oldstable", "bookworm", "bookworm", "Debian", "main", False)
    entry = CatalogEntry("Debian:12", "curl", NEW[2], "amd64", "curl", NEW[2], origin, NOV, False)
    existing = {NEW: FirstSeen(JULY, exact=True)}
    (stamped,), merged = import_release(existing, [entry], NOV, first_import=False)
    assert (stamped.first_seen, stamped.first_seen_exact) == (JULY, True)
    assert merged == existing


_days = st.integers(min_value=0, max_value=1000).map(lambda d: JULY + timedelta(days=d))
_keys = st.sampled_from([OLD, NEW, ("Debian:12", "bash", "5.2.15-2+b13", "amd64")])
_imports = st.lists(st.tuples(_days, st.lists(_keys, max_size=3)), min_size=1, max_size=8)


@given(_imports)
def test_first_seen_is_the_earliest_release_date_listing_it(
    imports: list[tuple[datetime, list[VersionKey]]],
) -> None:
    seen: dict[VersionKey, FirstSeen] = {}
    for number, (date, keys) in enumerate(imports):
        before = dict(seen)
        seen = merge_first_seen(seen, keys, date, first_import=number == 0)
        for key, value in before.items():
            assert seen[key].at <= value.at  # never later
    for key, value in seen.items():
        assert value.at == min(date for date, keys in imports if key in keys)
