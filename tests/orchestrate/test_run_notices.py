"""Run events and pages from the engine to real loopback servers: what the owner is told, once,
and what a crash between claiming and sending leaves behind."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "notify"))
from notify_servers import HttpSink, http_sink, smtp_sink
from pagerduty_shape import check_event

from fleetpatch.app.notices import DeliveryLimits, deliver_notices, notice_report
from fleetpatch.notify.base import Message, Notifier
from fleetpatch.notify.pagerduty import PagerDutyNotifier
from fleetpatch.notify.slack import SlackNotifier
from fleetpatch.notify.smtp import SmtpNotifier
from fleetpatch.notify.webhook import WebhookNotifier
from fleetpatch.orchestrate.engine import Engine, dedup_key
from fleetpatch.orchestrate.executors import SimulatedExecutor
from fleetpatch.orchestrate.service import cancel_run
from fleetpatch.policy.records import (
    Bucket,
    Contacts,
    NotifierConfig,
    Owner,
    Policy,
)
from fleetpatch.simulate.hostmodel import SimulatedHostModel

ACCEPTED = (202, b'{"status":"success","message":"Event processed"}', {})
STEPS = ("pre-check", "upgrade", "reboot", "post-check")
DBA = Owner("dba", Contacts(chat="#dba", pager_key="PAGER_DBA_KEY", email="dba@example.com"))
CONFIGS = (
    NotifierConfig("pagerduty", "pd"),
    NotifierConfig("slack", "chat", url="http://unused"),
    NotifierConfig("webhook", "hooks", url="http://unused"),
)


def fails_at(step: str) -> str:
    """A host name the simulated model fails at `step` (failure rate 1)."""
    model = SimulatedHostModel(seed=1, failure_rate={"db": 1.0})
    return next(f"x{i}" for i in range(500) if model.failing_step("db", f"x{i}", STEPS) == step)


def policy_of(bucket: Bucket, configs: Sequence[NotifierConfig] = CONFIGS) -> Policy:
    return Policy(buckets=(bucket,), owners=(DBA,), notifiers=tuple(configs))


@dataclass
class Sinks:
    pd: HttpSink
    chat: HttpSink
    hooks: HttpSink

    def notifiers(self, **pd: Any) -> list[Notifier]:
        return [
            PagerDutyNotifier(
                "pd", {"dba": "R0UTING"}, url=self.pd.url, sleep=lambda _: None, **pd
            ),
            SlackNotifier("chat", self.chat.url, 5.0),
            WebhookNotifier("hooks", self.hooks.url, 5.0),
        ]


@pytest.fixture
def sinks() -> Any:
    with http_sink() as pd, http_sink() as chat, http_sink() as hooks:
        pd.status, pd.body = ACCEPTED[0], ACCEPTED[1]
        yield Sinks(pd, chat, hooks)


def engine(
    kit: Any,
    policy: Policy,
    notifiers: Sequence[Notifier],
    *,
    holder: str = "w1:1:1",
    failure_rate: float = 1.0,
) -> Engine:
    model = SimulatedHostModel(seed=1, failure_rate={"db": failure_rate})
    return Engine(
        kit.store,
        policy,
        {"simulated": SimulatedExecutor(model, kit.journal)},
        clock=kit.clock,
        holder=holder,
        lease_ttl=60,
        notifiers=notifiers,
    )


def events(sink: HttpSink) -> list[str]:
    return [body["fields"]["event"] for _, _, body in sink.requests]


def test_a_failed_pre_check_gate_pages_pagerduty_exactly_once(kit: Any, sinks: Sinks) -> None:
    host = fails_at("pre-check")
    bucket = kit.bucket()
    kit.run(bucket, [host], run_id="run-gate")
    worker = engine(kit, policy_of(bucket), sinks.notifiers())
    worker.run_until_idle(max_ticks=20)
    for _ in range(3):  # later ticks, and a second worker, never page again
        worker.tick()
    engine(kit, policy_of(bucket), sinks.notifiers(), holder="w2:2:2").tick()
    [(_, _, event)] = sinks.pd.requests
    assert check_event(event) == []
    assert event["routing_key"] == "R0UTING"
    assert event["event_action"] == "trigger"
    assert event["dedup_key"] == dedup_key("run-gate", host, "pre-check")
    payload = event["payload"]
    assert (payload["source"], payload["component"], payload["group"]) == (host, "pre-check", "db")
    assert payload["severity"] == "error"
    assert payload["summary"].startswith(f"db: {host} failed in pre_check: pre-check: simulated")
    assert payload["custom_details"]["run"] == "run-gate"
    assert kit.states("run-gate") == {host: "failed"}
    assert events(sinks.hooks) == ["run.started", "wave.done", "run.stopped"]


def test_run_events_reach_webhook_slack_and_email_once_each(kit: Any, sinks: Sinks) -> None:
    bucket = kit.bucket()
    kit.run(bucket, ["a", "b", "c"], waves=[["a"], ["b", "c"]])
    with smtp_sink() as mail:
        configs = (*CONFIGS, NotifierConfig("email", "mail", smtp_host="127.0.0.1"))
        notifiers = [
            *sinks.notifiers(),
            SmtpNotifier("mail", "127.0.0.1", mail.port, "fleetpatch@example.com", 5.0),
        ]
        worker = engine(kit, policy_of(bucket, configs), notifiers, failure_rate=0.0)
        worker.run_until_idle(max_ticks=30)
        worker.tick()
    assert kit.run_state() == "finished"
    assert events(sinks.hooks) == ["run.started", "wave.done", "wave.done", "run.finished"]
    for _, headers, body in sinks.hooks.requests:
        assert headers["Idempotency-Key"] == body["key"]
        assert body["team"] == "dba"
    assert sinks.hooks.requests[1][2]["items"] == ["a: done"]
    assert sinks.hooks.requests[2][2]["fields"]["wave"] == 2
    assert [b["text"].split("\n")[0] for _, _, b in sinks.chat.requests] == [
        "#dba *db: run run-test started*",
        "#dba *db: run run-test wave 1 of 2 done*",
        "#dba *db: run run-test wave 2 of 2 done*",
        "#dba *db: run run-test finished*",
    ]
    for _, _, body in sinks.chat.requests:
        assert all(b["type"] == "section" for b in body["blocks"])
        assert all(len(b["text"]["text"]) <= 3000 for b in body["blocks"])
    subjects = [m["Subject"] for _, rcpt, m in mail.messages if rcpt == ["dba@example.com"]]
    assert subjects == [
        "db: run run-test started",
        "db: run run-test wave 1 of 2 done",
        "db: run run-test wave 2 of 2 done",
        "db: run run-test finished",
    ]
    assert sinks.pd.requests == []  # nothing failed: nobody paged


class Crash(BaseException):
    """Stands for the process dying: nothing below catches it."""


@dataclass
class Crashing:
    name: str

    def accepts(self, message: Message) -> bool:
        return True

    def send(self, message: Message) -> None:
        raise Crash(self.name)


def test_a_crash_between_claim_and_send_leaves_events_unsettled_but_resends_the_page(
    kit: Any, sinks: Sinks
) -> None:
    host = fails_at("pre-check")
    bucket = kit.bucket()
    kit.run(bucket, [host], run_id="run-crash")
    first = engine(kit, policy_of(bucket), [])  # works the run; delivers nothing
    first.run_until_idle(max_ticks=20)
    crashing = [Crashing("pd"), Crashing("chat"), Crashing("hooks")]
    for _ in range(20):  # each "process" claims one notice and dies before sending it
        try:
            deliver_notices(kit.store, crashing, holder="dead:1:1", now=kit.clock())
        except Crash:
            continue
        break
    states = {(r["channel"], r["state"]) for r in notice_report(kit.store, now=kit.clock())}
    assert states == {("pd", "claimed"), ("chat", "claimed"), ("hooks", "claimed")}
    # A new worker right after the crash: a claim this young may still be in flight.
    second = engine(kit, policy_of(bucket), sinks.notifiers(), holder="w2:2:2")
    second.tick()
    assert sinks.pd.requests == []
    kit.clock.advance(DeliveryLimits().claim_ttl + 1)
    second.tick()
    second.tick()
    [(_, _, page)] = sinks.pd.requests
    assert page["dedup_key"] == dedup_key("run-crash", host, "pre-check")
    assert sinks.chat.requests == []  # at most once: never resent on its own
    assert sinks.hooks.requests == []
    report = notice_report(kit.store, now=kit.clock(), problems_only=True)
    assert {r["channel"] for r in report} == {"chat", "hooks"}
    assert {r["state"] for r in report} == {"unsettled"}
    assert {r["event"] for r in report} == {"run.started", "wave.done", "run.stopped"}


def test_the_dedup_key_holds_across_a_failed_send_and_a_worker_restart(
    kit: Any, sinks: Sinks
) -> None:
    host = fails_at("upgrade")
    bucket = kit.bucket()
    kit.run(bucket, [host], run_id="run-retry")
    sinks.pd.answers.append((503, b"unavailable", {}))
    engine(kit, policy_of(bucket), sinks.notifiers(attempts=1)).run_until_idle(max_ticks=20)
    assert len(sinks.pd.requests) == 1
    [failed] = [r for r in notice_report(kit.store, now=kit.clock()) if r["channel"] == "pd"]
    assert failed["state"] == "failed"
    assert "HTTP 503" in failed["error"]
    restarted = engine(kit, policy_of(bucket), sinks.notifiers(), holder="w9:9:9")
    restarted.tick()
    assert len(sinks.pd.requests) == 1  # not before its backoff
    kit.clock.advance(DeliveryLimits().backoff_seconds)
    restarted.tick()
    first, again = (body for _, _, body in sinks.pd.requests)
    assert first == again
    assert again["dedup_key"] == dedup_key("run-retry", host, "upgrade")
    assert check_event(again) == []


def test_a_host_done_in_a_later_run_resolves_its_page(kit: Any, sinks: Sinks) -> None:
    host = fails_at("post-check")
    bucket = kit.bucket()
    kit.run(bucket, [host], run_id="run-1")
    engine(kit, policy_of(bucket), sinks.notifiers()).run_until_idle(max_ticks=20)
    kit.run(bucket, [host], run_id="run-2")
    worker = engine(kit, policy_of(bucket), sinks.notifiers(), failure_rate=0.0)
    worker.run_until_idle(max_ticks=20)
    worker.tick()
    trigger, resolve = (body for _, _, body in sinks.pd.requests)
    assert trigger["event_action"] == "trigger"
    assert trigger["payload"]["severity"] == "critical"  # failed after the reboot
    assert resolve == {
        "routing_key": "R0UTING",
        "event_action": "resolve",
        "dedup_key": dedup_key("run-1", host, "post-check"),
    }
    assert check_event(resolve) == []


def test_a_cancelled_run_tells_the_owner(kit: Any, sinks: Sinks) -> None:
    bucket = kit.bucket()
    kit.run(bucket, ["a", "b"], override_window=True)
    policy = policy_of(bucket)
    cancel_run(
        kit.store, "run-test", now=kit.clock(), actor="os:sre", reason="wrong bucket", policy=policy
    )
    engine(kit, policy, sinks.notifiers()).tick()
    [(_, _, body)] = sinks.hooks.requests
    assert body["fields"]["event"] == "run.stopped"
    assert body["subject"] == "db: run run-test cancelled"
    assert body["text"].startswith("cancelled by os:sre: wrong bucket")


def test_without_notifiers_in_the_policy_nothing_is_queued(kit: Any, sinks: Sinks) -> None:
    host = fails_at("pre-check")
    bucket = kit.bucket()
    kit.run(bucket, [host])
    engine(kit, replace(policy_of(bucket), notifiers=()), sinks.notifiers()).run_until_idle(
        max_ticks=20
    )
    assert notice_report(kit.store, now=kit.clock()) == []
    assert [a.action for a in kit.audit("page")] == ["page"]  # still audited
