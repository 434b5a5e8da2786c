"""One worker's line of the reconciliation table (应发, 实发, 差额, status) for a project × month,
computed by the same rules and inputs as the inspector's table (service.rows), for one worker.

The worker's phone asks "was I paid in full?" for a handful of months: loading the whole
project's roster for each would cost the project's month every time. The rules are per worker
except for how a line finds its worker, so the inputs are this worker's roster row, the month's
lines that name them (their ID number, or without one their own bank card), their wage sheet
line and the project's wage account. The one case that can differ: a line without an ID
number paid to a card that two workers of the month registered matches nobody in the
inspector's table (UNKNOWN_PAYEE), and here counts for this worker. The warning level is not
given: whether UNPAID is red depends on how many others went unpaid.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from models.money import Fen
from server.payroll import service as payroll_service
from server.payroll.models import PayrollLine
from server.reconciliation import rules
from server.rosters import service as roster_service
from server.wages import sheets as wage_sheets


@dataclass(frozen=True, slots=True)
class WorkerMonth:
    """What the reconciliation says of one worker's month, with the lines it counted."""

    project_id: int
    period: str
    pay_day: dt.date
    attended_days: float
    expected_fen: Fen | None
    paid_fen: Fen
    difference_fen: Fen | None  # paid - expected
    status: rules.RowStatus
    lines: tuple[PayrollLine, ...]  # the month's lines matched to the worker, by id

    @property
    def shortfall_fen(self) -> Fen:
        """What is missing, when the rules call it short (within tolerance is paid)."""
        if self.status is not rules.RowStatus.UNDERPAID or self.difference_fen is None:
            return 0
        return max(0, -self.difference_fen)


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def worker_month(
    session: Session, *, project_id: int, worker_id: int, period: str, today: dt.date
) -> WorkerMonth | None:
    """The worker's row of `period`, or None when they are not on the month's roster."""
    roster = roster_service.load_month(
        session, project_id=project_id, period=period, worker_id=worker_id
    )
    row = next((r for r in roster.rows if r.worker_id == worker_id), None)
    if row is None:
        return None
    project = roster_service.get_project_or_raise(session, project_id)
    worker = payroll_service.worker_month_input(row)
    own_id = worker.id_number.strip().upper()
    cards = {_digits(c) for c in worker.bank_cards}
    lines = [
        ln
        for ln in payroll_service.lines_for_period(
            session, project_id=project_id, period=roster.period
        )
        if (ln.payee_id_number or "").strip().upper() == own_id
        or (not ln.payee_id_number and _digits(ln.account_no) in cards)
    ]
    sheet_lines = wage_sheets.recon_inputs(session, project_id, roster.period)
    result = rules.reconcile(
        roster.period,
        [worker],
        [payroll_service.line_input(ln) for ln in lines],
        today=today,
        settings=payroll_service.recon_settings(project),
        sheet_lines=None if sheet_lines is None else {
            k: v for k, v in sheet_lines.items() if k == worker_id
        },
        wage_account=project.wage_account_no or None,
    )  # fmt: skip
    r = result.rows[0]
    matched = set(r.line_ids)
    return WorkerMonth(
        project_id=project_id,
        period=roster.period,
        pay_day=result.pay_day,
        attended_days=r.attended_days,
        expected_fen=r.expected_fen,
        paid_fen=r.paid_fen,
        difference_fen=r.difference_fen,
        status=r.status,
        lines=tuple(ln for ln in lines if ln.id in matched),
    )
