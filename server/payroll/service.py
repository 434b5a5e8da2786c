"""Payroll: import a bank's 代发 result file atomically, the payroll ledger (工资支付台账) and the
pay slip (工资清单) of one worker and month.

An import is all or nothing: a file with bad rows writes nothing unless the caller chose to skip
them, and the same file (same SHA-256) imported twice into a project is refused with 409.
Services never commit (STYLE habit 9): the request's unit of work does.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.enums import WageKind
from models.ids import mask_bank_card, mask_id_number
from models.money import Fen
from server.auth import service as auth_service
from server.auth.models import User
from server.errors import ConflictError, NotFoundError, SiteGateError, ValidationFailedError
from server.ops.metrics import timed_import
from server.payroll.models import PayrollImport, PayrollLine
from server.payroll.parsers import (
    ParseResult,
    PayrollRow,
    RowIssue,
    TransferStatus,
    format_period,
    parse_payroll_file,
    parse_period,
)
from server.reconciliation import rules as recon_rules
from server.registry.models import Assignment, Project, Worker
from server.rosters import closing
from server.rosters import rules as roster_rules
from server.rosters import service as roster_service
from server.sheet_reader import DEFAULT_LIMITS, ImportLimits


class PayrollRowsError(ValidationFailedError):
    """The file has bad rows and the user did not choose to skip them: nothing was imported."""

    code = "payroll.bad_rows"


class AlreadyImportedError(ConflictError):
    code = "payroll.already_imported"


# --------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True, slots=True)
class ImportResult:
    import_id: int
    file_name: str
    fingerprint: str
    layout: str
    imported_at: dt.datetime
    row_count: int  # lines written
    skipped_count: int  # bad rows left out (skip mode)
    matched_count: int  # lines resolved to a worker of the project
    periods: tuple[str, ...]
    skipped: tuple[RowIssue, ...]  # the errors of the rows left out
    warnings: tuple[RowIssue, ...]


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One line of the 工资支付台账. Identity numbers are masked (RULES.md privacy)."""

    line_id: int
    period: str
    row_no: int
    worker_id: int | None
    worker_name: str | None  # registered name, None when no worker matched
    payee_name: str
    id_number_masked: str
    account_masked: str
    bank_name: str
    gross_fen: Fen | None
    net_fen: Fen
    days_declared: float | None
    status: str
    paid_on: dt.date | None
    import_id: int
    file_name: str
    imported_at: dt.datetime


@dataclass(frozen=True, slots=True)
class PaySlip:
    """工资清单: what a worker attended, what was owed and what the bank says was paid."""

    project_id: int
    project_code: str
    project_name: str
    worker_id: int
    worker_name: str
    id_number_masked: str
    bank_card_masked: str
    trade: str
    period: str
    wage_kind: WageKind
    rate_fen: Fen
    attended_days: float
    hours: float
    corrected_days: int
    expected_fen: Fen | None  # None for piece rate or no wage terms
    gross_fen: Fen | None  # sum of the successful lines' gross amounts, when the bank gave them
    net_fen: Fen  # sum of the successful net amounts
    difference_fen: Fen | None  # net - expected
    pay_day: dt.date
    status: recon_rules.RowStatus
    payments: tuple[LedgerEntry, ...]


# --------------------------------------------------------------------------------------------
# Import


def issue_dict(issue: RowIssue) -> dict[str, Any]:
    """The JSON shape of a row/column issue (API 422 `detail`, CLI table)."""
    return {
        "row": issue.row,
        "column": issue.column,
        "header": issue.header,
        "field": issue.field,
        "code": issue.code,
        "message_zh": issue.message_zh,
        "message_en": issue.message_en,
    }


def get_import_by_fingerprint(
    session: Session, *, project_id: int, sha256: str
) -> PayrollImport | None:
    return session.scalar(
        select(PayrollImport).where(
            PayrollImport.project_id == project_id, PayrollImport.sha256 == sha256
        )
    )


def _already_imported(existing: PayrollImport, tz: str) -> AlreadyImportedError:
    local = existing.imported_at.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")
    return AlreadyImportedError(
        f"此文件已于 {local} 导入(文件名 {existing.file_name},导入批次 {existing.id})",
        f"this file was already imported on {local} (as {existing.file_name}, "
        f"import {existing.id})",
        detail={
            "import_id": existing.id,
            "file_name": existing.file_name,
            "imported_at": existing.imported_at.isoformat(),
        },
    )


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def _project_workers(session: Session, project_id: int) -> list[Worker]:
    return list(
        session.scalars(
            select(Worker)
            .join(Assignment, Assignment.worker_id == Worker.id)
            .where(Assignment.project_id == project_id)
        )
    )


