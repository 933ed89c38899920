"""Find and read a host's package database: dpkg, rpm or apk, below a root directory.

The OS family from os-release picks the database (a Debian host with the `rpm` tool installed
still reports its dpkg packages); for an unknown OS the first database found wins, in the order
dpkg, rpm, apk. dpkg and apk databases are text files read directly. The rpm database is read by
`rpm` itself (its format changed from Berkeley DB to NDB to SQLite over the years), through the
runner, with `--root` when the root is not `/` and an explicit `--dbpath`, because distributions
build rpm with different default database paths (Debian's looks in `~/.rpmdb`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fleetpatch.errors import CollectError
from fleetpatch.inventory.apk import parse_apk_installed
from fleetpatch.inventory.dpkg import architecture_of, parse_dpkg_status
from fleetpatch.inventory.hostfiles import FileReader
from fleetpatch.inventory.parsed import ParsedPackages, dominant_arch
from fleetpatch.inventory.rpm import QUERY_ARGV, parse_rpm_query
from fleetpatch.inventory.runner import Runner

DPKG_STATUS = "var/lib/dpkg/status"
DPKG_STATUS_DIR = "var/lib/dpkg/status.d"  # distroless images: one stanza file per package
APK_INSTALLED = "lib/apk/db/installed"
RPM_DB_DIRS = ("usr/lib/sysimage/rpm", "var/lib/rpm")
RPM_DB_FILES = ("rpmdb.sqlite", "Packages.db", "Packages")

_DPKG_IDS = frozenset({"debian", "ubuntu"})
_RPM_IDS = frozenset({"rhel", "fedora", "centos", "suse", "almalinux", "rocky", "ol", "amzn"})


@dataclass(frozen=True, slots=True)
class PackageDb:
    """Which database was read (`dpkg`, `rpm`, `apk`), where, what it holds, and the arch."""

    kind: str
    location: str
    parsed: ParsedPackages
    arch: str


def family_of(os_values: Mapping[str, str]) -> str:
    """`dpkg`, `rpm`, `apk` or "" (unknown), from os-release ID and ID_LIKE."""
    ids = {os_values.get("ID", "")} | set(os_values.get("ID_LIKE", "").split())
    if ids & _DPKG_IDS:
        return "dpkg"
    if "alpine" in ids:
        return "apk"
    if ids & _RPM_IDS or any(i.startswith(("opensuse", "sles")) for i in ids):
        return "rpm"
    return ""


def read_package_db(
    files: FileReader, runner: Runner, os_values: Mapping[str, str], *, live: bool
) -> PackageDb:
    """Read the host's package database; `CollectError` when there is none."""
    family = family_of(os_values)
    order = (family,) if family else ("dpkg", "rpm", "apk")
    for kind in order:
        db = _READERS[kind](files, runner, live)
        if db is not None:
            return db
    wanted = ", ".join(order)
    raise CollectError(f"no package database ({wanted}) found under {files.root}")


def _read_dpkg(files: FileReader, runner: Runner, live: bool) -> PackageDb | None:
    text = files.read(DPKG_STATUS)
    extra = [n for n in files.listdir(DPKG_STATUS_DIR) if not n.endswith(".md5sums")]
    if text is None and not extra:
        return None
    parsed = parse_dpkg_status(text or "")
    problems = [f"{DPKG_STATUS}: {p}" for p in parsed.problems]
    packages = list(parsed.packages)
    for name in extra:
        part = parse_dpkg_status(files.read(f"{DPKG_STATUS_DIR}/{name}") or "")
        packages += part.packages
        problems += [f"{DPKG_STATUS_DIR}/{name}: {p}" for p in part.problems]
    merged = ParsedPackages(tuple(packages), tuple(problems))
    return PackageDb("dpkg", DPKG_STATUS, merged, architecture_of(merged))


def _read_apk(files: FileReader, runner: Runner, live: bool) -> PackageDb | None:
    text = files.read(APK_INSTALLED)
    if text is None:
        return None
    parsed = parse_apk_installed(text)
    problems = tuple(f"{APK_INSTALLED}: {p}" for p in parsed.problems)
    located = ParsedPackages(parsed.packages, problems)
    return PackageDb("apk", APK_INSTALLED, located, dominant_arch(parsed))


def _read_rpm(files: FileReader, runner: Runner, live: bool) -> PackageDb | None:
    db_dir = next(
        (d for d in RPM_DB_DIRS if any(files.exists(f"{d}/{f}") for f in RPM_DB_FILES)), None
    )
    if db_dir is None:
        return None
    argv = [*QUERY_ARGV, "--dbpath", f"/{db_dir}"]
    if not live:
        argv += ["--root", str(files.root)]
    parsed = parse_rpm_query(runner.run(argv))
    problems = tuple(f"rpm -qa: {p}" for p in parsed.problems)
    located = ParsedPackages(parsed.packages, problems, parsed.installed_at)
    return PackageDb("rpm", db_dir, located, dominant_arch(parsed))


_READERS = {"dpkg": _read_dpkg, "rpm": _read_rpm, "apk": _read_apk}
