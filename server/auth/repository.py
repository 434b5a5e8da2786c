"""Every account query the admin screens and the activation codes need."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import Session

from models.enums import Role
from server.auth.models import ActivationCode, AuthSession, User, UserProject
from server.registry import repository as registry_repo
from server.registry.models import Assignment, Team, Worker


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def list_users(
    session: Session,
    *,
    role: Role | None = None,
    project_id: int | None = None,
    active: bool | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[User], int]:
    """One page of accounts by username; `q` matches username or full name, `project_id` the
    projects in an account's scope (workers' scope comes from assignments, not from here)."""
    stmt = select(User).order_by(User.username)
    if role is not None:
        stmt = stmt.where(User.role == role)
    if active is not None:
        stmt = stmt.where(User.active.is_(active))
    if project_id is not None:
        stmt = stmt.where(
            exists().where(UserProject.user_id == User.id, UserProject.project_id == project_id)
        )
    if q:
        pattern = _like(q.strip())
        stmt = stmt.where(
            or_(
                User.username.ilike(pattern, escape="\\"),
                User.full_name.ilike(pattern, escape="\\"),
            )
        )
    rows, total = registry_repo.page(session, stmt, limit=limit, offset=offset)
    return [r[0] for r in rows], total


def project_ids_of(session: Session, user_ids: Iterable[int]) -> dict[int, list[int]]:
    ids = list(user_ids)
    out: dict[int, list[int]] = defaultdict(list)
    if not ids:
        return out
    rows = session.execute(
        select(UserProject.user_id, UserProject.project_id)
        .where(UserProject.user_id.in_(ids))
        .order_by(UserProject.project_id)
    )
    for user_id, project_id in rows:
        out[user_id].append(project_id)
    return out


def user_by_username(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def account_of_worker(session: Session, worker_id: int) -> User | None:
    return session.scalar(select(User).where(User.worker_id == worker_id))


def active_admin_ids(session: Session) -> list[int]:
    # FOR UPDATE on PostgreSQL, in id order: two admins demoting each other at once queue here,
    # and the second sees the first's change, so they cannot both pass "another admin remains";
    # SQLite has one writer at a time anyway.
    stmt = (
        select(User.id)
        .where(User.role == Role.ADMIN, User.active.is_(True))
        .order_by(User.id)
        .with_for_update()
    )
    return list(session.scalars(stmt))


def session_ids_of(session: Session, user_id: int) -> list[int]:
    return list(session.scalars(select(AuthSession.id).where(AuthSession.user_id == user_id)))


# --- activation codes --------------------------------------------------------------------------

# Bound values per IN list: well under SQLite's 32,766, and PostgreSQL plans stay small.
_CHUNK = 500


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield list(ids[start : start + _CHUNK])


def project_workers(
    session: Session, project_id: int
) -> list[tuple[Assignment, Worker, Team | None]]:
    """Every worker assigned to the project (whatever the status), by team then name."""
    stmt = (
        select(Assignment, Worker, Team)
        .join(Worker, Worker.id == Assignment.worker_id)
        .outerjoin(Team, Team.id == Assignment.team_id)
        .where(Assignment.project_id == project_id)
        .order_by(Team.name.nulls_last(), Worker.name, Worker.id)
    )
    return [(a, w, t) for a, w, t in session.execute(stmt)]


def accounts_of_workers(session: Session, worker_ids: Sequence[int]) -> dict[int, User]:
    out: dict[int, User] = {}
    for chunk in _chunks(worker_ids):
        for user in session.scalars(select(User).where(User.worker_id.in_(chunk))):
            if user.worker_id is not None:
                out[user.worker_id] = user
    return out


def latest_codes(session: Session, worker_ids: Sequence[int]) -> dict[int, ActivationCode]:
    """Each worker's most recently issued code, whatever its state."""
    out: dict[int, ActivationCode] = {}
    for chunk in _chunks(worker_ids):
        stmt = (
            select(ActivationCode)
            .where(ActivationCode.worker_id.in_(chunk))
            .order_by(ActivationCode.issued_at, ActivationCode.id)
        )
        for code in session.scalars(stmt):
            out[code.worker_id] = code  # later rows replace earlier ones
    return out


def void_unused_codes(session: Session, worker_ids: Sequence[int], now: dt.datetime) -> int:
    """Void every unused, not yet voided code of these workers; how many were."""
    voided = 0
    for chunk in _chunks(worker_ids):
        result = session.execute(
            update(ActivationCode)
            .where(
                ActivationCode.worker_id.in_(chunk),
                ActivationCode.used_at.is_(None),
                ActivationCode.voided_at.is_(None),
            )
            .values(voided_at=now)
            .execution_options(synchronize_session=False)
        )
        voided += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return voided


def open_code_for_update(session: Session, worker_id: int) -> ActivationCode | None:
    """The worker's newest code not voided (used or not), locked for this transaction: two
    activations with the same code queue here and the second sees it used."""
    return session.scalar(
        select(ActivationCode)
        .where(ActivationCode.worker_id == worker_id, ActivationCode.voided_at.is_(None))
        .order_by(ActivationCode.issued_at.desc(), ActivationCode.id.desc())
        .limit(1)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def worker_by_id_number(session: Session, id_number: str) -> Worker | None:
    return session.scalar(select(Worker).where(Worker.id_number == id_number))
