"""`sitegate registry ...`: the 花名册 import, gates with their provisioning codes, and the gate
confirmers (card + manager confirmation, the alternative to face)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from models.enums import Direction
from models.errors import ContractError
from models.ids import normalise_card_uid
from server.config import Settings
from server.db import migrate
from server.db.session import make_engine, make_sessionmaker, unit_of_work
from server.errors import NotFoundError, SiteGateError, ValidationFailedError
from server.registry import repository as repo
from server.registry import service as registry_service
from server.registry.models import Project
from server.registry.schemas import DeviceCreate, GateConfirmerIn
from sitegate_cli.errors import friendly_errors

T = TypeVar("T")

app = typer.Typer(help="实名制登记 / worker registry", no_args_is_help=True)
console = Console()


class _NothingImported(Exception):
    """Raised inside the unit of work so an all-or-nothing failure rolls back."""

    def __init__(self, report: registry_service.ImportReport) -> None:
        self.report = report


def _issues_table(report: registry_service.ImportReport) -> Table:
    table = Table(title="有问题的行 / bad rows", show_lines=False)
    table.add_column("行 row", justify="right")
    table.add_column("列 column")
    table.add_column("原因 reason")
    for issue in report.errors:
        column = f"{issue.column} {issue.header}" if issue.column else (issue.header or "")
        table.add_row(str(issue.row), column, f"{issue.message_zh} / {issue.message_en}")
    return table


@app.command("import-workers")
@friendly_errors
def import_workers(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="XLSX or CSV")],
    project: Annotated[str, typer.Option("--project", help="project code")],
    skip_bad_rows: Annotated[
        bool, typer.Option("--skip-bad-rows", help="import the good rows, report the bad")
    ] = False,
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", envvar="SITEGATE_DATABASE_URL", help="SQLAlchemy URL"),
    ] = None,
) -> None:
    """Import a worker roster (花名册); exits 1 when nothing was imported."""
    settings = Settings(database_url=database_url) if database_url else Settings()
    migrate.upgrade(settings.database_url)
    data = file.read_bytes()
    engine = make_engine(settings.database_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            found = repo.project_by_code(session, project)
            if found is None:
                raise NotFoundError(f"项目 {project}", f"project {project}")
            report = registry_service.import_roster(
                session, None, found, data=data, filename=file.name, skip_bad_rows=skip_bad_rows
            )
            if report.imported == 0:
                raise _NothingImported(report)
    except _NothingImported as stop:
        report = stop.report
    finally:
        engine.dispose()
    if report.errors:
        console.print(_issues_table(report))
    console.print(
        f"已导入 / imported: {report.imported} 行 rows "
        f"(新建 created {report.created_workers}, 更新 updated {report.updated_workers}); "
        f"错误 errors: {len(report.errors)}; 警告 warnings: {len(report.warnings)}"
    )
    if report.imported == 0:
        strict = bool(report.errors) and not skip_bad_rows
        raise SiteGateError(
            "未导入任何工人" + ("(全部或全不导入模式)" if strict else ""),
            "nothing imported" + (" (all-or-nothing mode)" if strict else ""),
            code="roster.nothing_imported",
        )


DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", envvar="SITEGATE_DATABASE_URL", help="SQLAlchemy URL"),
]


def _issue_code(
    database_url: str | None, project: str, gate: str, create: DeviceCreate | None
) -> tuple[str, str]:
    settings = Settings(database_url=database_url) if database_url else Settings()
    migrate.upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            found = repo.project_by_code(session, project)
            if found is None:
                raise NotFoundError(f"项目 {project}", f"project {project}")
            device = (
                registry_service.create_device(session, None, found, data=create)
                if create is not None
                else repo.device_by_code(session, gate)
            )
            if device is None or device.project_id != found.id:
                raise NotFoundError(f"闸机 {gate}", f"gate {gate}")
            code, expires = registry_service.issue_provisioning_code(session, None, device)
    finally:
        engine.dispose()
    return code, f"{expires:%Y-%m-%d %H:%M} UTC"


def _print_code(gate: str, code: str, expires: str) -> None:
    console.print(
        f"闸机 gate [bold]{gate}[/] 一次性注册码 / one-time provisioning code: [bold]{code}[/] "
        f"(有效至 valid until {expires}; 仅显示一次 / shown once)\n"
        f"在闸机电脑上 / on the gate PC: sitegate edge provision --config gate.yaml --code {code}"
    )


@app.command("add-gate")
@friendly_errors
def add_gate(
    project: Annotated[str, typer.Option("--project", help="project code")],
    code: Annotated[str, typer.Option("--code", help="gate code, e.g. GATE-A-IN")],
    direction: Annotated[Direction, typer.Option(help="in / out")] = Direction.IN,
    name: Annotated[str, typer.Option(help="display name, e.g. 1号门 进")] = "",
    model: Annotated[str, typer.Option(help="gate profile or device model")] = "",
    enrollment: Annotated[
        bool, typer.Option("--enrollment", help="an enrollment station, not a gate")
    ] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Register a gate (or enrollment station) and print its one-time provisioning code."""
    data = DeviceCreate(
        code=code,
        name=name,
        direction=direction,
        model=model,
        kind="enrollment" if enrollment else "gate",
    )
    issued, expires = _issue_code(database_url, project, code, data)
    _print_code(code, issued, expires)


