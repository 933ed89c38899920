"""rpm query-output parsing, and collection from a real rpm database built from real RPMs.

The RPMs in tests/data/hosts/rpm/rpms were built with rpmbuild from the specs beside them (EL9-like
names and versions: two kernels, an epoch, subpackages, a noarch package). The oracle test installs
them with the real `rpm` into a fresh root (`--justdb`) and collects that root through
`LocalCollector`, which runs the real `rpm -qa --queryformat`.
"""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from inventory_support import HOSTS, require_tool

from fleetpatch.errors import CollectError
from fleetpatch.inventory.collector import LocalCollector
from fleetpatch.inventory.records import Package
from fleetpatch.inventory.rpm import QUERY_FORMAT, parse_rpm_query, split_source_rpm
from fleetpatch.inventory.runner import SubprocessRunner

RPM_DIR = HOSTS / "rpm"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
EL9_OS_RELEASE = 'NAME="AlmaLinux"\nVERSION="9.3 (Shamrock Pampas Cat)"\nID="almalinux"\n'
EL9_OS_RELEASE += 'ID_LIKE="rhel centos fedora"\nVERSION_ID="9.3"\n'

EXPECTED = {
    Package("openssl-libs", "1:3.0.7-27.el9", "x86_64", "openssl", "1:3.0.7-27.el9"),
    Package("openssl", "1:3.0.7-27.el9", "x86_64", "openssl", "1:3.0.7-27.el9"),
    Package("kernel-core", "5.14.0-362.8.1.el9_3", "x86_64", "kernel", "5.14.0-362.8.1.el9_3"),
    Package("kernel-core", "5.14.0-362.13.1.el9_3", "x86_64", "kernel", "5.14.0-362.13.1.el9_3"),
    Package("kernel", "5.14.0-362.8.1.el9_3", "x86_64", "kernel", "5.14.0-362.8.1.el9_3"),
    Package("kernel", "5.14.0-362.13.1.el9_3", "x86_64", "kernel", "5.14.0-362.13.1.el9_3"),
    Package("glibc-common", "2.34-83.el9_3.7", "x86_64", "glibc", "2.34-83.el9_3.7"),
    Package("glibc", "2.34-83.el9_3.7", "x86_64", "glibc", "2.34-83.el9_3.7"),
    Package("tzdata", "2023c-1.el9", "noarch", "tzdata", "2023c-1.el9"),
}


def test_recorded_query_output_parses_to_expected_packages() -> None:
    parsed = parse_rpm_query((RPM_DIR / "rpm-qa-queryformat.txt").read_text())
    assert set(parsed.packages) == EXPECTED
    assert parsed.problems == ()
    assert parsed.installed_at["glibc"] == datetime.fromtimestamp(1795780499, UTC)


def test_gpg_pubkey_is_left_out_and_none_tags_are_empty() -> None:
    text = (
        "gpg-pubkey\t(none)\tb86b3716\t61e69f29\t(none)\t(none)\t1700000000\n"
        "filesystem\t(none)\t3.16\t2.el9\tx86_64\t(none)\t(none)\n"
    )
    parsed = parse_rpm_query(text)
    assert parsed.packages == (
        Package("filesystem", "3.16-2.el9", "x86_64", "filesystem", "3.16-2.el9"),
    )
    assert parsed.installed_at == {}


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("bash\t(none)\t5.1.8", "expected 7 tab-separated fields, got 3"),
        (
            "bash\tx\t5.1.8\t6.el9\tx86_64\tbash-5.1.8-6.el9.src.rpm\t1",
            "package bash: bad epoch 'x'",
        ),
        ("bash\t(none)\t5.1.8\t6.el9\tx86_64\tbash.src.rpm\t1", "malformed SOURCERPM"),
        ("bash\t(none)\t5.1.8\t6.el9\tx86_64\tbash-5.1.8-6.el9.src.rpm\tsoon", "bad INSTALLTIME"),
        ("bash\t(none)\t(none)\t6.el9\tx86_64\t(none)\t1", "missing name, version or release"),
    ],
)
def test_bad_line_is_reported_with_its_number(line: str, problem: str) -> None:
    good = "zlib\t(none)\t1.2.11\t40.el9\tx86_64\tzlib-1.2.11-40.el9.src.rpm\t1700000000\n"
    parsed = parse_rpm_query(good + line + "\n")
    assert [p.name for p in parsed.packages] == ["zlib"]
    assert len(parsed.problems) == 1
    assert parsed.problems[0].startswith("line 2: ")
    assert problem in parsed.problems[0]


def test_source_rpm_name_with_dashes() -> None:
    assert split_source_rpm("python-dateutil-2.8.1-7.el9.src.rpm", "python3-dateutil", "x") == (
        "python-dateutil",
        "2.8.1-7.el9",
    )
    assert split_source_rpm("(none)", "gpg", "1-2") == ("gpg", "1-2")


def test_install_time_keeps_the_newest_per_name() -> None:
    text = (
        "kernel-core\t(none)\t5.14.0\t1.el9\tx86_64\tkernel-5.14.0-1.el9.src.rpm\t1700000000\n"
        "kernel-core\t(none)\t5.14.0\t2.el9\tx86_64\tkernel-5.14.0-2.el9.src.rpm\t1700000500\n"
    )
    assert parse_rpm_query(text).installed_at == {
        "kernel-core": datetime.fromtimestamp(1700000500, UTC)
    }


def make_rpm_root(tmp_path: Path) -> Path:
    rpm = require_tool("rpm")
    root = tmp_path / "el9"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "os-release").write_text(EL9_OS_RELEASE)
    (root / "etc" / "hostname").write_text("el9-image\n")
    rpms = sorted(str(p) for p in (RPM_DIR / "rpms").glob("*.rpm"))
    subprocess.run(
        [rpm, "--root", str(root), "--dbpath", "/var/lib/rpm", "-i", "--justdb", "--nodeps", *rpms],
        check=True,
        capture_output=True,
    )
    return root


@pytest.mark.oracle
def test_collect_from_real_rpm_database(tmp_path: Path) -> None:
    root = make_rpm_root(tmp_path)
    report = LocalCollector(root=root, runner=SubprocessRunner()).collect(NOW)
    assert set(report.packages) == EXPECTED
    assert report.ecosystem == "AlmaLinux:9"
    assert report.arch == "x86_64"
    assert report.collector == "root"
    assert report.kernel.running is None
    assert report.kernel.installed == (
        "5.14.0-362.8.1.el9_3.x86_64",
        "5.14.0-362.13.1.el9_3.x86_64",
    )
    assert report.boot_time is None
    assert report.reboot_required.flag is None


@pytest.mark.oracle
def test_real_rpm_output_equals_recorded_fixture_format(tmp_path: Path) -> None:
    root = make_rpm_root(tmp_path)
    out = SubprocessRunner().run(
        [
            "rpm",
            "-qa",
            "--root",
            str(root),
            "--dbpath",
            "/var/lib/rpm",
            "--queryformat",
            QUERY_FORMAT,
        ]
    )
    assert set(parse_rpm_query(out).packages) == EXPECTED


def test_failing_rpm_is_a_collect_error(tmp_path: Path) -> None:
    with pytest.raises(CollectError, match="command not found"):
        SubprocessRunner().run(["fleetpatch-no-such-command-xyz"])
