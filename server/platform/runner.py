"""One upload run for a project: queue, poll the tickets, send what is due. Used by
`sitegate platform sync`, the site's platform page and the demo.

Each call to the platform goes out with no transaction open and its answer is recorded in its
own short unit of work at once, so a crash mid-run loses no answer and holds no lock on the
database while the platform thinks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from platforms.national import protocol as p
from platforms.national.client import PlatformClient, PlatformUnreachableError
from server.config import Settings
from server.errors import SiteGateError
from server.platform import service
from server.registry.models import Project

T = TypeVar("T")
# (work) -> its result, inside one unit of work on the project
Unit = Callable[[Callable[[Session, Settings, Project], T]], T]


class NotConfiguredError(SiteGateError):
    def __init__(self, code: str) -> None:
        super().__init__(
            f"项目 {code} 尚未配置监管平台账号:sitegate platform configure",
            f"project {code} has no platform account yet: sitegate platform configure",
        )


@dataclass(frozen=True, slots=True)
class RunReport:
    queued: int
    polled: int
    sent: int
    stopped: str  # why the run stopped early ("" when it ran out of work)


def run(
    unit: Unit[Any], *, now: dt.datetime, transport: Any = None, max_calls: int | None = None
) -> RunReport:
    """Polls and sends until nothing is due, the platform pushes back, or `max_calls` calls
    were made (a page's bounded run; the rest goes next time)."""

    def plan(session: Session, settings: Settings, found: Project) -> tuple[Any, ...]:
        account = service.account_of(session, found.id)
        if account is None:
            raise NotConfiguredError(found.code)
        added = service.enqueue(session, found)
        secret = service.secret_of(settings, account)
        profile = service.profile_of(account)
        return (
            account.base_url,
            account.appid,
            secret,
            profile,
            added,
            service.polls(session, found),
        )

    url, appid, secret, profile, added, tickets = unit(plan)
    sent = polled = 0
    stopped = ""
    with PlatformClient(url, appid, secret, profile=profile, transport=transport) as client:
        for job_id, ticket in tickets:
            try:
                reply = client.poll(ticket)
            except PlatformUnreachableError as exc:
                stopped = f"平台无法连接 / platform unreachable: {exc}"
                break
            unit(_settle_poll(job_id, reply, now))
            polled += 1
        while not stopped:
            batch = unit(_due(now))
            if not batch:
                break
            for out in batch:
                if max_calls is not None and sent + polled >= max_calls:
                    stopped = f"本次已发送 {sent} 项,其余下次继续 / {sent} sent, the rest next run"
                    break
                answer: p.Answer | None
                problem = ""
                try:
                    answer = client.call(out.method, out.data)
                except PlatformUnreachableError as exc:
                    answer, problem = None, f"平台无法连接 / platform unreachable: {exc}"
                state = unit(_settle(out.job_id, answer, now, problem))
                sent += 1
                if answer is None or state == "blocked" or answer.retryable:
                    # the platform, not the job: the rest waits for the next run
                    stopped = problem or (answer.message if answer else "")
                    stopped = stopped or state
                    break
    return RunReport(added, polled, sent, stopped)


def _due(now: dt.datetime) -> Callable[[Session, Settings, Project], list[service.Outgoing]]:
    def work(session: Session, settings: Settings, found: Project) -> list[service.Outgoing]:
        return service.due(session, settings, found, now=now)

    return work


def _settle(
    job_id: int, answer: p.Answer | None, now: dt.datetime, problem: str
) -> Callable[[Session, Settings, Project], str]:
    def work(session: Session, _settings: Settings, _found: Project) -> str:
        return service.settle(session, job_id, answer, now=now, problem=problem)

    return work


def _settle_poll(
    job_id: int, answer: p.Answer, now: dt.datetime
) -> Callable[[Session, Settings, Project], str]:
    def work(session: Session, _settings: Settings, _found: Project) -> str:
        return service.settle_poll(session, job_id, answer, now=now)

    return work
