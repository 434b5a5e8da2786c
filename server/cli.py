"""Server-side commands: serve, db upgrade, admin create-user / list-users / set-password /
deactivate / activate / activation-codes."""

from __future__ import annotations

import asyncio
import functools
import secrets
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.enums import Role
from server.auth import cli as auth_cli
from server.auth import repository as auth_repo
from server.auth import service as auth_service
from server.auth.models import User
from server.auth.schemas import UserUpdate
from server.config import Settings, generate_key_files
from server.db import migrate
from server.db.session import make_engine, make_sessionmaker, unit_of_work
from server.errors import NotFoundError, SiteGateError
from server.registry import repository as registry_repo
from sitegate_cli.errors import friendly_errors, report
from sitegate_cli.systemd import Notifier

if TYPE_CHECKING:
    from types import FrameType

    import uvicorn

console = Console()
db_app = typer.Typer(help="数据库 / database", no_args_is_help=True)
admin_app = typer.Typer(help="管理 / administration", no_args_is_help=True)
admin_app.command("activation-codes")(auth_cli.activation_codes)

DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", envvar="SITEGATE_DATABASE_URL", help="SQLAlchemy URL"),
]


def settings_for(database_url: str | None) -> Settings:
    return Settings(database_url=database_url) if database_url else Settings()


