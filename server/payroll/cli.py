"""`sitegate payroll import FILE --project CODE` and `sitegate payroll template --out DIR`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.money import format_yuan
from server.cli import DatabaseUrl, settings_for
from server.db.session import make_engine, make_sessionmaker, unit_of_work
from server.errors import NotFoundError
from server.payroll import parsers
from server.payroll import service as payroll_service
from server.payroll.parsers import RowIssue
from server.registry.models import Project
from sitegate_cli.errors import friendly_errors

console = Console()
app = typer.Typer(help="工资代发 / payroll disbursement files", no_args_is_help=True)


def project_by_code(session: Session, code: str) -> Project:
    project = session.scalar(select(Project).where(Project.code == code.strip()))
    if project is None:
        raise NotFoundError(f"项目 {code}", f"project {code}")
    return project


def issues_table(title: str, issues: list[dict[str, object]] | tuple[RowIssue, ...]) -> Table:
    table = Table(title=title, show_lines=False)
    table.add_column("行 Row", justify="right")
    table.add_column("列 Col")
    table.add_column("表头 Header")
    table.add_column("原因 Reason")
    for item in issues:
        d = payroll_service.issue_dict(item) if isinstance(item, RowIssue) else item
        table.add_row(
            str(d.get("row", "")),
            str(d.get("column") or "-"),
            str(d.get("header") or "-"),
            f"{d.get('message_zh', '')} / {d.get('message_en', '')}",
        )
    return table


@app.command("import")
@friendly_errors
def import_command(
    file: Annotated[Path, typer.Argument(help="代发结果 CSV/XLSX", exists=True, dir_okay=False)],
    project: Annotated[str, typer.Option("--project", help="项目编号 project code")],
    layout: Annotated[
        str | None, typer.Option("--layout", help="银行格式 bank layout (default: detect)")
    ] = None,
    skip_bad_rows: Annotated[
        bool, typer.Option("--skip-bad-rows", help="跳过错误行,导入其余 / import the good rows")
    ] = False,
    period: Annotated[
        str | None, typer.Option("--period", help="缺省工资所属期 default period YYYY-MM")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Import a bank 代发 result file: all rows or nothing unless --skip-bad-rows."""
    settings = settings_for(database_url)
    data = file.read_bytes()
    # Parsed before the transaction opens: the server's sign-ins never wait behind this parse.
    parsed = payroll_service.parse_upload(
        data,
        file_name=file.name,
        layout=layout,
        default_period=period,
        limits=settings.import_limits("payroll"),
    )
    engine = make_engine(settings.database_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            target = project_by_code(session, project)
            try:
                result = payroll_service.import_parsed(
                    session,
                    project_id=target.id,
                    file_name=file.name,
                    parsed=parsed,
                    user=None,
                    skip_bad_rows=skip_bad_rows,
                )
            except payroll_service.PayrollRowsError as err:
                rows = err.detail if isinstance(err.detail, list) else []
                if rows:
                    console.print(issues_table("错误行 / bad rows", rows))
                console.print(f"[bold red]未导入 / nothing imported:[/] {err.message_zh}")
                console.print(err.message_en)
                raise typer.Exit(1) from None
            lines = payroll_service.ledger(session, project_id=target.id)
            total = sum(
                e.net_fen
                for e in lines
                if e.import_id == result.import_id and e.status == "success"
            )
    finally:
        engine.dispose()
    if result.skipped:
        console.print(issues_table("已跳过的错误行 / skipped rows", result.skipped))
    if result.warnings:
        console.print(issues_table("提示 / warnings", result.warnings))
    console.print(
        f"[bold green]已导入 / imported[/] {result.row_count} 行 rows "
        f"(跳过 skipped {result.skipped_count}, 匹配工人 matched {result.matched_count}), "
        f"工资所属期 periods {', '.join(result.periods)}, "
        f"成功发放合计 successful total ¥{format_yuan(total)}, 格式 layout {result.layout}, "
        f"批次 import #{result.import_id}"
    )


@app.command("template")
@friendly_errors
def template_command(
    out: Annotated[Path, typer.Option("--out", help="输出目录 output directory")] = Path("."),
) -> None:
    """Write the payroll import templates (代发工资模板.xlsx and .csv)."""
    xlsx, csv_path = parsers.write_templates(out)
    console.print(f"已生成模板 / templates written: {xlsx}  {csv_path}")
