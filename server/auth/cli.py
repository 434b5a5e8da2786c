"""`sitegate admin activation-codes`: one-time codes for a project's workers, as the printable
slips (PDF) or an XLSX, the same issue as the site page's (server/auth/activation.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth import activation
from server.config import Settings
from server.db import migrate
from server.db.session import make_engine, make_sessionmaker, unit_of_work
from server.db.types import utcnow
from server.errors import NotFoundError, SiteGateError, ValidationFailedError
from server.registry import repository as registry_repo
from server.registry.models import Team
from sitegate_cli.errors import friendly_errors

console = Console()
FORMATS = (".pdf", ".xlsx")


def _team_id(session: Session, project_id: int, team: str) -> int:
    """A team of the project by id or by name (a name two firms share must be given by id)."""
    teams = list(session.scalars(select(Team).where(Team.project_id == project_id)))
    if team.isdigit() and any(t.id == int(team) for t in teams):
        return int(team)
    named = [t for t in teams if t.name == team.strip()]
    if len(named) == 1:
        return named[0].id
    if len(named) > 1:
        ids = ", ".join(str(t.id) for t in named)
        raise ValidationFailedError(
            f"--team: 多个班组名为 {team},请用班组 id:{ids}",
            f"--team: several teams are called {team}; give its id: {ids}",
        )
    raise NotFoundError(f"班组 {team}", f"team {team}")


@friendly_errors
def activation_codes(
    project: Annotated[str, typer.Option("--project", help="project code")],
    out: Annotated[
        Path, typer.Option("--out", dir_okay=False, help="slips .pdf (to print) or .xlsx")
    ],
    team: Annotated[str | None, typer.Option("--team", help="only this team (name or id)")] = None,
    worker_id: Annotated[
        list[int] | None, typer.Option("--worker-id", help="only these workers (repeatable)")
    ] = None,
    reset: Annotated[
        bool, typer.Option("--reset", help="also workers with an account: resets its password")
    ] = False,
    url: Annotated[
        str | None,
        typer.Option("--url", help="address workers open (default SITEGATE_PUBLIC_URL)"),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", envvar="SITEGATE_DATABASE_URL", help="SQLAlchemy URL"),
    ] = None,
) -> None:
    """Issue one-time activation codes to the project's workers without an account (or a team's,
    or --worker-id's) and write them once to --out; each replaces the worker's unused code."""
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise ValidationFailedError(
            "--out: 文件须为 .pdf(开通单)或 .xlsx", "--out: the file must be .pdf (slips) or .xlsx"
        )
    settings = Settings(database_url=database_url) if database_url else Settings()
    base_url = url or settings.public_url
    if not base_url:
        raise ValidationFailedError(
            "请用 --url 或 SITEGATE_PUBLIC_URL 给出工人用手机打开的网址(印在开通单上)",
            "give the address workers open on their phones (printed on the slips) with --url "
            "or SITEGATE_PUBLIC_URL",
        )
    if worker_id and team:
        raise ValidationFailedError(
            "--team 与 --worker-id 只能用一个", "give --team or --worker-id, not both"
        )
    if suffix == ".pdf":
        from server.reports import activation_pdf

        activation_pdf.ensure_font()  # no CJK font: say so before any code is issued
    _check_writable(out)
    migrate.upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            found = registry_repo.project_by_code(session, project)
            if found is None:
                raise NotFoundError(f"项目 {project}", f"project {project}")
            result = activation.issue_codes(
                session,
                settings,
                None,
                found,
                base_url=base_url,
                now=utcnow(),
                worker_ids=list(worker_id) if worker_id else None,
                team_id=_team_id(session, found.id, team) if team else None,
                reset_existing=reset,
                via="cli",
            )
    finally:
        engine.dispose()
    if result.issued:
        # After the commit: typesetting takes seconds for a big project, and on SQLite an open
        # transaction would hold every other writer (a gate's upload) meanwhile.
        _write(out, _render(result, suffix))
    for s in result.skipped:
        console.print(f"跳过 skipped: {s.name} {s.id_number_masked}: {s.reason_zh} / {s.reason_en}")
    if not result.issued:
        console.print("未发放任何激活码 / no code issued; 未写文件 / no file written")
        raise typer.Exit(1)
    console.print(
        f"已发放 / issued: {len(result.issued)} 个激活码 codes -> {out} "
        f"(有效至 valid until {result.expires_at:%Y-%m-%d %H:%M} UTC; "
        f"作废旧码 voided {result.voided}; 跳过 skipped {len(result.skipped)})\n"
        "激活码只在此文件中,请妥善保管 / the codes are in this file only: keep it safe"
    )


def _check_writable(out: Path) -> None:
    """Before any code is issued: a file that cannot be written would leave codes nobody has."""
    if out.exists() and out.is_dir():
        raise ValidationFailedError(f"--out: {out} 是文件夹", f"--out: {out} is a folder")
    if not out.parent.is_dir():
        raise ValidationFailedError(
            f"--out: 文件夹 {out.parent} 不存在", f"--out: the folder {out.parent} does not exist"
        )
    try:
        with out.open("ab"):
            pass
    except OSError as exc:
        raise SiteGateError(
            f"无法写入 {out}:{exc.strerror}", f"cannot write {out}: {exc.strerror}"
        ) from None
    if out.stat().st_size == 0:
        out.unlink()  # made by the check itself: the file appears only with codes in it


def _write(out: Path, data: bytes) -> None:
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise SiteGateError(
            f"无法写入 {out}:{exc.strerror}", f"cannot write {out}: {exc.strerror}"
        ) from None


def _render(result: activation.IssueResult, suffix: str) -> bytes:
    # Imported here: typesetting loads fpdf2 and the CJK font, which other commands never need.
    if suffix == ".pdf":
        from server.reports import activation_pdf

        return activation_pdf.activation_pdf(result)
    from server.reports import activation_xlsx

    return activation_xlsx.activation_xlsx(result)
