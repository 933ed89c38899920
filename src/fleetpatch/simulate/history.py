"""Ninety days of a demo fleet: what each host reported on each past day (pure).

The fleet of `generate_fleet` at `now` gives the hosts: names, labels, images, machine ids, and
each image's package names. This module replays how those hosts got where they are, one report
per host per day, against the demo catalog (`demo_catalog.py`), so that evaluating day by day gives
a history with a story in it:

- each host lives through its own sequence of states (`_life`), one per patch: a patch
  installs the newest version of each package published `lag` days before it (its soak time)
  and the newest kernel of then; the reboot after it boots that kernel with a new boot id and
  boot time and clears the pending reboot. A host that skips the reboot (one patch in twenty)
  keeps running its kernel, and its pending reboot keeps the time the newer kernel was first
  installed until a later patch reboots it. So the running kernel changes only with a new boot,
  boot times only move forward, and versions only move forward;
- the database team (`role=db`) keeps deferring: its lag grows a day per day, so it installs
  nothing published after three weeks before the history began, and its days behind creep up;
- on some images a few packages are held (never upgraded past what they had the day before the
  history starts), as real fleets pin things;
- `metal-01` booted 412 days ago and never reboots: its monthly patches since then are replayed,
  so it runs the kernel it booted and shows a reboot pending since the first patch that
  installed a newer one;
- one host stops reporting nine days before `now` and shows as stale;
- unclassified hosts (no `role` label) are never patched; one rebooted during the history keeps
  its kernel and gets a new boot id.

The versions are always real (from the shipped data); a host never has a version before the
catalog offered it. Package sets are memoised by (set, cutoff, kernels), so the work grows with
patch events, not with hosts x days.
"""

from __future__ import annotations

import uuid
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from fleetpatch.catalog.records import CatalogEntry
from fleetpatch.errors import InputError
from fleetpatch.inventory.records import HostReport, KernelFacts, OsInfo, Package, RebootEvidence
from fleetpatch.simulate.cadence import REBOOT_MINUTES, HostPlan, plan_hosts
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
        self._hold = self.start - timedelta(days=1)  # held packages stay as they were then
        self._sets: dict[tuple[int, datetime, tuple[int, ...]], tuple[Package, ...]] = {}
        self._lives = [
            self._life(i, plan) for i, plan in zip(self._shape_of, self.plans, strict=True)
        ]

    def days(self, every: int = 1) -> list[datetime]:
        """The evaluation times, oldest first: every `every` days from `now` back to 90 days ago."""
        if every < 1:
            raise InputError("history: every must be at least one day")
        return [self.now - timedelta(days=back) for back in range(0, HISTORY_DAYS + 1, every)][::-1]

    def reports(self, when: datetime) -> list[HostReport]:
        """What every host that still reports sent in the half hour before `when`."""
        return [
            self._report(i, plan, when)
            for i, plan in enumerate(self.plans)
            if plan.silent_from is None or when < plan.silent_from
        ]

    @property
    def distinct_sets(self) -> int:
        return len(self._sets)

    def _report(self, host: int, plan: HostPlan, when: datetime) -> HostReport:
        final = plan.final
        collected = (when - timedelta(seconds=plan.report_offset_s)).replace(microsecond=0)
        starts, states = self._lives[host]
        state = states[bisect_right(starts, collected) - 1]
        set_index = self._shape_of[host]
        shape = self._shapes[set_index]
        installed = self._installed(set_index, state.cutoff, state.kernels)
        newest = shape.kernels[state.kernels[-1]]
        return replace(
            final,
            collected_at=collected,
            packages=installed,
            kernel=KernelFacts(
                running=shape.kernels[state.running].release,
                installed=tuple(shape.kernels[k].release for k in state.kernels),
            ),
            boot_time=state.boot,
            boot_id=_boot_id(final.hostname, state.boot),
            reboot_required=_evidence(final, newest, state.pending_since),
            os=_os(final, newest),
        )

    def _life(self, set_index: int, plan: HostPlan) -> tuple[list[datetime], list[_State]]:
        """The host's states, each with the moment it begins (the first holds from the start).

        A patch upgrades the packages to what was published `lag` days before it and installs the
        newest kernel of then; the reboot after it (when there is one) boots that kernel with a new
        boot time and clears the pending reboot. Without a reboot the host keeps running its kernel
        and the pending reboot keeps the time the newer kernel was first installed.
        """
        shape = self._shapes[set_index]
        first, states = self._first_state(shape, plan)
        starts = [_BEGINNING]
        if plan.role is None:
            boot = plan.final.boot_time
            if boot is not None and states[0].boot < boot <= self.now:  # an ad-hoc reboot
                starts.append(boot + timedelta(minutes=2))
                states.append(replace(states[0], boot=boot))
            return starts, states
        for patch in plan.patches(first, self.now):
            state = states[-1]
            cutoff = max(state.cutoff, patch - timedelta(days=plan.lag_days(patch)))
            newest = max(state.kernels[-1], _newest_kernel(shape.kernels, cutoff))
            pending = state.pending_since
            if newest > state.kernels[-1] and pending is None:
                pending = patch + timedelta(minutes=3)  # /run/reboot-required written mid-upgrade
            running, boot = state.running, state.boot
            if plan.reboots_after(patch):
                running, boot, pending = newest, patch + timedelta(minutes=REBOOT_MINUTES - 2), None
            kernels = _kept(state.kernels, newest, running, debian=shape.debian)
            starts.append(patch + timedelta(minutes=REBOOT_MINUTES))
            states.append(_State(cutoff, kernels, running, boot, pending))
        return starts, states

    def _first_state(self, shape: _SetShape, plan: HostPlan) -> tuple[datetime, list[_State]]:
        """Where the host stood before the history began, and the moment its patches follow from.

        A patched host had patched and rebooted just before; `metal-01` booted 412 days ago and
        every patch since then is replayed; an unclassified host was set up before the history.
        """
        final = plan.final
        if plan.role is None:
            cutoff = self.start - timedelta(days=1)
            boot = final.boot_time
            if boot is None or boot >= self.start:
                days = 1 + 29 * unit(final.hostname, "first-boot")
                boot = (self.start - timedelta(days=days)).replace(microsecond=0)
            first = boot
        elif plan.longest_up and final.boot_time is not None:
            first = boot = final.boot_time
            before = plan.last_patch(boot) or boot
            cutoff = before - timedelta(days=plan.lag_days(before))
        else:
            first = plan.last_patch(self.start - timedelta(hours=1)) or self.start
            boot = first + timedelta(minutes=REBOOT_MINUTES - 2)
            cutoff = first - timedelta(days=plan.lag_days(first))
        newest = _newest_kernel(shape.kernels, cutoff)
        kernels = _kept((max(0, newest - 1),), newest, newest, debian=shape.debian)
        return first, [_State(cutoff, kernels, newest, boot, None)]

    def _installed(
        self, set_index: int, cutoff: datetime, kernels: tuple[int, ...]
    ) -> tuple[Package, ...]:
        """The set's packages as of `cutoff` (held ones as of the day before the history), with
        these kernels installed."""
        key = (set_index, cutoff, kernels)
        found = self._sets.get(key)
        if found is None:
            shape = self._shapes[set_index]
            chosen = [
                _choose(versions, final, self._hold if held else cutoff)
                for versions, final, held in zip(
                    shape.versions, shape.packages, shape.held, strict=True
                )
            ]
            chosen += [p for k in kernels for p in shape.kernels[k].packages]
            found = self._sets[key] = tuple(sorted(chosen))
        return found


