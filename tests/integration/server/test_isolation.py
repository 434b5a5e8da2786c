"""The per-test rollback must hold on every backend: the two tests below see each other's rows
otherwise (they run in file order; each asserts it starts from an empty audit log)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.enums import Role
from server.auth.models import AuditLog
from tests.factories import login, make_user


class TestRollbackPerTest:
    def _write_through_api(self, client: TestClient, session: Session) -> None:
        assert session.scalar(select(func.count()).select_from(AuditLog)) == 0
        admin = make_user(session, Role.ADMIN)
        session.commit()
        body = {"username": "iso-user", "password": "long-enough-1", "role": "inspector"}
        r = client.post("/api/v1/auth/users", json=body, headers=login(client, admin))
        assert r.status_code == 201, r.text
        assert session.scalar(select(func.count()).select_from(AuditLog)) == 1

    def test_first(self, client: TestClient, session: Session) -> None:
        self._write_through_api(client, session)

    def test_second_sees_nothing_of_the_first(self, client: TestClient, session: Session) -> None:
        self._write_through_api(client, session)

