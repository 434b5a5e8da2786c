"""The wage-protection records: read them, record them, import the wage account's statement,
and hand the reconciliation what the statement says. The caller has checked scope
(server/auth/scope.py); services never commit.

What other code already reads is kept current here, so nothing else changes:
- the wage account's number and bank go to Project.wage_account_no / wage_account_bank (the
  reconciliation's PAID_NOT_FROM_WAGE_ACCOUNT and the wage sheets' payer read them);
- a labour contract sets Assignment.contract_signed_on and bumps the roster version (the gate
  rule "labour contract recorded" and the roster sync read them).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.auth import service as auth_service
from server.auth.models import User
from server.errors import NotFoundError, SiteGateError, ValidationFailedError
from server.ops.metrics import timed_import
from server.reconciliation import rules as recon_rules
from server.registry import service as registry_service
from server.registry import versioning
from server.registry.models import Assignment, Project, Worker
from server.safeguards import rules, statement
from server.safeguards.models import (
    LabourContract,
    LabourOfficer,
    PaymentGuarantee,
    WageAccount,
    WageDeposit,
    WageStatement,
    WageStatementLine,
)
from server.safeguards.schemas import (
    ContractIn,
    ContractOut,
    DepositIn,
    DepositOut,
    GuaranteeIn,
    GuaranteeOut,
    OfficerIn,
    OfficerOut,
    SafeguardsOut,
    StatementOut,
    WageAccountIn,
    WageAccountOut,
)
from server.sheet_reader import DEFAULT_LIMITS, ImportLimits


class ScanRefusedError(SiteGateError):
    code = "safeguards.bad_scan"
    status_code = 422


class ScanTooLargeError(SiteGateError):
    code = "safeguards.scan_too_large"
    status_code = 413


class NoScanError(NotFoundError):
    code = "safeguards.no_scan"

    def __init__(self) -> None:
        super().__init__("合同扫描件", "contract scan")


def _project(session: Session, project_id: int) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        raise NotFoundError("项目", "project")
    return project


def _dates(first: dt.date | None, last: dt.date | None, zh: str, en: str, field: str) -> None:
    problem = rules.date_order_problem(first, last, zh, en)
    if problem is not None:
        raise ValidationFailedError(*problem, code="safeguards.bad_dates", detail={"field": field})


# --- summary for the checklist and the inspector overview -------------------------------------


@dataclass(frozen=True, slots=True)
class SafeguardSummary:
    """Which records a project has (the per-project checklist and the inspector overview)."""

    wage_account: bool
    tripartite: bool  # the wage account's 三方协议 signed
    deposit: bool  # a wage deposit not released
    payment_guarantee: bool
    labour_officer: bool  # a current one
    contract_assignment_ids: frozenset[int]  # assignments with a labour contract recorded


def summary(session: Session, project_id: int) -> SafeguardSummary:
    account = session.scalar(select(WageAccount).where(WageAccount.project_id == project_id))
    deposit = session.scalar(
        select(func.count(WageDeposit.id)).where(
            WageDeposit.project_id == project_id, WageDeposit.released_on.is_(None)
        )
    )
    guarantee = session.scalar(
        select(func.count(PaymentGuarantee.id)).where(PaymentGuarantee.project_id == project_id)
    )
    officer = session.scalar(
        select(func.count(LabourOfficer.id)).where(
            LabourOfficer.project_id == project_id, LabourOfficer.ended_on.is_(None)
        )
    )
    contracts = session.scalars(
        select(LabourContract.assignment_id).where(LabourContract.project_id == project_id)
    )
    return SafeguardSummary(
        wage_account=account is not None,
        tripartite=account is not None and account.tripartite_signed_on is not None,
        deposit=bool(deposit),
        payment_guarantee=bool(guarantee),
        labour_officer=bool(officer),
        contract_assignment_ids=frozenset(contracts),
    )


# --- reading -----------------------------------------------------------------------------------


def account_out(row: WageAccount, *, full: bool) -> WageAccountOut:
    return WageAccountOut(
        bank_name=row.bank_name,
        account_no=row.account_no if full else rules.mask_account(row.account_no),
        account_name=row.account_name,
        opened_on=row.opened_on,
        tripartite_signed_on=row.tripartite_signed_on,
        owner_name=row.owner_name,
    )


def _deposit_out(row: WageDeposit) -> DepositOut:
    return DepositOut(
        id=row.id,
        form=row.form,
        amount_fen=row.amount_fen,
        contract_price_fen=row.contract_price_fen,
        share_percent=rules.deposit_share(row.amount_fen, row.contract_price_fen),
        paid_on=row.paid_on,
        released_on=row.released_on,
        reference=row.reference,
    )


def _contract_out(row: LabourContract, worker_id: int, worker_name: str) -> ContractOut:
    return ContractOut(
        assignment_id=row.assignment_id,
        worker_id=worker_id,
        worker_name=worker_name,
        kind=row.kind,
        code=row.code,
        signed_on=row.signed_on,
        start_on=row.start_on,
        end_on=row.end_on,
        pay_unit=row.pay_unit,
        unit_price_fen=row.unit_price_fen,
        scan_type=row.scan_type,
        scan_bytes=len(row.scan or b""),
    )


def _statement_out(session: Session, row: WageStatement, *, again: bool = False) -> StatementOut:
    sums = dict(
        session.execute(
            select(WageStatementLine.kind, func.sum(WageStatementLine.amount_fen))
            .where(WageStatementLine.statement_id == row.id)
            .group_by(WageStatementLine.kind)
        ).all()
    )
    return StatementOut(
        id=row.id,
        file_name=row.file_name,
        first_on=row.first_on,
        last_on=row.last_on,
        row_count=row.row_count,
        new_count=row.new_count,
        labour_inflow_fen=int(sums.get(rules.LineKind.LABOUR_INFLOW.value) or 0),
        payout_fen=-int(sums.get(rules.LineKind.PAYOUT.value) or 0),
        already_imported=again,
    )


def records(session: Session, *, project_id: int, full: bool) -> SafeguardsOut:
    """Every record of the project; `full`: the account number unmasked (Resource.FULL_IDS)."""
    account = session.scalar(select(WageAccount).where(WageAccount.project_id == project_id))
    deposits = session.scalars(
        select(WageDeposit).where(WageDeposit.project_id == project_id).order_by(WageDeposit.id)
    )
    guarantees = session.scalars(
        select(PaymentGuarantee)
        .where(PaymentGuarantee.project_id == project_id)
        .order_by(PaymentGuarantee.id)
    )
    officers = session.scalars(
        select(LabourOfficer)
        .where(LabourOfficer.project_id == project_id)
        .order_by(LabourOfficer.ended_on.is_not(None), LabourOfficer.appointed_on.desc())
    )
    contracts = session.execute(
        select(LabourContract, Worker.id, Worker.name)
        .join(Assignment, Assignment.id == LabourContract.assignment_id)
        .join(Worker, Worker.id == Assignment.worker_id)
        .where(LabourContract.project_id == project_id)
        .order_by(Worker.name, LabourContract.id)
    )
    statements = session.scalars(
        select(WageStatement)
        .where(WageStatement.project_id == project_id)
        .order_by(WageStatement.first_on, WageStatement.id)
    )
    return SafeguardsOut(
        project_id=project_id,
        wage_account=account_out(account, full=full) if account else None,
        deposits=[_deposit_out(d) for d in deposits],
        guarantees=[GuaranteeOut.model_validate(g, from_attributes=True) for g in guarantees],
        officers=[OfficerOut.model_validate(o, from_attributes=True) for o in officers],
        contracts=[_contract_out(c, wid, name) for c, wid, name in contracts],
        statements=[_statement_out(session, s) for s in statements],
    )


# --- recording ---------------------------------------------------------------------------------


def put_wage_account(
    session: Session, *, project_id: int, data: WageAccountIn, user: User | None
) -> WageAccount:
    project = _project(session, project_id)
    row = session.scalar(select(WageAccount).where(WageAccount.project_id == project_id))
    if row is None:
        row = WageAccount(project_id=project_id)
        session.add(row)
    for name, value in data.model_dump().items():
        setattr(row, name, value)
    row.updated_by_user_id = user.id if user else None
    project.wage_account_no = data.account_no  # what the reconciliation and wage sheets read
    project.wage_account_bank = data.bank_name
    session.flush()
    auth_service.audit(
        session, user, "safeguards.wage_account", "wage_account", row.id, project_id=project_id,
        detail={"bank": data.bank_name, "account": rules.mask_account(data.account_no),
                "tripartite": data.tripartite_signed_on is not None},
    )  # fmt: skip
    return row


def add_deposit(
    session: Session, *, project_id: int, data: DepositIn, user: User | None
) -> WageDeposit:
    _project(session, project_id)
    _dates(data.paid_on, data.released_on, "退还日期", "the release date", "released_on")
    row = WageDeposit(
        project_id=project_id, created_by_user_id=user.id if user else None, **data.model_dump()
    )
    session.add(row)
    session.flush()
    auth_service.audit(
        session, user, "safeguards.deposit", "wage_deposit", row.id, project_id=project_id,
        detail={"form": data.form.value, "amount_fen": data.amount_fen},
    )  # fmt: skip
    return row


def add_guarantee(
    session: Session, *, project_id: int, data: GuaranteeIn, user: User | None
) -> PaymentGuarantee:
    _project(session, project_id)
    _dates(data.valid_from, data.valid_to, "有效期截止日", "the end of validity", "valid_to")
    row = PaymentGuarantee(
        project_id=project_id, created_by_user_id=user.id if user else None, **data.model_dump()
    )
    session.add(row)
    session.flush()
    auth_service.audit(
        session, user, "safeguards.guarantee", "payment_guarantee", row.id,
        project_id=project_id, detail={"form": data.form.value, "amount_fen": data.amount_fen},
    )  # fmt: skip
    return row


def appoint_officer(
    session: Session, *, project_id: int, data: OfficerIn, user: User | None
) -> LabourOfficer:
    """A new 劳资专管员 ends the current one's term on the day of the appointment."""
    _project(session, project_id)
    current = session.scalars(
        select(LabourOfficer).where(
            LabourOfficer.project_id == project_id, LabourOfficer.ended_on.is_(None)
        )
    ).all()
    late = [old for old in current if data.appointed_on < old.appointed_on]
    if late:  # checked before any term is ended: a refused form changes nothing
        old = late[0]
        raise ValidationFailedError(
            f"任命日期不能早于现任劳资专管员 {old.name} 的任命日期 {old.appointed_on.isoformat()}",
            f"the appointment cannot predate the current officer's "
            f"({old.appointed_on.isoformat()})",
            code="safeguards.bad_dates",
            detail={"field": "appointed_on"},
        )
    for old in current:
        old.ended_on = data.appointed_on
    row = LabourOfficer(
        project_id=project_id, created_by_user_id=user.id if user else None, **data.model_dump()
    )
    session.add(row)
    session.flush()
    auth_service.audit(
        session, user, "safeguards.officer", "labour_officer", row.id, project_id=project_id,
        detail={"name": data.name},
    )  # fmt: skip
    return row


