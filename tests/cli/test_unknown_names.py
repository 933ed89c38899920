"""A mistyped host, bucket, owner, advisory or run id: exit 2, one `error:` line, did-you-mean.

Over the demo fleet (hosts db-001..., k8s-node-0001..., buckets k8s-nodes, databases, ...).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from fleetpatch.cli.main import cli

NOW = "2026-11-30T12:00:00Z"
DB_HOSTS = "did you mean 'db-001', 'db-002', 'db-003'?"
DATABASES = "no bucket 'databse' in the policy; did you mean 'databases'?"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("names")
    args = ["demo", "--no-serve", "--no-runs", "--hosts", "40", "--every", "45", "--now", NOW]
    result = CliRunner().invoke(cli, [*args, "--dir", str(directory)])
    assert result.exit_code == 0, result.output
    return directory


def fp(demo: Path, *args: str) -> tuple[int, str, str]:
    base = ["--db", str(demo / "fleetpatch.db"), "--policy", str(demo / "fleet.yaml")]
    result = CliRunner().invoke(cli, [*base, *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["host", "db-01"], f"no host 'db-01'; {DB_HOSTS}"),
        (["outdated", "db-01"], f"no host 'db-01'; {DB_HOSTS}"),
        (["vulns", "db-01"], f"no host 'db-01'; {DB_HOSTS}"),
        (
            ["vulns", "k8s-node-001"],
            "no host 'k8s-node-001'; did you mean 'k8s-node-0001', 'k8s-node-0010', "
            "'k8s-node-0011'?",
        ),
        (["hosts", "--bucket", "databse"], DATABASES),
        (["hosts", "--owner", "dbaa"], "no owner 'dbaa' in the policy; did you mean 'dba'?"),
        (["plan", "databse"], DATABASES),
        (["forecast", "databse"], DATABASES),
        (["windows", "--bucket", "databse"], DATABASES),
        (["calendar", "--bucket", "databse"], DATABASES),
        (["run", "start", "databse", "--executor", "simulated"], DATABASES),
        (
            ["runs", "--bucket", "databse"],
            "no bucket 'databse' in the policy or any run; did you mean 'databases'?",
        ),
        (["host", "zzzz"], "no host 'zzzz'"),  # nothing close: no suggestion
    ],
)
def test_an_unknown_name_is_one_line_with_the_closest_names(
    demo: Path, args: list[str], line: str
) -> None:
    code, out, err = fp(demo, *args)
    assert code == 2
    assert err == f"error: {line}\n"
    assert out == ""


def test_a_mistyped_cve_suggests_the_closest_ids_the_store_knows(demo: Path) -> None:
    code, _, err = fp(demo, "cve", "CVE-2021-3969")
    assert code == 2
    assert err == (
        "error: no advisory 'CVE-2021-3969' in the store; "
        "did you mean 'CVE-2021-3695', 'CVE-2021-3696', 'CVE-2021-3697'?\n"
    )
    code, _, err = fp(demo, "cve", "CVE-2021-3696")  # the suggestion is a real id
    assert code == 0, err


def test_an_unknown_bucket_far_from_any_lists_the_buckets(demo: Path) -> None:
    code, _, err = fp(demo, "hosts", "--bucket", "no-such")
    assert code == 2
    assert err == (
        "error: no bucket 'no-such' in the policy "
        "(buckets: k8s-nodes, databases, stateless, bare-metal)\n"
    )


def test_a_known_owner_or_bucket_without_hosts_is_an_empty_table(demo: Path) -> None:
    code, out, err = fp(demo, "hosts", "--owner", "app-team")  # an owner of no bucket
    assert (code, err) == (0, "")
    assert out.split()[:3] == ["HOSTNAME", "BUCKET", "OWNER"]
    assert len(out.splitlines()) == 1
    code, out, _ = fp(demo, "hosts", "--bucket", "databases", "--owner", "platform")
    assert code == 0
    assert len(out.splitlines()) == 1
    code, out, _ = fp(demo, "hosts", "--bucket", "databases")
    assert code == 0
    assert {line.split()[1] for line in out.splitlines()[1:]} == {"databases"}
    code, out, _ = fp(demo, "runs", "--bucket", "databases")  # no run yet: still a table
    assert code == 0
    assert out.split()[:2] == ["ID", "BUCKET"]
    assert len(out.splitlines()) == 1


def test_an_unknown_run_id_is_exit_2(demo: Path) -> None:
    for args in (["run", "show", "run-nope"], ["audit", "--run", "run-nope"]):
        code, _, err = fp(demo, *args)
        assert code == 2, args
        assert err == "error: no run 'run-nope'\n"
