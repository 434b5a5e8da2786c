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
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.enums import AssignmentStatus
from platforms.national import protocol as p
from server.config import Settings
from server.platform.models import PlatformAccount, PlatformJob
from server.registry.models import Assignment, Company, Project, Team, Worker

METHODS = {"team": "Team.Add", "worker": "ProjectWorker.Add"}
ORDER = ("team", "worker")  # the platform's dependency order
BACKOFF_CAP = dt.timedelta(hours=1)
BLOCKING = {p.ResultCode.BAD_SIGNATURE, p.ResultCode.NO_PERMISSION, p.ResultCode.IP_REFUSED}


def configure(
    session: Session, settings: Settings, project: Project, *, url: str, appid: str, secret: str
) -> PlatformAccount:
    p.encrypt("check", secret)  # a secret the cipher cannot use is refused now, not at upload
    account = session.scalar(
        select(PlatformAccount).where(PlatformAccount.project_id == project.id)
    )
    ciphertext = Fernet(settings.fernet_key()).encrypt(secret.encode())
    if account is None:
        account = PlatformAccount(
            project_id=project.id, base_url=url, appid=appid, secret=ciphertext
        )
        session.add(account)
    else:
        account.base_url, account.appid, account.secret = url, appid, ciphertext
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


def enqueue(session: Session, project: Project) -> int:
    """A job for each team and each worker (with a team) on the project that has none."""
    have = {
        (k, s)
        for k, s in session.execute(
            select(PlatformJob.kind, PlatformJob.subject_id).where(
                PlatformJob.project_id == project.id
            )
        )
    }
    subjects = [
        ("team", t) for t in session.scalars(select(Team.id).where(Team.project_id == project.id))
    ]
    subjects += [
        ("worker", a)
        for a in session.scalars(
            select(Assignment.id).where(
                Assignment.project_id == project.id,
                Assignment.team_id.is_not(None),
                Assignment.status != AssignmentStatus.PENDING,
            )
        )
    ]
    added = 0
    for kind, subject in subjects:
        if (kind, subject) not in have:
            session.add(
                PlatformJob(
                    project_id=project.id, kind=kind, subject_id=subject, method=METHODS[kind]
                )
            )
            added += 1
    session.flush()
    return added


@dataclass(frozen=True, slots=True)
class Outgoing:
    job_id: int
    method: str
    data: dict[str, Any]


class Waiting(Exception):
    """A job that cannot go yet (its team is not on the platform): said on the job."""


def _team_payload(session: Session, account: PlatformAccount, team_id: int) -> dict[str, Any]:
    team = session.get(Team, team_id)
    assert team is not None  # noqa: S101 - jobs are made from existing rows
    company = session.get(Company, team.company_id)
    return {
        "projectCode": account.appid,
        "corpCode": company.credit_code if company else "",
        "corpName": company.name if company else "",
        "teamName": team.name,
    }


def _worker_payload(
    session: Session, account: PlatformAccount, secret: str, assignment_id: int
) -> dict[str, Any]:
    a = session.get(Assignment, assignment_id)
    assert a is not None  # noqa: S101
    worker = session.get(Worker, a.worker_id)
    assert worker is not None  # noqa: S101
    team_sys_no = session.scalar(
        select(PlatformJob.remote_id).where(
            PlatformJob.project_id == a.project_id,
            PlatformJob.kind == "team",
            PlatformJob.subject_id == a.team_id,
            PlatformJob.state.in_(("sent", "uploaded")),
        )
    )
    if not team_sys_no:
        raise Waiting()
    return {
        "projectCode": account.appid,
        "teamSysNo": team_sys_no,
        "workerList": [
            {
                "workerName": worker.name,
                "idCardType": "01",  # 居民身份证; other ID types arrive with the registry's types
                "idCardNumber": p.encrypt(worker.id_number, secret),
                "workType": a.trade,
            }
        ],
    }


def due(
    session: Session, settings: Settings, project: Project, *, now: dt.datetime, limit: int = 50
) -> list[Outgoing]:
    """The pending jobs due now, teams first, with their payloads; a job that must wait says so."""
    account = account_of(session, project.id)
    if account is None or not account.active:
        return []
    secret = secret_of(settings, account)
    out: list[Outgoing] = []
    for kind in ORDER:
        jobs = session.scalars(
            select(PlatformJob)
            .where(
                PlatformJob.project_id == project.id,
                PlatformJob.kind == kind,
                PlatformJob.state == "pending",
                (PlatformJob.next_attempt_at.is_(None)) | (PlatformJob.next_attempt_at <= now),
            )
            .order_by(PlatformJob.id)
        )
        for job in jobs:
            try:
                data = (
                    _team_payload(session, account, job.subject_id)
                    if kind == "team"
                    else _worker_payload(session, account, secret, job.subject_id)
                )
            except Waiting:
                job.message = "等待所属班组先上传 / waiting for its team to be uploaded"
                continue
            out.append(Outgoing(job.id, job.method, data))
            if len(out) >= limit:
                return out
    session.flush()
    return out


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
    if not answer.ok or status == "processing":
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
