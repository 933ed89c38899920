"""dpkg status parsing: which stanzas count, source names and versions, multi-arch, bad input.

The oracle tests feed the same status text to dpkg-query (--admindir) and require the parser to
list exactly the packages dpkg-query shows in an on-disk state, with the same versions, source
names and source versions.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from inventory_support import HOSTS, require_tool

from fleetpatch.inventory.dpkg import ON_DISK_STATES, architecture_of, parse_dpkg_status
from fleetpatch.inventory.records import Package

QUERY_FORMAT = (
    "${db:Status-Status}\\t${Package}\\t${Version}\\t${Architecture}"
    "\\t${source:Package}\\t${source:Version}\\n"
)


def stanza(name: str, status: str, version: str, arch: str = "amd64", extra: str = "") -> str:
    return (
        f"Package: {name}\nStatus: {status}\nPriority: optional\nSection: libs\n"
        f"Maintainer: Someone <someone@example.org>\nArchitecture: {arch}\n{extra}"
        f"Version: {version}\nDescription: test package\n long description line\n"
    )


MULTIARCH_STATUS = "\n".join(
    [
        stanza(
            "libc6",
            "install ok installed",
            "2.36-9+deb12u7",
            "amd64",
            "Source: glibc\nMulti-Arch: same\n",
        ),
        stanza(
            "libc6",
            "install ok installed",
            "2.36-9+deb12u7",
            "i386",
            "Source: glibc\nMulti-Arch: same\n",
        ),
        stanza(
            "util-linux-extra",
            "install ok installed",
            "2.38.1-5+b1",
            "amd64",
            "Source: util-linux (2.38.1-5)\n",
        ),
        stanza(
            "man-db",
            "install ok triggers-pending",
            "2.11.2-2",
            extra="Triggers-Pending: /usr/share/man\n",
        ),
        stanza("libfoo1", "install ok half-configured", "1:1.0-1"),
        stanza("libbar1", "install ok unpacked", "2.0~rc1-1"),
        stanza("oldpkg", "deinstall ok config-files", "0.9-1"),
        stanza("brokenpkg", "install reinstreq half-installed", "3.0-1"),
        stanza("removing", "deinstall ok installed", "1.2-3", "all"),
    ]
)


def dpkg_query(status_text: str, tmp_path: Path) -> set[Package]:
    """What dpkg-query lists in an on-disk state for this status file."""
    binary = require_tool("dpkg-query")
    admindir = tmp_path / "dpkg"
    (admindir / "info").mkdir(parents=True)
    (admindir / "updates").mkdir()
    (admindir / "status").write_text(status_text, encoding="utf-8")
    done = subprocess.run(
        [binary, f"--admindir={admindir}", "-W", "-f", QUERY_FORMAT],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    rows = [line.split("\t") for line in out.splitlines()]
    return {Package(*row[1:]) for row in rows if row[0] in ON_DISK_STATES}


def test_multiarch_packages_are_distinct() -> None:
    parsed = parse_dpkg_status(MULTIARCH_STATUS)
    libc = [p for p in parsed.packages if p.name == "libc6"]
    assert [p.arch for p in libc] == ["amd64", "i386"]
    assert {p.source for p in libc} == {"glibc"}


def test_states_on_disk_are_kept_and_others_skipped() -> None:
    names = [p.name for p in parse_dpkg_status(MULTIARCH_STATUS).packages]
    assert {"man-db", "libfoo1", "libbar1", "removing"} <= set(names)
    assert not {"oldpkg", "brokenpkg"} & set(names)


def test_source_version_from_source_field_or_binary() -> None:
    by_name = {p.name: p for p in parse_dpkg_status(MULTIARCH_STATUS).packages}
    assert by_name["util-linux-extra"].source_version == "2.38.1-5"
    assert by_name["util-linux-extra"].version == "2.38.1-5+b1"
    assert by_name["libfoo1"].source == "libfoo1"
    assert by_name["libfoo1"].source_version == "1:1.0-1"


@pytest.mark.oracle
def test_synthetic_status_matches_dpkg_query(tmp_path: Path) -> None:
    parsed = parse_dpkg_status(MULTIARCH_STATUS)
    assert set(parsed.packages) == dpkg_query(MULTIARCH_STATUS, tmp_path)
    assert len(parsed.packages) == 7


@pytest.mark.oracle
@pytest.mark.parametrize(
    "name", ["dpkg-dpkg-valid", "dpkg-dpkg-transitional_dummy", "dpkg-dpkg-statusfield"]
)
def test_real_fixture_matches_dpkg_query(name: str, tmp_path: Path) -> None:
    text = (HOSTS / "osv-scalibr-fixtures" / name).read_text(encoding="utf-8")
    parsed = parse_dpkg_status(text)
    assert parsed.problems == ()
    assert set(parsed.packages) == dpkg_query(text, tmp_path)


@pytest.mark.parametrize(
    ("field", "problem"),
    [
        ("Version: 1.0 beta\n", "bad version '1.0 beta'"),
        ("Version: 1:\n", "bad version '1:'"),
        ("Version: x:1.0\n", "bad version 'x:1.0'"),
        ("Version: 1.0\nSource: foo (1.0\n", "malformed Source 'foo (1.0'"),
    ],
)
def test_bad_stanza_is_reported_and_skipped(field: str, problem: str) -> None:
    text = "Package: good\nStatus: install ok installed\nVersion: 1\n\n"
    text += f"Package: bad\nStatus: install ok installed\n{field}"
    parsed = parse_dpkg_status(text)
    assert [p.name for p in parsed.packages] == ["good"]
    assert parsed.problems == (f"line 5: package bad: {problem}",)


def test_continuation_before_any_field_is_a_problem() -> None:
    parsed = parse_dpkg_status(" orphan continuation\nPackage: x\n")
    assert parsed.problems == ("line 1: continuation line before any field",)


def test_empty_and_binary_garbage_never_crash() -> None:
    assert parse_dpkg_status("").packages == ()
    garbage = parse_dpkg_status("\x00\x01\x02\n\n\xff: \n")
    assert garbage.packages == ()
    assert len(garbage.problems) == 2


def test_architecture_is_read_off_base_files() -> None:
    text = (HOSTS / "osv-scanner-fixtures" / "lockfile-dpkg-multiple_status").read_text()
    assert architecture_of(parse_dpkg_status(text)) == "amd64"
    assert architecture_of(parse_dpkg_status(MULTIARCH_STATUS)) == ""
