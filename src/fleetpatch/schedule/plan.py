"""The plan of a bucket's next window: which hosts, which changes, which reboots, in what order,
how long (pure). Like a Terraform plan for patching: read it before the window, diff it after.

Hosts that need work are grouped into waves. A wave runs its hosts at once and ends when the
slowest is done; waves run one after the other. Every wave respects:

- the bucket's concurrency limit (a count, or a % of the whole bucket, rounded down, at least 1);
- anti-affinity: at most `max_per_group` hosts with the same value of the `group_by` label, and
  within a group, hosts labelled `replication: replica` in earlier waves than
  `replication: primary` (a primary never goes while one of its replicas still waits);
- canaries first, in a wave of their own: hosts whose labels include the canary labels, topped
  up by name to the canary count.

Order is deterministic (by name within each rule), so the same inputs give the same plan.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta

from fleetpatch.policy.records import Bucket
from fleetpatch.schedule.steps import Step, StepHistory, host_steps, reboot_reasons
from fleetpatch.schedule.windows import Opening

REPLICATION_LABEL = "replication"


@dataclass(frozen=True, slots=True)
class PackageChange:
    name: str
    installed: str
    candidate: str
    security: bool = False


@dataclass(frozen=True, slots=True)
class PlanHost:
    """A host of the bucket as the planner sees it (from the exposure engine's evaluation)."""

    hostname: str
    labels: Mapping[str, str] = field(default_factory=dict)
    packages_to_change: tuple[PackageChange, ...] = ()
    reboot_pending: bool = False
    needs_work_reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class HostPlan:
    hostname: str
    reasons: tuple[str, ...]
    packages: tuple[PackageChange, ...]
    reboot_expected: bool
    reboot_reasons: tuple[str, ...]
    steps: tuple[Step, ...]
    canary: bool
    group: str

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.steps)


@dataclass(frozen=True, slots=True)
class Wave:
    number: int
    hosts: tuple[HostPlan, ...]
    canary: bool

    @property
    def seconds(self) -> float:
        return max((h.seconds for h in self.hosts), default=0.0)


@dataclass(frozen=True, slots=True)
class Plan:
    bucket: str
    owner: str
    strategy: str
    window: Opening | None
    bucket_size: int
    concurrency: int
    waves: tuple[Wave, ...]
    up_to_date: int

    @property
    def hosts(self) -> int:
        return sum(len(w.hosts) for w in self.waves)

    @property
    def seconds(self) -> float:
        return sum(w.seconds for w in self.waves)

    @property
    def fits(self) -> bool | None:
        """Whether the work ends inside the window (None when there is no window)."""
        if self.window is None:
            return None
        return timedelta(seconds=self.seconds) <= self.window.duration


def make_plan(
    bucket: Bucket,
    hosts: Sequence[PlanHost],
    *,
    bucket_size: int,
    window: Opening | None,
    history: StepHistory | None = None,
) -> Plan:
    """The plan for the hosts of `bucket` that need work (`hosts` may include ones that don't)."""
    pending = [h for h in hosts if h.needs_work_reasons]
    limit = bucket.concurrency.limit(max(bucket_size, len(pending)))
    plans = {h.hostname: plan_host(bucket, h, history or {}) for h in pending}
    waves = [
        Wave(i + 1, tuple(replace(plans[h.hostname], canary=canary) for h in wave), canary)
        for i, (wave, canary) in enumerate(arrange_waves(bucket, pending, limit))
    ]
    return Plan(
        bucket=bucket.name,
        owner=bucket.owner,
        strategy=bucket.strategy,
        window=window,
        bucket_size=bucket_size,
        concurrency=limit,
        waves=tuple(waves),
        up_to_date=bucket_size - len(pending),
    )


def plan_host(bucket: Bucket, host: PlanHost, history: StepHistory) -> HostPlan:
    names = [p.name for p in host.packages_to_change]
    why_reboot = reboot_reasons(names, pending=host.reboot_pending)
    # A replaced host is rebuilt from its image: it never reboots in place.
    reboot = bool(why_reboot) and bucket.strategy != "replace"
    return HostPlan(
        hostname=host.hostname,
        reasons=host.needs_work_reasons,
        packages=host.packages_to_change,
        reboot_expected=reboot,
        reboot_reasons=why_reboot if reboot else (),
        steps=host_steps(bucket, reboot=reboot, history=history),
        canary=False,
        group=group_of(bucket, host),
    )


def arrange_waves(
    bucket: Bucket, hosts: Sequence[PlanHost], limit: int
) -> list[tuple[list[PlanHost], bool]]:
    """Waves as (hosts, is_canary_wave), honouring the limit, anti-affinity and canaries."""
    first = canaries(bucket, hosts)
    chosen = {h.hostname for h in first}
    rest = sorted((h for h in hosts if h.hostname not in chosen), key=_order)
    waves: list[tuple[list[PlanHost], bool]] = []
    done: set[str] = set()
    for group, canary in ((sorted(first, key=_order), True), (rest, False)):
        remaining = list(group)
        while remaining:
            wave = _next_wave(bucket, remaining, limit, done, hosts)
            waves.append((wave, canary))
            done |= {h.hostname for h in wave}
            remaining = [h for h in remaining if h.hostname not in done]
    return waves


def _next_wave(
    bucket: Bucket,
    remaining: Sequence[PlanHost],
    limit: int,
    done: set[str],
    everyone: Sequence[PlanHost],
) -> list[PlanHost]:
    wave: list[PlanHost] = []
    per_group: dict[str, int] = {}
    for host in remaining:
        group = group_of(bucket, host)
        if len(wave) >= limit:
            break
        if group and per_group.get(group, 0) >= bucket.anti_affinity.max_per_group:
            continue
        if group and _is_primary(host) and _replicas_waiting(bucket, group, done, everyone):
            continue
        wave.append(host)
        per_group[group] = per_group.get(group, 0) + 1
    if not wave:  # only primaries whose replicas are elsewhere: never stall
        wave.append(remaining[0])
    return wave


def _replicas_waiting(
    bucket: Bucket, group: str, done: set[str], everyone: Sequence[PlanHost]
) -> bool:
    return any(
        group_of(bucket, h) == group and _is_replica(h) and h.hostname not in done for h in everyone
    )


def canaries(bucket: Bucket, hosts: Sequence[PlanHost]) -> list[PlanHost]:
    """Labelled canaries, topped up by name to `count` (none when the count is 0)."""
    spec = bucket.canaries
    if spec.count <= 0:
        return []
    labelled = [
        h
        for h in hosts
        if spec.labels and all(h.labels.get(k) == v for k, v in spec.labels.items())
    ]
    chosen = sorted(labelled, key=lambda h: h.hostname)[: spec.count]
    names = {h.hostname for h in chosen}
    others = sorted((h for h in hosts if h.hostname not in names), key=lambda h: h.hostname)
    return chosen + others[: max(0, spec.count - len(chosen))]


def group_of(bucket: Bucket, host: PlanHost) -> str:
    label = bucket.anti_affinity.label
    return host.labels.get(label, "") if label else ""


def _is_primary(host: PlanHost) -> bool:
    return host.labels.get(REPLICATION_LABEL) == "primary"


def _is_replica(host: PlanHost) -> bool:
    return host.labels.get(REPLICATION_LABEL) == "replica"


def _order(host: PlanHost) -> tuple[int, str]:
    """Replicas (and unlabelled hosts) before primaries, then by name."""
    return (1 if _is_primary(host) else 0, host.hostname)
