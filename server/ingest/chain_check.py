"""A project's gate chains as ingest left them, and the full re-check on demand, in the background.

Reading a page must not re-hash a year of records. Ingest already established, per gate, what
it acknowledged (the count, the highest contiguous seq and the hash at it: migration
0005_chain_ack_tip) and every break it met (chain_break). `gate_states` compares those with
what is stored now by the index (count, highest seq, hash at the acknowledged seq: the
deletions `ack_check` sees) — a few queries per gate, whatever its length.

The full re-check (`ingest_service.verify_chain`: every record re-hashed, its signature
verified, every link checked) runs outside the request: `start` claims the project's one
`chain_check` row (refused while a check runs), the caller hands `run` to a thread, and `run`
writes its progress and result to that row in short transactions (SQLite's writers are not held
up by it). The row, not memory, is the truth, so a reload or another server process shows the
same progress, and a check whose process died (no beat for `STALLED_AFTER`) may be started again.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.db.types import utcnow
from server.ingest import checkpoints, repository
from server.ingest import service as ingest_service
from server.ingest.ack_check import ACK_PROBLEM_TEXT, AckedState, StoredState, ack_problems
from server.ingest.checkpoints import MonthCheckpoints
from server.ingest.models import ChainBreak, ChainCheck
from server.registry.models import Device

log = logging.getLogger(__name__)

RUNNING, DONE, FAILED = "running", "done", "failed"
STALLED_AFTER = dt.timedelta(minutes=5)  # no progress written for this long: the run died
PROGRESS_EVERY = 2000  # records between progress writes (one keyset chunk of chain_rows)
PROBLEMS_KEPT = 20  # per gate, in the stored result (the count is always whole)
ACK_KINDS = frozenset(ACK_PROBLEM_TEXT)


@dataclass(frozen=True, slots=True)
class GateChainState:
    """One gate's chain by what ingest established, without reading its records."""

    device_id: int
    code: str
    name: str
    events: int  # stored now
    acked_count: int  # stored by ingest, all time
    high_seq: int  # highest contiguous seq acknowledged
    acked_at: dt.datetime | None
    recorded_breaks: int  # breaks ingest met (chain_break)
    ack_problems: tuple[str, ...]  # kinds (ack_check.ACK_PROBLEM_TEXT)
    # The month's device-signed checkpoints as ingest checked them (gate_states with a period)
    checkpoints: MonthCheckpoints | None = None

    @property
    def intact(self) -> bool:
        mismatched = self.checkpoints is not None and self.checkpoints.mismatched > 0
        return not self.recorded_breaks and not self.ack_problems and not mismatched


def _ack_problems(session: Session, device: Device) -> list[str]:
    count, top, at_high = repository.stored_summary(
        session, device.id, device.highest_contiguous_seq
    )
    acked = AckedState(
        device.acked_count or 0, device.highest_contiguous_seq, device.chain_tip_hash
    )
    return [p.kind for p in ack_problems(acked, StoredState(count, top, at_high))]


def gate_states(
    session: Session, project_id: int, period: str | None = None
) -> list[GateChainState]:
    """Every gate of the project, by ack state and recorded breaks: no record is re-hashed.
    With `period` (YYYY-MM), also the month's checkpoints by the status ingest gave each."""
    devices = list(
        session.scalars(select(Device).where(Device.project_id == project_id).order_by(Device.code))
    )
    breaks = dict(
        session.execute(
            select(ChainBreak.device_id, func.count())
            .where(ChainBreak.project_id == project_id)
            .group_by(ChainBreak.device_id)
        ).all()
    )
    sealed = checkpoints.month_summaries(session, devices, period) if period else {}
    out: list[GateChainState] = []
    for d in devices:
        count, top, at_high = repository.stored_summary(session, d.id, d.highest_contiguous_seq)
        acked = AckedState(d.acked_count or 0, d.highest_contiguous_seq, d.chain_tip_hash)
        problems = ack_problems(acked, StoredState(count, top, at_high))
        out.append(
            GateChainState(
                device_id=d.id,
                code=d.code,
                name=d.name,
                events=count,
                acked_count=d.acked_count or 0,
                high_seq=d.highest_contiguous_seq,
                acked_at=d.acked_at,
                recorded_breaks=int(breaks.get(d.id, 0)),
                ack_problems=tuple(p.kind for p in problems),
                checkpoints=sealed.get(d.id),
            )
        )
    return out


# --- the full re-check --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckView:
    """The latest full re-check of a project, as a page shows it."""

    state: str  # running / done / failed
    started_at: dt.datetime
    beat_at: dt.datetime
    finished_at: dt.datetime | None
    gates_total: int
    gates_done: int
    events_total: int
    events_done: int
    problems_total: int
    result: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""

    @property
    def running(self) -> bool:
        return self.state == RUNNING

    @property
    def intact(self) -> bool:
        return self.state == DONE and self.problems_total == 0

    def stalled(self, now: dt.datetime) -> bool:
        return self.running and now - self.beat_at > STALLED_AFTER

    def as_dict(self) -> dict[str, Any]:
        """For the page's progress poll (JSON)."""
        return {
            "state": self.state,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "gates_total": self.gates_total,
            "gates_done": self.gates_done,
            "events_total": self.events_total,
            "events_done": self.events_done,
            "problems_total": self.problems_total,
        }


