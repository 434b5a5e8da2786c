"""Gate events straight into `gate_event` (the ingest path has its own tests), in local time."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from models.enums import DenyReason, Direction, GateMode, GateResult
from server.ingest.models import GateEventRow
from server.registry.models import Device, Project, Worker

SH = ZoneInfo("Asia/Shanghai")
_seq = itertools.count(1)


def local(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    """An aware instant at hh:mm Asia/Shanghai on `day`."""
    return dt.datetime(day.year, day.month, day.day, hh, mm, tzinfo=SH)


def add_event(
    session: Session,
    project: Project,
    device: Device,
    worker: Worker | None,
    at: dt.datetime,
    direction: Direction,
    *,
    refused: DenyReason | None = None,
    flush: bool = True,
    mode: GateMode = GateMode.CARD_AND_FACE,
    credential_ref: str | None = None,
) -> GateEventRow:
    row = GateEventRow(
        event_id=uuid.uuid4(),
        device_id=device.id,
        project_id=project.id,
        seq=next(_seq),
        device_time=at.astimezone(dt.UTC),
        direction=direction,
        mode=mode,
        credential_ref=credential_ref,
        worker_id=worker.id if worker else None,
        result=GateResult.REFUSED if refused else GateResult.GRANTED,
        reason=refused,
        prev_hash="0" * 64,
        hash="0" * 64,
        signature="0" * 128,
    )
    session.add(row)
    if flush:
        session.flush()
    return row


def shift(
    session: Session,
    project: Project,
    device: Device,
    worker: Worker,
    day: dt.date,
    start: tuple[int, int],
    end: tuple[int, int] | None,
) -> None:
    """An IN at `start` and an OUT at `end` (next day when earlier: a night shift)."""
    add_event(session, project, device, worker, local(day, *start), Direction.IN, flush=False)
    if end is not None:
        out_day = day + dt.timedelta(days=1) if end < start else day
        add_event(
            session, project, device, worker, local(out_day, *end), Direction.OUT, flush=False
        )
    session.flush()
