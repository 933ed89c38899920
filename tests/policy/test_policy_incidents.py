"""The `incidents:` section: defaults, durations, and the war room naming a real chat notifier."""

from __future__ import annotations

import pytest

from fleetpatch.errors import PolicyError
from fleetpatch.policy.loader import parse_policy

BASE = """
owners: {dba: {}}
notifiers:
  - {name: chat, kind: webhook, url: "https://hooks.example.com/x"}
  - {name: pd, kind: pagerduty}
buckets:
  - {name: db, owner: dba, strategy: manual, windows: [{cron: "0 3 * * *", duration: 60}],
     match: [{hostname: "db-*"}]}
"""


def test_defaults_are_off_24h_and_2h() -> None:
    policy = parse_policy(BASE)
    assert policy.incidents.auto_open == "off"
    assert policy.incidents.deadline_seconds == 86_400
    assert policy.incidents.status_every_seconds == 7_200


def test_a_full_section() -> None:
    text = BASE + "incidents: {auto_open: high, deadline: 12h, status_every: 1h, war_room: chat,"
    policy = parse_policy(text + " page_owners: true}\n")
    assert policy.incidents.auto_open == "high"
    assert policy.incidents.deadline_seconds == 12 * 3600
    assert policy.incidents.war_room == "chat"
    assert policy.incidents.page_owners is True


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("{war_room: chta}", "unknown notifier 'chta' (did you mean 'chat'?)"),
        ("{war_room: pd}", "notifier 'pd' is pagerduty"),
        ("{auto_open: severe}", "auto_open"),
        ("{deadline: 2h, status_every: 3h}", "status_every is longer than the deadline"),
        ("{deadline: soon}", "invalid duration"),
    ],
)
def test_mistakes_are_one_line_each(section: str, message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(BASE + f"incidents: {section}\n")
    assert len(caught.value.problems) == 1
    assert message in caught.value.problems[0]
    assert caught.value.problems[0].startswith("fleet.yaml:")
