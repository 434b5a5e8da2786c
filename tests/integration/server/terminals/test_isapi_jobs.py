"""server/terminals/isapi_pull.py against the emulated terminal (loopback HTTP, Digest): what
the jobs do when the terminal refuses, no longer has events, or is not the registered one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import Direction
from server.config import Settings
from server.registry import face_templates
from server.registry import service as registry_service
from server.registry.models import Device
from server.terminals import commands, isapi_pull, service
from server.terminals.models import TerminalCommand, TerminalGap, TerminalUser
from terminals.hikvision_isapi.emulator import IsapiTerminalEmulator
from terminals.hikvision_isapi.records import invalid_content
from tests.factories import make_assignment, make_project, make_worker

SN = "DS-K1T671M20260101V030200ENQ00000001"
NOW = dt.datetime.now(dt.UTC)
JPEG = b"\xff\xd8\xff\xe0 a small picture \xff\xd9"


@pytest.fixture
def emu() -> Iterator[IsapiTerminalEmulator]:
    with IsapiTerminalEmulator(serial_number=SN) as e:
        yield e


@pytest.fixture
def device(session: Session, settings: Settings, emu: IsapiTerminalEmulator) -> Device:
    project = make_project(session)
    worker = make_worker(session, name="张伟")
    make_assignment(session, project, worker)
    registry_service.set_consent(session, None, worker, consent=True)
    face_templates.set_photo(session, settings, worker, JPEG)
    device = service.add_terminal(
        session, settings, None, project, code="HK-1", vendor="hikvision", serial_number=SN,
        direction=Direction.IN, url=emu.base_url, username=emu.username, password=emu.password,
    )  # fmt: skip
    service.approve(session, settings, None, device, now=NOW)
    return device


def test_a_gap_the_terminal_no_longer_has_is_flagged(
    session: Session, settings: Settings, device: Device, emu: IsapiTerminalEmulator
) -> None:
    for _ in range(3):
        emu.present(employee_no=None)  # 1-3, never pushed (no listening host set)
    device.terminal_serial_high = 9
    session.add(TerminalGap(device_id=device.id, from_serial=2, to_serial=6, detected_at=NOW))
    session.flush()
    got = isapi_pull.backfill(session, settings, device, now=NOW)
    assert (got.stored, got.filled, got.flagged, got.missing) == (2, 0, 1, 3)
    gap = session.scalars(select(TerminalGap)).one()
    assert (gap.state, gap.closed_at is not None) == ("flagged", True)


def test_a_refused_face_fails_the_command_with_the_terminals_code(
    session: Session, settings: Settings, device: Device, emu: IsapiTerminalEmulator
) -> None:
    emu.reject = lambda op, _no: invalid_content("faceLibFull") if op == "face_upload" else None
    commands.sync(session, settings, device, now=NOW)
    got = isapi_pull.push_commands(session, settings, device, now=NOW)
    assert (got.done, got.failed, got.offline) == (0, 1, False)
    cmd = session.scalars(select(TerminalCommand)).one()
    assert (cmd.state, cmd.return_code) == ("failed", 6)
    assert session.scalars(select(TerminalUser)).all() == []  # only a confirmed upsert counts


def test_a_refused_password_requeues_everything(
    session: Session, settings: Settings, device: Device
) -> None:
    device.terminal_secret = Fernet(settings.fernet_key()).encrypt(b"wrong")
    commands.sync(session, settings, device, now=NOW)
    got = isapi_pull.push_commands(session, settings, device, now=NOW)
    assert (got.done, got.failed, got.requeued, got.offline) == (0, 0, 1, False)
    assert got.error is not None
    assert "密码" in got.error
    assert [c.state for c in session.scalars(select(TerminalCommand))] == ["queued"]
    pulled = isapi_pull.backfill(session, settings, device, now=NOW, catch_up=True)
    assert (pulled.offline, pulled.stored) == (False, 0)
    assert pulled.error is not None


def test_configure_checks_the_serial_number(
    settings: Settings, device: Device, emu: IsapiTerminalEmulator
) -> None:
    emu.serial_number = "SOMEONE-ELSES-TERMINAL"
    got = isapi_pull.configure(settings, device, "http://10.0.0.2:8000")
    assert not got.ok
    assert got.error is not None
    assert "SOMEONE-ELSES-TERMINAL" in got.error
    assert emu.http_host is None


def test_a_replaced_card_no_longer_opens_the_terminal(
    session: Session, settings: Settings, device: Device, emu: IsapiTerminalEmulator
) -> None:
    from server.registry.models import Assignment, CardBinding

    (assignment,) = session.scalars(select(Assignment)).all()
    binding = CardBinding(assignment_id=assignment.id, uid="0011111111")
    session.add(binding)
    session.flush()
    commands.sync(session, settings, device, now=NOW)
    assert isapi_pull.push_commands(session, settings, device, now=NOW).done == 1
    assert emu.state.cards == {"0011111111": str(assignment.worker_id)}
    binding.uid = "0022222222"  # the worker lost the card and got a new one
    session.flush()
    again = commands.sync(session, settings, device, now=NOW)
    assert again.upserts == 1
    assert isapi_pull.push_commands(session, settings, device, now=NOW).done == 1
    assert emu.state.cards == {"0022222222": str(assignment.worker_id)}
    assert emu.state.faces == {str(assignment.worker_id): JPEG}  # the face pushed again
