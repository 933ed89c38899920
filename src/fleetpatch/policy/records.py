"""The fleet policy as frozen records: owners, buckets, windows, gates, SLAs, baselines.

`fleet.yaml` is validated at the edge (see `loader.py`) and turned into these. Everything else in
fleetpatch reads the policy only through these records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Strategy = Literal["rolling-reboot", "in-place-gated", "replace", "manual"]
STRATEGIES: tuple[Strategy, ...] = ("rolling-reboot", "in-place-gated", "replace", "manual")
Executor = Literal["simulated", "local", "ssh"]
EXECUTORS: tuple[Executor, ...] = ("simulated", "local", "ssh")
OnWindowEnd = Literal["finish_in_flight", "abort_in_flight"]
OnTimeout = Literal["page", "skip", "block"]
Verify = Literal["report", "none"]
GatePhase = Literal["pre", "post"]
GATE_PHASES: tuple[GatePhase, ...] = ("pre", "post")
# The steps each strategy runs on a host, in order; gates run where their phase says.
STRATEGY_STEPS: Mapping[Strategy, tuple[str, ...]] = {
    "rolling-reboot": ("cordon", "drain", "upgrade", "reboot", "uncordon"),
    "in-place-gated": ("upgrade", "reboot"),
    "replace": ("launch", "health-check", "retire"),
    "manual": ("manual",),
}


@dataclass(frozen=True, slots=True)
class Contacts:
    """How to reach a team. `pager_key` names the secret (an env variable), never holds it."""

    chat: str = ""
    pager_key: str = ""
    email: str = ""


@dataclass(frozen=True, slots=True)
class Owner:
    name: str
    contacts: Contacts = field(default_factory=Contacts)


@dataclass(frozen=True, slots=True)
class Window:
    """When disruptive work may happen: a start rule, a duration and an IANA time zone.

    The start rule is a cron expression, or (when `rrule` is set, and `cron` is empty) an RFC 5545
    RRULE whose first start is `rrule_start`, a wall-clock time in `timezone`.
    """

    cron: str
    duration_minutes: int
    timezone: str = "UTC"
    rrule: str = ""
    rrule_start: datetime | None = None
    cutoff_minutes: int = 0

    @property
    def rule(self) -> str:
        """The start rule as written: the cron expression or `RRULE:…`."""
        return f"RRULE:{self.rrule}" if self.rrule else self.cron


@dataclass(frozen=True, slots=True)
class Blackout:
    """A change freeze: no window opens inside `[start, end)` (aware times), for `reason`."""

    start: datetime
    end: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class AntiAffinity:
    """At most `max_per_group` hosts sharing the value of label `label` are worked on at once.

    Within a group, hosts labelled `replication: replica` go before `replication: primary`.
    An empty `label` means no grouping.
    """

    label: str = ""
    max_per_group: int = 1


@dataclass(frozen=True, slots=True)
class Canaries:
    """The first wave: hosts whose labels include `labels`, topped up to `count` by name."""

    count: int = 0
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class NotifierConfig:
    """Where announcements, run events and pages go. `url_env`/`password_env` NAME environment
    variables (secrets).

    `kind`: `webhook` (generic JSON POST), `slack` (incoming webhook) or `email` (SMTP) get
    announcements and run events; `pagerduty` (Events API v2; `url` defaults to PagerDuty's
    events endpoint) gets pages, with each team's routing key from its `pager_key` variable.
    `max_wait_seconds`: the most a Slack notifier waits in all on HTTP 429 `Retry-After`.
    `attempts`, `backoff_seconds`: how often a page is tried within one delivery, and the first
    wait between tries (doubled each time).
    """

    kind: Literal["webhook", "slack", "email", "pagerduty"]
    name: str
    url: str = ""
    url_env: str = ""
    smtp_host: str = ""
    smtp_port: int = 25
    sender: str = ""
    starttls: bool = False
    username: str = ""
    password_env: str = ""
    timeout_seconds: float = 10.0
    max_wait_seconds: float = 30.0
    attempts: int = 3
    backoff_seconds: float = 1.0


@dataclass(frozen=True, slots=True)
class Gate:
    """A named check that must pass; `command` is an argv list, never a shell string.

    `pre` gates run before a host is touched (a failure blocks it); `post` gates run after the
    upgrade and reboot (a failure marks the host failed and pages the owner).
    """

    name: str
    command: tuple[str, ...]
    timeout_seconds: int = 300
    phase: GatePhase = "pre"


@dataclass(frozen=True, slots=True)
class Concurrency:
    """At most `count` hosts at once, or `percent` of the bucket (rounded down, at least 1)."""

    count: int | None = None
    percent: float | None = None

    def limit(self, bucket_size: int) -> int:
        if self.count is not None:
            return max(1, self.count)
        if self.percent is not None:
            return max(1, int(bucket_size * self.percent / 100))
        return 1


@dataclass(frozen=True, slots=True)
class ErrorBudget:
    """How many hosts of a run may fail before it stops: `count`, or `percent` of the run's
    hosts (rounded down). The run stops at failure number `allowed + 1`; 0 stops at the first."""

    count: int | None = None
    percent: float | None = None

    def allowed(self, run_size: int) -> int:
        if self.count is not None:
            return max(0, self.count)
        if self.percent is not None:
            return max(0, int(run_size * self.percent / 100))
        return 0


@dataclass(frozen=True, slots=True)
class Blocker:
    """Something that, while it holds, keeps a run from starting a host or its disruptive step.

    `command`: an argv list; exit 0 means clear, any other exit means blocked (its output says
    why). `prometheus`: an instant `query` at `url`; any sample with a non-zero value blocks.
    """

    kind: Literal["command", "prometheus"]
    command: tuple[str, ...] = ()
    url: str = ""
    query: str = ""
    timeout_seconds: int = 30


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Deadlines of a run's waits, in seconds: `upgrade` (any non-reboot step), `health`
    (a replace strategy's health check), `verify` (the report that shows the host patched),
    `blocked` (how long a host may wait on a blocker)."""

    upgrade: int = 3600
    health: int = 900
    verify: int = 3600
    blocked: int = 3600


