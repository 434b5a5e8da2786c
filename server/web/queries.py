"""Read queries only the pages need: gate states and chain breaks, gate confirmers, worker lists
and look-ups, teams, projects in scope, finding history, a worker's own payment lines, and
grouping the day board for display.

Nothing here decides what attendance or a finding is: day boards, monthly rosters, findings and
pay slips come from the rosters, reconciliation and payroll services. No writes here.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from models.enums import AssignmentStatus
from server.auth.models import User
from server.ingest.models import ChainBreak
from server.payroll.models import PayrollLine
from server.reconciliation.models import FindingEvent
from server.registry.models import (
    Assignment,
    Company,
    Device,
    GateConfirmer,
    Project,
    Team,
    Worker,
)
from server.rosters import service as roster_service

# A gate that has not sent a heartbeat for this long is shown offline.
ONLINE_WINDOW = dt.timedelta(minutes=5)


# --- the "now" board ---------------------------------------------------------------------------


@dataclass
class GroupCount:
    company: str
    team: str
    trade: str
    on_site: int = 0
    arrivals: int = 0
    departures: int = 0


@dataclass
class GateState:
    device: Device
    online: bool
    seen: bool
    # A one-time provisioning code is outstanding (issued, not used, not expired).
    code_pending: bool = False

    @property
    def provisioned(self) -> bool:
        """The gate PC has registered its Ed25519 key."""
        return self.device.public_key is not None


def group_counts(board: roster_service.DailyRoster) -> list[GroupCount]:
    """The day board's people by company / team / trade: on site now, came, left (display only)."""
    groups: dict[tuple[str, str, str], GroupCount] = {}

    def group(ref: roster_service.WorkerRef) -> GroupCount:
        key = (ref.company_name, ref.team_name, ref.trade or "-")
        return groups.setdefault(key, GroupCount(*key))

    for p in board.on_site:
        group(p.worker).on_site += 1
    for p in board.present:
        if p.first_in is not None:
            group(p.worker).arrivals += 1
        if p.last_out is not None:
            group(p.worker).departures += 1
    return sorted(groups.values(), key=lambda g: (g.company, g.team, g.trade))


def gate_states(session: Session, project_id: int, now: dt.datetime) -> list[GateState]:
    """The project's gates (not enrollment stations) with their heartbeat state."""
    return device_states(session, project_id, now, gates_only=True)


def device_states(
    session: Session, project_id: int, now: dt.datetime, *, gates_only: bool = False
) -> list[GateState]:
    """Every device of the project with its heartbeat state: the now board and the gates page."""
    stmt = select(Device).where(Device.project_id == project_id).order_by(Device.code)
    if gates_only:
        stmt = stmt.where(Device.kind == "gate")
    out = []
    for d in session.scalars(stmt):
        seen = d.last_seen_at is not None
        online = seen and d.active and now - d.last_seen_at <= ONLINE_WINDOW  # type: ignore[operator]
        pending = (
            d.provisioning_code_hash is not None
            and d.provisioning_expires_at is not None
            and d.provisioning_expires_at > now
        )
        out.append(GateState(d, bool(online), seen, pending))
    return out


def chain_break_counts(session: Session, project_id: int) -> dict[int, int]:
    """Chain breaks recorded on ingest, per device: cheap, unlike re-verifying every event."""
    rows = session.execute(
        select(ChainBreak.device_id, func.count())
        .where(ChainBreak.project_id == project_id)
        .group_by(ChainBreak.device_id)
    )
    return {device_id: int(n) for device_id, n in rows}


def device_code_taken(session: Session, code: str) -> bool:
    """Device codes are unique across projects (the gate signs its requests with it)."""
    return session.scalar(select(Device.id).where(Device.code == code)) is not None


def device_ids(session: Session, project_id: int) -> list[int]:
    """Every device of the project, for the inspector's chain check."""
    return list(
        session.scalars(
            select(Device.id).where(Device.project_id == project_id).order_by(Device.code)
        )
    )


