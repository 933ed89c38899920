"""From located YAML data to a `Policy`, collecting every problem on the way (pure).

Each owner, bucket and baseline is validated on its own, so one bad bucket does not hide the
problems of the next. Cross-references are checked after: owner and bucket names unique, every
bucket's owner and `depends` team exists, one baseline per package and ecosystem, every pinned
baseline names an ecosystem its version is valid in (`pins`). Nothing is returned unless there
are no problems at all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError

from fleetpatch.policy.pins import pin_problems
from fleetpatch.policy.problems import did_you_mean, problems_from
from fleetpatch.policy.records import (
    AntiAffinity,
    Baseline,
    Blackout,
    Blocker,
    Bucket,
    Canaries,
    Contacts,
    Defaults,
    Gate,
    IncidentPolicy,
    MatchRule,
    NotifierConfig,
    Owner,
    Policy,
    Sla,
    SshAccess,
    Timeouts,
    Window,
)
from fleetpatch.policy.schema import (
    BaselineModel,
    BlackoutModel,
    BucketModel,
    DefaultsModel,
    IncidentsModel,
    NotifierModel,
    OwnerModel,
    SlaModel,
    SshModel,
    TopModel,
    WindowModel,
)
from fleetpatch.policy.values import show
from fleetpatch.policy.yamldoc import FieldPath, Located, Problem, format_path

M = TypeVar("M", bound=BaseModel)
DAY = 86400
_INIT_HINT = " (`fleetpatch init` writes an example)"


class PolicyBuilder:
    """Validates one document; `build()` returns the policy, or None and fills `problems`."""

    def __init__(self, doc: Located) -> None:
        self.doc = doc
        self.problems: list[Problem] = list(doc.problems)

    def build(self) -> Policy | None:
        data = self.doc.data
        if not isinstance(data, dict):
            what = "empty" if data is None else f"{show(data)}"
            self.problem(
                (), f"the policy is {what}: expected a mapping with owners and buckets{_INIT_HINT}"
            )
            return None
        # `x-…` keys are free, as in Compose files: a place for YAML anchors to reuse.
        self.validate(TopModel, {k: v for k, v in data.items() if not k.startswith("x-")}, ())
        owner_names = self.owner_names(data.get("owners"))
        owners = self.section(data.get("owners"), ("owners",), OwnerModel, "name")
        defaults = self.validate(DefaultsModel, data.get("defaults") or {}, ("defaults",))
        buckets = self.buckets(data.get("buckets"))
        baselines = self.section(data.get("baselines"), ("baselines",), BaselineModel, "package")
        blackouts = self.section(data.get("blackouts"), ("blackouts",), BlackoutModel, "reason")
        notifiers = self.section(data.get("notifiers"), ("notifiers",), NotifierModel, "name")
        self.check_names(data.get("notifiers"), ("notifiers",), "notifier")
        self.check_names(data.get("owners"), ("owners",), "owner")
        self.check_names(data.get("buckets"), ("buckets",), "bucket")
        if owner_names is not None:
            self.check_references(data.get("buckets"), owner_names)
            self.check_baseline_owners(baselines, defaults, owner_names)
        self.check_baselines(baselines, data.get("baselines"))
        incidents = self.incidents(data.get("incidents"), [m for _, m in notifiers])
        if self.problems or defaults is None or incidents is None:
            return None
        default_sla = to_sla(defaults.sla, Sla())
        return Policy(
            owners=tuple(to_owner(m) for _, m in owners),
            buckets=tuple(to_bucket(m, default_sla) for _, m in buckets),
            baselines=tuple(
                to_baseline(m, defaults.soak_days, defaults.baseline_owner) for _, m in baselines
            ),
            defaults=Defaults(
                sla=default_sla,
                soak_days=defaults.soak_days,
                baseline_owner=defaults.baseline_owner,
            ),
            blackouts=tuple(to_blackout(m) for _, m in blackouts),
            notifiers=tuple(to_notifier(m) for _, m in notifiers),
            incidents=incidents,
        )

    def incidents(self, data: Any, notifiers: list[NotifierModel]) -> IncidentPolicy | None:
        """The `incidents:` section; its war room must be a chat/webhook/email notifier."""
        path: FieldPath = ("incidents",)
        model = self.validate(IncidentsModel, data if data is not None else {}, path)
        if model is None:
            return None
        if model.war_room:
            kinds = {n.name: n.kind for n in notifiers}
            where = (*path, "war_room")
            if model.war_room not in kinds:
                hint = did_you_mean(model.war_room, list(kinds))
                self.problem(
                    where,
                    f"unknown notifier {model.war_room!r}{hint} (war_room names a `notifiers` "
                    "entry)",
                )
                return None
            if kinds[model.war_room] == "pagerduty":
                self.problem(
                    where,
                    f"notifier {model.war_room!r} is pagerduty: the war room is a chat channel, "
                    "webhook or e-mail notifier",
                )
                return None
        return IncidentPolicy(
            auto_open=model.auto_open,
            deadline_seconds=model.deadline,
            status_every_seconds=model.status_every,
            war_room=model.war_room,
            page_owners=model.page_owners,
        )

    def problem(self, path: FieldPath, message: str) -> None:
        self.problems.append(Problem(path, self.doc.line(path), message))

    def validate(self, model: type[M], data: Any, path: FieldPath) -> M | None:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            self.problems.extend(problems_from(exc, model, path, self.doc))
            return None

    def section(
        self, data: Any, path: FieldPath, model: type[M], key: str
    ) -> list[tuple[FieldPath, M]]:
        """A list of items, or a mapping whose keys fill each item's `key` field."""
        if data is None:
            return []
        if isinstance(data, list):
            items = [((*path, i), item) for i, item in enumerate(data)]
        elif isinstance(data, dict):
            items = [((*path, k), self.keyed(v, key, k, (*path, k))) for k, v in data.items()]
        else:
            self.problem(path, f"expected a mapping or a list, got {show(data)}")
            return []
        validated = [(p, self.validate(model, item, p)) for p, item in items]
        return [(p, m) for p, m in validated if m is not None]

    def keyed(self, value: Any, key: str, name: str, path: FieldPath) -> Any:
        """The map form: `name: {...}` (or `package: version` for baselines) as one item."""
        if value is None:
            return {key: name}
        if key == "package" and isinstance(value, str):
            return {key: name, "version": value}
        if key == "package" and not isinstance(value, dict):
            self.problem(
                path, f"expected a version string or a mapping, got {show(value)}; quote it"
            )
            return {key: name}
        if isinstance(value, dict):
            if key in value:
                self.problem((*path, key), f"{key} comes from the mapping key; remove it here")
            return {**value, key: name}
        return value

    def buckets(self, data: Any) -> list[tuple[FieldPath, BucketModel]]:
        if data is None:
            return []
        if not isinstance(data, list):
            self.problem(("buckets",), f"expected a list of buckets, got {show(data)}")
            return []
        if not data:
            self.problem(("buckets",), "needs at least one bucket")
        return self.section(data, ("buckets",), BucketModel, "name")

    def owner_names(self, data: Any) -> set[str] | None:
        """Every owner named in the file, valid or not, so a bad owner is reported only once.

        None when the owners section is missing or malformed: that is reported already, and
        calling every bucket's owner unknown would bury it.
        """
        if isinstance(data, dict):
            return set(data)
        if isinstance(data, list):
            return {name for _, name in _named(data, "name")}
        return None

    def check_names(self, data: Any, section: FieldPath, what: str) -> None:
        """Names unique within a list section, checked on the raw items so none is missed."""
        first: dict[str, FieldPath] = {}
        for i, name in _named(data, "name"):
            path = (*section, i, "name")
            if name in first:
                where = f"{format_path(first[name][:-1])}, line {self.doc.line(first[name])}"
                self.problem(path, f"duplicate {what} name {name!r} (first at {where})")
            first.setdefault(name, path)

    def check_references(self, buckets: Any, owners: set[str]) -> None:
        for i, owner in _named(buckets, "owner"):
            if owner not in owners:
                hint = did_you_mean(owner, owners)
                self.problem(("buckets", i, "owner"), f"unknown owner {owner!r}{hint}")
        for i, bucket in enumerate(buckets if isinstance(buckets, list) else []):
            teams = bucket.get("depends") if isinstance(bucket, dict) else None
            for j, team in enumerate(teams if isinstance(teams, list) else []):
                if isinstance(team, str) and team not in owners:
                    hint = did_you_mean(team, owners)
                    self.problem(("buckets", i, "depends", j), f"unknown team {team!r}{hint}")

    def check_baseline_owners(
        self,
        baselines: list[tuple[FieldPath, BaselineModel]],
        defaults: DefaultsModel | None,
        owners: set[str],
    ) -> None:
        """The team that owns a level must be one of the policy's owners."""
        if defaults is not None and defaults.baseline_owner not in ("", *owners):
            hint = did_you_mean(defaults.baseline_owner, owners)
            self.problem(
                ("defaults", "baseline_owner"),
                f"unknown owner {defaults.baseline_owner!r}{hint}",
            )
        for path, baseline in baselines:
            if baseline.owner and baseline.owner not in owners:
                hint = did_you_mean(baseline.owner, owners)
                self.problem((*path, "owner"), f"unknown owner {baseline.owner!r}{hint}")

    def check_baselines(self, baselines: list[tuple[FieldPath, BaselineModel]], raw: Any) -> None:
        first: dict[tuple[str, str], FieldPath] = {}
        for path, baseline in baselines:
            short = isinstance(raw, dict) and isinstance(raw.get(path[-1]), str)
            for name, message in pin_problems(baseline, short_form=short):
                self.problem((*path, name), message)
            key = (baseline.package, baseline.ecosystem)
            if key in first:
                where = f"{format_path(first[key])}, line {self.doc.line(first[key])}"
                scope = f" in {baseline.ecosystem}" if baseline.ecosystem else ""
                self.problem(path, f"second baseline for {baseline.package!r}{scope} ({where})")
            first.setdefault(key, path)


