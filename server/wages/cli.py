"""`sitegate wages …`: build, list, show, send and lock the month's wage sheets from a terminal."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models.money import format_yuan
from server.cli import DatabaseUrl, settings_for
from server.db.session import make_engine, make_sessionmaker, unit_of_work
from server.errors import NotFoundError
from server.payroll.cli import project_by_code
from server.registry.models import Company
from server.wages import rules, sheets
from server.wages.models import WageSheet
from sitegate_cli.errors import friendly_errors

console = Console()
app = typer.Typer(help="工资支付表 / monthly wage sheets", no_args_is_help=True)

ProjectCode = Annotated[str, typer.Option("--project", help="项目编号 project code")]
SheetId = Annotated[int, typer.Option("--sheet", help="工资表编号 wage sheet no.")]


@contextmanager
def _session(database_url: str | None) -> Iterator[Session]:
    engine = make_engine(settings_for(database_url).database_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            yield session
    finally:
        engine.dispose()


def _company(session: Session, text: str) -> Company:
    found = session.scalars(
        select(Company).where(
            or_(Company.credit_code == text.strip(), Company.name == text.strip())
        )
    ).all()
    if len(found) != 1:
        raise NotFoundError(f"企业 {text}", f"firm {text}")
    return found[0]


def _sheet(session: Session, project: str, sheet_id: int) -> WageSheet:
    return sheets.get_sheet(session, project_by_code(session, project).id, sheet_id)


def _summary(sheet: WageSheet) -> str:
    state = rules.SheetState(sheet.state)
    return (
        f"工资表 #{sheet.id} {sheet.period}: {state.text[0]} / {state.text[1]}, "
        f"{sheet.line_count} 人 lines, 实发合计 net ¥{format_yuan(sheet.net_total_fen)}"
    )


@app.command("build")
@friendly_errors
def build_command(
    project: ProjectCode,
    company: Annotated[str, typer.Option("--company", help="用人单位 信用代码或名称 firm")],
    period: Annotated[str, typer.Option("--period", help="工资所属期 YYYY-MM")],
    database_url: DatabaseUrl = None,
) -> None:
    """Build a draft sheet for a firm's month from the roster."""
    with _session(database_url) as session:
        target = project_by_code(session, project)
        sheet = sheets.build_sheet(
            session,
            project_id=target.id,
            company_id=_company(session, company).id,
            period=period,
            user=None,
        )
        text = _summary(sheet)
    console.print(f"[bold green]已生成 / built[/] {text}")


@app.command("list")
@friendly_errors
def list_command(
    project: ProjectCode,
    period: Annotated[str | None, typer.Option("--period", help="YYYY-MM")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """The project's sheets (optionally of one month)."""
    with _session(database_url) as session:
        rows = [
            _summary(s)
            for s in sheets.list_sheets(session, project_by_code(session, project).id, period)
        ]
    for row in rows or ["没有工资表 / no wage sheets"]:
        console.print(row)


@app.command("show")
@friendly_errors
def show_command(project: ProjectCode, sheet: SheetId, database_url: DatabaseUrl = None) -> None:
    """Each line of a sheet: days, gross, deductions, net, the worker's answer."""
    with _session(database_url) as session:
        found = _sheet(session, project, sheet)
        table = Table(title=_summary(found))
        for head in ("姓名 Name", "班组 Team", "天数 Days", "应发 Gross", "扣除 Deducted",
                     "实发 Net", "状态 State"):  # fmt: skip
            table.add_column(head)
        for line in sheets.lines_of(session, found.id):
            state = rules.LineState(line.state)
            table.add_row(
                line.name,
                line.team_name,
                rules.days_text(line.half_days / 2),
                format_yuan(line.gross_fen),
                format_yuan(line.deductions_fen),
                format_yuan(line.net_fen),
                f"{state.text[0]} {state.text[1]}" + (" (需更新 stale)" if line.stale else ""),
            )
    console.print(table)


@app.command("send")
@friendly_errors
def send_command(project: ProjectCode, sheet: SheetId, database_url: DatabaseUrl = None) -> None:
    """Send the sheet to its workers for confirmation."""
    with _session(database_url) as session:
        found = _sheet(session, project, sheet)
        sent = sheets.send_sheet(session, found, user=None)
        text = _summary(found)
    console.print(f"[bold green]已发送 / sent[/] {sent} 行 lines — {text}")


@app.command("lock")
@friendly_errors
def lock_command(
    project: ProjectCode,
    sheet: SheetId,
    reason: Annotated[
        str | None,
        typer.Option("--reason", help="强制锁定原因 reason to lock with lines unsettled"),
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Lock the sheet: every line confirmed or resolved, or anyway with --reason."""
    with _session(database_url) as session:
        found = _sheet(session, project, sheet)
        check = sheets.lock_sheet(session, found, user=None, reason=reason)
        text = _summary(found)
    note = (
        ""
        if check.clean
        else f"(未确认 {check.unsettled} 行 unsettled lines, 原因 reason: {reason})"
    )
    console.print(f"[bold green]已锁定 / locked[/] {text} {note}")
