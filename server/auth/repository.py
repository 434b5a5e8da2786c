"""Every account query the admin screens need."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from models.enums import Role
from server.auth.models import AuthSession, User, UserProject
from server.registry import repository as registry_repo


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
