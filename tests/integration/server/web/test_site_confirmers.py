"""Gate confirmers (现场确认人) on the gates page: the list, adding one with field messages that
keep what was typed, deactivating, the role and project scope of every route, CSRF; and the now
board naming the confirmer of a card + manager confirmation, never the raw `|by:` reference."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.enums import DenyReason, Direction, GateMode, GateResult, Role
from models.roster import confirmed_ref
from server.auth.models import AuditLog, User
from server.ingest.models import GateEventRow
from server.registry import service as registry_service
from server.registry.models import Device, GateConfirmer, Project, Worker
from server.registry.schemas import GateConfirmerIn
from server.web.i18n import LANG_COOKIE
from tests.factories import make_device, make_user
from tests.integration.server.web.conftest import NOW, World
from tests.integration.server.web.helpers import csrf_of, page_csrf, web_login

FORM_ERRORS = re.compile(r'<div class="flash err" role="alert" id="form-errors">(.*?)</div>', re.S)
WHY = "法规要求为不使用人脸识别的工人提供替代方式"


@dataclass
class Confirmers:
    """Project A: 张经理 (linked to manager A's account) and 李班长 active, 旧队长 deactivated.
    Project B: 外项目确认人."""

    world: World
    zhang: GateConfirmer
    li: GateConfirmer
    old: GateConfirmer
    other: GateConfirmer
    admin: User


def _add(
    session: Session, project: Project, name: str, uid: str, user_id: int | None = None
) -> GateConfirmer:
    data = GateConfirmerIn(card_uid=uid, name=name, user_id=user_id)
    return registry_service.add_confirmer(session, None, project, data=data)


@pytest.fixture
def cf(session: Session, world: World) -> Confirmers:
    world.manager_a.full_name = "周账号"
    zhang = _add(session, world.a, "张经理", "0A0B0C0D", world.manager_a.id)
    li = _add(session, world.a, "李班长", "0A0B0C0E")
    old = _add(session, world.a, "旧队长", "0A0B0C0F")
    registry_service.deactivate_confirmer(session, None, old)
    other = _add(session, world.b, "外项目确认人", "0B0B0B0B")
    admin = make_user(session, Role.ADMIN)
    session.commit()
    return Confirmers(world, zhang, li, old, other, admin)


def _form_errors(html: str) -> str:
    match = FORM_ERRORS.search(html)
    assert match, "no error box on the page"
    return match.group(1)


def _snapshot(session: Session) -> dict[str, object]:
    """What a refused form must not change."""
    session.expire_all()
    rows = session.execute(
        select(GateConfirmer.project_id, GateConfirmer.card_uid, GateConfirmer.active)
    ).all()
    audit = session.scalar(select(func.count()).select_from(AuditLog))
    return {"confirmers": sorted(rows), "audit": audit}


def _section(html: str) -> str:
    return html[html.index('id="confirmers"') :]


def _manager(client: TestClient, c: Confirmers) -> str:
    web_login(client, c.world.manager_a)
    return page_csrf(client, f"/site/{c.world.a.id}/gates")


class TestList:
    def test_manager_sees_the_projects_confirmers_and_why_they_exist(
        self, client: TestClient, cf: Confirmers
    ) -> None:
        web_login(client, cf.world.manager_a)
        r = client.get(f"/site/{cf.world.a.id}/gates")
        assert r.status_code == 200
        html = _section(r.text)
        assert "现场确认人" in html
        assert WHY in html
        assert "在用 2 人" in html
        zhang = html[html.index(f'id="confirmer-{cf.zhang.id}"') :]
        zhang = zhang[: zhang.index("</tr>")]
        assert "张经理" in zhang
        assert "0A0B0C0D" in zhang
        assert "周账号" in zhang  # the linked account
        assert NOW.astimezone(dt.UTC).strftime("%Y-") in zhang  # active since
        assert f'action="/site/{cf.world.a.id}/gates/confirmers/{cf.zhang.id}/deactivate"' in zhang
        assert 'data-confirm="停用后,张经理 的卡' in zhang
        assert "李班长" in html
        assert "外项目确认人" not in r.text  # project B's
        inactive = html[html.index('id="inactive-confirmers"') :]
        assert "已停用的确认人 1 人" in inactive
        assert "旧队长" in inactive
        assert f"/confirmers/{cf.old.id}/deactivate" not in r.text
        assert 'id="confirmer-form"' in html

    def test_english(self, client: TestClient, cf: Confirmers) -> None:
        web_login(client, cf.world.manager_a)
        client.cookies.set(LANG_COOKIE, "en")
        html = client.get(f"/site/{cf.world.a.id}/gates").text
        assert "Gate confirmers" in html
        assert "The law requires an alternative to face recognition" in html
        assert "2 active" in html

    def test_none_yet(self, client: TestClient, world: World) -> None:
        web_login(client, world.manager_a)
        html = client.get(f"/site/{world.a.id}/gates").text
        assert "本项目还没有确认人" in _section(html)
        assert WHY in html

    def test_inspector_reads_the_list_without_forms_and_card_digits(
        self, client: TestClient, cf: Confirmers
    ) -> None:
        web_login(client, cf.world.inspector_a)
        r = client.get(f"/inspect/{cf.world.a.id}/gates")
        assert r.status_code == 200
        html = _section(r.text)
        assert "张经理" in html
        assert "李班长" in html
        assert WHY in html
        # A confirmer's card opens the gate for others: the inspector sees its last digits only.
        assert "0A0B0C0D" not in html
        assert "****0C0D" in html
        assert "<form" not in html
        assert "停用后" not in html


class TestAdd:
    def test_empty_form_names_both_fields_and_writes_nothing(
        self, client: TestClient, session: Session, cf: Confirmers
    ) -> None:
        token = _manager(client, cf)
        before = _snapshot(session)
        r = client.post(
            f"/site/{cf.world.a.id}/gates/confirmers",
            data={"name": " ", "card_uid": "", "csrf_token": token},
        )
        assert r.status_code == 422
        errors = _form_errors(r.text)
        assert "姓名必须填写" in errors
        assert "IC 卡号必须填写" in errors
        assert _snapshot(session) == before

    def test_a_bad_card_gets_the_registry_message_and_keeps_what_was_typed(
        self, client: TestClient, session: Session, cf: Confirmers
    ) -> None:
        token = _manager(client, cf)
        before = _snapshot(session)
        r = client.post(
            f"/site/{cf.world.a.id}/gates/confirmers",
            data={"name": "王安全员", "card_uid": "12-XY", "csrf_token": token},
        )
        assert r.status_code == 422
        assert "IC 卡号无效: IC卡号须为偶数位十六进制(8-20位)" in _form_errors(r.text)
        form = r.text[r.text.index('id="confirmer-form"') :]
        assert 'value="王安全员"' in form
        assert 'value="12-XY"' in form
        assert _snapshot(session) == before

    def test_messages_in_english(
        self, client: TestClient, session: Session, cf: Confirmers
    ) -> None:
        token = _manager(client, cf)
        client.cookies.set(LANG_COOKIE, "en")
        r = client.post(
            f"/site/{cf.world.a.id}/gates/confirmers",
            data={"name": "x\x07", "card_uid": "ABC", "csrf_token": token},
        )
        assert r.status_code == 422
        errors = _form_errors(r.text)
        assert "Name contains control characters" in errors
        assert (
            "Invalid IC card UID: IC card UID must be an even number (8-20) of hex digits" in errors
        )

    def test_an_active_confirmers_card_is_refused_with_the_field_label(
        self, client: TestClient, session: Session, cf: Confirmers
    ) -> None:
        token = _manager(client, cf)
        before = _snapshot(session)
        r = client.post(
            f"/site/{cf.world.a.id}/gates/confirmers",
            data={"name": "冒名者", "card_uid": "0a:0b:0c:0d", "csrf_token": token},
        )
        assert r.status_code == 409
        errors = _form_errors(r.text)
        assert "IC 卡号: IC卡 0A0B0C0D 已是本项目的确认人卡" in errors
        assert "card_uid" not in errors
        assert 'value="冒名者"' in r.text
        assert _snapshot(session) == before

    def test_a_valid_confirmer_is_normalised_added_audited_and_listed(
        self, client: TestClient, session: Session, cf: Confirmers
    ) -> None:
        token = _manager(client, cf)
        r = client.post(
            f"/site/{cf.world.a.id}/gates/confirmers",
            data={"name": " 王安全员 ", "card_uid": "de ad-be:ef", "csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 303
        assert r.headers["location"].endswith("?msg=confirmers.added#confirmers")
        session.expire_all()
        added = session.scalars(select(GateConfirmer).where(GateConfirmer.name == "王安全员")).one()
        assert (added.project_id, added.card_uid, added.active) == (cf.world.a.id, "DEADBEEF", True)
        audit = session.scalars(
            select(AuditLog).where(
                AuditLog.action == "add_confirmer", AuditLog.entity_id == added.id
            )
        ).one()
        assert audit.user_id == cf.world.manager_a.id
        page = client.get(r.headers["location"]).text
        assert "确认人已添加" in page
        assert "王安全员" in _section(page)
        # The card of a deactivated confirmer may be given to someone else.
        r = client.post(
            f"/site/{cf.world.a.id}/gates/confirmers",
            data={"name": "新队长", "card_uid": cf.old.card_uid, "csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 303


class TestDeactivate:
    def test_deactivating_keeps_the_row_audits_and_moves_it_to_the_inactive_list(
        self, client: TestClient, session: Session, cf: Confirmers
    ) -> None:
        token = _manager(client, cf)
        r = client.post(
            f"/site/{cf.world.a.id}/gates/confirmers/{cf.li.id}/deactivate",
            data={"csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 303
        session.expire_all()
        li = session.get(GateConfirmer, cf.li.id)
        assert li is not None
        assert not li.active
        assert (
            session.scalar(
                select(func.count()).where(
                    AuditLog.action == "deactivate_confirmer", AuditLog.entity_id == cf.li.id
                )
            )
            == 1
        )
        page = client.get(r.headers["location"]).text
        assert "确认人已停用" in page
        assert "在用 1 人" in page
        assert "李班长" in page[page.index('id="inactive-confirmers"') :]

    def test_unknown_or_another_projects_confirmer_is_404(
        self, client: TestClient, session: Session, cf: Confirmers
    ) -> None:
        token = _manager(client, cf)
        before = _snapshot(session)
        a = cf.world.a.id
        for path in (
            f"/site/{a}/gates/confirmers/999999/deactivate",
            f"/site/{a}/gates/confirmers/{cf.other.id}/deactivate",  # B's through A's URL
            f"/site/{a}/gates/confirmers/abc/deactivate",
        ):
            r = client.post(path, data={"csrf_token": token})
            assert r.status_code == 404, path
            assert "外项目确认人" not in r.text
        assert _snapshot(session) == before


def _sign_in(client: TestClient, c: Confirmers, role: str) -> str:
    user: User = c.admin if role == "admin" else getattr(c.world, role)
    web_login(client, user)
    return csrf_of(client.get("/", follow_redirects=True).text)


class TestScope:
    @pytest.mark.parametrize(
        ("role", "site_a", "inspect_a"),
        [
            ("manager_a", 200, 403),
            ("admin", 200, 200),
            ("inspector_a", 403, 200),
            ("inspector_elsewhere", 403, 404),
            ("worker_x", 403, 403),
        ],
    )
    def test_who_sees_the_list(
        self, client: TestClient, cf: Confirmers, role: str, site_a: int, inspect_a: int
    ) -> None:
        _sign_in(client, cf, role)
        a = cf.world.a.id
        for path, expected in ((f"/site/{a}/gates", site_a), (f"/inspect/{a}/gates", inspect_a)):
            r = client.get(path)
            assert r.status_code == expected, (path, r.status_code)
            if expected != 200:
                assert "李班长" not in r.text

    @pytest.mark.parametrize("role", ["inspector_a", "inspector_elsewhere", "worker_x"])
    def test_writes_are_refused_and_write_nothing(
        self, client: TestClient, session: Session, cf: Confirmers, role: str
    ) -> None:
        token = _sign_in(client, cf, role)
        before = _snapshot(session)
        a = cf.world.a.id
        for path, data in (
            (f"/site/{a}/gates/confirmers", {"name": "王安全员", "card_uid": "DEADBEEF"}),
            (f"/site/{a}/gates/confirmers/{cf.zhang.id}/deactivate", {}),
        ):
            r = client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)
            assert r.status_code in (403, 404), (path, r.status_code)
        assert _snapshot(session) == before

    def test_manager_of_a_cannot_touch_b(
        self, client: TestClient, session: Session, cf: Confirmers
    ) -> None:
        token = _manager(client, cf)
        before = _snapshot(session)
        b = cf.world.b.id
        assert client.get(f"/site/{b}/gates").status_code == 404
        for path, data in (
            (f"/site/{b}/gates/confirmers", {"name": "王安全员", "card_uid": "DEADBEEF"}),
            (f"/site/{b}/gates/confirmers/{cf.other.id}/deactivate", {}),
        ):
            r = client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)
            assert r.status_code == 404, path
            assert "外项目确认人" not in r.text
        assert _snapshot(session) == before

    def test_admin_adds_and_deactivates_anywhere(
        self, client: TestClient, session: Session, cf: Confirmers
    ) -> None:
        token = _sign_in(client, cf, "admin")
        b = cf.world.b.id
        r = client.post(
            f"/site/{b}/gates/confirmers",
            data={"name": "乙项目安全员", "card_uid": "DEADBEEF", "csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 303
        r = client.post(
            f"/site/{b}/gates/confirmers/{cf.other.id}/deactivate",
            data={"csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 303
        session.expire_all()
        other = session.get(GateConfirmer, cf.other.id)
        assert other is not None
        assert not other.active


class TestCsrf:
    def test_forms_without_the_token_are_403_and_write_nothing(
        self, client: TestClient, session: Session, cf: Confirmers
    ) -> None:
        _manager(client, cf)
        before = _snapshot(session)
        a = cf.world.a.id
        for extra in ({}, {"csrf_token": "forged"}):
            r = client.post(
                f"/site/{a}/gates/confirmers",
                data={"name": "王安全员", "card_uid": "DEADBEEF", **extra},
            )
            assert r.status_code == 403
            assert "表单已过期" in r.text
            r = client.post(f"/site/{a}/gates/confirmers/{cf.zhang.id}/deactivate", data=extra)
            assert r.status_code == 403
        assert _snapshot(session) == before

    def test_every_confirmer_form_carries_the_token(
        self, client: TestClient, cf: Confirmers
    ) -> None:
        token = _manager(client, cf)
        html = _section(client.get(f"/site/{cf.world.a.id}/gates").text)
        forms = re.findall(r"<form method=\"post\".*?</form>", html, re.S)
        assert len(forms) == 3  # deactivate 张经理, deactivate 李班长, add
        assert all(f'name="csrf_token" value="{token}"' in f for f in forms)


# --- the records name who confirmed -----------------------------------------------------------


def _event(
    session: Session,
    device: Device,
    worker: Worker,
    at: dt.datetime,
    ref: str,
    refused: DenyReason | None = None,
    seq: list[int] = [0],  # noqa: B006 (a counter shared by the calls of one test module)
) -> None:
    seq[0] += 1
    session.add(
        GateEventRow(
            event_id=uuid.uuid4(),
            device_id=device.id,
            project_id=device.project_id,
            seq=seq[0],
            device_time=at.astimezone(dt.UTC),
            direction=Direction.IN,
            mode=GateMode.CARD_CONFIRMED,
            credential_ref=ref,
            worker_id=worker.id,
            result=GateResult.REFUSED if refused else GateResult.GRANTED,
            reason=refused,
            prev_hash="0" * 64,
            hash="0" * 64,
            signature="0" * 128,
        )
    )
    session.flush()


@pytest.fixture
def confirmed_day(session: Session, cf: Confirmers) -> Confirmers:
    """This morning on project A: 王小明 in on 张经理's confirmation; 赵同事 refused twice (own
    confirmer card, then a card that is no confirmer's); 王小明 in again on 旧队长's."""
    gate = make_device(session, cf.world.a, Direction.IN)
    gate.name = "1号门 进"
    x, colleague = cf.world.x, cf.world.colleague
    _event(
        session,
        gate,
        x,
        NOW - dt.timedelta(hours=3),
        confirmed_ref("C0FFEE01", cf.zhang.id, "0A0B0C0D"),
    )
    ref = confirmed_ref("C0FFEE02", cf.li.id, "0A0B0C0E")
    _event(session, gate, colleague, NOW - dt.timedelta(hours=2, minutes=59), ref,
           DenyReason.SELF_CONFIRMATION)  # fmt: skip
    _event(session, gate, colleague, NOW - dt.timedelta(hours=2, minutes=58),
           confirmed_ref("C0FFEE02", None, "DEADBEEF"), DenyReason.NOT_A_CONFIRMER)  # fmt: skip
    _event(session, gate, colleague, NOW - dt.timedelta(hours=2, minutes=57),
           "C0FFEE02", DenyReason.CONFIRMATION_TIMEOUT)  # fmt: skip
    _event(
        session,
        gate,
        x,
        NOW - dt.timedelta(hours=1),
        confirmed_ref("C0FFEE01", cf.old.id, "0A0B0C0F"),
    )
    session.commit()
    return cf


class TestNowBoardNamesTheConfirmer:
    def test_confirmed_passes_and_refusals_show_the_name_never_the_reference(
        self, client: TestClient, confirmed_day: Confirmers
    ) -> None:
        web_login(client, confirmed_day.world.manager_a)
        r = client.get(f"/site/{confirmed_day.world.a.id}/now")
        assert r.status_code == 200
        html = r.text
        assert "|by:" not in html
        assert "C0FFEE" not in html
        assert "DEADBEEF" not in html
        assert re.search(r'id="confirmed-count">2<', html)
        passes = html[html.index('id="confirmations"') :]
        passes = passes[: passes.index("</table>")]
        assert "刷卡+管理人员确认(张经理)" in passes
        assert "刷卡+管理人员确认(旧队长)" in passes  # deactivated since: still named
        assert passes.index("旧队长") < passes.index("张经理")  # latest first
        assert "王小明" in passes
        # the refusals are in the 异常 tab, with the reason in words
        html = client.get(f"/site/{confirmed_day.world.a.id}/now?list=anomalies").text
        assert "C0FFEE" not in html
        # three refusals, and 王小明's first IN closed by his second one (missing OUT)
        assert re.search(r'id="anomaly-count">4<', html)
        assert "缺出场记录" in html[html.index('id="list-anomalies"') :]
        refusals = html[html.index('id="refusals"') :]
        refusals = refusals[: refusals.index("</table>")]
        assert "刷卡+管理人员确认(李班长)" in refusals
        assert "不能由本人确认" in refusals
        assert "该卡不是本项目确认人的卡" in refusals
        assert "管理人员确认超时" in refusals
        assert refusals.count("刷卡+管理人员确认<") == 2  # no confirmer to name

    def test_english(self, client: TestClient, confirmed_day: Confirmers) -> None:
        web_login(client, confirmed_day.world.manager_a)
        client.cookies.set(LANG_COOKIE, "en")
        html = client.get(f"/site/{confirmed_day.world.a.id}/now?list=anomalies").text
        assert "|by:" not in html
        assert "card + confirmed by 张经理" in html
        assert "card + confirmed by 李班长" in html
        assert "a worker cannot confirm themselves" in html
        assert "card is not a gate confirmer&#39;s" in html
        assert "manager confirmation timed out" in html
