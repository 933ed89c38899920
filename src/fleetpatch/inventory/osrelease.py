"""Parse `os-release` and name the host's ecosystem the way OSV advisories name it.

`os-release` (`/etc/os-release`, falling back to `/usr/lib/os-release`) is a list of shell-style
`KEY=value` assignments; values may be quoted and use backslash escapes. The ecosystem string is the
key that ties a host to advisories and to the catalog, so it follows OSV's spelling exactly:

| os-release ID | ecosystem        | from                                |
| ------------- | ---------------- | ----------------------------------- |
| debian        | `Debian:12`      | VERSION_ID, or the codename (testing) |
| ubuntu        | `Ubuntu:22.04`   | VERSION_ID                          |
| almalinux     | `AlmaLinux:9`    | major of VERSION_ID                 |
| rocky         | `Rocky Linux:9`  | major of VERSION_ID                 |
| rhel          | `Red Hat:enterprise_linux:9` | major (1) |
| alpine        | `Alpine:v3.20`   | major.minor of VERSION_ID           |
| opensuse-leap | `openSUSE:Leap 15.5` | VERSION_ID                      |

(1) OSV's Red Hat ecosystems are CPE-like, `Red Hat:enterprise_linux:9::appstream`; this is the
prefix they share for one major release.

Anything else is `<NAME>:<VERSION_ID>`, which matches no advisory feed but keeps hosts apart.
"""

from __future__ import annotations

import shlex

from fleetpatch.errors import ParseError
from fleetpatch.inventory.records import OsInfo

# Debian testing has no VERSION_ID; OSV files it under the number it will be released as.
DEBIAN_CODENAMES = {
    "buster": "10",
    "bullseye": "11",
    "bookworm": "12",
    "trixie": "13",
    "forky": "14",
    "duke": "15",
}


def parse_os_release(text: str) -> dict[str, str]:
    """The assignments of an os-release file; comments and blank lines are skipped."""
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, sep, raw = stripped.partition("=")
        if not sep or not key.isidentifier():
            raise ParseError(f"os-release line {number}: not a KEY=value line: {line!r}")
        try:
            words = shlex.split(raw, posix=True)
        except ValueError as exc:
            raise ParseError(f"os-release line {number}: {exc}: {line!r}") from None
        values[key] = " ".join(words)
    return values


def os_info(values: dict[str, str]) -> OsInfo:
    """The OS facts a report carries; `ID` defaults to `linux` as os-release(5) says."""
    return OsInfo(
        id=values.get("ID", "linux"),
        version_id=values.get("VERSION_ID", ""),
        codename=values.get("VERSION_CODENAME", ""),
        pretty_name=values.get("PRETTY_NAME", ""),
    )


def ecosystem_of(values: dict[str, str]) -> str:
    """OSV's ecosystem name for this OS release (see the module docstring)."""
    os_id = values.get("ID", "linux")
    version = values.get("VERSION_ID", "")
    major = version.split(".")[0]
    if os_id == "debian":
        return _with_version("Debian", version or DEBIAN_CODENAMES.get(_codename(values), ""))
    if os_id == "ubuntu":
        return _with_version("Ubuntu", version)
    if os_id == "almalinux":
        return _with_version("AlmaLinux", major)
    if os_id == "rocky":
        return _with_version("Rocky Linux", major)
    if os_id == "rhel":
        return _with_version("Red Hat:enterprise_linux", major)
    if os_id == "alpine":
        return _with_version("Alpine", "v" + ".".join(version.split(".")[:2]) if version else "")
    if os_id == "opensuse-leap":
        return _with_version("openSUSE", f"Leap {version}" if version else "")
    return _with_version(values.get("NAME") or os_id, version)


def _codename(values: dict[str, str]) -> str:
    codename = values.get("VERSION_CODENAME", "")
    if codename:
        return codename
    # Debian testing writes `PRETTY_NAME="Debian GNU/Linux trixie/sid"` and nothing else.
    pretty = values.get("PRETTY_NAME", "")
    return pretty.rsplit(" ", 1)[-1].split("/")[0] if pretty else ""


def _with_version(name: str, version: str) -> str:
    return f"{name}:{version}" if version else name
