"""Logging in with Chromium: the form opens a session whose cookie the page's scripts cannot read
and which holds no token; the same form posted from another origin is refused."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from browser_support import Server

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser


def test_log_in_and_out(browser: Browser, auth_server: Server, viewer_token: str) -> None:
    context = browser.new_context(base_url=auth_server.url)
    try:
        page = context.new_page()
        denied = page.goto("/")
        assert denied is not None
        assert denied.status == 401
        page.click("a[href='/login']")
        page.fill("input[name=token]", viewer_token)
        page.click("button[type=submit], input[type=submit]")
        page.wait_for_load_state()
        assert page.url == f"{auth_server.url}/", page.content()
        assert page.locator("h1").count() >= 1
        (cookie,) = context.cookies()
        assert cookie["name"] == "fleetpatch_session"
        assert cookie["httpOnly"] is True
        assert cookie["sameSite"] == "Strict"
        assert cookie["value"].startswith("fps_")
        assert viewer_token not in cookie["value"]
        assert page.evaluate("document.cookie") == ""
        page.click("a.logout")
        again = page.goto("/")
        assert again is not None
        assert again.status == 401
    finally:
        context.close()


def test_a_login_form_on_another_origin_is_refused(
    browser: Browser, auth_server: Server, viewer_token: str
) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        # A page that is not the dashboard (here an opaque about:blank origin) posting the form.
        page.set_content(
            f'<form method="post" action="{auth_server.url}/login">'
            f'<input name="token" value="{viewer_token}"><button type="submit">go</button></form>'
        )
        with page.expect_navigation(timeout=10_000) as navigation:
            page.click("button")
        response = navigation.value
        assert response is not None
        assert response.status == 403
        assert "another site" in page.content()
        assert context.cookies() == []
    finally:
        context.close()
