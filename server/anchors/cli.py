"""`sitegate digest ...`: issue the missing daily digests now, or write one day's signed file
(for a regulator's platform, an inspector's archive) without the web."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.anchors import digest, server_key
from server.anchors.router import parse_day
from server.config import Settings
from server.db import migrate
from server.db.session import make_engine, make_sessionmaker, unit_of_work
from server.errors import NotFoundError, SiteGateError
from server.registry.models import Project
from sitegate_cli.errors import friendly_errors

app = typer.Typer(help="每日摘要 / daily digests", no_args_is_help=True)
console = Console()

DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", envvar="SITEGATE_DATABASE_URL", help="SQLAlchemy URL"),
]


def _settings(database_url: str | None) -> Settings:
    return Settings(database_url=database_url) if database_url else Settings()


@contextmanager
def _db(settings: Settings) -> Iterator[Session]:
    migrate.upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            yield session
    finally:
        engine.dispose()


@app.command("issue")
@friendly_errors
def issue(
    project: Annotated[int | None, typer.Option("--project", help="project id; omit: all")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Issue every missing digest up to yesterday (each project's local time) and list them."""
    settings = _settings(database_url)
    now = dt.datetime.now(dt.UTC)
    with _db(settings) as session:
        if project is None:
            ids = list(session.scalars(select(Project.id).order_by(Project.id)))
        elif session.get(Project, project) is None:
            raise NotFoundError(f"项目 {project} ", f"project {project}")
        else:
            ids = [project]
        issued = [
            row for pid in ids for row in digest.issue_through(session, settings, pid, now=now)
        ]
        lines = [f"{r.project_id} {r.day} {r.sha256}" for r in issued]
    for line in lines:
        console.print(line, soft_wrap=True)
    console.print(
        f"已签发 / issued: {len(lines)} 份每日摘要 daily digests"
        f"(服务器密钥 / server key {server_key.fingerprint(settings)})"
    )


@app.command("export")
@friendly_errors
def export(
    project: Annotated[int, typer.Option("--project", help="project id")],
    day: Annotated[str, typer.Option("--day", help="YYYY-MM-DD")],
    out: Annotated[Path, typer.Option("--out", dir_okay=False, help="file to write")],
    database_url: DatabaseUrl = None,
) -> None:
    """Write one day's digest, the same bytes as the download."""
    wanted = parse_day(day)
    settings = _settings(database_url)
    with _db(settings) as session:
        if session.get(Project, project) is None:
            raise NotFoundError(f"项目 {project} ", f"project {project}")
        row = digest.get(session, project, wanted)
        if row is None:
            raise SiteGateError(
                f"项目 {project} 在 {wanted} 的每日摘要尚未签发(先运行 sitegate digest issue)",
                f"the daily digest of project {project} for {wanted} is not issued yet "
                "(run `sitegate digest issue` first)",
                status_code=404,
            )
        data = digest.digest_file(row)
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise SiteGateError(
            f"无法写入 {out}:{exc.strerror}", f"cannot write {out}: {exc.strerror}"
        ) from None
    console.print(f"已写入 / written: {out} ({len(data)} 字节 bytes)", soft_wrap=True)
