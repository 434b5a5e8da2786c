"""Every registry query. `scope` arguments take `scope.project_ids_in_scope` (server/auth) output:
None means all projects (admin); a set limits rows to those projects."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session

from models.enums import AssignmentStatus
from server.auth.models import AuditLog
from server.registry.models import (
    Assignment,
    CardBinding,
    Company,
    Device,
    FaceTemplate,
    GateConfirmer,
    Project,
    ProjectCompany,
    Team,
    Worker,
)

MAX_LIMIT = 500


def page(
    session: Session, stmt: Select[*tuple[Any, ...]], *, limit: int, offset: int
) -> tuple[list[Any], int]:
    """One page of result rows (tuples) and the total without paging."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = list(session.execute(stmt.limit(min(limit, MAX_LIMIT)).offset(offset)).all())
    return rows, total


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# --- projects ----------------------------------------------------------------------------------


def list_projects(
    session: Session,
    *,
    scope: set[int] | None,
    q: str | None = None,
    region: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Project], int]:
    stmt = select(Project).order_by(Project.code)
    if scope is not None:
        stmt = stmt.where(Project.id.in_(scope))
    if q:
        stmt = stmt.where(
            or_(
                Project.code.ilike(_like(q), escape="\\"), Project.name.ilike(_like(q), escape="\\")
            )
        )
    if region:
        stmt = stmt.where(Project.region == region)
    rows, total = page(session, stmt, limit=limit, offset=offset)
    return [r[0] for r in rows], total


def project_by_code(session: Session, code: str) -> Project | None:
    return session.scalar(select(Project).where(Project.code == code))


# --- companies ---------------------------------------------------------------------------------


def list_companies(
    session: Session,
    *,
    scope: set[int] | None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Company], int]:
    stmt = select(Company).order_by(Company.name, Company.id)
    if scope is not None:
        stmt = stmt.where(
            exists().where(
                ProjectCompany.company_id == Company.id, ProjectCompany.project_id.in_(scope)
            )
        )
    if q:
        stmt = stmt.where(
            or_(Company.name.ilike(_like(q), escape="\\"), Company.credit_code == q.upper())
        )
    rows, total = page(session, stmt, limit=limit, offset=offset)
    return [r[0] for r in rows], total


def company_project_ids(session: Session, company_id: int) -> set[int]:
    return set(
        session.scalars(
            select(ProjectCompany.project_id).where(ProjectCompany.company_id == company_id)
        )
    )


def company_by_credit_code(session: Session, credit_code: str) -> Company | None:
    return session.scalar(select(Company).where(Company.credit_code == credit_code))


def project_companies(session: Session, project_id: int) -> list[tuple[ProjectCompany, Company]]:
    stmt = (
        select(ProjectCompany, Company)
        .join(Company, Company.id == ProjectCompany.company_id)
        .where(ProjectCompany.project_id == project_id)
        .order_by(Company.name)
    )
    return [(pc, c) for pc, c in session.execute(stmt).all()]


def project_company(session: Session, project_id: int, company_id: int) -> ProjectCompany | None:
    return session.scalar(
        select(ProjectCompany).where(
            ProjectCompany.project_id == project_id, ProjectCompany.company_id == company_id
        )
    )


# --- teams -------------------------------------------------------------------------------------


def list_teams(
    session: Session,
    project_id: int,
    *,
    company_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Team], int]:
    stmt = select(Team).where(Team.project_id == project_id).order_by(Team.name, Team.id)
    if company_id is not None:
        stmt = stmt.where(Team.company_id == company_id)
    rows, total = page(session, stmt, limit=limit, offset=offset)
    return [r[0] for r in rows], total


def get_team(session: Session, project_id: int, team_id: int) -> Team | None:
    return session.scalar(select(Team).where(Team.project_id == project_id, Team.id == team_id))


def team_by_name(session: Session, project_id: int, company_id: int, name: str) -> Team | None:
    return session.scalar(
        select(Team).where(
            Team.project_id == project_id, Team.company_id == company_id, Team.name == name
        )
    )


# --- workers -----------------------------------------------------------------------------------


def list_workers(
    session: Session,
    *,
    scope: set[int] | None,
    q: str | None = None,
    project_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Worker], int]:
    """Workers with an assignment on a project in scope; `q` matches name or ID number."""
    stmt = select(Worker).order_by(Worker.name, Worker.id)
    projects: set[int] | None = scope
    if project_id is not None:
        projects = {project_id} if scope is None or project_id in scope else set()
    if projects is not None:
        stmt = stmt.where(
            exists().where(Assignment.worker_id == Worker.id, Assignment.project_id.in_(projects))
        )
    if q:
        stmt = stmt.where(
            or_(Worker.name.ilike(_like(q), escape="\\"), Worker.id_number.like(_like(q.upper())))
        )
    rows, total = page(session, stmt, limit=limit, offset=offset)
    return [r[0] for r in rows], total


def worker_by_id_number(session: Session, id_number: str) -> Worker | None:
    return session.scalar(select(Worker).where(Worker.id_number == id_number))


def workers_by_id_numbers(session: Session, id_numbers: Sequence[str]) -> dict[str, Worker]:
    if not id_numbers:
        return {}
    rows = session.scalars(select(Worker).where(Worker.id_number.in_(list(id_numbers))))
    return {w.id_number: w for w in rows}


def worker_project_ids(session: Session, worker_id: int) -> set[int]:
    return set(
        session.scalars(select(Assignment.project_id).where(Assignment.worker_id == worker_id))
    )


