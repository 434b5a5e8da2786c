"""`sitegate db backup` / `sitegate db restore` (registered on the `db` group)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from server.cli import DatabaseUrl, settings_for
from server.ops import db_backup
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
