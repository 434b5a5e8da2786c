"""The gates page: the list with heartbeat, key and chain state; registering a gate with field
messages; the one-time provisioning code, shown once and working once at the edge's provision
route; the role and project scope of every route; CSRF refusals that write nothing."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.device_auth import new_private_key, public_key_hex
from models.enums import Direction, Role
from server.auth.models import AuditLog, User
from server.ingest.models import ChainBreak
from server.registry import service as registry_service
from server.registry.models import Device
from server.web.i18n import LANG_COOKIE
from tests.factories import make_device, make_user
from tests.integration.server.web.conftest import NOW, World
from tests.integration.server.web.helpers import csrf_of, page_csrf, web_login

FORM_ERRORS = re.compile(r'<div class="flash err" role="alert" id="form-errors">(.*?)</div>', re.S)
SHOWN_CODE = re.compile(r'id="provisioning-code">([A-Z0-9-]+)<')
VALID = {
    "code": "GATE-NEW-OUT",
    "name": "2号门 出",
    "direction": "out",
    "model": "standard-two-way",
}


@dataclass
class Gates:
    """Project A: an online, provisioned entry gate with a recorded chain break, and a silent
    exit gate never provisioned. Project B: one gate."""

    world: World
    entry: Device
    exit: Device
    other: Device
    admin: User


@pytest.fixture
def gates(session: Session, world: World) -> Gates:
    entry = make_device(session, world.a, Direction.IN)
    entry.name = "1号门 进"
    entry.model = "standard-two-way"
    entry.public_key = public_key_hex(new_private_key())
    entry.provisioned_at = NOW - dt.timedelta(days=3)
    entry.last_seen_at = NOW - dt.timedelta(minutes=1)
    entry.last_event_at = NOW - dt.timedelta(minutes=2)
    entry.queue_depth = 7
    entry.clock_skew_ms = 2500
    entry.highest_contiguous_seq = 41
    exit_ = make_device(session, world.a, Direction.OUT)
    exit_.name = "1号门 出"
    exit_.model = "ZK-SG200"  # registered before the page offered only known models
    exit_.last_seen_at = NOW - dt.timedelta(hours=2)
    other = make_device(session, world.b, Direction.IN)
    other.name = "乙项目大门"
    session.flush()
    session.add(ChainBreak(device_id=entry.id, project_id=world.a.id, seq=12, kind="gap"))
    admin = make_user(session, Role.ADMIN)
    session.commit()
    return Gates(world, entry, exit_, other, admin)


def _form_errors(html: str) -> str:
    match = FORM_ERRORS.search(html)
    assert match, "no error box on the page"
    return match.group(1)


def _count(session: Session, model: type) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _audits(session: Session, action: str) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).where(AuditLog.action == action)) or 0)


def _snapshot(session: Session) -> dict[str, object]:
    """What a refused form must not change."""
    session.expire_all()
    return {
        "devices": sorted(session.execute(select(Device.code, Device.project_id)).all()),
        "codes": sorted(
            session.execute(select(Device.id, Device.provisioning_code_hash)).all(),
            key=lambda r: r[0],
        ),
        "audit": _count(session, AuditLog),
    }


def _model(client: TestClient, project_id: int) -> str:
    """The first model the form offers (the firmware configs' gate profiles)."""
    r = client.get(f"/site/{project_id}/gates/new")
    models = r.text[r.text.index('id="g-model"') :]
    match = re.search(r'<option value="([a-z0-9-]+)"', models)
    assert match, "no model offered"
    return match.group(1)


def _manager(client: TestClient, g: Gates) -> str:
    web_login(client, g.world.manager_a)
    return page_csrf(client, f"/site/{g.world.a.id}/gates")


class TestList:
    def test_manager_sees_each_gate_of_the_project_with_its_state(
        self, client: TestClient, gates: Gates
    ) -> None:
        web_login(client, gates.world.manager_a)
        r = client.get(f"/site/{gates.world.a.id}/gates")
        assert r.status_code == 200
        html = r.text
        assert "1号门 进" in html
        assert "1号门 出" in html
        assert "乙项目大门" not in html  # project B's gate
        entry = html[html.index(f'id="gate-{gates.entry.id}"') :]
        entry = entry[: entry.index("</tr>")]
        assert "标准双向闸机" in entry  # the profile's title, and its name
        assert "standard-two-way" in entry
        assert "已注册" in entry
        assert "● 在线" in entry
        assert "+2.5 s" in entry
        assert ">7<" in entry
        assert "入库时发现断链 1 处" in entry
        exit_ = html[html.index(f'id="gate-{gates.exit.id}"') :]
        exit_ = exit_[: exit_.index("</tr>")]
        assert "未注册" in exit_
        assert "离线" in exit_
        assert "ZK-SG200" in exit_  # an unknown model is shown as stored
        assert "未发现断链" in exit_
        assert f'id="issue-{gates.entry.id}"' in html
        assert 'id="register-gate"' in html
        assert 'id="chain-link"' not in html  # the full check is on the inspector's pages

    def test_the_site_navigation_links_to_the_gates(self, client: TestClient, gates: Gates) -> None:
        web_login(client, gates.world.manager_a)
        r = client.get(f"/site/{gates.world.a.id}/now")
        assert f'href="/site/{gates.world.a.id}/gates" id="nav-gates"' in r.text
        r = client.get(f"/site/{gates.world.a.id}/gates")
        assert 'id="nav-gates" class="on"' in r.text

    def test_the_now_board_still_shows_gates_only(
        self, client: TestClient, session: Session, gates: Gates
    ) -> None:
        station = make_device(session, gates.world.a)
        station.kind = "enrollment"
        station.name = "登记站甲"
        session.commit()
        web_login(client, gates.world.manager_a)
        assert "登记站甲" not in client.get(f"/site/{gates.world.a.id}/now").text
        listed = client.get(f"/site/{gates.world.a.id}/gates").text
        assert "登记站甲" in listed
        assert "登记站" in listed

    def test_english(self, client: TestClient, gates: Gates) -> None:
        web_login(client, gates.world.manager_a)
        client.cookies.set(LANG_COOKIE, "en")
        r = client.get(f"/site/{gates.world.a.id}/gates")
        assert "Standard two-way turnstile" in r.text
        assert "Issue a new code" in r.text
        assert "1 breaks found on ingest" in r.text

    def test_a_project_without_gates(self, client: TestClient, world: World) -> None:
        web_login(client, world.manager_a)
        r = client.get(f"/site/{world.a.id}/gates")
        assert r.status_code == 200
        assert "本项目还没有登记闸机" in r.text

    def test_inspector_reads_the_list_without_forms(self, client: TestClient, gates: Gates) -> None:
        web_login(client, gates.world.inspector_a)
        r = client.get(f"/inspect/{gates.world.a.id}/gates")
        assert r.status_code == 200
        assert "1号门 进" in r.text
        assert "入库时发现断链 1 处" in r.text
        assert 'id="read-only"' in r.text
        assert '<form method="post" action="/site' not in r.text
        assert 'id="register-gate"' not in r.text
        assert "生成注册码" not in r.text
        assert f'href="/inspect/{gates.world.a.id}/2026-03#chains"' in r.text
        month = client.get(f"/inspect/{gates.world.a.id}/2026-02").text
        assert f'href="/inspect/{gates.world.a.id}/gates"' in month


class TestRegister:
    def test_empty_form_lists_every_field_and_writes_nothing(
        self, client: TestClient, session: Session, gates: Gates
    ) -> None:
        token = _manager(client, gates)
        before = _snapshot(session)
        r = client.post(
            f"/site/{gates.world.a.id}/gates/new",
            data={"code": " ", "name": "", "direction": "in", "model": "", "csrf_token": token},
        )
        assert r.status_code == 422
        errors = _form_errors(r.text)
        assert "闸机编号必须填写" in errors
        assert "名称必须填写" in errors
        assert "闸机型号的取值无效" in errors
        assert _snapshot(session) == before

    def test_bad_values_get_their_field_message_and_stay_in_the_form(
        self, client: TestClient, session: Session, gates: Gates
    ) -> None:
        token = _manager(client, gates)
        before = _snapshot(session)
        data = {
            "code": "1号门/进",
            "name": "门" * 129,
            "direction": "sideways",
            "model": "no-such-model",
            "csrf_token": token,
        }
        r = client.post(f"/site/{gates.world.a.id}/gates/new", data=data)
        assert r.status_code == 422
        errors = _form_errors(r.text)
        assert "闸机编号只能包含字母、数字和 - _ ." in errors
        assert "名称最多 128 个字符" in errors
        assert "方向的取值无效" in errors
        assert "闸机型号的取值无效" in errors
        assert 'id="g-code" value="1号门/进"' in r.text  # what was typed stays
        assert _snapshot(session) == before

    def test_messages_in_english(self, client: TestClient, session: Session, gates: Gates) -> None:
        token = _manager(client, gates)
        client.cookies.set(LANG_COOKIE, "en")
        r = client.post(
            f"/site/{gates.world.a.id}/gates/new",
            data={"code": "A B", "name": "x\x07", "direction": "in", "csrf_token": token},
        )
        assert r.status_code == 422
        errors = _form_errors(r.text)
        assert "Gate code may only contain letters, digits and - _ ." in errors
        assert "Name contains control characters" in errors
        assert "Gate model has an invalid value" in errors

    def test_a_code_in_use_in_any_project_is_refused(
        self, client: TestClient, session: Session, gates: Gates
    ) -> None:
        token = _manager(client, gates)
        before = _snapshot(session)
        model = _model(client, gates.world.a.id)
        r = client.post(
            f"/site/{gates.world.a.id}/gates/new",
            data={**VALID, "code": gates.other.code, "model": model, "csrf_token": token},
        )
        assert r.status_code == 422
        assert f"闸机编号 {gates.other.code} 已被使用" in _form_errors(r.text)
        assert "乙项目大门" not in r.text  # the other project's gate is not disclosed
        assert _snapshot(session) == before

    def test_a_valid_gate_is_registered_audited_and_listed(
        self, client: TestClient, session: Session, gates: Gates
    ) -> None:
        token = _manager(client, gates)
        model = _model(client, gates.world.a.id)
        creates = _audits(session, "create")
        r = client.post(
            f"/site/{gates.world.a.id}/gates/new",
            data={**VALID, "model": model, "csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 303
        device = session.scalar(select(Device).where(Device.code == "GATE-NEW-OUT"))
        assert device is not None
        assert device.project_id == gates.world.a.id
        assert (device.name, device.direction, device.model, device.kind) == (
            "2号门 出",
            Direction.OUT,
            model,
            "gate",
        )
        assert device.public_key is None
        assert device.provisioning_code_hash is None  # the code is a separate, explicit step
        assert _audits(session, "create") == creates + 1
        assert r.headers["location"].endswith(f"/gates?msg=gate.created#gate-{device.id}")
        page = client.get(r.headers["location"])
        assert "闸机已登记,请生成注册码" in page.text
        assert f'id="issue-{device.id}"' in page.text


class TestProvisioningCode:
    def _issue(self, client: TestClient, g: Gates, device: Device, token: str) -> str:
        r = client.post(
            f"/site/{g.world.a.id}/gates/{device.id}/provisioning-code",
            data={"csrf_token": token},
        )
        assert r.status_code == 200, r.text
        match = SHOWN_CODE.search(r.text)
        assert match, "no code on the page"
        return match.group(1)

    def test_the_code_is_shown_once_with_expiry_command_and_warning(
        self, client: TestClient, session: Session, gates: Gates
    ) -> None:
        token = _manager(client, gates)
        audits = _audits(session, "provisioning_code")
        r = client.post(
            f"/site/{gates.world.a.id}/gates/{gates.exit.id}/provisioning-code",
            data={"csrf_token": token},
        )
        assert r.status_code == 200
        assert r.headers["cache-control"] == "no-store"
        match = SHOWN_CODE.search(r.text)
        assert match
        code = match.group(1)
        assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", code)
        assert "注册码只显示这一次" in r.text
        assert f"sitegate edge provision --config gate.yaml --code {code}" in r.text
        assert f"device_code: {gates.exit.code}" in r.text
        assert "direction: out" in r.text
        session.expire_all()
        device = session.get(Device, gates.exit.id)
        assert device is not None
        assert device.provisioning_code_hash == registry_service.provisioning_code_hash(code)
        assert device.provisioning_code_hash != code  # only the hash is stored
        assert device.provisioning_expires_at is not None
        shown = device.provisioning_expires_at.astimezone(dt.timezone(dt.timedelta(hours=8)))
        assert f"有效至 {shown:%Y-%m-%d %H:%M}" in r.text
        assert "code-replaces" not in r.text  # no earlier code to replace
        assert _audits(session, "provisioning_code") == audits + 1
        # Never again: not on the list, nor in any URL (the answer was not a redirect).
        listed = client.get(f"/site/{gates.world.a.id}/gates")
        assert code not in listed.text
        assert "注册码有效至" in listed.text  # outstanding, without the code itself
        assert not r.history

    def test_the_code_provisions_the_gate_once_and_a_new_code_replaces_it(
        self, client: TestClient, session: Session, gates: Gates
    ) -> None:
        token = _manager(client, gates)
        first = self._issue(client, gates, gates.exit, token)
        second_page = client.post(
            f"/site/{gates.world.a.id}/gates/{gates.exit.id}/provisioning-code",
            data={"csrf_token": token},
        )
        assert "之前生成的注册码已失效" in second_page.text
        match = SHOWN_CODE.search(second_page.text)
        assert match
        second = match.group(1)
        assert second != first
        key = public_key_hex(new_private_key())
        r = client.post("/api/v1/edge/provision", json={"code": first, "public_key": key})
        assert r.status_code == 401  # the earlier code stopped working
        r = client.post("/api/v1/edge/provision", json={"code": second, "public_key": key})
        assert r.status_code == 200, r.text
        assert r.json()["device_id"] == gates.exit.code
        r = client.post("/api/v1/edge/provision", json={"code": second, "public_key": key})
        assert r.status_code == 401  # single use
        page = client.get(f"/site/{gates.world.a.id}/gates").text
        row = page[page.index(f'id="gate-{gates.exit.id}"') :]
        assert "已注册" in row[: row.index("</tr>")]

    def test_reissuing_for_a_provisioned_gate_warns_about_the_key(
        self, client: TestClient, gates: Gates
    ) -> None:
        token = _manager(client, gates)
        page = client.get(f"/site/{gates.world.a.id}/gates").text
        assert "新注册码被使用后将替换其密钥" in page  # asked before the form is sent
        r = client.post(
            f"/site/{gates.world.a.id}/gates/{gates.entry.id}/provisioning-code",
            data={"csrf_token": token},
        )
        assert r.status_code == 200
        assert 'id="code-rekey"' in r.text

    def test_a_disabled_gate_gets_no_code(
        self, client: TestClient, session: Session, gates: Gates
    ) -> None:
        gates.exit.active = False
        session.commit()
        token = _manager(client, gates)
        assert (
            f'id="issue-{gates.exit.id}"' not in client.get(f"/site/{gates.world.a.id}/gates").text
        )
        before = _snapshot(session)
        r = client.post(
            f"/site/{gates.world.a.id}/gates/{gates.exit.id}/provisioning-code",
            data={"csrf_token": token},
        )
        assert r.status_code == 409
        assert "闸机已停用" in _form_errors(r.text)
        assert not SHOWN_CODE.search(r.text)
        assert _snapshot(session) == before

    def test_unknown_or_malformed_device_is_404(
        self, client: TestClient, session: Session, gates: Gates
    ) -> None:
        token = _manager(client, gates)
        before = _snapshot(session)
        a = gates.world.a.id
        for path in (
            f"/site/{a}/gates/999999/provisioning-code",
            f"/site/{a}/gates/{gates.other.id}/provisioning-code",  # B's gate through A's URL
            f"/site/{a}/gates/abc/provisioning-code",
        ):
            r = client.post(path, data={"csrf_token": token})
            assert r.status_code == 404, path
        assert _snapshot(session) == before


ALLOWED = {
    # role -> paths answering 200; every other path of the matrix is 403 or 404
    "manager_a": {"site_list", "site_new"},
    "admin": {"site_list", "site_new", "inspect_list", "site_list_b", "inspect_list_b"},
    "inspector_a": {"inspect_list"},
    "inspector_elsewhere": set(),
    "worker_x": set(),
}


def _paths(g: Gates) -> dict[str, str]:
    a, b = g.world.a.id, g.world.b.id
    return {
        "site_list": f"/site/{a}/gates",
        "site_new": f"/site/{a}/gates/new",
        "inspect_list": f"/inspect/{a}/gates",
        "site_list_b": f"/site/{b}/gates",
        "inspect_list_b": f"/inspect/{b}/gates",
    }


def _sign_in(client: TestClient, g: Gates, role: str) -> str:
    user: User = g.admin if role == "admin" else getattr(g.world, role)
    web_login(client, user)
    home = client.get("/", follow_redirects=True)
    return csrf_of(home.text)


class TestScope:
    @pytest.mark.parametrize("role", list(ALLOWED))
    def test_pages(self, client: TestClient, gates: Gates, role: str) -> None:
        _sign_in(client, gates, role)
        wrong = []
        for name, path in _paths(gates).items():
            r = client.get(path, follow_redirects=False)
            ok = r.status_code == 200 if name in ALLOWED[role] else r.status_code in (403, 404)
            if not ok:
                wrong.append(f"{path} -> {r.status_code}")
            elif r.status_code != 200:
                assert "乙项目大门" not in r.text
                assert "1号门" not in r.text
        assert not wrong, wrong

    @pytest.mark.parametrize("role", ["inspector_a", "inspector_elsewhere", "worker_x"])
    def test_writes_are_refused_and_write_nothing(
        self, client: TestClient, session: Session, gates: Gates, role: str
    ) -> None:
        token = _sign_in(client, gates, role)
        before = _snapshot(session)
        a = gates.world.a.id
        for path, data in (
            (f"/site/{a}/gates/new", VALID),
            (f"/site/{a}/gates/{gates.entry.id}/provisioning-code", {}),
        ):
            r = client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)
            assert r.status_code in (403, 404), (path, r.status_code)
            assert not SHOWN_CODE.search(r.text)
        assert _snapshot(session) == before

    def test_manager_of_a_cannot_touch_b(
        self, client: TestClient, session: Session, gates: Gates
    ) -> None:
        token = _manager(client, gates)
        before = _snapshot(session)
        b = gates.world.b.id
        for path, data in (
            (f"/site/{b}/gates/new", VALID),
            (f"/site/{b}/gates/{gates.other.id}/provisioning-code", {}),
        ):
            r = client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)
            assert r.status_code == 404, path
            assert "乙项目大门" not in r.text
        assert _snapshot(session) == before

    def test_admin_registers_and_issues_anywhere(
        self, client: TestClient, session: Session, gates: Gates
    ) -> None:
        token = _sign_in(client, gates, "admin")
        b = gates.world.b.id
        r = client.post(
            f"/site/{b}/gates/new",
            data={**VALID, "csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 303
        r = client.post(
            f"/site/{b}/gates/{gates.other.id}/provisioning-code", data={"csrf_token": token}
        )
        assert r.status_code == 200
        assert SHOWN_CODE.search(r.text)


class TestCsrf:
    def test_forms_without_the_token_are_403_and_write_nothing(
        self, client: TestClient, session: Session, gates: Gates
    ) -> None:
        token = _manager(client, gates)
        before = _snapshot(session)
        a = gates.world.a.id
        for extra in ({}, {"csrf_token": "forged"}):
            r = client.post(f"/site/{a}/gates/new", data={**VALID, **extra})
            assert r.status_code == 403
            assert "表单已过期" in r.text
            r = client.post(f"/site/{a}/gates/{gates.exit.id}/provisioning-code", data=extra)
            assert r.status_code == 403
            assert not SHOWN_CODE.search(r.text)
        assert _snapshot(session) == before
        # The same forms with the session's token go through.
        r = client.post(
            f"/site/{a}/gates/new",
            data={**VALID, "csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 303
