"""Each notifier against a real server on loopback: what arrives, and how failures surface."""

from __future__ import annotations

import pytest
from notify_servers import free_port, http_sink, smtp_sink

from fleetpatch.errors import InputError
from fleetpatch.notify import Message, NotifyError, RecordingNotifier, build_notifiers
from fleetpatch.notify.slack import SlackNotifier
from fleetpatch.notify.smtp import SmtpNotifier
from fleetpatch.notify.webhook import WebhookNotifier
from fleetpatch.policy.records import NotifierConfig

MESSAGE = Message(
    key="bare-metal/20261201T080000Z",
    subject="bare-metal: patch window Tue 2026-12-01 09:00-17:00 Europe/Berlin",
    text="Owner colo-ops. Hosts <metal-01> & co. may reboot.",
    team="dba",
    chat="#dba",
    email="dba@example.com",
    fields={"bucket": "bare-metal", "start": "2026-12-01T08:00:00Z"},
)


def test_webhook_posts_the_message_as_json_with_an_idempotency_key() -> None:
    with http_sink() as sink:
        WebhookNotifier("hooks", sink.url, 5.0).send(MESSAGE)
    [(path, headers, payload)] = sink.requests
    assert path == "/hook/SECRET-TOKEN"
    assert headers["Idempotency-Key"] == MESSAGE.key
    assert headers["Content-Type"] == "application/json"
    assert payload == {
        "key": MESSAGE.key,
        "subject": MESSAGE.subject,
        "text": MESSAGE.text,
        "team": "dba",
        "chat": "#dba",
        "email": "dba@example.com",
        "fields": {"bucket": "bare-metal", "start": "2026-12-01T08:00:00Z"},
        "items": [],
    }


def test_slack_gets_mrkdwn_text_escaped_and_the_channel() -> None:
    with http_sink() as sink:
        SlackNotifier("chat", sink.url, 5.0).send(MESSAGE)
    [(_, _, payload)] = sink.requests
    assert payload["channel"] == "#dba"
    assert payload["text"].startswith("#dba *bare-metal: patch window")
    assert "Hosts &lt;metal-01&gt; &amp; co." in payload["text"]


def test_an_http_error_names_the_notifier_and_host_but_not_the_secret_path() -> None:
    with http_sink() as sink:
        sink.status, sink.body = 404, b"no_service"
        with pytest.raises(NotifyError) as caught:
            SlackNotifier("chat", sink.url, 5.0).send(MESSAGE)
    assert "notifier chat (127.0.0.1:" in str(caught.value)
    assert "HTTP 404 no_service" in str(caught.value)
    assert "SECRET-TOKEN" not in str(caught.value)


def test_slack_answering_something_else_than_ok_is_a_failure() -> None:
    with http_sink() as sink:
        sink.body = b"invalid_payload"
        with pytest.raises(NotifyError, match="invalid_payload"):
            SlackNotifier("chat", sink.url, 5.0).send(MESSAGE)


def test_the_timeout_is_honoured() -> None:
    with http_sink() as sink:
        sink.delay = 5.0
        with pytest.raises(NotifyError, match="timed out"):
            WebhookNotifier("hooks", sink.url, 0.3).send(MESSAGE)


def test_a_refused_connection_is_a_notify_error() -> None:
    port = free_port()
    with pytest.raises(NotifyError, match="refused"):
        WebhookNotifier("hooks", f"http://127.0.0.1:{port}/x", 2.0).send(MESSAGE)


def test_email_is_delivered_over_smtp_with_a_stable_message_id() -> None:
    with smtp_sink() as sink:
        notifier = SmtpNotifier("mail", "127.0.0.1", sink.port, "fleetpatch@example.com", 5.0)
        notifier.send(MESSAGE)
        notifier.send(MESSAGE)
    [(sender, rcpts, mail), (_, _, again)] = sink.messages
    assert (sender, rcpts) == ("fleetpatch@example.com", ["dba@example.com"])
    assert mail["Subject"] == MESSAGE.subject
    assert mail["X-Fleetpatch-Key"] == MESSAGE.key
    assert mail["Message-ID"] == again["Message-ID"]
    assert mail.get_payload(decode=True).decode().strip() == MESSAGE.text


def test_email_needs_an_address_and_a_server() -> None:
    notifier = SmtpNotifier("mail", "127.0.0.1", 1, "fleetpatch@example.com", 1.0)
    no_mail = Message("k", "s", "t", team="app-team")
    assert not notifier.accepts(no_mail)
    with pytest.raises(NotifyError, match="no e-mail address"):
        notifier.send(no_mail)
    with pytest.raises(NotifyError, match=r"notifier mail \(127.0.0.1:1\) to dba@example.com"):
        notifier.send(MESSAGE)


def test_the_registry_reads_secrets_from_the_given_environment() -> None:
    configs = (
        NotifierConfig("slack", "chat", url_env="SLACK_URL", timeout_seconds=3.0),
        NotifierConfig("webhook", "hooks", url="https://hooks.example.com/x"),
        NotifierConfig(
            "email",
            "mail",
            smtp_host="smtp.example.com",
            sender="f@example.com",
            username="fp",
            password_env="SMTP_PASSWORD",
        ),
    )
    env = {"SLACK_URL": "https://hooks.slack.com/services/T/B/X", "SMTP_PASSWORD": "pw"}
    chat, hooks, mail = build_notifiers(configs, env)
    assert chat == SlackNotifier("chat", "https://hooks.slack.com/services/T/B/X", 3.0)
    assert hooks == WebhookNotifier("hooks", "https://hooks.example.com/x", 10.0)
    assert isinstance(mail, SmtpNotifier)
    assert mail.password == "pw"
    with pytest.raises(InputError, match="notifier chat: environment variable SLACK_URL"):
        build_notifiers(configs, {})


def test_the_recording_fake_keeps_messages_and_fails_on_demand() -> None:
    fake = RecordingNotifier(fail_next=1)
    with pytest.raises(NotifyError):
        fake.send(MESSAGE)
    fake.send(MESSAGE)
    assert fake.sent == [MESSAGE]
