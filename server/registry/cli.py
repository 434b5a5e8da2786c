"""`sitegate registry ...`: the 花名册 import, gates with their provisioning codes, and the gate
confirmers (card + manager confirmation, the alternative to face)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from models.enums import AssignmentStatus, Direction
from models.errors import ContractError
from models.ids import normalise_card_uid
from server import command
from server.config import Settings
from server.db import migrate
from server.db.session import make_engine, make_sessionmaker, unit_of_work
from server.errors import NotFoundError, SiteGateError, ValidationFailedError
from server.registry import importer, roster_import
from server.registry import repository as repo
from server.registry import service as registry_service
from server.registry import settings as project_settings
from server.registry.models import Project
from server.registry.schemas import DeviceCreate, DeviceCreateIn, GateConfirmerIn
from server.reports import workers_xlsx
from server.terminals import cli as terminal_cli
from sitegate_cli.errors import err_console, friendly_errors, report

T = TypeVar("T")

app = typer.Typer(help="实名制登记 / worker registry", no_args_is_help=True)
console = Console()


class _NothingImported(Exception):
    """Raised inside the unit of work so an all-or-nothing failure rolls back."""

    def __init__(self, report: roster_import.ImportReport) -> None:
        self.report = report


def _issues_table(report: roster_import.ImportReport) -> Table:
    table = Table(title="有问题的行 / bad rows", show_lines=False)
    table.add_column("行 row", justify="right")
    table.add_column("列 column")
    table.add_column("原因 reason")
    for issue in report.errors:
        column = f"{issue.column} {issue.header}" if issue.column else (issue.header or "")
        table.add_row(str(issue.row), column, f"{issue.message_zh} / {issue.message_en}")
    return table


@app.command("import-workers")
@friendly_errors
def import_workers(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="XLSX or CSV")],
    project: Annotated[str, typer.Option("--project", help="project code")],
    skip_bad_rows: Annotated[
        bool, typer.Option("--skip-bad-rows", help="import the good rows, report the bad")
    ] = False,
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", envvar="SITEGATE_DATABASE_URL", help="SQLAlchemy URL"),
    ] = None,
) -> None:
    """Import a worker roster (花名册); exits 1 when nothing was imported."""
    settings = Settings(database_url=database_url) if database_url else Settings()
    migrate.upgrade(settings.database_url)
    # Parsed before the transaction opens: the server's sign-ins never wait behind this parse.
    parsed = importer.parse_roster_file(
        file.read_bytes(), file.name, limits=settings.import_limits("roster")
    )
    engine = make_engine(settings.database_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            found = repo.project_by_code(session, project)
            if found is None:
                raise NotFoundError(f"项目 {project}", f"project {project}")
            report = roster_import.import_parsed_roster(
                session, None, found, parsed, filename=file.name, skip_bad_rows=skip_bad_rows
            )
            if report.imported == 0:
                raise _NothingImported(report)
    except _NothingImported as stop:
        report = stop.report
    finally:
        engine.dispose()
    if report.errors:
        console.print(_issues_table(report))
    console.print(
        f"已导入 / imported: {report.imported} 行 rows "
        f"(新建 created {report.created_workers}, 更新 updated {report.updated_workers}); "
        f"错误 errors: {len(report.errors)}; 警告 warnings: {len(report.warnings)}"
    )
    if report.imported == 0:
        strict = bool(report.errors) and not skip_bad_rows
        raise SiteGateError(
            "未导入任何工人" + ("(全部或全不导入模式)" if strict else ""),
            "nothing imported" + (" (all-or-nothing mode)" if strict else ""),
            code="roster.nothing_imported",
        )


DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", envvar="SITEGATE_DATABASE_URL", help="SQLAlchemy URL"),
]


def _issue_code(
    database_url: str | None, project: str, gate: str, create: DeviceCreate | None
) -> tuple[str, str]:
    def issue(session: Session, found: Project) -> tuple[str, dt.datetime]:
        device = (
            registry_service.create_device(session, None, found, data=create)
            if create is not None
            else repo.device_by_code(session, gate)
        )
        if device is None or device.project_id != found.id:
            raise NotFoundError(f"闸机 {gate}", f"gate {gate}")
        return registry_service.issue_provisioning_code(session, None, device)

    code, expires = _in_project(database_url, project, issue)
    return code, f"{expires:%Y-%m-%d %H:%M} UTC"


def _print_code(gate: str, code: str, expires: str) -> None:
    console.print(
        f"闸机 gate [bold]{gate}[/] 一次性注册码 / one-time provisioning code: [bold]{code}[/] "
        f"(有效至 valid until {expires}; 仅显示一次 / shown once)\n"
        f"在闸机电脑上 / on the gate PC: sitegate edge provision --config gate.yaml --code {code}"
    )


def _flag_error(exc: ValidationError) -> ValidationFailedError:
    """A schema refusal named by the CLI option the value came in."""
    first = exc.errors()[0]
    flag = "--" + str(first["loc"][0] if first["loc"] else "").replace("_", "-")
    msg = str(first["msg"]).removeprefix("Value error, ")
    zh = msg if not msg.isascii() else f"取值无效 / {msg}"
    return ValidationFailedError(f"{flag}: {zh}", f"{flag}: {msg}", detail=[{"field": flag}])


@app.command("export-workers")
@friendly_errors
def export_workers(
    project: Annotated[str, typer.Option("--project", help="project code")],
    out: Annotated[Path, typer.Option("--out", dir_okay=False, help="XLSX file to write")],
    status: Annotated[
        AssignmentStatus | None, typer.Option("--status", help="pending / active / left")
    ] = None,
    masked: Annotated[
        bool, typer.Option("--masked", help="mask ID/bank numbers (not re-importable)")
    ] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Export the workers (花名册) in the import template's columns; audited when full."""

    def work(session: Session, found: Project) -> tuple[bytes, int]:
        export = registry_service.export_workers(session, None, found, status=status, masked=masked)
        return workers_xlsx.workers_xlsx(export), len(export.lines)

    data, count = _in_project(database_url, project, work)
    out.write_bytes(data)
    console.print(
        f"已导出 / exported: {count} 人 workers -> {out}"
        + (" (脱敏,不可重新导入 / masked, not re-importable)" if masked else "")
    )


