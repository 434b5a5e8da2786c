"""Accounts, sign-in with lockout, opaque sessions, and the role/project scope of every route."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models.enums import Role
from server.auth.models import AuditLog, AuthSession, User, UserProject
from server.config import Settings
from server.db.types import utcnow
from server.errors import (
    ConflictError,
    ForbiddenError,
    NotAuthenticatedError,
    NotFoundError,
    SiteGateError,
)
from server.registry.models import Project

_hasher = PasswordHasher()


def use_password_hasher(hasher: PasswordHasher) -> None:
    """Swap the hashing cost (tests use a cheap one). Each hash records its own parameters, so
    passwords hashed under other settings still verify."""
    global _hasher
    _hasher = hasher


class LockedOutError(SiteGateError):
    code = "auth.locked"
    status_code = 429


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role,
    full_name: str = "",
    region: str = "",
    worker_id: int | None = None,
    project_ids: list[int] | None = None,
) -> User:
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ConflictError(f"用户名 {username} 已存在", f"username {username} already exists")
    if len(password) < 8:
        raise SiteGateError(
            "密码至少8位", "password must be at least 8 characters", code="auth.weak"
        )
    if role == Role.WORKER and worker_id is None:
        raise SiteGateError(
            "工人账号须关联工人", "a worker account needs a worker", code="auth.worker"
        )
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        full_name=full_name,
        region=region,
        worker_id=worker_id,
    )
    session.add(user)
    session.flush()
    for pid in project_ids or []:
        session.add(UserProject(user_id=user.id, project_id=pid))
    session.flush()
    return user


def authenticate(session: Session, settings: Settings, username: str, password: str) -> User:
    """Check a password; after `login_max_failures` failures the account waits `login_lockout_s`."""
    user = session.scalar(select(User).where(User.username == username))
    now = utcnow()
    if user is not None and user.locked_until is not None and user.locked_until > now:
        wait = int((user.locked_until - now).total_seconds()) + 1
        raise LockedOutError(
            f"登录失败次数过多,请 {wait} 秒后再试",
            f"too many failed sign-ins, try again in {wait} s",
        )
    if user is None or not user.active or not verify_password(user.password_hash, password):
        if user is not None:
            user.failed_logins += 1
            if user.failed_logins >= settings.login_max_failures:
                user.locked_until = now + dt.timedelta(seconds=settings.login_lockout_s)
                user.failed_logins = 0
            session.flush()
        raise NotAuthenticatedError("用户名或密码错误", "wrong username or password")
    user.failed_logins = 0
    user.locked_until = None
    return user


def start_session(session: Session, settings: Settings, user: User) -> tuple[str, AuthSession]:
    token = secrets.token_urlsafe(32)
    row = AuthSession(
        token_hash=_token_hash(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(24),
        expires_at=utcnow() + dt.timedelta(hours=settings.session_hours),
    )
    session.add(row)
    session.flush()
    return token, row


def resolve_session(session: Session, token: str) -> tuple[User, AuthSession] | None:
    row = session.scalar(select(AuthSession).where(AuthSession.token_hash == _token_hash(token)))
    if row is None or row.expires_at <= utcnow():
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    return user, row


def end_session(session: Session, token: str) -> None:
    session.execute(delete(AuthSession).where(AuthSession.token_hash == _token_hash(token)))


# --- scope -------------------------------------------------------------------------------------


def project_ids_in_scope(session: Session, user: User) -> set[int] | None:
    """None means every project (admin). Inspectors also see every project of their region."""
    if user.role == Role.ADMIN:
        return None
    if user.role == Role.WORKER:
        from server.registry.models import Assignment  # the worker's own projects only

        rows = session.scalars(
            select(Assignment.project_id).where(Assignment.worker_id == user.worker_id)
        )
        return set(rows)
    ids = set(session.scalars(select(UserProject.project_id).where(UserProject.user_id == user.id)))
    if user.role == Role.INSPECTOR and user.region:
        ids |= set(session.scalars(select(Project.id).where(Project.region == user.region)))
    return ids


def require_project(
    session: Session, user: User, project_id: int, *, write: bool = False
) -> Project:
    """404 for a project out of scope (its existence is not disclosed); 403 for read-only roles."""
    scope = project_ids_in_scope(session, user)
    project = session.get(Project, project_id)
    if project is None or (scope is not None and project_id not in scope):
        raise NotFoundError("项目", "project")
    if write and user.role not in (Role.ADMIN, Role.SITE_MANAGER):
        raise ForbiddenError()
    return project


def require_role(user: User, *roles: Role) -> None:
    if user.role not in roles:
        raise ForbiddenError()


def audit(
    session: Session,
    user: User | None,
    action: str,
    entity: str,
    entity_id: int | None,
    *,
    project_id: int | None = None,
    detail: dict[str, object] | None = None,
) -> None:
    session.add(
        AuditLog(
            user_id=user.id if user else None,
            project_id=project_id,
            action=action,
            entity=entity,
            entity_id=entity_id,
            detail=detail or {},
        )
    )