class _Resolver:
    """Payee -> worker of the project: by ID number, else by bank card if exactly one owner
    (the same rule as reconciliation's matching)."""

    def __init__(self, workers: Sequence[Worker]) -> None:
        self.by_id = {w.id_number.strip().upper(): w.id for w in workers}
        owners: dict[str, list[int]] = {}
        for w in workers:
            if w.bank_card:
                owners.setdefault(_digits(w.bank_card), []).append(w.id)
        self.by_card = {card: ids[0] for card, ids in owners.items() if len(ids) == 1}

    def __call__(self, row: PayrollRow) -> int | None:
        if row.id_number:
            return self.by_id.get(row.id_number.strip().upper())
        return self.by_card.get(_digits(row.bank_card))


@timed_import("payroll", "parse")
def parse_upload(
    data: bytes,
    *,
    file_name: str,
    layout: str | None = None,
    default_period: str | None = None,
    limits: ImportLimits = DEFAULT_LIMITS,
) -> ParseResult:
    """Read and validate a 代发 file; no database. Callers run this before their write
    transaction opens (SQLite's write lock is held from BEGIN IMMEDIATE to commit): a big file
    then never stalls a sign-in. Caps: FileTooLargeError 413, TooManyRowsError 422."""
    if default_period is not None:
        try:
            default_period = format_period(parse_period(default_period))
        except ValueError:
            raise ValidationFailedError(
                f"工资所属期 {default_period!r} 格式错误,应为 YYYY-MM",
                f"wage period {default_period!r} is not YYYY-MM",
                code="payroll.bad_period",
            ) from None
    return parse_payroll_file(
        data, filename=file_name, layout=layout, default_period=default_period, limits=limits
    )


def import_file(
    session: Session,
    *,
    project_id: int,
    file_name: str,
    data: bytes,
    user: User | None,
    layout: str | None = None,
    skip_bad_rows: bool = False,
    default_period: str | None = None,
    limits: ImportLimits = DEFAULT_LIMITS,
) -> ImportResult:
    """parse_upload, then import_parsed: for callers that hold no transaction while parsing
    matters little (tests, scripts). The API and CLI call the two steps themselves."""
    parsed = parse_upload(
        data, file_name=file_name, layout=layout, default_period=default_period, limits=limits
    )
    return import_parsed(
        session,
        project_id=project_id,
        file_name=file_name,
        parsed=parsed,
        user=user,
        skip_bad_rows=skip_bad_rows,
    )


@timed_import("payroll", "store")
def import_parsed(
    session: Session,
    *,
    project_id: int,
    file_name: str,
    parsed: ParseResult,
    user: User | None,
    skip_bad_rows: bool = False,
) -> ImportResult:
    """Store a parsed 代发 file in one flush, or write nothing and raise.

    - bad rows and not `skip_bad_rows` -> PayrollRowsError (422) with every row/column issue;
    - the same bytes already imported into the project -> AlreadyImportedError (409).
    """
    # The project row locked as a reconciliation run locks it: an import and a run of the
    # project take turns (several server processes), so a run sees all of an import or none.
    project = session.get(Project, project_id, with_for_update=True)
    if project is None:
        raise NotFoundError("项目", "project")
    result = parsed
    existing = get_import_by_fingerprint(session, project_id=project_id, sha256=result.fingerprint)
    if existing is not None:
        raise _already_imported(existing, project.timezone)
    if result.errors and (not skip_bad_rows or result.header_row is None):
        bad_rows = len({e.row for e in result.errors})
        raise PayrollRowsError(
            f"文件有 {bad_rows} 行错误,未导入任何数据(可修改后重新导入,或选择跳过错误行)",
            f"{bad_rows} rows have errors; nothing was imported (fix them and import again, "
            "or choose to skip bad rows)",
            detail=[issue_dict(e) for e in result.errors],
        )
    if not result.rows:
        raise PayrollRowsError(
            "文件中没有可导入的数据行",
            "the file has no data rows to import",
            detail=[issue_dict(e) for e in result.errors],
        )

    resolve = _Resolver(_project_workers(session, project_id))
    skipped_rows = len({e.row for e in result.errors})
    record = PayrollImport(
        project_id=project_id,
        file_name=file_name[:256],
        sha256=result.fingerprint,
        layout=result.layout,
        user_id=user.id if user else None,
        row_count=len(result.rows),
        skipped_count=skipped_rows,
    )
    lines: list[dict[str, Any]] = [
        {
            "project_id": project_id,
            "period": row.period,
            "row_no": row.row_number,
            "payee_name": row.name,
            "payee_id_number": (row.id_number or "").upper(),
            "account_no": row.bank_card,
            "bank_name": row.bank or "",
            "gross_fen": row.gross_fen,
            "net_fen": row.net_fen,
            "days_declared": row.days,
            "paid_on": row.paid_on,
            "status": row.status.value,
            "payer_account_no": row.payer_account,
            "worker_id": resolve(row),
        }
        for row in result.rows
    ]
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
            # one bulk INSERT, not 20,000 ORM objects: on SQLite sign-ins wait for this write
            session.execute(insert(PayrollLine), [{**ln, "import_id": record.id} for ln in lines])
    except IntegrityError:
        # A concurrent import of the same file won the race on (project_id, sha256).
        existing = get_import_by_fingerprint(
            session, project_id=project_id, sha256=result.fingerprint
        )
        if existing is None:
            raise
        raise _already_imported(existing, project.timezone) from None

    periods = tuple(sorted({row.period for row in result.rows}))
    # A run before this import did not see these lines: its months say so until run again.
    closing.mark_payments_changed(
        session,
        project_id=project_id,
        periods=periods,
        reason=f"代发文件 {record.file_name} 已导入 / bank file {record.file_name} imported",
    )
    matched = sum(1 for ln in lines if ln["worker_id"] is not None)
    auth_service.audit(
        session,
        user,
        "payroll.import",
        "payroll_import",
        record.id,
        project_id=project_id,
        detail={
            "file_name": record.file_name,
            "sha256": record.sha256,
            "layout": record.layout,
            "rows": len(lines),
            "skipped": skipped_rows,
            "matched": matched,
            "periods": list(periods),
        },
    )
    return ImportResult(
        import_id=record.id,
        file_name=record.file_name,
        fingerprint=record.sha256,
        layout=record.layout,
        imported_at=record.imported_at,
        row_count=len(lines),
        skipped_count=skipped_rows,
        matched_count=matched,
        periods=periods,
        skipped=result.errors,
        warnings=result.warnings,
    )


