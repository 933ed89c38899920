"""Use cases `import_catalog` and `import_advisories` on real fixtures, into SQLite."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import lzma
import shutil
import tarfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fleetpatch.app.upstream import import_advisories, import_catalog
from fleetpatch.store import Store, open_store
from fleetpatch.store.advisories import AdvisoryRepository
from fleetpatch.store.catalog import CatalogRepository

DATA = Path(__file__).resolve().parents[1] / "data"
LISTS = DATA / "catalog" / "debian12" / "lists"
RPM = DATA / "catalog" / "rpm" / "el9-demo"
APK = DATA / "catalog" / "apk" / "APKINDEX.tar.gz"
ALMA_ZIP = DATA / "advisories" / "AlmaLinux-osv-database.zip"
UBUNTU = DATA / "advisories" / "ubuntu-osv"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(f"sqlite:///{tmp_path / 'store.db'}")


def test_catalog_import_stores_the_good_locations_and_names_the_bad_ones(store: Store) -> None:
    summary = import_catalog(store, [str(LISTS), "/no/such/lists"], now=NOW)
    assert summary.problems == ("/no/such/lists: no such file or folder",)
    assert summary.outcome.releases_imported == 3
    assert summary.outcome.entries_new == summary.outcome.entries_listed == 949
    with store.session() as session:
        assert len(CatalogRepository(session).index(["Debian:12"])) == 949


def test_a_stale_release_surfaces_as_a_warning(store: Store) -> None:
    fresh = import_catalog(store, [str(LISTS)], now=NOW)
    assert fresh.warnings == ()
    late = NOW + timedelta(days=30)
    stale = import_catalog(store, [str(LISTS)], now=late)
    assert len(stale.warnings) == 1
    assert "bookworm-security" in stale.warnings[0]
    assert "may be stale" in stale.warnings[0]
    assert stale.outcome.releases_unchanged == 3


def test_rpm_and_apk_repositories_need_and_use_an_ecosystem(store: Store) -> None:
    missing = import_catalog(store, [str(RPM), str(APK)], now=NOW)
    assert [p.split(":")[0] for p in missing.problems] == [str(RPM), str(APK)]
    rpm = import_catalog(store, [str(RPM)], now=NOW, ecosystem="AlmaLinux:9", suites=["baseos"])
    apk = import_catalog(store, [str(APK)], now=NOW, ecosystem="Alpine:v3.20", suites=["main"])
    assert (rpm.problems, apk.problems) == ((), ())
    with store.session() as session:
        repository = CatalogRepository(session)
        rpm_entries = repository.entries(["AlmaLinux:9"])
        apk_entries = repository.entries(["Alpine:v3.20"])
        kinds = {(r.ecosystem, r.kind, r.suite) for r in repository.releases()}
    assert len(rpm_entries) == rpm.outcome.entries_listed > 0
    assert {e.origin.suite for e in rpm_entries} == {"baseos"}
    assert len(apk_entries) == apk.outcome.entries_listed > 0
    assert {e.origin.component for e in apk_entries} == {"main"}
    assert kinds == {("AlmaLinux:9", "rpm", "baseos"), ("Alpine:v3.20", "apk", "v3.20")}


def test_the_almalinux_zip_imports_and_indexes(store: Store) -> None:
    summary = import_advisories(store, [ALMA_ZIP], now=NOW)
    assert (summary.files, summary.records, summary.problems) == (5680, 5680, ())
    # AlmaLinux ships a record affecting several releases once per release folder.
    assert (summary.inserted, summary.unchanged, summary.identical_duplicates) == (5637, 43, 43)
    again = import_advisories(store, [ALMA_ZIP], now=NOW)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 5680)
    with store.session() as session:
        index = AdvisoryRepository(session).index(["AlmaLinux:9"])
    assert {e.advisory.id for e in index.lookup("AlmaLinux:9", "openssl")} >= {"ALSA-2024:2447"}


def test_a_bad_file_or_record_is_a_problem_line_and_the_rest_is_stored(
    store: Store, tmp_path: Path
) -> None:
    folder = tmp_path / "osv"
    shutil.copytree(UBUNTU, folder)
    (folder / "broken.json").write_text("{not json", encoding="utf-8")
    (folder / "no-id.json").write_text(json.dumps({"modified": "2026-01-01T00:00:00Z"}))
    summary = import_advisories(store, [folder, tmp_path / "missing.zip"], now=NOW)
    assert summary.inserted == 9
    assert len(summary.problems) == 3
    assert summary.problems[0].startswith(f"{folder / 'broken.json'}: not valid JSON")
    assert summary.problems[1] == f"{folder / 'no-id.json'}: OSV record without a string 'id'"
    assert summary.problems[2] == f"{tmp_path / 'missing.zip'}: no such file or folder"


def test_withdrawn_and_newer_copies_through_an_import(store: Store, tmp_path: Path) -> None:
    record = json.loads((UBUNTU / "USN-7287-1.json").read_text(encoding="utf-8"))
    older = {**record, "modified": "2020-01-01T00:00:00Z"}
    withdrawn = {**record, "modified": "2030-01-01T00:00:00Z", "withdrawn": "2030-01-01T00:00:00Z"}
    (tmp_path / "a.json").write_text(json.dumps([older, record]))
    first = import_advisories(store, [tmp_path / "a.json"], now=NOW)
    assert (first.records, first.inserted, first.replaced_duplicates) == (2, 1, 1)
    (tmp_path / "b.json").write_text(json.dumps(withdrawn))
    second = import_advisories(store, [tmp_path / "b.json", tmp_path / "a.json"], now=NOW)
    # Both copies in a.json lose to the withdrawal, and so does the stored copy.
    assert (second.updated, second.withdrawn, second.replaced_duplicates) == (1, 1, 3)
    with store.session() as session:
        assert AdvisoryRepository(session).by_id_or_alias("USN-7287-1") == []


def test_an_advisory_entry_with_an_invalid_version_is_skipped_and_counted(
    store: Store, tmp_path: Path
) -> None:
    record = json.loads((UBUNTU / "UBUNTU-CVE-2022-4899.json").read_text(encoding="utf-8"))
    record["affected"][0]["ranges"][0]["events"].append({"fixed": "1.5.0-"})
    (tmp_path / "bad.json").write_text(json.dumps(record), encoding="utf-8")
    summary = import_advisories(store, [tmp_path / "bad.json"], now=NOW)
    assert (summary.problems, summary.records, summary.inserted, summary.skipped) == ((), 1, 1, 1)
    assert summary.warnings == (
        f"{tmp_path / 'bad.json'}: UBUNTU-CVE-2022-4899: affected[0] (Ubuntu:22.04:LTS/libzstd) "
        "skipped: ranges[0] fixed invalid dpkg version '1.5.0-': revision number is empty",
    )
    with store.session() as session:
        (stored,) = AdvisoryRepository(session).by_id_or_alias("UBUNTU-CVE-2022-4899")
    assert stored.affected == ()


def _xz_with(source: Path, target: Path, old: str, new: str) -> None:
    text = lzma.decompress(source.read_bytes()).decode("utf-8")
    assert old in text
    target.write_bytes(lzma.compress(text.replace(old, new, 1).encode("utf-8")))


def test_a_catalog_entry_with_an_invalid_version_is_skipped_with_a_warning(
    store: Store, tmp_path: Path
) -> None:
    lists = tmp_path / "lists"
    shutil.copytree(LISTS, lists)
    packages = (
        lists
        / "deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages.xz"
    )
    _xz_with(packages, packages, "Version: 2.6.2\n", "Version: 2.6.2-\n")
    summary = import_catalog(store, [str(lists)], now=NOW)
    assert (summary.problems, summary.skipped) == ((), 1)
    assert summary.warnings == (
        f"{packages}:18: apt (amd64) skipped: version: invalid dpkg version '2.6.2-': "
        "revision number is empty",
    )
    assert summary.outcome.entries_listed == 948
    with store.session() as session:
        names = {e.name for e in CatalogRepository(session).entries(["Debian:12"])}
    assert "apt" in names  # bookworm itself still lists a valid apt
    assert "libapt-pkg6.0" in names


def test_rpm_and_apk_entries_with_invalid_versions_are_skipped(
    store: Store, tmp_path: Path
) -> None:
    repo = tmp_path / "rpm"
    shutil.copytree(RPM, repo)
    (primary,) = (repo / "repodata").glob("*-primary.xml.gz")
    text = gzip.decompress(primary.read_bytes()).decode("utf-8")
    data = gzip.compress(text.replace('rel="29.el9"', f'rel="{"9" * 65}"', 1).encode("utf-8"))
    primary.write_bytes(data)
    repomd = repo / "repodata" / "repomd.xml"
    old_digest = primary.name.split("-")[0]
    repomd.write_text(
        repomd.read_text(encoding="utf-8").replace(old_digest, hashlib.sha256(data).hexdigest(), 1),
        encoding="utf-8",
    )
    rpm = import_catalog(store, [str(repo)], now=NOW, ecosystem="AlmaLinux:9", suites=["baseos"])
    assert (rpm.problems, rpm.skipped) == ((), 1)
    assert rpm.warnings[0].startswith(f"{repo}/repodata/{primary.name}: openssl-demo (noarch)")
    assert "longer than 64 digits" in rpm.warnings[0]

    apk_dir = tmp_path / "apk" / "main" / "x86_64"
    apk_dir.mkdir(parents=True)
    _apkindex_with(APK, apk_dir / "APKINDEX.tar.gz", "V:3.3.2-r0\n", "V:3.3.2-rX\n")
    apk = import_catalog(store, [str(apk_dir)], now=NOW, ecosystem="Alpine:v3.20")
    assert (apk.problems, apk.skipped) == ((), 1)
    assert apk.warnings[0].startswith(f"{apk_dir}/APKINDEX.tar.gz:")
    assert "libcrypto3 (x86_64) skipped: version: invalid apk version '3.3.2-rX'" in apk.warnings[0]
    with store.session() as session:
        names = {e.name for e in CatalogRepository(session).entries(["Alpine:v3.20"])}
    assert "musl" in names
    assert "libcrypto3" not in names


def _apkindex_with(source: Path, target: Path, old: str, new: str) -> None:
    """A copy of an APKINDEX.tar.gz with one change in its APKINDEX member."""
    out = io.BytesIO()
    with tarfile.open(source, "r:gz") as archive, tarfile.open(fileobj=out, mode="w:gz") as copy:
        for member in archive.getmembers():
            stream = archive.extractfile(member)
            data = stream.read() if stream is not None else b""
            if member.name == "APKINDEX":
                assert old.encode() in data
                data = data.replace(old.encode(), new.encode(), 1)
                member.size = len(data)
            copy.addfile(member, io.BytesIO(data))
    target.write_bytes(out.getvalue())
