"""Ninety days of a demo fleet: what each host reported on each past day (pure).

The fleet of `generate_fleet` at `now` gives the hosts: names, labels, images, machine ids, and
each image's package names. This module replays how those hosts got where they are, one report
per host per day, against the demo catalog (`demo_catalog.py`), so that evaluating day by day gives
a history with a story in it:

- every bucket patches in its own cadence (`cadence.py`): at a patch a host installs the newest
  version of each package that had been published `lag` days before (its soak time), reboots
  where its strategy reboots, and reports that from then on;
- the database team (`role=db`) keeps deferring: its lag grows a day per day, so it installs
  nothing published after three weeks before the history began, and its days behind creep up;
- on some images a few packages are held (never upgraded past what they had when the history
  starts), as real fleets pin things;
- `metal-01` has been up 412 days: patched on disk every month, never rebooted, so it shows a
  pending reboot; a few other hosts skip the reboot after their latest patch;
- one host stops reporting nine days before `now` and shows as stale;
- unclassified hosts (no `role` label) are never patched.

The versions are always real (from the shipped data); a host never has a version before the
catalog offered it. Package sets are memoised by (set, cutoff), so the work grows with patch
events, not with hosts x days.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from fleetpatch.catalog.records import CatalogEntry
from fleetpatch.errors import InputError
from fleetpatch.inventory.records import HostReport, KernelFacts, OsInfo, Package, RebootEvidence
from fleetpatch.simulate.cadence import HostPlan, plan_hosts
from fleetpatch.simulate.images import INSTALL_ONLY, alma_os_version, newest, unit
from fleetpatch.simulate.packagedata import DEBIAN_12, EcosystemData, PackageHistory

HISTORY_DAYS = 90
HOLDING_SHARE = 0.3  # of images whose hosts hold a few packages back (pinned, never upgraded)
HELD_SHARE = 0.03  # of the source groups of such an image

# The versions one package may take: (first seen, or None when unlisted, package), oldest first.
_Versions = tuple[tuple[datetime | None, Package], ...]


@dataclass(frozen=True, slots=True)
class _Kernel:
    seen: datetime | None
    release: str  # what `uname -r` prints
    packages: tuple[Package, ...]  # what installing it adds


@dataclass(frozen=True, slots=True)
class _SetShape:
    """One distinct final package set: its packages, their possible versions, held groups."""

    packages: tuple[Package, ...]  # the final set without kernel packages
    versions: tuple[_Versions, ...]  # per package, the versions it may take
    held: tuple[bool, ...]
    kernels: tuple[_Kernel, ...]  # kernels of the set's flavour, oldest first
    debian: bool


class FleetHistory:
    """Reports of a demo fleet on any day of its history; memoises package sets."""

    def __init__(
        self,
        final: Sequence[HostReport],
        catalog: Sequence[CatalogEntry],
        ecosystems: Mapping[str, EcosystemData],
        *,
        seed: int,
        now: datetime,
    ) -> None:
        self.now = now
        self.start = now - timedelta(days=HISTORY_DAYS)
        self.plans = plan_hosts(final, seed=seed, now=now)
        avail = _first_seen(catalog)
        index_of: dict[tuple[str, ...], int] = {}
        self._shapes: list[_SetShape] = []
        self._shape_of: list[int] = []
        for report in final:
            names = (report.ecosystem, _flavour(report), *(p.name for p in report.packages))
            index = index_of.get(names)
            if index is None:
                index = index_of[names] = len(self._shapes)
                data = ecosystems[report.ecosystem]
                self._shapes.append(_shape(report, data, avail, f"{seed}:set:{index}"))
            self._shape_of.append(index)
        self._sets: dict[tuple[int, datetime | None, bool], _Installed] = {}

    def days(self, every: int = 1) -> list[datetime]:
        """The evaluation times, oldest first: every `every` days from `now` back to 90 days ago."""
        if every < 1:
            raise InputError("history: every must be at least one day")
        return [self.now - timedelta(days=back) for back in range(0, HISTORY_DAYS + 1, every)][::-1]

    def reports(self, when: datetime) -> list[HostReport]:
        """What every host that still reports sent in the half hour before `when`."""
        return [
            self._report(self._shape_of[i], plan, when)
            for i, plan in enumerate(self.plans)
            if plan.silent_from is None or when < plan.silent_from
        ]

    @property
    def distinct_sets(self) -> int:
        return len(self._sets)

    def _report(self, set_index: int, plan: HostPlan, when: datetime) -> HostReport:
        final = plan.final
        collected = (when - timedelta(seconds=plan.report_offset_s)).replace(microsecond=0)
        patch = plan.last_patch(collected)
        cutoff = None if patch is None else patch - timedelta(days=plan.lag_days(patch))
        skipped = plan.skips_reboot and patch is not None
        installed = self._installed(set_index, cutoff, keep_previous=skipped)
        kernels = installed.kernels
        pending = skipped and len(kernels) > 1
        running = kernels[-2] if pending else kernels[-1]
        boot = plan.boot_time(collected, patch)
        return replace(
            final,
            collected_at=collected,
            packages=installed.packages,
            kernel=KernelFacts(
                running=running.release, installed=tuple(k.release for k in kernels)
            ),
            boot_time=boot,
            boot_id=str(uuid.UUID(int=int(unit(final.hostname, boot) * 2**64) << 64, version=4)),
            reboot_required=_evidence(final, kernels, pending, patch),
            os=_os(final, kernels[-1]),
        )

    def _installed(
        self, set_index: int, cutoff: datetime | None, *, keep_previous: bool
    ) -> _Installed:
        """Debian keeps the previous kernel installed; dnf removes it after a reboot into the new
        one (keeping it while the host still runs it)."""
        key = (set_index, cutoff, keep_previous)
        found = self._sets.get(key)
        if found is None:
            shape = self._shapes[set_index]
            kernels = _newest_kernels(shape.kernels, cutoff or self.start)
            if not keep_previous and not shape.debian:
                kernels = kernels[-1:]
            chosen = [
                _choose(versions, final, self.start if held or cutoff is None else cutoff)
                for versions, final, held in zip(
                    shape.versions, shape.packages, shape.held, strict=True
                )
            ]
            chosen += [p for k in kernels for p in k.packages]
            found = self._sets[key] = _Installed(tuple(sorted(chosen)), tuple(kernels))
        return found


@dataclass(frozen=True, slots=True)
class _Installed:
    packages: tuple[Package, ...]
    kernels: tuple[_Kernel, ...]


def _flavour(report: HostReport) -> str:
    """Which Debian kernel flavour a host runs: `cloud` on VMs, generic on bare metal."""
    running = (report.kernel.running if report.kernel else "") or ""
    return "cloud" if "-cloud-" in running else "generic"


def _first_seen(catalog: Sequence[CatalogEntry]) -> dict[tuple[str, str, str], datetime]:
    found: dict[tuple[str, str, str], datetime] = {}
    for entry in catalog:
        key = (entry.ecosystem, entry.name, entry.version)
        known = found.get(key)
        if known is None or entry.first_seen < known:
            found[key] = entry.first_seen
    return found


def _versions(
    history: PackageHistory, ecosystem: str, avail: Mapping[tuple[str, str, str], datetime]
) -> _Versions:
    """The versions a host may have: offered ones, and unlisted ones older than every offer."""
    rows: list[tuple[datetime | None, Package]] = []
    for row in history.versions:
        seen = avail.get((ecosystem, history.name, row.version))
        if seen is None and any(r[0] is not None for r in rows):
            continue  # unlisted and newer than an offer (e.g. from backports): never chosen
        rows.append((seen, _package(history, row.version, row.source_version)))
    return tuple(rows)


def _package(history: PackageHistory, version: str, source_version: str) -> Package:
    return Package(history.name, version, history.arch, history.source, source_version)


def _choose(versions: _Versions, final: Package, limit: datetime) -> Package:
    """The newest version published by `limit` (unlisted old ones always count), else the oldest."""
    chosen = versions[0][1] if versions else final
    for seen, package in versions:
        if seen is None or seen <= limit:
            chosen = package
    return chosen


def _shape(
    report: HostReport,
    data: EcosystemData,
    avail: Mapping[tuple[str, str, str], datetime],
    seed: str,
) -> _SetShape:
    by_name = data.by_name()
    kernel_names = {k.package.name for k in data.kernels} | INSTALL_ONLY
    kept = [p for p in report.packages if p.name not in kernel_names and p.name in by_name]
    holds = unit(seed, "holds") < HOLDING_SHARE
    return _SetShape(
        packages=tuple(kept),
        versions=tuple(_versions(by_name[p.name], report.ecosystem, avail) for p in kept),
        held=tuple(holds and unit(seed, by_name[p.name].group, "held") < HELD_SHARE for p in kept),
        kernels=_kernels(report, data, avail),
        debian=report.ecosystem == DEBIAN_12,
    )


def _kernels(
    report: HostReport, data: EcosystemData, avail: Mapping[tuple[str, str, str], datetime]
) -> tuple[_Kernel, ...]:
    eco = report.ecosystem
    if eco == DEBIAN_12:
        cloud = _flavour(report) == "cloud"
        return tuple(
            _Kernel(avail.get((eco, k.package.name, v.version)), k.release, (newest(k.package),))
            for k in data.kernels
            if ("-cloud-" in k.release) == cloud
            for v in k.package.versions[-1:]
        )
    by_name = data.by_name()
    names = sorted(n for n in INSTALL_ONLY if n in by_name)
    return tuple(
        _Kernel(
            avail.get((eco, "kernel-core", row.version)),
            f"{row.version}.x86_64",
            tuple(
                _package(by_name[n], row.version, row.source_version)
                for n in names
                if any(v.version == row.version for v in by_name[n].versions)
            ),
        )
        for row in by_name["kernel-core"].versions
    )


def _newest_kernels(kernels: Sequence[_Kernel], limit: datetime) -> list[_Kernel]:
    """The two newest kernels published by `limit` (the running one and the one before)."""
    known = [k for k in kernels if k.seen is None or k.seen <= limit] or list(kernels[:1])
    return known[-2:]


def _evidence(
    final: HostReport, kernels: Sequence[_Kernel], pending: bool, patch: datetime | None
) -> RebootEvidence:
    """Debian's `/run/reboot-required` after a kernel upgrade not yet booted; RPM has none."""
    if final.ecosystem != DEBIAN_12:
        return RebootEvidence()
    if pending and patch is not None:
        return RebootEvidence(True, patch, tuple(p.name for p in kernels[-1].packages))
    return RebootEvidence(False)


def _os(final: HostReport, newest: _Kernel) -> OsInfo:
    if final.ecosystem == DEBIAN_12:
        return final.os
    version = alma_os_version(newest.release)
    return OsInfo("almalinux", version, "", f"AlmaLinux {version}")
