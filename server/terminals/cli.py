"""`sitegate registry add-terminal / approve-terminal` and `sitegate terminals ...`: face
terminals registered, approved, listed, synced with the roster, and workers' face pictures."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import Direction
from server import command
from server.config import Settings
from server.db.types import utcnow
from server.errors import NotFoundError, SiteGateError
from server.registry import face_templates
from server.registry.models import Device, Worker
from server.terminals import commands, isapi_pull, service
from sitegate_cli.errors import friendly_errors

T = TypeVar("T")
app = typer.Typer(
    help="人脸终端 / face terminals (ZKTeco PUSH, Hikvision ISAPI)", no_args_is_help=True
)

DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", envvar="SITEGATE_DATABASE_URL", help="SQLAlchemy URL"),
]


def _run(database_url: str | None, work: Callable[[Session, Settings], T]) -> T:
    with command.unit(database_url) as (session, settings):
        return work(session, settings)


_project = command.project


def _terminal(session: Session, code: str) -> Device:
    device = session.scalar(select(Device).where(Device.code == code, Device.kind == "terminal"))
    if device is None:
        raise NotFoundError(f"人脸终端 {code}", f"face terminal {code}")
    return device


class TerminalJobError(SiteGateError):
    def __init__(self, problem: str) -> None:
        zh, _, en = problem.partition(" / ")
        super().__init__(zh or "终端未完成操作", en or zh or "the terminal did not do it")


@friendly_errors
def add_terminal(
    project: Annotated[str, typer.Option("--project", help="project code")],
    code: Annotated[str, typer.Option("--code", help="gate code, e.g. ZK-A-IN")],
    vendor: Annotated[str, typer.Option("--vendor", help="zkteco / hikvision")],
    serial: Annotated[str, typer.Option("--serial", help="the terminal's serial number (SN)")],
    direction: Annotated[Direction, typer.Option(help="in / out")] = Direction.IN,
    name: Annotated[str, typer.Option(help="display name, e.g. 1号门 人脸 进")] = "",
    model: Annotated[str, typer.Option(help="model, e.g. SpeedFace-V5L, DS-K1T671M")] = "",
    url: Annotated[str, typer.Option(help="Hikvision: the terminal's address, http://…")] = "",
    user: Annotated[str, typer.Option(help="Hikvision: the ISAPI account")] = "",
    password: Annotated[
        str, typer.Option(envvar="SITEGATE_TERMINAL_PASSWORD", help="Hikvision: its password")
    ] = "",
    approve: Annotated[bool, typer.Option("--approve", help="approve at once")] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Register a face terminal as a gate; its records count once it is approved."""

    def work(session: Session, settings: Settings) -> str:
        device = service.add_terminal(
            session, settings, None, _project(session, project), code=code, vendor=vendor,
            serial_number=serial, direction=direction, model=model, name=name, url=url,
            username=user, password=password,
        )  # fmt: skip
        if approve:
            service.approve(session, settings, None, device, now=utcnow())
        return "已批准 approved" if approve else "待批准 awaiting approval (approve-terminal)"

    state = _run(database_url, work)
    Console().print(f"人脸终端 {code}({vendor} {serial})已登记 / terminal registered: {state}")


@friendly_errors
def approve_terminal(
    code: Annotated[str, typer.Option("--code", help="the terminal's gate code")],
    database_url: DatabaseUrl = None,
) -> None:
    """Approve a registered terminal: from now on its records count."""

    def work(session: Session, settings: Settings) -> str:
        device = service.approve(session, settings, None, _terminal(session, code), now=utcnow())
        return str(device.serial_number)

    serial = _run(database_url, work)
    Console().print(f"人脸终端 {code}({serial})已批准 / terminal approved")


@app.command("list")
@friendly_errors
def list_terminals(
    project: Annotated[str, typer.Option("--project", help="project code")],
    database_url: DatabaseUrl = None,
) -> None:
    """The project's terminals: approval, last contact, pending commands, users, serial gaps."""

    def work(session: Session, _settings: Settings) -> list[tuple[str, ...]]:
        found = _project(session, project)
        rows = service.overview(session, found.id)
        return [
            (
                t.code, t.vendor, t.serial_number, t.approval,
                t.last_contact.strftime("%Y-%m-%d %H:%M") if t.last_contact else "—",
                str(t.commands.pending), str(t.commands.failed), str(t.commands.users),
                str(t.open_gaps),
            )
            for t in rows
        ]  # fmt: skip

    table = Table(title=f"{project} 人脸终端 / face terminals")
    for header in (
        "编号 code", "厂家 vendor", "序列号 SN", "批准 approved", "最近联系 last contact",
        "待下发 pending", "失败 failed", "已同步人员 users", "序号缺口 gaps",
    ):  # fmt: skip
        table.add_column(header)
    for row in _run(database_url, work):
        table.add_row(*row)
    Console().print(table)


