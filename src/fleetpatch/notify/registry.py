"""From the policy's `notifiers` section to notifier objects, secrets read from `env`.

The entry point passes its environment in; nothing here reads `os.environ`. A secret variable
that is not set is an `InputError` naming the notifier (or the team) and the variable.

`build_notifiers` gives the channels of announcements and run events (webhook, Slack, e-mail);
`build_pagers` gives the `pagerduty` ones, each with the routing key of every team whose
`pager_key` names a variable (a team that names one that is not set is an error here, at start,
rather than a page that silently goes nowhere later).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fleetpatch.errors import InputError
from fleetpatch.notify.base import Notifier
from fleetpatch.notify.pagerduty import EVENTS_URL, PagerDutyNotifier
from fleetpatch.notify.slack import SlackNotifier
from fleetpatch.notify.smtp import SmtpNotifier
from fleetpatch.notify.webhook import WebhookNotifier
from fleetpatch.policy.records import NotifierConfig, Owner


def build_notifiers(configs: Sequence[NotifierConfig], env: Mapping[str, str]) -> list[Notifier]:
    return [build_notifier(config, env) for config in configs if config.kind != "pagerduty"]


def build_pagers(
    configs: Sequence[NotifierConfig], owners: Sequence[Owner], env: Mapping[str, str]
) -> list[PagerDutyNotifier]:
    pagers = [c for c in configs if c.kind == "pagerduty"]
    if not pagers:
        return []
    keys = routing_keys(owners, env)
    return [
        PagerDutyNotifier(
            name=config.name,
            routing_keys=keys,
            url=config.url
            or (_secret(config, config.url_env, env) if config.url_env else "")
            or EVENTS_URL,
            timeout_seconds=config.timeout_seconds,
            attempts=config.attempts,
            backoff_seconds=config.backoff_seconds,
            max_backoff_seconds=config.max_wait_seconds,
        )
        for config in pagers
    ]


def routing_keys(owners: Sequence[Owner], env: Mapping[str, str]) -> dict[str, str]:
    """team -> PagerDuty routing key, for every team whose `pager_key` names a variable."""
    keys: dict[str, str] = {}
    for owner in owners:
        variable = owner.contacts.pager_key
        if not variable:
            continue
        value = env.get(variable, "")
        if not value:
            raise InputError(
                f"team {owner.name}: environment variable {variable} (its pager_key) is not set; "
                "it must hold the team's PagerDuty routing key"
            )
        keys[owner.name] = value
    return keys


def build_notifier(config: NotifierConfig, env: Mapping[str, str]) -> Notifier:
    if config.kind == "email":
        return SmtpNotifier(
            name=config.name,
            host=config.smtp_host,
            port=config.smtp_port,
            sender=config.sender,
            timeout_seconds=config.timeout_seconds,
            starttls=config.starttls,
            username=config.username,
            password=_secret(config, config.password_env, env) if config.password_env else "",
        )
    url = config.url or _secret(config, config.url_env, env)
    if config.kind == "slack":
        return SlackNotifier(
            config.name, url, config.timeout_seconds, retry_after_cap=config.max_wait_seconds
        )
    return WebhookNotifier(config.name, url, config.timeout_seconds)


def _secret(config: NotifierConfig, variable: str, env: Mapping[str, str]) -> str:
    value = env.get(variable, "")
    if not value:
        raise InputError(
            f"notifier {config.name}: environment variable {variable} is not set "
            "(it holds the secret; see the policy's notifiers section)"
        )
    return value
