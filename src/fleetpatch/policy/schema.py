"""The shape of `fleet.yaml` as Pydantic models: the edge where untrusted YAML becomes typed.

Models are strict (`1` is not a string, `"5"` is not a number) and forbid unknown keys, so a typo
is an error rather than a silently ignored setting. The loader validates each owner, bucket and
baseline separately so that every problem is found in one pass, then turns the models into the
frozen records of `records.py`. See `loader.py` for the documented file format.
"""

from __future__ import annotations

import re
import shlex
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from dateutil.rrule import rrulestr
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from fleetpatch.policy import values
from fleetpatch.policy.problems import did_you_mean
from fleetpatch.policy.records import (
    EXECUTORS,
    STRATEGIES,
    STRATEGY_STEPS,
    Concurrency,
    ErrorBudget,
    Executor,
    Strategy,
)

_ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]*")


def _argv(value: Any) -> Any:
    """A gate command: an argv list, or a string split like a shell would (never run by one)."""
    if isinstance(value, str):
        try:
            value = shlex.split(value)
        except ValueError as exc:
            raise ValueError(f"cannot split command {value!r}: {exc}") from None
    if isinstance(value, list) and not value:
        raise ValueError("command is empty")
    return value


def _strategy(value: Any) -> Any:
    if isinstance(value, str) and value not in STRATEGIES:
        hint = did_you_mean(value, STRATEGIES)
        raise ValueError(f"unknown strategy {value!r}{hint}")
    return value


def _executor(value: Any) -> Any:
    if isinstance(value, str) and value not in EXECUTORS:
        hint = did_you_mean(value, EXECUTORS)
        raise ValueError(f"unknown executor {value!r}{hint} (executors: {', '.join(EXECUTORS)})")
    return value


def _rrule(value: str) -> str:
    """An RFC 5545 RRULE value (`FREQ=MONTHLY;BYDAY=1SA`); its first start is `start`."""
    if ":" in value or "\n" in value or "DTSTART" in value.upper():
        raise ValueError(
            f"rrule {value!r}: give only the rule (like 'FREQ=MONTHLY;BYDAY=1SA'); "
            "the first start goes in `start`"
        )
    try:
        rrulestr(value, dtstart=datetime(2000, 1, 1))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"invalid rrule {value!r}: {exc}") from None
    return value


def _wall_time(value: Any) -> Any:
    """A wall-clock time without offset: `2026-01-03T09:00` (a YAML timestamp or a string)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"invalid time {value!r}: expected like '2026-01-03T09:00'") from None
    if isinstance(value, datetime) and value.tzinfo is not None:
        raise ValueError("a wall-clock time in the window's time zone: drop the UTC offset")
    return value


def _instant(value: Any) -> Any:
    """A day (`2026-12-20`) or a time (`2026-12-20T18:00`, offset optional)."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError as exc:
            why = str(exc) if "out of range" in str(exc) else ""  # e.g. 2026-02-30
            raise ValueError(
                f"invalid date {value!r}: "
                + (why or "expected like '2026-12-20' or '2026-12-20T18:00'")
            ) from None
        return parsed.date() if len(value.strip()) == 10 else parsed
    return value


def _env_name(value: str) -> str:
    if value and not _ENV_NAME.fullmatch(value):
        raise ValueError(
            f"{value!r} must name the environment variable that holds the secret "
            "(like SLACK_WEBHOOK_URL), never the secret itself"
        )
    return value


def _http_url(value: str) -> str:
    if value and not re.match(r"https?://[^/\s]+", value):
        raise ValueError(f"{value!r} must be an http(s) URL")
    return value


