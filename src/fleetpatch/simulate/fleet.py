"""A realistic generated fleet: the named fake behind benchmarks, tests and the demo (pure).

`generate_fleet(count, seed=..., now=...)` yields `HostReport`s for a fleet of four kinds of hosts
(see `kinds.py`) built from a few hundred images at a few patch levels (see `images.py`), so
10k-100k hosts share a few thousand distinct package sets, as a real fleet does. The same seed,
count, image count and `now` always give the same reports, byte for byte.

What makes it realistic: real package names and versions only; boot times by kind (nodes recent,
colo machines up for months, `metal-01` up 412 days); some hosts patched on disk but still running
their old kernel (pending reboot), with `/run/reboot-required`-style evidence on Debian; reports
collected within the last half hour, a few stale by days.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fleetpatch.errors import InputError
from fleetpatch.inventory.records import HostReport, Image, KernelFacts, OsInfo, RebootEvidence
from fleetpatch.inventory.schema import report_to_dict
from fleetpatch.simulate.images import (
    PATCH_LEVELS,
    ImageSpec,
    PackageSet,
    build_package_set,
    plan_images,
)
from fleetpatch.simulate.kinds import (
    LONGEST_UPTIME_DAYS,
    UPTIME_DAYS,
    Kind,
    interleave,
    kind_counts,
)
from fleetpatch.simulate.labels import host_labels, hostname
from fleetpatch.simulate.packagedata import DEBIAN_12

# Most hosts sit at a low patch level; few are fully patched (the fleet is behind, on purpose).
LEVEL_WEIGHTS = (0.34, 0.22, 0.15, 0.1, 0.07, 0.05, 0.04, 0.03)
PENDING_REBOOT_SHARE = 0.3  # of hosts with a newer kernel installed than they booted
STALE_SHARE = 0.015
COLLECTOR = {
    Kind.K8S: "k8s",
    Kind.DB: "ssh",
    Kind.STATELESS: "aws",
    Kind.METAL: "ssh",
    Kind.UNCLASSIFIED: "local",
}


@dataclass(frozen=True, slots=True)
class _Boot:
    boot_time: datetime
    running: str
    reboot: RebootEvidence


def generate_fleet(
    count: int, *, seed: int, now: datetime, images: int = 300
) -> Iterator[HostReport]:
    """`count` host reports, deterministic for (count, seed, now, images)."""
    if count < 0 or images < 1:
        raise InputError("a fleet needs count >= 0 and images >= 1")
    if now.tzinfo is None:
        raise InputError("now must be timezone-aware")
    now = now.astimezone(UTC)
    specs = plan_images(seed, images, now)
    by_kind = {k: [s for s in specs if s.kind is k] for k in Kind}
    sets: dict[tuple[int, int], PackageSet] = {}
    for index, (kind, ordinal) in enumerate(interleave(kind_counts(count))):
        rng = random.Random(f"{seed}:host:{index}")
        image = _pick_image(rng, by_kind[kind])
        level = rng.choices(range(PATCH_LEVELS), LEVEL_WEIGHTS)[0]
        if _longest_up(kind, ordinal):  # patched on disk long ago, never rebooted since
            level = PATCH_LEVELS - 1
        key = (image.index, level)
        if key not in sets:
            sets[key] = build_package_set(image, level)
        yield _report(rng, kind, ordinal, image, sets[key], now)


def _pick_image(rng: random.Random, candidates: list[ImageSpec]) -> ImageSpec:
    """A few images carry most hosts of a kind (Zipf-like), as golden images do."""
    weights = [1.0 / (rank + 1) ** 1.4 for rank in range(len(candidates))]
    return rng.choices(candidates, weights)[0]


def _report(
    rng: random.Random, kind: Kind, ordinal: int, image: ImageSpec, pset: PackageSet, now: datetime
) -> HostReport:
    collected = _collected_at(rng, now)
    boot = _boot(rng, kind, ordinal, image, pset, collected)
    debian = image.ecosystem == DEBIAN_12
    return HostReport(
        hostname=hostname(kind, ordinal),
        collected_at=collected,
        os=_os_info(debian, pset.os_version_id),
        ecosystem=image.ecosystem,
        packages=pset.packages,
        machine_id=f"{rng.getrandbits(128):032x}",
        arch="amd64" if debian else "x86_64",
        kernel=KernelFacts(running=boot.running, installed=pset.kernels),
        boot_time=boot.boot_time,
        boot_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        reboot_required=boot.reboot,
        image=None if kind is Kind.METAL else Image(image.image_id, image.name),
        labels=host_labels(kind, ordinal, image.ecosystem),
        collector=COLLECTOR[kind],
    )


def _longest_up(kind: Kind, ordinal: int) -> bool:
    return kind is Kind.METAL and ordinal == 0


def _collected_at(rng: random.Random, now: datetime) -> datetime:
    if rng.random() < STALE_SHARE:
        return (now - timedelta(days=rng.uniform(3, 12))).replace(microsecond=0)
    return (now - timedelta(seconds=rng.uniform(0, 1800))).replace(microsecond=0)


def _boot(
    rng: random.Random,
    kind: Kind,
    ordinal: int,
    image: ImageSpec,
    pset: PackageSet,
    collected: datetime,
) -> _Boot:
    low, high = UPTIME_DAYS[kind]
    days = rng.uniform(low, high)
    if _longest_up(kind, ordinal):
        days = LONGEST_UPTIME_DAYS + rng.uniform(0, 0.5)
    boot_time = (collected - timedelta(days=days)).replace(microsecond=0)
    debian = image.ecosystem == DEBIAN_12
    pending = rng.random() < PENDING_REBOOT_SHARE or _longest_up(kind, ordinal)
    if len(pset.kernels) > 1 and pending:
        installed_at = boot_time + (collected - boot_time) * rng.uniform(0.1, 0.9)
        evidence = (
            RebootEvidence(
                True, installed_at.replace(microsecond=0), pset.newest_kernel_packages[-1:]
            )
            if debian
            else RebootEvidence()
        )
        return _Boot(boot_time, pset.kernels[0], evidence)
    if debian:
        evidence = RebootEvidence(False) if rng.random() < 0.85 else RebootEvidence()
    else:
        evidence = RebootEvidence()
    return _Boot(boot_time, pset.kernels[-1], evidence)


def _os_info(debian: bool, version_id: str) -> OsInfo:
    if debian:
        return OsInfo("debian", "12", "bookworm", "Debian GNU/Linux 12 (bookworm)")
    return OsInfo("almalinux", version_id, "", f"AlmaLinux {version_id}")


def fleet_to_ndjson(reports: Iterable[HostReport]) -> Iterator[bytes]:
    """One JSON line per report (`fleetpatch ingest` reads this), in the wire form of the schema."""
    for report in reports:
        yield json.dumps(report_to_dict(report), separators=(",", ":")).encode() + b"\n"