def check_scan(data: bytes) -> str:
    """The scan's media type, or a 413/422 naming what is wrong."""
    if len(data) > rules.MAX_SCAN_BYTES:
        raise ScanTooLargeError(
            f"扫描件过大({len(data) // 1024} KB),上限 {rules.MAX_SCAN_BYTES // (1024 * 1024)} MB",
            f"the scan is too large ({len(data) // 1024} KB); the limit is "
            f"{rules.MAX_SCAN_BYTES // (1024 * 1024)} MB",
        )
    kind = rules.scan_type(data)
    if kind is None:
        raise ScanRefusedError(
            "扫描件须为 PDF、JPEG 或 PNG 文件", "the scan must be a PDF, JPEG or PNG file"
        )
    return kind


def record_contract(
    session: Session,
    *,
    project_id: int,
    assignment_id: int,
    data: ContractIn,
    scan: bytes | None,
    user: User | None,
) -> ContractOut:
    """Record (or replace) the assignment's contract; a scan given replaces the stored one."""
    assignment = registry_service.get_assignment_or_raise(session, project_id, assignment_id)
    _dates(data.start_on, data.end_on, "合同终止日期", "the contract's end", "end_on")
    scan_kind = check_scan(scan) if scan else None
    row = session.scalar(
        select(LabourContract).where(LabourContract.assignment_id == assignment_id)
    )
    if row is None:
        row = LabourContract(assignment_id=assignment_id, project_id=project_id)
        session.add(row)
    values = data.model_dump()
    values["signed_on"] = data.signed_on or data.start_on
    for name, value in values.items():
        setattr(row, name, value)
    if scan and scan_kind:
        row.scan, row.scan_type = scan, scan_kind
        row.scan_sha256 = hashlib.sha256(scan).hexdigest()
    row.updated_by_user_id = user.id if user else None
    signed = values["signed_on"]
    if assignment.contract_signed_on != signed:
        assignment.contract_signed_on = signed  # the gate rule and the roster read this
        session.flush()
        versioning.bump(session, project_id, [assignment.id])
    session.flush()
    auth_service.audit(
        session, user, "safeguards.contract", "labour_contract", row.id, project_id=project_id,
        detail={"assignment_id": assignment_id, "kind": data.kind.value,
                "scan": row.scan_sha256 or None},
    )  # fmt: skip
    worker = session.get(Worker, assignment.worker_id)
    assert worker is not None  # noqa: S101 - the assignment's foreign key
    return _contract_out(row, worker.id, worker.name)


