"""Matching semantics: OSV ranges, versions lists, limits, fixes, Pro, and real AlmaLinux data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fleetpatch.advisories import (
    AFFECTED_FIX_AVAILABLE,
    AFFECTED_NO_FIX,
    AdvisoryIndex,
    build_index,
    load_advisories,
    match,
    parse_advisory,
)
from fleetpatch.errors import VersionError

Builder = Callable[..., dict[str, Any]]
UBUNTU = Path(__file__).resolve().parents[1] / "data" / "advisories" / "ubuntu-osv"


def _index(*records: dict[str, Any]) -> AdvisoryIndex:
    return build_index(parse_advisory(r) for r in records)


def _status(index: AdvisoryIndex, version: str, eco: str = "Debian:12") -> tuple[str, str | None]:
    findings = match(index, eco, "pkg", version)
    if not findings:
        return ("not_affected", None)
    (finding,) = findings
    return (finding.status, finding.fixed_version)


I0 = {"introduced": "0"}


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("0.1", (AFFECTED_FIX_AVAILABLE, "1.5")),
        ("1.5~rc1", (AFFECTED_FIX_AVAILABLE, "1.5")),
        ("1.5", ("not_affected", None)),
        ("1:0.1", ("not_affected", None)),  # the epoch puts it above the fix
    ],
)
def test_introduced_zero_then_fixed(
    osv: Builder, version: str, expected: tuple[str, str | None]
) -> None:
    index = _index(osv("A-1", "Debian:12", "pkg", I0, {"fixed": "1.5"}))
    assert _status(index, version) == expected


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("0.9", ("not_affected", None)),
        ("1.0", (AFFECTED_FIX_AVAILABLE, "1.5")),
        ("1.7", ("not_affected", None)),
        ("2.0", (AFFECTED_FIX_AVAILABLE, "2.5")),
        ("2.4.9", (AFFECTED_FIX_AVAILABLE, "2.5")),
        ("3.0", ("not_affected", None)),
    ],
)
def test_two_introduced_fixed_pairs_in_any_order(
    osv: Builder, version: str, expected: tuple[str, str | None]
) -> None:
    events = [{"fixed": "2.5"}, {"introduced": "1.0"}, {"introduced": "2.0"}, {"fixed": "1.5"}]
    index = _index(osv("A-1", "Debian:12", "pkg", *events))
    assert _status(index, version) == expected


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("0.9", ("not_affected", None)),
        ("1.0", (AFFECTED_NO_FIX, None)),
        ("1.5", (AFFECTED_NO_FIX, None)),
        ("1.5+b1", ("not_affected", None)),
    ],
)
def test_last_affected_is_inclusive(
    osv: Builder, version: str, expected: tuple[str, str | None]
) -> None:
    index = _index(osv("A-1", "Debian:12", "pkg", {"introduced": "1.0"}, {"last_affected": "1.5"}))
    assert _status(index, version) == expected


def test_introduced_only_means_every_version_without_fix(osv: Builder) -> None:
    index = _index(osv("A-1", "Debian:12", "pkg", I0))
    assert _status(index, "99:1") == (AFFECTED_NO_FIX, None)


@pytest.mark.parametrize(
    ("version", "expected"),
    [("1.1", True), ("0:1.1", True), ("1.2", False), ("1.3", True), ("1.4", False)],
)
def test_versions_list_alone(osv: Builder, version: str, expected: bool) -> None:
    record = osv("A-1", "Debian:12", "pkg", versions=["1.1", "1.3"])
    record["affected"][0]["ranges"] = []
    assert bool(match(_index(record), "Debian:12", "pkg", version)) is expected


def test_versions_list_match_still_reports_a_fix_above(osv: Builder) -> None:
    record = osv("A-1", "Debian:12", "pkg", {"introduced": "2.0"}, {"fixed": "3.0"})
    record["affected"][0]["versions"] = ["1.0"]
    assert _status(_index(record), "1.0") == (AFFECTED_FIX_AVAILABLE, "3.0")


@pytest.mark.parametrize(
    ("limit", "version", "affected"),
    [("2.0", "1.9", True), ("2.0", "2.0", False), ("2.0", "2.1", False), ("*", "50", True)],
)
def test_limit(osv: Builder, limit: str, version: str, affected: bool) -> None:
    index = _index(osv("A-1", "Debian:12", "pkg", I0, {"limit": limit}))
    assert bool(match(index, "Debian:12", "pkg", version)) is affected


def test_lowest_fix_above_across_ranges(osv: Builder) -> None:
    record = osv("A-1", "Debian:12", "pkg", I0, {"fixed": "1.5"})
    record["affected"][0]["ranges"].append({"type": "ECOSYSTEM", "events": [I0, {"fixed": "1.4"}]})
    assert _status(_index(record), "1.0") == (AFFECTED_FIX_AVAILABLE, "1.4")


def test_non_ecosystem_ranges_are_not_matched(osv: Builder) -> None:
    record = osv("A-1", "Debian:12", "pkg", I0)
    record["affected"][0]["ranges"][0]["type"] = "GIT"
    assert match(_index(record), "Debian:12", "pkg", "1.0") == ()


def test_lts_spellings_merge_into_one_finding(osv: Builder) -> None:
    record = osv("A-1", "Ubuntu:22.04:LTS", "pkg", I0, {"fixed": "2.0"})
    record["affected"].append(
        {"package": {"ecosystem": "Ubuntu:22.04", "name": "pkg"}, "versions": ["1.0"]}
    )
    index = _index(record)
    for query in ("Ubuntu:22.04", "Ubuntu:22.04:LTS"):
        (finding,) = match(index, query, "pkg", "1.0")
        assert (finding.ecosystem, finding.fixed_version) == ("Ubuntu:22.04", "2.0")


def test_pro_entry_decides_only_for_pro_hosts(osv: Builder) -> None:
    record = osv("A-1", "Ubuntu:20.04:LTS", "pkg", I0)
    record["affected"].append(
        {
            "package": {"ecosystem": "Ubuntu:Pro:20.04:LTS", "name": "pkg"},
            "ranges": [{"type": "ECOSYSTEM", "events": [I0, {"fixed": "2.0+esm1"}]}],
        }
    )
    index = _index(record)
    assert _status(index, "2.0", "Ubuntu:20.04") == (AFFECTED_NO_FIX, None)
    (pro,) = match(index, "Ubuntu:20.04", "pkg", "2.0", pro=True)
    assert (pro.ecosystem, pro.fixed_version) == ("Ubuntu:Pro:20.04", "2.0+esm1")
    assert match(index, "Ubuntu:20.04", "pkg", "2.0+esm1", pro=True) == ()
    assert match(index, "Ubuntu:Pro:20.04", "pkg", "2.0+esm1") == ()


def test_pro_only_advisory_is_invisible_to_plain_hosts() -> None:
    index = build_index(load_advisories([UBUNTU / "USN-8091-1.json"]).records)
    assert match(index, "Ubuntu:20.04", "util-linux", "2.34-0.1ubuntu9.6") == ()
    (finding,) = match(index, "Ubuntu:20.04", "util-linux", "2.34-0.1ubuntu9.6", pro=True)
    assert finding.fixed_version == "2.34-0.1ubuntu9.6+esm1"


def test_finding_carries_entry_severity_and_cve_aliases(osv: Builder) -> None:
    record = osv(
        "A-1",
        "Debian:12",
        "pkg",
        I0,
        aliases=["CVE-2026-1"],
        related=["CVE-2026-2", "GHSA-x"],
        severity=[{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
    )
    record["affected"][0]["ecosystem_specific"] = {"urgency": "low"}
    (finding,) = match(_index(record), "Debian:12", "pkg", "1.0")
    assert finding.severity.level == "low"
    assert finding.aliases == ("CVE-2026-1", "CVE-2026-2")


def test_findings_are_sorted_by_id(osv: Builder) -> None:
    index = _index(*(osv(f"A-{n}", "Debian:12", "pkg", I0) for n in (3, 1, 2)))
    assert [f.advisory_id for f in match(index, "Debian:12", "pkg", "1")] == ["A-1", "A-2", "A-3"]


def test_bad_record_version_drops_the_range_and_is_reported(osv: Builder) -> None:
    index = _index(osv("A-1", "Debian:12", "pkg", I0, {"fixed": "1.0 beta"}))
    assert match(index, "Debian:12", "pkg", "0.5") == ()
    (problem,) = index.problems
    assert problem.startswith("A-1: Debian:12/pkg: range dropped, fixed '1.0 beta'")


def test_bad_query_version_raises(osv: Builder) -> None:
    index = _index(osv("A-1", "Debian:12", "pkg", I0))
    with pytest.raises(VersionError):
        match(index, "Debian:12", "pkg", "not a version")


def test_unknown_package_or_ecosystem_is_no_finding(osv: Builder) -> None:
    index = _index(osv("A-1", "Debian:12", "pkg", I0))
    assert match(index, "Debian:11", "pkg", "1.0") == ()
    assert match(index, "Debian:12", "other", "1.0") == ()
    assert match(index, "PyPI", "pkg", "1.0") == ()


def test_ecosystems_without_a_scheme_are_counted(osv: Builder) -> None:
    index = _index(osv("A-1", "PyPI", "pkg", I0), osv("A-2", "Debian:12", "pkg", I0))
    assert index.unsupported == {"PyPI": 1}
    assert len(index) == 1


def test_alpine_uses_apk_order(osv: Builder) -> None:
    index = _index(osv("A-1", "Alpine:v3.20", "openssl", I0, {"fixed": "3.3.2-r0"}))
    (finding,) = match(index, "Alpine:v3.20", "openssl", "3.3.1_git20240101-r5")
    assert finding.fixed_version == "3.3.2-r0"
    assert match(index, "Alpine:v3.20", "openssl", "3.3.2-r1") == ()


def test_almalinux_release_picks_its_own_fix(alma_index: AdvisoryIndex) -> None:
    el8 = match(alma_index, "AlmaLinux:8", "java-1.8.0-openjdk", "1:1.8.0.392.b08-4.el8")
    el9 = match(alma_index, "AlmaLinux:9", "java-1.8.0-openjdk", "1:1.8.0.392.b08-4.el9")
    by_id8 = {f.advisory_id: f for f in el8}
    by_id9 = {f.advisory_id: f for f in el9}
    assert by_id8["ALSA-2024:0265"].fixed_version == "1:1.8.0.402.b06-2.el8"
    assert by_id9["ALSA-2024:0265"].fixed_version == "1:1.8.0.402.b06-2.el9"
    assert by_id8["ALSA-2024:0265"].severity.level == "high"
    assert all(f.status == AFFECTED_FIX_AVAILABLE for f in (*el8, *el9))


def test_almalinux_fixed_version_is_not_affected(alma_index: AdvisoryIndex) -> None:
    findings = match(alma_index, "AlmaLinux:8", "gupnp", "1.0.6-2.el8_4")
    assert "ALSA-2021:2363" not in {f.advisory_id for f in findings}
    (older,) = [
        f
        for f in match(alma_index, "AlmaLinux:8", "gupnp", "1.0.6-1.el8")
        if f.advisory_id == "ALSA-2021:2363"
    ]
    assert older.fixed_version == "1.0.6-2.el8_4"
    assert older.aliases == ("CVE-2021-33516",)


def test_almalinux_index_has_no_problems(alma_index: AdvisoryIndex) -> None:
    assert alma_index.problems == ()
    assert alma_index.unsupported == {}
