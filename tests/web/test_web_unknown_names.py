"""A mistyped host, bucket or advisory in a URL: 404 with the CLI's own did-you-mean line, as JSON
for the API and in the error page for people (hosts db-001..., advisories ALSA-2026:...)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from fleetpatch.cli.main import cli
from fleetpatch.policy.example import EXAMPLE_POLICY

HOST = "no host 'db-01'; did you mean 'db-001', 'db-002', 'db-003'?"
BUCKET = "no bucket 'databse' in the policy; did you mean 'databases'?"
ADVISORY = (
    "no advisory 'ALSA-2026:4190' in the store; "
    "did you mean 'ALSA-2026:41905', 'ALSA-2026:41906', 'ALSA-2026:41949'?"
)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/api/v1/hosts/db-01", HOST),
        ("/api/v1/buckets/databse", BUCKET),
        ("/api/v1/cve/ALSA-2026:4190", ADVISORY),
        ("/api/v1/runs?bucket=databse", BUCKET.replace("policy", "policy or any run")),
        ("/api/v1/runs/run-nope", "no run 'run-nope'"),
    ],
)
def test_the_api_answers_404_with_the_closest_names(
    client: TestClient, path: str, message: str
) -> None:
    answer = client.get(path)
    assert answer.status_code == 404
    assert answer.json() == {"error": message, "status": 404}


@pytest.mark.parametrize(
    ("path", "message"),
    [("/hosts/db-01", HOST), ("/buckets/databse", BUCKET), ("/cve?q=ALSA-2026:4190", ADVISORY)],
)
def test_the_page_says_the_same_line(client: TestClient, path: str, message: str) -> None:
    page = client.get(path)
    assert page.status_code == 404
    shown = re.search(r'data-testid="error-message">([^<]*)<', page.text)
    assert shown is not None
    assert html.unescape(shown.group(1)) == message


def test_the_web_and_the_cli_say_the_same_words(
    client: TestClient, evaluated_db: Path, tmp_path: Path
) -> None:
    (tmp_path / "fleet.yaml").write_text(EXAMPLE_POLICY)
    base = ["--db", str(evaluated_db), "--policy", str(tmp_path / "fleet.yaml")]
    for args, path in [
        (["host", "db-01"], "/api/v1/hosts/db-01"),
        (["vulns", "util-1"], "/api/v1/hosts/util-1"),
        (["plan", "databse"], "/api/v1/buckets/databse"),
        (["cve", "ALSA-2026:4190"], "/api/v1/cve/ALSA-2026:4190"),
    ]:
        said = CliRunner().invoke(cli, [*base, *args])
        assert said.exit_code == 2, args
        assert said.stderr == f"error: {client.get(path).json()['error']}\n"


def test_a_hosts_filter_on_an_unknown_bucket_or_owner_is_404_not_an_empty_page(
    client: TestClient,
) -> None:
    listed = client.get("/api/v1/hosts?bucket=databse")
    assert listed.status_code == 404
    assert listed.json()["error"] == BUCKET
    page = client.get("/hosts?owner=dbaa")
    assert page.status_code == 404
    assert "no owner &#39;dbaa&#39; in the policy; did you mean &#39;dba&#39;?" in page.text
    unclassified = client.get("/api/v1/hosts?bucket=(none)")
    assert unclassified.status_code == 200
    owned = client.get("/api/v1/hosts?owner=app-team")  # an owner of no bucket: no hosts
    assert (owned.status_code, owned.json()["total"]) == (200, 0)