@dataclass(frozen=True)
class ConfirmerRow:
    confirmer: GateConfirmer
    account: str | None  # the linked user's name, when the confirmer has an account


def gate_confirmers(session: Session, project_id: int) -> list[ConfirmerRow]:
    """The project's gate confirmers, active first, with their linked account: one query."""
    stmt = (
        select(GateConfirmer, User.full_name, User.username)
        .outerjoin(User, User.id == GateConfirmer.user_id)
        .where(GateConfirmer.project_id == project_id)
        .order_by(GateConfirmer.active.desc(), GateConfirmer.name, GateConfirmer.id)
    )
    return [
        ConfirmerRow(c, (full or username) if username is not None else None)
        for c, full, username in session.execute(stmt)
    ]


@dataclass(frozen=True)
class AssignmentInfo:
    assignment: Assignment
    worker: Worker
    company: str
    team: str


# --- workers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkerFilter:
    """The workers list's filters; `None` / "" means "any"."""

    q: str = ""
    company_id: int | None = None
    team_id: int | None = None
    status: AssignmentStatus | None = None
    contract: bool | None = None  # labour contract recorded
    training: bool | None = None  # safety training recorded
    consent: bool | None = None  # face recognition consent


@dataclass(frozen=True)
class WorkerPage:
    rows: list[AssignmentInfo]
    total: int  # matching workers on every page
    page: int  # 1-based, clamped to the pages there are
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _worker_conditions(project_id: int, f: WorkerFilter) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = [Assignment.project_id == project_id]
    q = f.q.strip()
    if q:
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        alts = [
            Worker.name.ilike(like, escape="\\"),
            Team.name.ilike(like, escape="\\"),
            Company.name.ilike(like, escape="\\"),
            Assignment.trade.ilike(like, escape="\\"),
        ]
        if q.isalnum() and len(q) <= 4:  # the last digits of an ID number, as on a card
            alts.append(Worker.id_number.like("%" + q.upper()))
        conds.append(or_(*alts))
    if f.company_id is not None:
        conds.append(Assignment.company_id == f.company_id)
    if f.team_id is not None:
        conds.append(Assignment.team_id == f.team_id)
    if f.status is not None:
        conds.append(Assignment.status == f.status)
    for flag, column in (
        (f.contract, Assignment.contract_signed_on),
        (f.training, Assignment.safety_trained_on),
    ):
        if flag is not None:
            conds.append(column.is_not(None) if flag else column.is_(None))
    if f.consent is not None:
        conds.append(Worker.face_consent.is_(f.consent))
    return conds


