"""`sitegate db backup` / `sitegate db restore` (on the `db` group) and `sitegate retention`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from server.cli import DatabaseUrl, settings_for
from server.ops import db_backup
from server.ops.errors import BackupError
from sitegate_cli.errors import friendly_errors

console = Console()


@friendly_errors
def backup(
    to: Annotated[Path, typer.Option("--to", help="备份文件 / the backup file to write")],
    database_url: DatabaseUrl = None,
) -> None:
    """备份数据库(运行中也一致)/ back up the database, consistent while gates upload."""
    settings = settings_for(database_url)
    manifest = db_backup.backup(settings.database_url, to)
    console.print(
        f"已备份 / backed up: {to} ({manifest.kind}, {manifest.size} bytes, "
        f"schema {', '.join(manifest.schema)}, sha256 {manifest.sha256[:16]}…)"
    )


@friendly_errors
def restore(
    file: Annotated[Path, typer.Argument(help="备份文件 / the backup file")],
    database_url: DatabaseUrl = None,
    force: Annotated[
        bool, typer.Option("--force", help="覆盖非空数据库 / replace a database that is not empty")
    ] = False,
) -> None:
    """从备份恢复,然后升级到最新 / restore a backup, then apply the migrations."""
    settings = settings_for(database_url)
    result = db_backup.restore(settings.database_url, file, force=force)
    for note in result.notes:
        console.print(f"[yellow]注意 / note:[/] {note}")
    console.print(
        f"已恢复 / restored: {file} (made {result.manifest.created_at} at schema "
        f"{', '.join(result.manifest.schema)}; now {', '.join(result.schema_after)})"
    )


retention_app = typer.Typer(help="保存期限 / retention", no_args_is_help=True)


@retention_app.command("run")
@friendly_errors
def retention_run(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="只列出将删除的数量 / only count what would go")
    ] = False,
    today: Annotated[
        str | None, typer.Option("--today", help="YYYY-MM-DD, 默认今天 / default today")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """按保存期限删除到期数据 / delete what is past its retention (RULES.md)."""
    from server import command
    from server.ops import retention
    from server.ops.retention_rules import KIND_TEXT

    day = _date(today, "--today") if today else dt.datetime.now(dt.UTC).date()
    retention.check_today(day, dry_run=dry_run)
    with command.units(database_url) as (units, _settings):
        with units() as session:
            plan = retention.make_plan(session, day)
        if not dry_run and plan.total():
            retention.apply(units, plan)
    table = Table(
        title=f"{'将删除 / would delete' if dry_run else '已删除 / deleted'} ({day.isoformat()})"
    )
    for column in ("项目 / project", "类别 / kind", "条数 / count"):
        table.add_column(column)
    for line in plan.lines:
        zh, en = KIND_TEXT[line.kind]
        table.add_row(line.project or "-", f"{zh} / {en}", str(line.count))
    if plan.lines:
        console.print(table)
    else:
        console.print(f"没有到期数据 / nothing is past its retention ({day.isoformat()})")


@retention_app.command("settle")
@friendly_errors
def retention_settle(
    project: Annotated[str, typer.Argument(help="项目编号 / project code")],
    on: Annotated[str, typer.Option("--on", help="工资结清日期 YYYY-MM-DD / day wages settled")],
    note: Annotated[str, typer.Option("--note", help="说明 / note")] = "",
    database_url: DatabaseUrl = None,
) -> None:
    """记录项目工资已结清(保存期限从此日起算三年)/ record the day a project's wages settled."""
    from server import command
    from server.ops import retention
    from server.ops.retention_rules import settled_keep_until

    day = _date(on, "--on")
    with command.unit(database_url) as (session, _settings):
        row = retention.settle(session, command.project(session, project), day, note)
        until = settled_keep_until(row.settled_on)
    console.print(
        f"已记录 / recorded: {project} 工资结清 settled {day.isoformat()}; "
        f"台账与考勤至少保存至 kept at least until {until.isoformat()}"
    )


def _date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BackupError(
            f"{option} 须为 YYYY-MM-DD 日期,不是 {text!r}",
            f"{option} must be a YYYY-MM-DD date, not {text!r}",
        ) from None
