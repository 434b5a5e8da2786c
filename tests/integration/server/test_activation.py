"""Activation codes (issue 11): a site manager issues one-time codes in bulk, a worker signs up
with ID number + code + a new password and lands on their own pages; used, expired, voided
and other workers' codes are refused alike, guessing is throttled, and nobody outside the
project's office issues codes."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import httpx
import pytest
import time_machine
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.enums import Role
from server.auth import activation
from server.auth.models import ActivationCode, AuditLog, User
from server.registry.models import Project, Team, Worker
from server.reports import activation_pdf, payslip_pdf
from server.web.i18n import LANG_COOKIE
from tests.factories import (
    PASSWORD,
    login,
    make_assignment,
    make_company,
    make_id_number,
    make_project,
    make_team,
    make_user,
    make_worker,
    pair_failures,
)
from tests.integration.server.web.helpers import csrf_of, page_csrf, web_login

NEW = "my-own-pass-2026"
FAILED = "auth.activation_failed"


@dataclass
class Site:
    a: Project
    b: Project
    team: Team
    w_account: Worker  # on A, has an account
    w2: Worker  # on A, in the team
    w3: Worker  # on A, no team
    w_b: Worker  # on B
    worker_user: User
    manager_a: User
    manager_b: User
    inspector_a: User
    admin: User


@pytest.fixture
def site(session: Session) -> Site:
    a = make_project(session, name="开通甲项目")
    b = make_project(session, name="开通乙项目")
    company = make_company(session, a)
    team = make_team(session, a, company, "木工班")
    w_account = make_worker(session, name="有账号")
    w2 = make_worker(session, name="班组工人")
    w3 = make_worker(session, name="散工")
    w_b = make_worker(session, name="乙项目工人")
    make_assignment(session, a, w_account, company, team)
    make_assignment(session, a, w2, company, team)
    make_assignment(session, a, w3)
    make_assignment(session, b, w_b)
    built = Site(
        a=a,
        b=b,
        team=team,
        w_account=w_account,
        w2=w2,
        w3=w3,
        w_b=w_b,
        worker_user=make_user(session, Role.WORKER, worker=w_account),
        manager_a=make_user(session, Role.SITE_MANAGER, [a]),
        manager_b=make_user(session, Role.SITE_MANAGER, [b]),
        inspector_a=make_user(session, Role.INSPECTOR, [a]),
        admin=make_user(session, Role.ADMIN),
    )
    session.commit()
    return built


def _issue(client: TestClient, user: User, project: Project, **body: object) -> httpx.Response:
    return client.post(
        f"/api/v1/projects/{project.id}/activation-codes", json=body, headers=login(client, user)
    )


def _codes(client: TestClient, user: User, project: Project, **body: object) -> dict[int, str]:
    r = _issue(client, user, project, **body)
    assert r.status_code == 200, r.text
    return {c["worker_id"]: c["code"] for c in r.json()["issued"]}


def _activate(
    client: TestClient, who: Worker | str, code: str, password: str = NEW
) -> httpx.Response:
    id_number = who if isinstance(who, str) else who.id_number
    return client.post(
        "/api/v1/auth/activate", json={"id_number": id_number, "code": code, "password": password}
    )


class TestIssueInBulk:
    def test_every_worker_without_an_account_gets_one_code_shown_once(
        self, app: FastAPI, client: TestClient, session: Session, site: Site
    ) -> None:
        r = _issue(client, site.manager_a, site.a)
        assert r.status_code == 200, r.text
        body = r.json()
        issued = {c["worker_id"]: c for c in body["issued"]}
        assert set(issued) == {site.w2.id, site.w3.id}
        assert [s["worker_id"] for s in body["skipped"]] == [site.w_account.id]
        assert body["skipped"][0]["reason"] == "has_account"
        assert "已有账号" in body["skipped"][0]["message_zh"]
        assert body["signup_url"] == "http://testserver/activate"
        for c in issued.values():
            assert len(c["code"]) == 9
            assert c["code"][4] == "-"
            assert not set(c["code"].replace("-", "")) & set("0O1IL")
            assert "*" in c["id_number_masked"]
        assert issued[site.w2.id]["team"] == site.team.name
        issued_at = dt.datetime.fromisoformat(body["issued_at"])
        expires_at = dt.datetime.fromisoformat(body["expires_at"])
        assert expires_at - issued_at == dt.timedelta(days=14)
        # Only a keyed hash is stored, nothing that contains the code.
        session.expire_all()
        rows = session.scalars(select(ActivationCode)).all()
        assert len(rows) == 2
        for row in rows:
            code = issued[row.worker_id]["code"]
            assert code.replace("-", "") not in row.code_hash
            settings = app.state.settings
            assert row.code_hash == activation.code_hash(
                settings, row.worker_id, code.replace("-", "")
            )
            assert row.issued_by_user_id == site.manager_a.id
            assert row.project_id == site.a.id

    def test_issuing_is_audited_per_code_without_the_code(
        self, client: TestClient, session: Session, site: Site
    ) -> None:
        codes = _codes(client, site.manager_a, site.a)
        session.expire_all()
        audits = session.scalars(select(AuditLog).where(AuditLog.entity == "activation_code")).all()
        assert {a.detail["worker_id"] for a in audits} == set(codes)
        for a in audits:
            assert a.action == "issue"
            assert a.user_id == site.manager_a.id
            assert a.project_id == site.a.id
            text = str(a.detail)
            assert not any(c.replace("-", "") in text or c in text for c in codes.values())

    def test_a_team_or_chosen_workers(self, client: TestClient, site: Site) -> None:
        assert set(_codes(client, site.manager_a, site.a, team_id=site.team.id)) == {site.w2.id}
        assert set(_codes(client, site.manager_a, site.a, worker_ids=[site.w3.id])) == {site.w3.id}

    def test_a_worker_or_team_of_another_project_is_refused(
        self, client: TestClient, site: Site, session: Session
    ) -> None:
        r = _issue(client, site.manager_a, site.a, worker_ids=[site.w_b.id])
        assert r.status_code == 422
        assert r.json()["code"] == "activation.not_on_project"
        other_team = make_team(session, site.b, make_company(session, site.b))
        session.commit()
        r = _issue(client, site.manager_a, site.a, team_id=other_team.id)
        assert r.status_code == 404
        r = _issue(client, site.manager_a, site.a, team_id=site.team.id, worker_ids=[site.w2.id])
        assert r.status_code == 422

    def test_a_new_code_voids_the_unused_one(self, client: TestClient, site: Site) -> None:
        first = _codes(client, site.manager_a, site.a, worker_ids=[site.w2.id])[site.w2.id]
        r = _issue(client, site.manager_a, site.a, worker_ids=[site.w2.id])
        assert r.json()["voided"] == 1
        second = r.json()["issued"][0]["code"]
        assert _activate(client, site.w2, first).status_code == 401
        assert _activate(client, site.w2, second).status_code == 200

    def test_reset_gives_workers_with_an_account_a_code_for_their_password(
        self, client: TestClient, session: Session, site: Site
    ) -> None:
        old_session = login(client, site.worker_user)
        codes = _codes(client, site.manager_a, site.a, reset_existing=True)
        assert site.w_account.id in codes
        r = _activate(client, site.w_account, codes[site.w_account.id])
        assert r.status_code == 200, r.text
        assert r.json()["username"] == site.worker_user.username  # the account stays
        assert r.json()["created"] is False
        assert client.get("/api/v1/auth/me", headers=old_session).status_code == 401
        bad = {"username": site.worker_user.username, "password": PASSWORD}
        assert client.post("/api/v1/auth/token", data=bad).status_code == 401
        good = {"username": site.worker_user.username, "password": NEW}
        assert client.post("/api/v1/auth/token", data=good).status_code == 200
        session.expire_all()
        assert session.scalar(select(func.count()).select_from(User).where(
            User.worker_id == site.w_account.id)) == 1  # fmt: skip

    def test_a_deactivated_account_is_never_reopened(
        self, client: TestClient, session: Session, site: Site
    ) -> None:
        session.get(User, site.worker_user.id).active = False  # type: ignore[union-attr]
        session.commit()
        r = _issue(client, site.manager_a, site.a, reset_existing=True)
        skipped = {s["worker_id"]: s["reason"] for s in r.json()["skipped"]}
        assert skipped == {site.w_account.id: "account_inactive"}


class TestWhoMayIssue:
    def test_a_manager_of_another_project_gets_404(self, client: TestClient, site: Site) -> None:
        r = _issue(client, site.manager_b, site.a)
        assert r.status_code == 404
        assert "班组工人" not in r.text

    @pytest.mark.parametrize("who", ["inspector_a", "worker_user"])
    def test_an_inspector_or_a_worker_gets_403(
        self, client: TestClient, site: Site, who: str
    ) -> None:
        r = _issue(client, getattr(site, who), site.a)
        assert r.status_code == 403

    def test_an_admin_issues_for_any_project(self, client: TestClient, site: Site) -> None:
        assert set(_codes(client, site.admin, site.b)) == {site.w_b.id}


class TestSignUp:
    def test_id_number_and_code_make_the_workers_own_account(
        self, client: TestClient, session: Session, site: Site
    ) -> None:
        code = _codes(client, site.manager_a, site.a)[site.w2.id]
        r = _activate(client, site.w2, code.lower().replace("-", " "))  # as typed on a phone
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["username"] == site.w2.id_number
        assert body["created"] is True
        me = client.get(
            "/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}
        )
        assert me.json()["role"] == "worker"
        assert me.json()["worker_id"] == site.w2.id
        assert me.json()["full_name"] == site.w2.name
        session.expire_all()
        row = session.scalar(select(ActivationCode).where(ActivationCode.worker_id == site.w2.id))
        assert row is not None
        assert row.used_at is not None
        audit = session.scalar(select(AuditLog).where(AuditLog.action == "activate"))
        assert audit is not None
        assert audit.project_id == site.a.id
        assert site.w2.id_number not in str(audit.detail)  # the username is the full number

    def test_a_used_code_is_refused(self, client: TestClient, site: Site) -> None:
        code = _codes(client, site.manager_a, site.a)[site.w2.id]
        assert _activate(client, site.w2, code).status_code == 200
        r = _activate(client, site.w2, code, password="another-pass-2026")
        assert r.status_code == 401
        assert r.json()["code"] == FAILED

    def test_an_expired_code_is_refused(self, client: TestClient, site: Site) -> None:
        code = _codes(client, site.manager_a, site.a)[site.w2.id]
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=14, minutes=1)
        with time_machine.travel(later, tick=False):
            r = _activate(client, site.w2, code)
        assert r.status_code == 401
        assert r.json()["code"] == FAILED
        day_before = dt.datetime.now(dt.UTC) + dt.timedelta(days=13, hours=23)
        with time_machine.travel(day_before, tick=False):
            assert _activate(client, site.w2, code).status_code == 200

    def test_my_code_with_another_workers_id_number_is_refused(
        self, client: TestClient, site: Site
    ) -> None:
        codes = _codes(client, site.manager_a, site.a)
        r = _activate(client, site.w3, codes[site.w2.id])
        assert r.status_code == 401
        assert r.json()["code"] == FAILED

    def test_every_refusal_reads_the_same(self, client: TestClient, site: Site) -> None:
        """Wrong ID, wrong code, used, another's: one answer, so none tells which part failed."""
        codes = _codes(client, site.manager_a, site.a)
        assert _activate(client, site.w3, codes[site.w3.id]).status_code == 200
        nobody = make_id_number()  # valid, and nobody's
        answers = [
            _activate(client, site.w2, "ABCD-EFGH").json(),  # wrong code
            _activate(client, nobody, codes[site.w2.id]).json(),  # unknown ID number
            _activate(client, site.w3, codes[site.w3.id]).json(),  # used
            _activate(client, site.w_b, codes[site.w2.id]).json(),  # no code at all
        ]
        assert all(a == answers[0] for a in answers), answers
        assert answers[0]["code"] == FAILED
        assert "激活码" in answers[0]["message_zh"]
        assert "code" in answers[0]["message_en"]

    def test_a_weak_password_is_refused_before_the_code_is_looked_at(
        self, client: TestClient, session: Session, site: Site
    ) -> None:
        code = _codes(client, site.manager_a, site.a)[site.w2.id]
        for weak in ("short", site.w2.id_number, "1234567890"):
            r = _activate(client, site.w2, code, password=weak)
            assert r.status_code == 422, r.text
            assert r.json()["code"] == "auth.weak_password"
        r = _activate(client, site.w2, "ABCD-EFGH", password="short")
        assert r.status_code == 422  # the same answer with a wrong code: nothing learnt
        assert pair_failures(session, site.w2.id_number) == 0
        assert _activate(client, site.w2, code).status_code == 200

    def test_a_malformed_id_number_is_a_422(self, client: TestClient, site: Site) -> None:
        r = client.post(
            "/api/v1/auth/activate",
            json={"id_number": "12345", "code": "ABCD-EFGH", "password": NEW},
        )
        assert r.status_code == 422
        assert r.json()["code"] == "auth.bad_id_number"

    def test_a_taken_username_gives_the_worker_another(
        self, client: TestClient, session: Session, site: Site
    ) -> None:
        from server.auth import service as auth_service

        auth_service.create_user(
            session, username=site.w2.id_number, password=PASSWORD, role=Role.INSPECTOR
        )
        session.commit()
        code = _codes(client, site.manager_a, site.a)[site.w2.id]
        r = _activate(client, site.w2, code)
        assert r.status_code == 200, r.text
        assert r.json()["username"] == f"w{site.w2.id}"