def _view(row: ChainCheck) -> CheckView:
    return CheckView(
        state=row.state,
        started_at=row.started_at,
        beat_at=row.beat_at,
        finished_at=row.finished_at,
        gates_total=row.gates_total,
        gates_done=row.gates_done,
        events_total=row.events_total,
        events_done=row.events_done,
        problems_total=row.problems_total,
        result=list(row.result or []),
        error=row.error,
    )


def latest(session: Session, project_id: int) -> CheckView | None:
    row = session.scalar(select(ChainCheck).where(ChainCheck.project_id == project_id))
    return _view(row) if row is not None else None


def start(
    session: Session, *, project_id: int, user_id: int | None, now: dt.datetime | None = None
) -> bool:
    """Claim the project's check row for a new run; False when one is running already.

    One conditional UPDATE (or the INSERT of the first row, whose unique project_id refuses a
    second): two clicks, or two server processes, cannot both start."""
    now = now or utcnow()
    gates, events = session.execute(
        select(func.count(func.distinct(Device.id)), func.coalesce(func.sum(Device.acked_count), 0))
        .select_from(Device)
        .where(Device.project_id == project_id)
    ).one()
    fresh: dict[str, Any] = {
        "state": RUNNING,
        "started_at": now,
        "beat_at": now,
        "finished_at": None,
        "started_by": user_id,
        "gates_total": int(gates),
        "gates_done": 0,
        "events_total": int(events),
        "events_done": 0,
        "problems_total": 0,
        "result": [],
        "error": "",
    }
    claimed = session.execute(
        update(ChainCheck)
        .where(
            ChainCheck.project_id == project_id,
            (ChainCheck.state != RUNNING) | (ChainCheck.beat_at < now - STALLED_AFTER),
        )
        .values(**fresh)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount:  # type: ignore[attr-defined]
        return True
    if session.scalar(select(ChainCheck.id).where(ChainCheck.project_id == project_id)):
        return False  # running
    try:
        with session.begin_nested():
            session.add(ChainCheck(project_id=project_id, **fresh))
    except IntegrityError:
        return False  # another request inserted it first
    return True


SessionFactory = Callable[[], Session]


def run(factory: SessionFactory, project_id: int) -> None:
    """The claimed check, in its own session, committing its progress as it goes."""
    session = factory()
    try:
        _run(session, project_id)
        session.commit()
    except Exception as exc:
        session.rollback()
        log.exception("chain_check failed project_id=%s", project_id)
        session.execute(
            update(ChainCheck)
            .where(ChainCheck.project_id == project_id)
            .values(state=FAILED, finished_at=utcnow(), error=str(exc)[:500])
        )
        session.commit()
    finally:
        session.close()


def _run(session: Session, project_id: int) -> None:
    def write(**values: Any) -> None:
        session.execute(
            update(ChainCheck)
            .where(ChainCheck.project_id == project_id)
            .values(beat_at=utcnow(), **values)
        )
        session.commit()  # ends the transaction: the page reads it, other writers go on

    device_ids = list(
        session.scalars(
            select(Device.id).where(Device.project_id == project_id).order_by(Device.code)
        )
    )
    results: list[dict[str, Any]] = []
    done_before = 0
    total_problems = 0
    for n, device_id in enumerate(device_ids):
        base = done_before

        def progress(seen: int, base: int = base) -> None:
            write(events_done=base + seen)

        report = ingest_service.verify_chain(
            session, device_id, progress=progress, progress_every=PROGRESS_EVERY
        )
        # The ack part once more, now: records a gate uploaded during the check are not a
        # count mismatch (the rows were read chunk by chunk, the device row at the start).
        device = session.get(Device, device_id, populate_existing=True)
        if device is None:  # removed during the check: nothing more to say about it
            continue
        problems = [p for p in report.problems if p.kind not in ACK_KINDS]
        dropped = sum(1 for p in report.problems if p.kind in ACK_KINDS)
        ack_now = _ack_problems(session, device)
        count = report.problems_total - dropped + len(ack_now) + len(report.recorded_breaks)
        total_problems += count
        results.append(
            {
                "device_id": device_id,
                "code": report.device_code,
                "events": report.events,
                "intact": count == 0,
                "problems_total": count,
                "problems": [{"seq": p.seq, "kind": p.kind} for p in problems[:PROBLEMS_KEPT]]
                + [{"seq": device.highest_contiguous_seq, "kind": k} for k in ack_now]
                + [{"seq": b.seq, "kind": b.kind} for b in report.recorded_breaks[:PROBLEMS_KEPT]],
            }
        )
        done_before += report.events
        write(
            gates_done=n + 1,
            events_done=done_before,
            problems_total=total_problems,
            result=list(results),
        )
    write(state=DONE, finished_at=utcnow(), events_total=done_before)
