"""A report must make sense to evaluate: a known ecosystem, versions valid under its scheme and
kernel releases that look like `uname -r`. One bad agent must not be able to poison the store."""

from __future__ import annotations

from typing import Any

import pytest

from fleetpatch.errors import ReportError
from fleetpatch.inventory.schema import parse_report

GOOD = {"name": "libc6", "version": "2.36-9+deb12u8", "source": "glibc",
        "source_version": "2.36-9+deb12u8"}  # fmt: skip


def report(*packages: dict[str, str], ecosystem: str = "Debian:12", **extra: Any) -> dict[str, Any]:
    return {
        "schema": "fleetpatch.report/v1",
        "hostname": "web-01",
        "collected_at": "2026-11-27T10:00:00Z",
        "os": {"id": "debian", "version_id": "12"},
        "ecosystem": ecosystem,
        "packages": [GOOD, *packages],
        **extra,
    }


def rejection(body: dict[str, Any]) -> str:
    with pytest.raises(ReportError) as caught:
        parse_report(body)
    return str(caught.value)


@pytest.mark.parametrize(
    ("version", "why"),
    [
        ("1.0 beta", "version string has embedded spaces"),
        ("1:", "nothing after colon in version number"),
        ("1.0-", "revision number is empty"),
        (":1.0", "epoch in version is empty"),
        ("1.0\n2.0", "version string has embedded spaces"),
    ],
)
def test_a_package_version_dpkg_refuses_names_its_field(version: str, why: str) -> None:
    message = rejection(report({"name": "curl", "version": version}))
    assert message == f"packages[1].version: invalid dpkg version {version!r}: {why}"


def test_a_million_digit_version_is_refused_in_a_short_line() -> None:
    message = rejection(report({"name": "curl", "version": "9" * 1_000_000}))
    assert message == "packages[1].version: String should have at most 255 characters"


def test_a_numeric_part_past_64_digits_is_refused() -> None:
    message = rejection(report({"name": "curl", "version": "1." + "7" * 65}))
    assert message.endswith("a numeric part longer than 64 digits")
    parse_report(report({"name": "curl", "version": "1." + "7" * 64}))  # the limit itself is fine


def test_the_source_version_is_checked_too() -> None:
    bad = {"name": "curl", "version": "7.88.1-10", "source": "curl", "source_version": "7.88 1"}
    message = rejection(report(bad))
    assert message.startswith("packages[1].source_version: invalid dpkg version '7.88 1'")


def test_each_ecosystem_is_checked_with_its_own_scheme() -> None:
    rpm = rejection(report({"name": "bash", "version": "1:"}, ecosystem="AlmaLinux:9"))
    assert rpm == "packages[1].version: invalid rpm version '1:': version field is empty"
    apk = report({"name": "musl", "version": "1.2.5-r1"}, ecosystem="Alpine:v3.20")
    apk["packages"] = apk["packages"][1:]
    parse_report(apk)
    apk["packages"].append({"name": "busybox", "version": "1.36.1-rX"})
    assert rejection(apk).startswith("packages[1].version: invalid apk version '1.36.1-rX'")


def test_an_unknown_ecosystem_is_refused_with_the_known_ones() -> None:
    message = rejection(report(ecosystem="Plan9:4"))
    assert message.startswith("ecosystem: unknown ecosystem 'Plan9:4' (known: Debian, Ubuntu, ")
    assert "Alpine" in message


def test_an_image_based_bottlerocket_node_is_a_known_ecosystem() -> None:
    node = report(
        ecosystem="Bottlerocket:1.20",
        image={"id": "ami-0123456789abcdef0", "name": "bottlerocket-aws-k8s-1.29-x86_64-v1.20.3"},
        kernel={"running": "6.1.102", "installed": ["6.1.102"]},
    )
    node["packages"] = []
    parsed = parse_report(node)
    assert parsed.ecosystem == "Bottlerocket:1.20"
    assert parsed.image is not None


@pytest.mark.parametrize(
    "release", ["6.1.0-18-amd64", "6.6.14-0-lts", "5.14.0-362.8.1.el9_3.x86_64", "6.1.102"]
)
def test_real_kernel_releases_are_accepted(release: str) -> None:
    parse_report(report(kernel={"running": release, "installed": [release]}))


@pytest.mark.parametrize(
    ("kernel", "field"),
    [
        ({"running": "6.1 0"}, "kernel.running"),
        ({"running": "linux"}, "kernel.running"),
        ({"installed": ["6.1.0-18-amd64", "6.1.0\n"]}, "kernel.installed[1]"),
        ({"installed": ["6.1.0-18-amd64 "]}, "kernel.installed[0]"),
    ],
)
def test_a_kernel_release_unlike_uname_is_refused(kernel: dict[str, Any], field: str) -> None:
    assert rejection(report(kernel=kernel)).startswith(f"{field}: invalid kernel release ")


def test_a_report_without_a_running_kernel_is_still_fine() -> None:
    parse_report(report(kernel={"running": None}))
    parse_report(report())


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("hostname", "..", "hostname: '..' cannot name a host"),
        ("hostname", ".", "hostname: '.' cannot name a host"),
        ("hostname", "db-01\nroot", "hostname: String should match pattern '^[A-Za-z0-9._-]+$'"),
        ("hostname", "h" * 254, "hostname: String should have at most 253 characters"),
        ("hostname", "h" * 1_000_007, "hostname: String should have at most 253 characters"),
        ("ecosystem", "D" * 1_000_000, "ecosystem: String should have at most 64 characters"),
        ("machine_id", "m" * 256, "machine_id: String should have at most 255 characters"),
        ("labels", {"a\nb": "x"}, "labels['a\\nb'] (the key): String should match pattern"),
        ("labels", {"role": "db\x00"}, "labels.role: String should match pattern"),
        (
            "labels",
            {f"k{i}": "v" for i in range(129)},
            "labels: Dictionary should have at most 128",
        ),
    ],
)
def test_identity_fields_are_bounded(field: str, value: object, expected: str) -> None:
    message = rejection(report(**{field: value}))
    assert message.startswith(expected)
    assert "\n" not in message  # always one line
    assert len(message) < 300


def test_real_hostnames_and_labels_are_accepted() -> None:
    for name in ("db-01", "db-01.prod.example.com", "ip-10-0-3-17.ec2.internal", "WEB_02", "a..b"):
        parse_report(report(hostname=name, labels={"app.kubernetes.io/name": "web", "tier": ""}))
