"""Ecosystem names: one spelling per release, and which package name a record is keyed by.

OSV spells the same release in several ways, and hosts report it in yet others:

- Ubuntu records say ``Ubuntu:22.04:LTS`` while scanners query ``Ubuntu:22.04``; both mean the
  same release, so the ``:LTS`` suffix is dropped. ``Ubuntu:Pro:20.04:LTS`` entries hold the
  fixes shipped through Ubuntu Pro (ESM); they normalise to ``Ubuntu:Pro:20.04`` and apply only to
  hosts that say they are attached to Pro (`lookup_ecosystems`).
- Alpine is ``Alpine:v3.20``; a host's ``3.20.3`` or ``v3.20`` maps to it.
- Debian, AlmaLinux and Rocky Linux key records by major release (``Debian:12``,
  ``AlmaLinux:9``, ``Rocky Linux:9``), so a point release is cut to the major.
- Red Hat ecosystems are CPE-like (``Red Hat:enterprise_linux:9::appstream``) and kept verbatim.

Debian, Ubuntu and Alpine records name *source* packages (Alpine's "origin"); RPM distributions
name binary packages (`match_key`).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final, Literal

#: Canonical family spellings, keyed by their lower-case form.
FAMILIES: Final = {
    "debian": "Debian",
    "ubuntu": "Ubuntu",
    "alpine": "Alpine",
    "almalinux": "AlmaLinux",
    "rocky linux": "Rocky Linux",
    "red hat": "Red Hat",
}

_SOURCE_KEYED: Final = frozenset({"Debian", "Ubuntu", "Alpine"})
_MAJOR_ONLY: Final = frozenset({"Debian", "AlmaLinux", "Rocky Linux"})
_ALPINE_RELEASE = re.compile(r"^v?(\d+)\.(\d+)(?:\.\d+)?$")
_MAJOR_RELEASE = re.compile(r"^(\d+)(?:\.\d+)*$")

PackageKey = Literal["source", "binary"]


@lru_cache(maxsize=4096)
def normalize_ecosystem(ecosystem: str) -> str:
    """The one spelling used as an index key; unknown families are returned stripped, unchanged."""
    family, sep, release = ecosystem.strip().partition(":")
    canonical = FAMILIES.get(family.strip().lower())
    if canonical is None or not sep:
        return canonical or ecosystem.strip()
    release = release.strip()
    if canonical == "Ubuntu":
        return "Ubuntu:" + _ubuntu_release(release)
    if canonical == "Alpine":
        found = _ALPINE_RELEASE.match(release)
        return f"Alpine:v{found[1]}.{found[2]}" if found else f"Alpine:{release}"
    if canonical in _MAJOR_ONLY:
        found = _MAJOR_RELEASE.match(release)
        return f"{canonical}:{found[1]}" if found else f"{canonical}:{release}"
    return f"{canonical}:{release}"


def family(ecosystem: str) -> str:
    """``Ubuntu`` for ``Ubuntu:Pro:20.04:LTS``; the part before the first colon, normalised."""
    return normalize_ecosystem(ecosystem).partition(":")[0]


def is_pro(ecosystem: str) -> bool:
    """True for Ubuntu Pro (ESM) ecosystems such as ``Ubuntu:Pro:20.04:LTS``."""
    return normalize_ecosystem(ecosystem).startswith("Ubuntu:Pro:")


def lookup_ecosystems(ecosystem: str, *, pro: bool = False) -> tuple[str, ...]:
    """The normalised ecosystems to search for a host, the most specific first.

    An Ubuntu host attached to Pro (``pro=True``, or an ecosystem already spelled
    ``Ubuntu:Pro:…``) searches its Pro ecosystem first, then the plain release; any other host
    searches only its own release.
    """
    normal = normalize_ecosystem(ecosystem)
    if normal.startswith("Ubuntu:Pro:"):
        return (normal, "Ubuntu:" + normal.removeprefix("Ubuntu:Pro:"))
    if pro and normal.startswith("Ubuntu:"):
        return ("Ubuntu:Pro:" + normal.removeprefix("Ubuntu:"), normal)
    return (normal,)


def match_key(ecosystem: str) -> PackageKey:
    """Whether records of this ecosystem name source packages or binary packages.

    For ``source`` ecosystems the caller passes the package's source name and source version
    (for Alpine: the origin name and the package version).
    """
    return "source" if family(ecosystem) in _SOURCE_KEYED else "binary"


def _ubuntu_release(release: str) -> str:
    parts = [p.strip() for p in release.split(":") if p.strip()]
    if parts and parts[-1].upper() == "LTS":
        parts.pop()
    if parts and parts[0].lower() == "pro":
        parts[0] = "Pro"
    return ":".join(parts)