@app.command("sync")
@friendly_errors
def sync(
    project: Annotated[str, typer.Option("--project", help="project code")],
    database_url: DatabaseUrl = None,
) -> None:
    """Queue the roster changes for every approved terminal of the project (ZKTeco terminals
    fetch them on their next poll)."""

    def work(session: Session, settings: Settings) -> list[tuple[str, commands.SyncResult]]:
        found = _project(session, project)
        now = utcnow()
        return [
            (d.code, commands.sync(session, settings, d, now=now))
            for d in service.approved(session, found.id)
        ]

    for code, result in _run(database_url, work):
        Console().print(
            f"{code}: 新增/更新 {result.upserts},删除 {result.deletes},撤销 {result.cancelled} "
            f"/ upserts {result.upserts}, deletes {result.deletes}, cancelled {result.cancelled}"
        )


@app.command("run")
@friendly_errors
def run(
    project: Annotated[str, typer.Option("--project", help="project code")],
    catch_up: Annotated[
        bool, typer.Option("--catch-up", help="Hikvision: also pull everything since the last")
    ] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """For every approved terminal: queue the roster changes; for Hikvision terminals also send
    the commands and pull missed events. Each terminal in its own transaction (run it from cron
    every few minutes; ZKTeco terminals fetch their commands themselves)."""
    console = Console()

    def codes(session: Session, _settings: Settings) -> list[str]:
        return [d.code for d in service.approved(session, _project(session, project).id)]

    for code in _run(database_url, codes):
        console.print(_run_one(database_url, code, catch_up=catch_up))


def _run_one(database_url: str | None, code: str, *, catch_up: bool) -> str:
    """One terminal: queue (and claim) in one transaction, call the terminal with none open
    (on SQLite a transaction holds the database's write lock), record its answers in another."""
    now = utcnow()

    def queue(
        session: Session, settings: Settings
    ) -> tuple[Device, commands.SyncResult, list[isapi_pull.Claimed]]:
        device = _terminal(session, code)
        synced = commands.sync(session, settings, device, now=now)
        if device.vendor != "hikvision":  # a ZKTeco terminal fetches its commands itself
            return device, synced, []
        return device, synced, isapi_pull.claim(session, settings, device, now=now)

    device, synced, claimed = _run(database_url, queue)
    line = f"{code}: 排队 queued +{synced.upserts}/-{synced.deletes}"
    if device.vendor != "hikvision":
        return line
    settings = Settings(database_url=database_url) if database_url else Settings()
    outcomes, problem, offline = isapi_pull.send(settings, device, claimed)

    def record(session: Session, _settings: Settings) -> isapi_pull.Pushed:
        return isapi_pull.settle(
            session, _terminal(session, code), outcomes, now=now, problem=problem, offline=offline
        )

    pushed = _run(database_url, record) if claimed else isapi_pull.Pushed()

    def plan(session: Session, _settings: Settings) -> isapi_pull.PullPlan | None:
        return isapi_pull.plan_pull(session, _terminal(session, code), now=now, catch_up=catch_up)

    pulled = isapi_pull.Backfill()
    pull_plan = _run(database_url, plan)
    if pull_plan is not None:
        fetched = isapi_pull.fetch(settings, device, pull_plan)
        if isinstance(fetched, isapi_pull.Backfill):
            pulled = fetched
        else:

            def apply(session: Session, settings: Settings) -> isapi_pull.Backfill:
                return isapi_pull.apply_pull(
                    session, settings, _terminal(session, code), pull_plan, *fetched, now=now
                )

            pulled = _run(database_url, apply)
    line += (
        f";下发 sent {pushed.done},失败 failed {pushed.failed},待重发 requeued "
        f"{pushed.requeued};补取 pulled {pulled.stored} 条 records,缺口补齐 gaps filled "
        f"{pulled.filled},无法补取 lost {pulled.flagged}"
    )
    problem = pushed.error or pulled.error
    if pushed.offline or pulled.offline:
        line += " — 终端离线 terminal offline"
    elif problem:
        line += f" — {problem}"
    return line


@app.command("configure")
@friendly_errors
def configure(
    code: Annotated[str, typer.Option("--code", help="the Hikvision terminal's gate code")],
    server_url: Annotated[
        str, typer.Option("--server-url", help="how the terminal reaches SiteGate, http://…:8000")
    ],
    database_url: DatabaseUrl = None,
) -> None:
    """Check a Hikvision terminal is the registered one and make it push events to SiteGate."""

    def work(session: Session, settings: Settings) -> isapi_pull.Configured:
        return isapi_pull.configure(settings, _terminal(session, code), server_url)

    done = _run(database_url, work)
    if not done.ok:
        raise TerminalJobError(done.error or "")
    Console().print(f"{code} 将推送到 / pushes to {done.push_url}")


@app.command("set-photo")
@friendly_errors
def set_photo(
    worker_id: Annotated[int, typer.Option("--worker", help="worker id")],
    photo: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JPEG, ≤ 200 KB")],
    database_url: DatabaseUrl = None,
) -> None:
    """Keep a worker's enrolled face picture for the terminals (needs recorded face consent)."""
    jpeg = photo.read_bytes()[: face_templates.MAX_PHOTO_BYTES + 1]

    def work(session: Session, settings: Settings) -> str:
        worker = session.get(Worker, worker_id)
        if worker is None:
            raise NotFoundError(f"工人 {worker_id}", f"worker {worker_id}")
        face_templates.set_photo(session, settings, worker, jpeg)
        return worker.name

    name = _run(database_url, work)
    Console().print(f"{name} 的人脸照片已保存(加密)/ face picture kept, encrypted")