def ensure_admin(settings: Settings) -> tuple[str, str] | None:
    """Create the first admin account if there is none; returns (username, password) once."""
    engine = make_engine(settings.database_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            if session.scalar(select(func.count()).select_from(User)):
                return None
            password = secrets.token_urlsafe(12)
            auth_service.create_user(
                session, username="admin", password=password, role=Role.ADMIN, full_name="管理员"
            )
            return "admin", password
    finally:
        engine.dispose()


@friendly_errors
def serve(
    host: Annotated[str, typer.Option(help="listen address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="listen port")] = 8000,
    database_url: DatabaseUrl = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            envvar="SITEGATE_WORKERS",
            help="server processes (more than 1: PostgreSQL only)",
        ),
    ] = None,
) -> None:
    """Apply migrations, create the first admin if needed, and serve the API and pages."""
    import uvicorn

    from server import workers as server_workers
    from server.app import create_app
    from server.ops import logs

    settings = settings_for(database_url)
    processes = workers or settings.workers
    server_workers.check(settings.database_url, processes)  # before migrating anything
    logs.configure(settings.log_format, settings.log_level)
    migrate.upgrade(settings.database_url)
    created = ensure_admin(settings)
    if created:
        console.print(
            f"[bold green]已创建管理员 / admin created[/]: 用户名 username=[bold]{created[0]}[/] "
            f"密码 password=[bold]{created[1]}[/] (仅显示一次 / shown once)"
        )
    console.print(f"SiteGate: http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
    # log_config=None: uvicorn's loggers keep the handler set above (JSON or console lines).
    if processes > 1:
        # several workers: uvicorn's supervisor (server/workers.py); systemd's notify
        # protocol is spoken by the single-process server only (deploy/systemd runs one)
        server_workers.prepare(settings, processes)
        server_workers.run(host, port, processes)
        return
    config = uvicorn.Config(create_app(settings), host=host, port=port, log_config=None)
    server = uvicorn.Server(config)
    with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
        runner.run(serve_notifying(server, Notifier()))


async def serve_notifying(server: uvicorn.Server, notifier: Notifier) -> None:
    """Run uvicorn and speak systemd's notify protocol: READY=1 once it listens, WATCHDOG=1
    from its own event loop (so a wedged loop stops the pings and systemd restarts the
    server), STOPPING=1 as soon as a signal starts the graceful shutdown."""
    handle_exit = server.handle_exit

    def on_signal(sig: int, frame: FrameType | None) -> None:
        if not server.should_exit:
            notifier.stopping()
        handle_exit(sig, frame)

    # uvicorn installs server.handle_exit for SIGINT/SIGTERM, and re-raises the signal once
    # shut down, which ends the process before any code after serve() would run.
    server.handle_exit = on_signal  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    while not server.started and not task.done():
        await asyncio.wait({task}, timeout=0.05)
    if server.started:
        notifier.ready("serving")
    # At least once a second, well within any WatchdogSec (the pings are one datagram each).
    every = min(notifier.ping_interval_s() or 1.0, 1.0)
    while not task.done():
        notifier.watchdog()
        await asyncio.wait({task}, timeout=every)
    await task


@db_app.command("upgrade")
@friendly_errors
def db_upgrade(database_url: DatabaseUrl = None) -> None:
    """Apply all migrations (alembic upgrade heads)."""
    settings = settings_for(database_url)
    migrate.upgrade(settings.database_url)
    console.print("数据库已是最新 / database is up to date")


@admin_app.command("generate-keys")
@friendly_errors
def generate_keys(
    out_dir: Annotated[Path, typer.Option("--out-dir", help="folder for secret.key, template.key")],
) -> None:
    """Write two fresh 32-byte keys (owner-only files) for SITEGATE_SECRET_KEY_FILE and
    SITEGATE_TEMPLATE_KEY_FILE. Back up template.key: face templates cannot be read without it."""
    try:
        paths = generate_key_files(out_dir)
    except FileExistsError as exc:
        raise SiteGateError(
            f"密钥文件已存在,不会覆盖:{exc.filename}",
            f"a key file exists already and is not overwritten: {exc.filename}",
        ) from None
    for path, env in zip(
        paths, ("SITEGATE_SECRET_KEY_FILE", "SITEGATE_TEMPLATE_KEY_FILE"), strict=True
    ):
        console.print(f"{env}={path}")
    console.print(
        "请备份 template.key:没有它无法读取人脸模板 / back up template.key: face templates need it"
    )


@admin_app.command("create-user")
@friendly_errors
def create_user(
    username: Annotated[str, typer.Argument()],
    role: Annotated[Role, typer.Option(help="admin / site_manager / inspector / worker")],
    password: Annotated[str | None, typer.Option(help="omit to generate one, printed once")] = None,
    full_name: Annotated[str, typer.Option()] = "",
    region: Annotated[str, typer.Option(help="inspector's region")] = "",
    project_id: Annotated[
        list[int] | None, typer.Option(help="project in scope (repeatable)")
    ] = None,
    worker_id: Annotated[int | None, typer.Option(help="for worker accounts")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create an account."""
    settings = settings_for(database_url)
    migrate.upgrade(settings.database_url)
    pw = password or secrets.token_urlsafe(12)
    engine = make_engine(settings.database_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            user = auth_service.create_user(
                session,
                username=username,
                password=pw,
                role=role,
                full_name=full_name,
                region=region,
                worker_id=worker_id,
                project_ids=project_id or [],
            )
            auth_service.audit(session, None, "create", "user", user.id, detail={"via": "cli"})
    finally:
        engine.dispose()
    console.print(
        f"已创建 / created: {username} ({role.value})"
        + ("" if password else f" 密码 password={pw}")
    )


# --- account management --------------------------------------------------------------------

P = ParamSpec("P")
R = TypeVar("R")


def _usage_errors(func: Callable[P, R]) -> Callable[P, R]:
    """A refused account change is the operator's to fix: one bilingual line, exit 2, no
    traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except SiteGateError as exc:
            report(exc)  # a refused password lists every problem in this one line
            raise typer.Exit(2) from None

    return wrapper


@contextmanager
def _db(database_url: str | None) -> Iterator[Session]:
    settings = settings_for(database_url)
    migrate.upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            yield session
    finally:
        engine.dispose()


@admin_app.command("list-users")
@_usage_errors
def list_users(
    role: Annotated[
        Role | None, typer.Option(help="admin / site_manager / inspector / worker")
    ] = None,
    project: Annotated[
        str | None, typer.Option(help="project code: accounts with it in scope")
    ] = None,
    search: Annotated[str | None, typer.Option("--search", "-q", help="username or name")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """List accounts (role, scope, state) as a table."""
    with _db(database_url) as session:
        project_id = None
        if project is not None:
            found = registry_repo.project_by_code(session, project)
            if found is None:
                raise NotFoundError(f"项目 {project} ", f"project {project}")
            project_id = found.id
        rows, total = auth_repo.list_users(
            session, role=role, project_id=project_id, q=search, limit=registry_repo.MAX_LIMIT
        )
        scopes = auth_repo.project_ids_of(session, [u.id for u in rows])
        table = Table(title=f"用户 / users ({total})")
        for col in ("用户名 / user", "姓名 / name", "角色 / role", "项目 / projects",
                    "地区 / region", "工人 / worker", "状态 / state"):  # fmt: skip
            table.add_column(col)
        for u in rows:
            state = "启用 active" if u.active else "停用 inactive"
            if u.must_change_password:
                state += ", 待改密码 must change password"
            table.add_row(
                u.username,
                u.full_name,
                u.role.value,
                ", ".join(str(p) for p in scopes.get(u.id, [])),
                u.region,
                "" if u.worker_id is None else str(u.worker_id),
                state,
            )
    console.print(table)
    if total > len(rows):
        console.print(f"仅显示前 {len(rows)} 个 / first {len(rows)} shown: use --role/--project/-q")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt(
        "新密码 / new password", hide_input=True, confirmation_prompt="再输入一次 / repeat"
    )
    return password


@admin_app.command("set-password")
@_usage_errors
def set_password(
    username: Annotated[str, typer.Argument()],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from the first stdin line")
    ] = False,
    must_change: Annotated[
        bool, typer.Option("--must-change/--no-must-change", help="change it at next sign-in")
    ] = True,
    database_url: DatabaseUrl = None,
) -> None:
    """Set a password (asked twice, hidden); every session of the account ends. Audited,
    without the password."""
    with _db(database_url) as session:
        user = auth_service.get_by_username_or_raise(session, username)
        password = _read_password(password_stdin)
        ended = auth_service.set_password(
            session, None, user, password=password, must_change=must_change, via="cli"
        )
    console.print(
        f"已设置密码 / password set: {username}; 已退出登录 / sessions ended: {ended}"
        + ("; 下次登录须修改 / must change at next sign-in" if must_change else "")
    )


def _set_active(database_url: str | None, username: str, active: bool) -> bool:
    with _db(database_url) as session:
        user = auth_service.get_by_username_or_raise(session, username)
        changes = auth_service.update_user(
            session, None, user, data=UserUpdate(active=active), via="cli"
        )
    return bool(changes)


@admin_app.command("deactivate")
@_usage_errors
def deactivate(
    username: Annotated[str, typer.Argument()], database_url: DatabaseUrl = None
) -> None:
    """Deactivate an account: it can no longer sign in and its sessions end. The last active
    admin cannot be deactivated."""
    changed = _set_active(database_url, username, False)
    console.print(
        f"已停用 / deactivated: {username}"
        if changed
        else f"本已停用 / already inactive: {username}"
    )


@admin_app.command("activate")
@_usage_errors
def activate(username: Annotated[str, typer.Argument()], database_url: DatabaseUrl = None) -> None:
    """Activate an account again (its sign-in lockout is cleared too)."""
    changed = _set_active(database_url, username, True)
    console.print(
        f"已启用 / activated: {username}" if changed else f"本已启用 / already active: {username}"
    )
