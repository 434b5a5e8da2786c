"""Wage sheet API I/O. Money in integer fen; ID numbers and cards masked."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from models.ids import mask_bank_card, mask_id_number
from server.wages import rules
from server.wages.models import WageItem, WageLine, WageLineEvent, WageSheet


class SheetCreate(BaseModel):
    company_id: int
    period: str = Field(max_length=16, description="YYYY-MM")
    team_id: int | None = None


class ItemCreate(BaseModel):
    category: rules.ItemCategory
    reason: str = Field(max_length=256)
    amount_fen: int | None = Field(default=None, description="additions and deductions")
    quantity: str | None = Field(default=None, max_length=24, description="piece work")
    unit: str = Field(default="", max_length=16)
    unit_price_fen: int | None = None


class LockRequest(BaseModel):
    reason: str | None = Field(default=None, max_length=2000)


class Answer(BaseModel):
    """A worker's answer names the hash of the version they were shown."""

    shown_hash: str = Field(pattern=r"^[0-9a-f]{64}$")


class DisputeRequest(Answer):
    comment: str = Field(max_length=2000)
    claimed_days: str | None = Field(default=None, max_length=8)
    claimed_net_fen: int | None = None


class ResolveRequest(BaseModel):
    comment: str = Field(max_length=2000)


class SheetOut(BaseModel):
    id: int
    project_id: int
    company_id: int
    team_id: int | None
    period: str
    state: rules.SheetState
    state_zh: str
    payer_account_masked: str
    payer_bank: str
    line_count: int
    net_total_fen: int
    sent_at: dt.datetime | None
    locked_at: dt.datetime | None
    lock_reason: str | None
    paid_at: dt.datetime | None

    @classmethod
    def of(cls, s: WageSheet) -> SheetOut:
        state = rules.SheetState(s.state)
        return cls(
            id=s.id,
            project_id=s.project_id,
            company_id=s.company_id,
            team_id=s.team_id,
            period=s.period,
            state=state,
            state_zh=state.text[0],
            payer_account_masked=mask_bank_card(s.payer_account) if s.payer_account else "",
            payer_bank=s.payer_bank,
            line_count=s.line_count,
            net_total_fen=s.net_total_fen,
            sent_at=s.sent_at,
            locked_at=s.locked_at,
            lock_reason=s.lock_reason,
            paid_at=s.paid_at,
        )


class ItemOut(BaseModel):
    id: int
    category: rules.ItemCategory
    category_zh: str
    kind: rules.ItemKind
    reason: str
    amount_fen: int
    quantity: str | None
    unit: str
    unit_price_fen: int | None

    @classmethod
    def of(cls, i: WageItem) -> ItemOut:
        category = rules.ItemCategory(i.category)
        return cls(
            id=i.id,
            category=category,
            category_zh=category.text[0],
            kind=category.kind,
            reason=i.reason,
            amount_fen=i.amount_fen,
            quantity=i.quantity,
            unit=i.unit,
            unit_price_fen=i.unit_price_fen,
        )


class EventOut(BaseModel):
    at: dt.datetime
    action: str
    via: str
    device_code: str | None
    device_seq: int | None
    comment: str
    claimed_days: str | None
    claimed_net_fen: int | None
    line_hash: str

    @classmethod
    def of(cls, e: WageLineEvent) -> EventOut:
        return cls(
            at=e.at,
            action=e.action,
            via=e.via,
            device_code=e.device_code,
            device_seq=e.device_seq,
            comment=e.comment,
            claimed_days=e.claimed_days,
            claimed_net_fen=e.claimed_net_fen,
            line_hash=e.line_hash,
        )


class LineOut(BaseModel):
    id: int
    sheet_id: int
    period: str
    worker_id: int
    name: str
    id_number_masked: str
    team_name: str
    trade: str
    bank_card_masked: str
    bank_name: str
    wage_kind: str
    rate_fen: int
    attended_days: str
    hours: str
    corrected_days: int
    day_marks: str
    base_fen: int
    piece_fen: int
    additions_fen: int
    deductions_fen: int
    gross_fen: int
    net_fen: int
    state: rules.LineState
    state_zh: str
    version: int
    shown_hash: str
    confirmed_at: dt.datetime | None
    confirmed_via: str | None
    confirmed_device: str | None
    confirmed_seq: int | None
    stale: bool
    items: list[ItemOut] = []
    history: list[EventOut] = []

    @classmethod
    def of(
        cls,
        line: WageLine,
        items: list[WageItem] | None = None,
        history: list[WageLineEvent] | None = None,
    ) -> LineOut:
        state = rules.LineState(line.state)
        return cls(
            id=line.id,
            sheet_id=line.sheet_id,
            period=line.period,
            worker_id=line.worker_id,
            name=line.name,
            id_number_masked=mask_id_number(line.id_number),
            team_name=line.team_name,
            trade=line.trade,
            bank_card_masked=mask_bank_card(line.bank_card) if line.bank_card else "",
            bank_name=line.bank_name,
            wage_kind=line.wage_kind,
            rate_fen=line.rate_fen,
            attended_days=rules.days_text(line.half_days / 2),
            hours=f"{line.seconds / 3600:.1f}",
            corrected_days=line.corrected_days,
            day_marks=line.day_marks,
            base_fen=line.base_fen,
            piece_fen=line.piece_fen,
            additions_fen=line.additions_fen,
            deductions_fen=line.deductions_fen,
            gross_fen=line.gross_fen,
            net_fen=line.net_fen,
            state=state,
            state_zh=state.text[0],
            version=line.version,
            shown_hash=line.shown_hash,
            confirmed_at=line.confirmed_at,
            confirmed_via=line.confirmed_via,
            confirmed_device=line.confirmed_device,
            confirmed_seq=line.confirmed_seq,
            stale=line.stale,
            items=[ItemOut.of(i) for i in items or []],
            history=[EventOut.of(e) for e in history or []],
        )


class SheetDetailOut(SheetOut):
    lines: list[LineOut]


class LedgerRowOut(BaseModel):
    """One row of the 工资支付台账 (条例 Art. 15)."""

    period: str
    employer: str
    worker_id: int | None
    name: str
    id_number_masked: str
    contact: str
    days: str | None
    hours: str | None
    items: str
    gross_fen: int | None
    deductions: str
    deductions_fen: int
    net_fen: int | None
    paid_fen: int
    paid_on: dt.date | None
    voucher: str
    confirmation: str
    source: str
