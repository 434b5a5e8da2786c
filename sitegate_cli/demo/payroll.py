"""The bank's 代发 result file for the month, in the canonical template, with realistic faults.

Most workers are paid what their locked wage sheet line says (or, without one, daily rate ×
attended days);
then one worker is left unpaid, one is underpaid (60 %), one is paid into the team leader's card,
a ghost worker (valid ID number, not on the project) is paid, and one payment is late.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from openpyxl import load_workbook

from server.payroll.parsers import template_xlsx_bytes
from server.payroll.parsers.row import parse_period
from server.rosters.service import MonthRoster, RosterRow


@dataclass(frozen=True, slots=True)
class Faults:
    unpaid: RosterRow
    underpaid: RosterRow
    leader_card: RosterRow  # paid into this row's team leader's card
    leader: RosterRow
    late: RosterRow
    ghost_name: str
    ghost_id: str


def _yuan(fen: Decimal) -> float:
    return float((fen / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def pick_faults(roster: MonthRoster, leader_ids: set[int], ghost: tuple[str, str]) -> Faults:
    """Fault victims among day-paid workers with attendance, from different teams."""
    paid = [r for r in roster.rows if r.month.attended_days > 0 and r.wage_rate_fen]
    by_team: dict[int | None, list[RosterRow]] = {}
    for r in paid:
        by_team.setdefault(r.team_id, []).append(r)
    leaders = {r.team_id: r for r in paid if r.worker_id in leader_ids}
    members = [r for r in paid if r.worker_id not in leader_ids]
    teams = [t for t in by_team if t in leaders]
    # Different workers in different teams, where possible.
    chosen: list[RosterRow] = []
    used_teams: set[int | None] = set()
    for r in members:
        if r.team_id not in used_teams or len(used_teams) >= len(teams):
            chosen.append(r)
            used_teams.add(r.team_id)
        if len(chosen) == 4:
            break
    unpaid, underpaid, diverted, late = chosen
    return Faults(
        unpaid=unpaid,
        underpaid=underpaid,
        leader_card=diverted,
        leader=leaders[diverted.team_id],
        late=late,
        ghost_name=ghost[0],
        ghost_id=ghost[1],
    )


def bank_file(
    roster: MonthRoster,
    faults: Faults,
    *,
    pay_day: dt.date,
    today: dt.date,
    bank_names: dict[int, str],
    nets: dict[int, int] | None = None,
) -> tuple[bytes, dict[str, int]]:
    """The XLSX bytes and how many lines of each kind it holds. `nets`: what the locked wage
    sheets say each worker is to be paid (fen); without one, rate × days."""
    wb = load_workbook(io.BytesIO(template_xlsx_bytes()))
    ws = wb.active
    assert ws is not None  # noqa: S101
    period = roster.period
    # Paid a few days before the pay day, but not before the month is over; the late one
    # after it, and by today (the bank's result holds no future dates).
    next_month = (parse_period(period) + dt.timedelta(days=31)).replace(day=1)
    paid_on = max(pay_day - dt.timedelta(days=3), next_month)
    late_on = min(pay_day + dt.timedelta(days=9), today)
    counts = {"paid": 0, "underpaid": 0, "leader_card": 0, "ghost": 0, "late": 0}
    lines: list[list[object]] = []
    for r in roster.rows:
        days = r.month.attended_days
        if days <= 0 or r.worker_id == faults.unpaid.worker_id:
            continue
        due = Decimal(r.wage_rate_fen) * Decimal(str(days))
        if nets and r.worker_id in nets:
            due = Decimal(nets[r.worker_id])
        net = due
        card = r.bank_card or ""
        when = paid_on
        if r.worker_id == faults.underpaid.worker_id:
            net, counts["underpaid"] = due * Decimal("0.6"), 1
        elif r.worker_id == faults.leader_card.worker_id:
            card, counts["leader_card"] = faults.leader.bank_card or "", 1
        elif r.worker_id == faults.late.worker_id:
            when, counts["late"] = late_on, 1
        else:
            counts["paid"] += 1
        lines.append(
            [
                r.name, r.id_number, card, bank_names.get(r.worker_id, ""), _yuan(due), _yuan(net),
                days, period, when, "成功",
            ]
        )  # fmt: skip
    lines.append(
        [
            faults.ghost_name, faults.ghost_id, "6222020200123456789", "中国工商银行", 8400.0,
            8400.0, 22, period, paid_on, "成功",
        ]
    )  # fmt: skip
    counts["ghost"] = 1
    # Cell by cell: the template pre-formats its data rows as text, so append() would skip them.
    for i, line in enumerate(lines, start=2):
        for j, value in enumerate(line, start=1):
            cell = ws.cell(row=i, column=j, value=value)
            if isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), counts
