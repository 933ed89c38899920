"""Golden tests: every host fixture in tests/data/hosts parses to its recorded packages/problems.

The goldens in tests/data/hosts/golden were written from the parsers' output and reviewed by hand
against the fixture text; the dpkg ones are also checked against dpkg-query itself
(test_inventory_dpkg.py) and the rpm one against rpm (test_inventory_rpm.py). Malformed fixtures
must give problem lines, never an exception.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from inventory_support import GOLDEN, HOSTS

from fleetpatch.inventory.apk import parse_apk_installed
from fleetpatch.inventory.dpkg import parse_dpkg_status
from fleetpatch.inventory.parsed import ParsedPackages
from fleetpatch.inventory.rpm import parse_rpm_query

FIXTURE_DIRS = ("osv-scalibr-fixtures", "osv-scanner-fixtures", "rpm")


def parser_for(path: Path) -> Callable[[str], ParsedPackages]:
    if path.name.endswith("installed"):
        return parse_apk_installed
    if path.name.startswith("rpm-qa"):
        return parse_rpm_query
    return parse_dpkg_status


def fixtures() -> list[Path]:
    return sorted(
        p
        for d in FIXTURE_DIRS
        for p in (HOSTS / d).iterdir()
        if p.is_file() and p.suffix != ".spec"
    )


def golden_path(path: Path) -> Path:
    return GOLDEN / f"{path.parent.name}__{path.name}.json"


def as_golden(parsed: ParsedPackages) -> dict[str, Any]:
    return {
        "packages": [asdict(p) for p in parsed.packages],
        "problems": list(parsed.problems),
        "installed_at": {k: v.isoformat() for k, v in sorted(parsed.installed_at.items())},
    }


def test_every_shared_host_fixture_is_covered() -> None:
    names = {p.name for p in fixtures()}
    assert len(names) == 14
    assert {"lockfile-dpkg-malformed_status", "lockfile-apk-malformed_installed"} <= names


@pytest.mark.parametrize("path", fixtures(), ids=lambda p: p.name)
def test_parser_output_matches_golden(path: Path) -> None:
    parsed = parser_for(path)(path.read_text(encoding="utf-8"))
    expected = json.loads(golden_path(path).read_text(encoding="utf-8"))
    assert as_golden(parsed) == expected


def test_malformed_dpkg_reports_each_bad_stanza_with_its_line() -> None:
    text = (HOSTS / "osv-scanner-fixtures" / "lockfile-dpkg-malformed_status").read_text()
    parsed = parse_dpkg_status(text)
    assert parsed.packages == ()
    assert "line 5: package bash: no Version field" in parsed.problems
    assert "line 63: package libc6: malformed Status 'bad-status'" in parsed.problems
    assert all(p.startswith("line ") for p in parsed.problems)


def test_malformed_apk_reports_records_without_name() -> None:
    text = (HOSTS / "osv-scanner-fixtures" / "lockfile-apk-malformed_installed").read_text()
    parsed = parse_apk_installed(text)
    assert parsed.packages == ()
    assert "line 8: record without P: (name)" in parsed.problems
    assert len(parsed.problems) == 5


def test_apk_virtual_packages_are_left_out() -> None:
    text = "P:.build-deps\nV:20241127.120000\nA:noarch\n\nP:musl\nV:1.2.5-r0\nA:x86_64\no:musl\n"
    parsed = parse_apk_installed(text)
    assert [p.name for p in parsed.packages] == ["musl"]
    assert parsed.problems == ()
