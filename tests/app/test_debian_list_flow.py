"""Debian's DSA list through the store: import it, ingest real Debian 12 hosts, ask the CLI.

The hosts are this project's saved Debian 12 machine (`tests/data/catalog/debian12/status.xz`,
glibc 2.36-9+deb12u14, xz-utils 5.4.1-1). `old-01` is the same machine with its glibc packages
set back to 2.36-9+deb12u2 — the one edit made here, so that DSA-5514-1 (fixed in
2.36-9+deb12u3) has a host to find. The advisories are the 24 real entries of
`tests/data/advisories/debian/DSA/list`.
"""

from __future__ import annotations

import json
import lzma
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from fleetpatch.app.upstream import import_advisories
from fleetpatch.cli.main import cli
from fleetpatch.inventory.dpkg import parse_dpkg_status
from fleetpatch.inventory.records import HostReport, KernelFacts, OsInfo, Package, RebootEvidence
from fleetpatch.store import ReportRepository, open_store
from fleetpatch.store.advisories import AdvisoryRepository

DATA = Path(__file__).parents[1] / "data"
STATUS = DATA / "catalog" / "debian12" / "status.xz"
DSA_LIST = DATA / "advisories" / "debian" / "DSA" / "list"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
OLD_GLIBC = "2.36-9+deb12u2"
NO_POLICY = ["--policy", "/nonexistent/fleet.yaml"]  # no policy: every host unclassified


def _packages(glibc: str | None = None) -> tuple[Package, ...]:
    packages = parse_dpkg_status(lzma.decompress(STATUS.read_bytes()).decode()).packages
    if glibc is None:
        return packages
    return tuple(
        replace(p, version=glibc, source_version=glibc) if p.source == "glibc" else p
        for p in packages
    )


def _report(hostname: str, packages: tuple[Package, ...]) -> HostReport:
    return HostReport(
        hostname=hostname,
        collected_at=NOW - timedelta(hours=1),
        os=OsInfo("debian", "12", "bookworm"),
        ecosystem="Debian:12",
        arch="amd64",
        packages=packages,
        kernel=KernelFacts("6.1.0-26-amd64", ("6.1.0-26-amd64",)),
        boot_time=NOW - timedelta(days=3),
        reboot_required=RebootEvidence(False),
        labels={},
        collector="local",
    )


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("dsa") / "fleetpatch.db"
    store = open_store(f"sqlite:///{path}")
    with store.session(write=True) as session:
        reports = [_report("old-01", _packages(OLD_GLIBC)), _report("new-01", _packages())]
        ReportRepository(session).add_many(reports, received_at=NOW)
    store.close()
    code, out, err = _run(str(path), "advisories", "import", str(DSA_LIST), "--format", "json")
    assert (code, err) == (0, ""), err
    summary = json.loads(out)
    assert (summary["records"], summary["inserted"], summary["problems"]) == (24, 24, 0)
    return str(path)