Name = Annotated[str, AfterValidator(values.check_name)]
Duration = Annotated[int, BeforeValidator(values.parse_duration)]
WindowMinutes = Annotated[int, BeforeValidator(values.parse_window_minutes)]
Cron = Annotated[str, AfterValidator(values.check_cron)]
TimeZone = Annotated[str, AfterValidator(values.check_timezone)]
Regex = Annotated[str, AfterValidator(values.check_regex)]
Argv = Annotated[list[str], BeforeValidator(_argv)]
MaxConcurrency = Annotated[Concurrency, BeforeValidator(values.parse_concurrency)]
MaxErrors = Annotated[ErrorBudget, BeforeValidator(values.parse_error_budget)]
Url = Annotated[str, AfterValidator(values.check_url)]
StrategyName = Annotated[Strategy, BeforeValidator(_strategy)]
ExecutorName = Annotated[Executor, BeforeValidator(_executor)]
RRule = Annotated[str, AfterValidator(_rrule)]
WallTime = Annotated[datetime, BeforeValidator(_wall_time)]
Instant = Annotated[datetime | date, BeforeValidator(_instant)]
EnvName = Annotated[str, AfterValidator(_env_name)]
HttpUrl = Annotated[str, AfterValidator(_http_url)]
Email = Annotated[str, AfterValidator(values.check_email)]
PositiveInt = Annotated[int, Field(ge=1)]
NonNegativeInt = Annotated[int, Field(ge=0)]


class Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", strict=True, frozen=True, arbitrary_types_allowed=True
    )


class ContactsModel(Model):
    chat: str = ""
    pager_key: Annotated[str, AfterValidator(values.check_pager_key)] = ""
    email: Annotated[str, AfterValidator(values.check_email)] = ""


class OwnerModel(Model):
    name: Name
    contacts: ContactsModel = ContactsModel()


class WindowModel(Model):
    """A cron start, or an RRULE with its first `start` (wall-clock time in `timezone`)."""

    cron: Cron | None = None
    rrule: RRule | None = None
    start: WallTime | None = None
    duration: WindowMinutes
    timezone: TimeZone = "UTC"
    cutoff: WindowMinutes | None = None

    @model_validator(mode="after")
    def _one_rule(self) -> WindowModel:
        if self.cutoff is not None and self.cutoff >= self.duration:
            raise ValueError("`cutoff` must be shorter than the window's `duration`")
        if (self.cron is None) == (self.rrule is None):
            raise ValueError("give exactly one of cron or rrule")
        if self.rrule is not None and self.start is None:
            raise ValueError("an rrule window needs `start`, like 2026-01-03T09:00")
        if self.cron is not None and self.start is not None:
            raise ValueError("`start` belongs to rrule windows; a cron window has none")
        return self


class BlackoutModel(Model):
    """A change freeze. A bare date `end` is inclusive: the freeze lasts to the end of that day."""

    start: Instant
    end: Instant
    reason: Annotated[str, Field(min_length=1)]
    timezone: TimeZone = "UTC"

    @model_validator(mode="after")
    def _ordered(self) -> BlackoutModel:
        start, end = self.bounds()
        if (start.tzinfo is None) == (end.tzinfo is None) and end <= start:
            raise ValueError("blackout ends before it starts")
        return self

    def bounds(self) -> tuple[datetime, datetime]:
        """`[start, end)` as times: a day starts at 00:00; an end day is included whole."""
        return _as_time(self.start, 0), _as_time(self.end, 1)


def _as_time(value: date, extra_days: int) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.combine(value + timedelta(days=extra_days), time())


class CanariesModel(Model):
    count: NonNegativeInt = 0
    labels: dict[str, str] = {}


class NotifierModel(Model):
    """Where announcements and run events go: `webhook` (JSON POST), `slack` (incoming webhook),
    `email` (SMTP); where pages go: `pagerduty` (Events API v2)."""

    name: Name
    kind: Literal["webhook", "slack", "email", "pagerduty"]
    url: HttpUrl = ""
    url_env: EnvName = ""
    smtp_host: str = ""
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = 25
    sender: Email = ""
    starttls: bool = False
    username: str = ""
    password_env: EnvName = ""
    timeout: Duration = 10
    max_wait: Duration = 30
    attempts: Annotated[int, Field(ge=1, le=10)] = 3
    backoff: Duration = 1

    @model_validator(mode="after")
    def _complete(self) -> NotifierModel:
        if self.kind == "email":
            if not (self.smtp_host and self.sender):
                raise ValueError("an email notifier needs smtp_host and sender")
        elif self.kind == "pagerduty":
            if self.url and self.url_env:
                raise ValueError("a pagerduty notifier takes url or url_env, not both")
        elif bool(self.url) == bool(self.url_env):
            raise ValueError(f"a {self.kind} notifier needs exactly one of url or url_env")
        return self