def put_scan(
    session: Session, *, project_id: int, assignment_id: int, scan: bytes, user: User | None
) -> ContractOut:
    """Attach (or replace) the scan of a recorded contract."""
    row = get_contract(session, project_id=project_id, assignment_id=assignment_id)
    row.scan_type = check_scan(scan)
    row.scan = scan
    row.scan_sha256 = hashlib.sha256(scan).hexdigest()
    row.updated_by_user_id = user.id if user else None
    session.flush()
    auth_service.audit(
        session, user, "safeguards.contract_scan", "labour_contract", row.id,
        project_id=project_id, detail={"sha256": row.scan_sha256, "bytes": len(scan)},
    )  # fmt: skip
    return contract_out(session, project_id=project_id, assignment_id=assignment_id)


def get_contract(session: Session, *, project_id: int, assignment_id: int) -> LabourContract:
    registry_service.get_assignment_or_raise(session, project_id, assignment_id)
    row = session.scalar(
        select(LabourContract).where(LabourContract.assignment_id == assignment_id)
    )
    if row is None:
        raise NotFoundError("劳动合同", "labour contract")
    return row


def contract_out(session: Session, *, project_id: int, assignment_id: int) -> ContractOut:
    row = get_contract(session, project_id=project_id, assignment_id=assignment_id)
    assignment = session.get(Assignment, assignment_id)
    worker = session.get(Worker, assignment.worker_id) if assignment else None
    assert worker is not None  # noqa: S101 - get_contract found the assignment
    return _contract_out(row, worker.id, worker.name)


