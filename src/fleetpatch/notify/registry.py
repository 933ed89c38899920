"""From the policy's `notifiers` section to notifier objects, secrets read from `env`.

The entry point passes its environment in; nothing here reads `os.environ`. A secret variable
that is not set is an `InputError` naming the notifier and the variable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fleetpatch.errors import InputError
from fleetpatch.notify.base import Notifier
from fleetpatch.notify.slack import SlackNotifier
from fleetpatch.notify.smtp import SmtpNotifier
from fleetpatch.notify.webhook import WebhookNotifier
from fleetpatch.policy.records import NotifierConfig


def build_notifiers(configs: Sequence[NotifierConfig], env: Mapping[str, str]) -> list[Notifier]:
    return [build_notifier(config, env) for config in configs]


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
        return SlackNotifier(config.name, url, config.timeout_seconds)
    return WebhookNotifier(config.name, url, config.timeout_seconds)


def _secret(config: NotifierConfig, variable: str, env: Mapping[str, str]) -> str:
    value = env.get(variable, "")
    if not value:
        raise InputError(
            f"notifier {config.name}: environment variable {variable} is not set "
            "(it holds the secret; see the policy's notifiers section)"
        )
    return value
