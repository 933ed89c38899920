"""Machine images and patch levels: where the generated hosts get their package sets from (pure).

A fleet is built from a few hundred images. An image is a real Debian 12 or AlmaLinux 9 package
set of 650-750 packages, built at some age: the older the image, the more package groups sit at an
older real version. A host runs its image at one of `PATCH_LEVELS` patch levels; level 0 is the
image as built and each higher level has upgraded more groups to their newest version (the rest are
left behind). Level upgrades are nested (what level 2 upgraded, level 3 has too), and a kernel
upgrade installs the new kernel beside the old one, as both package managers do.

The number of distinct package sets is therefore at most images x levels, whatever the number of
hosts. Every version string comes from the shipped data; nothing is invented here.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from fleetpatch.inventory.records import Package
from fleetpatch.simulate.kinds import Kind
from fleetpatch.simulate.packagedata import (
    ALMALINUX_9,
    DEBIAN_12,
    EcosystemData,
    PackageHistory,
    load_ecosystem,
)
from fleetpatch.simulate.roles import (
    ALMA_BASE,
    ALMA_EXTRAS,
    DEBIAN_EXTRAS,
    DEBIAN_KEEP,
    NOT_ON_SERVERS,
)

PATCH_LEVELS = 8
# RPM keeps several versions of these installed at once ("installonly" packages).
INSTALL_ONLY = frozenset({"kernel", "kernel-core", "kernel-modules", "kernel-modules-core"})
_EL_MINOR = re.compile(r"\.el9_(\d+)")


@dataclass(frozen=True, slots=True)
class ImageSpec:
    index: int
    kind: Kind
    ecosystem: str
    image_id: str
    name: str
    age: float  # 0 = built from the newest versions, 1 = the oldest image in the fleet
    seed: str


@dataclass(frozen=True, slots=True)
class PackageSet:
    """What a host at one (image, patch level) has installed."""

    packages: tuple[Package, ...]
    kernels: tuple[str, ...]  # installed kernel releases (`uname -r` form), oldest first
    newest_kernel_packages: tuple[str, ...]  # the packages that brought the newest kernel
    os_version_id: str


def unit(*parts: object) -> float:
    """A stable uniform number in [0, 1) for a tuple of values (no global random state)."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def plan_images(seed: int, count: int, now: datetime) -> tuple[ImageSpec, ...]:
    """`count` images; the first five cover every kind so small fleets still have all kinds."""
    kinds = list(Kind)
    weights = [0.35, 0.2, 0.25, 0.1, 0.1]
    debian_share = {Kind.K8S: 0.8, Kind.DB: 0.5, Kind.STATELESS: 0.7}
    specs = []
    for index in range(max(count, len(kinds))):
        rng = random.Random(f"{seed}:image:{index}")
        kind = kinds[index] if index < len(kinds) else rng.choices(kinds, weights)[0]
        debian = rng.random() < debian_share.get(kind, 0.5)
        ecosystem = DEBIAN_12 if debian else ALMALINUX_9
        age = rng.random()
        if kind is Kind.METAL:  # colo machines are installed once and kept for years
            age = 0.7 + 0.3 * age
        built = now - timedelta(days=int(age * 420) + 1)
        family = "debian-12" if debian else "almalinux-9"
        specs.append(
            ImageSpec(
                index=index,
                kind=kind,
                ecosystem=ecosystem,
                image_id=f"ami-{rng.getrandbits(68):017x}",
                name=f"{family}-{kind.value}-{built:%Y%m%d}-{index:03d}",
                age=age,
                seed=f"{seed}:image:{index}",
            )
        )
    return tuple(specs)


def choose_names(image: ImageSpec, data: EcosystemData) -> list[str]:
    rng = random.Random(image.seed + ":names")
    present = data.by_name()
    if image.ecosystem == DEBIAN_12:
        base = sorted(data.installed_here)
        drop = rng.uniform(0.03, 0.12)
        names = [n for n in base if n in DEBIAN_KEEP or rng.random() >= drop]
        names += DEBIAN_EXTRAS["all"] + DEBIAN_EXTRAS[image.kind.value]
    else:
        names = list(ALMA_BASE) + ALMA_EXTRAS[image.kind.value]
        pool = sorted(n for n in present if not NOT_ON_SERVERS.search(n) and n not in names)
        target = rng.randint(650, 750)
        names += rng.sample(pool, max(0, target - len(names)))
    return sorted({n for n in names if n in present and n not in INSTALL_ONLY})


