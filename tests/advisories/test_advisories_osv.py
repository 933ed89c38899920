"""Parsing OSV records: real records keep their fields; bad ones fail with one named line."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from fleetpatch.advisories import parse_advisory
from fleetpatch.advisories.records import Event, Range
from fleetpatch.errors import ParseError

TESTDATA = Path(__file__).resolve().parents[1] / "data" / "advisories" / "osv-dev-testdata"


def _load(name: str) -> Any:
    return json.loads((TESTDATA / name).read_text())


def test_debian_dsa_record() -> None:
    record = parse_advisory(_load("DSA-3029-1.json"))
    assert record.id == "DSA-3029-1"
    assert record.aliases == ("CVE-2014-3616",)
    assert record.cve_ids == ("CVE-2014-3616",)
    assert record.modified == datetime(2014, 9, 20, 8, 18, 7, tzinfo=UTC)
    assert record.withdrawn is None
    (affected,) = record.affected
    assert (affected.ecosystem, affected.package) == ("Debian:7", "nginx")
    assert affected.ranges == (
        Range("ECOSYSTEM", (Event("introduced", "0"), Event("fixed", "1.2.1-2.2+wheezy3"))),
    )


def test_ubuntu_kernel_record_keeps_pro_entries_and_versions() -> None:
    record = parse_advisory(_load("UBUNTU-CVE-2025-38094.json"))
    ecosystems = {a.ecosystem for a in record.affected}
    assert "Ubuntu:Pro:14.04:LTS" in ecosystems
    first = record.affected[0]
    assert first.package == "linux"
    assert len(first.versions) == 180
    assert record.severity.level == "medium"
    assert record.severity.source == "severity.Ubuntu"


def test_fractional_seconds_and_empty_affected() -> None:
    record = parse_advisory(_load("DLA-3623-1.json"))
    assert record.modified == datetime(2025, 10, 13, 15, 48, 5, 749899, tzinfo=UTC)
    assert record.affected == ()
    assert "CVE-2023-1206" in record.cve_ids


def test_withdrawn_is_parsed(osv: Callable[..., dict[str, Any]]) -> None:
    data = osv("X-1", "Debian:12", "a", {"introduced": "0"}, withdrawn="2026-02-03T04:05:06Z")
    assert parse_advisory(data).withdrawn == datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC)


def test_equal_records_compare_equal() -> None:
    assert parse_advisory(_load("DSA-3029-1.json")) == parse_advisory(_load("DSA-3029-1.json"))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r.pop("modified"), "X-1: 'modified' must be an RFC 3339 string"),
        (lambda r: r.update(modified="yesterday"), "X-1: 'modified' is not an RFC 3339 time"),
        (lambda r: r.update(aliases="CVE-1"), "X-1: 'aliases' must be a list of strings"),
        (lambda r: r.update(affected={}), "X-1: 'affected' must be a list"),
        (
            lambda r: r["affected"][0]["package"].pop("name"),
            "X-1: 'affected[0].package.name' is missing",
        ),
        (
            lambda r: r["affected"][0]["ranges"][0]["events"].append({"fixed": "2", "limit": "3"}),
            "X-1: 'affected[0].ranges[0].events[1]' must have exactly one of",
        ),
        (
            lambda r: r["affected"][0]["ranges"][0]["events"].append({"patched": "2"}),
            "X-1: 'affected[0].ranges[0].events[1]' has an unknown event 'patched'",
        ),
        (
            lambda r: r["affected"][0]["ranges"][0]["events"].append({"fixed": ""}),
            "X-1: 'affected[0].ranges[0].events[1]' holds an empty or non-string version",
        ),
    ],
)
def test_bad_record_raises_one_line_naming_id_and_field(
    osv: Callable[..., dict[str, Any]], mutate: Callable[[dict[str, Any]], object], message: str
) -> None:
    data = osv("X-1", "Debian:12", "a", {"introduced": "0"})
    mutate(data)
    with pytest.raises(ParseError) as caught:
        parse_advisory(data)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("data", [[], "x", {"modified": "2026-01-01T00:00:00Z"}, {"id": 7}])
def test_not_a_record(data: object) -> None:
    with pytest.raises(ParseError):
        parse_advisory(data)
