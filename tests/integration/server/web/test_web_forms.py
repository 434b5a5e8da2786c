"""Forms: CSRF refusal writes nothing; validation shows each field's message (Chinese first) and
writes nothing; ID numbers stay masked for inspectors and workers, and a site manager's "show
full number" is allowed by the registry and audited."""

from __future__ import annotations

import io
import re

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.auth.models import AuditLog
from server.reconciliation.models import Finding, FindingEvent
from server.registry.models import Worker
from server.rosters.models import AttendanceCorrection
from tests.factories import make_id_number
from tests.integration.server.web.conftest import PERIOD, World
from tests.integration.server.web.helpers import page_csrf, web_login

FORM_ERRORS = re.compile(r'<div class="flash err" role="alert" id="form-errors">(.*?)</div>', re.S)


def _corrections(session: Session) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(AttendanceCorrection)) or 0)


def _form_errors(html: str) -> str:
    match = FORM_ERRORS.search(html)
    assert match, "no error box on the page"
    return match.group(1)


def _manager(client: TestClient, world: World) -> tuple[str, str]:
    """Signed in as A's site manager; (worker X's profile path, its CSRF token)."""
    web_login(client, world.manager_a)
    profile = f"/site/{world.a.id}/workers/{world.x.id}"
    return profile, page_csrf(client, profile)


CORRECTION = {
    "day": "2026-03-17",
    "time": "07:30",
    "direction": "in",
    "reason": "闸机故障,班组长证明",
}


