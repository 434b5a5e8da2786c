"""Accounts, sign-in with lockout, opaque sessions and the audit log. What each role may see is
server/auth/policy.py, enforced by server/auth/scope.py."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models.enums import Role
from server.auth import repository as auth_repo
from server.auth import rules as auth_rules
from server.auth import throttle
from server.auth.models import AuditLog, AuthSession, User, UserProject
from server.auth.schemas import UserUpdate
from server.config import Settings
from server.db.types import utcnow
from server.errors import (
    ConflictError,
    NotAuthenticatedError,
    NotFoundError,
    SiteGateError,
    ValidationFailedError,
)
from server.registry.models import Project, Worker

_hasher = PasswordHasher()


def use_password_hasher(hasher: PasswordHasher) -> None:
    """Swap the hashing cost (tests use a cheap one). Each hash records its own parameters, so
    passwords hashed under other settings still verify."""
    global _hasher
    _hasher = hasher


class WrongCurrentPasswordError(ValidationFailedError):
    """The current password given to change it was wrong. The failure is counted like a failed
    sign-in, so callers commit before answering (else a stolen session could guess freely)."""


class PasswordChangeRequiredError(SiteGateError):
    """An admin reset the password: only changing it is allowed until the owner does."""

    code = "auth.password_change_required"
    status_code = 403

    def __init__(self) -> None:
        super().__init__(
            "管理员已重置您的密码,请先修改密码",
            "an admin reset your password: change it before anything else",
        )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _field_error(field: str, zh: str, en: str, *, code: str) -> ValidationFailedError:
    return ValidationFailedError(
        f"{field}:{zh}",
        f"{field}: {en}",
        code=code,
        detail=[{"field": field, "message": en, "message_zh": zh}],
    )


def check_password(password: str, *, username: str, field: str = "password") -> None:
    """The password policy (auth/rules.py) as one 422 naming the field and every problem."""
    problems = auth_rules.password_problems(password, username=username)
    if problems:
        raise ValidationFailedError(
            f"{field}:" + ";".join(zh for zh, _ in problems),
            f"{field}: " + "; ".join(en for _, en in problems),
            code="auth.weak_password",
            detail=[{"field": field, "message": en, "message_zh": zh} for zh, en in problems],
        )


def _check_scope(
    session: Session,
    *,
    role: Role,
    worker_id: int | None,
    project_ids: list[int],
    user_id: int | None,
) -> None:
    """What an account of `role` needs: the same checks for create and update."""
    if role == Role.WORKER:
        if worker_id is None:
            raise _field_error(
                "worker_id",
                "工人账号须关联工人",
                "a worker account needs a worker",
                code="auth.worker",
            )
        if session.get(Worker, worker_id) is None:
            raise _field_error("worker_id", "工人不存在", "no such worker", code="auth.worker")
        other = auth_repo.account_of_worker(session, worker_id)
        if other is not None and other.id != user_id:
            raise _field_error(
                "worker_id",
                f"该工人已有账号 {other.username}",
                f"this worker already has the account {other.username}",
                code="auth.worker_taken",
            )
    elif worker_id is not None:
        raise _field_error(
            "worker_id",
            "只有工人账号可关联工人",
            "only a worker account links a worker",
            code="auth.worker",
        )
    if role == Role.SITE_MANAGER and not project_ids:
        raise _field_error(
            "project_ids",
            "项目管理员至少要有一个项目",
            "a site manager needs at least one project",
            code="auth.projects",
        )
    if project_ids:
        found = set(session.scalars(select(Project.id).where(Project.id.in_(project_ids))))
        missing = sorted(set(project_ids) - found)
        if missing:
            ids = ", ".join(str(i) for i in missing)
            raise _field_error(
                "project_ids", f"项目不存在:{ids}", f"no such project: {ids}", code="auth.projects"
            )


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
    must_change_password: bool = False,
) -> User:
    if auth_repo.user_by_username(session, username) is not None:
        raise ConflictError(f"用户名 {username} 已存在", f"username {username} already exists")
    check_password(password, username=username)
    projects = [] if role == Role.WORKER else sorted(set(project_ids or []))
    _check_scope(session, role=role, worker_id=worker_id, project_ids=projects, user_id=None)
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        full_name=full_name,
        region=region,
        worker_id=worker_id,
        must_change_password=must_change_password,
    )
    session.add(user)
    session.flush()
    for pid in projects:
        session.add(UserProject(user_id=user.id, project_id=pid))
    session.flush()
    return user


def get_user_or_raise(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError("用户", "user")
    return user


def get_by_username_or_raise(session: Session, username: str) -> User:
    user = auth_repo.user_by_username(session, username)
    if user is None:
        raise NotFoundError(f"用户 {username} ", f"user {username}")
    return user


def project_ids_of(session: Session, user: User) -> list[int]:
    return auth_repo.project_ids_of(session, [user.id]).get(user.id, [])


def end_sessions(session: Session, user: User, *, keep: AuthSession | None = None) -> int:
    """Sign the account out everywhere (but `keep`, the session making the change)."""
    stmt = delete(AuthSession).where(AuthSession.user_id == user.id)
    if keep is not None:
        stmt = stmt.where(AuthSession.id != keep.id)
    ended = len(
        [i for i in auth_repo.session_ids_of(session, user.id) if keep is None or i != keep.id]
    )
    session.execute(stmt)
    return ended


def _guard_admins(
    session: Session, actor: User | None, target: User, *, role: Role, active: bool
) -> None:
    """An admin cannot lock themselves out, and the last active admin stays."""
    if target.role != Role.ADMIN or not target.active or (role == Role.ADMIN and active):
        return
    if actor is not None and actor.id == target.id:
        raise ConflictError(
            "不能停用自己的账号或取消自己的管理员角色",
            "you cannot deactivate or demote your own account",
            code="auth.self_lockout",
        )
    if not [i for i in auth_repo.active_admin_ids(session) if i != target.id]:
        raise ConflictError(
            "这是最后一个启用的管理员账号,不能停用或改为其他角色",
            "this is the last active admin account: it cannot be deactivated or demoted",
            code="auth.last_admin",
        )


def update_user(
    session: Session, actor: User | None, target: User, *, data: UserUpdate, via: str = "api"
) -> dict[str, tuple[object, object]]:
    """Apply the fields sent; returns {field: (old, new)} of what changed, which is audited.
    Leaving the worker role drops the worker link, and becoming a worker drops the project
    scope (a worker's projects are their assignments), unless those fields were sent too."""
    sent = data.model_fields_set
    old_projects = project_ids_of(session, target)
    role = data.role if "role" in sent and data.role is not None else target.role
    active = data.active if "active" in sent and data.active is not None else target.active
    if "worker_id" in sent:
        worker_id = data.worker_id
    else:
        worker_id = target.worker_id if role == Role.WORKER else None
    if role == Role.WORKER:
        projects: list[int] = []
    elif "project_ids" in sent and data.project_ids is not None:
        projects = sorted(set(data.project_ids))
    else:
        projects = old_projects
    _check_scope(session, role=role, worker_id=worker_id, project_ids=projects, user_id=target.id)
    _guard_admins(session, actor, target, role=role, active=active)

    new_values: dict[str, object] = {
        "role": role,
        "active": active,
        "worker_id": worker_id,
        "full_name": data.full_name if "full_name" in sent else target.full_name,
        "region": data.region if "region" in sent else target.region,
    }
    changes: dict[str, tuple[object, object]] = {}
    for field, new in new_values.items():
        old = getattr(target, field)
        if old != new:
            changes[field] = (old, new)
            setattr(target, field, new)
    if projects != old_projects:
        changes["project_ids"] = (old_projects, projects)
        session.execute(delete(UserProject).where(UserProject.user_id == target.id))
        for pid in projects:
            session.add(UserProject(user_id=target.id, project_id=pid))
    if not changes:
        return changes
    if "active" in changes and not active:
        end_sessions(session, target)
    if "active" in changes and active:
        throttle.clear_account(session, target)
    session.flush()
    audit(
        session,
        actor,
        "update",
        "user",
        target.id,
        detail={
            "username": target.username,
            "via": via,
            "changes": {k: [_plain(o), _plain(n)] for k, (o, n) in changes.items()},
        },
    )
    return changes


def _plain(value: object) -> object:
    return value.value if isinstance(value, Role) else value


def set_password(
    session: Session,
    actor: User | None,
    target: User,
    *,
    password: str,
    must_change: bool = True,
    keep: AuthSession | None = None,
    via: str = "api",
) -> int:
    """An admin's (or the CLI's) temporary password; every session of the account ends (but
    `keep`). Returns how many sessions ended. The password itself is never audited."""
    check_password(password, username=target.username)
    target.password_hash = hash_password(password)
    target.must_change_password = must_change
    throttle.clear_account(session, target)
    ended = end_sessions(session, target, keep=keep)
    session.flush()
    audit(
        session,
        actor,
        "set_password",
        "user",
        target.id,
        detail={
            "username": target.username,
            "via": via,
            "must_change_password": must_change,
            "sessions_ended": ended,
        },
    )
    return ended


def change_own_password(
    session: Session,
    user: User,
    current: AuthSession | None,
    settings: Settings,
    *,
    current_password: str,
    new_password: str,
    address: str,
    via: str = "api",
) -> int:
    """The owner's change: the current password is required; their other sessions end.

    A wrong current password counts as a failed sign-in from `address`: when that blocks the
    account there, it is signed out everywhere (TooManyAttemptsError). Either error leaves the
    count in the session for the caller to commit."""
    if not verify_password(user.password_hash, current_password):
        wait = throttle.sign_in_failed(
            session, settings, username=user.username, user=user, address=address, now=utcnow()
        )
        if wait:
            end_sessions(session, user)
            session.flush()
            raise throttle.TooManyAttemptsError(
                f"当前密码错误次数过多,已退出登录,请 {wait} 秒后重新登录",
                f"too many wrong current passwords: signed out, sign in again in {wait} s",
                retry_after_s=wait,
                code="auth.locked",
            )
        raise WrongCurrentPasswordError(
            "current_password:当前密码不正确",
            "current_password: the current password is wrong",
            code="auth.wrong_password",
            detail=[
                {
                    "field": "current_password",
                    "message": "the current password is wrong",
                    "message_zh": "当前密码不正确",
                }
            ],
        )
    check_password(new_password, username=user.username, field="new_password")
    if verify_password(user.password_hash, new_password):
        raise _field_error(
            "new_password",
            "新密码不能与当前密码相同",
            "the new password must differ from the current one",
            code="auth.same_password",
        )
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    ended = end_sessions(session, user, keep=current)
    session.flush()
    audit(
        session,
        user,
        "change_password",
        "user",
        user.id,
        detail={"username": user.username, "via": via, "sessions_ended": ended},
    )
    return ended


def authenticate(
    session: Session, settings: Settings, username: str, password: str, *, address: str
) -> User:
    """Check a password from client `address`, throttled per address and per account
    (server/auth/throttle.py): a blocked attempt answers 429 without checking the password."""
    user = session.scalar(select(User).where(User.username == username))
    now = utcnow()
    throttle.check_sign_in(session, username=username, user=user, address=address, now=now)
    if user is None or not user.active or not verify_password(user.password_hash, password):
        throttle.sign_in_failed(
            session, settings, username=username, user=user, address=address, now=now
        )
        raise NotAuthenticatedError("用户名或密码错误", "wrong username or password")
    throttle.sign_in_succeeded(session, user=user, address=address, now=now)
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
