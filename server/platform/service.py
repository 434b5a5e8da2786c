"""The upload queue: what is due, the payload each job sends, and what each answer does.

A run (cli.py) is: `enqueue` what the project has and the platform lacks; `polls` and `due`
list the work; each call goes out with no transaction open and its answer is `settle`d in one.
Dependency order is the platform's: a team before its workers (a worker job waits, with that
said, until its team has a teamSysNo).

Answers:
- 0 with a ticket: `sent`, polled with AsyncHandleResult.Query until `uploaded` or `rejected`.
- -5 rate limited, 9999, or no answer: back to `pending`, due again after a back-off
  (1, 2, 4 … minutes, at most an hour).
- -1 bad parameters: `rejected` with the platform's words; fixed data is queued again.
- -2 / -3 / -4 (signature, permission, IP): `blocked`: the account is wrong, nothing else is
  sent until it is fixed (`sitegate platform configure`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.enums import AssignmentStatus, GateResult
from platforms.national import protocol as p
from platforms.national.profile import DEFAULT as DEFAULT_PROFILE
from platforms.national.profile import Profile
from platforms.national.profile import load as load_profile
from server.config import Settings
from server.ingest.models import GateEventRow
from server.platform import payloads
from server.platform.models import PlatformAccount, PlatformJob
from server.platform.photos import fit_photo
from server.registry import face_templates
from server.registry.models import Assignment, Project, ProjectCompany, Team
from server.safeguards.models import LabourContract
from server.wages.models import WageSheet
from server.wages.rules import SheetState

# The platform's dependency order: a company before its teams, a team before its workers, a
# worker before their contract, entry, exit, attendance and pay.
ORDER = ("subcontractor", "team", "worker", "contract", "entry", "exit", "attendance", "payroll")
SENDABLE = ("pending", "waiting", "invalid", "rejected")
BATCH = 100  # gate records per attendance upload
BACKOFF_CAP = dt.timedelta(hours=1)
BLOCKING = {p.ResultCode.BAD_SIGNATURE, p.ResultCode.NO_PERMISSION, p.ResultCode.IP_REFUSED}


def configure(
    session: Session,
    settings: Settings,
    project: Project,
    *,
    url: str,
    appid: str,
    secret: str,
    profile: str = DEFAULT_PROFILE,
    options: dict[str, Any] | None = None,
) -> PlatformAccount:
    load_profile(profile).check_secret(secret)  # refused now, not at upload
    account = session.scalar(
        select(PlatformAccount).where(PlatformAccount.project_id == project.id)
    )
    ciphertext = Fernet(settings.fernet_key()).encrypt(secret.encode())
    if account is None:
        account = PlatformAccount(
            project_id=project.id, base_url=url, appid=appid, secret=ciphertext, options={}
        )
        session.add(account)
    account.base_url, account.appid, account.secret = url, appid, ciphertext
    account.profile = profile
    if options is not None:
        account.options = options
    # a fixed account unblocks what it blocked
    for job in session.scalars(
        select(PlatformJob).where(
            PlatformJob.project_id == project.id, PlatformJob.state == "blocked"
        )
    ):
        job.state, job.next_attempt_at = "pending", None
    session.flush()
    return account


def account_of(session: Session, project_id: int) -> PlatformAccount | None:
    return session.scalar(select(PlatformAccount).where(PlatformAccount.project_id == project_id))


def secret_of(settings: Settings, account: PlatformAccount) -> str:
    return Fernet(settings.fernet_key()).decrypt(account.secret).decode()


def profile_of(account: PlatformAccount) -> Profile:
    return load_profile(account.profile)


def _subjects(session: Session, project: Project) -> list[tuple[str, int]]:
    pid = project.id
    out = [
        ("subcontractor", i)
        for i in session.scalars(select(ProjectCompany.id).where(ProjectCompany.project_id == pid))
    ]
    out += [("team", t) for t in session.scalars(select(Team.id).where(Team.project_id == pid))]
    on_team = select(Assignment).where(
        Assignment.project_id == pid,
        Assignment.team_id.is_not(None),
        Assignment.status != AssignmentStatus.PENDING,
    )
    for a in session.scalars(on_team):
        out.append(("worker", a.id))
        if a.entered_on is not None:
            out.append(("entry", a.id))
        if a.left_on is not None:
            out.append(("exit", a.id))
    out += [
        ("contract", a)
        for a in session.scalars(
            select(LabourContract.assignment_id)
            .join(Assignment, Assignment.id == LabourContract.assignment_id)
            .where(
                LabourContract.project_id == pid,
                Assignment.team_id.is_not(None),
                Assignment.status != AssignmentStatus.PENDING,
            )
        )
    ]
    out += [
        ("payroll", s)
        for s in session.scalars(
            select(WageSheet.id).where(
                WageSheet.project_id == pid, WageSheet.state == SheetState.PAID
            )
        )
    ]
    return out


def enqueue(session: Session, project: Project) -> int:
    """A job for each object on the project the platform takes and has no job yet, and the
    gate records since the last batch in batches of a team and a day."""
    account = account_of(session, project.id)
    profile = profile_of(account) if account is not None else load_profile()
    have = {
        (k, s)
        for k, s in session.execute(
            select(PlatformJob.kind, PlatformJob.subject_id).where(
                PlatformJob.project_id == project.id, PlatformJob.kind != "attendance"
            )
        )
    }
    added = 0
    for kind, subject in _subjects(session, project):
        if (kind, subject) not in have and profile.takes(kind):
            session.add(
                PlatformJob(
                    project_id=project.id,
                    kind=kind,
                    subject_id=subject,
                    method=profile.methods[kind],
                    items=[],
                )
            )
            added += 1
    if profile.takes("attendance"):
        added += _enqueue_attendance(session, project, profile)
    session.flush()
    return added


def _enqueue_attendance(session: Session, project: Project, profile: Profile) -> int:
    high = session.scalar(
        select(func.max(PlatformJob.subject_id)).where(
            PlatformJob.project_id == project.id, PlatformJob.kind == "attendance"
        )
    )
    zone = ZoneInfo(project.timezone)
    rows = session.execute(
        select(GateEventRow.id, GateEventRow.device_time, Assignment.team_id)
        .join(
            Assignment,
            (Assignment.worker_id == GateEventRow.worker_id)
            & (Assignment.project_id == GateEventRow.project_id),
        )
        .where(
            GateEventRow.project_id == project.id,
            GateEventRow.id > (high or 0),
            GateEventRow.result == GateResult.GRANTED,
            GateEventRow.purpose.is_(None),
            GateEventRow.voided_by_seq.is_(None),
            Assignment.team_id.is_not(None),
        )
        .order_by(GateEventRow.id)
    ).all()
    groups: dict[tuple[int, dt.date], list[int]] = {}
    for event_id, at, team_id in rows:
        if team_id is not None:  # the query keeps only assignments with a team
            key = (int(team_id), at.astimezone(zone).date())
            groups.setdefault(key, []).append(int(event_id))
    added = 0
    for (team_id, _day), ids in sorted(groups.items(), key=lambda g: g[1][0]):
        ids = sorted(set(ids))
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            session.add(
                PlatformJob(
                    project_id=project.id,
                    kind="attendance",
                    subject_id=chunk[-1],
                    team_id=team_id,
                    items=chunk,
                    method=profile.methods["attendance"],
                )
            )
            added += 1
    return added


@dataclass(frozen=True, slots=True)
class Outgoing:
    job_id: int
    method: str
    data: dict[str, Any]


def _payload(ctx: payloads.Context, job: PlatformJob, photo: bytes | None) -> dict[str, Any]:
    match job.kind:
        case "subcontractor":
            return payloads.subcontractor(ctx, job.subject_id)
        case "team":
            return payloads.team(ctx, job.subject_id)
        case "worker":
            return payloads.worker(ctx, job.subject_id, photo)
        case "contract":
            return payloads.contract(ctx, job.subject_id)
        case "entry" | "exit":
            return payloads.entry_exit(ctx, job.subject_id, entry=job.kind == "entry")
        case "attendance":
            assert job.team_id is not None  # noqa: S101 - batches are made per team
            return payloads.attendance(ctx, job.team_id, list(job.items))
        case "payroll":
            return payloads.payroll(ctx, job.subject_id)
    raise ValueError(job.kind)


def _digest(data: dict[str, Any]) -> str:
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def due(
    session: Session, settings: Settings, project: Project, *, now: dt.datetime, limit: int = 50
) -> list[Outgoing]:
    """The jobs to send now, in dependency order, with their payloads (encrypted). A job that
    must wait or would be refused says so and stays; a rejected one goes again only when its
    data changed."""
    account = account_of(session, project.id)
    if account is None or not account.active:
        return []
    secret = secret_of(settings, account)
    profile = profile_of(account)
    today = now.astimezone(ZoneInfo(project.timezone)).date()
    ctx = payloads.Context(session, account, profile, project, today)
    out: list[Outgoing] = []
    for kind in ORDER:
        jobs = session.scalars(
            select(PlatformJob)
            .where(
                PlatformJob.project_id == project.id,
                PlatformJob.kind == kind,
                PlatformJob.state.in_(SENDABLE),
                (PlatformJob.next_attempt_at.is_(None)) | (PlatformJob.next_attempt_at <= now),
            )
            .order_by(PlatformJob.id)
        )
        for job in jobs:
            photo = photo_for(session, settings, job.subject_id) if kind == "worker" else None
            try:
                data = _payload(ctx, job, photo)
            except payloads.Waiting as exc:
                if job.state != "rejected":
                    job.state, job.message = "waiting", str(exc)
                continue
            except payloads.Invalid as exc:
                job.state, job.code = "invalid", None
                job.message = f"本地检查未通过 / local check: {exc}"
                continue
            digest = _digest(data)
            if job.state == "rejected" and digest == job.payload_digest:
                continue  # the platform refused exactly this; it goes again once fixed
            job.payload_digest = digest
            out.append(Outgoing(job.id, job.method, payloads.encrypted(data, profile, secret)))
            if len(out) >= limit:
                session.flush()
                return out
    session.flush()
    return out


def photo_for(session: Session, settings: Settings, assignment_id: int) -> bytes | None:
    """The worker's registered photo (face_templates), made to fit the platform's 50 KB."""
    a = session.get(Assignment, assignment_id)
    if a is None:
        return None
    raw = face_templates.photo_for(session, settings, a.worker_id)
    return None if raw is None else fit_photo(raw)


def polls(session: Session, project: Project) -> list[tuple[int, str]]:
    """(job id, ticket) of the jobs the platform took and has not answered finally."""
    return [
        (j, str(s))
        for j, s in session.execute(
            select(PlatformJob.id, PlatformJob.request_serial_code).where(
                PlatformJob.project_id == project.id,
                PlatformJob.state == "sent",
                PlatformJob.request_serial_code.is_not(None),
            )
        )
    ]


def backoff(attempts: int) -> dt.timedelta:
    return min(dt.timedelta(minutes=2 ** max(attempts - 1, 0)), BACKOFF_CAP)


def settle(
    session: Session, job_id: int, answer: p.Answer | None, *, now: dt.datetime, problem: str = ""
) -> str:
    """What the answer to a send does to its job; returns the job's new state. None: no answer
    (unreachable), retried after the back-off."""
    job = session.get(PlatformJob, job_id)
    assert job is not None  # noqa: S101
    job.attempts += 1
    if answer is None or answer.retryable:
        job.state, job.next_attempt_at = "pending", now + backoff(job.attempts)
        job.code = None if answer is None else answer.code
        job.message = problem if answer is None else _words(answer)
    elif answer.ok:
        job.state, job.code, job.message = "sent", 0, ""
        job.request_serial_code = answer.request_serial_code
        if isinstance(answer.data, dict) and answer.data.get("teamSysNo"):
            job.remote_id = str(answer.data["teamSysNo"])
        if job.request_serial_code is None:  # nothing to poll: the platform took it outright
            job.state, job.done_at = "uploaded", now
    else:
        job.code, job.message = answer.code, _words(answer)
        job.state = "blocked" if answer.code in BLOCKING else "rejected"
    session.flush()
    return job.state


def settle_poll(session: Session, job_id: int, answer: p.Answer, *, now: dt.datetime) -> str:
    job = session.get(PlatformJob, job_id)
    assert job is not None  # noqa: S101
    status = answer.data.get("status") if isinstance(answer.data, dict) else None
    if not answer.ok or status == "processing" or job.state != "sent":
        return job.state
    if status == "success":
        job.state, job.done_at = "uploaded", now
    else:
        job.state = "rejected"
        job.message = str((answer.data or {}).get("result") or answer.message)
    session.flush()
    return job.state


def _words(answer: p.Answer) -> str:
    try:
        zh, en = p.RESULT_TEXT[p.ResultCode(answer.code)]
    except ValueError:
        zh, en = "平台返回未知代码", "unknown result code"
    return f"{answer.code} {zh} / {en}: {answer.message}".strip()


def status(session: Session, project_id: int) -> dict[tuple[str, str], int]:
    return {
        (str(k), str(s)): int(n)
        for k, s, n in session.execute(
            select(PlatformJob.kind, PlatformJob.state, func.count())
            .where(PlatformJob.project_id == project_id)
            .group_by(PlatformJob.kind, PlatformJob.state)
        )
    }


STATE_TEXT: dict[str, tuple[str, str]] = {
    "pending": ("待上传", "pending"),
    "waiting": ("等待前置", "waiting"),
    "invalid": ("本地检查未通过", "failed local check"),
    "sent": ("已受理", "taken"),
    "uploaded": ("已上传", "uploaded"),
    "rejected": ("被退回", "rejected"),
    "blocked": ("账号被拒", "account refused"),
}
KIND_TEXT: dict[str, tuple[str, str]] = {
    "subcontractor": ("参建单位", "companies"),
    "team": ("班组", "teams"),
    "worker": ("人员", "workers"),
    "contract": ("劳动合同", "contracts"),
    "entry": ("进场", "entries"),
    "exit": ("退场", "exits"),
    "attendance": ("考勤", "attendance"),
    "payroll": ("工资", "payroll"),
}
# what needs someone; `waiting` items follow what they wait for, so they are counted, not listed
PROBLEM_STATES = ("blocked", "rejected", "invalid")


@dataclass(frozen=True, slots=True)
class JobLine:
    id: int
    kind: str
    subject_id: int
    state: str
    attempts: int
    message: str
    updated_at: dt.datetime
    team_id: int | None = None
    items: tuple[int, ...] = ()


def problems(session: Session, project_id: int, limit: int = 200) -> list[JobLine]:
    """The jobs that need someone: refused by the platform first, then by the local checks."""
    rank = {s: i for i, s in enumerate(PROBLEM_STATES)}
    rows = session.scalars(
        select(PlatformJob)
        .where(PlatformJob.project_id == project_id, PlatformJob.state.in_(PROBLEM_STATES))
        .order_by(PlatformJob.id)
        .limit(limit)
    )
    lines = [
        JobLine(
            j.id,
            j.kind,
            j.subject_id,
            j.state,
            j.attempts,
            j.message,
            j.updated_at,
            j.team_id,
            tuple(j.items or ()),
        )
        for j in rows
    ]
    return sorted(lines, key=lambda ln: (rank[ln.state], ORDER.index(ln.kind), ln.id))