class TestCsrf:
    def test_correction_without_or_with_wrong_token_is_403_and_writes_nothing(
        self, client: TestClient, session: Session, world: World
    ) -> None:
        profile, token = _manager(client, world)
        before = _corrections(session)
        for data in (CORRECTION, {**CORRECTION, "csrf_token": "forged"}):
            r = client.post(f"{profile}/correction", data=data, follow_redirects=False)
            assert r.status_code == 403
            assert "表单已过期" in r.text
        assert _corrections(session) == before
        r = client.post(
            f"{profile}/correction",
            data={**CORRECTION, "csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 303
        assert _corrections(session) == before + 1

    def test_another_sessions_token_is_refused(
        self, client: TestClient, session: Session, world: World
    ) -> None:
        _, old_token = _manager(client, world)
        client.cookies.clear()
        profile, _ = _manager(client, world)  # a new session: the old token is not its token
        r = client.post(f"{profile}/correction", data={**CORRECTION, "csrf_token": old_token})
        assert r.status_code == 403
        assert _corrections(session) == 0

    def test_register_and_finding_forms_need_the_token(
        self, client: TestClient, session: Session, world: World
    ) -> None:
        web_login(client, world.manager_a)
        r = client.post(
            f"/site/{world.a.id}/workers/new",
            data={"name": "无令牌", "id_number": make_id_number(), "wage_rate": "300"},
        )
        assert r.status_code == 403
        assert session.scalar(select(Worker).where(Worker.name == "无令牌")) is None
        web_login(client, world.inspector_a)
        events = session.scalar(select(func.count()).select_from(FindingEvent))
        r = client.post(
            f"/inspect/{world.a.id}/{PERIOD}/findings/{world.finding_a.id}",
            data={"action": "waive", "comment": "无令牌"},
        )
        assert r.status_code == 403
        session.expire_all()
        assert session.scalar(select(func.count()).select_from(FindingEvent)) == events
        assert session.get(Finding, world.finding_a.id).status == "open"  # type: ignore[union-attr]


class TestCorrectionForm:
    def test_missing_reason_shows_the_fields_message_and_writes_nothing(
        self, client: TestClient, session: Session, world: World
    ) -> None:
        profile, token = _manager(client, world)
        r = client.post(
            f"{profile}/correction", data={**CORRECTION, "reason": "  ", "csrf_token": token}
        )
        assert r.status_code == 422
        assert "原因必须填写" in _form_errors(r.text)
        assert 'id="corr-time" value="07:30"' in r.text  # what was typed stays in the form
        assert _corrections(session) == 0

    def test_every_bad_field_is_listed_at_once(
        self, client: TestClient, session: Session, world: World
    ) -> None:
        profile, token = _manager(client, world)
        r = client.post(
            f"{profile}/correction",
            data={
                "day": "2026-02-30",
                "time": "25:00",
                "direction": "up",
                "reason": "短",
                "csrf_token": token,
            },
        )
        errors = _form_errors(r.text)
        assert r.status_code == 422
        for text in ("日期不是有效日期", "时间不是有效时间", "方向的取值无效", "原因至少 4 个字"):
            assert text in errors
        assert _corrections(session) == 0

    def test_future_time_is_the_services_message_and_writes_nothing(
        self, client: TestClient, session: Session, world: World
    ) -> None:
        profile, token = _manager(client, world)
        r = client.post(
            f"{profile}/correction",
            data={**CORRECTION, "day": "2026-03-19", "csrf_token": token},
        )
        assert r.status_code == 422
        assert "补卡时间不能晚于当前时间" in _form_errors(r.text)
        assert _corrections(session) == 0

    def test_english_switch_gives_english_messages(
        self, client: TestClient, session: Session, world: World
    ) -> None:
        profile, token = _manager(client, world)
        client.cookies.set("sitegate_lang", "en")
        r = client.post(
            f"{profile}/correction", data={**CORRECTION, "reason": "", "csrf_token": token}
        )
        assert "Reason is required" in _form_errors(r.text)

    def test_a_correction_is_written_by_the_service_with_author_and_audit(
        self, client: TestClient, session: Session, world: World
    ) -> None:
        profile, token = _manager(client, world)
        r = client.post(
            f"{profile}/correction",
            data={**CORRECTION, "csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 303
        assert r.headers["location"].endswith("?msg=worker.correction_ok")
        page = client.get(r.headers["location"])
        assert "补卡已记录" in page.text
        assert "闸机故障,班组长证明" in page.text
        row = session.scalar(select(AttendanceCorrection))
        assert row is not None
        assert row.author_user_id == world.manager_a.id
        assert session.scalar(select(func.count()).where(AuditLog.action == "attendance.correct"))


class TestRegisterForm:
    def test_bad_id_check_digit_shows_the_message_and_writes_nothing(
        self, client: TestClient, session: Session, world: World
    ) -> None:
        web_login(client, world.manager_a)
        path = f"/site/{world.a.id}/workers/new"
        token = page_csrf(client, path)
        good = make_id_number()
        bad = good[:17] + ("0" if good[17] != "0" else "1")
        workers = session.scalar(select(func.count()).select_from(Worker))
        r = client.post(
            path,
            data={"name": "校验位错", "id_number": bad, "wage_rate": "300", "csrf_token": token},
        )
        assert r.status_code == 422
        errors = _form_errors(r.text)
        assert "身份证号无效" in errors
        assert "姓名" not in errors  # only the field that is wrong
        assert 'value="校验位错"' in r.text  # the form keeps what was typed
        session.expire_all()
        assert session.scalar(select(func.count()).select_from(Worker)) == workers

    def test_missing_name_and_id_are_both_listed(self, client: TestClient, world: World) -> None:
        web_login(client, world.manager_a)
        path = f"/site/{world.a.id}/workers/new"
        r = client.post(path, data={"wage_rate": "abc", "csrf_token": page_csrf(client, path)})
        errors = _form_errors(r.text)
        for text in ("姓名必须填写", "身份证号必须填写", "工资标准(元)不是有效金额"):
            assert text in errors


class TestFindingForm:
    def test_waive_without_comment_shows_message_and_changes_nothing(
        self, client: TestClient, session: Session, world: World
    ) -> None:
        web_login(client, world.inspector_a)
        path = f"/inspect/{world.a.id}/{PERIOD}"
        token = page_csrf(client, path)
        r = client.post(
            f"{path}/findings/{world.finding_a.id}",
            data={"action": "waive", "comment": " ", "csrf_token": token},
        )
        assert r.status_code == 422
        assert "必须填写处理说明" in _form_errors(r.text)
        session.expire_all()
        assert session.get(Finding, world.finding_a.id).status == "open"  # type: ignore[union-attr]
        r = client.post(
            f"{path}/findings/{world.finding_a.id}",
            data={"action": "waive", "comment": "已核实", "csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 303
        session.expire_all()
        assert session.get(Finding, world.finding_a.id).status == "waived"  # type: ignore[union-attr]
        assert "已核实" in client.get(path).text


class TestIdMasking:
    def _full_ids(self, world: World) -> list[str]:
        return [w.id_number for w in world.workers]

    def _assert_masked(self, text: str, world: World, where: str) -> None:
        for full in self._full_ids(world):
            assert full not in text, where
            assert full[6:14] not in text, where  # not even the birth date part

    def test_inspector_pages_and_exports_never_show_a_full_id(
        self, client: TestClient, world: World
    ) -> None:
        web_login(client, world.inspector_a)
        a, x = world.a.id, world.x.id
        for path in ("/inspect/", f"/inspect/{a}/{PERIOD}", f"/inspect/{a}/{PERIOD}/workers/{x}"):
            r = client.get(path)
            assert r.status_code == 200, path
            self._assert_masked(r.text, world, path)
        assert f"{world.x.id_number[:6]}********{world.x.id_number[-4:]}" in r.text
        for path in (f"/inspect/{a}/{PERIOD}/export.xlsx", f"/inspect/{a}/{PERIOD}/ledger.xlsx"):
            r = client.get(path)
            assert r.status_code == 200, path
            wb = load_workbook(io.BytesIO(r.content))
            cells = " ".join(
                str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row
            )
            self._assert_masked(cells, world, path)
        r = client.post(f"/site/{a}/workers/{x}/full-id", data={"csrf_token": "x"})
        assert r.status_code in (403, 404)

    def test_worker_pages_never_show_a_full_id(self, client: TestClient, world: World) -> None:
        web_login(client, world.worker_x)
        for path in ("/me/", "/me/pay", f"/me/pay/{world.a.id}/{PERIOD}", "/me/notice"):
            r = client.get(path)
            assert r.status_code == 200, path
            self._assert_masked(r.text, world, path)

    def test_manager_sees_masked_by_default_and_full_on_request_audited(
        self, client: TestClient, session: Session, world: World
    ) -> None:
        profile, token = _manager(client, world)
        a = world.a.id
        for path in (
            f"/site/{a}/workers",
            profile,
            f"{profile}/edit",
            f"/site/{a}/month?period={PERIOD}",
        ):
            r = client.get(path)
            assert r.status_code == 200, path
            self._assert_masked(r.text, world, path)
        assert 'id="show-full-id"' in client.get(profile).text
        assert '<dd id="id-type">居民身份证</dd>' in client.get(profile).text
        r = client.get(f"/site/{a}/month.xlsx?period={PERIOD}")
        wb = load_workbook(io.BytesIO(r.content))
        cells = " ".join(
            str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row
        )
        self._assert_masked(cells, world, "month.xlsx")

        r = client.get(f"{profile}/full-id")  # not a GET: nothing shown, nothing audited
        assert r.status_code in (404, 405)
        r = client.post(f"{profile}/full-id", data={"csrf_token": token})
        assert r.status_code == 200
        assert world.x.id_number in r.text
        assert world.colleague.id_number not in r.text
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "view_full_id")).all()
        assert [(e.entity, e.entity_id, e.user_id) for e in audit] == [
            ("worker", world.x.id, world.manager_a.id)
        ]
        # The next view is masked again.
        self._assert_masked(client.get(profile).text, world, "after")
