"""Security: writes need a reporter token, roles are enforced, report fields render inert,
headers are set, and `serve` refuses an unauthenticated non-loopback bind."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from web_support import NOW, Tokens, bearer, report_json

from fleetpatch.app.tokens import (
    authenticate,
    create_token,
    open_session,
    revoke_token,
    session_caller,
)
from fleetpatch.cli.main import cli
from fleetpatch.cli.serve_cmd import resolve_auth
from fleetpatch.errors import InputError
from fleetpatch.store import Store
from fleetpatch.store.tables_eval import WebSessionRow
from fleetpatch.store.tokens import TokenRepository
from fleetpatch.web.auth import COOKIE

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


def _login(client: TestClient, token: str, **headers: str) -> Response:
    return client.post(
        "/login",
        content=f"token={token}",
        headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
        follow_redirects=False,
    )


def test_the_cookie_holds_a_session_id_never_the_token(
    auth_client: TestClient, store: Store, tokens: Tokens
) -> None:
    login = _login(auth_client, tokens.viewer)
    assert login.status_code == 303
    session_id = auth_client.cookies[COOKIE]
    assert session_id.startswith("fps_")
    assert tokens.viewer not in login.headers["set-cookie"]
    with store.session() as session:
        stored = session.scalars(select(WebSessionRow.session_hash)).all()
    assert stored == [hashlib.sha256(session_id.encode()).hexdigest()]  # only its hash is kept
    # a token in the cookie is not a session: the cookie authorises nothing but a session
    auth_client.cookies.clear()
    auth_client.cookies.set(COOKIE, tokens.viewer)
    assert auth_client.get("/api/v1/overview").status_code == 401


def test_the_session_never_authorises_a_write(auth_client: TestClient, tokens: Tokens) -> None:
    assert _login(auth_client, tokens.operator).status_code == 303
    assert auth_client.get("/api/v1/overview").status_code == 200
    response = auth_client.post("/api/v1/reports", json=report_json("csrf-01"))
    assert response.status_code == 401


def test_logout_and_revocation_end_the_session_on_the_server(
    auth_client: TestClient, store: Store, tokens: Tokens
) -> None:
    assert _login(auth_client, tokens.viewer).status_code == 303
    session_id = auth_client.cookies[COOKIE]
    assert auth_client.get("/").status_code == 200
    auth_client.post("/logout", follow_redirects=False)
    auth_client.cookies.clear()
    auth_client.cookies.set(COOKIE, session_id)  # a copy of the cookie kept after logout
    assert auth_client.get("/").status_code == 401
    assert _login(auth_client, tokens.viewer).status_code == 303
    assert auth_client.get("/").status_code == 200
    revoke_token(store, "test-viewer", now=NOW)
    assert auth_client.get("/").status_code == 401


def test_a_session_expires_after_twelve_hours(store: Store, tokens: Tokens) -> None:
    caller = authenticate(store, tokens.viewer, now=NOW)
    assert caller is not None
    session_id = open_session(store, caller, now=NOW)
    assert session_caller(store, session_id, now=NOW + timedelta(hours=11, minutes=59)) == caller
    assert session_caller(store, session_id, now=NOW + timedelta(hours=12)) is None
    assert session_caller(store, "fps_" + "x" * 43, now=NOW) is None


@pytest.mark.parametrize(
    ("headers", "allowed"),
    [
        ({"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"}, True),
        ({"Origin": "http://testserver"}, True),
        ({"Sec-Fetch-Site": "none"}, True),
        ({}, True),  # not a browser (curl): no page can make it post
        ({"Sec-Fetch-Site": "cross-site"}, False),
        ({"Sec-Fetch-Site": "same-site"}, False),
        ({"Origin": "https://evil.example"}, False),
        ({"Origin": "null"}, False),
        ({"Origin": "http://testserver.evil.example"}, False),
        ({"Sec-Fetch-Site": "cross-site", "Origin": "http://testserver"}, False),
    ],
)
def test_a_login_posted_from_another_site_is_refused(
    auth_client: TestClient, tokens: Tokens, headers: dict[str, str], allowed: bool
) -> None:
    login = _login(auth_client, tokens.viewer, **headers)
    if allowed:
        assert login.status_code == 303
        assert COOKIE in login.headers["set-cookie"]
    else:
        assert login.status_code == 403
        assert "set-cookie" not in login.headers
        assert "another site" in login.text


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
