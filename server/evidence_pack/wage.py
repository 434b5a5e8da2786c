"""wage.json of a pack: the worker's wage lines of the month exactly as shown to them (the text
whose SHA-256 a confirmation names), how each was answered, and the bank's lines paid to them.
A confirmation at a station is also a record in records.json: its subject_hash is the line's."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.ids import mask_bank_card
from server.payroll.models import PayrollLine
from server.wages import rules, sheets
from server.wages.models import WageLine, WageSheet


def _utc(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def wage_json(session: Session, *, project_id: int, worker_id: int, period: str) -> dict[str, Any]:
    lines = session.scalars(
        select(WageLine)
        .where(
            WageLine.project_id == project_id,
            WageLine.worker_id == worker_id,
            WageLine.period == period,
        )
        .order_by(WageLine.id)
    ).all()
    items = sheets.items_by_line(session, [line.id for line in lines])
    out_lines = []
    for line in lines:
        sheet = session.get(WageSheet, line.sheet_id)
        if sheet is None or sheet.state == rules.SheetState.DRAFT.value:
            continue  # a draft was never shown to the worker
        shown = sheets.shown(
            sheets.SheetContext.of(session, sheet),
            sheet,
            line,
            sheets.rule_items(items.get(line.id, [])),
        )
        out_lines.append(
            {
                "shown": shown.canonical(),
                "shown_hash": line.shown_hash,
                "state": line.state,
                "sheet_state": sheet.state,
                "confirmed_at": _utc(line.confirmed_at),
                "confirmed_hash": line.confirmed_hash,
                "confirmed_via": line.confirmed_via,
                "confirmed_device": line.confirmed_device,
                "confirmed_seq": line.confirmed_seq,
            }
        )
    bank = session.scalars(
        select(PayrollLine)
        .where(
            PayrollLine.project_id == project_id,
            PayrollLine.worker_id == worker_id,
            PayrollLine.period == period,
        )
        .order_by(PayrollLine.id)
    ).all()
    return {
        "lines": out_lines,
        "bank_lines": [
            {
                "payee_name": b.payee_name,
                "account": mask_bank_card(b.account_no),
                "bank": b.bank_name,
                "net_fen": b.net_fen,
                "paid_on": None if b.paid_on is None else b.paid_on.isoformat(),
                "status": b.status,
            }
            for b in bank
        ],
    }
