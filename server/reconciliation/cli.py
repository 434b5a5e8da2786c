"""`sitegate reconcile --project P --month YYYY-MM [--xlsx FILE] [--pdf FILE] [--today DATE]`.

`--pdf` writes the printable 工资核对报告 (server/reports/recon_pdf) of the run just made.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from models.enums import WarningLevel
from models.money import Fen, format_yuan
from server.cli import DatabaseUrl, settings_for
from server.db.session import make_engine, make_sessionmaker, unit_of_work
from server.errors import ValidationFailedError
from server.payroll import service as payroll_service
from server.payroll.cli import project_by_code
from server.reconciliation import service as recon_service
from server.reports import payslip_pdf, recon_pdf, reconciliation_xlsx
from server.rosters import service as roster_service
from sitegate_cli.errors import friendly_errors

console = Console()

LEVEL_STYLE = {
    WarningLevel.RED: ("红色 RED", "bold white on red"),
    WarningLevel.ORANGE: ("橙色 ORANGE", "bold black on dark_orange"),
    WarningLevel.YELLOW: ("黄色 YELLOW", "bold black on yellow"),
    WarningLevel.GREEN: ("绿色 GREEN", "bold white on green"),
}


def _yuan(fen: Fen | None) -> str:
    return "-" if fen is None else format_yuan(fen)


def _level(level: WarningLevel) -> str:
    text, style = LEVEL_STYLE[level]
    return f"[{style}]{text}[/]"


def print_summary(summary: recon_service.ReconSummary) -> None:
    console.print(
        f"工资核对 / reconciliation: {summary.project_name} ({summary.project_code}) "
        f"{summary.period}  发薪日 pay day {summary.pay_day.isoformat()}  "
        f"核对日期 as of {summary.today.isoformat()}"
    )
    counts = "  ".join(f"{LEVEL_STYLE[k][0]}: {v}" for k, v in summary.counts.items())
    console.print(f"预警级别 / level: {_level(summary.level)}   未处理 open: {counts}")
    if summary.stale:
        console.print(
            f"[bold red]已过期 / stale[/]: 核对后考勤已变更({summary.stale_reason_zh}),须重新核对"
            f" / attendance changed after the run ({summary.stale_reason_en}): run it again"
        )
    table = Table(title="工人明细 / workers")
    for col, justify in (
        ("姓名 Name", "left"),
        ("班组 Team", "left"),
        ("出勤 Days", "right"),
        ("应发 Expected", "right"),
        ("实发 Paid", "right"),
        ("差额 Diff", "right"),
        ("状态 Status", "left"),
        ("级别 Level", "left"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for r in summary.rows:
        table.add_row(
            r.name,
            r.team_name,
            f"{r.attended_days:g}",
            _yuan(r.expected_fen),
            _yuan(r.paid_fen),
            _yuan(r.difference_fen),
            r.status.value,
            _level(r.level) if r.level is not WarningLevel.GREEN else "-",
        )
    console.print(table)
    findings = Table(title="预警 / findings")
    for col in ("#", "级别 Level", "类型 Kind", "工人 Worker", "说明 Message", "状态 Status"):
        findings.add_column(col)
    for f in summary.findings:
        findings.add_row(
            str(f.id),
            _level(f.level),
            f.kind,
            f.worker_name or "-",
            f"{f.message_zh}\n{f.message_en}",
            f.status,
        )
    console.print(findings)
    for note in summary.rule_notes:
        console.print(f"[dim]{note}[/]")


@friendly_errors
def reconcile(
    project: Annotated[str, typer.Option("--project", help="项目编号 project code")],
    month: Annotated[str, typer.Option("--month", help="月份 YYYY-MM")],
    xlsx: Annotated[
        Path | None, typer.Option("--xlsx", help="写出 XLSX / write the report to this file")
    ] = None,
    pdf: Annotated[
        Path | None,
        typer.Option(
            "--pdf", help="写出工资核对报告 PDF / write the printable report to this file"
        ),
    ] = None,
    today: Annotated[
        str | None, typer.Option("--today", help="核对日期 as-of date YYYY-MM-DD")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """工资核对: reconcile a project's month (findings are saved), print level, table, findings."""
    as_of: dt.date | None = None
    if today is not None:
        try:
            as_of = dt.date.fromisoformat(today)
        except ValueError:
            raise ValidationFailedError(
                f"--today 格式应为 YYYY-MM-DD:{today!r}",
                f"--today must be YYYY-MM-DD: {today!r}",
            ) from None
    # Before the run: a missing font must not leave a saved run with no report written.
    font = payslip_pdf.find_cjk_font() if pdf is not None else None
    settings = settings_for(database_url)
    engine = make_engine(settings.database_url)
    comments: dict[int, str] = {}
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            target = project_by_code(session, project)
            time_zone = roster_service.project_settings(target).timezone
            summary = recon_service.run(
                session,
                project_id=target.id,
                period=month,
                today=as_of or payroll_service.project_today(target),
            )
            if pdf is not None:
                comments = recon_pdf.resolution_comments(session, summary.findings)
    finally:
        engine.dispose()
    print_summary(summary)
    if xlsx is not None:
        xlsx.parent.mkdir(parents=True, exist_ok=True)
        xlsx.write_bytes(reconciliation_xlsx.reconciliation_xlsx(summary))
        console.print(f"已写出 / written: {xlsx}")
    if pdf is not None:
        body = recon_pdf.recon_pdf(
            summary,
            generated_at=dt.datetime.now(dt.UTC),
            time_zone=time_zone,
            comments=comments,
            font=font,
        )
        pdf.parent.mkdir(parents=True, exist_ok=True)
        pdf.write_bytes(body)
        console.print(f"已写出 / written: {pdf}")
