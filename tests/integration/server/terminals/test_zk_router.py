"""The ADMS routes (server/terminals/zk_router.py) over the app, with the real emulator as the
terminal (its HTTP goes through the TestClient's transport): refusal before approval, users
pushed with and without a face, a pass stored once, malformed input answered, never a 500."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.enums import CredentialKind, Direction, GateMode
from server.config import Settings
from server.ingest.models import GateEventRow
from server.registry import face_templates
from server.registry import service as registry_service
from server.registry.models import Assignment, Device, Project, Worker
from server.terminals import service
from server.terminals.models import TerminalCommand, TerminalUser
from server.terminals.zk_router import MAX_BODY
from terminals.zkteco_push.emulator import ZkPushTerminal
from tests.factories import make_assignment, make_project, make_worker

SN = "CKJX201760001"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00face-a\xff\xd9"
CARD = "0A1B2C3D"
HUGE_PIN = b"99999999999999999999\t2026-03-02 07:30:00\t0\t15"  # beyond a 64-bit id


@pytest.fixture
def world(session: Session, settings: Settings) -> tuple[Project, Device, Worker, Worker]:
    project = make_project(session)
    device = service.add_terminal(
        session, settings, None, project, code="ZK-IN-1", vendor="zkteco",
        serial_number=SN, direction=Direction.IN,
    )  # fmt: skip
    face = make_worker(session, name="张三")
    make_assignment(session, project, face)
    registry_service.set_consent(session, None, face, consent=True)
    face_templates.set_photo(session, settings, face, JPEG)
    card = make_worker(session, name="李四")
    registry_service.bind_card(session, None, make_assignment(session, project, card), uid=CARD)
    session.commit()
    return project, device, face, card


@pytest.fixture
def terminal(client: TestClient) -> Iterator[ZkPushTerminal]:
    # the TestClient's transport: the emulator's requests go through the app in-process
    with ZkPushTerminal("http://testserver", SN, transport=client._transport, batch_size=50) as t:
        yield t


def _attempts(session: Session, device: Device) -> list[GateEventRow]:
    session.expire_all()
    return list(
        session.scalars(
            select(GateEventRow).where(
                GateEventRow.device_id == device.id, GateEventRow.purpose.is_(None)
            )
        )
    )


def test_unknown_and_unapproved_terminals_are_refused_and_seen(
    client: TestClient, session: Session, world: tuple[Project, Device, Worker, Worker]
) -> None:
    _, device, _, _ = world
    unknown = client.get("/iclock/cdata", params={"SN": "NOPE0001", "options": "all"})
    assert unknown.status_code == 403
    assert unknown.headers["content-type"].startswith("text/plain")
    assert "未登记" in unknown.text
    assert "is registered" in unknown.text
    refused = client.post(
        "/iclock/cdata", params={"SN": SN, "table": "ATTLOG"}, content=b"1\t2026-03-02 07:30:00"
    )
    assert refused.status_code == 403
    assert not refused.text.startswith("OK")  # the terminal keeps the records
    session.expire_all()
    assert session.get(Device, device.id).last_seen_at is not None  # type: ignore[union-attr]


def test_approved_terminal_gets_users_and_its_passes_are_stored_once(
    client: TestClient,
    session: Session,
    settings: Settings,
    world: tuple[Project, Device, Worker, Worker],
    terminal: ZkPushTerminal,
) -> None:
    _, device, face, card = world
    terminal.register()
    assert terminal.options is None  # refused: not approved yet
    terminal.present(pin="1")  # nobody is enrolled: refused locally, nothing to upload
    service.approve(session, settings, None, device, now=dt.datetime.now(dt.UTC))
    session.commit()
    options = terminal.register()
    assert options is not None
    assert (options.attlog_stamp, options.timezone) == ("None", 8)
    results = terminal.poll_commands()
    assert [r.return_code for r in results] == [0, 0, 0, 0]
    users = terminal.users
    assert users[str(face.id)].has_face
    assert not users[str(card.id)].has_face
    session.expire_all()
    held = {u.pin: u.access for u in session.scalars(select(TerminalUser))}
    assert held == {str(face.id): "face", str(card.id): "card"}
    assert terminal.present(pin=str(face.id)) is not None
    assert terminal.present(card=f"[{CARD}]") is not None
    terminal.resend = True  # every batch posted twice
    assert terminal.upload() == 2
    rows = _attempts(session, device)
    assert len(rows) == 2
    assert {(r.worker_id, r.mode, r.credential) for r in rows} == {
        (face.id, GateMode.FACE_ONLY, CredentialKind.FACE),
        (card.id, GateMode.CARD_ONLY, CredentialKind.IC_CARD),
    }
    assert all(r.terminal_ref is not None for r in rows)
    again = terminal.register()
    assert again is not None
    assert again.attlog_stamp == "2"  # what was stored is handed back


def test_malformed_lines_do_not_block_and_bad_requests_get_text(
    client: TestClient,
    session: Session,
    settings: Settings,
    world: tuple[Project, Device, Worker, Worker],
) -> None:
    _, device, face, _ = world
    service.approve(session, settings, None, device, now=dt.datetime.now(dt.UTC))
    session.commit()
    body = f"{face.id}\t2026-03-02 07:30:00\t0\t15\t0\t0\t0\nbroken line\n{face.id}\tnot-a-time"
    got = client.post(
        "/iclock/cdata", params={"SN": SN, "table": "ATTLOG", "Stamp": "9"}, content=body
    )
    assert (got.status_code, got.text) == (200, "OK: 1")
    assert len(_attempts(session, device)) == 1
    oplog = client.post(
        "/iclock/cdata", params={"SN": SN, "table": "OPERLOG"},
        content="OPLOG 2\t0\t2026-03-02 07:31:00\t0\t0\t0\t0",
    )  # fmt: skip
    assert (oplog.status_code, oplog.text) == (200, "OK: 1")
    big = client.post(
        "/iclock/cdata", params={"SN": SN, "table": "ATTLOG"}, content=b"x" * (MAX_BODY + 1)
    )
    assert big.status_code == 413
    assert "过大" in big.text
    for params in ({}, {"SN": "bad sn!"}, {"SN": "A" * 40}):
        bad = client.get("/iclock/getrequest", params=params)
        assert bad.status_code == 400, params
        assert bad.headers["content-type"].startswith("text/plain")
    garbage = client.post("/iclock/devicecmd", params={"SN": SN}, content="no results here")
    assert garbage.status_code == 400
    assert (
        client.post("/iclock/devicecmd", params={"SN": SN}, content="ID=999&Return=0&CMD=DATA").text
        == "OK"
    )
    assert client.get("/iclock/ping", params={"SN": SN}).text == "OK"
    assert client.get("/iclock/cdata", params={"SN": SN}).text == "OK"


def test_a_worker_who_left_is_removed_on_the_terminals_word(
    client: TestClient,
    session: Session,
    settings: Settings,
    world: tuple[Project, Device, Worker, Worker],
    terminal: ZkPushTerminal,
) -> None:
    project, device, face, _ = world
    service.approve(session, settings, None, device, now=dt.datetime.now(dt.UTC))
    session.commit()
    assert terminal.register() is not None
    terminal.poll_commands()
    assignment = session.scalars(
        select(Assignment).where(
            Assignment.project_id == project.id, Assignment.worker_id == face.id
        )
    ).one()
    registry_service.leave(session, None, assignment, on=dt.datetime.now(dt.UTC).date())
    session.commit()
    terminal.poll_commands()  # the roster version moved: the removal goes out at once
    assert str(face.id) not in terminal.users
    session.expire_all()
    assert session.scalar(select(TerminalUser).where(TerminalUser.pin == str(face.id))) is None
    delete = session.scalars(
        select(TerminalCommand).where(TerminalCommand.action == "delete")
    ).one()
    assert (delete.state, delete.return_code, delete.reason) == ("done", 0, "left")
    assert session.scalar(select(func.count()).select_from(TerminalUser)) == 1


def test_odd_input_is_answered_never_a_500(
    client: TestClient,
    session: Session,
    settings: Settings,
    world: tuple[Project, Device, Worker, Worker],
) -> None:
    _, device, _, _ = world
    service.approve(session, settings, None, device, now=dt.datetime.now(dt.UTC))
    session.commit()
    cases: list[tuple[str, str, dict[str, str], bytes]] = [
        ("GET", "/iclock/cdata", {"SN": "序列号", "options": "all"}, b""),
        ("POST", "/iclock/cdata", {"SN": SN, "table": "ATTLOG", "Stamp": "1\t2"}, b""),
        ("POST", "/iclock/cdata", {"SN": SN, "table": "ATTLOG"}, b"\xff\xfe\x00garbage\n\t\t"),
        ("POST", "/iclock/cdata", {"SN": SN, "table": "ATTLOG"}, HUGE_PIN),
        ("POST", "/iclock/cdata", {"SN": SN, "table": "OPERLOG"}, b"USER PIN=\xc4\xe3"),
        ("POST", "/iclock/cdata", {"SN": SN, "table": "ATTPHOTO"}, b"\x00" * 100),
        ("POST", "/iclock/devicecmd", {"SN": SN}, b"ID=1N&Return=x&CMD=DATA"),
        ("POST", "/iclock/devicecmd", {"SN": SN}, b"ID=99999999999999999999&Return=0&CMD=DATA"),
    ]  # fmt: skip
    for method, path, params, body in cases:
        r = client.request(method, path, params=params, content=body)
        assert r.status_code < 500, (path, params, body, r.text)
        assert r.headers["content-type"].startswith("text/plain"), (path, r.text)


def test_a_refused_photo_fails_the_command_and_the_terminal_holds_no_face(
    client: TestClient,
    session: Session,
    settings: Settings,
    world: tuple[Project, Device, Worker, Worker],
) -> None:
    _, device, face, card = world
    service.approve(session, settings, None, device, now=dt.datetime.now(dt.UTC))
    session.commit()
    with ZkPushTerminal(
        "http://testserver", SN, transport=client._transport, reject_commands={"UpdateBioPhoto"}
    ) as term:
        assert term.register() is not None
        term.poll_commands()
        assert not term.users[str(face.id)].has_face
    session.expire_all()
    failed = session.scalars(
        select(TerminalCommand).where(TerminalCommand.pin == str(face.id))
    ).one()
    assert (failed.state, failed.return_code) == ("failed", -1)
    held = {u.pin for u in session.scalars(select(TerminalUser))}
    assert held == {str(card.id)}  # the face worker is not marked as held