@app.command("provisioning-code")
@friendly_errors
def provisioning_code(
    project: Annotated[str, typer.Option("--project", help="project code")],
    gate: Annotated[str, typer.Option("--gate", help="gate code")],
    database_url: DatabaseUrl = None,
) -> None:
    """Issue a new one-time provisioning code for a registered gate (replaces any earlier one)."""
    issued, expires = _issue_code(database_url, project, gate, None)
    _print_code(gate, issued, expires)


# --- gate confirmers ---------------------------------------------------------------------------


def _in_project(database_url: str | None, project: str, work: Callable[[Session, Project], T]) -> T:
    """Run `work` in one unit of work on the project found by code (migrations applied first)."""
    settings = Settings(database_url=database_url) if database_url else Settings()
    migrate.upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            found = repo.project_by_code(session, project)
            if found is None:
                raise NotFoundError(f"项目 {project}", f"project {project}")
            return work(session, found)
    finally:
        engine.dispose()


def _card(value: str) -> str:
    try:
        return normalise_card_uid(value)
    except ContractError as exc:
        raise ValidationFailedError(
            f"--card: {exc.message_zh}", f"--card: {exc.message_en}", detail=[{"field": "card"}]
        ) from None


@app.command("add-confirmer")
@friendly_errors
def add_confirmer(
    project: Annotated[str, typer.Option("--project", help="project code")],
    card: Annotated[str, typer.Option("--card", help="the confirmer's IC card UID (hex)")],
    name: Annotated[str, typer.Option("--name", help="the confirmer's name, e.g. 王经理")],
    user_id: Annotated[
        int | None, typer.Option("--user-id", help="their server account id, if any")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Allow someone to confirm workers at the project's gates with their IC card."""
    uid = _card(card)
    try:
        data = GateConfirmerIn(card_uid=uid, name=name, user_id=user_id)
    except ValidationError as exc:
        first = exc.errors()[0]
        flag = "--" + str(first["loc"][0]).replace("_", "-")
        raise ValidationFailedError(
            f"{flag}: 取值无效", f"{flag}: {first['msg']}", detail=[{"field": flag}]
        ) from None

    def work(session: Session, found: Project) -> tuple[int, str]:
        added = registry_service.add_confirmer(session, None, found, data=data)
        return added.id, added.card_uid

    confirmer_id, uid = _in_project(database_url, project, work)
    console.print(
        f"已添加确认人 / confirmer added: #{confirmer_id} {name} 卡 card {uid} "
        "(闸机下次同步花名册后生效 / effective at the gates' next roster download)"
    )


@app.command("deactivate-confirmer")
@friendly_errors
def deactivate_confirmer(
    project: Annotated[str, typer.Option("--project", help="project code")],
    card: Annotated[str, typer.Option("--card", help="the confirmer's IC card UID (hex)")],
    database_url: DatabaseUrl = None,
) -> None:
    """Stop a card from confirming at the project's gates (the record of it stays)."""
    uid = _card(card)

    def work(session: Session, found: Project) -> None:
        confirmer = repo.active_confirmer_by_card(session, found.id, uid)
        if confirmer is None:
            raise NotFoundError(f"卡号为 {uid} 的确认人", f"active confirmer with card {uid}")
        registry_service.deactivate_confirmer(session, None, confirmer)

    _in_project(database_url, project, work)
    console.print(f"已停用确认人卡 / confirmer card deactivated: {uid}")


@app.command("list-confirmers")
@friendly_errors
def list_confirmers(
    project: Annotated[str, typer.Option("--project", help="project code")],
    include_inactive: Annotated[
        bool, typer.Option("--all", help="also the deactivated ones")
    ] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """The project's gate confirmers."""

    def work(session: Session, found: Project) -> list[tuple[str, ...]]:
        rows = repo.list_confirmers(session, found.id, active_only=not include_inactive)
        return [
            (
                str(c.id),
                c.card_uid,
                c.name,
                "" if c.user_id is None else str(c.user_id),
                "是 yes" if c.active else "否 no",
            )
            for c in rows
        ]

    table = Table(title="闸机确认人 / gate confirmers")
    for column in ("id", "卡 card", "姓名 name", "用户 user", "有效 active"):
        table.add_column(column)
    for row in _in_project(database_url, project, work):
        table.add_row(*row)
    console.print(table)
