"""Exact version ordering for the three package systems a fleet runs: dpkg, RPM and apk.

Everything that decides "is this installed version older than that fixed version" goes through
here. One module per scheme (`dpkg`, `rpm`, `apk`), each a `VersionScheme`; this module picks
the scheme by name or from an OSV ecosystem string.

    >>> compare("dpkg", "1.0~rc1-1", "1.0-1")
    -1
    >>> max(["1.2-r0", "1.10-r0"], key=lambda v: sort_key("apk", v))
    '1.10-r0'
"""

from __future__ import annotations

from typing import Any

from fleetpatch.errors import InputError
from fleetpatch.versions import apk, dpkg, rpm
from fleetpatch.versions.base import VersionScheme

SCHEMES = ("dpkg", "rpm", "apk")

_BY_NAME: dict[str, VersionScheme] = {
    "dpkg": dpkg.SCHEME,
    "rpm": rpm.SCHEME,
    "apk": apk.SCHEME,
}

_ECOSYSTEM_PREFIXES: tuple[tuple[str, str], ...] = (
    ("Debian", "dpkg"),
    ("Ubuntu", "dpkg"),
    ("AlmaLinux", "rpm"),
    ("Rocky Linux", "rpm"),
    ("Red Hat", "rpm"),
    ("openSUSE", "rpm"),
    ("SUSE", "rpm"),
    ("Fedora", "rpm"),
    ("CentOS", "rpm"),
    ("Amazon Linux", "rpm"),
    ("Oracle Linux", "rpm"),
    ("Mageia", "rpm"),
    ("openEuler", "rpm"),
    ("Alpine", "apk"),
    # Image-based: a Bottlerocket node is patched by moving to a new image release, which the
    # report names in `image`; the packages inside an image are built as RPMs.
    ("Bottlerocket", "rpm"),
)


KNOWN_ECOSYSTEMS: tuple[str, ...] = tuple(prefix for prefix, _ in _ECOSYSTEM_PREFIXES)
"""The ecosystems (OSV spelling, before any `:release`) that have a version scheme here."""


def scheme(name: str) -> VersionScheme:
    """The scheme called `name`; InputError for an unknown name."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise InputError(
            f"unknown version scheme {name!r} (expected one of {', '.join(SCHEMES)})"
        ) from None


def compare(scheme_name: str, a: str, b: str) -> int:
    """-1, 0 or 1 as `a` is older than, equal to, or newer than `b` under `scheme_name`."""
    return scheme(scheme_name).compare(a, b)


def sort_key(scheme_name: str, version: str) -> Any:
    """A cached, comparable key: `sorted(vs, key=lambda v: sort_key("dpkg", v))`."""
    return scheme(scheme_name).key(version)


def validate(scheme_name: str, version: str) -> None:
    """Raise VersionError when `version` is not a valid `scheme_name` version."""
    scheme(scheme_name).validate(version)


def scheme_for_ecosystem(ecosystem: str) -> str:
    """The version scheme of an OSV ecosystem string such as `Debian:12` or `Alpine:v3.20`."""
    for prefix, name in _ECOSYSTEM_PREFIXES:
        if ecosystem == prefix or ecosystem.startswith(prefix + ":"):
            return name
    raise InputError(f"unknown ecosystem {ecosystem!r}: no version scheme for it")


__all__ = [
    "KNOWN_ECOSYSTEMS",
    "SCHEMES",
    "VersionScheme",
    "compare",
    "scheme",
    "scheme_for_ecosystem",
    "sort_key",
    "validate",
]
