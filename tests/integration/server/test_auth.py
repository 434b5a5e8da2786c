from __future__ import annotations

import time

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from models.enums import Role
from tests.factories import PASSWORD, login, make_project, make_user


class TestLogin:
    def test_token_and_me(self, client: TestClient, session: Session) -> None:
        user = make_user(session, Role.SITE_MANAGER, [make_project(session)])
        session.commit()
        headers = login(client, user)
        r = client.get("/api/v1/auth/me", headers=headers)
        assert r.status_code == 200
        assert r.json()["role"] == "site_manager"

    def test_wrong_password_is_401_bilingual(self, client: TestClient, session: Session) -> None:
        user = make_user(session, Role.ADMIN)
        session.commit()
        r = client.post("/api/v1/auth/token", data={"username": user.username, "password": "nope"})
        assert r.status_code == 401
        assert r.json()["message_zh"] == "用户名或密码错误"

    def test_lockout_after_repeated_failures(self, client: TestClient, session: Session) -> None:
        user = make_user(session, Role.ADMIN)
        session.commit()
        for _ in range(5):
            client.post("/api/v1/auth/token", data={"username": user.username, "password": "x"})
        r = client.post(
            "/api/v1/auth/token", data={"username": user.username, "password": PASSWORD}
        )
        assert r.status_code == 429
        time.sleep(2.1)  # the test settings lock for 2 s
        r = client.post(
            "/api/v1/auth/token", data={"username": user.username, "password": PASSWORD}
        )
        assert r.status_code == 200

    def test_no_token_is_401(self, client: TestClient) -> None:
        assert client.get("/api/v1/auth/me").status_code == 401

    def test_only_admin_creates_users(self, client: TestClient, session: Session) -> None:
        manager = make_user(session, Role.SITE_MANAGER, [make_project(session)])
        session.commit()
        body = {"username": "newbie", "password": "long-enough-1", "role": "inspector"}
        r = client.post("/api/v1/auth/users", json=body, headers=login(client, manager))
        assert r.status_code == 403


class TestErrors:
    def test_validation_error_names_field(self, client: TestClient, session: Session) -> None:
        admin = make_user(session, Role.ADMIN)
        session.commit()
        body = {"username": "x y", "password": "short", "role": "boss"}
        r = client.post("/api/v1/auth/users", json=body, headers=login(client, admin))
        assert r.status_code == 422
        fields = {f["field"] for f in r.json()["detail"]}
        assert {"username", "password", "role"} <= fields

    def test_oversize_body_is_413(self, client: TestClient) -> None:
        r = client.post("/api/v1/auth/token", content=b"x" * (9 * 1024 * 1024))
        assert r.status_code == 413
