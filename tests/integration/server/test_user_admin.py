"""Account management over the API: listing with filters, changing role/scope/active with the
create checks, self-demotion and last-admin refusals, temporary passwords with the forced change,
one's own password change, sessions ended, and an audit trail that never holds a password."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import Role
from server.auth.models import AuditLog, AuthSession, User
from server.registry.models import Project, Worker
from tests.factories import PASSWORD, login, make_project, make_user, make_worker, pair_failures

NEW = "brand-new-pass-77"
TEMP = "temporary-pass-31"


@dataclass
class Accounts:
    admin: User
    manager: User
    inspector: User
    worker_user: User
    project: Project
    other: Project
    worker: Worker
    spare_worker: Worker


@pytest.fixture
def acc(session: Session) -> Accounts:
    project = make_project(session, name="甲项目")
    other = make_project(session, name="乙项目")
    worker = make_worker(session, name="王工人")
    spare = make_worker(session, name="李备用")
    accounts = Accounts(
        admin=make_user(session, Role.ADMIN),
        manager=make_user(session, Role.SITE_MANAGER, [project]),
        inspector=make_user(session, Role.INSPECTOR, [project]),
        worker_user=make_user(session, Role.WORKER, worker=worker),
        project=project,
        other=other,
        worker=worker,
        spare_worker=spare,
    )
    session.commit()
    return accounts


def _sign_in(client: TestClient, username: str, password: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _audits(session: Session, user_id: int) -> list[AuditLog]:
    session.expire_all()
    stmt = select(AuditLog).where(AuditLog.entity == "user", AuditLog.entity_id == user_id)
    return list(session.scalars(stmt.order_by(AuditLog.id)))


class TestScope:
    @pytest.mark.parametrize("who", ["manager", "inspector", "worker_user"])
    def test_non_admins_get_403_on_every_admin_route(
        self, client: TestClient, acc: Accounts, who: str
    ) -> None:
        h = login(client, getattr(acc, who))
        uid = acc.manager.id
        assert client.get("/api/v1/auth/users", headers=h).status_code == 403
        assert client.get(f"/api/v1/auth/users/{uid}", headers=h).status_code == 403
        r = client.patch(f"/api/v1/auth/users/{uid}", json={"full_name": "x"}, headers=h)
        assert r.status_code == 403
        r = client.post(f"/api/v1/auth/users/{uid}/password", json={"password": TEMP}, headers=h)
        assert r.status_code == 403

    def test_unknown_user_is_404(self, client: TestClient, acc: Accounts) -> None:
        h = login(client, acc.admin)
        assert client.get("/api/v1/auth/users/999999", headers=h).status_code == 404
        r = client.patch("/api/v1/auth/users/999999", json={"active": False}, headers=h)
        assert r.status_code == 404


class TestList:
    def test_filters_and_paging(self, client: TestClient, acc: Accounts) -> None:
        h = login(client, acc.admin)
        r = client.get("/api/v1/auth/users", params={"role": "site_manager"}, headers=h)
        assert r.status_code == 200
        body = r.json()
        assert {u["username"] for u in body["items"]} == {acc.manager.username}
        assert body["items"][0]["project_ids"] == [acc.project.id]
        r = client.get("/api/v1/auth/users", params={"project_id": acc.project.id}, headers=h)
        assert {u["id"] for u in r.json()["items"]} == {acc.manager.id, acc.inspector.id}
        r = client.get("/api/v1/auth/users", params={"q": acc.inspector.username}, headers=h)
        assert [u["id"] for u in r.json()["items"]] == [acc.inspector.id]
        page = client.get("/api/v1/auth/users", params={"limit": 2}, headers=h).json()
        assert len(page["items"]) == 2
        assert page["total"] >= 4
        assert page["limit"] == 2

    def test_active_filter_and_name_search(
        self, client: TestClient, session: Session, acc: Accounts
    ) -> None:
        acc.inspector.full_name = "监察_赵%"
        acc.inspector.active = False
        session.commit()
        h = login(client, acc.admin)
        r = client.get("/api/v1/auth/users", params={"active": "false"}, headers=h)
        assert acc.inspector.id in {u["id"] for u in r.json()["items"]}
        assert acc.admin.id not in {u["id"] for u in r.json()["items"]}
        r = client.get("/api/v1/auth/users", params={"q": "赵%"}, headers=h)
        assert [u["id"] for u in r.json()["items"]] == [acc.inspector.id]

    def test_bad_filter_is_422_not_500(self, client: TestClient, acc: Accounts) -> None:
        h = login(client, acc.admin)
        r = client.get("/api/v1/auth/users", params={"role": "boss", "limit": 0}, headers=h)
        assert r.status_code == 422


class TestUpdate:
    def test_role_scope_change_is_audited_old_to_new(
        self, client: TestClient, session: Session, acc: Accounts
    ) -> None:
        h = login(client, acc.admin)
        body = {"role": "site_manager", "project_ids": [acc.other.id], "full_name": "新经理"}
        r = client.patch(f"/api/v1/auth/users/{acc.inspector.id}", json=body, headers=h)
        assert r.status_code == 200, r.text
        assert r.json()["role"] == "site_manager"
        assert r.json()["project_ids"] == [acc.other.id]
        changes = _audits(session, acc.inspector.id)[-1].detail["changes"]
        assert changes["role"] == ["inspector", "site_manager"]
        assert changes["project_ids"] == [[acc.project.id], [acc.other.id]]
        assert changes["full_name"] == ["", "新经理"]

    def test_create_checks_apply(self, client: TestClient, acc: Accounts) -> None:
        h = login(client, acc.admin)
        url = f"/api/v1/auth/users/{acc.inspector.id}"
        r = client.patch(url, json={"role": "worker"}, headers=h)
        assert r.status_code == 422
        assert r.json()["detail"][0]["field"] == "worker_id"
        assert "工人" in r.json()["message_zh"]
        r = client.patch(url, json={"role": "site_manager", "project_ids": []}, headers=h)
        assert r.json()["detail"][0]["field"] == "project_ids"
        r = client.patch(url, json={"project_ids": [999999]}, headers=h)
        assert r.status_code == 422
        assert "999999" in r.json()["message_en"]
        r = client.patch(url, json={"worker_id": acc.spare_worker.id}, headers=h)
        assert r.status_code == 422  # only worker accounts link a worker
        r = client.patch(url, json={"role": None}, headers=h)
        assert r.status_code == 422
        r = client.patch(url, json={"password": "x"}, headers=h)
        assert r.status_code == 422

    def test_worker_role_links_a_worker_once(self, client: TestClient, acc: Accounts) -> None:
        h = login(client, acc.admin)
        url = f"/api/v1/auth/users/{acc.inspector.id}"
        r = client.patch(url, json={"role": "worker", "worker_id": acc.worker.id}, headers=h)
        assert r.status_code == 422
        assert r.json()["code"] == "auth.worker_taken"
        r = client.patch(url, json={"role": "worker", "worker_id": acc.spare_worker.id}, headers=h)
        assert r.status_code == 200, r.text
        assert r.json()["project_ids"] == []  # a worker's projects are their assignments
        r = client.patch(url, json={"role": "inspector"}, headers=h)
        assert r.status_code == 200
        assert r.json()["worker_id"] is None

    def test_admin_cannot_deactivate_or_demote_self(
        self, client: TestClient, acc: Accounts
    ) -> None:
        h = login(client, acc.admin)
        url = f"/api/v1/auth/users/{acc.admin.id}"
        for body in ({"active": False}, {"role": "inspector"}):
            r = client.patch(url, json=body, headers=h)
            assert r.status_code == 409
            assert r.json()["code"] == "auth.self_lockout"
        # with a second admin present it is still refused: it is about oneself
        r = client.patch(
            f"/api/v1/auth/users/{acc.inspector.id}", json={"role": "admin"}, headers=h
        )
        assert r.status_code == 200
        assert client.patch(url, json={"active": False}, headers=h).status_code == 409

    def test_a_second_admin_may_deactivate_the_first(
        self, client: TestClient, session: Session, acc: Accounts
    ) -> None:
        # Any other admins left over from earlier tests are outside this test's transaction.
        for other in session.scalars(select(User).where(User.role == Role.ADMIN)):
            if other.id != acc.admin.id:
                other.active = False
        second = make_user(session, Role.ADMIN)
        session.commit()
        h = login(client, second)
        r = client.patch(f"/api/v1/auth/users/{acc.admin.id}", json={"active": False}, headers=h)
        assert r.status_code == 200, r.text
        # now `second` is the last one; the first admin is gone, so second cannot lose it
        h1 = _sign_in(client, second.username, PASSWORD)
        r = client.patch(f"/api/v1/auth/users/{second.id}", json={"role": "inspector"}, headers=h1)
        assert r.status_code == 409  # self first
        r = client.patch(f"/api/v1/auth/users/{acc.admin.id}", json={"active": True}, headers=h1)
        assert r.status_code == 200

    def test_deactivating_ends_sessions_and_sign_in(
        self, client: TestClient, session: Session, acc: Accounts
    ) -> None:
        victim = login(client, acc.manager)
        assert client.get("/api/v1/auth/me", headers=victim).status_code == 200
        h = login(client, acc.admin)
        r = client.patch(f"/api/v1/auth/users/{acc.manager.id}", json={"active": False}, headers=h)
        assert r.status_code == 200
        assert client.get("/api/v1/auth/me", headers=victim).status_code == 401
        session.expire_all()
        left = session.scalars(select(AuthSession).where(AuthSession.user_id == acc.manager.id))
        assert list(left) == []
        r = client.post(
            "/api/v1/auth/token", data={"username": acc.manager.username, "password": PASSWORD}
        )
        assert r.status_code == 401


class TestPasswords:
    def test_reset_forces_a_change_then_clears(
        self, client: TestClient, session: Session, acc: Accounts
    ) -> None:
        old = login(client, acc.manager)
        h = login(client, acc.admin)
        r = client.post(
            f"/api/v1/auth/users/{acc.manager.id}/password", json={"password": TEMP}, headers=h
        )
        assert r.status_code == 200, r.text
        assert r.json()["must_change_password"] is True
        assert client.get("/api/v1/auth/me", headers=old).status_code == 401  # sessions ended
        assert client.get("/api/v1/auth/me", headers=h).status_code == 200  # not the admin's

        mine = _sign_in(client, acc.manager.username, TEMP)
        r = client.get("/api/v1/projects", headers=mine)
        assert r.status_code == 403
        assert r.json()["code"] == "auth.password_change_required"
        assert "修改密码" in r.json()["message_zh"]
        assert client.get("/api/v1/auth/me", headers=mine).json()["must_change_password"] is True
        body = {"current_password": TEMP, "new_password": NEW}
        assert client.post("/api/v1/auth/me/password", json=body, headers=mine).status_code == 204
        assert client.get("/api/v1/projects", headers=mine).status_code == 200

        text = json.dumps([a.detail for a in _audits(session, acc.manager.id)], ensure_ascii=False)
        assert TEMP not in text
        assert NEW not in text
        assert PASSWORD not in text
        assert "set_password" in {a.action for a in _audits(session, acc.manager.id)}

    def test_change_own_password_ends_other_sessions_only(
        self, client: TestClient, acc: Accounts
    ) -> None:
        other = login(client, acc.worker_user)
        mine = login(client, acc.worker_user)
        body = {"current_password": PASSWORD, "new_password": NEW}
        assert client.post("/api/v1/auth/me/password", json=body, headers=mine).status_code == 204
        assert client.get("/api/v1/auth/me", headers=mine).status_code == 200
        assert client.get("/api/v1/auth/me", headers=other).status_code == 401
        _sign_in(client, acc.worker_user.username, NEW)

    @pytest.mark.parametrize(
        ("new", "says"),
        [
            ("short-1", "at least 10"),
            ("1234567890", "too common"),
            ("PassWord123", "too common"),
            ("zzzzzzzzzzzz", "too common"),
        ],
    )
    def test_policy_names_the_field(
        self, client: TestClient, acc: Accounts, new: str, says: str
    ) -> None:
        h = login(client, acc.inspector)
        body = {"current_password": PASSWORD, "new_password": new}
        r = client.post("/api/v1/auth/me/password", json=body, headers=h)
        assert r.status_code == 422
        assert r.json()["code"] == "auth.weak_password"
        assert r.json()["detail"][0]["field"] == "new_password"
        assert says in r.json()["message_en"]
        assert r.json()["message_zh"].startswith("new_password")

    def test_username_and_wrong_current_refused(self, client: TestClient, acc: Accounts) -> None:
        h = login(client, acc.inspector)
        assert len(acc.inspector.username) >= 10  # so only "equals the username" is wrong
        body = {"current_password": PASSWORD, "new_password": acc.inspector.username.upper()}
        r = client.post("/api/v1/auth/me/password", json=body, headers=h)
        assert r.status_code == 422
        assert "username" in r.json()["message_en"]
        assert "用户名" in r.json()["message_zh"]
        body = {"current_password": "not-my-password", "new_password": NEW}
        r = client.post("/api/v1/auth/me/password", json=body, headers=h)
        assert r.status_code == 422
        assert r.json()["detail"][0]["field"] == "current_password"
        assert r.json()["code"] == "auth.wrong_password"
        body = {"current_password": PASSWORD, "new_password": PASSWORD}
        r = client.post("/api/v1/auth/me/password", json=body, headers=h)
        assert r.json()["code"] == "auth.same_password"

    def test_wrong_current_password_counts_like_a_failed_sign_in(
        self, client: TestClient, session: Session, acc: Accounts
    ) -> None:
        """A stolen session must not guess the password freely: five wrong current passwords
        lock the account and sign it out everywhere, as five failed sign-ins would."""
        h = login(client, acc.inspector)
        other = login(client, acc.inspector)
        body = {"current_password": "not-my-password", "new_password": NEW}
        for tries in range(1, 5):
            r = client.post("/api/v1/auth/me/password", json=body, headers=h)
            assert r.status_code == 422, r.text
            session.expire_all()
            assert pair_failures(session, acc.inspector.username) == tries
        r = client.post("/api/v1/auth/me/password", json=body, headers=h)
        assert r.status_code == 429, r.text
        assert r.json()["code"] == "auth.locked"
        assert "退出登录" in r.json()["message_zh"]
        assert client.get("/api/v1/auth/me", headers=h).status_code == 401
        assert client.get("/api/v1/auth/me", headers=other).status_code == 401
        r = client.post(
            "/api/v1/auth/token", data={"username": acc.inspector.username, "password": PASSWORD}
        )
        assert r.status_code == 429  # locked for login_lockout_s, like failed sign-ins

    def test_admin_reset_obeys_policy(self, client: TestClient, acc: Accounts) -> None:
        h = login(client, acc.admin)
        r = client.post(
            f"/api/v1/auth/users/{acc.manager.id}/password", json={"password": "abc"}, headers=h
        )
        assert r.status_code == 422
        assert r.json()["detail"][0]["field"] == "password"
