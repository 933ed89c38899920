"""Property tests for matching (Hypothesis), checked against a direct reading of the OSV spec."""

from __future__ import annotations

from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from fleetpatch.advisories import build_index, match, parse_advisory
from fleetpatch.versions import compare

VERSIONS = [f"{major}.{minor}" for major in range(4) for minor in range(4)]
version = st.sampled_from(["0", *VERSIONS])
kind = st.sampled_from(["introduced", "fixed", "last_affected"])
events = st.lists(st.tuples(kind, version), max_size=6)
listed = st.lists(st.sampled_from(VERSIONS), max_size=3)


def _record(evts: list[tuple[str, str]], versions: list[str]) -> dict[str, Any]:
    entry = {
        "package": {"ecosystem": "Debian:12", "name": "pkg"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{k: v} for k, v in evts]}],
        "versions": versions,
    }
    return {"id": "P-1", "modified": "2026-01-01T00:00:00Z", "affected": [entry]}


def _affected_set(evts: list[tuple[str, str]], versions: list[str]) -> set[str]:
    index = build_index([parse_advisory(_record(evts, versions))])
    return {v for v in VERSIONS if match(index, "Debian:12", "pkg", v)}


def _spec(evts: list[tuple[str, str]], installed: str) -> bool:
    """The OSV specification's evaluation, written with plain `compare` and no index."""

    def order(item: tuple[int, tuple[str, str]]) -> tuple[int, int]:
        position, (_, value) = item
        rank = sum(compare("dpkg", value, other) > 0 for other in VERSIONS) if value != "0" else -1
        return (rank, position)

    def below(value: str) -> bool:  # "0" is the start of time, below every version
        return value == "0" or compare("dpkg", value, installed) < 0

    affected = False
    for _, (k, value) in sorted(enumerate(evts), key=order):
        reached = below(value) or compare("dpkg", value, installed) == 0
        if k == "introduced" and reached:
            affected = True
        elif (k == "fixed" and reached) or (k == "last_affected" and below(value)):
            affected = False
    return affected


@settings(max_examples=300, deadline=None)
@given(events, listed, version)
def test_adding_a_fixed_event_never_widens_the_affected_set(
    evts: list[tuple[str, str]], versions: list[str], fix: str
) -> None:
    before = _affected_set(evts, versions)
    after = _affected_set([*evts, ("fixed", fix)], versions)
    assert after <= before


@settings(max_examples=300, deadline=None)
@given(events)
@example([("introduced", "0"), ("fixed", "0")])
@example([("introduced", "1.0"), ("fixed", "1.0"), ("introduced", "1.0")])
@example([("last_affected", "1.1"), ("introduced", "1.1")])
def test_range_matching_agrees_with_the_spec(evts: list[tuple[str, str]]) -> None:
    assert _affected_set(evts, []) == {v for v in VERSIONS if _spec(evts, v)}


@settings(max_examples=200, deadline=None)
@given(events, version)
def test_reported_fix_is_the_lowest_fixed_event_above_the_version(
    evts: list[tuple[str, str]], installed: str
) -> None:
    if installed == "0":
        installed = "0.0"
    index = build_index([parse_advisory(_record(evts, []))])
    fixes = [v for k, v in evts if k == "fixed" and compare("dpkg", v, installed) > 0]
    for finding in match(index, "Debian:12", "pkg", installed):
        if not fixes:
            assert (finding.status, finding.fixed_version) == ("affected_no_fix", None)
        else:
            assert finding.fixed_version is not None
            assert finding.status == "affected_fix_available"
            assert all(compare("dpkg", finding.fixed_version, f) <= 0 for f in fixes)
