"""Sign-in, sign-out, cookie flags, CSRF refusal, language switch, error pages."""

from __future__ import annotations

import re
import time

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from models.enums import Role
from tests.factories import make_project, make_user
from tests.integration.server.web.helpers import csrf_of, page_csrf, web_login


class TestLogin:
    def test_form_is_chinese_by_default_and_english_on_switch(self, client: TestClient) -> None:
        r = client.get("/login")
        assert r.status_code == 200
        assert "登录" in r.text
        assert 'lang="zh-CN"' in r.text
        r = client.get("/lang/en?next=/login", follow_redirects=True)
        assert "Sign in" in r.text
        assert 'lang="en"' in r.text

    def test_session_cookie_is_httponly_and_samesite(
        self, client: TestClient, session: Session
    ) -> None:
        user = make_user(session, Role.SITE_MANAGER, [make_project(session)])
        session.commit()
        page = client.get("/login")
        r = client.post(
            "/login",
            data={
                "username": user.username,
                "password": "correct-horse-42",
                "csrf_token": csrf_of(page.text),
            },
            follow_redirects=False,
        )
        assert r.status_code == 303
        cookie = next(
            h for h in r.headers.get_list("set-cookie") if h.startswith("sitegate_session=")
        )
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert "Path=/" in cookie
        assert "Secure" not in cookie  # test settings: plain HTTP

    def test_wrong_password_shows_message_and_lockout_shows_wait(
        self, client: TestClient, session: Session
    ) -> None:
        user = make_user(session, Role.INSPECTOR)
        session.commit()
        for _ in range(5):
            page = client.get("/login")
            r = client.post(
                "/login",
                data={
                    "username": user.username,
                    "password": "wrong-wrong",
                    "csrf_token": csrf_of(page.text),
                },
            )
            assert r.status_code == 401
            assert "用户名或密码错误" in r.text
        page = client.get("/login")
        r = client.post(
            "/login",
            data={
                "username": user.username,
                "password": "correct-horse-42",
                "csrf_token": csrf_of(page.text),
            },
        )
        assert r.status_code == 429
        wait = re.search(r"请 (\d+) 秒后再试", r.text)  # the page says how long to wait
        assert wait
        assert 1 <= int(wait.group(1)) <= 2  # login_lockout_s=2 in the test settings
        time.sleep(2.1)
        web_login(client, user)

    def test_login_without_csrf_is_refused(self, client: TestClient, session: Session) -> None:
        user = make_user(session, Role.INSPECTOR)
        session.commit()
        r = client.post("/login", data={"username": user.username, "password": "x" * 10})
        assert r.status_code == 403
        assert "表单已过期" in r.text
        assert "The form expired" in r.text

    def test_open_redirect_is_ignored(self, client: TestClient, session: Session) -> None:
        user = make_user(session, Role.INSPECTOR)
        session.commit()
        page = client.get("/login?next=//evil.example/")
        r = client.post(
            "/login",
            data={
                "username": user.username,
                "password": "correct-horse-42",
                "next": "//evil.example/",
                "csrf_token": csrf_of(page.text),
            },
            follow_redirects=False,
        )
        assert r.headers["location"] == "/inspect/"


class TestPagesNeedSignIn:
    def test_redirects_to_login_with_next(self, client: TestClient) -> None:
        r = client.get("/site/1/now", follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"] == "/login?next=/site/1/now"

    def test_bearer_token_is_not_a_page_session(self, client: TestClient, session: Session) -> None:
        from tests.factories import login

        user = make_user(session, Role.SITE_MANAGER, [make_project(session)])
        session.commit()
        r = client.get("/site/", headers=login(client, user), follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"].startswith("/login")

    def test_api_errors_stay_json(self, client: TestClient) -> None:
        r = client.get("/api/v1/auth/me")
        assert r.status_code == 401
        assert r.headers["content-type"].startswith("application/json")
        r = client.get("/api/v1/nope")
        assert r.headers["content-type"].startswith("application/json")

    def test_unknown_page_is_html_404(self, client: TestClient, session: Session) -> None:
        user = make_user(session, Role.SITE_MANAGER, [make_project(session)])
        session.commit()
        web_login(client, user)
        r = client.get("/site/1/nothing-here")
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("text/html")
        assert "页面不存在" in r.text


class TestLogout:
    def test_logout_needs_csrf_and_ends_session(self, client: TestClient, session: Session) -> None:
        project = make_project(session)
        user = make_user(session, Role.SITE_MANAGER, [project])
        session.commit()
        web_login(client, user)
        token = page_csrf(client, f"/site/{project.id}/now")
        r = client.post("/logout", data={"csrf_token": "forged"})
        assert r.status_code == 403
        r = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
        assert r.status_code == 303
        r = client.get(f"/site/{project.id}/now", follow_redirects=False)
        assert r.status_code == 303
