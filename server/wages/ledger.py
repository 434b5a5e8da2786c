"""工资支付台账 as 条例 Art. 15 has it: per worker and month, the employer, the pay cycle and pay
date, name, ID number, contact, working time (days and hours), the items and amounts, the
deductions, the net, and the bank voucher or the worker's own confirmation.

Months run through a wage sheet give one row per sheet line (locked or paid), with the bank's
successful payments against it; a payment that matches no sheet line (a month without a sheet,
or a payee who is on none) is a row of its own from the bank file, so nothing paid is missing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.ids import mask_id_number
from models.money import Fen, format_yuan
from server.payroll.models import PayrollImport, PayrollLine
from server.registry.models import Assignment, Company, Worker
from server.wages import rules
from server.wages.models import WageLine, WageSheet
from server.wages.sheets import items_by_line, rule_items


@dataclass(frozen=True, slots=True)
class LedgerRow:
    period: str  # the month the wage is for (pay cycle: monthly)
    employer: str  # the employing firm
    worker_id: int | None
    name: str
    id_number_masked: str
    contact: str  # the worker's phone, middle digits masked
    days: str | None  # attended days (sheet) or as declared by the bank file
    hours: str | None
    items: str  # what makes up gross: 基本 …; 加班 …; 计件 …
    gross_fen: Fen | None
    deductions: str  # each deduction and its amount
    deductions_fen: Fen
    net_fen: Fen | None  # the sheet's net (None: no sheet line)
    paid_fen: Fen  # successful bank payments for the month
    paid_on: dt.date | None  # the latest successful payment
    voucher: str  # bank result file and row of each payment
    confirmation: str  # the worker's confirmation: when, how
    source: str  # "sheet" / "bank"


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 11 else phone


def confirmation_text(line: WageLine) -> str:
    if line.confirmed_at is None:
        return rules.LineState(line.state).text[0]
    at = line.confirmed_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    if line.confirmed_via == "device":
        return f"{at} 设备确认 {line.confirmed_device} #{line.confirmed_seq}"
    return f"{at} 手机确认"


def _items_text(line: WageLine, items: Sequence[rules.Item]) -> tuple[str, str]:
    plus = [f"基本 {format_yuan(line.base_fen)}"] if line.base_fen else []
    minus: list[str] = []
    for i in items:
        label = f"{i.category.text[0]}({i.reason}) {format_yuan(i.amount_fen)}"
        if i.kind is rules.ItemKind.PIECE and i.quantity is not None and i.unit_price_fen:
            label = (
                f"计件({i.reason}) {i.quantity}{i.unit}×{format_yuan(i.unit_price_fen)}"
                f" = {format_yuan(i.amount_fen)}"
            )
        (minus if i.kind is rules.ItemKind.DEDUCTION else plus).append(label)
    return "; ".join(plus), "; ".join(minus)


def ledger_rows(session: Session, *, project_id: int, period: str | None = None) -> list[LedgerRow]:
    sheet_stmt = (
        select(WageLine, WageSheet, Company.name, Worker.phone)
        .join(WageSheet, WageSheet.id == WageLine.sheet_id)
        .join(Company, Company.id == WageSheet.company_id)
        .join(Worker, Worker.id == WageLine.worker_id)
        .where(
            WageSheet.project_id == project_id,
            WageSheet.state.in_([rules.SheetState.LOCKED.value, rules.SheetState.PAID.value]),
        )
        .order_by(WageLine.period, Company.name, WageLine.team_name, WageLine.name)
    )
    pay_stmt = (
        select(PayrollLine, PayrollImport.file_name)
        .join(PayrollImport, PayrollImport.id == PayrollLine.import_id)
        .where(PayrollLine.project_id == project_id)
        .order_by(PayrollLine.period, PayrollImport.id, PayrollLine.row_no)
    )
    if period:
        sheet_stmt = sheet_stmt.where(WageLine.period == period)
        pay_stmt = pay_stmt.where(PayrollLine.period == period)
    sheet_rows = session.execute(sheet_stmt).all()
    payments: dict[tuple[int, str], list[tuple[PayrollLine, str]]] = defaultdict(list)
    unmatched: list[tuple[PayrollLine, str]] = []
    for pay, file_name in session.execute(pay_stmt).all():
        if pay.worker_id is None:
            unmatched.append((pay, file_name))
        else:
            payments[(pay.worker_id, pay.period)].append((pay, file_name))
    items = items_by_line(session, [line.id for line, *_ in sheet_rows])
    out: list[LedgerRow] = []
    on_sheet: set[tuple[int, str]] = set()
    for line, _sheet, employer, phone in sheet_rows:
        key = (line.worker_id, line.period)
        on_sheet.add(key)
        paid = [(p, f) for p, f in payments.get(key, []) if p.status == "success"]
        plus, minus = _items_text(line, rule_items(items.get(line.id, [])))
        out.append(
            LedgerRow(
                period=line.period,
                employer=employer,
                worker_id=line.worker_id,
                name=line.name,
                id_number_masked=mask_id_number(line.id_number),
                contact=mask_phone(line.phone or phone),
                days=rules.days_text(line.half_days / 2),
                hours=f"{line.seconds / 3600:.1f}",
                items=plus,
                gross_fen=line.gross_fen,
                deductions=minus,
                deductions_fen=line.deductions_fen,
                net_fen=line.net_fen,
                paid_fen=sum(p.net_fen for p, _ in paid),
                paid_on=max((p.paid_on for p, _ in paid if p.paid_on), default=None),
                voucher="; ".join(f"{f} 第{p.row_no}行" for p, f in paid),
                confirmation=confirmation_text(line),
                source="sheet",
            )
        )
    employers = _employers(session, project_id)
    workers = {
        w.id: w
        for w in session.scalars(
            select(Worker).where(Worker.id.in_([k[0] for k in payments if k not in on_sheet]))
        )
    }
    for key, pays in payments.items():
        if key in on_sheet:
            continue
        worker = workers.get(key[0])
        out.extend(_bank_row(p, f, worker, employers.get(key[0], "")) for p, f in pays)
    out.extend(_bank_row(p, f, None, "") for p, f in unmatched)
    out.sort(key=lambda r: (r.period, r.source != "sheet", r.employer, r.name))
    return out


def _employers(session: Session, project_id: int) -> dict[int, str]:
    rows = session.execute(
        select(Assignment.worker_id, Company.name)
        .join(Company, Company.id == Assignment.company_id)
        .where(Assignment.project_id == project_id)
    ).all()
    return {worker_id: name for worker_id, name in rows}  # noqa: C416 - Row, not a pair


def _bank_row(pay: PayrollLine, file_name: str, worker: Worker | None, employer: str) -> LedgerRow:
    ok = pay.status == "success"
    status = {"success": "", "failed": "(失败)", "returned": "(退汇)"}.get(pay.status, pay.status)
    return LedgerRow(
        period=pay.period,
        employer=employer,
        worker_id=pay.worker_id,
        name=worker.name if worker else pay.payee_name,
        id_number_masked=mask_id_number(pay.payee_id_number) if pay.payee_id_number else "",
        contact=mask_phone(worker.phone if worker else None),
        days=None if pay.days_declared is None else rules.days_text(pay.days_declared),
        hours=None,
        items="",
        gross_fen=pay.gross_fen,
        deductions="",
        deductions_fen=(pay.gross_fen - pay.net_fen) if pay.gross_fen is not None else 0,
        net_fen=None,
        paid_fen=pay.net_fen if ok else 0,
        paid_on=pay.paid_on if ok else None,
        voucher=f"{file_name} 第{pay.row_no}行{status}",
        confirmation="无工资表 / no wage sheet",
        source="bank",
    )
