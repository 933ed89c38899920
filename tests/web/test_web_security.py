"""Security: writes need a reporter token, roles are enforced, report fields render inert,
headers are set, and `serve` refuses an unauthenticated non-loopback bind."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from web_support import NOW, Tokens, bearer, report_json

from fleetpatch.app.tokens import authenticate, create_token, revoke_token
from fleetpatch.cli.main import cli
from fleetpatch.cli.serve_cmd import resolve_auth
from fleetpatch.errors import InputError
from fleetpatch.store import Store
from fleetpatch.store.tokens import TokenRepository

XSS = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(2)">'


@pytest.mark.parametrize("auth", [False, True])
def test_unauthenticated_writes_are_refused(
    client: TestClient, auth_client: TestClient, auth: bool
) -> None:
    c = auth_client if auth else client
    response = c.post("/api/v1/reports", json=report_json("anon-01"))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert c.get("/api/v1/hosts/anon-01").status_code in (401, 404)


def test_a_viewer_cannot_ingest(client: TestClient, tokens: Tokens) -> None:
    response = client.post(
        "/api/v1/reports", json=report_json("viewer-01"), headers=bearer(tokens.viewer)
    )
    assert response.status_code == 403
    assert "viewer" in response.json()["error"]
    assert client.get("/api/v1/hosts/viewer-01").status_code == 404


def test_a_bogus_token_cannot_ingest(client: TestClient, tokens: Tokens) -> None:
    forged = tokens.reporter[:-2] + ("AA" if not tokens.reporter.endswith("AA") else "BB")
    response = client.post("/api/v1/reports", json=report_json("x-01"), headers=bearer(forged))
    assert response.status_code == 401


def test_reads_need_a_reader_token_when_auth_is_on(auth_client: TestClient, tokens: Tokens) -> None:
    for path in ("/", "/hosts", "/api/v1/overview", "/metrics"):
        assert auth_client.get(path).status_code == 401, path
    assert auth_client.get("/api/v1/overview", headers=bearer(tokens.viewer)).status_code == 200
    assert auth_client.get("/metrics", headers=bearer(tokens.operator)).status_code == 200
    reporter = auth_client.get("/api/v1/overview", headers=bearer(tokens.reporter))
    assert reporter.status_code == 403  # reporter: ingest only
    assert auth_client.get("/healthz").status_code == 200


def test_a_revoked_token_stops_working(
    auth_client: TestClient, store: Store, tokens: Tokens
) -> None:
    revoke_token(store, "test-viewer", now=NOW)
    assert auth_client.get("/api/v1/overview", headers=bearer(tokens.viewer)).status_code == 401


def test_only_a_hash_of_the_secret_is_stored(store: Store) -> None:
    record, secret = create_token(store, "ci", "reporter", now=NOW)
    with store.session() as session:
        stored = TokenRepository(session).all()
    assert all(secret not in (t.token_hash, t.name) for t in stored)
    assert record.token_hash != secret
    assert authenticate(store, secret, now=NOW) is not None
    assert authenticate(store, record.token_hash, now=NOW) is None  # the hash is no secret


def test_browser_login_sets_a_strict_httponly_cookie(
    auth_client: TestClient, tokens: Tokens
) -> None:
    denied = auth_client.get("/")
    assert denied.status_code == 401
    assert 'href="/login"' in denied.text
    assert 'method="post" action="/login"' in auth_client.get("/login").text
    login = auth_client.post(
        "/login",
        content=f"token={tokens.viewer}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert login.status_code == 303
    cookie = login.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert auth_client.get("/").status_code == 200  # the client keeps the cookie


@pytest.mark.parametrize("which", ["nope", "reporter"])
def test_login_refuses_unknown_and_non_reader_tokens(
    auth_client: TestClient, tokens: Tokens, which: str
) -> None:
    token = tokens.reporter if which == "reporter" else "fp_nope"
    login = auth_client.post(
        "/login",
        content=f"token={token}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert login.status_code == 401
    assert "set-cookie" not in login.headers


def test_the_cookie_never_authorises_a_write(auth_client: TestClient, tokens: Tokens) -> None:
    auth_client.cookies.set("fleetpatch_token", tokens.operator)
    assert auth_client.get("/api/v1/overview").status_code == 200
    response = auth_client.post("/api/v1/reports", json=report_json("csrf-01"))
    assert response.status_code == 401


def test_xss_payloads_in_report_fields_render_inert(client: TestClient, tokens: Tokens) -> None:
    refused = client.post(
        "/api/v1/reports", json=report_json(f"evil{XSS}"), headers=bearer(tokens.reporter)
    )
    assert refused.status_code == 422  # a hostname names a page: markup is not a hostname
    data = report_json("evil-01")
    packages = list(data["packages"])  # type: ignore[call-overload]
    packages[0] = {**packages[0], "name": XSS}
    data["packages"] = packages
    data["labels"] = {"role": IMG, IMG: "x"}
    posted = client.post("/api/v1/reports", json=data, headers=bearer(tokens.reporter))
    assert posted.status_code == 201, posted.text
    pages = [client.get("/hosts", params={"q": XSS}).text, client.get("/hosts/evil-01").text]
    for page in pages:
        assert "<script" not in page
        assert "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[0]
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in pages[1]


def test_security_headers_on_pages_and_api(client: TestClient) -> None:
    for path in ("/", "/api/v1/overview", "/metrics", "/api/v1/hosts/nope"):
        headers = client.get(path).headers
        assert "script-src" not in headers["content-security-policy"]
        assert "default-src 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
    assert client.get("/api/v1/overview").headers["cache-control"] == "no-store"


def test_authenticated_pages_are_never_cached(
    auth_client: TestClient, client: TestClient, tokens: Tokens
) -> None:
    for path in ("/", "/hosts", "/packages"):
        page = auth_client.get(path, headers=bearer(tokens.viewer))
        assert page.status_code == 200, path
        assert page.headers["cache-control"] == "no-store", path
    assert "no-store" not in client.get("/static/fleetpatch.css").headers.get("cache-control", "")


@pytest.mark.parametrize(
    ("host", "flag", "expected"),
    [
        ("127.0.0.1", None, False),
        ("::1", None, False),
        ("localhost", True, True),
        ("0.0.0.0", None, True),
        ("10.1.2.3", True, True),
    ],
)
def test_bind_rule(host: str, flag: bool | None, expected: bool) -> None:
    assert resolve_auth(host, flag) is expected


def test_serve_refuses_no_auth_off_loopback(tmp_path: object) -> None:
    with pytest.raises(InputError, match="refusing"):
        resolve_auth("192.0.2.10", False)
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--no-auth"])
    assert result.exit_code == 2
    assert "refusing to serve without auth" in result.output


def test_token_cli_prints_the_secret_once(tmp_path: object, store: Store) -> None:
    url = str(store.engine.url)
    runner = CliRunner()
    made = runner.invoke(
        cli, ["--db", url, "token", "create", "--role", "reporter", "--name", "ci"]
    )
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip()
    assert secret.startswith("fp_")
    assert authenticate(store, secret, now=NOW) is not None
    listed = runner.invoke(cli, ["--db", url, "token", "list", "--format", "csv"])
    assert "ci,reporter" in listed.stdout
    assert secret not in listed.stdout
    assert runner.invoke(cli, ["--db", url, "token", "revoke", "ci"]).exit_code == 0
    assert authenticate(store, secret, now=NOW) is None
    bad = runner.invoke(cli, ["--db", url, "token", "revoke", "nobody"])
    assert bad.exit_code == 2  # a name the user typed: bad input
    assert bad.stderr == "error: no token 'nobody'; see `fleetpatch token list`\n"
    near = runner.invoke(cli, ["--db", url, "token", "revoke", "cii"])
    assert near.exit_code == 2
    assert near.stderr == "error: no token 'cii'; did you mean 'ci'?\n"


def test_last_use_is_recorded(auth_client: TestClient, store: Store, tokens: Tokens) -> None:
    for _ in range(3):
        assert auth_client.get("/api/v1/overview", headers=bearer(tokens.viewer)).status_code == 200
    with store.session() as session:
        used = {t.name: t.last_used_at for t in TokenRepository(session).all()}
    assert used["test-viewer"] == NOW
    assert used["test-reporter"] is None
