"""`sitegate roster daily|monthly`: the rosters as Rich tables, with CSV/XLSX on request."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.config import Settings
from server.db.session import make_engine, make_sessionmaker, unit_of_work
from server.errors import NotFoundError, ValidationFailedError
from server.ingest import checkpoints
from server.registry.models import Project
from server.reports import cells, daily_xlsx, roster_csv, roster_xlsx
from server.rosters import service as roster_service
from sitegate_cli.errors import friendly_errors

app = typer.Typer(help="考勤表 / attendance rosters", no_args_is_help=True)
console = Console()

ProjectCode = Annotated[str, typer.Option("--project", help="项目编号 / project code")]
DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", envvar="SITEGATE_DATABASE_URL", help="SQLAlchemy URL"),
]
CsvFile = Annotated[Path | None, typer.Option("--csv", help="写出 CSV / write a CSV file")]
XlsxFile = Annotated[Path | None, typer.Option("--xlsx", help="写出 XLSX / write an XLSX file")]


_DAILY_CSV_HEADERS = (
    "姓名 Name",
    "身份证号 ID",
    "劳务企业 Company",
    "班组 Team",
    "工种 Trade",
    "进场 In",
    "出场 Out",
    "工时 Hours",
    "状态 Status",
    "在场 On site",
)


def _project_id(session: Session, code: str) -> int:
    pid = session.scalar(select(Project.id).where(Project.code == code))
    if pid is None:
        raise NotFoundError(f"项目 {code}", f"project {code}")
    return pid


def _hm(at: dt.datetime | None, zone: dt.tzinfo) -> str:
    return at.astimezone(zone).strftime("%H:%M") if at else "-"


@app.command("daily")
@friendly_errors
def daily_cmd(
    project: ProjectCode,
    day: Annotated[
        str | None, typer.Option("--day", help="YYYY-MM-DD, 默认今天 / default today")
    ] = None,
    csv_file: CsvFile = None,
    xlsx_file: XlsxFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """当日考勤: 在场、进出、未到、异常、拒绝 / the day: on site, in/out, absent, anomalies."""
    settings = Settings(database_url=database_url) if database_url else Settings()
    engine = make_engine(settings.database_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            pid = _project_id(session, project)
            prj = roster_service.get_project_or_raise(session, pid)
            zone = roster_service.project_settings(prj).zone
            now = dt.datetime.now(dt.UTC)
            the_day = _parse_day(day) if day else now.astimezone(zone).date()
            board = roster_service.daily(session, project_id=pid, day=the_day, now=now)
    finally:
        engine.dispose()

    console.print(
        f"[bold]{board.project_name}[/] {board.day:%Y-%m-%d} 在场 on site: "
        f"[bold green]{board.headcount}[/]  进场 arrived: {board.arrivals}  "
        f"离场 left: {board.departures}  未到 not come: {len(board.not_come)}  "
        f"异常 anomalies: {len(board.anomalies)}  拒绝 refused: {len(board.refusals)}  "
        f"管理人员确认 confirmed: {len(board.confirmations)}"
    )
    if board.by_group:
        groups = Table(
            "劳务企业 Company", "班组 Team", "工种 Trade", "在场 On site", title="在场人数"
        )
        for g in board.by_group:
            groups.add_row(g.company_name, g.team_name, g.trade, str(g.on_site))
        console.print(groups)
    people = Table(
        "姓名 Name", "劳务企业 Company", "班组 Team", "进场 In", "出场 Out", "工时 Hours",
        "状态 Status", title="当日进出 / arrivals and departures",
    )  # fmt: skip
    for p in board.present:
        people.add_row(
            p.worker.name, p.worker.company_name, p.worker.team_name, _hm(p.first_in, zone),
            _hm(p.last_out, zone), f"{p.hours:.1f}",
            ("在场 " if p.on_site else "") + p.status.mark + (" 补卡" if p.corrected else ""),
        )  # fmt: skip
    console.print(people)
    if board.not_come:
        console.print("未到 / not come: " + "、".join(w.name for w in board.not_come))
    for a in board.anomalies:
        kind = "缺出场 missing OUT" if a.in_at else "缺进场 missing IN"
        console.print(f"[yellow]异常[/] {a.worker.name}: {kind} {_hm(a.in_at or a.out_at, zone)}")
    for r in board.refusals:
        who = r.worker.name if r.worker else "?"
        console.print(
            f"[red]拒绝[/] {_hm(r.at, zone)} {r.gate} {who}: {r.reason_zh} / {r.reason_en}"
        )
    for k in board.confirmations:
        who = k.worker.name if k.worker else "?"
        by = k.confirmer_name or "?"
        console.print(f"[magenta]确认[/] {_hm(k.at, zone)} {k.gate} {who}: 刷卡+管理人员确认({by})")
    for c in board.corrections:
        console.print(f"[cyan]补卡[/] {_hm(c.at, zone)} {c.worker_name} {c.direction}: {c.reason}")
    if csv_file is not None:
        lines: list[list[object]] = [list(_DAILY_CSV_HEADERS)]
        for p in board.present:
            w = p.worker
            lines.append([w.name, w.id_number_masked, w.company_name, w.team_name, w.trade,
                          _hm(p.first_in, zone), _hm(p.last_out, zone), f"{p.hours:.2f}",
                          p.status.mark, "是" if p.on_site else ""])  # fmt: skip
        for w in board.not_come:
            lines.append([w.name, w.id_number_masked, w.company_name, w.team_name, w.trade,
                          "", "", "0", "未到", ""])  # fmt: skip
        csv_file.write_bytes(cells.csv_bytes(lines))
        console.print(f"已写出 / written: {csv_file}")
    if xlsx_file is not None:
        xlsx_file.write_bytes(daily_xlsx.daily_xlsx(board))
        console.print(f"已写出 / written: {xlsx_file}")


def _parse_day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationFailedError(
            f"日期格式应为 YYYY-MM-DD:{value!r}", f"day must be YYYY-MM-DD: {value!r}"
        ) from None


@app.command("monthly")
@friendly_errors
def monthly_cmd(
    project: ProjectCode,
    month: Annotated[str, typer.Option("--month", help="YYYY-MM")],
    xlsx_file: XlsxFile = None,
    csv_file: CsvFile = None,
    per_company: Annotated[
        bool, typer.Option("--per-company", help="每个劳务企业一页 / one sheet per company")
    ] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """月度考勤表 / the monthly roster: day grid, days, hours, corrected days."""
    roster_service.parse_period(month)
    settings = Settings(database_url=database_url) if database_url else Settings()
    engine = make_engine(settings.database_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            pid = _project_id(session, project)
            roster = roster_service.load_month(session, project_id=pid, period=month)
            gates = checkpoints.month_anchors(session, pid, month)
    finally:
        engine.dispose()

    table = Table(title=roster_xlsx.title_of(roster), caption="\n".join(roster.rule_notes[:2]))
    for head in ("姓名 Name", "身份证号 ID", "劳务企业 Company", "班组 Team"):
        table.add_column(head)
    table.add_column("考勤 " + f"1–{len(roster.days)}", no_wrap=True)
    for head in ("天数 Days", "工时 Hours", "补卡 Corr."):
        table.add_column(head, justify="right")
    for r in roster.rows:
        m = r.month
        table.add_row(
            r.name, r.id_number_masked, r.company_name, r.team_name,
            "".join(c.status.mark for c in m.cells), f"{m.attended_days:g}",
            f"{m.total_hours:.1f}", str(m.corrected_days),
        )  # fmt: skip
    console.print(table)
    console.print(
        f"合计 / total: {len(roster.rows)} 人, "
        f"{sum(r.month.attended_days for r in roster.rows):g} 天 days, "
        f"补卡 {len(roster.corrections)} 次 corrections"
    )
    if xlsx_file is not None:
        xlsx_file.write_bytes(roster_xlsx.month_xlsx(roster, per_company=per_company, gates=gates))
        console.print(f"已写出 / written: {xlsx_file}")
    if csv_file is not None:
        csv_file.write_bytes(roster_csv.month_csv(roster))
        console.print(f"已写出 / written: {csv_file}")
