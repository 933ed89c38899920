"""Shared helpers of the catalog tests: fixture paths, dpkg status and `apt list` readers."""

from __future__ import annotations

import lzma
import re
from pathlib import Path

from fleetpatch.catalog.apt import parse_stanzas
from fleetpatch.inventory.records import Package

DATA = Path(__file__).resolve().parent.parent / "data" / "catalog"
DEBIAN12 = DATA / "debian12"
NOT_INSTALLED = {"not-installed", "config-files"}
_APT_LIST_LINE = re.compile(
    r"^(?P<name>[^/\s]+)/(?P<archives>\S+) (?P<version>\S+) (?P<arch>\S+) "
    r"\[upgradable from: (?P<installed>[^\]]+)\]$"
)


def installed_from_status(text: str) -> tuple[tuple[Package, ...], frozenset[str]]:
    """The installed packages of a dpkg status file and the names on hold.

    A deliberately small reader for the acceptance tests (the inventory area owns the real one):
    apt treats every state but not-installed/config-files as having a current version.
    """
    packages, held = [], set()
    for fields in parse_stanzas(text):
        words = fields.get("Status", "").split()
        if len(words) != 3 or words[2] in NOT_INSTALLED:
            continue
        if words[0] == "hold":
            held.add(fields["Package"])
        packages.append(
            Package(name=fields["Package"], version=fields["Version"], arch=fields["Architecture"])
        )
    return tuple(packages), frozenset(held)


def saved_status() -> str:
    return lzma.decompress((DEBIAN12 / "status.xz").read_bytes()).decode("utf-8")


def parse_apt_list_upgradable(text: str) -> dict[tuple[str, str], tuple[str, str, tuple[str, ...]]]:
    """`apt list --upgradable` output → {(name, arch): (installed, candidate, archives)}."""
    found = {}
    for line in text.splitlines():
        if not line or line.startswith(("Listing", "WARNING")):
            continue
        match = _APT_LIST_LINE.match(line)
        assert match is not None, f"unexpected apt list line: {line!r}"
        found[(match["name"], match["arch"])] = (
            match["installed"],
            match["version"],
            tuple(match["archives"].split(",")),
        )
    return found
