"""`sitegate safeguards import-statement FILE --project CODE`: the wage account's statement."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from models.money import format_yuan
from server import command
from server.cli import DatabaseUrl, settings_for
from server.safeguards import service as safeguard_service
from server.safeguards.statement import StatementFileError
from sitegate_cli.errors import friendly_errors

console = Console()
app = typer.Typer(help="工资支付保障 / wage-payment safeguards", no_args_is_help=True)


def _problems(err: StatementFileError) -> Table:
    table = Table(title="错误 / errors")
    table.add_column("行 Row", justify="right")
    table.add_column("列 Col")
    table.add_column("原因 Reason")
    problems = err.detail.get("problems", []) if isinstance(err.detail, dict) else []
    for p in problems:
        table.add_row(str(p["row"]), str(p["column"]), f"{p['message_zh']} / {p['message_en']}")
    return table


@app.command("import-statement")
@friendly_errors
def import_statement(
    file: Annotated[Path, typer.Argument(help="专户流水 CSV/XLSX", exists=True, dir_okay=False)],
    project: Annotated[str, typer.Option("--project", help="项目编号 project code")],
    database_url: DatabaseUrl = None,
) -> None:
    """Import the wage account's statement: every booking, or nothing when a cell is bad."""
    settings = settings_for(database_url)
    limits = settings.import_limits("payroll")
    with file.open("rb") as f:
        data = f.read(limits.max_bytes + 1)  # one byte over the cap is enough to refuse
    try:  # parsed before the transaction opens
        rows = safeguard_service.parse_statement(data, file_name=file.name, limits=limits)
    except StatementFileError as err:
        if isinstance(err.detail, dict) and err.detail.get("problems"):
            console.print(_problems(err))
        raise
    with command.unit(database_url) as (session, _):
        out = safeguard_service.import_statement(
            session, project_id=command.project(session, project).id, file_name=file.name,
            data=data, rows=rows, user=None,
        )  # fmt: skip
    if out.already_imported:
        console.print(
            f"该流水此前已导入 / already imported (#{out.id}): 未重复记账 nothing booked twice"
        )
        return
    console.print(
        f"[bold green]已导入 / imported[/] {out.row_count} 笔 bookings (新 new {out.new_count}), "
        f"{out.first_on} – {out.last_on}, "
        f"人工费用拨付 labour cost in ¥{format_yuan(out.labour_inflow_fen)}, "
        f"代发 payouts ¥{format_yuan(out.payout_fen)}, 批次 statement #{out.id}"
    )
