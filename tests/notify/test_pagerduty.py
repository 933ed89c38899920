"""The PagerDuty notifier against a loopback server: the Events v2 body, answers, retries."""

from __future__ import annotations

import json

import pytest
from notify_servers import http_sink
from pagerduty_shape import check_event

from fleetpatch.errors import InputError
from fleetpatch.notify import Message, NotifyError, build_notifiers, build_pagers
from fleetpatch.notify.pagerduty import PagerDutyNotifier
from fleetpatch.policy.records import Contacts, NotifierConfig, Owner

ACCEPTED = (202, json.dumps({"status": "success", "dedup_key": "k"}).encode(), {})

TRIGGER = Message(
    key="fleetpatch-0123456789abcdef01234567",
    subject="databases: db-03 failed in pre_check: pre-check: replication lag 40s",
    text="",
    team="dba",
    fields={
        "event_action": "trigger",
        "severity": "critical",
        "source": "db-03",
        "component": "pre-check",
        "group": "databases",
        "custom_details": {"run": "run-1", "host": "db-03"},
    },
)


def pager(url: str, sleeps: list[float] | None = None, **changes: object) -> PagerDutyNotifier:
    waits = sleeps if sleeps is not None else []
    return PagerDutyNotifier(
        "pd", {"dba": "R0UTINGKEY"}, url=url, timeout_seconds=5.0, sleep=waits.append, **changes
    )


def test_a_trigger_is_a_valid_events_v2_body_with_the_teams_routing_key() -> None:
    with http_sink() as sink:
        sink.answers.append(ACCEPTED)
        pager(sink.url).send(TRIGGER)
    [(path, headers, event)] = sink.requests
    assert path == "/hook/SECRET-TOKEN"
    assert headers["Content-Type"] == "application/json"
    assert check_event(event) == []
    assert event["routing_key"] == "R0UTINGKEY"
    assert event["event_action"] == "trigger"
    assert event["dedup_key"] == TRIGGER.key
    assert event["payload"] == {
        "summary": TRIGGER.subject,
        "source": "db-03",
        "severity": "critical",
        "component": "pre-check",
        "group": "databases",
        "custom_details": {"run": "run-1", "host": "db-03"},
    }


def test_a_resolve_carries_only_the_routing_key_action_and_dedup_key() -> None:
    resolve = Message(TRIGGER.key, "resolved", "", team="dba", fields={"event_action": "resolve"})
    with http_sink() as sink:
        sink.answers.append(ACCEPTED)
        pager(sink.url).send(resolve)
    [(_, _, event)] = sink.requests
    assert check_event(event) == []
    assert event == {
        "routing_key": "R0UTINGKEY",
        "event_action": "resolve",
        "dedup_key": TRIGGER.key,
    }


def test_a_long_summary_is_cut_to_1024_characters() -> None:
    long = Message(TRIGGER.key, "x" * 5000, "", team="dba", fields=TRIGGER.fields)
    with http_sink() as sink:
        sink.answers.append(ACCEPTED)
        pager(sink.url).send(long)
    [(_, _, event)] = sink.requests
    assert check_event(event) == []
    assert len(event["payload"]["summary"]) == 1024


def test_429_and_5xx_are_retried_with_backoff_and_the_same_dedup_key() -> None:
    sleeps: list[float] = []
    with http_sink() as sink:
        sink.answers += [(429, b"{}", {"Retry-After": "2"}), (503, b"busy", {}), ACCEPTED]
        pager(sink.url, sleeps, attempts=3, backoff_seconds=0.5).send(TRIGGER)
    assert len(sink.requests) == 3
    assert {e["dedup_key"] for _, _, e in sink.requests} == {TRIGGER.key}
    assert sleeps == [2.0, 1.0]  # Retry-After beat the first backoff; then 0.5 doubled


def test_retries_are_bounded_and_the_last_failure_is_retryable() -> None:
    sleeps: list[float] = []
    with http_sink() as sink:
        sink.status, sink.body = 500, b"down"
        with pytest.raises(NotifyError) as caught:
            pager(sink.url, sleeps, attempts=3, backoff_seconds=1.0).send(TRIGGER)
    assert len(sink.requests) == 3
    assert sleeps == [1.0, 2.0]
    assert caught.value.retryable
    assert "HTTP 500" in str(caught.value)


def test_400_is_permanent_and_not_retried() -> None:
    with http_sink() as sink:
        sink.status, sink.body = 400, b'{"status":"invalid event","errors":["x"]}'
        with pytest.raises(NotifyError) as caught:
            pager(sink.url, attempts=5).send(TRIGGER)
    assert len(sink.requests) == 1
    assert not caught.value.retryable
    assert caught.value.status == 400


def test_a_2xx_without_success_is_a_failure() -> None:
    with http_sink() as sink:
        sink.status, sink.body = 202, b'{"status":"queued?"}'
        with pytest.raises(NotifyError, match="not success"):
            pager(sink.url, attempts=1).send(TRIGGER)


def test_a_team_without_a_routing_key_is_a_permanent_error_naming_it() -> None:
    other = Message(TRIGGER.key, "s", "", team="platform", fields=TRIGGER.fields)
    notifier = pager("http://127.0.0.1:9/none")
    assert not notifier.accepts(other)
    with pytest.raises(NotifyError, match="team platform has no pager routing key") as caught:
        notifier.send(other)
    assert not caught.value.retryable


def test_routing_keys_come_from_the_variable_each_teams_pager_key_names() -> None:
    owners = (
        Owner("dba", Contacts(pager_key="PAGER_DBA_KEY")),
        Owner("infra", Contacts()),
    )
    configs = (NotifierConfig("pagerduty", "pd"), NotifierConfig("webhook", "h", url="http://x"))
    [pd] = build_pagers(configs, owners, {"PAGER_DBA_KEY": "abc"})
    assert pd.routing_keys == {"dba": "abc"}
    assert pd.url == "https://events.pagerduty.com/v2/enqueue"
    assert "abc" not in repr(pd)
    with pytest.raises(InputError, match="team dba: environment variable PAGER_DBA_KEY"):
        build_pagers(configs, owners, {})
    assert build_pagers(configs[1:], owners, {}) == []
    assert [n.name for n in build_notifiers(configs, {})] == ["h"]  # pages are not announcements
