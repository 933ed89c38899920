"""Installed kernels, named the way `uname -r` names the running one.

A kernel is "installed" when its package is installed or its image is in `/boot`. Both are turned
into kernel release strings so that the running kernel (`/proc/sys/kernel/osrelease`, i.e.
`uname -r`) can be compared with them:

- Debian/Ubuntu: `linux-image-<release>` (and Ubuntu's `linux-image-unsigned-<release>`); meta
  packages such as `linux-image-amd64` or `linux-image-generic` name no release and are skipped,
  as are `-dbg` symbol packages.
- RPM family: `kernel`, `kernel-core`, `kernel-rt-core`, `kernel-uek`, ... release is
  `version-release.arch` (`5.14.0-362.8.1.el9_3.x86_64`).
- Alpine: `linux-<flavour>` at `6.6.31-r0` runs as `6.6.31-0-<flavour>`.
- Files: `/boot/vmlinuz-<release>`. `/lib/modules/<release>` is used only when nothing else names a
  kernel (module trees are often left behind after a kernel is removed).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from fleetpatch.inventory.records import Package

RPM_KERNEL_PACKAGES = frozenset(
    {"kernel", "kernel-core", "kernel-rt", "kernel-rt-core", "kernel-uek", "kernel-uek-core"}
)
ALPINE_FLAVOURS = frozenset({"lts", "virt", "edge", "stable", "rpi", "rpi2", "rpi4"})
_DEB_PREFIXES = ("linux-image-unsigned-", "linux-image-")
_APK_VERSION = re.compile(r"^(.+)-r(\d+)$")


def kernels_from_packages(packages: Iterable[Package]) -> tuple[str, ...]:
    """Kernel releases named by installed kernel packages, sorted oldest first."""
    releases = {r for p in packages if (r := _release(p))}
    return sort_releases(releases)


def _release(package: Package) -> str:
    name = package.name
    for prefix in _DEB_PREFIXES:
        if name.startswith(prefix):
            rest = name[len(prefix) :]
            return rest if rest[:1].isdigit() and not rest.endswith("-dbg") else ""
    if name in RPM_KERNEL_PACKAGES:
        version = package.version.split(":", 1)[-1]
        return f"{version}.{package.arch}" if package.arch else version
    if name.startswith("linux-") and name[len("linux-") :] in ALPINE_FLAVOURS:
        match = _APK_VERSION.match(package.version)
        if match:
            return f"{match.group(1)}-{match.group(2)}-{name[len('linux-') :]}"
    return ""


def kernels_from_files(boot_files: Iterable[str], module_dirs: Iterable[str]) -> tuple[str, ...]:
    """Kernel releases from `/boot` file names, or from module trees when `/boot` names none."""
    from_boot = {
        name[len("vmlinuz-") :]
        for name in boot_files
        if name.startswith("vmlinuz-") and len(name) > len("vmlinuz-")
    }
    return sort_releases(from_boot or set(module_dirs))


def installed_kernels(
    packages: Iterable[Package], boot_files: Iterable[str], module_dirs: Iterable[str]
) -> tuple[str, ...]:
    """Packages and `/boot` together; module trees only if both are silent."""
    from_packages = set(kernels_from_packages(packages))
    from_boot = set(kernels_from_files(boot_files, ()))
    if from_packages or from_boot:
        return sort_releases(from_packages | from_boot)
    return kernels_from_files((), module_dirs)


def sort_releases(releases: Iterable[str]) -> tuple[str, ...]:
    """Natural order (numbers compared as numbers), good enough to list kernels oldest first."""
    return tuple(sorted(releases, key=_natural_key))


def _natural_key(release: str) -> tuple[tuple[int, int | str], ...]:
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part)
        for part in re.findall(r"\d+|[^\d]+", release)
    )
