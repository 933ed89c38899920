"""The cadence fields of fleet.yaml: RRULE windows, blackouts, anti-affinity, canaries, step
durations, failure rates and notifiers, with one-line errors for each mistake."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from fleetpatch.errors import PolicyError
from fleetpatch.policy.example import EXAMPLE_POLICY
from fleetpatch.policy.loader import parse_policy
from fleetpatch.policy.records import AntiAffinity, Blackout, Canaries, NotifierConfig, Window

POLICY = """\
owners:
  dba: {contacts: {email: dba@example.com}}
blackouts:
  - start: 2026-12-20
    end: 2027-01-03
    reason: year-end freeze
    timezone: Europe/Berlin
  - {start: "2026-11-27T00:00:00Z", end: "2026-11-30T06:00:00Z", reason: Black Friday}
notifiers:
  - {name: hooks, kind: webhook, url: "https://hooks.example.com/fleet"}
  - {name: chat, kind: slack, url_env: SLACK_WEBHOOK_URL, timeout: 5s}
  - {name: mail, kind: email, smtp_host: smtp.example.com, smtp_port: 587, sender: fp@example.com,
     starttls: true, username: fleetpatch, password_env: SMTP_PASSWORD}
buckets:
  - name: databases
    owner: dba
    strategy: in-place-gated
    windows:
      - {cron: "0 4 * * tue", duration: 2h, timezone: Europe/Paris}
      - {rrule: "FREQ=MONTHLY;BYDAY=1SA", start: 2026-01-03T09:00:00, duration: 4h,
         timezone: Europe/Paris}
    gates: [{name: pre-check, command: [db-gate, pre]}]
    blackouts:
      - {start: "2026-06-01T08:00", end: "2026-06-01T18:00", reason: migration}
    group_by: cluster
    max_per_group: 1
    canaries: {count: 1, labels: {canary: "true"}}
    step_durations: {upgrade: 15m, reboot: 4m, pre-check: 2m}
    failure_rate: 0.05
    match: [{labels: {role: db}}]
"""


def test_cadence_fields_become_records() -> None:
    policy = parse_policy(POLICY)
    berlin = ZoneInfo("Europe/Berlin")
    assert policy.blackouts == (
        Blackout(
            datetime(2026, 12, 20, tzinfo=berlin),
            datetime(2027, 1, 4, tzinfo=berlin),
            "year-end freeze",
        ),
        Blackout(
            datetime(2026, 11, 27, tzinfo=UTC),
            datetime(2026, 11, 30, 6, tzinfo=UTC),
            "Black Friday",
        ),
    )
    assert [n.name for n in policy.notifiers] == ["hooks", "chat", "mail"]
    assert policy.notifiers[1] == NotifierConfig(
        kind="slack", name="chat", url_env="SLACK_WEBHOOK_URL", timeout_seconds=5.0
    )
    assert policy.notifiers[2].smtp_port == 587
    assert policy.notifiers[2].starttls
    db = policy.buckets[0]
    assert db.windows[1] == Window(
        "", 240, "Europe/Paris", "FREQ=MONTHLY;BYDAY=1SA", datetime(2026, 1, 3, 9, 0)
    )
    assert db.windows[1].rule == "RRULE:FREQ=MONTHLY;BYDAY=1SA"
    # no offset and no time zone: UTC
    assert db.blackouts[0].start == datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    assert db.anti_affinity == AntiAffinity("cluster", 1)
    assert db.canaries == Canaries(1, {"canary": "true"})
    assert db.step_seconds == {"upgrade": 900, "reboot": 240, "pre-check": 120}
    assert db.failure_rate == 0.05


def test_the_example_policy_uses_the_cadence_fields() -> None:
    policy = parse_policy(EXAMPLE_POLICY)
    [freeze] = policy.blackouts
    assert freeze.reason == "year-end change freeze"
    assert freeze.end == datetime(2027, 1, 4, tzinfo=ZoneInfo("Europe/Berlin"))
    k8s, databases, stateless, metal = policy.buckets
    assert k8s.canaries == Canaries(1, {"canary": "true"})
    assert databases.anti_affinity == AntiAffinity("cluster", 1)
    assert (stateless.anti_affinity, metal.failure_rate) == (AntiAffinity(), 0.0)


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            '{cron: "0 4 * * tue", duration: 2h, timezone: Europe/Paris}',
            "{duration: 2h}",
            "buckets[0].windows[0]: give exactly one of cron or rrule",
        ),
        (
            "start: 2026-01-03T09:00:00, duration: 4h",
            "duration: 4h",
            "buckets[0].windows[1]: an rrule window needs `start`, like 2026-01-03T09:00",
        ),
        (
            '"FREQ=MONTHLY;BYDAY=1SA"',
            '"FREQ=FORTNIGHTLY"',
            "buckets[0].windows[1].rrule: invalid rrule 'FREQ=FORTNIGHTLY'",
        ),
        (
            "end: 2027-01-03",
            "end: 2026-12-01",
            "blackouts[0]: blackout ends before it starts",
        ),
        (
            "upgrade: 15m",
            "upgrde: 15m",
            "buckets[0]: step_durations: 'upgrde' is not a step of strategy 'in-place-gated' "
            "(did you mean 'upgrade'?)",
        ),
        ("failure_rate: 0.05", "failure_rate: 1.5", "buckets[0].failure_rate:"),
        (
            "url_env: SLACK_WEBHOOK_URL",
            "url_env: https://hooks.slack.com/services/T/B/X",
            "notifiers[1].url_env: 'https://hooks.slack.com/services/T/B/X' must name the "
            "environment variable",
        ),
        (
            "kind: slack, url_env: SLACK_WEBHOOK_URL",
            "kind: slack",
            "notifiers[1]: a slack notifier needs exactly one of url or url_env",
        ),
        (
            "smtp_host: smtp.example.com, ",
            "",
            "notifiers[2]: an email notifier needs smtp_host and sender",
        ),
    ],
)
def test_cadence_mistakes_are_one_line_problems(old: str, new: str, problem: str) -> None:
    assert old in POLICY
    with pytest.raises(PolicyError) as caught:
        parse_policy(POLICY.replace(old, new, 1))
    assert any(problem in line for line in caught.value.problems), caught.value.problems
