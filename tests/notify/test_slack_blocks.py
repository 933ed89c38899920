"""Slack Block Kit against a loopback server: the block shape, the 3,000-character section
limit with a huge host list, and HTTP 429 `Retry-After` honoured within a cap."""

from __future__ import annotations

import time
from typing import Any

import pytest
from notify_servers import http_sink

from fleetpatch.notify import Message, NotifyError
from fleetpatch.notify.slack import SlackNotifier

HOSTS = tuple(
    f"db-{i:05d}.eu-west-1.internal: failed (pre-check: replication lag)" for i in range(5000)
)
RUN_STOPPED = Message(
    key="run-1/run.stopped",
    subject="databases: run run-1 stopped",
    text="every host of wave 1 failed\nhosts: failed=5000",
    team="dba",
    chat="#dba",
    items=HOSTS,
)


def check_blocks(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Block Kit rules Slack enforces on a message: at most 50 blocks, each a typed block; a
    section's text is a `mrkdwn` or `plain_text` object of 1 to 3,000 characters."""
    blocks = payload["blocks"]
    assert isinstance(payload["text"], str)
    assert payload["text"]
    assert 1 <= len(blocks) <= 50
    for block in blocks:
        assert block["type"] == "section"
        assert block["text"]["type"] in ("mrkdwn", "plain_text")
        assert 1 <= len(block["text"]["text"]) <= 3000
    return list(blocks)


def test_a_run_event_is_block_kit_sections_with_a_text_fallback() -> None:
    small = Message(
        "k",
        "databases: run run-1 started",
        "3 hosts",
        team="dba",
        chat="#dba",
        items=("db-01", "db-02", "db-<03>"),
    )
    with http_sink() as sink:
        SlackNotifier("chat", sink.url, 5.0).send(small)
    [(_, _, payload)] = sink.requests
    blocks = check_blocks(payload)
    assert [b["text"]["text"] for b in blocks] == [
        "#dba *databases: run run-1 started*",
        "3 hosts",
        "db-01\ndb-02\ndb-&lt;03&gt;",
    ]
    assert payload["text"] == "#dba *databases: run run-1 started*\n3 hosts"
    assert payload["channel"] == "#dba"


def test_a_huge_host_list_stays_within_the_section_limit_and_says_how_many_more() -> None:
    with http_sink() as sink:
        SlackNotifier("chat", sink.url, 5.0).send(RUN_STOPPED)
    [(_, _, payload)] = sink.requests
    blocks = check_blocks(payload)
    listed = [line for b in blocks[2:] for line in b["text"]["text"].split("\n")]
    assert listed[-1].startswith("… and ")
    shown = listed[:-1]
    assert shown == list(HOSTS[: len(shown)])  # in order, none cut in the middle
    assert int(listed[-1].split()[2]) == len(HOSTS) - len(shown)
    assert len(shown) > 100


def test_429_retry_after_is_honoured_then_the_message_goes_through() -> None:
    with http_sink() as sink:
        sink.answers.append((429, b"rate_limited", {"Retry-After": "1"}))
        SlackNotifier("chat", sink.url, 5.0, retry_after_cap=5.0).send(RUN_STOPPED)
    assert len(sink.requests) == 2
    assert sink.requests[0][2] == sink.requests[1][2]
    assert sink.arrived[1] - sink.arrived[0] >= 0.95  # it waited the second Slack asked for


def test_a_retry_after_over_the_cap_is_a_retryable_failure_without_waiting() -> None:
    sleeps: list[float] = []
    with http_sink() as sink:
        sink.answers.append((429, b"rate_limited", {"Retry-After": "120"}))
        notifier = SlackNotifier("chat", sink.url, 5.0, retry_after_cap=10.0, sleep=sleeps.append)
        started = time.monotonic()
        with pytest.raises(NotifyError, match="more than the 10s cap") as caught:
            notifier.send(RUN_STOPPED)
    assert time.monotonic() - started < 5
    assert sleeps == []
    assert len(sink.requests) == 1
    assert caught.value.retryable
    assert caught.value.retry_after == 120


def test_rate_limited_again_and_again_gives_up_after_the_bounded_tries() -> None:
    sleeps: list[float] = []
    with http_sink() as sink:
        sink.status, sink.body = 429, b"rate_limited"
        notifier = SlackNotifier(
            "chat", sink.url, 5.0, retry_after_cap=100.0, max_rate_limited=3, sleep=sleeps.append
        )
        with pytest.raises(NotifyError) as caught:
            notifier.send(RUN_STOPPED)
    assert len(sink.requests) == 4
    assert sleeps == [1.0, 1.0, 1.0]  # no Retry-After: one second each, within the cap
    assert caught.value.retryable