def _run(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", db, *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _vulns(db: str, host: str) -> list[dict[str, object]]:
    code, out, _ = _run(db, *NO_POLICY, "vulns", host, "--format", "json")
    assert code == 0, out
    rows: list[dict[str, object]] = json.loads(out)
    return rows


def test_the_glibc_host_below_the_fix_is_affected_by_dsa_5514_1(db: str) -> None:
    rows = [r for r in _vulns(db, "old-01") if r["advisory"] == "DSA-5514-1"]
    assert rows, "DSA-5514-1 not found"
    assert {r["installed"] for r in rows} == {OLD_GLIBC}
    assert {r["fixed"] for r in rows} == {"2.36-9+deb12u3"}
    assert {r["severity"] for r in rows} == {"unknown"}
    assert {r["status"] for r in rows} == {"affected_fix_available"}
    assert "libc6" in {r["package"] for r in rows}
    assert all(r["cves"] == ["CVE-2023-4911"] for r in rows)


def test_the_host_at_or_above_the_fix_is_not_affected(db: str) -> None:
    found = {r["advisory"] for r in _vulns(db, "new-01")}
    assert "DSA-5514-1" not in found
    assert not {a for a in found if str(a).startswith("DSA-")}  # the machine has every fix


def test_dsa_5895_1_does_not_affect_bookworm_running_the_version_it_names(db: str) -> None:
    xz = {r["advisory"] for r in _vulns(db, "old-01") if r["package"] == "xz-utils"}
    assert next(p for p in _packages() if p.name == "xz-utils").source_version == "5.4.1-1"
    assert "DSA-5895-1" not in xz
    code, _, err = _run(db, *NO_POLICY, "cve", "DSA-5895-1")
    assert code == 0
    assert "DSA-5895-1: DSA-5895-1; 0 hosts affected" in err


def test_cve_finds_the_affected_host_through_the_dsa(db: str) -> None:
    args = [*NO_POLICY, "cve", "CVE-2023-4911", "--format", "json"]
    code, out, err = _run(db, *args)
    assert code == 0, err
    assert "CVE-2023-4911: DSA-5514-1; 1 hosts affected" in err
    assert [r["host"] for r in json.loads(out)] == ["old-01"]


def test_the_stored_record_keeps_the_list_lines_and_dates(db: str) -> None:
    store = open_store(f"sqlite:///{db}")
    with store.session() as session:
        repo = AdvisoryRepository(session)
        (advisory,) = repo.by_id_or_alias("CVE-2023-4911")
        raw = repo.raw("DSA-5514-1")
    store.close()
    assert advisory.published == datetime(2023, 10, 3, tzinfo=UTC)
    assert advisory.severity.level == "unknown"
    assert raw is not None
    assert raw["database_specific"]["debian_security_tracker_list"][-1] == (
        "[bookworm] - glibc 2.36-9+deb12u3"
    )


def test_importing_the_same_list_again_changes_nothing(db: str) -> None:
    store = open_store(f"sqlite:///{db}")
    summary = import_advisories(store, [DSA_LIST], now=NOW)
    store.close()
    assert (summary.records, summary.inserted, summary.updated, summary.unchanged) == (24, 0, 0, 24)
    assert summary.problems == summary.warnings == ()


def test_bad_entries_are_warnings_naming_file_and_line_and_the_rest_is_stored(
    tmp_path: Path,
) -> None:
    text = DSA_LIST.read_text().replace(
        "\t[bookworm] - bind9 1:9.18.24-1", "\t[bookworm] - bind9 1:9.18.24-"
    )
    text = text.replace("[bullseye] - curl 7.74.0-1.3+deb11u11", "[sid] - curl 8.5.0-1")
    bad = tmp_path / "list"
    bad.write_text(text + "[05 Feb 2024] DSA-5617-1 chromium - security update\n")
    db = str(tmp_path / "bad.db")
    code, out, err = _run(db, "advisories", "import", str(bad), "--format", "json")
    assert code == 2
    summary = json.loads(out)
    assert (summary["inserted"], summary["problems"], summary["warnings"]) == (23, 2, 1)
    real = DSA_LIST.read_text().splitlines()
    curl = real.index("\t[bullseye] - curl 7.74.0-1.3+deb11u11") + 1
    bind = real.index("\t[bookworm] - bind9 1:9.18.24-1") + 1
    assert err.splitlines() == [
        f"warning: {bad}:{curl}: DSA-5587-1: unknown release 'sid', that line is skipped",
        f"warning: {bad}:{bind}: DSA-5621-1: [bookworm] bind9: invalid dpkg version '1:9.18.24-': "
        "revision number is empty; entry skipped",
        f"warning: {bad}:{len(real) + 1}: DSA-5617-1 has no [release] lines (truncated?); skipped",
    ]


def test_a_text_file_that_is_no_advisory_file_is_one_clear_line(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("glibc was patched on Tuesday\n")
    code, _, err = _run(str(tmp_path / "x.db"), "advisories", "import", str(notes))
    assert code == 2
    assert err == (
        f"warning: {notes}: not an advisory file (neither OSV JSON nor a DSA/DLA list)\n"
    )


def test_an_entry_edited_upstream_is_a_reported_conflict_not_a_silent_choice(
    tmp_path: Path,
) -> None:
    # The list has no modification time, so an edited entry ties on `modified`: say so.
    store = open_store(f"sqlite:///{tmp_path / 'edit.db'}")
    import_advisories(store, [DSA_LIST], now=NOW)
    edited = tmp_path / "list"
    edited.write_text(
        DSA_LIST.read_text().replace(
            "\t[bookworm] - glibc 2.36-9+deb12u3\n",
            "\t[bookworm] - glibc 2.36-9+deb12u3\n\tNOTE: an edit made for this test\n",
        )
    )
    summary = import_advisories(store, [edited], now=NOW)
    store.close()
    assert summary.problems == ("DSA-5514-1: copies differ with the same 'modified'",)
    assert (summary.updated + summary.unchanged, summary.records) == (24, 24)