def list_imports(session: Session, *, project_id: int) -> list[PayrollImport]:
    return list(
        session.scalars(
            select(PayrollImport)
            .where(PayrollImport.project_id == project_id)
            .order_by(PayrollImport.imported_at.desc(), PayrollImport.id.desc())
        )
    )


# --------------------------------------------------------------------------------------------
# Ledger (工资支付台账)


def _entry(line: PayrollLine, imp: PayrollImport, worker_name: str | None) -> LedgerEntry:
    return LedgerEntry(
        line_id=line.id,
        period=line.period,
        row_no=line.row_no,
        worker_id=line.worker_id,
        worker_name=worker_name,
        payee_name=line.payee_name,
        id_number_masked=mask_id_number(line.payee_id_number) if line.payee_id_number else "",
        account_masked=mask_bank_card(line.account_no),
        bank_name=line.bank_name,
        gross_fen=line.gross_fen,
        net_fen=line.net_fen,
        days_declared=line.days_declared,
        status=line.status,
        paid_on=line.paid_on,
        import_id=imp.id,
        file_name=imp.file_name,
        imported_at=imp.imported_at,
    )


def _normal_period(period: str) -> str:
    try:
        return format_period(parse_period(period))
    except ValueError:
        raise ValidationFailedError(
            f"月份 {period!r} 格式错误,应为 YYYY-MM",
            f"month {period!r} is not YYYY-MM",
            code="payroll.bad_period",
        ) from None


def ledger(session: Session, *, project_id: int, period: str | None = None) -> list[LedgerEntry]:
    """Every imported line of the project (optionally one wage period), oldest period first."""
    stmt = (
        select(PayrollLine, PayrollImport, Worker.name)
        .join(PayrollImport, PayrollImport.id == PayrollLine.import_id)
        .outerjoin(Worker, Worker.id == PayrollLine.worker_id)
        .where(PayrollLine.project_id == project_id)
        .order_by(PayrollLine.period, PayrollImport.id, PayrollLine.row_no)
    )
    if period is not None:
        stmt = stmt.where(PayrollLine.period == _normal_period(period))
    return [_entry(line, imp, name) for line, imp, name in session.execute(stmt).all()]


def lines_for_period(session: Session, *, project_id: int, period: str) -> list[PayrollLine]:
    return list(
        session.scalars(
            select(PayrollLine)
            .where(PayrollLine.project_id == project_id, PayrollLine.period == period)
            .order_by(PayrollLine.id)
        )
    )


def line_input(line: PayrollLine) -> recon_rules.PayrollLineInput:
    return recon_rules.PayrollLineInput(
        line_id=line.id,
        payee_name=line.payee_name,
        payee_id_number=line.payee_id_number or None,
        account_number=line.account_no,
        gross_fen=line.gross_fen,
        net_fen=line.net_fen,
        days_declared=line.days_declared,
        period=line.period,
        paid_on=line.paid_on,
        status=TransferStatus(line.status),
        payer_account=line.payer_account_no or None,
    )