def group_cutoffs(image: ImageSpec, histories: list[PackageHistory]) -> dict[str, int]:
    """Per group, the newest rank the image was built with (older images lag more groups)."""
    ranks: dict[str, set[int]] = {}
    for h in histories:
        ranks.setdefault(h.group, set()).update(v.rank for v in h.versions)
    cutoffs = {}
    for group, group_ranks in sorted(ranks.items()):
        ordered = sorted(group_ranks)
        lag = 0
        if len(ordered) > 1 and unit(image.seed, group, "lag") < 0.15 + 0.7 * image.age:
            lag = 1 + int(unit(image.seed, group, "depth") * (len(ordered) - 1) * image.age)
        cutoffs[group] = ordered[max(0, len(ordered) - 1 - lag)]
    return cutoffs


def upgraded(image: ImageSpec, group: str, level: int) -> bool:
    """Nested upgrades: a group upgraded at some level stays upgraded at every higher level.

    The top level is fully patched: every group at its newest version, every kernel installed.
    """
    return unit(image.seed, group, "upgrade") < level / (PATCH_LEVELS - 1)


def pick(history: PackageHistory, cutoff: int) -> Package:
    rows = [v for v in history.versions if v.rank <= cutoff] or [history.versions[0]]
    row = rows[-1]
    return Package(history.name, row.version, history.arch, history.source, row.source_version)


def newest(history: PackageHistory) -> Package:
    return pick(history, history.versions[-1].rank)


def build_package_set(image: ImageSpec, level: int) -> PackageSet:
    data = load_ecosystem(image.ecosystem)
    present = data.by_name()
    histories = [present[n] for n in choose_names(image, data)]
    cutoffs = group_cutoffs(image, histories)
    packages = [
        newest(h) if upgraded(image, h.group, level) else pick(h, cutoffs[h.group])
        for h in histories
    ]
    if image.ecosystem == DEBIAN_12:
        extra, kernels, kernel_pkgs = debian_kernels(image, data, level)
        os_version = "12"
    else:
        extra, kernels, kernel_pkgs = alma_kernels(image, present, level)
        os_version = alma_os_version(kernels[-1])
    return PackageSet(tuple(sorted(packages + extra)), kernels, kernel_pkgs, os_version)


def kernel_lag(image: ImageSpec, available: int) -> int:
    """How many kernel releases behind the image was built; bare metal is always behind."""
    lag = int(unit(image.seed, "kernel") * available * image.age)
    if image.kind is Kind.METAL:
        lag = max(1, lag)
    return min(lag, available - 1)


def debian_kernels(
    image: ImageSpec, data: EcosystemData, level: int
) -> tuple[list[Package], tuple[str, ...], tuple[str, ...]]:
    cloud = image.kind is not Kind.METAL  # metal runs the generic flavour, VMs the cloud one
    choices = [k for k in data.kernels if ("-cloud-" in k.release) == cloud]
    first = len(choices) - 1 - kernel_lag(image, len(choices))
    picked = [choices[first]]
    if first < len(choices) - 1 and upgraded(image, "linux", level):
        picked.append(choices[-1])
    packages = [newest(k.package) for k in picked]
    return packages, tuple(k.release for k in picked), (picked[-1].package.name,)


def alma_kernels(
    image: ImageSpec, present: dict[str, PackageHistory], level: int
) -> tuple[list[Package], tuple[str, ...], tuple[str, ...]]:
    core = present["kernel-core"]
    ranks = sorted({v.rank for v in core.versions})
    lag = kernel_lag(image, len(ranks))
    cutoffs = [ranks[max(0, len(ranks) - 1 - lag)]]
    if lag and upgraded(image, "kernel", level):
        cutoffs.append(ranks[-1])
    names = sorted(n for n in INSTALL_ONLY if n in present)
    packages = [pick(present[n], c) for c in cutoffs for n in names]
    kernels = tuple(f"{pick(core, c).version}.x86_64" for c in cutoffs)
    return packages, kernels, tuple(names)


def alma_os_version(kernel_release: str) -> str:
    """AlmaLinux 9 minor release, read from the kernel's `el9_N` dist tag (9.0 when absent)."""
    match = _EL_MINOR.search(kernel_release)
    return f"9.{match.group(1)}" if match else "9.0"
