"""`sitegate platform configure | sync | status`: the project's reports to the real-name
platform."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from platforms.national import protocol as p
from platforms.national.precheck import coordinates
from platforms.national.profile import load as load_profile
from platforms.national.profile import names as profile_names
from server import command
from server.config import Settings
from server.db.types import utcnow
from server.errors import SiteGateError
from server.platform import runner, service
from server.registry.models import Project
from sitegate_cli.errors import friendly_errors

T = TypeVar("T")
app = typer.Typer(help="上报监管平台 / reporting to the real-name platform", no_args_is_help=True)

DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", envvar="SITEGATE_DATABASE_URL", help="SQLAlchemy URL"),
]
ProjectCode = Annotated[str, typer.Option("--project", help="project code")]
STATE_ZH = {state: zh for state, (zh, _en) in service.STATE_TEXT.items()}


def _run(database_url: str | None, code: str, work: Callable[[Session, Settings, Project], T]) -> T:
    with command.unit(database_url) as (session, settings):
        return work(session, settings, command.project(session, code))


@app.command("configure")
@friendly_errors
def configure(
    project: ProjectCode,
    url: Annotated[str, typer.Option("--url", help="the platform's OpenAPI address")],
    appid: Annotated[str, typer.Option("--appid", help="the project's appid")],
    secret: Annotated[
        str, typer.Option("--secret", envvar="SITEGATE_PLATFORM_SECRET", help="the appsecret")
    ],
    profile: Annotated[
        str, typer.Option("--profile", help=f"platform profile: {', '.join(profile_names())}")
    ] = "national",
    lng: Annotated[float | None, typer.Option("--lng", help="the gate's WGS84 longitude")] = None,
    lat: Annotated[float | None, typer.Option("--lat", help="the gate's WGS84 latitude")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Where and as whom the project reports (the secret is kept encrypted)."""
    options: dict[str, Any] | None = None
    try:
        load_profile(profile).check_secret(secret)
        if lng is not None or lat is not None:
            problems = coordinates(lng, lat)
            if problems:
                raise p.PlatformProtocolError(problems[0].zh, problems[0].en)
            options = {"lng": lng, "lat": lat}
    except p.PlatformProtocolError as exc:
        raise SiteGateError(exc.message_zh, exc.message_en) from None

    def work(session: Session, settings: Settings, found: Project) -> None:
        service.configure(
            session, settings, found, url=url, appid=appid, secret=secret, profile=profile,
            options=options,
        )  # fmt: skip

    _run(database_url, project, work)
    Console().print(f"{project} 的平台账号已保存 / platform account saved ({appid} @ {url})")


@app.command("sync")
@friendly_errors
def sync(project: ProjectCode, database_url: DatabaseUrl = None) -> None:
    """Queue what the platform lacks, poll the tickets, send what is due (in the platform's
    dependency order). Each call goes out with no transaction open; its answer is recorded at
    once."""
    with command.units(database_url) as (make_unit, _settings):

        def unit(work: Callable[[Session, Settings, Project], T]) -> T:
            with make_unit() as session:
                return work(session, _settings, command.project(session, project))

        report = runner.run(unit, now=utcnow())
    Console().print(
        f"{project}: 新排队 queued {report.queued},查询回执 polled {report.polled},"
        f"发送 sent {report.sent}"
        + (f";暂停 paused: {report.stopped}" if report.stopped else "")
        + " (sitegate platform status 查看结果 / for the outcome)"
    )


@app.command("status")
@friendly_errors
def status(project: ProjectCode, database_url: DatabaseUrl = None) -> None:
    """Per kind of object: pending, taken, uploaded, rejected (with the platform's words)."""

    def work(session: Session, _settings: Settings, found: Project) -> dict[tuple[str, str], int]:
        return service.status(session, found.id)

    def problems(session: Session, _settings: Settings, found: Project) -> list[service.JobLine]:
        return service.problems(session, found.id)

    counts = _run(database_url, project, work)
    console = Console()
    table = Table(title=f"{project} 平台上报 / platform uploads")
    table.add_column("对象 kind")
    for state, zh in STATE_ZH.items():
        table.add_column(f"{zh} {state}", justify="right")
    for kind in service.ORDER:
        table.add_row(
            f"{service.KIND_TEXT[kind][0]} {kind}",
            *(str(counts.get((kind, s), 0)) for s in STATE_ZH),
        )
    console.print(table)
    for line in _run(database_url, project, problems):
        console.print(f"[{line.state}] {line.kind} #{line.subject_id}: {line.message}")
