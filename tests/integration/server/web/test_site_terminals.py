"""The gates page's face terminals: model, serial, approval (and approving), last contact,
pending commands and unconfirmed removals, users synced, serial gaps, and the plain statement
that their records are the server's, not device-signed. At desktop and phone width the answer
is the same text; the inspector sees it without the approve button."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from models.enums import Direction
from server.config import Settings
from server.registry.models import Device
from server.terminals import commands, service
from server.terminals.models import TerminalCommand, TerminalGap, TerminalUser
from tests.integration.server.web.conftest import NOW, World
from tests.integration.server.web.helpers import page_csrf, web_login


def _terminals(session: Session, settings: Settings, world: World) -> tuple[Device, Device]:
    zk = service.add_terminal(
        session, settings, None, world.a, code="ZK-A-IN", vendor="zkteco",
        serial_number="CKJX200160001", direction=Direction.IN, model="SpeedFace-V5L",
        name="2号门 人脸",
    )  # fmt: skip
    hik = service.add_terminal(
        session, settings, None, world.a, code="HK-A-OUT", vendor="hikvision",
        serial_number="DS-K1T671-0001", direction=Direction.OUT, url="http://10.0.0.9",
        username="admin", password="pw",
    )  # fmt: skip
    service.approve(session, settings, None, zk, now=NOW - dt.timedelta(days=1))
    zk.last_seen_at = NOW - dt.timedelta(minutes=3)
    zk.health = {"zk": {"malformed": 2, "duplicates": 40, "verify_failures": 3}}
    session.add(TerminalUser(device_id=zk.id, worker_id=world.x.id, pin=str(world.x.id),
                             access="face", digest="d", confirmed_at=NOW))  # fmt: skip
    session.add(TerminalCommand(device_id=zk.id, worker_id=world.x.id, pin=str(world.x.id),
                                action="delete", reason="left", created_at=NOW))  # fmt: skip
    session.add(TerminalGap(device_id=zk.id, from_serial=11, to_serial=12, state="open"))
    session.commit()
    return zk, hik


def _row(html: str, device: Device) -> str:
    row = html[html.index(f'id="terminal-{device.id}"') :]
    return row[: row.index("</tr>")]


def test_the_manager_sees_each_terminal_and_approves_one(
    client: TestClient, session: Session, settings: Settings, world: World
) -> None:
    zk, hik = _terminals(session, settings, world)
    web_login(client, world.manager_a)
    for width_header in ({}, {"User-Agent": "Mozilla/5.0 (iPhone) Mobile"}):
        html = client.get(f"/site/{world.a.id}/gates", headers=width_header).text
        row = _row(html, zk)
        assert "CKJX200160001" in row
        assert "SpeedFace-V5L" in row
        assert "已批准" in row
        assert "服务器接收,非设备签名" in row
        assert "待确认删除 1" in row
        assert '<td class="num terminal-users">1</td>' in row
        assert "未补 1" in row
        assert "格式错误行 2 · 重发 40 · 终端验证失败 3" in row
        assert "待批准" in _row(html, hik)
        assert f'id="approve-{hik.id}"' in html
    token = page_csrf(client, f"/site/{world.a.id}/gates")
    r = client.post(
        f"/site/{world.a.id}/gates/{hik.id}/approve",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    session.expire_all()
    assert session.get(Device, hik.id).approved_at is not None  # type: ignore[union-attr]
    assert commands.status(session, [zk.id])[zk.id].removals_pending == 1


def test_the_inspector_sees_them_read_only(
    client: TestClient, session: Session, settings: Settings, world: World
) -> None:
    zk, hik = _terminals(session, settings, world)
    web_login(client, world.inspector_a)
    html = client.get(f"/inspect/{world.a.id}/gates").text
    assert "CKJX200160001" in _row(html, zk)
    assert f'id="approve-{hik.id}"' not in html


def test_approving_a_gate_pc_is_refused_with_a_message(
    client: TestClient, session: Session, settings: Settings, world: World
) -> None:
    from tests.factories import make_device

    gate = make_device(session, world.a)
    session.commit()
    web_login(client, world.manager_a)
    token = page_csrf(client, f"/site/{world.a.id}/gates")
    r = client.post(f"/site/{world.a.id}/gates/{gate.id}/approve", data={"csrf_token": token})
    assert r.status_code == 409
    assert "该设备不是人脸终端" in r.text