@app.command("add-gate")
@friendly_errors
def add_gate(
    project: Annotated[str, typer.Option("--project", help="project code")],
    code: Annotated[str, typer.Option("--code", help="gate code, e.g. GATE-A-IN")],
    direction: Annotated[Direction, typer.Option(help="in / out")] = Direction.IN,
    name: Annotated[str, typer.Option(help="display name, e.g. 1号门 进")] = "",
    model: Annotated[
        str, typer.Option(help="gate profile under firmware_configs/gates, e.g. standard-two-way")
    ] = "",
    enrollment: Annotated[
        bool, typer.Option("--enrollment", help="an enrollment station, not a gate")
    ] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Register a gate (or enrollment station) and print its one-time provisioning code."""
    try:
        data = DeviceCreateIn(
            code=code,
            name=name,
            direction=direction,
            model=model,
            kind="enrollment" if enrollment else "gate",
        )
    except ValidationError as exc:
        raise _flag_error(exc) from None
    issued, expires = _issue_code(database_url, project, code, data)
    _print_code(code, issued, expires)


app.command("add-terminal")(terminal_cli.add_terminal)
app.command("approve-terminal")(terminal_cli.approve_terminal)


@app.command("provisioning-code")
@friendly_errors
def provisioning_code(
    project: Annotated[str, typer.Option("--project", help="project code")],
    gate: Annotated[str, typer.Option("--gate", help="gate code")],
    database_url: DatabaseUrl = None,
) -> None:
    """Issue a new one-time provisioning code for a registered gate (replaces any earlier one)."""
    issued, expires = _issue_code(database_url, project, gate, None)
    _print_code(gate, issued, expires)


# --- gate confirmers ---------------------------------------------------------------------------


def _in_project(database_url: str | None, project: str, work: Callable[[Session, Project], T]) -> T:
    """Run `work` in one unit of work on the project found by code (migrations applied first)."""
    with command.unit(database_url) as (session, _settings):
        return work(session, command.project(session, project))


def _card(value: str) -> str:
    try:
        return normalise_card_uid(value)
    except ContractError as exc:
        raise ValidationFailedError(
            f"--card: {exc.message_zh}", f"--card: {exc.message_en}", detail=[{"field": "card"}]
        ) from None


@app.command("add-confirmer")
@friendly_errors
def add_confirmer(
    project: Annotated[str, typer.Option("--project", help="project code")],
    card: Annotated[str, typer.Option("--card", help="the confirmer's IC card UID (hex)")],
    name: Annotated[str, typer.Option("--name", help="the confirmer's name, e.g. 王经理")],
    user_id: Annotated[
        int | None, typer.Option("--user-id", help="their server account id, if any")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Allow someone to confirm workers at the project's gates with their IC card."""
    uid = _card(card)
    try:
        data = GateConfirmerIn(card_uid=uid, name=name, user_id=user_id)
    except ValidationError as exc:
        first = exc.errors()[0]
        flag = "--" + str(first["loc"][0]).replace("_", "-")
        raise ValidationFailedError(
            f"{flag}: 取值无效", f"{flag}: {first['msg']}", detail=[{"field": flag}]
        ) from None

    def work(session: Session, found: Project) -> tuple[int, str]:
        added = registry_service.add_confirmer(session, None, found, data=data)
        return added.id, added.card_uid

    confirmer_id, uid = _in_project(database_url, project, work)
    console.print(
        f"已添加确认人 / confirmer added: #{confirmer_id} {name} 卡 card {uid} "
        "(闸机下次同步花名册后生效 / effective at the gates' next roster download)"
    )


@app.command("deactivate-confirmer")
@friendly_errors
def deactivate_confirmer(
    project: Annotated[str, typer.Option("--project", help="project code")],
    card: Annotated[str, typer.Option("--card", help="the confirmer's IC card UID (hex)")],
    database_url: DatabaseUrl = None,
) -> None:
    """Stop a card from confirming at the project's gates (the record of it stays)."""
    uid = _card(card)

    def work(session: Session, found: Project) -> None:
        confirmer = repo.active_confirmer_by_card(session, found.id, uid)
        if confirmer is None:
            raise NotFoundError(f"卡号为 {uid} 的确认人", f"active confirmer with card {uid}")
        registry_service.deactivate_confirmer(session, None, confirmer)

    _in_project(database_url, project, work)
    console.print(f"已停用确认人卡 / confirmer card deactivated: {uid}")


@app.command("list-confirmers")
@friendly_errors
def list_confirmers(
    project: Annotated[str, typer.Option("--project", help="project code")],
    include_inactive: Annotated[
        bool, typer.Option("--all", help="also the deactivated ones")
    ] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """The project's gate confirmers."""

    def work(session: Session, found: Project) -> list[tuple[str, ...]]:
        rows = repo.list_confirmers(session, found.id, active_only=not include_inactive)
        return [
            (
                str(c.id),
                c.card_uid,
                c.name,
                "" if c.user_id is None else str(c.user_id),
                "是 yes" if c.active else "否 no",
            )
            for c in rows
        ]

    table = Table(title="闸机确认人 / gate confirmers")
    for column in ("id", "卡 card", "姓名 name", "用户 user", "有效 active"):
        table.add_column(column)
    for row in _in_project(database_url, project, work):
        table.add_row(*row)
    console.print(table)


# --- project settings --------------------------------------------------------------------------


def _settings_patch(sets: list[str], resets: list[str]) -> project_settings.SettingsPatch:
    """`--set section.field=value` / `--reset section.field` as the API's PATCH body."""
    raw: dict[str, dict[str, object]] = {}
    bad: list[dict[str, str]] = []
    pairs: list[tuple[str, str | None, str]] = [
        (item.partition("=")[0].strip(), item.partition("=")[2].strip(), item) for item in sets
    ]
    pairs += [(key.strip(), None, key) for key in resets]
    for key, value, given in pairs:
        section, dot, name = key.partition(".")
        if not dot or not name or (value is not None and "=" not in given):
            bad.append({"field": key or given, "message": "expected section.field=value"})
            continue
        raw.setdefault(section, {})[name] = value  # None resets; text is parsed by the schema
    if bad:
        names = ", ".join(b["field"] for b in bad)
        raise ValidationFailedError(
            f"设置项格式应为 section.field=value:{names}",
            f"a setting is given as section.field=value: {names}",
            detail=bad,
        )
    return project_settings.parse_patch(raw)


def _as_typed(value: project_settings.Scalar) -> str:
    """A value as --set takes it back."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "-" if value is None else str(value)


def _settings_table(out: project_settings.ProjectSettingsOut) -> Table:
    table = Table(title=f"项目设置 / project settings (roster version {out.roster_version})")
    # The key is what --set takes: it folds, never cut; the label goes under it.
    longest = max(len(r.key) for s in out.sections for r in s.settings)
    table.add_column("设置 setting", min_width=longest)
    for header in ("当前\nvalue", "默认\ndefault", "已改\nchanged"):
        table.add_column(header, overflow="fold", max_width=8)  # fits 80 columns
    for section in out.sections:
        table.add_section()
        for row in section.settings:
            unit = f" ({row.unit})" if row.unit else ""
            note = "是 yes" if row.overridden else ""
            if row.read_only:
                note += " 只读 read-only"
            if row.invalid_stored:
                note += " 无效 invalid"
            table.add_row(
                f"{row.key}\n[dim]{row.label_zh} / {row.label_en}{unit}[/]",
                _as_typed(row.value),
                _as_typed(row.default),
                note.strip(),
            )
    return table


@app.command("settings")
@friendly_errors
def settings(
    project: Annotated[str, typer.Option("--project", help="project code")],
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="section.field=value, e.g. gate_policy.face_threshold=0.45"),
    ] = None,
    reset: Annotated[
        list[str] | None, typer.Option("--reset", help="section.field back to its default")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Show the project's thresholds (value, default, overridden) or change them; exits 2 on a
    bad setting, naming it. A gate policy change makes the gates download the roster again."""
    try:
        patch = _settings_patch(set_ or [], reset or []) if set_ or reset else None

        def work(session: Session, found: Project) -> project_settings.ProjectSettingsOut:
            if patch is not None:
                changes = registry_service.update_settings(session, None, found, patch=patch)
                for key, (old, new) in changes.items():
                    console.print(f"{key}: {old} → {new}")
                if not changes:
                    console.print("没有修改 / nothing changed")
            return project_settings.settings_out(found)

        out = _in_project(database_url, project, work)
    except ValidationFailedError as exc:
        report(exc)
        for item in exc.detail or []:
            zh = item.get("message_zh", "")
            err_console.print(f"  {item['field']}: {zh + ' / ' if zh else ''}{item['message']}")
        raise typer.Exit(2) from None
    console.print(_settings_table(out))
