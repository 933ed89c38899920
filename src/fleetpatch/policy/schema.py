"""The shape of `fleet.yaml` as Pydantic models: the edge where untrusted YAML becomes typed.

Models are strict (`1` is not a string, `"5"` is not a number) and forbid unknown keys, so a typo
is an error rather than a silently ignored setting. The loader validates each owner, bucket and
baseline separately so that every problem is found in one pass, then turns the models into the
frozen records of `records.py`. See `loader.py` for the documented file format.
"""

from __future__ import annotations

import shlex
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from fleetpatch.policy import values
from fleetpatch.policy.problems import did_you_mean
from fleetpatch.policy.records import STRATEGIES, Concurrency, Strategy


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


Name = Annotated[str, AfterValidator(values.check_name)]
Duration = Annotated[int, BeforeValidator(values.parse_duration)]
WindowMinutes = Annotated[int, BeforeValidator(values.parse_window_minutes)]
Cron = Annotated[str, AfterValidator(values.check_cron)]
TimeZone = Annotated[str, AfterValidator(values.check_timezone)]
Regex = Annotated[str, AfterValidator(values.check_regex)]
Argv = Annotated[list[str], BeforeValidator(_argv)]
MaxConcurrency = Annotated[Concurrency, BeforeValidator(values.parse_concurrency)]
Url = Annotated[str, AfterValidator(values.check_url)]
StrategyName = Annotated[Strategy, BeforeValidator(_strategy)]
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
    cron: Cron
    duration: WindowMinutes
    timezone: TimeZone = "UTC"


class GateModel(Model):
    name: Name
    command: Argv
    timeout: Duration = 300
    phase: Literal["pre", "post"] = "pre"


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

    @model_validator(mode="after")
    def _soak_only_for_latest(self) -> BaselineModel:
        if self.soak_days is not None and self.version != "latest":
            raise ValueError("soak_days applies only to version 'latest', not to a pinned version")
        return self


class DefaultsModel(Model):
    sla: SlaModel = SlaModel()
    soak_days: NonNegativeInt = 3


class TopModel(Model):
    """The top level; each section is validated on its own by the loader."""

    version: Literal[1] = 1
    owners: Any
    buckets: Any
    baselines: Any = None
    defaults: Any = None