# --------------------------------------------------------------------------------------------
# Pay slip (工资清单)


def project_today(project: Project) -> dt.date:
    return dt.datetime.now(ZoneInfo(project.timezone or "Asia/Shanghai")).date()


def recon_settings(project: Project) -> recon_rules.ReconSettings:
    """The project's reconciliation thresholds; `Project.pay_day` is the pay day setting."""
    values = dict((project.settings or {}).get("reconciliation", {}))
    values.setdefault("pay_day_of_next_month", project.pay_day or 15)
    try:
        return recon_rules.ReconSettings.from_mapping(values)
    except (ValueError, TypeError) as err:
        raise SiteGateError(
            f"项目的工资核对设置有误: {err}",
            f"the project's reconciliation settings are invalid: {err}",
            code="reconciliation.bad_settings",
            status_code=422,
        ) from None


def pay_slip(
    session: Session,
    *,
    project_id: int,
    worker_id: int,
    period: str,
    today: dt.date | None = None,
) -> PaySlip:
    project = session.get(Project, project_id)
    if project is None:
        raise NotFoundError("项目", "project")
    period = _normal_period(period)
    roster = roster_service.load_month(
        session, project_id=project_id, period=period, worker_id=worker_id
    )
    row = next((r for r in roster.rows if r.worker_id == worker_id), None)
    if row is None:
        raise NotFoundError("该月的工人记录", "worker in this month")
    wm = row.month
    worker_input = worker_month_input(row)
    worker = session.get(Worker, worker_id)
    assert worker is not None  # noqa: S101 - the roster row came from this worker
    stmt = (
        select(PayrollLine, PayrollImport)
        .join(PayrollImport, PayrollImport.id == PayrollLine.import_id)
        .where(
            PayrollLine.project_id == project_id,
            PayrollLine.period == period,
            or_(
                PayrollLine.worker_id == worker_id,
                PayrollLine.payee_id_number == worker.id_number.upper(),
            ),
        )
        .order_by(PayrollLine.paid_on, PayrollLine.id)
    )
    found = session.execute(stmt).all()
    settings = recon_settings(project)
    result = recon_rules.reconcile(
        period,
        [worker_input],
        [line_input(line) for line, _ in found],
        today=today or project_today(project),
        settings=settings,
    )
    recon_row = result.rows[0]
    matched = set(recon_row.line_ids)
    payments = tuple(_entry(line, imp, worker.name) for line, imp in found if line.id in matched)
    ok = [p for p in payments if p.status == TransferStatus.SUCCESS.value]
    grosses = [p.gross_fen for p in ok if p.gross_fen is not None]
    return PaySlip(
        project_id=project.id,
        project_code=project.code,
        project_name=project.name,
        worker_id=worker_id,
        worker_name=worker.name,
        id_number_masked=mask_id_number(worker.id_number),
        bank_card_masked=mask_bank_card(worker.bank_card) if worker.bank_card else "",
        trade=row.trade,
        period=period,
        wage_kind=worker_input.wage_kind,
        rate_fen=worker_input.rate_fen or 0,
        attended_days=wm.attended_days,
        hours=round(wm.total_hours, 2),
        corrected_days=wm.corrected_days,
        expected_fen=recon_row.expected_fen,
        gross_fen=sum(grosses) if grosses else None,
        net_fen=recon_row.paid_fen,
        difference_fen=recon_row.difference_fen,
        pay_day=result.pay_day,
        status=recon_row.status,
        payments=payments,
    )


# --------------------------------------------------------------------------------------------
# The roster row -> reconciliation input (shared with reconciliation.service)


def worker_month_input(row: roster_service.RosterRow) -> recon_rules.WorkerMonthInput:
    """A roster row as the reconciliation rules take it. Attended days and hours come from the
    roster (rosters.rules), never recomputed here; assigned days are the month's calendar days
    inside the entry/exit dates, as the roster marks them."""
    wm = row.month
    assigned = sum(1 for c in wm.cells if c.status is not roster_rules.DayStatus.NOT_ASSIGNED)
    return recon_rules.WorkerMonthInput(
        worker_id=row.worker_id,
        name=row.name,
        id_number=row.id_number,
        bank_cards=frozenset({row.bank_card} if row.bank_card else ()),
        wage_kind=row.wage_kind,
        rate_fen=row.wage_rate_fen or None,
        attended_days=wm.attended_days,
        hours=round(wm.total_hours, 2),
        assigned_days=assigned,
        never_entered=row.never_entered,
    )