@dataclass(frozen=True, slots=True)
class _State:
    """What a host is between two events: packages as of `cutoff`, kernels and its boot."""

    cutoff: datetime
    kernels: tuple[int, ...]  # installed, oldest first, as indexes into the set's kernels
    running: int
    boot: datetime
    pending_since: datetime | None  # when a kernel newer than the running one was installed


_BEGINNING = datetime.min.replace(tzinfo=UTC)


def _boot_id(hostname: str, boot: datetime) -> str:
    """One boot id per boot: the same boot time always gives the same id, another one another."""
    return str(uuid.UUID(int=int(unit(hostname, boot) * 2**64) << 64, version=4))


def _newest_kernel(kernels: Sequence[_Kernel], limit: datetime) -> int:
    """The index of the newest kernel published by `limit` (the oldest when none was)."""
    known = [i for i, k in enumerate(kernels) if k.seen is None or k.seen <= limit]
    return known[-1] if known else 0


def _kept(
    installed: tuple[int, ...], newest: int, running: int, *, debian: bool
) -> tuple[int, ...]:
    """The kernels left installed: the running one and the newest; apt's autoremove also keeps
    the one installed before the newest, dnf only the newest and the running one."""
    have = sorted({*installed, newest})
    keep = {running, have[-1]}
    if debian and len(have) > 1:
        keep.add(have[-2])
    return tuple(sorted(keep))


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


def _evidence(final: HostReport, newest: _Kernel, since: datetime | None) -> RebootEvidence:
    """Debian's `/run/reboot-required` while a kernel upgrade is not yet booted; RPM has none."""
    if final.ecosystem != DEBIAN_12:
        return RebootEvidence()
    if since is not None:
        return RebootEvidence(True, since, tuple(p.name for p in newest.packages))
    return RebootEvidence(False)


def _os(final: HostReport, newest: _Kernel) -> OsInfo:
    if final.ecosystem == DEBIAN_12:
        return final.os
    version = alma_os_version(newest.release)
    return OsInfo("almalinux", version, "", f"AlmaLinux {version}")
