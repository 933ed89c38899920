"""What the OS itself says about a needed reboot, one rule per family.

Evidence, not a guess: where the OS gives no signal either way the flag is None ("unknown"), never
"needed". Exposure combines this with the kernel facts (running older than newest installed) to
derive `pending_reboot`; this module only reads the OS's own mechanism.

- Debian/Ubuntu: package hooks touch `/run/reboot-required` and append package names to
  `/run/reboot-required.pkgs`. `/run` is a tmpfs emptied at boot, so on a live host the file's
  absence means "nothing asked for a reboot since boot" (False) and its mtime is when the first
  package asked. In an image or chroot `/run` says nothing about any running system: None.
- RPM family: the rule of `needs-restarting -r` (dnf-plugins-core): a reboot is needed when a core
  package (kernel, glibc, systemd, dbus, linux-firmware, ...) was installed after boot. Extra names
  come from `/etc/dnf/plugins/needs-restarting.d/*.conf`, as needs-restarting reads them.
- Alpine: apk replaces `linux-lts` in place, so a running kernel that is no longer among the
  installed ones means the new one is waiting for a reboot.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from fleetpatch.inventory.records import RebootEvidence

# dnf-plugins-core needs_restarting.py NEED_REBOOT, plus the split kernel packages of EL8+.
RPM_REBOOT_PACKAGES = frozenset(
    {
        "kernel",
        "kernel-core",
        "kernel-rt",
        "kernel-rt-core",
        "glibc",
        "linux-firmware",
        "systemd",
        "dbus",
        "dbus-broker",
        "dbus-daemon",
        "microcode_ctl",
    }
)


def from_reboot_required_file(
    *, live: bool, since: datetime | None, pkgs_text: str | None
) -> RebootEvidence:
    """Debian/Ubuntu. `since` is the flag file's mtime, None when the file is absent."""
    if not live:
        return RebootEvidence()
    if since is None:
        return RebootEvidence(flag=False)
    names = dict.fromkeys(line.strip() for line in (pkgs_text or "").splitlines() if line.strip())
    return RebootEvidence(flag=True, since=since, packages=tuple(names))


def from_install_times(
    installed_at: Mapping[str, datetime],
    boot_time: datetime | None,
    extra_names: Iterable[str] = (),
) -> RebootEvidence:
    """RPM family: core packages installed after boot; unknown without a boot time."""
    if boot_time is None or not installed_at:
        return RebootEvidence()
    names = RPM_REBOOT_PACKAGES | set(extra_names)
    after = sorted(
        (when, name) for name, when in installed_at.items() if name in names and when > boot_time
    )
    if not after:
        return RebootEvidence(flag=False)
    return RebootEvidence(flag=True, since=after[0][0], packages=tuple(n for _, n in after))


def from_running_kernel(running: str | None, installed: Iterable[str]) -> RebootEvidence:
    """Alpine: the running kernel is gone from the installed ones; unknown if either is unknown."""
    installed = tuple(installed)
    if not running or not installed:
        return RebootEvidence()
    if running in installed:
        return RebootEvidence(flag=False)
    return RebootEvidence(flag=True)


def parse_needs_restarting_conf(text: str) -> tuple[str, ...]:
    """Package names listed one per line in a needs-restarting.d `.conf` file."""
    names = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return tuple(name for name in names if name)
