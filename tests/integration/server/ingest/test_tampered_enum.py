"""A gate_event enum column edited in the database to a value outside its enum (VARCHAR, no CHECK
constraint, so both SQLite and PostgreSQL accept the write): the verification paths report the
record as altered with the stored value, and no page or API answers 500."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import String, select, type_coerce, update
from sqlalchemy.orm import Session

from models.enums import DenyReason, GateResult, Role
from server.ingest import evidence as evidence_service
from server.ingest import service as ingest_service
from server.ingest.models import GateEventRow
from server.registry.models import Project, Worker
from server.rosters import service as roster_service
from tests.factories import (
    login,
    make_assignment,
    make_device,
    make_project,
    make_user,
    make_worker,
)
from tests.integration.server.ingest.ingest_support import T0, Gate
from tests.integration.server.web.helpers import web_login

NOW = T0 + dt.timedelta(hours=1)
MONTH = "2026-05"

TAMPERED = [
    ("result", "granted!"),
    ("direction", "in!"),
    ("mode", "face_only!"),
    ("reason", "no_longer_a_reason"),
    ("credential", "id_card!"),
]


@pytest.fixture
def project(session: Session) -> Project:
    return make_project(session)


@pytest.fixture
def worker(session: Session, project: Project) -> Worker:
    w = make_worker(session)
    make_assignment(session, project, w)
    return w


@pytest.fixture
def gate(client: TestClient, session: Session, project: Project, worker: Worker) -> Gate:
    g = Gate.provision(client, session, make_device(session, project))
    events = [g.event(seq, worker_id=worker.id) for seq in (1, 2)]
    events.append(
        g.event(3, worker_id=worker.id, result=GateResult.REFUSED, reason=DenyReason.NO_FACE)
    )
    r = g.upload(events)
    assert r.status_code == 200, r.text
    return g


def _tamper(session: Session, gate: Gate, column: str, value: str) -> None:
    c = GateEventRow.__table__.c
    # Written as text: the ORM's Enum type refuses the value before the database sees it.
    session.execute(
        update(GateEventRow.__table__)
        .where(c.device_id == gate.device.id, c.seq.in_((2, 3)))
        .values({c[column]: type_coerce(value, String)})
    )
    session.flush()
    stored = session.scalars(
        select(type_coerce(c[column], String)).where(c.device_id == gate.device.id, c.seq == 2)
    ).one()
    assert stored == value  # the database took it


@pytest.mark.parametrize(("column", "value"), TAMPERED, ids=[c for c, _ in TAMPERED])
class TestTamperedEnum:
    def test_chain_flags_the_event(
        self, session: Session, gate: Gate, column: str, value: str
    ) -> None:
        _tamper(session, gate, column, value)
        report = ingest_service.verify_chain(session, gate.device.id)
        assert not report.intact
        kinds = {(p.seq, p.kind) for p in report.problems}
        assert {(2, "bad_hash"), (3, "bad_hash"), (2, "bad_value"), (3, "bad_value")} <= kinds
        assert (1, "bad_hash") not in kinds
        bad = next(p for p in report.problems if p.kind == "bad_value")
        assert (bad.expected, bad.got) == (column, value)

    def test_evidence_fails_as_altered(
        self, session: Session, project: Project, worker: Worker, gate: Gate, column: str,
        value: str,
    ) -> None:  # fmt: skip
        _tamper(session, gate, column, value)
        session.expire_all()
        ev = evidence_service.worker_month_evidence(
            session, project_id=project.id, worker_id=worker.id, period=MONTH, now=NOW
        )
        by_seq = {e.seq: e for e in ev.events}
        assert by_seq[1].ok
        altered = by_seq[2]
        assert not altered.ok
        assert not altered.hash_ok
        assert [p.kind for p in altered.problems] == ["bad_value", "bad_hash"]
        assert (altered.problems[0].expected, altered.problems[0].got) == (column, value)
        assert f'"{column}":"{value}"' in altered.canonical  # shown as stored
        shown = getattr(altered, column)
        assert shown == value
        assert type(shown) is str  # the stored text itself, not an enum member
        assert ev.gates[0].failed_seqs == (2, 3)

    def test_endpoints_and_pages_answer(
        self,
        app: FastAPI,
        client: TestClient,
        session: Session,
        project: Project,
        worker: Worker,
        gate: Gate,
        column: str,
        value: str,
    ) -> None:
        _tamper(session, gate, column, value)
        inspector = make_user(session, Role.INSPECTOR, [project])
        manager = make_user(session, Role.SITE_MANAGER, [project])
        session.commit()
        headers = login(client, inspector)
        base = f"/api/v1/projects/{project.id}"
        r = client.get(f"{base}/devices/{gate.device.id}/chain", headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["intact"] is False
        evidence = f"{base}/workers/{worker.id}/evidence"
        r = client.get(evidence, params={"month": MONTH}, headers=headers)
        assert r.status_code == 200, r.text
        events = {e["seq"]: e for e in r.json()["events"]}
        assert events[2][column] == value
        assert events[2]["ok"] is False
        for ext in ("xlsx", "pdf"):
            r = client.get(f"{evidence}.{ext}", params={"month": MONTH}, headers=headers)
            assert r.status_code == 200, (ext, r.text)

        web_login(client, inspector)
        assert client.get(f"/inspect/{project.id}/{MONTH}").status_code == 200
        client.cookies.clear()
        web_login(client, manager)
        app.state.web_clock = lambda: NOW
        try:
            assert client.get(f"/site/{project.id}/now").status_code == 200
        finally:
            app.state.web_clock = None

    def test_daily_roster_skips_or_shows_unknown(
        self, session: Session, project: Project, worker: Worker, gate: Gate, column: str,
        value: str,
    ) -> None:  # fmt: skip
        _tamper(session, gate, column, value)
        board = roster_service.daily(session, project_id=project.id, day=NOW.date(), now=NOW)
        if column == "reason":  # the refusal is shown, as an unknown reason
            (refusal,) = board.refusals
            assert refusal.reason is None
        elif column == "credential":
            (refusal,) = board.refusals
        else:  # the altered refusal is skipped
            assert board.refusals == ()
        month = roster_service.load_month(session, project_id=project.id, period=MONTH)
        assert month is not None
