"""LocalCollector on fake roots (live and image modes, each package family) and on this machine."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from inventory_support import HOSTS, require_tool

from fleetpatch.errors import CollectError
from fleetpatch.inventory.collector import LocalCollector
from fleetpatch.inventory.dpkg import ON_DISK_STATES
from fleetpatch.inventory.records import Package
from fleetpatch.inventory.rpm import QUERY_ARGV
from fleetpatch.inventory.runner import FakeRunner
from fleetpatch.inventory.schema import parse_report, report_to_dict

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
BOOT_EPOCH = 1795700000  # 2026-11-26 ~10:13 UTC
DEBIAN_OS = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_ID="12"\n'
DEBIAN_OS += "VERSION_CODENAME=bookworm\nID=debian\n"


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def proc(root: Path, release: str) -> None:
    write(root, "proc/sys/kernel/osrelease", release + "\n")
    write(root, "proc/sys/kernel/hostname", "db-01\n")
    write(root, "proc/sys/kernel/random/boot_id", "0b0c1d2e-aaaa-bbbb-cccc-123456789abc\n")
    write(root, "proc/stat", f"cpu  1 2 3\nbtime {BOOT_EPOCH}\nprocesses 9\n")


@pytest.fixture
def debian_root(tmp_path: Path) -> Path:
    root = tmp_path / "debian"
    write(root, "etc/os-release", DEBIAN_OS)
    write(root, "etc/machine-id", "3d1219c7c4c5404aaa1f6d2a48adfda4\n")
    write(root, "etc/hostname", "golden-image\n")
    shutil.copy(
        HOSTS / "osv-scalibr-fixtures" / "dpkg-dpkg-valid", write(root, "var/lib/dpkg/status", "")
    )
    write(root, "boot/vmlinuz-6.1.0-25-amd64", "")
    write(root, "boot/vmlinuz-6.1.0-26-amd64", "")
    flag = write(root, "run/reboot-required", "*** System restart required ***\n")
    os.utime(flag, (BOOT_EPOCH + 3600, BOOT_EPOCH + 3600))
    write(root, "run/reboot-required.pkgs", "linux-image-6.1.0-26-amd64\n")
    proc(root, "6.1.0-25-amd64")
    return root


def test_live_debian_reports_running_system(debian_root: Path) -> None:
    runner = FakeRunner({("uname", "-m"): "x86_64\n"})
    collector = LocalCollector(root=debian_root, runner=runner, labels={"role": "db"}, live=True)
    report = collector.collect(NOW)
    assert report.hostname == "db-01"
    assert report.machine_id == "3d1219c7c4c5404aaa1f6d2a48adfda4"
    assert report.ecosystem == "Debian:12"
    assert report.arch == "amd64"  # no base-files in this fixture: uname -m, mapped
    assert report.collector == "local"
    assert report.kernel.running == "6.1.0-25-amd64"
    assert report.kernel.installed == ("6.1.0-25-amd64", "6.1.0-26-amd64")
    assert report.boot_time == datetime.fromtimestamp(BOOT_EPOCH, UTC)
    assert report.boot_id == "0b0c1d2e-aaaa-bbbb-cccc-123456789abc"
    assert report.reboot_required.flag is True
    assert report.reboot_required.since == datetime.fromtimestamp(BOOT_EPOCH + 3600, UTC)
    assert report.reboot_required.packages == ("linux-image-6.1.0-26-amd64",)
    assert len(report.packages) == 7
    assert report.labels == {"role": "db"}
    assert parse_report(report_to_dict(report)) == report


def test_image_root_leaves_running_facts_absent(debian_root: Path) -> None:
    runner = FakeRunner({})
    report = LocalCollector(root=debian_root, runner=runner).collect(NOW)
    assert report.collector == "root"
    assert report.hostname == "golden-image"
    assert report.kernel.running is None
    assert report.kernel.installed == ("6.1.0-25-amd64", "6.1.0-26-amd64")
    assert report.boot_time is None
    assert report.boot_id == ""
    assert report.reboot_required.flag is None
    assert report.arch == ""  # an image's arch is not the collecting machine's
    assert runner.calls == []
    (debian_root / "etc" / "machine-id").write_text("uninitialized\n")
    assert LocalCollector(root=debian_root, runner=runner).collect(NOW).machine_id == ""


def test_hostname_override_and_missing_hostname(debian_root: Path) -> None:
    (debian_root / "etc" / "hostname").unlink()
    with pytest.raises(CollectError, match="no hostname"):
        LocalCollector(root=debian_root, runner=FakeRunner({})).collect(NOW)
    report = LocalCollector(root=debian_root, runner=FakeRunner({}), hostname="img-1").collect(NOW)
    assert report.hostname == "img-1"


def test_absent_reboot_flag_on_live_debian_is_false(debian_root: Path) -> None:
    (debian_root / "run" / "reboot-required").unlink()
    runner = FakeRunner({("uname", "-m"): "aarch64\n"})
    report = LocalCollector(root=debian_root, runner=runner, live=True).collect(NOW)
    assert report.reboot_required.flag is False
    assert report.arch == "arm64"


def test_malformed_database_still_collects_with_problems(debian_root: Path) -> None:
    shutil.copy(
        HOSTS / "osv-scanner-fixtures" / "lockfile-dpkg-malformed_status",
        debian_root / "var/lib/dpkg/status",
    )
    collection = LocalCollector(root=debian_root, runner=FakeRunner({})).collect_with_problems(NOW)
    assert collection.report.packages == ()
    assert len(collection.problems) == 8
    assert collection.problems[0].startswith("var/lib/dpkg/status: line 1:")


def test_live_rpm_host_flags_core_packages_installed_after_boot(tmp_path: Path) -> None:
    root = tmp_path / "el9"
    write(root, "etc/os-release", 'ID="almalinux"\nVERSION_ID="9.3"\n')
    write(root, "var/lib/rpm/rpmdb.sqlite", "")
    write(root, "etc/dnf/plugins/needs-restarting.d/extra.conf", "openssl-libs\n")
    proc(root, "5.14.0-362.8.1.el9_3.x86_64")
    argv = (*QUERY_ARGV, "--dbpath", "/var/lib/rpm")
    runner = FakeRunner({argv: (HOSTS / "rpm" / "rpm-qa-queryformat.txt").read_text()})
    report = LocalCollector(root=root, runner=runner, live=True).collect(NOW)
    assert runner.calls == [argv]
    assert report.arch == "x86_64"
    assert report.kernel.running == "5.14.0-362.8.1.el9_3.x86_64"
    assert report.reboot_required.flag is True
    assert set(report.reboot_required.packages) == {
        "kernel",
        "kernel-core",
        "glibc",
        "openssl-libs",
    }


def test_rpm_image_is_queried_with_root(tmp_path: Path) -> None:
    root = tmp_path / "el9"
    write(root, "etc/os-release", 'ID="rocky"\nVERSION_ID="9.4"\n')
    write(root, "etc/hostname", "rocky-image\n")
    write(root, "usr/lib/sysimage/rpm/rpmdb.sqlite", "")
    argv = (*QUERY_ARGV, "--dbpath", "/usr/lib/sysimage/rpm", "--root", str(root))
    runner = FakeRunner({argv: (HOSTS / "rpm" / "rpm-qa-queryformat.txt").read_text()})
    report = LocalCollector(root=root, runner=runner).collect(NOW)
    assert report.ecosystem == "Rocky Linux:9"
    assert len(report.packages) == 9
    assert report.reboot_required.flag is None


def test_live_alpine_with_replaced_kernel(tmp_path: Path) -> None:
    root = tmp_path / "alpine"
    write(root, "etc/os-release", 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.18.4\n')
    text = (HOSTS / "osv-scalibr-fixtures" / "apk-installed").read_text()
    text += "\nP:linux-lts\nV:6.6.31-r0\nA:x86_64\no:linux-lts\n"
    write(root, "lib/apk/db/installed", text)
    proc(root, "6.6.30-0-lts")
    report = LocalCollector(root=root, runner=FakeRunner({}), live=True).collect(NOW)
    assert report.ecosystem == "Alpine:v3.18"
    assert report.arch == "x86_64"
    assert report.kernel.installed == ("6.6.31-0-lts",)
    assert report.reboot_required.flag is True
    assert Package("libssl3", "3.1.0-r4", "x86_64", "openssl", "3.1.0-r4") in report.packages


def test_missing_database_or_os_release_is_a_collect_error(tmp_path: Path) -> None:
    write(tmp_path, "etc/hostname", "x\n")
    with pytest.raises(CollectError, match="no os-release"):
        LocalCollector(root=tmp_path, runner=FakeRunner({})).collect(NOW)
    write(tmp_path, "etc/os-release", "ID=debian\nVERSION_ID=12\n")
    with pytest.raises(CollectError, match=r"no package database \(dpkg\)"):
        LocalCollector(root=tmp_path, runner=FakeRunner({})).collect(NOW)


def dpkg_query_installed() -> set[Package]:
    binary = require_tool("dpkg-query")
    fmt = (
        "${db:Status-Status}\\t${Package}\\t${Version}\\t${Architecture}"
        "\\t${source:Package}\\t${source:Version}\\n"
    )
    out = subprocess.run([binary, "-W", "-f", fmt], capture_output=True, text=True, check=True)
    rows = [line.split("\t") for line in out.stdout.splitlines()]
    return {Package(*row[1:]) for row in rows if row[0] in ON_DISK_STATES}


@pytest.mark.oracle
def test_this_machine_matches_dpkg_query() -> None:
    """Exactly dpkg-query's packages, versions and sources. Other processes may be installing
    packages meanwhile, so the comparison is retried until dpkg-query gives the same answer
    before and after the collection."""
    if not Path("/var/lib/dpkg/status").exists():
        require_tool("dpkg-query")
        pytest.fail("dpkg-query is installed but /var/lib/dpkg/status is missing")
    for _ in range(5):
        before = dpkg_query_installed()
        report = LocalCollector().collect(datetime.now(UTC))
        if dpkg_query_installed() == before:
            break
    assert report.collector == "local"
    assert len(report.packages) == len(set(report.packages))
    assert set(report.packages) == before
    assert report.boot_id == Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    assert report.kernel.running == os.uname().release
    assert report.boot_time is not None
    assert report.boot_time < datetime.now(UTC)
