"""server/terminals/isapi_router.py: the listening host Hikvision terminals push events to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import Direction, GateResult
from server.config import Settings
from server.ingest.models import GateEventRow
from server.registry.models import Device, Project
from server.terminals import isapi_router, service
from server.terminals.models import TerminalGap
from terminals.hikvision_isapi.protocol import (
    MAJOR_EVENT,
    AccessControllerEvent,
    AcsEventPush,
    EventMinor,
    build_event_multipart,
    event_json,
)
from tests.factories import make_assignment, make_project, make_worker

SN = "DS-K1T671M0000000001"
URL = isapi_router.push_url("", SN)
T0 = dt.datetime(2026, 11, 3, 0, 30, tzinfo=dt.UTC)
CHINA = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def terminal(session: Session, settings: Settings) -> tuple[Project, Device]:
    project = make_project(session)
    device = service.add_terminal(
        session, settings, None, project, code="HK-IN-1", vendor="hikvision",
        serial_number=SN, direction=Direction.IN, url="http://10.0.0.5", username="admin",
        password="pw",
    )  # fmt: skip
    session.flush()
    return project, device


def _event(
    serial: int, minor: int, employee_no: str | None, front: int | None = None
) -> AcsEventPush:
    return AcsEventPush(
        date_time=dt.datetime.now(CHINA).replace(microsecond=0),
        event_type="AccessControllerEvent",
        mac_address="44:47:cc:00:00:01",
        acs=AccessControllerEvent(
            major=MAJOR_EVENT, minor=minor, employee_no=employee_no, serial_no=serial,
            front_serial_no=front,
        ),
    )  # fmt: skip


def _post(client: TestClient, event: AcsEventPush, picture: bytes | None = None) -> Response:
    ctype, body = build_event_multipart(event, picture, "MIME_boundary_test")
    answer: Response = client.post(URL, content=body, headers={"Content-Type": ctype})
    return answer


def _heartbeat() -> AcsEventPush:
    return AcsEventPush(
        date_time=dt.datetime.now(CHINA).replace(microsecond=0), event_type="heartBeat"
    )


def test_unknown_and_unapproved_terminals_are_refused_but_seen(
    client: TestClient, session: Session, terminal: tuple[Project, Device]
) -> None:
    _, device = terminal
    ctype, body = build_event_multipart(_heartbeat(), None, "b1")
    r = client.post(
        isapi_router.push_url("", "NOPE-0001"), content=body, headers={"Content-Type": ctype}
    )
    assert r.status_code == 401
    assert r.json()["code"] == "terminal.unknown"
    assert r.json()["message_zh"]
    assert r.json()["message_en"]
    r = client.post(URL, content=body, headers={"Content-Type": ctype})
    assert r.status_code == 403, r.text
    assert r.json()["code"] == "terminal.not_approved"
    session.refresh(device)
    assert device.last_seen_at is not None  # the manager sees it is wired up


def test_events_are_stored_once_and_gaps_opened(
    client: TestClient, session: Session, settings: Settings, terminal: tuple[Project, Device]
) -> None:
    project, device = terminal
    service.approve(session, settings, None, device, now=T0)
    worker = make_worker(session)
    make_assignment(session, project, worker)
    session.flush()
    r = client.post(
        URL, content=event_json(_heartbeat()), headers={"Content-Type": "application/json"}
    )
    assert (r.status_code, r.json()["heartbeat"]) == (200, True)
    ok = _event(1, EventMinor.FACE_VERIFY_PASS, str(worker.id))
    r = _post(client, ok, picture=b"\xff\xd8 a capture")
    assert r.status_code == 200, r.text
    assert (r.json()["stored"], r.json()["duplicates"]) == (1, 0)
    again = _post(client, ok)
    assert (again.json()["stored"], again.json()["duplicates"]) == (0, 1)
    refused = _post(client, _event(2, EventMinor.FACE_VERIFY_FAIL, None, front=1))
    assert refused.json()["gaps"] == []
    jump = _post(client, _event(5, EventMinor.FACE_VERIFY_PASS, str(worker.id), front=4))
    assert jump.json()["gaps"] == [[3, 4]]
    door = _post(client, _event(6, EventMinor.DOOR_OPEN_NORMAL, None))  # no attempt: not stored
    assert (door.status_code, door.json()["stored"]) == (200, 0)
    rows = session.scalars(
        select(GateEventRow)
        .where(GateEventRow.device_id == device.id, GateEventRow.purpose.is_(None))
        .order_by(GateEventRow.seq)
    ).all()
    assert [r.terminal_ref for r in rows] == [f"hikvision:{SN}:{s}" for s in (1, 2, 5)]
    assert [r.result for r in rows] == [GateResult.GRANTED, GateResult.REFUSED, GateResult.GRANTED]
    assert rows[0].worker_id == worker.id
    session.refresh(device)
    assert device.terminal_serial_high == 6
    gaps = session.scalars(select(TerminalGap).where(TerminalGap.device_id == device.id)).all()
    assert [(g.from_serial, g.to_serial, g.state) for g in gaps] == [(3, 4, "open")]


@pytest.mark.parametrize(
    ("ctype", "body", "code"),
    [
        ("application/json", b"{not json", "isapi.bad_json"),
        ("application/json", b"{}", "isapi.bad_field"),
        ("multipart/form-data; boundary=x", b"--x\r\nno end", "isapi.bad_multipart"),
        ("text/plain", b"hello", "isapi.not_multipart"),
        ("", b"", "isapi.not_multipart"),
    ],
)
def test_malformed_pushes_are_400_with_a_message(
    client: TestClient, session: Session, settings: Settings, terminal: tuple[Project, Device],
    ctype: str, body: bytes, code: str,
) -> None:  # fmt: skip
    service.approve(session, settings, None, terminal[1], now=T0)
    session.flush()
    r = client.post(URL, content=body, headers={"Content-Type": ctype} if ctype else {})
    assert r.status_code == 400, r.text
    assert r.json()["code"] == code
    assert r.json()["message_zh"]
    assert r.json()["message_en"]


def test_a_body_over_the_cap_is_413_before_parsing(
    client: TestClient, session: Session, settings: Settings, terminal: tuple[Project, Device]
) -> None:
    service.approve(session, settings, None, terminal[1], now=T0)
    session.flush()
    big = _event(1, EventMinor.FACE_VERIFY_PASS, "1")
    r = _post(client, big, picture=b"\xff\xd8" + b"x" * isapi_router.MAX_BODY_BYTES)
    assert r.status_code == 413
    assert "message_zh" in r.json()

    def chunks() -> Iterator[bytes]:  # no Content-Length: the cap holds while reading
        yield b"--b\r\n"
        for _ in range(40):
            yield b"x" * 65536

    r = client.post(
        URL, content=chunks(), headers={"Content-Type": "multipart/form-data; boundary=b"}
    )
    assert r.status_code == 413


def test_a_serial_that_is_no_serial_is_refused(client: TestClient) -> None:
    r = client.post("/api/v1/terminals/hikvision/a%20b/events", content=b"{}")
    assert r.status_code == 422


@pytest.mark.parametrize(
    "event",
    [
        b'{"dateTime":"2026-12-03T08:00:00+08:00","eventType":"AccessControllerEvent",'
        b'"AccessControllerEvent":{"majorEventType":5,"subEventType":75,"serialNo":'
        + b"9" * 30
        + b"}}",
        b'{"dateTime":"9999-12-31T23:00:00-08:00","eventType":"AccessControllerEvent",'
        b'"AccessControllerEvent":{"majorEventType":5,"subEventType":75,"serialNo":3}}',
        b'{"dateTime":"2026-12-03T08:00:00","eventType":"heartBeat"}',
    ],
)
def test_an_event_no_terminal_sends_is_400_not_500(
    client: TestClient, session: Session, settings: Settings, terminal: tuple[Project, Device],
    event: bytes,
) -> None:  # fmt: skip
    service.approve(session, settings, None, terminal[1], now=T0)
    session.flush()
    r = client.post(URL, content=event, headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert r.json()["message_zh"]
