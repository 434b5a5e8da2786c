"""Server-side commands: serve, db upgrade, admin create-user."""

from __future__ import annotations

import secrets
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import func, select

from models.enums import Role
from server.auth import service as auth_service
from server.auth.models import User
from server.config import Settings
from server.db import migrate
from server.db.session import make_engine, make_sessionmaker, unit_of_work
from sitegate_cli.errors import friendly_errors

console = Console()
db_app = typer.Typer(help="数据库 / database", no_args_is_help=True)
admin_app = typer.Typer(help="管理 / administration", no_args_is_help=True)

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
) -> None:
    """Apply migrations, create the first admin if needed, and serve the API and pages."""
    import uvicorn

    from server.app import create_app

    settings = settings_for(database_url)
    migrate.upgrade(settings.database_url)
    created = ensure_admin(settings)
    if created:
        console.print(
            f"[bold green]已创建管理员 / admin created[/]: 用户名 username=[bold]{created[0]}[/] "
            f"密码 password=[bold]{created[1]}[/] (仅显示一次 / shown once)"
        )
    console.print(f"SiteGate: http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


@db_app.command("upgrade")
@friendly_errors
def db_upgrade(database_url: DatabaseUrl = None) -> None:
    """Apply all migrations (alembic upgrade heads)."""
    settings = settings_for(database_url)
    migrate.upgrade(settings.database_url)
    console.print("数据库已是最新 / database is up to date")


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
