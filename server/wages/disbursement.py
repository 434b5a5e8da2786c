"""A locked wage sheet as the bank 代发 instruction: one line per worker with pay, into the
worker's own registered card, from the project's wage account; totals equal to the sheet.

The file itself is written by server/payroll/disbursement.py (canonical template or a bank's
layout), so the bank's result comes back in columns the payroll import already reads.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from server.errors import NotFoundError, ValidationFailedError
from server.payroll import disbursement as writer
from server.payroll.parsers import CANONICAL, BankLayout, load_layouts
from server.registry.models import Project
from server.wages import rules
from server.wages.models import WageSheet
from server.wages.sheets import WageStateError, lines_of

FORMATS = ("xlsx", "csv")


def layout_named(name: str) -> BankLayout:
    if name in ("", CANONICAL.name, "canonical"):
        return CANONICAL
    layout = load_layouts().get(name)
    if layout is None:
        raise NotFoundError(f"银行格式 {name}", f"bank layout {name}")
    return layout


def batch_for(session: Session, sheet: WageSheet) -> writer.DisbursementBatch:
    """The sheet's lines with pay as the bank is to pay them; only a locked sheet is final."""
    if sheet.state not in (rules.SheetState.LOCKED.value, rules.SheetState.PAID.value):
        raise WageStateError(
            "工资表锁定后才能生成代发文件",
            "the 代发 file is written once the sheet is locked",
            code="wages.not_locked",
        )
    project = session.get(Project, sheet.project_id)
    if project is None:
        raise NotFoundError("项目", "project")
    if not sheet.payer_account.strip():
        raise ValidationFailedError(
            "工资表未记录付款账户(农民工工资专用账户)",
            "the sheet has no paying account (the project's wage account) on record",
            code="wages.no_wage_account",
        )
    lines = [line for line in lines_of(session, sheet.id) if line.net_fen > 0]
    return writer.DisbursementBatch(
        project_code=project.code,
        project_name=project.name,
        payer_name=sheet.payer_name or project.name,
        payer_account=sheet.payer_account,
        payer_bank=sheet.payer_bank,
        period=sheet.period,
        lines=tuple(
            writer.DisbursementLine(
                row_no=n,
                name=line.name,
                id_number=line.id_number,
                bank_card=line.bank_card,
                bank_name=line.bank_name,
                net_fen=line.net_fen,
                gross_fen=line.gross_fen,
                days=line.half_days / 2,
                period=sheet.period,
                remark=f"工资表#{sheet.id}-{line.id}",
            )
            for n, line in enumerate(lines, start=1)
        ),
    )


def disbursement_file(
    session: Session, sheet: WageSheet, *, layout: str = "canonical", fmt: str = "xlsx"
) -> bytes:
    if fmt not in FORMATS:
        raise ValidationFailedError(
            f"文件格式须为 {'/'.join(FORMATS)}", f"format must be one of {', '.join(FORMATS)}"
        )
    batch = batch_for(session, sheet)
    chosen = layout_named(layout)
    if fmt == "csv":
        return writer.disbursement_csv(batch, chosen)
    return writer.disbursement_xlsx(batch, chosen)


def file_name(session: Session, sheet: WageSheet, *, layout: str, fmt: str) -> str:
    return writer.file_name(batch_for(session, sheet), layout_named(layout), fmt)


def csv_charset(layout: str) -> str:
    return writer.csv_encoding(layout_named(layout)).removesuffix("-sig")
