"""Live differential test: our outdated set against `apt list --upgradable` on this machine.

Reads the machine's own `/var/lib/dpkg/status` and `/var/lib/apt/lists`, computes the outdated set
for the release's default suites and compares it with what apt prints at the same moment. Skips
when the machine is not Debian with apt, unless FLEETPATCH_REQUIRE_ORACLES=1 (CI): then it fails.
Pinning is not modelled: a machine with pins that change candidates would (rightly) fail here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from catalog_support import installed_from_status, parse_apt_list_upgradable

from fleetpatch.catalog.apt import suite_entries
from fleetpatch.catalog.candidates import CatalogIndex, default_suites, outdated
from fleetpatch.catalog.lists import read_lists_dir

LISTS = Path("/var/lib/apt/lists")
STATUS = Path("/var/lib/dpkg/status")
OS_RELEASE = Path("/etc/os-release")


def _os_release() -> dict[str, str]:
    fields = {}
    for line in OS_RELEASE.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep:
            fields[key] = value.strip().strip('"')
    return fields


def _require_debian_with_apt() -> dict[str, str]:
    missing = [str(p) for p in (LISTS, STATUS, OS_RELEASE) if not p.exists()]
    missing += [tool for tool in ("apt", "dpkg") if shutil.which(tool) is None]
    release = _os_release() if OS_RELEASE.exists() else {}
    if release.get("ID") != "debian":
        missing.append("a Debian system (os-release ID=debian)")
    if missing:
        message = f"apt oracle needs {', '.join(missing)}"
        if os.environ.get("FLEETPATCH_REQUIRE_ORACLES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return release


@pytest.mark.oracle
def test_outdated_equals_live_apt_list_upgradable() -> None:
    release = _require_debian_with_apt()
    arch = subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    )
    # apt and our read must see the same files: read the status right before asking apt.
    status = STATUS.read_text(encoding="utf-8")
    apt = subprocess.run(
        ["apt", "list", "--upgradable"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "LC_ALL": "C"},
    )
    imported = read_lists_dir(LISTS, now=datetime.now(tz=UTC))
    index = CatalogIndex(e for s in imported.suites for e in suite_entries(s))
    installed, held = installed_from_status(status)
    assert installed, "no installed package read from the dpkg status"
    updates = outdated(
        installed,
        index,
        ecosystem=f"Debian:{release['VERSION_ID']}",
        arch=arch.stdout.strip(),
        suites=default_suites(release["VERSION_CODENAME"]),
        held=held,
    )
    ours = {
        (u.name, u.arch): (u.installed, u.candidate, tuple(o.archive for o in u.origins))
        for u in updates
    }
    assert ours == parse_apt_list_upgradable(apt.stdout)
