"""RPM repodata and Alpine APKINDEX: golden tests on small real-shaped repositories.

The RPM repository was built with rpmbuild + createrepo_c (see tests/data/SOURCES.md); the APKINDEX
has Alpine's layout (signature tar stream + DESCRIPTION/APKINDEX tar stream, both gzip'ed).
"""

from __future__ import annotations

import gzip
import io
import tarfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from catalog_support import DATA

from fleetpatch.catalog.apkindex import parse_apkindex, read_apkindex
from fleetpatch.catalog.repos import apk_entries, read_apk_repo, read_rpm_repo, rpm_entries
from fleetpatch.catalog.rpmmd import parse_primary, parse_repomd, rpm_version, split_source_rpm
from fleetpatch.errors import InputError, ParseError

RPM = DATA / "rpm"
REVISION = datetime(2026, 1, 1, tzinfo=UTC)  # createrepo_c --revision 1767225600

GOLDEN_RPM = [
    ("openssl-demo", "1:3.0.7-27.el9", "noarch", "openssl-demo", "1:3.0.7-27.el9"),
    ("openssl-demo", "1:3.0.7-29.el9", "noarch", "openssl-demo", "1:3.0.7-29.el9"),
    ("zlib-demo", "1.2.11-40.el9", "noarch", "zlib-demo", "1.2.11-40.el9"),
]


@pytest.mark.parametrize("repo", ["el9-demo", "el9-demo-zst"])
def test_rpm_repository_golden(repo: str) -> None:
    if repo.endswith("zst"):
        pytest.importorskip("zstandard", reason="optional dependency zstandard not installed")
    read = read_rpm_repo(str(RPM / repo))
    assert read.repomd.revision == "1767225600"
    assert read.repomd.date == REVISION
    got = [(p.name, p.version, p.arch, p.source, p.source_version) for p in read.packages]
    assert got == GOLDEN_RPM
    assert all(p.build_time is not None and p.build_time.tzinfo is UTC for p in read.packages)


def test_rpm_primary_checksum_mismatch_is_refused(tmp_path: Path) -> None:
    repodata = tmp_path / "repodata"
    repodata.mkdir()
    for file in (RPM / "el9-demo" / "repodata").iterdir():
        repodata.joinpath(file.name).write_bytes(file.read_bytes())
    primary = next(repodata.glob("*-primary.xml.gz"))
    primary.write_bytes(gzip.compress(b"<metadata/>"))
    with pytest.raises(ParseError, match="checksum differs"):
        read_rpm_repo(str(tmp_path))
    with pytest.raises(InputError, match="No such file"):
        read_rpm_repo(str(tmp_path / "nowhere"))


def test_repomd_without_primary_and_broken_xml() -> None:
    empty = parse_repomd(
        b'<repomd xmlns="http://linux.duke.edu/metadata/repo"><revision>x</revision></repomd>'
    )
    assert empty.date is None
    with pytest.raises(ParseError, match="no 'primary'"):
        empty.find("primary")
    with pytest.raises(ParseError, match=r"repomd\.xml"):
        parse_repomd(b"<repomd")
    with pytest.raises(ParseError, match=r"primary\.xml"):
        parse_primary(b"<metadata><package")


@pytest.mark.parametrize(
    ("epoch", "version", "release", "expected"),
    [("0", "1.0", "1", "1.0-1"), ("", "1.0", "1", "1.0-1"), ("2", "1.0", "1.el9", "2:1.0-1.el9")],
)
def test_rpm_version_leaves_out_a_zero_epoch(
    epoch: str, version: str, release: str, expected: str
) -> None:
    assert rpm_version(epoch, version, release) == expected


def test_split_source_rpm() -> None:
    assert split_source_rpm("openssl-3.0.7-27.el9.src.rpm") == ("openssl", "3.0.7-27.el9")
    assert split_source_rpm("python3.11-3.11.7-1.el9.src.rpm") == ("python3.11", "3.11.7-1.el9")
    assert split_source_rpm("garbage.src.rpm") == ("", "")


def test_apkindex_golden() -> None:
    index = read_apk_repo(str(DATA / "apk"))
    assert index.description == "v3.20.3-150-gfixture"
    got = [(p.name, p.version, p.arch, p.source) for p in index.packages]
    assert got == [
        ("musl", "1.2.5-r0", "x86_64", "musl"),
        ("libcrypto3", "3.3.2-r0", "x86_64", "openssl"),
        ("libssl3", "3.3.2-r0", "x86_64", "openssl"),
        ("libssl3", "3.3.1-r3", "x86_64", "openssl"),
        ("ca-certificates-bundle", "20240705-r0", "x86_64", "ca-certificates"),
        ("tzdata", "2024b-r0", "noarch", "tzdata"),
    ]
    assert index.packages[0].build_time == datetime.fromtimestamp(1711645470, tz=UTC)
    assert index.newest_build == datetime.fromtimestamp(1725952200, tz=UTC)


def test_apkindex_errors() -> None:
    with pytest.raises(ParseError, match=r"no P: \(name\)"):
        parse_apkindex("V:1.0-r0\nA:x86_64\n")
    with pytest.raises(ParseError, match="bad line"):
        parse_apkindex("P:x\nthis is not a field\n")
    with pytest.raises(ParseError, match="APKINDEX"):
        read_apkindex(b"not a tarball")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as archive:
        info = tarfile.TarInfo("DESCRIPTION")
        archive.addfile(info, io.BytesIO(b""))
    with pytest.raises(ParseError, match="no APKINDEX member"):
        read_apkindex(buf.getvalue())


def test_rpm_and_apk_entries_are_dated_and_carry_their_origin() -> None:
    rpm = rpm_entries(
        read_rpm_repo(str(RPM / "el9-demo")), ecosystem="AlmaLinux:9", repo_id="baseos"
    )
    assert {(e.ecosystem, e.origin.suite, e.first_seen) for e in rpm} == {
        ("AlmaLinux:9", "baseos", REVISION)
    }
    apk = apk_entries(
        read_apk_repo(str(DATA / "apk")),
        ecosystem="Alpine:v3.20",
        branch="v3.20",
        repository="main",
    )
    newest = datetime.fromtimestamp(1725952200, tz=UTC)
    assert {
        (e.origin.suite, e.origin.component, e.first_seen, e.first_seen_exact) for e in apk
    } == {("v3.20", "main", newest, False)}
