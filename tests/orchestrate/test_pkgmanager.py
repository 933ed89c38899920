"""Golden command lines of the package managers: apt runs for real in tests/ssh; dnf and apk
have no rig here, so their exact lines are pinned."""

from __future__ import annotations

import pytest

from fleetpatch.orchestrate.pkgmanager import (
    PackageSpecError,
    held_argv,
    installed_argv,
    manager_for,
    needs_reboot,
    parse_held,
    parse_installed,
    upgrade_argv,
)

TARGET = {"openssl": "3.0.15-1~deb12u1", "libc6": "2.36-9+deb12u9"}


@pytest.mark.parametrize(
    ("ecosystem", "manager"),
    [
        ("Debian:12", "apt"),
        ("Ubuntu:22.04", "apt"),
        ("AlmaLinux:9", "dnf"),
        ("Rocky Linux:9", "dnf"),
        ("Alpine:v3.20", "apk"),
        ("Bottlerocket:1", None),
        ("", None),
    ],
)
def test_the_manager_follows_the_ecosystem(ecosystem: str, manager: str | None) -> None:
    assert manager_for(ecosystem) == manager


def test_apt_installs_exactly_the_frozen_versions_non_interactively() -> None:
    assert upgrade_argv("apt", TARGET, lock_timeout=300) == [
        "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-q",
        "--only-upgrade", "--no-install-recommends",
        "-o", "Dpkg::Options::=--force-confold", "-o", "DPkg::Lock::Timeout=300",
        "libc6=2.36-9+deb12u9", "openssl=3.0.15-1~deb12u1",
    ]  # fmt: skip


def test_dnf_upgrades_exact_nevras() -> None:
    target = {"openssl-libs": "1:3.0.7-27.el9", "kernel-core": "5.14.0-427.13.1.el9_4"}
    assert upgrade_argv("dnf", target, lock_timeout=300) == [
        "dnf", "-y", "-q", "upgrade", "--",
        "kernel-core-5.14.0-427.13.1.el9_4", "openssl-libs-1:3.0.7-27.el9",
    ]  # fmt: skip


def test_apk_adds_pinned_versions() -> None:
    assert upgrade_argv("apk", {"musl": "1.2.5-r0", "busybox": "1.36.1-r29"}, lock_timeout=1) == [
        "apk", "add", "--no-interactive", "--upgrade", "busybox=1.36.1-r29", "musl=1.2.5-r0",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("openssl", "1.0; reboot"),
        ("-oAPT::Get::Foo=1", "1.0"),
        ("openssl", "$(id)"),
        ("open ssl", "1.0"),
        ("openssl", ""),
        ("openssl", "--allow-downgrades"),
    ],
)
def test_report_data_that_is_not_a_package_or_version_is_refused(name: str, version: str) -> None:
    with pytest.raises(PackageSpecError):
        upgrade_argv("apt", {name: version}, lock_timeout=1)


def test_held_and_installed_parsers() -> None:
    assert held_argv("apt") == ["apt-mark", "showhold"]
    assert parse_held("apt", "fp-demo-held\nlibc6:amd64\n") == {"fp-demo-held", "libc6"}
    locks = "Last metadata expiration check: 0:01:02 ago\nkernel-core-0:5.14.0-362.el9.*\n"
    assert parse_held("dnf", locks) == {"kernel-core"}
    assert held_argv("apk") is None
    assert installed_argv("apt", ["b", "a"]) == [
        "dpkg-query", "-W", "-f", "${Package}\t${Version}\n", "--", "a", "b"
    ]  # fmt: skip
    assert parse_installed("apt", "a\t1.0-1\nb\t\n") == {"a": "1.0-1"}
    apk = "musl-1.2.5-r0 x86_64 {musl} (MIT) [installed]\n"
    assert parse_installed("apk", apk) == {"musl": "1.2.5-r0"}


def test_the_reboot_rule_is_the_plans_own() -> None:
    names = ["libc6", "linux-image-6.1.0-26-amd64", "intel-microcode", "openssl", "systemd"]
    assert needs_reboot(names) == [
        "intel-microcode", "libc6", "linux-image-6.1.0-26-amd64", "systemd"
    ]  # fmt: skip
    assert needs_reboot(["fp-demo-tool", "curl"]) == []
