"""A browser signed in to the pages carries its session cookie to the API on its own: an API
write with the cookie needs the session's CSRF token in X-CSRF-Token and no foreign origin
(403 auth.csrf_failed, nothing written). Bearer tokens are never sent on their own: unaffected.
"""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.enums import Role
from server.auth.models import User
from server.deps import SESSION_COOKIE
from server.registry.models import Project, Worker
from server.rosters.models import AttendanceCorrection
from tests.factories import login, make_assignment, make_project, make_user, make_worker
from tests.integration.server.web.helpers import page_csrf, web_login

AT = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).isoformat()


@pytest.fixture
def site(session: Session) -> tuple[Project, Worker, User]:
    project = make_project(session)
    worker = make_worker(session, name="补卡工人")
    make_assignment(session, project, worker, entered_on=dt.date(2025, 1, 1))
    manager = make_user(session, Role.SITE_MANAGER, [project])
    session.commit()
    return project, worker, manager


def _post(client: TestClient, project: Project, worker: Worker, headers: dict[str, str]) -> int:
    body = {"worker_id": worker.id, "at": AT, "direction": "in", "reason": "闸机断电补卡"}
    r = client.post(f"/api/v1/projects/{project.id}/corrections", json=body, headers=headers)
    if r.status_code == 403:
        assert r.json()["code"] == "auth.csrf_failed", r.text
        assert r.json()["message_zh"]
        assert r.json()["message_en"]
    return r.status_code


def _written(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AttendanceCorrection)) or 0


def test_cookie_alone_is_refused_and_writes_nothing(
    client: TestClient, session: Session, site: tuple[Project, Worker, User]
) -> None:
    project, worker, manager = site
    web_login(client, manager)
    assert client.cookies.get(SESSION_COOKIE)
    assert _post(client, project, worker, {}) == 403
    assert _post(client, project, worker, {"X-CSRF-Token": "guessed"}) == 403
    assert _written(session) == 0
    # Reading with the cookie is not a write: no token needed.
    assert client.get(f"/api/v1/projects/{project.id}/corrections").status_code == 200


def test_cookie_with_the_sessions_token_writes(
    client: TestClient, session: Session, site: tuple[Project, Worker, User]
) -> None:
    project, worker, manager = site
    web_login(client, manager)
    token = page_csrf(client, "/account/password")  # the token every form of the pages carries
    assert _post(client, project, worker, {"X-CSRF-Token": token}) == 201
    same_site = {"X-CSRF-Token": token, "Origin": "http://testserver"}
    assert _post(client, project, worker, same_site) == 201
    proxied = {
        "X-CSRF-Token": token,
        "Origin": "https://site.example",
        "X-Forwarded-Host": "site.example",
    }
    assert _post(client, project, worker, proxied) == 201  # behind a reverse proxy
    assert _written(session) == 3


@pytest.mark.parametrize(
    "header", [{"Origin": "https://evil.example"}, {"Referer": "https://evil.example/form"}]
)
def test_cookie_from_another_origin_is_refused_even_with_the_token(
    client: TestClient, session: Session, site: tuple[Project, Worker, User], header: dict[str, str]
) -> None:
    project, worker, manager = site
    web_login(client, manager)
    token = page_csrf(client, "/account/password")
    assert _post(client, project, worker, {"X-CSRF-Token": token, **header}) == 403
    assert _written(session) == 0


def test_another_sessions_token_is_refused(
    client: TestClient, session: Session, site: tuple[Project, Worker, User]
) -> None:
    project, worker, manager = site
    web_login(client, manager)
    other = page_csrf(client, "/account/password")
    client.cookies.clear()
    web_login(client, manager)  # a second session of the same account
    assert _post(client, project, worker, {"X-CSRF-Token": other}) == 403
    assert _written(session) == 0


def test_bearer_token_is_unaffected(
    client: TestClient, session: Session, site: tuple[Project, Worker, User]
) -> None:
    project, worker, manager = site
    headers = login(client, manager)
    assert _post(client, project, worker, {**headers, "Origin": "https://elsewhere.example"}) == 201
    assert _written(session) == 1