def _named(items: Any, key: str) -> list[tuple[int, str]]:
    """`(index, value)` for each raw list item whose `key` is a string."""
    if not isinstance(items, list):
        return []
    found = [(i, item.get(key)) for i, item in enumerate(items) if isinstance(item, dict)]
    return [(i, value) for i, value in found if isinstance(value, str)]


def to_sla(model: SlaModel, fallback: Sla) -> Sla:
    return Sla(
        max_days_behind=_pick(model.max_days_behind, fallback.max_days_behind),
        max_uptime_days=_pick(model.max_uptime_days, fallback.max_uptime_days),
        stale_after_days=(
            fallback.stale_after_days if model.stale_after is None else model.stale_after / DAY
        ),
    )


def _pick(value: int | None, fallback: int) -> int:
    return fallback if value is None else value


def to_owner(model: OwnerModel) -> Owner:
    c = model.contacts
    return Owner(model.name, Contacts(chat=c.chat, pager_key=c.pager_key, email=c.email))


def to_bucket(model: BucketModel, default_sla: Sla) -> Bucket:
    return Bucket(
        name=model.name,
        owner=model.owner,
        strategy=model.strategy,
        windows=tuple(to_window(w) for w in model.windows),
        concurrency=model.max_concurrency,
        gates=tuple(Gate(g.name, tuple(g.command), g.timeout, g.phase) for g in model.gates),
        reboot_timeout_seconds=model.reboot_timeout,
        sla=to_sla(model.sla, default_sla),
        runbook=model.runbook,
        match=tuple(
            MatchRule(
                labels=dict(r.labels),
                hostname=r.hostname,
                hostname_regex=r.hostname_regex,
                ecosystem=r.ecosystem,
                image_prefix=r.image_prefix,
                collector=r.collector,
            )
            for r in model.match
        ),
        exclusive=model.exclusive,
        announce_days=model.announce_days,
        description=model.description,
        depends=tuple(model.depends),
        blackouts=tuple(to_blackout(b) for b in model.blackouts),
        anti_affinity=AntiAffinity(model.group_by, model.max_per_group),
        canaries=Canaries(model.canaries.count, dict(model.canaries.labels)),
        step_seconds=dict(model.step_durations),
        failure_rate=model.failure_rate,
        executor=model.executor,
        steps={name: tuple(argv) for name, argv in model.steps.items()},
        max_errors=model.max_errors,
        on_window_end=model.on_window_end,
        timeouts=Timeouts(
            upgrade=model.timeouts.upgrade,
            health=model.timeouts.health,
            verify=model.timeouts.verify,
            blocked=model.timeouts.blocked,
        ),
        on_timeout=model.on_timeout,
        blockers=tuple(
            Blocker(b.kind, tuple(b.command or ()), b.url, b.query, b.timeout)
            for b in model.blockers
        ),
        verify=model.verify,
        ssh=to_ssh(model.ssh) if model.ssh is not None else None,
        reboot_stability_seconds=model.reboot_stability,
        pre_reboot=tuple(model.pre_reboot or ()),
    )


