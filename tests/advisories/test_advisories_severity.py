"""Severity: CVSS vectors are scored, distribution words mapped, AlmaLinux summaries read."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fleetpatch.advisories import load_advisories, parse_advisory
from fleetpatch.advisories.severity import cvss_severity, level_for_score, summary_severity

DATA = Path(__file__).resolve().parents[1] / "data" / "advisories"


@pytest.mark.parametrize(
    ("kind", "vector", "score", "level"),
    [
        ("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "critical"),
        ("CVSS_V3", "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5, "high"),
        ("CVSS_V3", "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:L/I:N/A:L", 4.4, "medium"),
        ("CVSS_V3", "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6, "low"),
        ("CVSS_V2", "AV:N/AC:L/Au:N/C:P/I:P/A:P", 7.5, "high"),
        (
            "CVSS_V4",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            9.3,
            "critical",
        ),
        ("CVSS_V3", "8.1", 8.1, "high"),
    ],
)
def test_cvss_vectors_are_scored(kind: str, vector: str, score: float, level: str) -> None:
    found = cvss_severity(kind, vector)
    assert found is not None
    assert (found.level, found.score, found.source) == (level, score, f"severity.{kind}")


def test_unreadable_vector_gives_nothing() -> None:
    assert cvss_severity("CVSS_V3", "CVSS:3.1/AV:X") is None


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (10.0, "critical"),
        (9.0, "critical"),
        (8.9, "high"),
        (7.0, "high"),
        (6.9, "medium"),
        (4.0, "medium"),
        (3.9, "low"),
        (0.0, "low"),
    ],
)
def test_score_scale_boundaries(score: float, level: str) -> None:
    assert level_for_score(score) == level


@pytest.mark.parametrize(
    ("summary", "level"),
    [
        ("Critical: firefox security update", "critical"),
        ("Important: gupnp security update", "high"),
        ("Moderate: curl security update", "medium"),
        ("Low: vim security update", "low"),
        ("ALSA-2022:5468: php:8.0 security update (Important)", "high"),
        ("new packages: python3.12", "unknown"),
        ("nginx bug fix and enhancement update", "unknown"),
    ],
)
def test_summary_prefix(summary: str, level: str) -> None:
    assert summary_severity(summary).level == level


def test_distribution_word_beats_cvss(osv: Callable[..., dict[str, Any]]) -> None:
    data = osv(
        "X-1",
        "Ubuntu:22.04:LTS",
        "a",
        {"introduced": "0"},
        severity=[
            {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
            {"type": "Ubuntu", "score": "low"},
        ],
    )
    assert parse_advisory(data).severity.level == "low"


def test_worst_cvss_wins_without_a_word(osv: Callable[..., dict[str, Any]]) -> None:
    data = osv(
        "X-1",
        "Debian:12",
        "a",
        {"introduced": "0"},
        severity=[
            {"type": "CVSS_V3", "score": "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:L/I:N/A:L"},
            {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
        ],
    )
    severity = parse_advisory(data).severity
    assert (severity.level, severity.score) == ("critical", 9.8)


def test_database_specific_severity(osv: Callable[..., dict[str, Any]]) -> None:
    data = osv("X-1", "Debian:12", "a", {"introduced": "0"}, database_specific={"severity": "HIGH"})
    assert parse_advisory(data).severity.level == "high"


@pytest.mark.parametrize(
    ("block", "level", "source"),
    [
        ({"ecosystem_specific": {"urgency": "unimportant"}}, "low", "ecosystem_specific.urgency"),
        (
            {"ecosystem_specific": {"ubuntu_priority": "medium"}},
            "medium",
            "ecosystem_specific.ubuntu_priority",
        ),
        ({"database_specific": {"severity": "Critical"}}, "critical", "database_specific.severity"),
        ({"ecosystem_specific": {"urgency": "not yet assigned"}}, None, None),
    ],
)
def test_affected_entry_severity(
    osv: Callable[..., dict[str, Any]],
    block: dict[str, Any],
    level: str | None,
    source: str | None,
) -> None:
    data = osv("X-1", "Debian:12", "a", {"introduced": "0"})
    data["affected"][0].update(block)
    found = parse_advisory(data).affected[0].severity
    if level is None:
        assert found is None
    else:
        assert found is not None
        assert (found.level, found.source) == (level, source)


def test_usn_cves_map_gives_entry_severity() -> None:
    data = json.loads((DATA / "ubuntu-osv" / "USN-7287-1.json").read_text())
    record = parse_advisory(data)
    assert record.severity.level == "unknown"  # a USN has no top-level rating
    assert {a.severity.level for a in record.affected if a.severity} == {"medium"}


def test_almalinux_levels_come_from_the_summary() -> None:
    result = load_advisories([DATA / "AlmaLinux-osv-database.zip"])
    levels = Counter(r.severity.level for r in result.records)
    security = [r for r in result.records if r.id.startswith("ALSA-")]
    assert all(r.severity.source == "summary" for r in security if r.severity.level != "unknown")
    # Every security advisory (ALSA) carries a rating; bug-fix ones (ALBA/ALEA) mostly do not.
    assert [r.id for r in security if r.severity.level == "unknown"] == []
    assert (levels["critical"], levels["low"]) == (34, 154)
    # 2,361 ALSA (one of them from its trailing "(Important)") and 2 ALBA bug-fix records.
    assert levels["high"] == 2361 + 2
