"""`sitegate retention run`: plan what RULES.md lets go (server/ops/retention_rules.py) and, unless
it is a dry run, delete it in batches, each batch its own transaction, with an audit-log entry.

Gate records go from the start of each gate's chain: every batch deletes records 1..N (the next
window of them) and moves the gate's `retention_boundary` to N with the hash of record N in the
same transaction, so the chain checks start from the boundary (a retained-boundary marker, not a
break: server/ingest/repository.py) and a run cut short leaves a consistent state. The records'
checkpoints and recorded breaks go with them.

Ledger rows are deleted through the session's connection (Core), past the ORM guard of
server/wages/retention.py, which refuses any bulk delete of a line's history; the database's
own triggers (migration 0012_ledger_retention) still refuse anything within its three years.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from sqlalchemy import and_, delete, func, select
from sqlalchemy.orm import Session

from server.auth import service as auth_service
from server.ingest.models import ChainBreak, GateCheckpoint, GateEventRow
from server.ops import retention_rules as rules
from server.ops.errors import RetentionRefusedError
from server.ops.models import ProjectSettlement, RetentionBoundary
from server.payroll.models import PayrollImport, PayrollLine
from server.registry.models import Assignment, Device, FacePhoto, FaceTemplate, Project
from server.rosters.models import AttendanceCorrection
from server.wages.models import WageItem, WageLine, WageLineEvent, WageSheet

BATCH = 5000

Units = Callable[[], AbstractContextManager[Session]]


@dataclass
class GateWork:
    device_id: int
    project_id: int
    after_seq: int  # retired already
    through_seq: int


@dataclass
class Plan:
    today: dt.date
    lines: list[rules.PlanLine] = field(default_factory=list)
    gates: list[GateWork] = field(default_factory=list)
    periods: dict[int, list[str]] = field(default_factory=dict)  # project id -> ledger months
    cutoffs: dict[int, dt.datetime] = field(default_factory=dict)  # project id -> attendance
    face_workers: list[int] = field(default_factory=list)
    codes: dict[int, str] = field(default_factory=dict)

    def total(self) -> int:
        return sum(line.count for line in self.lines)


def make_plan(session: Session, today: dt.date) -> Plan:
    plan = Plan(today)
    counts: dict[tuple[str | None, str], int] = defaultdict(int)
    settled = session.execute(
        select(Project.id, Project.code, Project.timezone, ProjectSettlement.settled_on).join(
            ProjectSettlement, ProjectSettlement.project_id == Project.id
        )
    ).all()
    for project_id, code, zone, settled_on in settled:
        plan.codes[project_id] = code
        cutoff = rules.attendance_cutoff(settled_on, today, zone or "Asia/Shanghai")
        if cutoff is None:
            continue
        plan.cutoffs[project_id] = cutoff
        _plan_gates(session, plan, project_id, code, cutoff, counts)
        _plan_ledger(session, plan, project_id, code, settled_on, cutoff, counts)
    _plan_faces(session, plan, counts)
    plan.lines = [
        rules.PlanLine(project, kind, n) for (project, kind), n in sorted(
            counts.items(), key=lambda item: (item[0][0] or "", item[0][1])
        ) if n
    ]  # fmt: skip
    return plan


def _plan_gates(
    session: Session,
    plan: Plan,
    project_id: int,
    code: str,
    cutoff: dt.datetime,
    counts: dict[tuple[str | None, str], int],
) -> None:
    boundaries = dict(
        session.execute(
            select(RetentionBoundary.device_id, RetentionBoundary.through_seq).where(
                RetentionBoundary.project_id == project_id
            )
        ).all()
    )
    for device in session.scalars(select(Device).where(Device.project_id == project_id)):
        first_kept = session.scalar(
            select(func.min(GateEventRow.seq)).where(
                GateEventRow.device_id == device.id, GateEventRow.device_time >= cutoff
            )
        )
        done = int(boundaries.get(device.id, 0))
        through = rules.retire_through(first_kept, device.highest_contiguous_seq, done)
        if through is None:
            continue
        n = session.scalar(
            select(func.count()).where(
                GateEventRow.device_id == device.id,
                GateEventRow.seq > done,
                GateEventRow.seq <= through,
            )
        )
        plan.gates.append(GateWork(device.id, project_id, done, through))
        counts[(code, "gate_records")] += int(n or 0)


def _plan_ledger(
    session: Session,
    plan: Plan,
    project_id: int,
    code: str,
    settled_on: dt.date,
    cutoff: dt.datetime,
    counts: dict[tuple[str | None, str], int],
) -> None:
    months = set(
        session.scalars(select(WageSheet.period).where(WageSheet.project_id == project_id))
    ) | set(session.scalars(select(PayrollLine.period).where(PayrollLine.project_id == project_id)))
    periods = sorted(m for m in months if rules.ledger_period_deletable(settled_on, m, plan.today))
    plan.periods[project_id] = periods
    if periods:
        lines = select(WageLine.id).where(
            WageLine.project_id == project_id, WageLine.period.in_(periods)
        )
        for kind, stmt in (
            ("wage_sheets", select(func.count()).select_from(WageSheet).where(
                WageSheet.project_id == project_id, WageSheet.period.in_(periods))),
            ("wage_lines", select(func.count()).select_from(lines.subquery())),
            ("wage_items", select(func.count()).select_from(WageItem).where(
                WageItem.line_id.in_(lines))),
            ("wage_line_history", select(func.count()).select_from(WageLineEvent).where(
                WageLineEvent.line_id.in_(lines))),
            ("payroll_lines", select(func.count()).select_from(PayrollLine).where(
                PayrollLine.project_id == project_id, PayrollLine.period.in_(periods))),
        ):  # fmt: skip
            counts[(code, kind)] += int(session.scalar(stmt) or 0)
        kept_files = select(PayrollLine.import_id).where(
            PayrollLine.project_id == project_id, PayrollLine.period.not_in(periods)
        )
        counts[(code, "payroll_files")] += int(
            session.scalar(
                select(func.count())
                .select_from(PayrollImport)
                .where(PayrollImport.project_id == project_id, PayrollImport.id.not_in(kept_files))
            )
            or 0
        )
    counts[(code, "attendance_corrections")] += int(
        session.scalar(
            select(func.count())
            .select_from(AttendanceCorrection)
            .where(AttendanceCorrection.project_id == project_id, AttendanceCorrection.at < cutoff)
        )
        or 0
    )


def _plan_faces(session: Session, plan: Plan, counts: dict[tuple[str | None, str], int]) -> None:
    holders = set(session.scalars(select(FaceTemplate.worker_id))) | set(
        session.scalars(select(FacePhoto.worker_id))
    )
    if not holders:
        return
    stays: dict[int, list[rules.Stay]] = defaultdict(list)
    for worker_id, left_on, status in session.execute(
        select(Assignment.worker_id, Assignment.left_on, Assignment.status).where(
            Assignment.worker_id.in_(holders)
        )
    ):
        stays[worker_id].append(rules.Stay(left_on, str(status) == "left"))
    plan.face_workers = sorted(
        w for w in holders if rules.face_data_deletable(stays.get(w, []), plan.today)
    )
    if plan.face_workers:
        for kind, model in (("face_templates", FaceTemplate), ("face_photos", FacePhoto)):
            counts[(None, kind)] += int(
                session.scalar(
                    select(func.count())
                    .select_from(model)
                    .where(model.worker_id.in_(plan.face_workers))
                )
                or 0
            )


# --- the run --------------------------------------------------------------------------------


def check_today(today: dt.date, *, dry_run: bool) -> None:
    """A real run deletes by the real calendar: a later --today is for dry runs only."""
    if not dry_run and today > dt.datetime.now(dt.UTC).date():
        raise RetentionRefusedError(
            "--today 晚于今天时只能配合 --dry-run 使用(删除按真实日期)",
            "a --today later than today works with --dry-run only (deletion follows the calendar)",
        )


def apply(units: Units, plan: Plan, *, batch: int = BATCH) -> None:
    for work in plan.gates:
        _retire_gate(units, work, batch)
    for project_id, periods in plan.periods.items():
        for period in periods:
            with units() as session:
                _delete_ledger_period(session, project_id, period)
    for project_id, cutoff in plan.cutoffs.items():
        with units() as session:
            session.connection().execute(
                delete(AttendanceCorrection).where(
                    AttendanceCorrection.project_id == project_id, AttendanceCorrection.at < cutoff
                )
            )
    for start in range(0, len(plan.face_workers), batch):
        chunk = plan.face_workers[start : start + batch]
        with units() as session:
            session.execute(delete(FaceTemplate).where(FaceTemplate.worker_id.in_(chunk)))
            session.execute(delete(FacePhoto).where(FacePhoto.worker_id.in_(chunk)))
    with units() as session:
        by_project: dict[str | None, dict[str, int]] = defaultdict(dict)
        for line in plan.lines:
            by_project[line.project][line.kind] = line.count
        ids = {code: pid for pid, code in plan.codes.items()}
        for project, kinds in by_project.items():
            auth_service.audit(
                session, None, "retention", "retention_run", None,
                project_id=ids.get(project) if project else None,
                detail={"today": plan.today.isoformat(), "deleted": kinds, "via": "cli"},
            )  # fmt: skip


def _retire_gate(units: Units, work: GateWork, batch: int) -> None:
    done = work.after_seq
    while done < work.through_seq:
        upto = min(done + batch, work.through_seq)
        with units() as session:
            last = session.execute(
                select(GateEventRow.hash, GateEventRow.device_time).where(
                    GateEventRow.device_id == work.device_id, GateEventRow.seq == upto
                )
            ).one()  # within the contiguous chain: always stored
            window = and_(
                GateEventRow.device_id == work.device_id,
                GateEventRow.seq > done,
                GateEventRow.seq <= upto,
            )
            result = session.execute(delete(GateEventRow).where(window))
            gone = result.rowcount  # type: ignore[attr-defined]  # a DELETE has one
            session.execute(
                delete(GateCheckpoint).where(
                    GateCheckpoint.device_id == work.device_id, GateCheckpoint.to_seq <= upto
                )
            )
            session.execute(
                delete(ChainBreak).where(
                    ChainBreak.device_id == work.device_id, ChainBreak.seq <= upto
                )
            )
            marker = session.scalar(
                select(RetentionBoundary).where(RetentionBoundary.device_id == work.device_id)
            )
            if marker is None:
                marker = RetentionBoundary(
                    device_id=work.device_id, project_id=work.project_id, records=0
                )
                session.add(marker)
            marker.through_seq = upto
            marker.through_hash = last.hash
            marker.through_time = last.device_time
            marker.records = (marker.records or 0) + int(gone or 0)
            marker.retired_at = dt.datetime.now(dt.UTC)
        done = upto


def _delete_ledger_period(session: Session, project_id: int, period: str) -> None:
    conn = session.connection()  # Core: past the ORM's bulk-delete guard, not the triggers
    lines = select(WageLine.id).where(WageLine.project_id == project_id, WageLine.period == period)
    conn.execute(delete(WageItem).where(WageItem.line_id.in_(lines)))
    conn.execute(delete(WageLineEvent).where(WageLineEvent.line_id.in_(lines)))
    conn.execute(
        delete(WageLine).where(WageLine.project_id == project_id, WageLine.period == period)
    )
    conn.execute(
        delete(WageSheet).where(WageSheet.project_id == project_id, WageSheet.period == period)
    )
    conn.execute(
        delete(PayrollLine).where(
            PayrollLine.project_id == project_id, PayrollLine.period == period
        )
    )
    conn.execute(
        delete(PayrollImport).where(
            PayrollImport.project_id == project_id,
            PayrollImport.id.not_in(select(PayrollLine.import_id)),
        )
    )


def settle(session: Session, project: Project, on: dt.date, note: str) -> ProjectSettlement:
    """Record the day the project's wages were settled (it ended on or before that day)."""
    if project.ends_on is None or project.ends_on > on:
        raise RetentionRefusedError(
            f"项目 {project.code} 尚未结束(结束日期 {project.ends_on or '未填'}),"
            "不能记为工资已结清",
            f"project {project.code} has not ended (ends {project.ends_on or 'unset'}): its wages "
            "cannot be recorded as settled",
        )
    row = session.scalar(
        select(ProjectSettlement).where(ProjectSettlement.project_id == project.id)
    )
    if row is None:
        row = ProjectSettlement(project_id=project.id, settled_on=on, note=note)
        session.add(row)
    else:
        row.settled_on, row.note = on, note
    session.flush()
    auth_service.audit(
        session, None, "settle", "project", project.id, project_id=project.id,
        detail={"settled_on": on.isoformat(), "note": note, "via": "cli"},
    )  # fmt: skip
    return row
