"""A Hikvision ISAPI face terminal end to end: the emulated terminal (real HTTP on loopback, real
Digest) pushes to the real server in a subprocess; the server-side jobs (isapi_pull.py) run here
against the server's database, as the scheduler would.

the terminal is refused until approved · users are pushed, with the face picture where the
worker consented and card-only where not · a pass and a refusal are stored with their serial ·
dropped pushes are a gap, filled by the pull exactly once · a duplicate push is stored once ·
a worker who left is removed from the terminal, confirmed · an offline terminal loses nothing.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from models.enums import DenyReason, Direction, GateResult
from server.config import Settings
from server.db import migrate
from server.db.session import make_engine, make_sessionmaker, unit_of_work
from server.db.types import utcnow
from server.ingest import service as ingest_service
from server.ingest.models import GateEventRow
from server.registry import face_templates
from server.registry import service as registry_service
from server.registry.models import Assignment, Device, Worker
from server.terminals import commands, isapi_pull, service
from server.terminals.models import TerminalCommand, TerminalGap, TerminalUser
from soak.procs import SECRET_KEY, TEMPLATE_KEY, ServerProc
from terminals.hikvision_isapi.emulator import IsapiTerminalEmulator
from tests.factories import make_assignment, make_company, make_project, make_worker

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

SN = "DS-K1T671M20260101V030200ENQ00000001"
CHINA = dt.timezone(dt.timedelta(hours=8))  # the projects here run on Beijing time


def jpeg(shade: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (120, 160), (shade, 120, 90)).save(out, "JPEG")
    return out.getvalue()


@dataclass
class World:
    engine: Engine
    settings: Settings
    device_id: int
    face_worker: int
    card_worker: int
    leaver: int
    leaver_assignment: int

    def session(self) -> AbstractContextManager[Session]:
        return unit_of_work(make_sessionmaker(self.engine))

    def device(self, s: Session) -> Device:
        device = s.get(Device, self.device_id)
        assert device is not None
        return device


def build(db_url: str, emu: IsapiTerminalEmulator) -> World:
    migrate.upgrade(db_url)
    settings = Settings(database_url=db_url, template_key=TEMPLATE_KEY, secret_key=SECRET_KEY)
    engine = make_engine(db_url)
    with unit_of_work(make_sessionmaker(engine)) as s:
        project = make_project(s)
        company = make_company(s, project)
        ids: list[int] = []
        assignments: list[int] = []
        for name, card, photo in [
            ("张伟", "A1B2C3D4", 60),
            ("李娜", "C0FFEE01", None),
            ("王强", "", 200),
        ]:
            worker = make_worker(s, name=name)
            assignment = make_assignment(s, project, worker, company)
            if card:
                registry_service.bind_card(s, None, assignment, uid=card)
            if photo is not None:
                registry_service.set_consent(s, None, worker, consent=True)
                face_templates.set_photo(s, settings, worker, jpeg(photo))
            ids.append(worker.id)
            assignments.append(assignment.id)
        device = service.add_terminal(
            s, settings, None, project, code="HK-IN-1", vendor="hikvision", serial_number=SN,
            direction=Direction.IN, url=emu.base_url, username=emu.username,
            password=emu.password,
        )  # fmt: skip
        return World(engine, settings, device.id, ids[0], ids[1], ids[2], assignments[2])


def rows(world: World) -> list[GateEventRow]:
    with world.session() as s:
        return list(
            s.scalars(
                select(GateEventRow)
                .where(GateEventRow.device_id == world.device_id, GateEventRow.purpose.is_(None))
                .order_by(GateEventRow.seq)
            )
        )


def refs(world: World) -> list[str]:
    return [r.terminal_ref or "" for r in rows(world)]


def push_commands(world: World) -> isapi_pull.Pushed:
    with world.session() as s:
        device = world.device(s)
        commands.sync(s, world.settings, device, now=utcnow())
    with world.session() as s:
        return isapi_pull.push_commands(s, world.settings, world.device(s), now=utcnow())


def backfill(world: World, *, catch_up: bool = False) -> isapi_pull.Backfill:
    with world.session() as s:
        return isapi_pull.backfill(
            s, world.settings, world.device(s), now=utcnow(), catch_up=catch_up
        )


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[World, IsapiTerminalEmulator, ServerProc]]:
    db_url = f"sqlite:///{tmp_path / 'server.sqlite3'}"
    with IsapiTerminalEmulator(serial_number=SN) as emu:
        world = build(db_url, emu)
        server = ServerProc(db_url)
        server.start()
        try:
            yield world, emu, server
        finally:
            server.stop()
            world.engine.dispose()


def test_hikvision_terminal_end_to_end(
    running: tuple[World, IsapiTerminalEmulator, ServerProc],
) -> None:
    world, emu, server = running
    sn_ref = f"hikvision:{SN}:"

    # Wired up but not approved: the terminal is seen, its record refused (403), nothing stored.
    with world.session() as s:
        configured = isapi_pull.configure(world.settings, world.device(s), server.url)
    assert configured.ok, configured.error
    assert emu.http_host is not None
    assert emu.http_host.url.endswith(f"/api/v1/terminals/hikvision/{SN}/events")
    emu.present(card_no="FFFF0000")  # serial 1, before approval
    assert emu.pushed[-1] == (1, 403)
    with world.session() as s:
        assert world.device(s).last_seen_at is not None
        service.approve(s, world.settings, None, world.device(s), now=utcnow())
    assert refs(world) == []

    # The roster on the terminal: face with the picture where consented, card-only where not.
    pushed = push_commands(world)
    assert (pushed.done, pushed.failed, pushed.offline) == (3, 0, False), pushed
    face, card, leaver = str(world.face_worker), str(world.card_worker), str(world.leaver)
    assert set(emu.state.users) == {face, card, leaver}
    assert set(emu.state.faces) == {face, leaver}
    assert emu.state.cards == {"A1B2C3D4": face, "C0FFEE01": card}
    with world.session() as s:
        held = {u.pin: u.access for u in s.scalars(select(TerminalUser))}
    assert held == {face: "face", card: "card", leaver: "face"}

    # A pass and a refusal, pushed and stored with the terminal's serial.
    emu.heartbeat()
    assert emu.pushed[-1] == (0, 200)
    emu.present(employee_no=face)  # serial 2: face pass
    emu.present(employee_no=None)  # serial 3: a face the terminal knows nobody by
    emu.present(card_no="C0FFEE01", face=False)  # serial 4: card pass
    got = rows(world)
    assert [r.terminal_ref for r in got] == [sn_ref + s for s in ("2", "3", "4")]
    assert [(r.result, r.worker_id) for r in got] == [
        (GateResult.GRANTED, world.face_worker),
        (GateResult.REFUSED, None),
        (GateResult.GRANTED, world.card_worker),
    ]
    assert got[1].reason == DenyReason.UNKNOWN_CREDENTIAL

    # Dropped pushes: a gap when the next one arrives, back-filled by the pull exactly once.
    emu.drop_push = lambda serial: serial in (5, 6)
    for _ in range(3):
        emu.present(employee_no=face)  # 5, 6 dropped; 7 pushed
    emu.drop_push = None
    with world.session() as s:
        gaps = [(g.from_serial, g.to_serial, g.state) for g in s.scalars(select(TerminalGap))]
    assert gaps == [(5, 6, "open")]
    assert sn_ref + "5" not in refs(world)
    filled = backfill(world)
    assert (filled.stored, filled.filled, filled.flagged, filled.error) == (2, 1, 0, None)
    assert backfill(world) == isapi_pull.Backfill()  # nothing open: the terminal is not called
    again = backfill(world, catch_up=True)
    assert (again.stored, again.error) == (0, None)
    assert refs(world) == [sn_ref + str(s) for s in (2, 3, 4, 7, 5, 6)]

    # A duplicate push is stored once.
    emu.duplicate_push = lambda serial: serial == 8
    emu.present(employee_no=face)
    emu.duplicate_push = None
    assert [p for p in emu.pushed if p[0] == 8] == [(8, 200), (8, 200)]
    assert refs(world).count(sn_ref + "8") == 1

    # A worker who left (退场) is removed from the terminal, on its confirmation.
    with world.session() as s:
        assignment = s.get(Assignment, world.leaver_assignment)
        assert assignment is not None
        registry_service.leave(s, None, assignment, on=dt.datetime.now(CHINA).date())
    removed = push_commands(world)
    assert (removed.done, removed.failed) == (1, 0), removed
    assert leaver not in emu.state.users
    assert leaver not in emu.state.faces
    with world.session() as s:
        assert s.scalar(select(TerminalUser).where(TerminalUser.pin == leaver)) is None
        delete = s.scalars(select(TerminalCommand).where(TerminalCommand.action == "delete")).one()
        assert (delete.pin, delete.state, delete.reason) == (leaver, "done", "left")

    # Offline: no pushes, no answers. Nothing is lost: the jobs say so and the next run retries.
    emu.offline = True
    emu.present(employee_no=face)  # 9
    emu.present(card_no="A1B2C3D4", face=False)  # 10
    emu.close()
    down = backfill(world, catch_up=True)
    assert (down.offline, down.stored) == (True, 0)
    assert down.error is not None
    assert "终端无法连接" in down.error
    with world.session() as s:
        worker = s.get(Worker, world.card_worker)
        assert worker is not None
        registry_service.set_consent(s, None, worker, consent=True)
        face_templates.set_photo(s, world.settings, worker, jpeg(90))
    waiting = push_commands(world)
    assert (waiting.offline, waiting.requeued, waiting.done) == (True, 1, 0)
    with world.session() as s:
        states = [c.state for c in s.scalars(select(TerminalCommand).order_by(TerminalCommand.id))]
    assert states[-1] == "queued"

    # Back on the network (a new port on loopback: the address is updated, as after a DHCP move).
    emu.start()
    emu.offline = False
    with world.session() as s:
        world.device(s).terminal_url = emu.base_url
    emu.present(employee_no=face)  # 11, pushed: 9 and 10 are a gap now
    back = backfill(world)
    assert (back.stored, back.filled, back.error) == (2, 1, None)
    retried = push_commands(world)
    assert (retried.done, retried.offline) == (1, False), retried
    assert card in emu.state.faces
    assert refs(world) == [sn_ref + str(s) for s in (2, 3, 4, 7, 5, 6, 8, 11, 9, 10)]

    # Every record the server sealed for the terminal re-hashes and verifies.
    with world.session() as s:
        report = ingest_service.verify_chain(s, world.device_id)
        assert report.intact, report.problems[:3]
        assert s.scalar(select(func.count()).select_from(TerminalGap)) == 2