def list_workers(
    session: Session, project_id: int, f: WorkerFilter, *, page: int = 1, per_page: int = 50
) -> WorkerPage:
    """One page of the project's workers in pinyin order of the name (the stored
    `worker.name_key`, server/registry/rules.py), and how many match in all."""
    conds = _worker_conditions(project_id, f)
    joined = (
        select(Assignment.id)
        .join(Worker, Worker.id == Assignment.worker_id)
        .outerjoin(Company, Company.id == Assignment.company_id)
        .outerjoin(Team, Team.id == Assignment.team_id)
        .where(*conds)
    )
    total = session.scalar(select(func.count()).select_from(joined.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    stmt = (
        select(Assignment, Worker, Company.name, Team.name)
        .join(Worker, Worker.id == Assignment.worker_id)
        .outerjoin(Company, Company.id == Assignment.company_id)
        .outerjoin(Team, Team.id == Assignment.team_id)
        .where(*conds)
        .order_by(Worker.name_key, Worker.name, Worker.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    rows = [AssignmentInfo(a, w, c or "-", t or "-") for a, w, c, t in session.execute(stmt)]
    return WorkerPage(rows, total, page, per_page)


def workers_on_project(
    session: Session, project_id: int, worker_ids: list[int]
) -> list[AssignmentInfo]:
    """The chosen workers' assignments on this project, in list order; ids of other projects'
    workers are not found (the caller names them)."""
    if not worker_ids:
        return []
    stmt = (
        select(Assignment, Worker, Company.name, Team.name)
        .join(Worker, Worker.id == Assignment.worker_id)
        .outerjoin(Company, Company.id == Assignment.company_id)
        .outerjoin(Team, Team.id == Assignment.team_id)
        .where(Assignment.project_id == project_id, Assignment.worker_id.in_(worker_ids))
        .order_by(Worker.name_key, Worker.name, Worker.id)
    )
    return [AssignmentInfo(a, w, c or "-", t or "-") for a, w, c, t in session.execute(stmt)]


def project_companies(session: Session, project_id: int) -> list[Company]:
    """The firms with workers on the project (the workers list's firm filter)."""
    ids = select(Assignment.company_id).where(Assignment.project_id == project_id).distinct()
    return list(session.scalars(select(Company).where(Company.id.in_(ids)).order_by(Company.name)))


def worker_on_project(session: Session, project_id: int, worker_id: int) -> AssignmentInfo | None:
    row = session.execute(
        select(Assignment, Worker, Company.name, Team.name)
        .join(Worker, Worker.id == Assignment.worker_id)
        .outerjoin(Company, Company.id == Assignment.company_id)
        .outerjoin(Team, Team.id == Assignment.team_id)
        .where(Assignment.project_id == project_id, Assignment.worker_id == worker_id)
    ).first()
    if row is None:
        return None
    a, w, c, t = row
    return AssignmentInfo(a, w, c or "-", t or "-")


def project_teams(session: Session, project_id: int) -> list[tuple[Team, str]]:
    return [
        (t, c)
        for t, c in session.execute(
            select(Team, Company.name)
            .join(Company, Company.id == Team.company_id)
            .where(Team.project_id == project_id)
            .order_by(Company.name, Team.name)
        )
    ]


def projects_in_scope(session: Session, scope: set[int] | None) -> list[Project]:
    stmt = select(Project).order_by(Project.code)
    if scope is not None:
        stmt = stmt.where(Project.id.in_(scope or {-1}))
    return list(session.scalars(stmt))


# --- findings and payments --------------------------------------------------------------------


def finding_history(
    session: Session, finding_ids: list[int]
) -> dict[int, list[tuple[FindingEvent, str]]]:
    """Each finding's events with who acted, oldest first: one query for the whole month page."""
    out: dict[int, list[tuple[FindingEvent, str]]] = defaultdict(list)
    if not finding_ids:
        return out
    for ev, username in session.execute(
        select(FindingEvent, User.username)
        .outerjoin(User, User.id == FindingEvent.user_id)
        .where(FindingEvent.finding_id.in_(finding_ids))
        .order_by(FindingEvent.at)
    ):
        out[ev.finding_id].append((ev, username or "-"))
    return out


def my_payment_lines(session: Session, worker: Worker) -> list[tuple[PayrollLine, Project]]:
    """A worker's own payment lines: matched to them on import, or carrying their ID number."""
    return [
        (line, project)
        for line, project in session.execute(
            select(PayrollLine, Project)
            .join(Project, Project.id == PayrollLine.project_id)
            .where(
                or_(
                    PayrollLine.worker_id == worker.id,
                    PayrollLine.payee_id_number == worker.id_number.upper(),
                )
            )
            .order_by(PayrollLine.period.desc(), PayrollLine.paid_on.desc(), PayrollLine.id)
        )
    ]


def my_assignments(session: Session, worker_id: int) -> list[tuple[Assignment, Project]]:
    return [
        (a, p)
        for a, p in session.execute(
            select(Assignment, Project)
            .join(Project, Project.id == Assignment.project_id)
            .where(Assignment.worker_id == worker_id)
            .order_by(Assignment.entered_on.desc())
        )
    ]
