"""An affected entry holding a version its ecosystem cannot read is left out of its record."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from fleetpatch.advisories import build_index, match, parse_advisory
from fleetpatch.advisories.screen import screen_advisory

DATA = Path(__file__).resolve().parents[1] / "data" / "advisories"
ALMA_ZIP = DATA / "AlmaLinux-osv-database.zip"
TWO_PACKAGES = "advisories/almalinux10/ALSA-2025:10371.json"
FIXED = "6.12.0-55.20.1.el10_0"


def alma_record() -> dict[str, Any]:
    with zipfile.ZipFile(ALMA_ZIP) as archive:
        record: dict[str, Any] = json.loads(archive.read(TWO_PACKAGES))
    return record


def ubuntu_record() -> dict[str, Any]:
    record: dict[str, Any] = json.loads(
        (DATA / "ubuntu-osv" / "UBUNTU-CVE-2022-4899.json").read_text(encoding="utf-8")
    )
    return record


def test_real_records_are_kept_whole() -> None:
    for record in (alma_record(), ubuntu_record()):
        advisory = parse_advisory(record)
        assert screen_advisory(advisory).advisory is advisory


def test_an_unreadable_fixed_version_skips_that_package_and_keeps_the_others() -> None:
    record = alma_record()
    bad = record["affected"][1]
    bad["ranges"][0]["events"][1]["fixed"] = "6.12.0-" + "5" * 65
    screened = screen_advisory(parse_advisory(record))
    names = [a.package for a in screened.advisory.affected]
    assert bad["package"]["name"] not in names
    assert len(names) == len(record["affected"]) - 1
    (reason,) = screened.skipped
    assert reason.startswith(
        f"affected[1] (AlmaLinux:10/{bad['package']['name']}) skipped: ranges[0] fixed invalid rpm"
    )
    assert reason.endswith("a numeric part longer than 64 digits")
    index = build_index([screened.advisory])
    kept = record["affected"][0]["package"]["name"]
    (finding,) = match(index, "AlmaLinux:10", kept, "6.12.0-55.19.1.el10_0")
    assert finding.fixed_version == FIXED
    assert index.problems == ()


def test_an_unreadable_listed_version_skips_the_entry() -> None:
    record = ubuntu_record()
    record["affected"][0]["versions"][1] = "1.4.8+dfsg-"
    screened = screen_advisory(parse_advisory(record))
    assert screened.advisory.affected == ()
    assert screened.skipped == (
        "affected[0] (Ubuntu:22.04:LTS/libzstd) skipped: versions: "
        "invalid dpkg version '1.4.8+dfsg-': revision number is empty",
    )


def test_specials_other_range_types_and_unknown_ecosystems_are_not_checked() -> None:
    record = alma_record()
    record["affected"][0]["ranges"].append(
        {"type": "GIT", "events": [{"introduced": "0"}, {"fixed": "not a version!"}]}
    )
    record["affected"][1]["ranges"][0]["events"].append({"limit": "*"})
    record["affected"].append(
        {
            "package": {"ecosystem": "PyPI", "name": "x"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"fixed": "not:a:dpkg:version-"}]}],
        }
    )
    assert screen_advisory(parse_advisory(record)).skipped == ()