# --- the statement -----------------------------------------------------------------------------


@timed_import("statement", "parse")
def parse_statement(
    data: bytes, *, file_name: str, limits: ImportLimits = DEFAULT_LIMITS
) -> list[rules.StatementRow]:
    return statement.parse(data, file_name, limits=limits)


@timed_import("statement", "store")
def import_statement(
    session: Session,
    *,
    project_id: int,
    file_name: str,
    data: bytes,
    rows: list[rules.StatementRow],
    user: User | None,
) -> StatementOut:
    """Store a parsed statement in one flush. The same file again changes nothing and answers
    with the first import; an overlapping one adds only the bookings not stored yet."""
    _project(session, project_id)
    sha = hashlib.sha256(data).hexdigest()
    existing = session.scalar(
        select(WageStatement).where(
            WageStatement.project_id == project_id, WageStatement.sha256 == sha
        )
    )
    if existing is not None:
        return _statement_out(session, existing, again=True)
    account = session.scalar(select(WageAccount).where(WageAccount.project_id == project_id))
    owner = account.owner_name if account else ""
    prints = rules.fingerprints(rows)
    known = set(
        session.scalars(
            select(WageStatementLine.fingerprint).where(
                WageStatementLine.project_id == project_id,
                WageStatementLine.fingerprint.in_(prints),
            )
        )
    )
    record = WageStatement(
        project_id=project_id,
        file_name=file_name[:256],
        sha256=sha,
        first_on=min(r.booked_on for r in rows),
        last_on=max(r.booked_on for r in rows),
        row_count=len(rows),
        new_count=sum(1 for p in prints if p not in known),
        user_id=user.id if user else None,
    )
    session.add(record)
    session.flush()
    session.add_all(
        WageStatementLine(
            statement_id=record.id,
            project_id=project_id,
            row_no=r.row_no,
            booked_on=r.booked_on,
            amount_fen=r.amount_fen,
            balance_fen=r.balance_fen,
            counterparty_name=r.counterparty_name,
            counterparty_account=r.counterparty_account,
            summary=r.summary,
            kind=rules.classify(r, owner).value,
            fingerprint=fp,
        )
        for r, fp in zip(rows, prints, strict=True)
        if fp not in known
    )
    session.flush()
    auth_service.audit(
        session, user, "safeguards.statement", "wage_statement", record.id,
        project_id=project_id, detail={"file": file_name[:256], "rows": len(rows),
                                       "new": record.new_count},
    )  # fmt: skip
    return _statement_out(session, record)


