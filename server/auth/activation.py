"""Activation codes: how a worker without an account gets one, without an admin.

The site office issues one-time codes in bulk for a project's workers (all without an account,
a team, or chosen workers) and hands out the printed slips; the worker opens /activate on their
phone, types their ID number, the code and a new password twice, and is signed in to their own
pages with a worker account linked to their registry record.

- A code is 8 symbols of an alphabet without 0/O/1/I/L (auth/rules.py), drawn with `secrets`,
  shown once. Only HMAC-SHA256(secret key, worker id + code) is stored: a copy of the database
  alone does not give the codes away (40 bits would fall to a plain hash), and a code only ever
  fits the worker it was issued for. Changing SITEGATE_SECRET_KEY voids every unused code.
- A new code for a worker voids their unused one; a code is valid `activation_code_days`
  (server/config.py, default 14) and works once.
- A worker who has an account is skipped (and reported) unless the office asks to reset: their
  code then sets a new password on the existing account. A deactivated account is never
  reopened by a code.
- A wrong ID number, code, or an expired or used code all get the same answer, counted by the
  sign-in throttle (auth/throttle.py), so codes cannot be guessed.
- Issuing is audited per code (`activation_code` / `issue`), activating per account (`user` /
  `activate`); neither record holds a code or a full ID number.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy.orm import Session

from models.enums import Role
from models.ids import mask_id_number
from server.auth import repository as auth_repo
from server.auth import rules as auth_rules
from server.auth import service as auth_service
from server.auth import throttle
from server.auth.models import ActivationCode, User
from server.config import Settings
from server.errors import NotAuthenticatedError, NotFoundError, ValidationFailedError
from server.registry.models import Project, Team, Worker

SIGNUP_PATH = "/activate"


class ActivationFailedError(NotAuthenticatedError):
    """Wrong ID number or code, or the code expired or was used: one answer for all, so it
    never says which part was wrong. Counted by the throttle, so callers commit first."""

    code = "auth.activation_failed"

    def __init__(self) -> None:
        super().__init__(
            "身份证号或激活码不正确,或激活码已过期、已使用。"
            "请核对后重试;仍不行请找项目管理人员重新发放激活码。",
            "the ID number or the code is wrong, or the code has expired or was used. "
            "Check and try again; if it still fails, ask the site office for a new code.",
        )


class SkipReason(StrEnum):
    HAS_ACCOUNT = "has_account"
    ACCOUNT_INACTIVE = "account_inactive"


SKIP_TEXT: dict[SkipReason, tuple[str, str]] = {
    SkipReason.HAS_ACCOUNT: (
        "已有账号(如需重设其密码,请选择“包括已有账号的工人”)",
        "has an account already (choose 'include workers with an account' to reset its password)",
    ),
    SkipReason.ACCOUNT_INACTIVE: (
        "账号已被管理员停用,激活码不能重新启用",
        "the account was deactivated by an admin; a code cannot reopen it",
    ),
}


@dataclass(frozen=True, slots=True)
class IssuedCode:
    """One slip: the code in clear, here and nowhere else."""

    worker_id: int
    name: str
    id_number_masked: str
    team: str | None
    code: str  # as printed: ABCD-EFGH
    resets_account: bool  # the worker had an account: the code sets its password


@dataclass(frozen=True, slots=True)
class SkippedWorker:
    worker_id: int
    name: str
    id_number_masked: str
    team: str | None
    reason: SkipReason

    @property
    def reason_zh(self) -> str:
        return SKIP_TEXT[self.reason][0]

    @property
    def reason_en(self) -> str:
        return SKIP_TEXT[self.reason][1]


@dataclass(slots=True)
class IssueResult:
    project_id: int
    project_code: str
    project_name: str
    timezone: str
    issued_at: dt.datetime
    expires_at: dt.datetime
    signup_url: str
    issued: list[IssuedCode] = field(default_factory=list)
    skipped: list[SkippedWorker] = field(default_factory=list)
    voided: int = 0  # earlier unused codes these replaced


def code_hash(settings: Settings, worker_id: int, code: str) -> str:
    """The stored form of a (normalised) code; bound to the worker it was issued for."""
    key = settings.secret_key.encode()
    return hmac.new(key, f"activation:{worker_id}:{code}".encode(), hashlib.sha256).hexdigest()


def signup_url(base_url: str) -> str:
    return base_url.rstrip("/") + SIGNUP_PATH


def _select(
    session: Session, project: Project, *, worker_ids: list[int] | None, team_id: int | None
) -> list[tuple[Worker, Team | None]]:
    if worker_ids is not None and team_id is not None:
        raise ValidationFailedError(
            "只能按班组或按所选工人发放,不能同时指定",
            "give a team or chosen workers, not both",
            code="activation.selection",
            detail=[{"field": "team_id", "message": "give a team or worker_ids, not both"}],
        )
    rows = auth_repo.project_workers(session, project.id)
    if team_id is not None:
        team = session.get(Team, team_id)
        if team is None or team.project_id != project.id:
            raise NotFoundError("班组", "team")
        return [(w, t) for a, w, t in rows if a.team_id == team_id]
    if worker_ids is not None:
        wanted = set(worker_ids)
        if not wanted:
            raise ValidationFailedError(
                "未选择工人", "no worker chosen", code="activation.selection"
            )
        on_project = {w.id for _, w, _ in rows}
        missing = sorted(wanted - on_project)
        if missing:
            ids = ", ".join(str(i) for i in missing[:20])
            raise ValidationFailedError(
                f"worker_ids:以下工人不在本项目:{ids}",
                f"worker_ids: not on this project: {ids}",
                code="activation.not_on_project",
                detail=[{"field": "worker_ids", "message": f"not on this project: {ids}"}],
            )
        return [(w, t) for _, w, t in rows if w.id in wanted]
    return [(w, t) for _, w, t in rows]


def issue_codes(
    session: Session,
    settings: Settings,
    user: User | None,
    project: Project,
    *,
    base_url: str,
    now: dt.datetime,
    worker_ids: list[int] | None = None,
    team_id: int | None = None,
    reset_existing: bool = False,
    via: str = "api",
) -> IssueResult:
    """Codes for the project's workers (all of them by default, else a team or chosen ids),
    skipping those with an account unless `reset_existing`; each replaces the worker's unused
    code. The result holds the codes in clear: show or print them once, keep them nowhere."""
    chosen = _select(session, project, worker_ids=worker_ids, team_id=team_id)
    accounts = auth_repo.accounts_of_workers(session, [w.id for w, _ in chosen])
    expires_at = auth_rules.activation_expires_at(now, valid_days=settings.activation_code_days)
    result = IssueResult(
        project_id=project.id,
        project_code=project.code,
        project_name=project.name,
        timezone=project.timezone,
        issued_at=now,
        expires_at=expires_at,
        signup_url=signup_url(settings.public_url or base_url),
    )
    to_issue: list[tuple[Worker, Team | None, bool]] = []
    for worker, team in chosen:
        account = accounts.get(worker.id)
        reason = None
        if account is not None and not account.active:
            reason = SkipReason.ACCOUNT_INACTIVE
        elif account is not None and not reset_existing:
            reason = SkipReason.HAS_ACCOUNT
        if reason is not None:
            result.skipped.append(
                SkippedWorker(
                    worker.id,
                    worker.name,
                    mask_id_number(worker.id_number),
                    team.name if team else None,
                    reason,
                )
            )
        else:
            to_issue.append((worker, team, account is not None))
    result.voided = auth_repo.void_unused_codes(session, [w.id for w, _, _ in to_issue], now)
    for worker, team, resets in to_issue:
        code = auth_rules.new_activation_code(secrets.randbelow)
        row = ActivationCode(
            worker_id=worker.id,
            project_id=project.id,
            code_hash=code_hash(settings, worker.id, code),
            issued_by_user_id=user.id if user else None,
            issued_at=now,
            expires_at=expires_at,
        )
        session.add(row)
        session.flush()
        auth_service.audit(
            session,
            user,
            "issue",
            "activation_code",
            row.id,
            project_id=project.id,
            detail={
                "worker_id": worker.id,
                "expires_at": expires_at.isoformat(),
                "resets_account": resets,
                "via": via,
            },
        )
        result.issued.append(
            IssuedCode(
                worker.id,
                worker.name,
                mask_id_number(worker.id_number),
                team.name if team else None,
                auth_rules.format_activation_code(code),
                resets,
            )
        )
    return result


def _username_for(session: Session, worker: Worker) -> str:
    """The ID number, which a worker never forgets; if someone took it as a username already,
    `w<worker id>` (then with a suffix), which the page shows them."""
    candidates = [worker.id_number, f"w{worker.id}"]
    candidates += [f"w{worker.id}-{n}" for n in range(2, 100)]
    for name in candidates:
        if auth_repo.user_by_username(session, name) is None:
            return name
    raise ValidationFailedError("无法分配用户名", "no username is free", code="activation.username")


def activate(
    session: Session,
    settings: Settings,
    *,
    id_number: str,
    code: str,
    password: str,
    address: str,
    now: dt.datetime,
    via: str = "api",
) -> tuple[User, bool]:
    """ID number (already parsed) + code + new password -> the worker's account, and whether it
    was created (else its password was set). Blocked: TooManyAttemptsError; refused:
    ActivationFailedError, after counting it (the caller commits before answering)."""
    throttle.check_activation(session, id_number=id_number, address=address, now=now)
    # The password's own problems first: an answer about it must not tell that the code fits.
    auth_service.check_password(password, username=id_number)
    worker = auth_repo.worker_by_id_number(session, id_number)
    normalised = auth_rules.normalise_activation_code(code)
    row = auth_repo.open_code_for_update(session, worker.id) if worker is not None else None
    # Hash even when there is nothing to compare with, so timing does not tell ID numbers apart.
    given = code_hash(settings, worker.id if worker else 0, normalised or "")
    account = auth_repo.account_of_worker(session, worker.id) if worker is not None else None
    fits = (
        worker is not None
        and row is not None
        and normalised is not None
        and hmac.compare_digest(given, row.code_hash)
        and auth_rules.activation_code_state(
            expires_at=row.expires_at, used_at=row.used_at, voided_at=row.voided_at, now=now
        )
        is auth_rules.CodeState.LIVE
        and (account is None or account.active)
    )
    if not fits or worker is None or row is None:
        throttle.activation_failed(session, settings, id_number=id_number, address=address, now=now)
        raise ActivationFailedError()
    created = account is None
    if account is None:
        account = auth_service.create_user(
            session,
            username=_username_for(session, worker),
            password=password,
            role=Role.WORKER,
            full_name=worker.name,
            worker_id=worker.id,
        )
    else:
        auth_service.check_password(password, username=account.username)
        account.password_hash = auth_service.hash_password(password)
        account.must_change_password = False
        throttle.clear_account(session, account)
        auth_service.end_sessions(session, account)
    row.used_at = now
    row.user_id = account.id
    throttle.activation_succeeded(session, id_number=id_number, address=address)
    session.flush()
    auth_service.audit(
        session,
        account,
        "activate",
        "user",
        account.id,
        project_id=row.project_id,
        detail={"worker_id": worker.id, "activation_code_id": row.id, "created": created,
                "via": via},
    )  # fmt: skip
    return account, created


@dataclass(frozen=True, slots=True)
class WorkerStatus:
    """One row of the site page: where the worker stands with their account."""

    worker_id: int
    name: str
    id_number_masked: str
    team_id: int | None
    team: str | None
    state: str  # account / account_inactive / code_live / code_expired / code_used / none
    expires_at: dt.datetime | None = None


def project_status(session: Session, project: Project, *, now: dt.datetime) -> list[WorkerStatus]:
    rows = auth_repo.project_workers(session, project.id)
    ids = [w.id for _, w, _ in rows]
    accounts = auth_repo.accounts_of_workers(session, ids)
    codes = auth_repo.latest_codes(session, ids)
    out = []
    for assignment, worker, team in rows:
        account = accounts.get(worker.id)
        code = codes.get(worker.id)
        expires_at = None
        if account is not None:
            state = "account" if account.active else "account_inactive"
        elif code is None:
            state = "none"
        else:
            code_state = auth_rules.activation_code_state(
                expires_at=code.expires_at, used_at=code.used_at, voided_at=code.voided_at, now=now
            )
            state = f"code_{code_state.value}"
            expires_at = code.expires_at
        out.append(
            WorkerStatus(
                worker.id,
                worker.name,
                mask_id_number(worker.id_number),
                assignment.team_id,
                team.name if team else None,
                state,
                expires_at,
            )
        )
    return out