class TestGuessing:
    def test_wrong_codes_are_throttled_with_429(
        self, client: TestClient, session: Session, site: Site
    ) -> None:
        code = _codes(client, site.manager_a, site.a)[site.w2.id]
        for n in range(5):  # login_max_failures
            assert _activate(client, site.w2, f"ABCD-EFG{'HJKMN'[n]}").status_code == 401
        r = _activate(client, site.w2, code)
        assert r.status_code == 429  # even the right code waits
        assert r.json()["code"] == "auth.activation_locked"
        assert int(r.headers["Retry-After"]) >= 1

    def test_the_block_is_the_sign_in_block_of_the_address(
        self, app: FastAPI, client: TestClient, site: Site
    ) -> None:
        """Codes and passwords share the address's count: neither is tried faster by
        alternating, and another address is not held."""
        code = _codes(client, site.manager_a, site.a)[site.w2.id]
        with TestClient(app, client=("203.0.113.9", 4000)) as attacker:
            for i in range(30):  # login_address_max_failures, each on another name or ID
                if i % 2:
                    form = {"username": f"guess{i}", "password": "wrong-pass-77"}
                    assert attacker.post("/api/v1/auth/token", data=form).status_code == 401
                else:
                    assert _activate(attacker, make_id_number(), code).status_code == 401
            r = _activate(attacker, site.w2, code)
            assert r.status_code == 429
            assert "开通账号失败次数过多" in r.json()["message_zh"]
        assert _activate(client, site.w2, code).status_code == 200


