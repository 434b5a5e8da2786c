"""A ZKTeco face terminal end to end: the PUSH emulator over real HTTP against the real server in
a subprocess (SQLite file), seeded and changed through the server's own services.

refused before approval, records kept · accepted after · users pushed (face with its picture,
card-only without consent) · a pass stored as a gate_event with terminal_ref · an offline
backlog of 10,000 records drained exactly once although every batch is posted twice · a worker
who left is removed from the terminal and the removal confirmed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.enums import CredentialKind, Direction, GateMode
from server.config import Settings
from server.db import migrate
from server.db.session import make_engine
from server.ingest.models import GateEventRow
from server.registry import face_templates
from server.registry import service as registry_service
from server.registry.models import Assignment, Device
from server.terminals import service
from server.terminals.models import TerminalCommand, TerminalUser
from soak.procs import SECRET_KEY, TEMPLATE_KEY, ServerProc
from terminals.zkteco_push import protocol as zk
from terminals.zkteco_push.emulator import ZkPushTerminal
from tests.factories import make_assignment, make_company, make_project, make_worker

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

SN = "CKJX201760042"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"face-picture" * 200 + b"\xff\xd9"
CARD = "1A2B3C4D"
BACKLOG = 10_000


@dataclass
class World:
    db_url: str
    settings: Settings
    device_pk: int
    face: int  # consented, picture enrolled
    card: int  # no consent: card only
    leaver: int
    leaver_assignment: int


def _seed(db_url: str) -> World:
    migrate.upgrade(db_url)
    settings = Settings(database_url=db_url, template_key=TEMPLATE_KEY, secret_key=SECRET_KEY)
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            project = make_project(session)
            company = make_company(session, project)
            device = service.add_terminal(
                session, settings, None, project, code="ZK-E2E-IN", vendor="zkteco",
                serial_number=SN, direction=Direction.IN,
            )  # fmt: skip
            ids = []
            for name, consent in (("张三", True), ("李四", False), ("王五", True)):
                worker = make_worker(session, name=name)
                assignment = make_assignment(session, project, worker, company)
                if consent:
                    registry_service.set_consent(session, None, worker, consent=True)
                    face_templates.set_photo(session, settings, worker, JPEG)
                else:
                    registry_service.bind_card(session, None, assignment, uid=CARD)
                ids.append((worker.id, assignment.id))
            session.commit()
            return World(db_url, settings, device.id, ids[0][0], ids[1][0], *ids[2])
    finally:
        engine.dispose()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[World, ServerProc]]:
    db_url = f"sqlite:///{tmp_path / 'zk-e2e.sqlite3'}"
    seeded = _seed(db_url)
    server = ServerProc(db_url, log=tmp_path / "server.log")
    server.start()
    try:
        yield seeded, server
    finally:
        server.stop()


class Db:
    def __init__(self, world: World) -> None:
        self.world = world
        self.engine = make_engine(world.db_url)

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def attempts(self, **where: object) -> list[GateEventRow]:
        with self.session() as s:
            q = select(GateEventRow).where(
                GateEventRow.device_id == self.world.device_pk, GateEventRow.purpose.is_(None)
            )
            return list(s.scalars(q.filter_by(**where)))

    def close(self) -> None:
        self.engine.dispose()


def test_zkteco_terminal_end_to_end(world: tuple[World, ServerProc]) -> None:
    w, server = world
    db = Db(w)
    term = ZkPushTerminal(server.url, SN, batch_size=1000, timeout=60)
    try:
        # -- not approved: refused, the terminal keeps its records ---------------------------
        assert term.register() is None
        assert "403" in (term.last_error or "")
        # a user enrolled at the terminal's keypad before it was connected
        term._table.apply(zk.UpdateUser(pin=str(w.card), name="李四", card=f"[{CARD}]"))
        assert term.present(card=f"[{CARD}]") is not None
        assert term.upload() == 0
        assert term.pending == 1
        with db.session() as s:
            device = s.get(Device, w.device_pk)
            assert device is not None
            assert device.last_seen_at is not None  # the manager sees it calling
            service.approve(s, w.settings, None, device, now=dt.datetime.now(dt.UTC))
            s.commit()

        # -- approved: registered, users pushed, the kept record stored -----------------------
        options = term.register()
        assert options is not None, term.last_error
        assert options.timezone == 8
        results = term.poll_commands()
        assert results
        assert all(r.return_code == 0 for r in results)
        users = term.users
        assert users[str(w.face)].has_face
        assert users[str(w.face)].face_photo == JPEG
        assert users[str(w.leaver)].has_face
        assert not users[str(w.card)].has_face
        with db.session() as s:
            held = dict(s.execute(select(TerminalUser.pin, TerminalUser.access)).all())
        assert held == {str(w.face): "face", str(w.card): "card", str(w.leaver): "face"}
        assert term.upload() == 1
        assert len(db.attempts(worker_id=w.card)) == 1

        # -- a pass --------------------------------------------------------------------------
        assert term.present(pin=str(w.face)) is not None
        assert term.upload() == 1
        (row,) = db.attempts(worker_id=w.face)
        assert row.terminal_ref is not None
        assert (row.mode, row.credential) == (GateMode.FACE_ONLY, CredentialKind.FACE)

        # -- offline backlog, drained once though every batch is posted twice ---------------
        term.offline = True
        start = term.device_now() - dt.timedelta(hours=4)
        pins = [str(w.face), str(w.leaver)]
        for i in range(BACKLOG):
            at = start + dt.timedelta(seconds=i)  # device wall time, one record a second
            assert term.present(pin=pins[i % 2], at=at) is not None
        assert term.upload() == 0
        assert term.pending == BACKLOG
        term.offline = False
        term.resend = True
        assert term.upload() == BACKLOG
        assert term.pending == 0
        with db.session() as s:
            attempts = s.scalar(
                select(func.count())
                .select_from(GateEventRow)
                .where(
                    GateEventRow.device_id == w.device_pk,
                    GateEventRow.purpose.is_(None),
                    GateEventRow.worker_id.in_([w.face, w.leaver]),
                )
            )
            device = s.get(Device, w.device_pk)
            assert device is not None
            duplicates = device.health["zk"]["duplicates"]
        assert attempts == BACKLOG + 1
        assert duplicates >= BACKLOG
        again = term.register()
        assert again is not None
        assert again.attlog_stamp == str(BACKLOG + 2)  # the stamp the terminal last sent

        # -- a worker who left is removed, on the terminal's word ---------------------------
        with db.session() as s:
            assignment = s.get(Assignment, w.leaver_assignment)
            assert assignment is not None
            registry_service.leave(s, None, assignment, on=dt.datetime.now(dt.UTC).date())
            s.commit()
        term.poll_commands()
        assert str(w.leaver) not in term.users
        assert term.present(pin=str(w.leaver)) is None
        with db.session() as s:
            gone = s.scalar(select(TerminalUser).where(TerminalUser.pin == str(w.leaver)))
            delete = s.scalars(
                select(TerminalCommand).where(TerminalCommand.action == "delete")
            ).one()
        assert gone is None
        assert (delete.state, delete.return_code, delete.reason) == ("done", 0, "left")
    finally:
        term.close()
        db.close()
