"""`sitegate platform configure | sync | status`: the project's reports to the real-name
platform."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from platforms.national import protocol as p
from platforms.national.client import PlatformClient, PlatformUnreachableError
from server import command
from server.config import Settings
from server.db.types import utcnow
from server.errors import SiteGateError
from server.platform import service
from server.registry.models import Project
from sitegate_cli.errors import friendly_errors

T = TypeVar("T")
app = typer.Typer(help="上报监管平台 / reporting to the real-name platform", no_args_is_help=True)

DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", envvar="SITEGATE_DATABASE_URL", help="SQLAlchemy URL"),
]
ProjectCode = Annotated[str, typer.Option("--project", help="project code")]
STATE_ZH = {
    "pending": "待上传",
    "sent": "已受理",
    "uploaded": "已上传",
    "rejected": "被退回",
    "blocked": "账号被拒",
}


def _run(database_url: str | None, code: str, work: Callable[[Session, Settings, Project], T]) -> T:
    with command.unit(database_url) as (session, settings):
        return work(session, settings, command.project(session, code))


class NotConfiguredError(SiteGateError):
    def __init__(self, code: str) -> None:
        super().__init__(
            f"项目 {code} 尚未配置监管平台账号:sitegate platform configure",
            f"project {code} has no platform account yet: sitegate platform configure",
        )


@app.command("configure")
@friendly_errors
def configure(
    project: ProjectCode,
    url: Annotated[str, typer.Option("--url", help="the platform's OpenAPI address")],
    appid: Annotated[str, typer.Option("--appid", help="the project's appid")],
    secret: Annotated[
        str, typer.Option("--secret", envvar="SITEGATE_PLATFORM_SECRET", help="the appsecret")
    ],
    database_url: DatabaseUrl = None,
) -> None:
    """Where and as whom the project reports (the secret is kept encrypted)."""
    try:
        p.encrypt("check", secret)
    except p.PlatformProtocolError as exc:
        raise SiteGateError(exc.message_zh, exc.message_en) from None

    def work(session: Session, settings: Settings, found: Project) -> None:
        service.configure(session, settings, found, url=url, appid=appid, secret=secret)

    _run(database_url, project, work)
    Console().print(f"{project} 的平台账号已保存 / platform account saved ({appid} @ {url})")


@app.command("sync")
@friendly_errors
def sync(project: ProjectCode, database_url: DatabaseUrl = None) -> None:
    """Queue what the platform lacks, poll the tickets, send what is due (teams first). Each
    call goes out with no transaction open; its answer is recorded at once."""
    console = Console()
    now = utcnow()

    def plan(
        session: Session, settings: Settings, found: Project
    ) -> tuple[str, str, str, int, list[tuple[int, str]]]:
        account = service.account_of(session, found.id)
        if account is None:
            raise NotConfiguredError(project)
        added = service.enqueue(session, found)
        secret = service.secret_of(settings, account)
        return account.base_url, account.appid, secret, added, service.polls(session, found)

    url, appid, secret, added, tickets = _run(database_url, project, plan)
    sent = polled = 0
    with PlatformClient(url, appid, secret) as client:
        for job_id, ticket in tickets:
            try:
                reply = client.poll(ticket)
            except PlatformUnreachableError:
                break
            _run(database_url, project, partial(_settle_poll, job_id=job_id, answer=reply, now=now))
            polled += 1
        stop = False
        while not stop:
            batch = _run(database_url, project, partial(_due, now=now))
            if not batch:
                break
            for out in batch:
                answer: p.Answer | None
                problem = ""
                try:
                    answer = client.call(out.method, out.data)
                except PlatformUnreachableError as exc:
                    answer, problem = None, f"平台无法连接 / platform unreachable: {exc}"
                settle = partial(
                    _settle, job_id=out.job_id, answer=answer, now=now, problem=problem
                )
                state = _run(database_url, project, settle)
                sent += 1
                if answer is None or state == "blocked" or (answer.retryable):
                    stop = True  # the platform, not the job: try again on the next run
                    break
    console.print(
        f"{project}: 新排队 queued {added},查询回执 polled {polled},发送 sent {sent} "
        "(sitegate platform status 查看结果 / for the outcome)"
    )


def _due(session: Session, settings: Settings, found: Project, *, now: dt.datetime) -> Any:
    return service.due(session, settings, found, now=now)


def _settle(
    session: Session, _settings: Settings, _found: Project, *, job_id: int,
    answer: p.Answer | None, now: dt.datetime, problem: str,
) -> str:  # fmt: skip
    return service.settle(session, job_id, answer, now=now, problem=problem)


def _settle_poll(
    session: Session, _settings: Settings, _found: Project, *, job_id: int, answer: p.Answer,
    now: dt.datetime,
) -> str:  # fmt: skip
    return service.settle_poll(session, job_id, answer, now=now)


@app.command("status")
@friendly_errors
def status(project: ProjectCode, database_url: DatabaseUrl = None) -> None:
    """Per kind of object: pending, taken, uploaded, rejected (with the platform's words)."""

    def work(session: Session, _settings: Settings, found: Project) -> dict[tuple[str, str], int]:
        return service.status(session, found.id)

    counts = _run(database_url, project, work)
    table = Table(title=f"{project} 平台上报 / platform uploads")
    table.add_column("对象 kind")
    for state, zh in STATE_ZH.items():
        table.add_column(f"{zh} {state}", justify="right")
    for kind in service.ORDER:
        table.add_row(kind, *(str(counts.get((kind, s), 0)) for s in STATE_ZH))
    Console().print(table)
