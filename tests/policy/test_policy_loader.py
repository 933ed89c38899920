"""A valid fleet.yaml becomes the records the rest of fleetpatch reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleetpatch.errors import InputError, PolicyError
from fleetpatch.policy.loader import load_policy, parse_policy
from fleetpatch.policy.records import Baseline, Concurrency, Contacts, Gate, Owner, Sla, Window

LIST_FORM = """\
owners:
  - name: sre
    contacts: {chat: "#sre", pager_key: PAGER_SRE, email: sre@example.com}
  - name: app
defaults:
  sla: {max_days_behind: 10, stale_after: 1d12h}
  soak_days: 5
x-shared: &weekly
  cron: "30 1 * * sat"
  duration: 90
buckets:
  - name: web
    owner: sre
    strategy: in-place-gated
    windows:
      - *weekly
      - <<: *weekly
        timezone: America/New_York
    max_concurrency: "12.5%"
    gates:
      - name: drain
        command: "lb-ctl drain --host '{host}'"
      - name: smoke
        command: [curl, -fsS, http://localhost/health]
        timeout: 30s
        phase: post
    reboot_timeout: 2m
    sla: {max_uptime_days: 14}
    match:
      - {labels: {role: web, env: prod}, ecosystem: "Debian:"}
    depends: [app]
    announce_days: 3
baselines:
  - {package: openssl, ecosystem: "Debian:12"}
  - {package: openssl, ecosystem: "Alpine:v3.20", version: 3.3.2-r0}
  - {package: curl, soak_days: 0}
"""


def test_list_forms_defaults_and_merge_keys() -> None:
    policy = parse_policy(LIST_FORM, "p.yaml")
    assert policy.source == "p.yaml"
    assert policy.owners == (
        Owner("sre", Contacts(chat="#sre", pager_key="PAGER_SRE", email="sre@example.com")),
        Owner("app"),
    )
    web = policy.buckets[0]
    assert web.windows == (
        Window("30 1 * * sat", 90, "UTC"),
        Window("30 1 * * sat", 90, "America/New_York"),
    )
    assert web.concurrency == Concurrency(percent=12.5)
    assert web.concurrency.limit(40) == 5
    assert web.gates == (
        Gate("drain", ("lb-ctl", "drain", "--host", "{host}"), 300, "pre"),
        Gate("smoke", ("curl", "-fsS", "http://localhost/health"), 30, "post"),
    )
    assert web.reboot_timeout_seconds == 120
    assert web.sla == Sla(max_days_behind=10, max_uptime_days=14, stale_after_days=1.5)
    assert policy.defaults.sla == Sla(max_days_behind=10, max_uptime_days=30, stale_after_days=1.5)
    assert web.match[0].labels == {"role": "web", "env": "prod"}
    assert web.match[0].ecosystem == "Debian:"
    assert (web.depends, web.announce_days) == (("app",), 3)
    assert policy.baselines == (
        Baseline("openssl", "latest", 5, "Debian:12"),
        Baseline("openssl", "3.3.2-r0", 0, "Alpine:v3.20"),
        Baseline("curl", "latest", 0, ""),
    )


def test_unknown_top_level_key_is_an_error_unless_it_starts_with_x() -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(LIST_FORM.replace("x-shared", "shared"))
    assert caught.value.problems == [
        "fleet.yaml:8: shared: unknown key "
        "(known: baselines, blackouts, buckets, defaults, incidents, notifiers, owners, version)"
    ]


def test_second_baseline_for_the_same_package_and_ecosystem() -> None:
    text = LIST_FORM.replace("version: 3.3.2-r0}", "version: 3.3.2-r0}\n  - {package: curl}")
    with pytest.raises(PolicyError) as caught:
        parse_policy(text)
    assert caught.value.problems == [
        "fleet.yaml:37: baselines[3]: second baseline for 'curl' (baselines[2], line 36)"
    ]


def test_load_policy_reads_the_file_and_names_it(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text(LIST_FORM, encoding="utf-8")
    assert load_policy(path).source == str(path)
    path.write_text("owners: {}\nbuckets: []\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=rf"^{path}:2: buckets: needs at least one bucket$"):
        load_policy(path)


def test_missing_file_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope\.yaml: no such policy file; run `fleetpatch init`"):
        load_policy(tmp_path / "nope.yaml")


def test_unreadable_inputs_are_input_errors(tmp_path: Path) -> None:
    (tmp_path / "latin1.yaml").write_bytes(b"owners: {caf\xe9: {}}\n")
    with pytest.raises(InputError, match="not UTF-8 text"):
        load_policy(tmp_path / "latin1.yaml")
    with pytest.raises(InputError, match="cannot read"):
        load_policy(tmp_path)


PAGER_POLICY = """\
owners:
  sre: {contacts: {pager_key: PAGER_SRE}}
notifiers:
  - {name: pd, kind: pagerduty, timeout: 5s, attempts: 4, backoff: 2s, max_wait: 1m}
  - {name: pd-eu, kind: pagerduty, url: "https://events.eu.pagerduty.com/v2/enqueue"}
  - {name: chat, kind: slack, url_env: SLACK_URL, max_wait: 20s}
buckets:
  - name: web
    owner: sre
    strategy: rolling-reboot
    windows: [{cron: "0 3 * * *", duration: 60}]
    match: [{hostname: "web-*"}]
"""


def test_pagerduty_notifiers_and_their_retry_settings() -> None:
    policy = parse_policy(PAGER_POLICY, "fleet.yaml")
    pd, eu, chat = policy.notifiers
    assert (pd.kind, pd.url, pd.timeout_seconds) == ("pagerduty", "", 5.0)
    assert (pd.attempts, pd.backoff_seconds, pd.max_wait_seconds) == (4, 2.0, 60.0)
    assert eu.url == "https://events.eu.pagerduty.com/v2/enqueue"
    assert (chat.kind, chat.max_wait_seconds) == ("slack", 20.0)


def test_a_pagerduty_notifier_with_both_url_and_url_env_is_refused() -> None:
    bad = PAGER_POLICY.replace(
        "kind: pagerduty, timeout",
        'kind: pagerduty, url_env: PD, url: "https://x.example.com", timeout',
    )
    with pytest.raises(PolicyError, match="url or url_env, not both"):
        parse_policy(bad, "fleet.yaml")
