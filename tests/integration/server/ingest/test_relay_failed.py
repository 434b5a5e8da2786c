"""A granted pass that did not happen (the relay pulse was dropped or failed) is followed by a
refused relay_failed record naming it (issue 10 item 10). The real edge Outbox chains both, the
real SyncClient uploads them to the app, the chain stays intact, and neither the monthly roster
nor the day board counts that pass.

Two workers get the same gate records on 4 May; only A's IN at 08:00 has the follow-up, so any
difference between their rows is the follow-up's doing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from edge.decision import Attempt
from edge.outbox import Outbox
from edge.sync import SyncClient
from models.enums import CredentialKind, DenyReason, Direction, GateMode, GateResult
from models.ids import mask_id_number
from server.ingest import evidence as evidence_service
from server.ingest import service as ingest_service
from server.ingest.models import GateEventRow
from server.registry.models import Project, Worker
from server.rosters import service as roster_service
from server.rosters.rules import DayStatus
from tests.factories import make_assignment, make_device, make_project, make_worker
from tests.integration.server.ingest.ingest_support import Gate

ZONE = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 5, 4)


def at(hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(DAY.year, DAY.month, DAY.day, hour, minute, second, tzinfo=ZONE)


@dataclass
class Site:
    project: Project
    a: Worker
    b: Worker
    gate: Gate
    outbox: Outbox
    client: SyncClient


@pytest.fixture
def site(client: TestClient, session: Session, tmp_path: Path) -> Iterator[Site]:
    project = make_project(session)
    a, b = make_worker(session, name="王五"), make_worker(session, name="赵六")
    make_assignment(session, project, a)
    make_assignment(session, project, b)
    gate = Gate.provision(client, session, make_device(session, project))
    outbox = Outbox(tmp_path / "outbox.sqlite3", device_id=gate.code, key=gate.key)
    sync = SyncClient(
        "http://testserver", device_code=gate.code, key=gate.key, transport=client._transport
    )
    yield Site(project, a, b, gate, outbox, sync)
    sync.close()
    outbox.close()


def _attempt(worker: Worker, when: dt.datetime, direction: Direction, **kw: Any) -> Attempt:
    base = Attempt(
        at=when,
        direction=direction,
        mode=GateMode.CARD_ONLY,
        result=GateResult.GRANTED,
        credential=CredentialKind.ID_CARD,
        credential_ref=mask_id_number(worker.id_number),
        worker_id=worker.id,
    )
    return replace(base, **kw)


def _record_day(site: Site) -> int:
    """Both workers in at 08:00 and out at 17:00; A's IN did not open the gate."""
    box = site.outbox
    a_in = box.append(_attempt(site.a, at(8), Direction.IN))
    box.append(_attempt(site.b, at(8, 0, 5), Direction.IN))
    box.append(
        _attempt(
            site.a,
            at(8, 0, 2),
            Direction.IN,
            result=GateResult.REFUSED,
            reason=DenyReason.RELAY_FAILED,
            voids_seq=a_in.seq,
        )
    )
    box.append(_attempt(site.a, at(17), Direction.OUT))
    box.append(_attempt(site.b, at(17, 0, 5), Direction.OUT))
    return a_in.seq


def test_server_ingests_both_and_does_not_count_the_pass(session: Session, site: Site) -> None:
    a_in = _record_day(site)
    ack = site.client.upload(site.outbox.pending(100))
    assert (ack.inserted, ack.highest_contiguous_seq, ack.errors) == (5, 5, [])
    site.outbox.ack_through(ack.highest_contiguous_seq)

    session.expire_all()
    report = ingest_service.verify_chain(session, site.gate.device.id)
    assert report.intact, report.problems
    rows = {
        r.seq: r
        for r in session.scalars(
            select(GateEventRow).where(GateEventRow.device_id == site.gate.device.id)
        )
    }
    assert len(rows) == 5
    assert rows[a_in].result is GateResult.GRANTED
    assert rows[a_in].voided_by_seq == 3
    assert (rows[3].result, rows[3].reason, rows[3].voids_seq) == (
        GateResult.REFUSED,
        DenyReason.RELAY_FAILED,
        a_in,
    )
    assert all(rows[s].voided_by_seq is None for s in (2, 3, 4, 5))

    month = roster_service.load_month(session, project_id=site.project.id, period="2026-05")
    by_worker = {r.worker_id: r.month for r in month.rows}
    cell = DAY.day - 1
    assert by_worker[site.b.id].cells[cell].status is DayStatus.FULL  # same records, no follow-up
    assert by_worker[site.b.id].attended_days == 1
    # A's entry did not happen: only an OUT is left, so the day is not a full attended day.
    assert by_worker[site.a.id].cells[cell].status is not DayStatus.FULL
    assert by_worker[site.a.id].total_seconds < by_worker[site.b.id].total_seconds

    board = roster_service.daily(
        session, project_id=site.project.id, day=DAY, now=at(23, 59).astimezone(dt.UTC)
    )
    assert board.arrivals == 1  # B only
    assert any(r.reason_zh.startswith("闸门未打开") for r in board.refusals)

    # A's 考勤凭证 shows both records, genuine, the granted one noted as not passed.
    ev = evidence_service.worker_month_evidence(
        session,
        project_id=site.project.id,
        worker_id=site.a.id,
        period="2026-05",
        now=at(23, 59),
    )
    assert ev.all_ok
    by_seq = {e.seq: e for e in ev.events}
    assert [w.kind for w in by_seq[a_in].warnings] == ["not_passed"]
    assert by_seq[3].voids_seq == a_in
    assert by_seq[3].reason_en.startswith("the gate did not open")


def test_a_follow_up_cannot_void_another_workers_pass(session: Session, site: Site) -> None:
    box = site.outbox
    b_in = box.append(_attempt(site.b, at(8), Direction.IN))
    box.append(
        _attempt(
            site.a,
            at(8, 0, 2),
            Direction.IN,
            result=GateResult.REFUSED,
            reason=DenyReason.RELAY_FAILED,
            voids_seq=b_in.seq,
        )
    )
    assert site.client.upload(box.pending(10)).inserted == 2
    session.expire_all()
    granted = session.scalar(
        select(GateEventRow).where(
            GateEventRow.device_id == site.gate.device.id, GateEventRow.seq == b_in.seq
        )
    )
    assert granted is not None
    assert granted.voided_by_seq is None