def statement_findings(
    session: Session,
    *,
    project_id: int,
    period: str,
    payroll_fen: int,
    settings: recon_rules.ReconSettings,
) -> list[recon_rules.Finding]:
    """The statement's findings for the month (the reconciliation run calls this)."""
    covered_to = session.scalar(
        select(func.max(WageStatement.last_on)).where(WageStatement.project_id == project_id)
    )
    if covered_to is None:
        return []
    start, due = rules.inflow_window(period, settings)
    cols = (
        WageStatementLine.booked_on,
        WageStatementLine.id,
        WageStatementLine.amount_fen,
        WageStatementLine.balance_fen,
        WageStatementLine.kind,
    )
    mine = WageStatementLine.project_id == project_id
    rows = list(
        session.execute(
            select(*cols).where(
                mine, WageStatementLine.booked_on >= start, WageStatementLine.booked_on <= due
            )
        ).all()
    )
    # The balance the month starts from: the last booking before the window that gives one.
    opening = session.execute(
        select(*cols)
        .where(
            mine, WageStatementLine.booked_on < start, WageStatementLine.balance_fen.is_not(None)
        )
        .order_by(WageStatementLine.booked_on.desc(), WageStatementLine.id.desc())
        .limit(1)
    ).first()
    if opening is not None:
        rows.append(opening)
    # Within a day, the bank's order: the rows were stored oldest first (statement.parse turns
    # a newest-first statement round), so the id keeps it across statements too.
    ordered = sorted(rows, key=lambda r: (r.booked_on, r.id))
    lines = [
        rules.BookedLine(r.booked_on, i, r.amount_fen, r.balance_fen, rules.LineKind(r.kind))
        for i, r in enumerate(ordered)
    ]
    return rules.statement_findings(
        period, payroll_fen=payroll_fen, lines=lines, covered_to=covered_to, settings=settings
    )
