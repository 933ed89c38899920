"""Loading OSV from files, folders and zips: duplicates, withdrawals and bad files."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fleetpatch.advisories import load_advisories
from fleetpatch.errors import InputError

DATA = Path(__file__).resolve().parents[1] / "data" / "advisories"
ALMA_ZIP = DATA / "AlmaLinux-osv-database.zip"

Writer = Callable[[str, object], Path]
Builder = Callable[..., dict[str, Any]]


def test_almalinux_zip_loads_every_record_once() -> None:
    result = load_advisories([ALMA_ZIP])
    assert result.files_read == 5680
    assert result.problems == ()
    # 37 ids sit in two or three release folders as identical copies: 43 extra files.
    assert result.duplicates_identical == 43
    assert result.duplicates_replaced == 0
    assert len(result.records) == 5680 - 43
    assert len({r.id for r in result.records}) == len(result.records)
    assert [r.id for r in result.records] == sorted(r.id for r in result.records)


def test_multi_release_record_keeps_each_release_fix() -> None:
    result = load_advisories([ALMA_ZIP])
    (record,) = [r for r in result.records if r.id == "ALSA-2024:0265"]
    fixes = {
        (a.ecosystem, a.ranges[0].events[1].version)
        for a in record.affected
        if a.package == "java-1.8.0-openjdk"
    }
    assert fixes == {
        ("AlmaLinux:8", "1:1.8.0.402.b06-2.el8"),
        ("AlmaLinux:9", "1:1.8.0.402.b06-2.el9"),
    }
    assert "CVE-2024-20918" in record.cve_ids  # AlmaLinux lists CVEs under `related`


def test_folder_walk_is_recursive_and_sorted(write_json: Writer, osv: Builder) -> None:
    write_json("db/b/B-1.json", osv("B-1", "Debian:12", "b", {"introduced": "0"}))
    write_json("db/a/A-1.json", osv("A-1", "Debian:12", "a", {"introduced": "0"}))
    path = write_json("db/notes.txt", "not json, not read")
    result = load_advisories([path.parent])
    assert [r.id for r in result.records] == ["A-1", "B-1"]
    assert result.files_read == 2


def test_single_file_and_list_file(write_json: Writer, osv: Builder) -> None:
    one = write_json("one.json", osv("A-1", "Debian:12", "a", {"introduced": "0"}))
    many = write_json(
        "many.json",
        [osv("B-1", "Debian:12", "b", {"introduced": "0"}), osv("C-1", "Debian:12", "c")],
    )
    result = load_advisories([one, many])
    assert [r.id for r in result.records] == ["A-1", "B-1", "C-1"]


def test_zip_with_nested_folders(tmp_path: Path, osv: Builder) -> None:
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("x/y/A-1.json", json.dumps(osv("A-1", "Debian:12", "a")))
        out.writestr("B-1.json", json.dumps(osv("B-1", "Debian:12", "b")))
        out.writestr("README", "ignored")
    assert [r.id for r in load_advisories([archive]).records] == ["A-1", "B-1"]


def test_bad_files_are_reported_and_the_rest_loads(
    write_json: Writer, osv: Builder, tmp_path: Path
) -> None:
    write_json("db/good.json", osv("A-1", "Debian:12", "a"))
    write_json("db/bad.json", {"id": "X-9", "affected": []})
    (tmp_path / "db" / "broken.json").write_text("{not json")
    result = load_advisories([tmp_path / "db"])
    assert [r.id for r in result.records] == ["A-1"]
    assert len(result.problems) == 2
    bad, broken = result.problems
    assert bad.endswith("bad.json: X-9: 'modified' must be an RFC 3339 string")
    assert "broken.json: not valid JSON" in broken


def test_not_a_zip_is_a_problem(tmp_path: Path) -> None:
    fake = tmp_path / "fake.zip"
    fake.write_text("hello")
    result = load_advisories([fake])
    assert result.records == ()
    assert result.problems[0].startswith(f"{fake}: not a zip file")


def test_missing_path_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or folder"):
        load_advisories([tmp_path / "nope"])


def test_latest_modified_wins_whatever_the_order(write_json: Writer, osv: Builder) -> None:
    old = osv("A-1", "Debian:12", "a", {"introduced": "0"}, {"fixed": "1.0"})
    new = osv("A-1", "Debian:12", "a", {"introduced": "0"}, {"fixed": "2.0"})
    new["modified"] = "2026-05-01T00:00:00Z"
    first = write_json("1.json", new)
    second = write_json("2.json", old)
    for order in ([first, second], [second, first]):
        result = load_advisories(order)
        (record,) = result.records
        assert record.affected[0].ranges[0].events[1].version == "2.0"
        assert (result.duplicates_replaced, result.problems) == (1, ())


def test_tie_keeps_first_read_and_says_so(write_json: Writer, osv: Builder) -> None:
    first = write_json("1.json", osv("A-1", "Debian:12", "a", {"fixed": "1.0"}))
    second = write_json("2.json", osv("A-1", "Debian:12", "a", {"fixed": "2.0"}))
    result = load_advisories([first, second])
    assert result.records[0].affected[0].ranges[0].events[0].version == "1.0"
    assert result.duplicates_replaced == 1
    (problem,) = result.problems
    assert "A-1 differs from a copy with the same 'modified'" in problem


def test_withdrawn_records_drop_out_even_when_an_older_copy_is_live(
    write_json: Writer, osv: Builder
) -> None:
    live = write_json("live.json", osv("A-1", "Debian:12", "a", {"introduced": "0"}))
    gone = osv("A-1", "Debian:12", "a", {"introduced": "0"}, withdrawn="2026-03-01T00:00:00Z")
    gone["modified"] = "2026-03-01T00:00:00Z"
    withdrawn = write_json("gone.json", gone)
    other = write_json("b.json", osv("B-1", "Debian:12", "b", {"introduced": "0"}))
    result = load_advisories([live, withdrawn, other])
    assert [r.id for r in result.records] == ["B-1"]
    assert result.withdrawn_dropped == 1


def test_osv_dev_testdata_folder_loads() -> None:
    result = load_advisories([DATA / "osv-dev-testdata"])
    assert [r.id for r in result.records] == [
        "DLA-3623-1",
        "DSA-3029-1",
        "UBUNTU-CVE-2025-38094",
        "USN-6332-1",
    ]
    assert result.problems == ()


def test_a_dsa_list_file_loads_by_its_content_whatever_its_name() -> None:
    result = load_advisories([DATA / "debian" / "DSA" / "list"])
    assert (result.problems, result.warnings) == ((), ())
    assert len(result.records) == 24
    glibc = next(r for r in result.records if r.id == "DSA-5514-1")
    assert glibc.cve_ids == ("CVE-2023-4911",)