def template_count(session: Session, worker_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(FaceTemplate)
            .where(FaceTemplate.worker_id == worker_id)
        )
        or 0
    )


def other_open_assignments(session: Session, worker_id: int, assignment_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Assignment)
            .where(
                Assignment.worker_id == worker_id,
                Assignment.id != assignment_id,
                Assignment.status != AssignmentStatus.LEFT,
            )
        )
        or 0
    )


# --- assignments -------------------------------------------------------------------------------


def list_assignments(
    session: Session,
    project_id: int,
    *,
    q: str | None = None,
    company_id: int | None = None,
    team_id: int | None = None,
    trade: str | None = None,
    status: AssignmentStatus | None = None,
    worker_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[tuple[Assignment, Worker]], int]:
    stmt = (
        select(Assignment, Worker)
        .join(Worker, Worker.id == Assignment.worker_id)
        .where(Assignment.project_id == project_id)
        .order_by(Worker.name, Assignment.id)
    )
    if q:
        stmt = stmt.where(
            or_(Worker.name.ilike(_like(q), escape="\\"), Worker.id_number.like(_like(q.upper())))
        )
    if company_id is not None:
        stmt = stmt.where(Assignment.company_id == company_id)
    if team_id is not None:
        stmt = stmt.where(Assignment.team_id == team_id)
    if trade:
        stmt = stmt.where(Assignment.trade == trade)
    if status is not None:
        stmt = stmt.where(Assignment.status == status)
    if worker_id is not None:
        stmt = stmt.where(Assignment.worker_id == worker_id)
    rows, total = page(session, stmt, limit=limit, offset=offset)
    return [(a, w) for a, w in rows], total


def get_assignment(session: Session, project_id: int, assignment_id: int) -> Assignment | None:
    return session.scalar(
        select(Assignment).where(
            Assignment.project_id == project_id, Assignment.id == assignment_id
        )
    )


def assignment_for(session: Session, project_id: int, worker_id: int) -> Assignment | None:
    return session.scalar(
        select(Assignment).where(
            Assignment.project_id == project_id, Assignment.worker_id == worker_id
        )
    )


def assignments_by_worker(session: Session, project_id: int) -> dict[int, Assignment]:
    rows = session.scalars(select(Assignment).where(Assignment.project_id == project_id))
    return {a.worker_id: a for a in rows}


def card_uids(session: Session, assignment_ids: Sequence[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {aid: [] for aid in assignment_ids}
    if not assignment_ids:
        return out
    stmt = (
        select(CardBinding.assignment_id, CardBinding.uid)
        .where(CardBinding.assignment_id.in_(list(assignment_ids)))
        .order_by(CardBinding.id)
    )
    for aid, uid in session.execute(stmt).all():
        out[aid].append(uid)
    return out


def card_by_uid(session: Session, uid: str) -> CardBinding | None:
    return session.scalar(select(CardBinding).where(CardBinding.uid == uid))


def cards_by_uids(session: Session, uids: Sequence[str]) -> dict[str, CardBinding]:
    if not uids:
        return {}
    rows = session.scalars(select(CardBinding).where(CardBinding.uid.in_(list(uids))))
    return {c.uid: c for c in rows}


# --- devices -----------------------------------------------------------------------------------


def list_devices(
    session: Session, project_id: int, *, limit: int = 50, offset: int = 0
) -> tuple[list[Device], int]:
    stmt = select(Device).where(Device.project_id == project_id).order_by(Device.code)
    rows, total = page(session, stmt, limit=limit, offset=offset)
    return [r[0] for r in rows], total


def get_device(session: Session, project_id: int, device_id: int) -> Device | None:
    return session.scalar(
        select(Device).where(Device.project_id == project_id, Device.id == device_id)
    )


def device_by_code(session: Session, code: str) -> Device | None:
    return session.scalar(select(Device).where(Device.code == code))


# --- gate confirmers ---------------------------------------------------------------------------


def list_confirmers(
    session: Session, project_id: int, *, active_only: bool = False
) -> Sequence[GateConfirmer]:
    stmt = select(GateConfirmer).where(GateConfirmer.project_id == project_id)
    if active_only:
        stmt = stmt.where(GateConfirmer.active.is_(True))
    return session.scalars(stmt.order_by(GateConfirmer.id)).all()


def get_confirmer(session: Session, project_id: int, confirmer_id: int) -> GateConfirmer | None:
    return session.scalar(
        select(GateConfirmer).where(
            GateConfirmer.project_id == project_id, GateConfirmer.id == confirmer_id
        )
    )


def active_confirmer_by_card(
    session: Session, project_id: int, card_uid: str
) -> GateConfirmer | None:
    return session.scalar(
        select(GateConfirmer).where(
            GateConfirmer.project_id == project_id,
            GateConfirmer.card_uid == card_uid,
            GateConfirmer.active.is_(True),
        )
    )


# --- audit -------------------------------------------------------------------------------------


def list_audit(
    session: Session,
    *,
    scope: set[int] | None,
    project_id: int | None = None,
    entity: str | None = None,
    user_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[AuditLog], int]:
    stmt = select(AuditLog).order_by(AuditLog.at.desc(), AuditLog.id.desc())
    if scope is not None:
        stmt = stmt.where(AuditLog.project_id.in_(scope))
    if project_id is not None:
        stmt = stmt.where(AuditLog.project_id == project_id)
    if entity:
        stmt = stmt.where(AuditLog.entity == entity)
    if user_id is not None:
        stmt = stmt.where(AuditLog.user_id == user_id)
    rows, total = page(session, stmt, limit=limit, offset=offset)
    return [r[0] for r in rows], total