class TestPages:
    def test_the_site_page_lists_each_workers_state(self, client: TestClient, site: Site) -> None:
        _codes(client, site.manager_a, site.a, worker_ids=[site.w2.id])
        web_login(client, site.manager_a)
        r = client.get(f"/site/{site.a.id}/activation")
        assert r.status_code == 200
        assert 'id="nav-activation"' in r.text
        for state in ("已开通", "激活码待使用", "未开通"):
            assert state in r.text
        assert site.w2.id_number not in r.text  # masked
        assert "http://testserver/activate" in r.text

    def test_issue_as_xlsx_then_sign_up_on_the_phone_page(
        self, app: FastAPI, client: TestClient, site: Site
    ) -> None:
        web_login(client, site.manager_a)
        token = page_csrf(client, f"/site/{site.a.id}/activation")
        r = client.post(
            f"/site/{site.a.id}/activation",
            data={"csrf_token": token, "scope": "all", "format": "xlsx"},
        )
        assert r.status_code == 200, r.text[:300]
        assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
        ws = load_workbook(io.BytesIO(r.content))["激活码 Codes"]
        rows = {row[1]: row for row in ws.iter_rows(min_row=4, values_only=True)}
        assert set(rows) == {site.w2.name, site.w3.name}
        code = str(rows[site.w2.name][4])
        assert rows[site.w2.name][6] == "http://testserver/activate"
        assert "*" in str(rows[site.w2.name][2])

        with TestClient(app) as phone:
            page = phone.get("/login")
            assert 'href="/activate"' in page.text
            form = phone.get("/activate")
            assert form.status_code == 200
            r = phone.post(
                "/activate",
                data={
                    "id_number": site.w2.id_number,
                    "code": code,
                    "new_password": NEW,
                    "repeat_password": NEW,
                    "csrf_token": csrf_of(form.text),
                },
                follow_redirects=False,
            )
            assert r.status_code == 303, r.text
            assert r.headers["location"] == "/activate/done"
            done = phone.get("/activate/done")
            assert site.w2.id_number in done.text  # the username, shown to its owner
            assert phone.get("/me/").status_code == 200

    def test_nothing_to_issue_says_so_and_names_who_was_skipped(
        self, client: TestClient, site: Site
    ) -> None:
        web_login(client, site.manager_a)
        token = page_csrf(client, f"/site/{site.a.id}/activation")
        r = client.post(
            f"/site/{site.a.id}/activation",
            data={"csrf_token": token, "scope": "selected", "worker_id": str(site.w_account.id)},
        )
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/html")
        assert 'id="activation-notice"' in r.text
        assert site.w_account.name in r.text

    def test_ticks_left_under_everyone_are_refused_not_guessed(
        self, client: TestClient, session: Session, site: Site
    ) -> None:
        web_login(client, site.manager_a)
        token = page_csrf(client, f"/site/{site.a.id}/activation")
        r = client.post(
            f"/site/{site.a.id}/activation",
            data={"csrf_token": token, "scope": "all", "worker_id": str(site.w2.id)},
        )
        assert r.status_code == 422
        assert "发放范围" in r.text
        session.expire_all()
        assert session.scalar(select(func.count()).select_from(ActivationCode)) == 0

    def test_the_pdf_of_slips(self, client: TestClient, site: Site) -> None:
        try:
            activation_pdf.ensure_font()
        except payslip_pdf.CjkFontMissingError:
            pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")
        web_login(client, site.manager_a)
        token = page_csrf(client, f"/site/{site.a.id}/activation")
        r = client.post(
            f"/site/{site.a.id}/activation",
            data={"csrf_token": token, "scope": "team", "team_id": str(site.team.id)},
        )
        assert r.status_code == 200, r.text[:300]
        assert r.headers["content-type"] == "application/pdf"
        assert r.content.startswith(b"%PDF")
        assert "attachment" in r.headers["content-disposition"]

    def test_without_a_font_nothing_is_issued(
        self, client: TestClient, session: Session, site: Site, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def missing() -> tuple[str, int]:
            raise payslip_pdf.CjkFontMissingError("找不到中文字体", "no CJK font")

        monkeypatch.setattr(activation_pdf, "ensure_font", missing)
        web_login(client, site.manager_a)
        token = page_csrf(client, f"/site/{site.a.id}/activation")
        r = client.post(f"/site/{site.a.id}/activation", data={"csrf_token": token})
        assert r.status_code == 503
        assert "找不到中文字体" in r.text
        session.expire_all()
        assert session.scalar(select(func.count()).select_from(ActivationCode)) == 0

    def test_form_problems_are_listed_without_a_lookup(
        self, client: TestClient, session: Session, site: Site
    ) -> None:
        form = client.get("/activate")
        r = client.post(
            "/activate",
            data={
                "id_number": "12345",
                "code": "0O1IL",
                "new_password": NEW,
                "repeat_password": NEW + "x",
                "csrf_token": csrf_of(form.text),
            },
        )
        assert r.status_code == 422
        errors = r.text[r.text.index('id="form-errors"') :]
        for problem in ("身份证号", "激活码应为 8 位", "不一致"):
            assert problem in errors
        assert pair_failures(session, "12345") == 0

    def test_a_wrong_code_is_one_bilingual_message(
        self, client: TestClient, session: Session, site: Site
    ) -> None:
        for lang, first in (("zh", "身份证号或激活码不正确"), ("en", "The ID number or the code")):
            client.cookies.set(LANG_COOKIE, lang)
            form = client.get("/activate")
            r = client.post(
                "/activate",
                data={
                    "id_number": site.w2.id_number,
                    "code": "WXYZ-WXYZ",
                    "new_password": NEW,
                    "repeat_password": NEW,
                    "csrf_token": csrf_of(form.text),
                },
            )
            assert r.status_code == 401
            errors = r.text[r.text.index('id="form-errors"') :]
            assert errors.index(first) < errors.index(
                "The ID number or the code" if lang == "zh" else "身份证号或激活码不正确"
            )
            assert "WXYZ" not in r.text  # the code is not echoed back
        assert pair_failures(session, site.w2.id_number) == 2  # counted like sign-ins

    def test_the_form_needs_its_own_token(self, client: TestClient, site: Site) -> None:
        r = client.post("/activate", data={"id_number": site.w2.id_number, "code": "x"})
        assert r.status_code == 403