class GateModel(Model):
    name: Name
    command: Argv
    timeout: Duration = 300
    phase: Literal["pre", "post"] = "pre"


class BlockerModel(Model):
    """`kind: command` with an argv `command` (exit 0: clear), or `kind: prometheus` with `url`
    and an instant `query` (any non-zero sample: blocked)."""

    kind: Literal["command", "prometheus"]
    command: Argv | None = None
    url: HttpUrl = ""
    query: str = ""
    timeout: Duration = 30

    @model_validator(mode="after")
    def _fields(self) -> BlockerModel:
        if self.kind == "command" and not self.command:
            raise ValueError("a command blocker needs `command`, an argv list")
        if self.kind == "prometheus" and not (self.url and self.query):
            raise ValueError("a prometheus blocker needs `url` and `query`")
        return self


class TimeoutsModel(Model):
    upgrade: Duration = 3600
    health: Duration = 900
    verify: Duration = 3600
    blocked: Duration = 3600


def _address(value: str) -> str:
    if not value or any(c.isspace() for c in value) or value.startswith("-"):
        raise ValueError(f"address {value!r}: a host name or template like '{{host}}.internal'")
    return value


def _absolute(value: str) -> str:
    if value and not value.startswith(("/", "~")):
        raise ValueError(f"{value!r} must be an absolute path")
    return value


class SshModel(Model):
    """How the ssh executor logs in: `key_file` or `agent: true`, and always a known_hosts."""

    user: Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_.-]{0,31}$")] = "root"
    port: Annotated[int, Field(ge=1, le=65535)] = 22
    address: Annotated[str, AfterValidator(_address)] = "{host}"
    key_file: Annotated[str, AfterValidator(_absolute)] = ""
    agent: bool = False
    sudo: bool = False
    known_hosts: Annotated[str, AfterValidator(_absolute)] = ""
    connect_timeout: Annotated[Duration, Field(ge=1)] = 10
    connect_retries: Annotated[int, Field(ge=0, le=10)] = 2
    retry_backoff: Annotated[Duration, Field(ge=0)] = 1
    lock_timeout: Annotated[Duration, Field(ge=0)] = 300
    max_channels_per_host: Annotated[int, Field(ge=1, le=64)] = 4

    @model_validator(mode="after")
    def _auth(self) -> SshModel:
        if bool(self.key_file) == self.agent:
            raise ValueError("give exactly one of `key_file` (a private key path) or `agent: true`")
        return self


class SlaModel(Model):
    """Every field optional: a bucket's missing fields come from `defaults.sla`."""

    max_days_behind: NonNegativeInt | None = None
    max_uptime_days: PositiveInt | None = None
    stale_after: Duration | None = None


class MatchModel(Model):
    labels: dict[str, str] = {}
    hostname: str = ""
    hostname_regex: Regex = ""
    ecosystem: str = ""
    image_prefix: str = ""
    collector: str = ""

    @model_validator(mode="after")
    def _not_empty(self) -> MatchModel:
        conditions = (self.labels, self.hostname, self.hostname_regex, self.ecosystem)
        if not any(conditions) and not (self.image_prefix or self.collector):
            raise ValueError("an empty rule matches nothing; give at least one condition")
        return self