@dataclass(frozen=True, slots=True)
class SshAccess:
    """How the `ssh` executor reaches a bucket's hosts.

    `address` is a template (`{host}` replaced by the host's name, e.g. `{host}.db.internal`);
    a host's report labels `ssh_address` / `ssh_port` override it. Log in as `user` with
    `key_file` or the ssh-agent (`agent`); `sudo` prefixes privileged commands with `sudo -n`.
    Host keys are always checked against `known_hosts` (or the settings' default file).
    `connect_timeout`, `connect_retries` (extra attempts on transient errors, doubling backoff
    from `retry_backoff`) and `lock_timeout` (seconds to wait for a busy dpkg lock) bound waits.
    """

    user: str = "root"
    port: int = 22
    address: str = "{host}"
    key_file: str = ""
    agent: bool = False
    sudo: bool = False
    known_hosts: str = ""
    connect_timeout_seconds: int = 10
    connect_retries: int = 2
    retry_backoff_seconds: float = 1.0
    lock_timeout_seconds: int = 300
    max_channels_per_host: int = 4


@dataclass(frozen=True, slots=True)
class Sla:
    max_days_behind: int = 30
    max_uptime_days: int = 30
    stale_after_days: float = 2.0


@dataclass(frozen=True, slots=True)
class MatchRule:
    """All the given conditions must hold (AND); an empty rule matches nothing.

    `labels`: every key equals its value. `hostname`: a shell glob. `hostname_regex`: a full
    match, run by RE2 in linear time (`fleetpatch.policy.regex`).
    `ecosystem`: equals, or a prefix ending in ':' (`Debian:` matches every Debian release).
    `image_prefix`: the image id starts with it. `collector`: the report's collector kind.
    """

    labels: Mapping[str, str] = field(default_factory=dict)
    hostname: str = ""
    hostname_regex: str = ""
    ecosystem: str = ""
    image_prefix: str = ""
    collector: str = ""

    def is_empty(self) -> bool:
        return not (
            self.labels
            or self.hostname
            or self.hostname_regex
            or self.ecosystem
            or self.image_prefix
            or self.collector
        )


