"""The `sitegate` command. Each area contributes its own Typer group; heavy imports stay lazy."""

from __future__ import annotations

import os
import sys

import typer

from drivers import cli as drivers_cli
from edge import cli as edge_cli
from server import cli as server_cli
from server.anchors import cli as digest_cli
from server.ops import cli as ops_cli
from server.payroll import cli as payroll_cli
from server.platform import cli as platform_cli
from server.reconciliation import cli as reconciliation_cli
from server.registry import cli as registry_cli
from server.rosters import cli as roster_cli
from server.safeguards import cli as safeguards_cli
from server.terminals import cli as terminal_cli
from server.wages import cli as wages_cli
from sitegate_cli import demo
from sitegate_cli import verify as verify_cli
from sitegate_cli.errors import is_user_error, report

app = typer.Typer(
    help="SiteGate 实名制闸机考勤与工资核对 / real-name site gates, attendance and wage checks",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("server", help="启动服务器 / start the server")(server_cli.serve)
app.add_typer(server_cli.db_app, name="db")
server_cli.db_app.command("backup")(ops_cli.backup)
server_cli.db_app.command("restore")(ops_cli.restore)
app.add_typer(server_cli.admin_app, name="admin")
app.add_typer(registry_cli.app, name="registry")
app.add_typer(edge_cli.app, name="edge")
app.add_typer(drivers_cli.app, name="drivers")
app.add_typer(roster_cli.app, name="roster")
app.add_typer(payroll_cli.app, name="payroll")
app.add_typer(wages_cli.app, name="wages")
app.add_typer(digest_cli.app, name="digest")
app.add_typer(terminal_cli.app, name="terminals")
app.add_typer(platform_cli.app, name="platform")
app.add_typer(safeguards_cli.app, name="safeguards")
app.add_typer(ops_cli.retention_app, name="retention")
app.command("reconcile")(reconciliation_cli.reconcile)
app.command("demo")(demo.run)
app.command("verify")(verify_cli.verify)


def main() -> None:
    if fmt := os.environ.get("SITEGATE_LOG_FORMAT"):
        # Set: every command logs in that format (JSON lines for a log collector); unset: the
        # commands print as before and log warnings only.
        from server.ops import logs

        try:
            logs.configure(fmt, os.environ.get("SITEGATE_LOG_LEVEL", "WARNING"))
        except logs.LogSettingsError as exc:
            report(exc)
            sys.exit(1)
    try:
        app()
    except Exception as exc:  # last line of defence: a user error never shows a traceback
        if not is_user_error(exc):
            raise
        report(exc)
        sys.exit(1)
