"""Device-signed checkpoints through the real edge Outbox and SyncClient into the app: ingest
checks each once against the stored range and keeps the answer; the records it seals count as
before, the checkpoint itself is no pass; a stored record changed afterwards does not add up."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from edge.decision import Attempt
from edge.outbox import CheckpointPolicy, Outbox
from edge.sync import SyncClient
from models.enums import CredentialKind, Direction, GateMode, GateResult, RecordPurpose
from models.ids import mask_id_number
from server.ingest import checkpoints
from server.ingest.models import ChainBreak, GateCheckpoint, GateEventRow
from server.registry.models import Device, Project, Worker
from server.rosters import service as roster_service
from tests.factories import make_assignment, make_device, make_project, make_worker
from tests.integration.server.ingest.ingest_support import Gate

ZONE = ZoneInfo("Asia/Shanghai")


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
    outbox = Outbox(
        tmp_path / "outbox.sqlite3",
        device_id=gate.code,
        key=gate.key,
        checkpoints=CheckpointPolicy(zone=ZONE, every_n=3),
    )
    sync = SyncClient(
        "http://testserver", device_code=gate.code, key=gate.key, transport=client._transport
    )
    yield Site(project, a, b, gate, outbox, sync)
    sync.close()
    outbox.close()


def _pass(w: Worker, when: dt.datetime, direction: Direction) -> Attempt:
    return Attempt(
        at=when,
        direction=direction,
        mode=GateMode.CARD_ONLY,
        result=GateResult.GRANTED,
        credential=CredentialKind.ID_CARD,
        credential_ref=mask_id_number(w.id_number),
        worker_id=w.id,
    )


def _two_days(site: Site) -> None:
    for day in (dt.date(2026, 5, 4), dt.date(2026, 5, 5)):
        t = dt.datetime(day.year, day.month, day.day, 8, tzinfo=ZONE)
        site.outbox.append(_pass(site.a, t, Direction.IN))
        site.outbox.append(_pass(site.b, t + dt.timedelta(minutes=1), Direction.IN))
        site.outbox.append(_pass(site.a, t + dt.timedelta(hours=9), Direction.OUT))
    site.outbox.checkpoint_if_day_over(dt.datetime(2026, 5, 6, 1, tzinfo=ZONE))


def _upload(site: Site) -> None:
    ack = site.client.upload(site.outbox.pending(1000))
    assert ack.errors == []
    site.outbox.ack_through(ack.highest_contiguous_seq)


def test_checkpoints_verified_at_ingest_and_not_counted(session: Session, site: Site) -> None:
    _two_days(site)
    _upload(site)
    session.expire_all()
    rows = session.scalars(select(GateCheckpoint).order_by(GateCheckpoint.seq)).all()
    # every 3 records; the day-end checkpoints find nothing new since (the 3rd record closed both)
    assert [(r.seq, r.from_seq, r.to_seq, r.status) for r in rows] == [
        (4, 1, 3, "verified"),
        (8, 5, 7, "verified"),
    ]
    stored = session.scalars(
        select(GateEventRow).where(GateEventRow.purpose == RecordPurpose.CHECKPOINT)
    ).all()
    assert [e.worker_id for e in stored] == [None, None]
    month = roster_service.load_month(session, project_id=site.project.id, period="2026-05")
    days = {r.worker_id: r.month.attended_days for r in month.rows}
    assert days == {site.a.id: 2, site.b.id: 2}
    device = session.get(Device, rows[0].device_id)
    assert device is not None
    summary = checkpoints.summaries(session, [device])[device.id]
    assert (summary.verified, summary.mismatched, summary.last_seq, summary.unsealed) == (
        2,
        0,
        8,
        0,
    )


def test_a_record_moved_before_its_checkpoint_arrives_is_a_mismatch(
    session: Session, site: Site
) -> None:
    _two_days(site)
    events = site.outbox.pending(1000)
    first, rest = events[:3], events[3:]
    site.client.upload(first)
    # whoever runs the server moves B's record to A before the gate's checkpoint is in
    session.execute(update(GateEventRow).where(GateEventRow.seq == 2).values(worker_id=site.a.id))
    session.commit()
    site.client.upload(rest)
    session.expire_all()
    row = session.scalars(select(GateCheckpoint).where(GateCheckpoint.seq == 4)).one()
    assert row.status == "mismatch"
    assert "workers_root" in [p["what"] for p in row.problems]
    kinds = session.scalars(select(ChainBreak.kind)).all()
    assert "checkpoint_mismatch" in kinds


def test_a_checkpoint_before_its_records_waits(session: Session, site: Site) -> None:
    _two_days(site)
    events = site.outbox.pending(1000)
    site.client.upload([events[3]])  # the checkpoint alone: its range is not stored yet
    session.expire_all()
    assert session.scalars(select(GateCheckpoint.status)).all() == ["pending"]
    site.client.upload(events[:3])
    session.expire_all()
    assert session.scalars(select(GateCheckpoint.status)).all() == ["verified"]
