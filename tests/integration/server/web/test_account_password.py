"""修改密码 / Change password for every role: the header link, field messages that name the field
(Chinese by default, English on the switch), other sessions ended with a flash on success, CSRF
refusal that writes nothing, and the forced change after an admin's reset."""

from __future__ import annotations

import json

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.enums import Role
from server.auth import service as auth_service
from server.auth.models import AuditLog, User
from server.web.i18n import LANG_COOKIE
from tests.factories import PASSWORD, login, make_project, make_user, make_worker, pair_failures
from tests.integration.server.web.helpers import page_csrf, web_login

NEW = "brand-new-pass-77"
TEMP = "temporary-pass-31"
PATH = "/account/password"


def _user(session: Session, role: Role) -> User:
    if role == Role.WORKER:
        user = make_user(session, role, worker=make_worker(session))
    else:
        user = make_user(session, role, [make_project(session)])
    session.commit()
    return user


def _post(client: TestClient, data: dict[str, str]) -> httpx.Response:
    token = page_csrf(client, PATH)
    return client.post(PATH, data={**data, "csrf_token": token}, follow_redirects=False)


def _can_sign_in(client: TestClient, user: User, password: str) -> bool:
    r = client.post("/api/v1/auth/token", data={"username": user.username, "password": password})
    return r.status_code == 200


class TestPage:
    @pytest.mark.parametrize("role", list(Role))
    def test_every_role_has_the_link_and_the_page(
        self, client: TestClient, session: Session, role: Role
    ) -> None:
        web_login(client, _user(session, role))
        home = client.get("/")
        assert home.status_code == 200
        assert 'id="nav-password"' in home.text
        r = client.get(PATH)
        assert r.status_code == 200
        assert "当前密码" in r.text
        assert 'id="must-change"' not in r.text

    def test_signed_out_goes_to_sign_in(self, client: TestClient) -> None:
        r = client.get(PATH, follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"].startswith("/login")


class TestChange:
    def test_success_ends_other_sessions_and_flashes(
        self, client: TestClient, session: Session
    ) -> None:
        user = _user(session, Role.INSPECTOR)
        other = login(client, user)  # a second session, through the API
        web_login(client, user)
        body = {"current_password": PASSWORD, "new_password": NEW, "repeat_password": NEW}
        r = _post(client, body)
        assert r.status_code == 303
        page = client.get(r.headers["location"])
        assert "密码已修改" in page.text
        assert client.get("/api/v1/auth/me", headers=other).status_code == 401
        assert client.get("/inspect/").status_code == 200  # this session stays
        assert _can_sign_in(client, user, NEW)
        assert not _can_sign_in(client, user, PASSWORD)
        session.expire_all()
        details = session.scalars(select(AuditLog.detail).where(AuditLog.entity_id == user.id))
        text = json.dumps(list(details), ensure_ascii=False)
        assert NEW not in text
        assert PASSWORD not in text

    @pytest.mark.parametrize(
        ("data", "zh", "en"),
        [
            (
                {"current_password": "wrong-one-123", "new_password": NEW, "repeat_password": NEW},
                "当前密码不正确",
                "The current password is wrong",
            ),
            (
                {"current_password": PASSWORD, "new_password": NEW, "repeat_password": NEW + "x"},
                "两次输入的新密码不一致",
                "The two new passwords differ",
            ),
            (
                {
                    "current_password": PASSWORD,
                    "new_password": "short-1",
                    "repeat_password": "short-1",
                },
                "新密码至少 10 个字符",
                "New password must be at least 10 characters",
            ),
            (
                {
                    "current_password": PASSWORD,
                    "new_password": "password123",
                    "repeat_password": "password123",
                },
                "新密码过于常见",
                "New password is too common",
            ),
            (
                {"current_password": "", "new_password": "", "repeat_password": ""},
                "当前密码必须填写",
                "Current password is required",
            ),
        ],
    )
    def test_field_messages_in_both_languages(
        self, client: TestClient, session: Session, data: dict[str, str], zh: str, en: str
    ) -> None:
        user = _user(session, Role.SITE_MANAGER)
        web_login(client, user)
        r = _post(client, data)
        assert r.status_code == 422
        assert zh in r.text
        assert PASSWORD not in r.text
        client.cookies.set(LANG_COOKIE, "en")
        r = _post(client, data)
        assert en in r.text
        assert _can_sign_in(client, user, PASSWORD)

    def test_wrong_current_password_is_counted_and_locks(
        self, client: TestClient, session: Session
    ) -> None:
        user = _user(session, Role.SITE_MANAGER)
        web_login(client, user)
        body = {"current_password": "wrong-one-123", "new_password": NEW, "repeat_password": NEW}
        r = _post(client, body)
        assert r.status_code == 422
        session.expire_all()
        assert pair_failures(session, user.username) == 1
        for _ in range(3):
            assert _post(client, body).status_code == 422
        r = _post(client, body)
        assert r.status_code == 429
        assert "已退出登录" in r.text
        r = client.get(PATH, follow_redirects=False)
        assert r.status_code in (302, 303)  # signed out: the next page asks for a sign-in
        assert "/login" in r.headers["location"]

    def test_csrf_refusal_writes_nothing(self, client: TestClient, session: Session) -> None:
        user = _user(session, Role.WORKER)
        web_login(client, user)
        audits = session.scalar(select(func.count()).select_from(AuditLog))
        body = {"current_password": PASSWORD, "new_password": NEW, "repeat_password": NEW}
        for token in ("", "forged"):
            r = client.post(PATH, data={**body, "csrf_token": token}, follow_redirects=False)
            assert r.status_code == 403
        session.expire_all()
        assert session.scalar(select(func.count()).select_from(AuditLog)) == audits
        assert _can_sign_in(client, user, PASSWORD)


class TestForcedChange:
    def test_after_an_admin_reset_every_page_leads_here(
        self, client: TestClient, session: Session
    ) -> None:
        user = _user(session, Role.SITE_MANAGER)
        auth_service.set_password(session, None, user, password=TEMP, via="test")
        session.commit()
        web_login(client, user, TEMP)
        for path in ("/", "/site/", "/inspect/"):
            r = client.get(path, follow_redirects=False)
            assert r.status_code == 303, path
            assert r.headers["location"] == PATH
        page = client.get(PATH)
        assert 'id="must-change"' in page.text
        body = {"current_password": TEMP, "new_password": NEW, "repeat_password": NEW}
        assert _post(client, body).status_code == 303
        after = client.get("/site/")
        assert after.status_code == 200
        assert after.url.path.startswith("/site/")
        session.expire_all()
        assert session.get(User, user.id).must_change_password is False  # type: ignore[union-attr]

    def test_sign_out_still_works(self, client: TestClient, session: Session) -> None:
        user = _user(session, Role.WORKER)
        auth_service.set_password(session, None, user, password=TEMP, via="test")
        session.commit()
        web_login(client, user, TEMP)
        token = page_csrf(client, PATH)
        r = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"].startswith("/login")
