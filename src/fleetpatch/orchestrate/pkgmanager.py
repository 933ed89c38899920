"""Package-manager command lines for installing a run's frozen versions, and their parsers (pure).

Each function returns an argv list; nothing here runs anything. The SSH executor quotes every
element before the remote shell sees it, and on top of that every name and version is checked
against its family's grammar first, so report data can never become shell syntax or an option
(`-o…` is not a package name).

- apt (Debian, Ubuntu): `apt-get install -y --only-upgrade pkg=ver …` under
  `DEBIAN_FRONTEND=noninteractive`, keeping changed configuration files (`--force-confold`),
  waiting for a busy dpkg lock up to `DPkg::Lock::Timeout`. Held packages (`apt-mark showhold`)
  are left out and reported.
- dnf (RPM family): `dnf -y upgrade name-[epoch:]version-release …` (exact NEVRAs; `upgrade`
  never installs a package that is not there). dnf has no lock timeout option: the step's own
  timeout bounds a wait on its lock. Held = `dnf versionlock list` (the plugin, if present).
- apk (Alpine): `apk add --no-interactive pkg=ver …` (apk pins what `add` names).

Only the apt lines run against a real system in the tests; dnf and apk are golden-tested lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Literal

from fleetpatch.advisories.ecosystems import family
from fleetpatch.schedule.steps import REBOOT_PACKAGES

Manager = Literal["apt", "dnf", "apk"]
MANAGERS: Mapping[str, Manager] = {
    "Debian": "apt",
    "Ubuntu": "apt",
    "AlmaLinux": "dnf",
    "Rocky Linux": "dnf",
    "Red Hat": "dnf",
    "Alpine": "apk",
}
APT_ENV = ("env", "DEBIAN_FRONTEND=noninteractive")

_NAMES: Mapping[Manager, re.Pattern[str]] = {
    "apt": re.compile(r"[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?"),  # policy manual 5.6.1, + :arch
    "dnf": re.compile(r"[A-Za-z0-9_][A-Za-z0-9_+.-]*"),
    "apk": re.compile(r"[A-Za-z0-9_][A-Za-z0-9_+.-]*"),
}
_VERSIONS: Mapping[Manager, re.Pattern[str]] = {
    "apt": re.compile(r"([0-9]+:)?[0-9][A-Za-z0-9.+~-]*(:[A-Za-z0-9.+~-]+)*"),
    "dnf": re.compile(r"([0-9]+:)?[A-Za-z0-9._+~^]+-[A-Za-z0-9._+~^]+"),
    "apk": re.compile(r"[0-9][A-Za-z0-9._-]*(-r[0-9]+)?"),
}


class PackageSpecError(ValueError):
    """A package name or version that its family's grammar does not allow."""


def manager_for(ecosystem: str) -> Manager | None:
    return MANAGERS.get(family(ecosystem)) if ecosystem else None


def checked(manager: Manager, packages: Mapping[str, str]) -> list[tuple[str, str]]:
    """`packages` sorted by name, each name and version checked; `PackageSpecError` if not."""
    out = []
    for name, version in sorted(packages.items()):
        if not _NAMES[manager].fullmatch(name):
            raise PackageSpecError(f"not a valid {manager} package name: {name!r}")
        if not _VERSIONS[manager].fullmatch(version):
            raise PackageSpecError(f"not a valid {manager} version of {name}: {version!r}")
        out.append((name, version))
    return out


def upgrade_argv(manager: Manager, packages: Mapping[str, str], *, lock_timeout: int) -> list[str]:
    """The one command that installs exactly these versions (upgrades only)."""
    pairs = checked(manager, packages)
    if manager == "apt":
        return [
            *APT_ENV,
            "apt-get",
            "install",
            "-y",
            "-q",
            "--only-upgrade",
            "--no-install-recommends",
            "-o",
            "Dpkg::Options::=--force-confold",
            "-o",
            f"DPkg::Lock::Timeout={lock_timeout}",
            *(f"{n}={v}" for n, v in pairs),
        ]
    if manager == "dnf":
        return ["dnf", "-y", "-q", "upgrade", "--", *(f"{n}-{v}" for n, v in pairs)]
    return ["apk", "add", "--no-interactive", "--upgrade", *(f"{n}={v}" for n, v in pairs)]


def refresh_argv(manager: Manager, *, lock_timeout: int) -> list[str] | None:
    """Refresh the package lists so the frozen versions are known (None: not needed)."""
    if manager == "apt":
        return [*APT_ENV, "apt-get", "update", "-q", "-o", f"DPkg::Lock::Timeout={lock_timeout}"]
    if manager == "apk":
        return ["apk", "update"]
    return None  # dnf refreshes expired metadata itself


def held_argv(manager: Manager) -> list[str] | None:
    if manager == "apt":
        return ["apt-mark", "showhold"]
    if manager == "dnf":
        return ["dnf", "-q", "versionlock", "list"]
    return None  # apk: `add name=ver` is itself the pin


def parse_held(manager: Manager, output: str) -> set[str]:
    """Names of held packages. dnf lists `name-epoch:version-release.*` patterns."""
    held = set()
    for line in output.splitlines():
        line = line.strip()
        if not line or line.startswith(("Last metadata", "#")):
            continue
        if manager == "dnf":
            found = re.match(r"(.+?)-(\d+:)?[^-]+-[^-]+$", line)
            held.add(found[1] if found else line)
        else:
            held.add(line.split(":", 1)[0] if manager == "apt" else line)
    return held


def installed_argv(manager: Manager, names: Iterable[str]) -> list[str]:
    """Query the installed version of each name: one `name<TAB>version` line per package."""
    listed = sorted(names)
    if manager == "apt":
        return ["dpkg-query", "-W", "-f", "${Package}\t${Version}\n", "--", *listed]
    if manager == "dnf":
        fmt = "%{NAME}\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\n"
        return ["rpm", "-q", "--qf", fmt, "--", *listed]
    return ["apk", "list", "--installed", "--", *listed]


def parse_installed(manager: Manager, output: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in output.splitlines():
        if manager == "apk":  # `name-1.2.3-r0 x86_64 {origin} (license) [installed]`
            match = re.match(r"(\S+?)-(\d[^-\s]*-r\d+)\s", line)
            if match:
                found[match[1]] = match[2]
            continue
        name, sep, version = line.partition("\t")
        if sep and version.strip():
            found[name.strip()] = version.strip()
    return found


def needs_reboot(names: Iterable[str]) -> list[str]:
    """Of the packages installed, those whose new version runs only after a reboot: the plan's
    own rule (`schedule.steps.REBOOT_PACKAGES`), so the run reboots for what the plan expected.
    Debian bookworm sets no reboot flag for libc6 or systemd: the flag alone is not enough."""
    return sorted({n for n in names if REBOOT_PACKAGES.match(n.split(":", 1)[0])})