def to_ssh(model: SshModel) -> SshAccess:
    return SshAccess(
        user=model.user,
        port=model.port,
        address=model.address,
        key_file=model.key_file,
        agent=model.agent,
        sudo=model.sudo,
        known_hosts=model.known_hosts,
        connect_timeout_seconds=model.connect_timeout,
        connect_retries=model.connect_retries,
        retry_backoff_seconds=float(model.retry_backoff),
        lock_timeout_seconds=model.lock_timeout,
        max_channels_per_host=model.max_channels_per_host,
    )


def to_window(model: WindowModel) -> Window:
    cutoff = model.cutoff or 0
    if model.rrule is not None:
        return Window("", model.duration, model.timezone, model.rrule, model.start, cutoff)
    return Window(model.cron or "", model.duration, model.timezone, cutoff_minutes=cutoff)


def to_blackout(model: BlackoutModel) -> Blackout:
    """Bounds without an offset are wall-clock times in the blackout's time zone."""
    zone = ZoneInfo(model.timezone)

    def aware(value: datetime) -> datetime:
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)

    start, end = model.bounds()
    return Blackout(aware(start), aware(end), model.reason)


def to_notifier(model: NotifierModel) -> NotifierConfig:
    return NotifierConfig(
        kind=model.kind,
        name=model.name,
        url=model.url,
        url_env=model.url_env,
        smtp_host=model.smtp_host,
        smtp_port=model.smtp_port,
        sender=model.sender,
        starttls=model.starttls,
        username=model.username,
        password_env=model.password_env,
        timeout_seconds=float(model.timeout),
        max_wait_seconds=float(model.max_wait),
        attempts=model.attempts,
        backoff_seconds=float(model.backoff),
    )


def to_baseline(model: BaselineModel, default_soak: int, default_owner: str = "") -> Baseline:
    """A pinned version does not soak; `latest` soaks its own days or the default. The level's
    owner is the baseline's, else `defaults.baseline_owner`."""
    soak = default_soak if model.soak_days is None else model.soak_days
    if model.version != "latest":
        soak = 0
    return Baseline(
        model.package, model.version, soak, model.ecosystem, model.owner or default_owner
    )