@dataclass(frozen=True, slots=True)
class Bucket:
    """A class of hosts with one owner, one strategy and one cadence.

    `announce_days` > 0: each window is announced that many days ahead to the owner and to the
    teams in `depends` (owner names). `exclusive`: a host this bucket claims must match no other.
    `blackouts` add to the policy-wide ones. `step_seconds` overrides the expected duration of a
    strategy step (`upgrade`, `reboot`, ...) until runs have measured it; `failure_rate` is the
    expected share of hosts whose run fails (0..1), used by forecasts.

    Runs: `executor` does the steps (`--executor` overrides it); `steps` gives the `local`
    executor's argv per strategy step; `max_errors` stops a run; `on_window_end` says whether
    in-flight hosts finish or stop before their next disruptive step when the window closes;
    every wait has a deadline (`timeouts`, `reboot_timeout_seconds`, gate timeouts) and
    `on_timeout` says what a missed one does; `blockers` are re-checked before each host and each
    disruptive step; `verify: report` waits for a report that shows the host patched and running.
    """

    name: str
    owner: str
    strategy: Strategy
    windows: tuple[Window, ...] = ()
    concurrency: Concurrency = field(default_factory=Concurrency)
    gates: tuple[Gate, ...] = ()
    reboot_timeout_seconds: int = 300
    sla: Sla = field(default_factory=Sla)
    runbook: str = ""
    match: tuple[MatchRule, ...] = ()
    exclusive: bool = False
    announce_days: int = 0
    description: str = ""
    depends: tuple[str, ...] = ()
    blackouts: tuple[Blackout, ...] = ()
    anti_affinity: AntiAffinity = field(default_factory=AntiAffinity)
    canaries: Canaries = field(default_factory=Canaries)
    step_seconds: Mapping[str, int] = field(default_factory=dict)
    failure_rate: float = 0.0
    executor: Executor | None = None
    steps: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    max_errors: ErrorBudget = field(default_factory=ErrorBudget)
    on_window_end: OnWindowEnd = "finish_in_flight"
    timeouts: Timeouts = field(default_factory=Timeouts)
    on_timeout: OnTimeout = "page"
    blockers: tuple[Blocker, ...] = ()
    verify: Verify = "report"
    ssh: SshAccess | None = None
    reboot_stability_seconds: int = 60
    pre_reboot: tuple[str, ...] = ()

    @property
    def cutoff_seconds(self) -> int:
        """No new host starts in the last `cutoff` of a window (the longest of its windows')."""
        return max((w.cutoff_minutes * 60 for w in self.windows), default=0)


@dataclass(frozen=True, slots=True)
class Baseline:
    """The canonical level of one package: a pinned version, or `latest` after a soak period.

    `ecosystem` is exact (`Debian:12`), a prefix (`Debian:`) or empty (every ecosystem). A policy
    file's pins always name one and are valid versions there (`fleetpatch.policy.pins`).
    `owner` is the team that owns the level (`defaults.baseline_owner` when the file names none).
    """

    package: str
    version: str = "latest"
    soak_days: int = 3
    ecosystem: str = ""
    owner: str = ""


@dataclass(frozen=True, slots=True)
class Defaults:
    sla: Sla = field(default_factory=Sla)
    soak_days: int = 3
    baseline_owner: str = ""
    """The team that owns a package's canonical level unless its baseline names another."""


INCIDENT_AUTO_OPEN: tuple[str, ...] = ("off", "critical", "high", "medium", "low")


@dataclass(frozen=True, slots=True)
class IncidentPolicy:
    """The critical-CVE override path (`incidents:` in the policy).

    `auto_open`: an imported advisory at or above this severity that affects a host opens an
    incident (`off`: never). `deadline_seconds`: from opening to every host patched.
    `status_every_seconds`: the status slot length. `war_room`: the notifier (not pagerduty)
    that gets the war-room posts; empty: no war room. `page_owners`: owners are paged at once
    when the incident opens (they are paged at 75 % of the deadline either way).
    """

    auto_open: str = "off"
    deadline_seconds: int = 86_400
    status_every_seconds: int = 7_200
    war_room: str = ""
    page_owners: bool = False


@dataclass(frozen=True, slots=True)
class Policy:
    owners: tuple[Owner, ...] = ()
    buckets: tuple[Bucket, ...] = ()
    baselines: tuple[Baseline, ...] = ()
    defaults: Defaults = field(default_factory=Defaults)
    source: str = ""
    blackouts: tuple[Blackout, ...] = ()
    notifiers: tuple[NotifierConfig, ...] = ()
    incidents: IncidentPolicy = field(default_factory=IncidentPolicy)

    def bucket(self, name: str) -> Bucket | None:
        return next((b for b in self.buckets if b.name == name), None)

    def owner(self, name: str) -> Owner | None:
        return next((o for o in self.owners if o.name == name), None)
