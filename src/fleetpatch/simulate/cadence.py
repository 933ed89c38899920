"""How each demo host is patched over time: its bucket's cadence, soak lag and reboots (pure).

The cadences follow the example policy (DESIGN.md §1), in UTC:

| role | patched | lag (soak) | reboots |
| --- | --- | --- | --- |
| `k8s-node` | weekly, one seventh of the nodes each day at 03:00 (rolling) | 3 days | yes |
| `db` | weekly, Tuesday 03:00 | 21 days, growing by a day per day of history | yes |
| `stateless` | weekly, Sunday 02:00 (replaced from the latest image) | 1 day | a new instance |
| `bare-metal` | monthly, the 1st at 08:00 | 14 days | yes, except `metal-01` |
| none | never (unclassified scratch hosts) | - | - |

The database team's growing lag is the story of the demo: its days behind creep up. After a patch
a host skips the reboot now and then (one patch in twenty, drawn per host and patch), so a kernel
installed then leaves it pending until its next patch reboots it; `metal-01` has been up 412 days
and never reboots; one stateless host stops reporting nine days before `now`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fleetpatch.inventory.records import HostReport
from fleetpatch.simulate.images import unit
from fleetpatch.simulate.kinds import LONGEST_UPTIME_DAYS

WEEK = timedelta(days=7)
# First patch instants of the weekly cadences (1970-01-04 was a Sunday).
_WEEKLY_ANCHORS = {
    "k8s-node": datetime(1970, 1, 5, 3, tzinfo=UTC),
    "db": datetime(1970, 1, 6, 3, tzinfo=UTC),
    "stateless": datetime(1970, 1, 4, 2, tzinfo=UTC),
}
_LAG_DAYS = {"k8s-node": 3.0, "db": 21.0, "stateless": 1.0, "bare-metal": 14.0}
# Extra days of lag per day of history: the database team keeps deferring, so it installs nothing
# published after three weeks before the history began, and its days behind grow day by day.
DB_LAG_GROWTH = 1.0
SKIP_REBOOT_SHARE = 0.05  # of patches after which the host is not rebooted
SILENT_DAYS = 9
REBOOT_MINUTES = 10  # a patched host is back up this long after its patch starts
_REPORT_SPREAD_S = 1800


@dataclass(frozen=True, slots=True)
class HostPlan:
    """One host's life in the demo: the final report it ends with and its patch rhythm."""

    final: HostReport
    role: str | None
    cohort: int  # k8s nodes: the weekday of their rolling patch
    history_start: datetime
    seed: int
    longest_up: bool
    silent_from: datetime | None
    report_offset_s: float

    def last_patch(self, when: datetime) -> datetime | None:
        """The start of the latest patch that finished (host back up) by `when`; None: never."""
        ready = when - timedelta(minutes=REBOOT_MINUTES)
        if self.role == "bare-metal":
            return _monthly(ready)
        anchor = _WEEKLY_ANCHORS.get(self.role or "")
        if anchor is None:
            return None
        anchor += timedelta(days=self.cohort)
        return anchor + WEEK * ((ready - anchor) // WEEK)

    def lag_days(self, patch: datetime) -> float:
        lag = _LAG_DAYS.get(self.role or "", 0.0)
        if self.role == "db":
            lag += DB_LAG_GROWTH * max(0.0, (patch - self.history_start) / timedelta(days=1))
        return lag

    def patches(self, after: datetime, until: datetime) -> list[datetime]:
        """Starts of the patches later than `after` that finished by `until`, oldest first."""
        found = []
        patch = self.last_patch(until)
        while patch is not None and patch > after:
            found.append(patch)
            patch = self.last_patch(patch + timedelta(minutes=REBOOT_MINUTES, seconds=-1))
        return found[::-1]

    def reboots_after(self, patch: datetime) -> bool:
        """Whether the host was rebooted (or, stateless, replaced) at the end of this patch."""
        if self.longest_up or self.role is None:
            return False
        return unit(self.seed, self.final.hostname, patch.isoformat(), "skip") >= SKIP_REBOOT_SHARE


def _monthly(when: datetime) -> datetime:
    start = datetime(when.year, when.month, 1, 8, tzinfo=UTC)
    if start <= when:
        return start
    year, month = (when.year, when.month - 1) if when.month > 1 else (when.year - 1, 12)
    return datetime(year, month, 1, 8, tzinfo=UTC)


def plan_hosts(final: Sequence[HostReport], *, seed: int, now: datetime) -> list[HostPlan]:
    """A plan per host of the final fleet, deterministic for (fleet, seed, now)."""
    start = now - timedelta(days=90)
    stateless = [r.hostname for r in final if r.labels.get("role") == "stateless"]
    silent = stateless[int(unit(seed, "silent") * len(stateless))] if stateless else None
    plans = []
    for report in final:
        role = report.labels.get("role")
        name = report.hostname
        longest = role == "bare-metal" and _uptime_days(report) >= LONGEST_UPTIME_DAYS
        plans.append(
            HostPlan(
                final=report,
                role=role,
                cohort=int(unit(seed, name, "cohort") * 7) if role == "k8s-node" else 0,
                history_start=start,
                seed=seed,
                longest_up=longest,
                silent_from=now - timedelta(days=SILENT_DAYS) if name == silent else None,
                report_offset_s=unit(seed, name, "report") * _REPORT_SPREAD_S,
            )
        )
    return plans


def _uptime_days(report: HostReport) -> float:
    if report.boot_time is None:
        return 0.0
    return (report.collected_at - report.boot_time) / timedelta(days=1)
