"""`fleetpatch windows|calendar|announce` end to end: a policy file, a store, real servers."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import vobject
from click.testing import CliRunner

from fleetpatch.cli.main import cli
from fleetpatch.policy.example import EXAMPLE_POLICY
from fleetpatch.store import open_store


def _servers() -> ModuleType:
    path = Path(__file__).parents[1] / "notify" / "notify_servers.py"
    spec = importlib.util.spec_from_file_location("notify_servers", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


servers = _servers()


def run(tmp_path: Path, *args: str, policy: str = EXAMPLE_POLICY) -> tuple[int, str, str]:
    (tmp_path / "fleet.yaml").write_text(policy)
    open_store(f"sqlite:///{tmp_path / 'fp.db'}").close()  # read-only commands need a store
    base = ["--db", str(tmp_path / "fp.db"), "--policy", str(tmp_path / "fleet.yaml")]
    result = CliRunner().invoke(cli, [*base, *args])
    return result.exit_code, result.stdout, result.stderr


def test_windows_lists_openings_as_table_and_json(tmp_path: Path) -> None:
    code, out, _ = run(tmp_path, "windows", "--days", "3", "--at", "2026-11-30T00:00:00Z")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == [
        "BUCKET", "OWNER", "LOCAL_START", "TIMEZONE", "START", "END", "ANNOUNCED",
    ]  # fmt: skip
    assert lines[1].split()[:4] == ["k8s-nodes", "platform", "Mon", "2026-11-30"]
    code, out, _ = run(
        tmp_path, "windows", "--bucket", "databases", "--days", "9", "--at", "2026-11-30T00:00Z",
        "--format", "json",
    )  # fmt: skip
    rows = json.loads(out)
    assert [(r["start"], r["local_start"]) for r in rows] == [
        ("2026-12-01T03:00:00Z", "Tue 2026-12-01 04:00"),
        ("2026-12-08T03:00:00Z", "Tue 2026-12-08 04:00"),
    ]


def test_windows_bad_input_is_one_line(tmp_path: Path) -> None:
    code, _, err = run(tmp_path, "windows", "--bucket", "nope")
    assert code == 2  # an unknown bucket name is bad input
    assert err.strip().startswith("error: no bucket 'nope' in the policy (buckets: k8s-nodes")
    code, _, err = run(tmp_path, "windows", "--at", "next tuesday")
    assert code == 2
    assert "--at" in err
    assert "Traceback" not in err


def test_calendar_writes_a_feed_a_calendar_parser_reads(tmp_path: Path) -> None:
    target = tmp_path / "windows.ics"
    code, _, err = run(tmp_path, "calendar", "--at", "2026-11-27T00:00Z", "-o", str(target))
    assert (code, err.strip()) == (0, f"wrote {target}")
    parsed = vobject.readOne(target.read_text())
    uids = [e.uid.value for e in parsed.vevent_list]
    assert "bare-metal-20261201T080000Z@fleetpatch" in uids
    code, out, _ = run(tmp_path, "calendar", "--bucket", "bare-metal", "--at", "2026-11-27T00:00Z")
    assert code == 0
    assert out.startswith("BEGIN:VCALENDAR")


def test_announce_sends_through_webhook_and_smtp_once(tmp_path: Path) -> None:
    with servers.http_sink() as hook, servers.smtp_sink() as mail:
        policy = EXAMPLE_POLICY.replace(
            "# notifiers:\n",
            "notifiers:\n"
            f"  - {{name: hooks, kind: webhook, url: '{hook.url}', timeout: 5s}}\n"
            f"  - {{name: mail, kind: email, smtp_host: 127.0.0.1, smtp_port: {mail.port},"
            " sender: fleetpatch@example.com}\n",
        )
        at = ["--at", "2026-11-17T08:00:00Z"]
        code, out, _ = run(tmp_path, "announce", *at, "--dry-run", policy=policy)
        assert (code, hook.requests, mail.messages) == (0, [], [])
        assert out.count("would-send") == 6
        code, out, _ = run(tmp_path, "announce", *at, "--format", "json", policy=policy)
        assert code == 0
        assert {(r["team"], r["notifier"], r["outcome"]) for r in json.loads(out)} == {
            (team, notifier, "sent")
            for team in ("colo-ops", "platform", "dba")
            for notifier in ("hooks", "mail")
        }
        code, out, _ = run(tmp_path, "announce", "--at", "2026-11-18T08:00Z", policy=policy)
        assert code == 0
        assert out.count("already") == 6
    assert [p["team"] for _, _, p in hook.requests] == ["colo-ops", "platform", "dba"]
    assert sorted(rcpt for _, [rcpt], _ in mail.messages) == [
        "colo-ops@example.com",
        "dba@example.com",
        "platform@example.com",
    ]


def test_announce_exits_1_when_a_delivery_fails(tmp_path: Path) -> None:
    port = servers.free_port()
    policy = EXAMPLE_POLICY.replace(
        "# notifiers:\n",
        f"notifiers:\n  - {{name: hooks, kind: webhook, url: 'http://127.0.0.1:{port}/x'}}\n",
    )
    code, out, _ = run(tmp_path, "announce", "--at", "2026-11-17T08:00Z", policy=policy)
    assert code == 1
    assert out.count("failed") == 3
    assert "refused" in out


def test_announce_names_a_missing_secret(tmp_path: Path) -> None:
    policy = EXAMPLE_POLICY.replace(
        "# notifiers:\n", "notifiers:\n  - {name: chat, kind: slack, url_env: FP_TEST_UNSET_URL}\n"
    )
    code, _, err = run(tmp_path, "announce", policy=policy)
    assert code == 2
    assert err.strip() == (
        "error: notifier chat: environment variable FP_TEST_UNSET_URL is not set "
        "(it holds the secret; see the policy's notifiers section)"
    )


# The test fleet has no catalog, so only a pin gives its hosts work to plan: an openssh the
# generated Debian hosts do not all run yet.
PINNED = (
    EXAMPLE_POLICY
    + '  openssh-server:\n    version: "1:9.2p1-2+deb12u3"\n    ecosystem: "Debian:12"\n'
)


def _demo_store(tmp_path: Path, policy: str = EXAMPLE_POLICY) -> None:
    fleet = tmp_path / "fleet.ndjson"
    at = "2026-11-27T10:00:00Z"
    for args in (
        ["demo", "generate", "--hosts", "80", "--now", at, "-o", str(fleet)],
        ["ingest", str(fleet)],
        ["evaluate"],
    ):
        code, _, err = run(tmp_path, *args, policy=policy)
        assert code == 0, err


def test_plan_each_example_bucket_in_the_terminal_and_as_json(tmp_path: Path) -> None:
    _demo_store(tmp_path, PINNED)
    for bucket in ("k8s-nodes", "databases", "stateless", "bare-metal"):
        code, out, err = run(tmp_path, "plan", bucket, "--at", "2026-11-27T12:00Z", policy=PINNED)
        assert code == 0, err
        assert out.startswith(f"Plan for {bucket} (owner ")
        assert "  window: 20" in out
        code, out, _ = run(
            tmp_path, "plan", bucket, "--at", "2026-11-27T12:00Z", "--format", "json", policy=PINNED
        )
        plan = json.loads(out)
        assert plan["bucket"] == bucket
        assert plan["hosts"] == sum(len(w["hosts"]) for w in plan["waves"])
        for wave in plan["waves"]:
            assert len(wave["hosts"]) <= plan["concurrency"]
            for host in wave["hosts"]:
                assert host["steps"]
                assert host["seconds"] == sum(s["seconds"] for s in host["steps"])
    code, out, _ = run(tmp_path, "plan", "databases", "--at", "2026-11-27T12:00Z", policy=PINNED)
    assert "Wave 1" in out
    assert "pre-check 1m > upgrade 15m" in out


def test_forecast_table_json_and_warning(tmp_path: Path) -> None:
    _demo_store(tmp_path)
    code, out, err = run(tmp_path, "forecast", "--at", "2026-11-27T12:00Z")
    assert code == 0
    assert out.splitlines()[0].split() == [
        "BUCKET", "HOSTS", "WAVES", "WORK", "NEXT_WINDOW", "FITS", "FULLY_PATCHED_BY", "WINDOWS",
    ]  # fmt: skip
    assert "From a fix published now to every host running it:" in out
    code, out, err = run(
        tmp_path, "forecast", "k8s-nodes", "--concurrency", "1", "--at", "2026-11-27T12:00Z",
        "--format", "json",
    )  # fmt: skip
    data = json.loads(out)
    [row] = data["buckets"]
    assert row["fits"] == "NO"
    assert row["warnings"]
    assert err.startswith("warning: k8s-nodes: pending work (")
    assert [f["bucket"] for f in data["fix"]] == ["k8s-nodes"]
    code, _, err = run(tmp_path, "forecast", "--concurrency", "150%")
    assert code == 2
    assert "--concurrency" in err
