"""The run fields of fleet.yaml: executor, steps, max_errors, window cutoff, on_window_end,
timeouts, on_timeout, blockers and verify — with a one-line error for each mistake."""

from __future__ import annotations

import pytest

from fleetpatch.errors import PolicyError
from fleetpatch.policy.loader import parse_policy
from fleetpatch.policy.records import Blocker, ErrorBudget, Timeouts

POLICY = """\
owners:
  dba: {}
buckets:
  - name: databases
    owner: dba
    strategy: in-place-gated
    executor: local
    windows:
      - {cron: "0 4 * * tue", duration: 2h, timezone: Europe/Paris, cutoff: 30m}
    gates: [{name: pre-check, command: [patch-host.sh, --pre-check, "--host={host}"]}]
    steps:
      upgrade: [patch-host.sh, --upgrade, "{host}"]
      reboot: "patch-host.sh --reboot {host}"
    max_errors: 10%
    on_window_end: abort_in_flight
    timeouts: {upgrade: 20m, verify: 2h}
    on_timeout: block
    blockers:
      - {kind: command, command: [check-no-incident]}
      - {kind: prometheus, url: "http://127.0.0.1:9090", query: "ALERTS{severity='page'}"}
    verify: none
    match: [{hostname: "db-*"}]
"""


def test_every_run_field_reaches_the_bucket() -> None:
    (bucket,) = parse_policy(POLICY).buckets
    assert bucket.executor == "local"
    assert bucket.steps["reboot"] == ("patch-host.sh", "--reboot", "{host}")
    assert bucket.max_errors == ErrorBudget(percent=10.0)
    assert bucket.max_errors.allowed(30) == 3
    assert bucket.cutoff_seconds == 1800
    assert bucket.on_window_end == "abort_in_flight"
    assert bucket.timeouts == Timeouts(upgrade=1200, health=900, verify=7200, blocked=3600)
    assert bucket.on_timeout == "block"
    assert bucket.blockers[0] == Blocker("command", ("check-no-incident",))
    assert bucket.blockers[1].query == "ALERTS{severity='page'}"
    assert bucket.verify == "none"


def test_defaults_are_safe() -> None:
    text = POLICY.split("    executor: local\n")[0] + POLICY.split("    verify: none\n")[1]
    text = text.replace(
        "strategy: in-place-gated\n",
        "strategy: in-place-gated\n    windows:\n"
        '      - {cron: "0 4 * * tue", duration: 2h}\n    gates: '
        "[{name: pre-check, command: [x]}]\n",
    )
    (bucket,) = parse_policy(text).buckets
    assert bucket.executor is None  # no default that touches hosts
    assert bucket.max_errors.allowed(1000) == 0  # stop at the first failure
    assert (bucket.on_window_end, bucket.on_timeout, bucket.verify) == (
        "finish_in_flight",
        "page",
        "report",
    )


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("executor: local", "executor: ssh-magic", "unknown executor 'ssh-magic'"),
        ("      upgrade: [", "      upgrad: [", "steps: 'upgrad' is not a step of strategy"),
        ("max_errors: 10%", "max_errors: -1", "max_errors -1 must be 0 or more"),
        ("max_errors: 10%", "max_errors: lots", "invalid max_errors 'lots'"),
        ("cutoff: 30m", "cutoff: 3h", "`cutoff` must be shorter than the window's `duration`"),
        ("on_timeout: block", "on_timeout: ignore", "on_timeout"),
        (
            "{kind: command, command: [check-no-incident]}",
            "{kind: command}",
            "a command blocker needs `command`",
        ),
    ],
)
def test_mistakes_are_one_line_each(old: str, new: str, message: str) -> None:
    assert old in POLICY
    with pytest.raises(PolicyError) as caught:
        parse_policy(POLICY.replace(old, new))
    assert message in str(caught.value)
    assert "Traceback" not in str(caught.value)
