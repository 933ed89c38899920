"""Installing the agent on this host: its files in systemd's and the package managers' folders,
then the timer enabled (`agent install`). Every command has a timeout."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from fleetpatch.agent import units
from fleetpatch.errors import CollectError, InputError

SYSTEMCTL_TIMEOUT = 60


def executable() -> Path:
    """The `fleetpatch` the units should run: this one."""
    found = shutil.which("fleetpatch")
    if found:
        return Path(found).resolve()
    return Path(sys.argv[0]).resolve()


def install(files: dict[str, str], token_file: Path) -> list[str]:
    """Write the files where they belong and enable the timer; the lines to show."""
    lines: list[str] = []
    systemctl = shutil.which("systemctl")
    if systemctl is None or not Path("/run/systemd/system").is_dir():
        raise CollectError(
            "systemd is not running here; use --output-dir to write the units for an image"
        )
    if not token_file.is_file():
        raise InputError(
            f"--token-file {token_file} does not exist: create it first (root-only, holding a "
            "token from `fleetpatch token create --role reporter`)"
        )
    targets = {
        units.SERVICE: units.UNIT_DIR,
        units.TIMER: units.UNIT_DIR,
        units.APT_HOOK: units.APT_DIR,
        units.DNF_ACTION: units.DNF_DIR,
    }
    for name, text in files.items():
        directory = targets[name]
        if name in (units.APT_HOOK, units.DNF_ACTION) and not directory.parent.is_dir():
            continue  # that package manager is not on this host
        directory.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(text, encoding="utf-8")
        lines.append(f"wrote {directory / name}")
    for argv in ([systemctl, "daemon-reload"], [systemctl, "enable", "--now", units.TIMER]):
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=SYSTEMCTL_TIMEOUT, check=False
        )
        if done.returncode != 0:
            raise CollectError(f"{' '.join(argv)} failed: {done.stderr.strip()[:500]}")
    lines.append(f"enabled {units.TIMER}; `systemctl list-timers {units.TIMER}` shows the next run")
    return lines