class BucketModel(Model):
    name: Name
    owner: str
    strategy: StrategyName
    description: str = ""
    windows: Annotated[list[WindowModel], Field(min_length=1)]
    max_concurrency: MaxConcurrency = Concurrency(count=1)
    gates: list[GateModel] = []
    reboot_timeout: Duration = 300
    sla: SlaModel = SlaModel()
    runbook: Url = ""
    match: Annotated[list[MatchModel], Field(min_length=1)]
    exclusive: bool = False
    announce_days: NonNegativeInt = 0
    depends: list[str] = []
    blackouts: list[BlackoutModel] = []
    group_by: str = ""
    max_per_group: PositiveInt = 1
    canaries: CanariesModel = CanariesModel()
    step_durations: dict[str, Duration] = {}
    failure_rate: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0
    executor: ExecutorName | None = None
    steps: dict[str, Argv] = {}
    max_errors: MaxErrors = ErrorBudget(count=0)
    on_window_end: Literal["finish_in_flight", "abort_in_flight"] = "finish_in_flight"
    timeouts: TimeoutsModel = TimeoutsModel()
    on_timeout: Literal["page", "skip", "block"] = "page"
    blockers: list[BlockerModel] = []
    verify: Literal["report", "none"] = "report"
    ssh: SshModel | None = None
    reboot_stability: Annotated[Duration, Field(ge=0)] = 60
    pre_reboot: Argv | None = None

    @model_validator(mode="after")
    def _ssh(self) -> BucketModel:
        if self.executor == "ssh" and self.ssh is None:
            raise ValueError(
                "executor 'ssh' needs an `ssh:` section (user, key_file or agent, known_hosts)"
            )
        return self

    @model_validator(mode="after")
    def _run_steps(self) -> BucketModel:
        own = STRATEGY_STEPS[self.strategy]
        for step, argv in self.steps.items():
            if step not in own:
                raise ValueError(
                    f"steps: {step!r} is not a step of strategy {self.strategy!r}"
                    f"{did_you_mean(step, own)} (steps: {', '.join(own)})"
                )
            if not argv:
                raise ValueError(f"steps.{step}: an empty command")
        return self

    @model_validator(mode="after")
    def _steps(self) -> BucketModel:
        known = (*STRATEGY_STEPS[self.strategy], *(g.name for g in self.gates))
        for step in self.step_durations:
            if step not in known:
                hint = did_you_mean(step, known)
                raise ValueError(
                    f"step_durations: {step!r} is not a step of strategy {self.strategy!r}{hint}"
                    f" (steps: {', '.join(known)})"
                )
        return self

    @model_validator(mode="after")
    def _gates(self) -> BucketModel:
        if self.strategy == "in-place-gated" and not self.gates:
            raise ValueError("strategy 'in-place-gated' needs at least one gate")
        names = [g.name for g in self.gates]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"duplicate gate name {', '.join(map(repr, duplicates))}")
        return self


class BaselineModel(Model):
    package: str
    version: str = "latest"
    soak_days: NonNegativeInt | None = None
    ecosystem: str = ""
    owner: str = ""

    @model_validator(mode="after")
    def _soak_only_for_latest(self) -> BaselineModel:
        if self.soak_days is not None and self.version != "latest":
            raise ValueError("soak_days applies only to version 'latest', not to a pinned version")
        return self


class DefaultsModel(Model):
    sla: SlaModel = SlaModel()
    soak_days: NonNegativeInt = 3
    baseline_owner: str = ""


class IncidentsModel(Model):
    """`incidents:` the critical-CVE override path (see `records.IncidentPolicy`)."""

    auto_open: Literal["off", "critical", "high", "medium", "low"] = "off"
    deadline: Duration = 86_400
    status_every: Duration = 7_200
    war_room: str = ""
    page_owners: bool = False

    @model_validator(mode="after")
    def _slots_fit(self) -> IncidentsModel:
        if self.status_every > self.deadline:
            raise ValueError(
                "status_every is longer than the deadline: no status would be posted before it"
            )
        return self


class TopModel(Model):
    """The top level; each section is validated on its own by the loader."""

    version: Literal[1] = 1
    owners: Any
    buckets: Any
    baselines: Any = None
    defaults: Any = None
    blackouts: Any = None
    notifiers: Any = None
    incidents: Any = None
