"""Throttling by client address (issue 10.8): a stranger cannot keep the owner locked out, one
address cannot spray passwords, many addresses cannot guess one account from outside, wrong
provisioning codes are slowed down, and every block ends."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from models.device_auth import new_private_key, public_key_hex
from models.enums import Role
from server.auth.models import User
from tests.factories import PASSWORD, make_device, make_project, make_user
from tests.integration.server.ingest.ingest_support import set_code

WRONG = "not-the-password-1"


def _from(app: FastAPI, address: str) -> TestClient:
    return TestClient(app, client=(address, 40000))


def _sign_in(client: TestClient, username: str, password: str) -> int:
    r = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    return r.status_code


@pytest.fixture
def owner(session: Session) -> User:
    user = make_user(session, Role.INSPECTOR)
    session.commit()
    return user


@pytest.fixture
def attacker(app: FastAPI) -> Iterator[TestClient]:
    with _from(app, "203.0.113.66") as c:
        yield c


@pytest.fixture
def home(app: FastAPI) -> Iterator[TestClient]:
    with _from(app, "198.51.100.7") as c:
        yield c


class TestAccountFromOneAddress:
    def test_the_failing_address_is_locked_and_the_owner_elsewhere_is_not(
        self, attacker: TestClient, home: TestClient, owner: User
    ) -> None:
        for _ in range(4):
            assert _sign_in(attacker, owner.username, WRONG) == 401
        r = attacker.post(
            "/api/v1/auth/token", data={"username": owner.username, "password": WRONG}
        )
        assert r.status_code == 401  # the 5th failure itself is answered as a failure …
        r = attacker.post(
            "/api/v1/auth/token", data={"username": owner.username, "password": PASSWORD}
        )
        assert r.status_code == 429  # … and then even the right password waits there
        assert r.json()["code"] == "auth.locked"
        assert int(r.headers["Retry-After"]) >= 1
        assert _sign_in(home, owner.username, PASSWORD) == 200

    def test_the_lock_ends_and_doubles_up_to_the_ceiling(
        self, attacker: TestClient, owner: User, settings: object
    ) -> None:
        # login_lockout_s=2 in the test settings; the ceiling is login_max_block_s (3600).
        with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as traveller:
            waits = []
            for _ in range(3):
                for _ in range(5):
                    _sign_in(attacker, owner.username, WRONG)
                r = attacker.post(
                    "/api/v1/auth/token", data={"username": owner.username, "password": PASSWORD}
                )
                assert r.status_code == 429
                waits.append(int(r.headers["Retry-After"]))
                traveller.shift(waits[-1] + 1)
            assert waits == [3, 5, 9]  # 2, 4, 8 s, rounded up
            assert _sign_in(attacker, owner.username, PASSWORD) == 200


class TestOneAddressManyAccounts:
    def test_spraying_from_one_address_is_refused_for_every_account(
        self, attacker: TestClient, home: TestClient, owner: User
    ) -> None:
        for i in range(30):  # login_address_max_failures
            assert _sign_in(attacker, f"guess{i}", WRONG) == 401
        r = attacker.post(
            "/api/v1/auth/token", data={"username": owner.username, "password": PASSWORD}
        )
        assert r.status_code == 429
        assert "此地址" in r.json()["message_zh"]
        assert _sign_in(home, owner.username, PASSWORD) == 200


class TestManyAddressesOneAccount:
    def test_unknown_addresses_are_held_and_the_owners_known_one_is_not(
        self, app: FastAPI, home: TestClient, owner: User
    ) -> None:
        assert _sign_in(home, owner.username, PASSWORD) == 200  # home is now a known address
        for i in range(20):  # login_account_max_failures, one failure per address
            with _from(app, f"192.0.2.{i + 1}") as c:
                assert _sign_in(c, owner.username, WRONG) == 401
        with _from(app, "192.0.2.200") as stranger:
            assert _sign_in(stranger, owner.username, PASSWORD) == 429
        assert _sign_in(home, owner.username, PASSWORD) == 200


class TestAdminReset:
    def test_a_password_reset_lifts_the_accounts_blocks(
        self, client: TestClient, attacker: TestClient, session: Session, owner: User
    ) -> None:
        for _ in range(5):
            _sign_in(attacker, owner.username, WRONG)
        assert _sign_in(attacker, owner.username, PASSWORD) == 429
        admin = make_user(session, Role.ADMIN)
        session.commit()
        token = client.post(
            "/api/v1/auth/token", data={"username": admin.username, "password": PASSWORD}
        ).json()["access_token"]
        h = {"Authorization": f"Bearer {token}"}
        r = client.get(f"/api/v1/auth/users/{owner.id}", headers=h)
        assert r.json()["locked_until"] is not None  # the admin sees the block
        new = "a-fresh-password-77"
        r = client.post(
            f"/api/v1/auth/users/{owner.id}/password", json={"password": new}, headers=h
        )
        assert r.status_code == 200, r.text
        assert r.json()["locked_until"] is None
        assert _sign_in(attacker, owner.username, new) == 200


class TestProvisioning:
    def test_wrong_codes_from_one_address_are_slowed_down(
        self, app: FastAPI, attacker: TestClient, home: TestClient, session: Session
    ) -> None:
        device = make_device(session, make_project(session))
        set_code(session, device, "RIGHT-CODE-2026")
        session.commit()
        key = public_key_hex(new_private_key())
        for i in range(10):  # provision_max_failures
            r = attacker.post(
                "/api/v1/edge/provision", json={"code": f"WRONG-{i:06d}", "public_key": key}
            )
            assert r.status_code == 401, r.text
        r = attacker.post(
            "/api/v1/edge/provision", json={"code": "RIGHT-CODE-2026", "public_key": key}
        )
        assert r.status_code == 429
        assert r.json()["code"] == "device.too_many_attempts"
        assert "Retry-After" in r.headers
        r = home.post("/api/v1/edge/provision", json={"code": "RIGHT-CODE-2026", "public_key": key})
        assert r.status_code == 200, r.text


class TestWebSignIn:
    def test_the_sign_in_page_says_how_long_to_wait(
        self, app: FastAPI, attacker: TestClient, owner: User
    ) -> None:
        for _ in range(5):
            _sign_in(attacker, owner.username, WRONG)
        page = attacker.get("/login")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        r = attacker.post(
            "/login",
            data={"username": owner.username, "password": PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 429
        assert "秒后再试" in r.text


class TestPrune:
    def test_counters_untouched_for_a_day_are_forgotten(
        self, attacker: TestClient, session: Session, owner: User
    ) -> None:
        from server.auth import throttle
        from server.auth.models import AuthThrottle

        for _ in range(5):
            _sign_in(attacker, owner.username, WRONG)
        _sign_in(attacker, "nobody-at-all", WRONG)
        session.expire_all()
        before = session.query(AuthThrottle).count()
        now = dt.datetime.now(dt.UTC)
        assert throttle.prune(session, now, older_than=dt.timedelta(days=1)) == 0
        later = now + dt.timedelta(days=2)
        assert throttle.prune(session, later, older_than=dt.timedelta(days=1)) == before
