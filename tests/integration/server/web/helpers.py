"""Sign in through the real form (CSRF cookie + hidden field) and pull tokens out of pages."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from server.auth.models import User
from tests.factories import PASSWORD

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = _TOKEN.search(html)
    assert match, "no csrf_token in the page"
    return match.group(1)


def web_login(client: TestClient, user: User, password: str = PASSWORD) -> None:
    page = client.get("/login")
    r = client.post(
        "/login",
        data={"username": user.username, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


def page_csrf(client: TestClient, path: str) -> str:
    r = client.get(path)
    assert r.status_code == 200, r.text
    return csrf_of(r.text)
