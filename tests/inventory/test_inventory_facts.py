"""os-release and ecosystems, kernel releases, and the reboot evidence rules (all pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fleetpatch.errors import ParseError
from fleetpatch.inventory.kernels import installed_kernels, kernels_from_packages
from fleetpatch.inventory.osrelease import ecosystem_of, os_info, parse_os_release
from fleetpatch.inventory.reboot import (
    from_install_times,
    from_reboot_required_file,
    from_running_kernel,
    parse_needs_restarting_conf,
)
from fleetpatch.inventory.records import OsInfo, Package, RebootEvidence

# Trimmed from the os-release files these distributions ship.
OS_RELEASES = {
    "Debian:12": 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_ID="12"\n'
    "VERSION_CODENAME=bookworm\nID=debian\n",
    "Debian:13": 'PRETTY_NAME="Debian GNU/Linux trixie/sid"\nNAME="Debian GNU/Linux"\n'
    "VERSION_CODENAME=trixie\nID=debian\n",
    "Ubuntu:22.04": 'NAME="Ubuntu"\nVERSION_ID="22.04"\nVERSION_CODENAME=jammy\nID=ubuntu\n'
    "ID_LIKE=debian\n",
    "AlmaLinux:9": 'NAME="AlmaLinux"\nID="almalinux"\nID_LIKE="rhel centos fedora"\n'
    'VERSION_ID="9.3"\n',
    "Rocky Linux:9": 'NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\n'
    'VERSION_ID="9.4"\n',
    "Red Hat:enterprise_linux:9": 'NAME="Red Hat Enterprise Linux"\nID="rhel"\nVERSION_ID="9.2"\n',
    "Alpine:v3.20": 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.3\n',
    "openSUSE:Leap 15.5": 'NAME="openSUSE Leap"\nID="opensuse-leap"\nVERSION_ID="15.5"\n',
    "Fedora Linux:40": 'NAME="Fedora Linux"\nID=fedora\nVERSION_ID=40\n',
}


@pytest.mark.parametrize(("ecosystem", "text"), OS_RELEASES.items(), ids=list(OS_RELEASES))
def test_ecosystem_follows_osv_naming(ecosystem: str, text: str) -> None:
    assert ecosystem_of(parse_os_release(text)) == ecosystem


def test_os_info_and_quoting() -> None:
    values = parse_os_release(
        '# comment\n\nID=debian\nPRETTY_NAME=\'Debian "x" 12\'\nVERSION_ID="12"\n'
    )
    assert os_info(values) == OsInfo("debian", "12", "", 'Debian "x" 12')
    assert os_info({}) == OsInfo("linux")


@pytest.mark.parametrize("line", ["ID debian", "ID='debian", "1D=x"])
def test_bad_os_release_line_names_its_line(line: str) -> None:
    with pytest.raises(ParseError, match="os-release line 2"):
        parse_os_release(f"NAME=x\n{line}\n")


def pkg(name: str, version: str, arch: str = "amd64") -> Package:
    return Package(name, version, arch, name, version)


def test_debian_kernels_skip_meta_and_dbg_packages() -> None:
    packages = [
        pkg("linux-image-6.1.0-25-amd64", "6.1.106-3"),
        pkg("linux-image-6.1.0-26-amd64", "6.1.112-1"),
        pkg("linux-image-amd64", "6.1.112-1"),
        pkg("linux-image-6.1.0-26-amd64-dbg", "6.1.112-1"),
        pkg("linux-image-unsigned-5.15.0-91-generic", "5.15.0-91.101"),
        pkg("linux-image-generic", "5.15.0.91.88"),
    ]
    assert kernels_from_packages(packages) == (
        "5.15.0-91-generic",
        "6.1.0-25-amd64",
        "6.1.0-26-amd64",
    )


def test_rpm_and_alpine_kernels_use_uname_names() -> None:
    packages = [
        pkg("kernel-core", "5.14.0-362.8.1.el9_3", "x86_64"),
        pkg("kernel", "5.14.0-362.8.1.el9_3", "x86_64"),
        pkg("kernel-core", "5.14.0-70.13.1.el9_0", "x86_64"),
        pkg("linux-lts", "6.6.31-r0", "x86_64"),
        pkg("linux-firmware-none", "20240513-r0", "x86_64"),
    ]
    assert kernels_from_packages(packages) == (
        "5.14.0-70.13.1.el9_0.x86_64",
        "5.14.0-362.8.1.el9_3.x86_64",
        "6.6.31-0-lts",
    )


def test_boot_files_join_packages_and_module_trees_only_as_last_resort() -> None:
    boot = ["config-6.1.0-26-amd64", "vmlinuz-6.1.0-26-amd64", "vmlinuz-6.1.0-27-amd64"]
    from_pkgs = [pkg("linux-image-6.1.0-26-amd64", "6.1.112-1")]
    assert installed_kernels(from_pkgs, boot, ["6.1.0-20-amd64"]) == (
        "6.1.0-26-amd64",
        "6.1.0-27-amd64",
    )
    assert installed_kernels([], [], ["6.1.0-20-amd64"]) == ("6.1.0-20-amd64",)
    assert installed_kernels([], [], []) == ()


BOOT = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def test_debian_flag_file() -> None:
    since = BOOT + timedelta(days=2)
    evidence = from_reboot_required_file(
        live=True, since=since, pkgs_text="linux-image-6.1.0-26-amd64\nlibc6\nlibc6\n"
    )
    assert evidence == RebootEvidence(True, since, ("linux-image-6.1.0-26-amd64", "libc6"))
    assert from_reboot_required_file(live=True, since=None, pkgs_text=None).flag is False
    assert from_reboot_required_file(live=False, since=since, pkgs_text="x").flag is None


def test_rpm_core_packages_installed_after_boot() -> None:
    installed_at = {
        "glibc": BOOT + timedelta(hours=5),
        "kernel-core": BOOT + timedelta(hours=3),
        "bash": BOOT + timedelta(hours=1),
        "openssl-libs": BOOT - timedelta(days=1),
    }
    evidence = from_install_times(installed_at, BOOT)
    assert evidence == RebootEvidence(True, BOOT + timedelta(hours=3), ("kernel-core", "glibc"))
    assert from_install_times(installed_at, BOOT, ["bash"]).packages == (
        "bash",
        "kernel-core",
        "glibc",
    )
    assert from_install_times({"bash": BOOT + timedelta(1)}, BOOT).flag is False
    assert from_install_times(installed_at, None).flag is None


def test_alpine_running_kernel_replaced() -> None:
    assert from_running_kernel("6.6.30-0-lts", ["6.6.31-0-lts"]).flag is True
    assert from_running_kernel("6.6.31-0-lts", ["6.6.31-0-lts"]).flag is False
    assert from_running_kernel(None, ["6.6.31-0-lts"]).flag is None
    assert from_running_kernel("6.6.31-0-lts", []).flag is None


def test_needs_restarting_conf() -> None:
    assert parse_needs_restarting_conf("# extra\nopenssl-libs\n\n  zlib # why\n") == (
        "openssl-libs",
        "zlib",
    )
