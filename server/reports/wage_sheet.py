"""工资支付表 (wage payment sheet) as the pages, the XLSX and the PDF show it: one plain snapshot
of a sheet (its header, every line with its items and confirmation, every dispute with how it was
resolved), loaded in a few set-based queries, and the texts they share.

The figures are the wages service's own (server/wages): nothing is recomputed here, so a page,
a spreadsheet and a printout of the same sheet can never disagree.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import CompanyRole
from models.ids import mask_bank_card, mask_id_number
from models.money import Fen, format_yuan
from server.auth.models import User
from server.registry.models import Company, Project, ProjectCompany, Team
from server.wages import rules, sheets
from server.wages.models import WageItem, WageLine, WageLineEvent, WageSheet

TITLE = "工资支付表 / Wage payment sheet"
WAGE_KIND_TEXT = {"daily": "日薪 daily", "monthly": "月薪 monthly", "piece": "计件 piece rate"}
# What a line's state reads as on paper: "awaiting" is what a signature column calls 未确认.
LINE_STATE_PRINT = {
    rules.LineState.DRAFT: "未发送",
    rules.LineState.AWAITING: "未确认",
    rules.LineState.CONFIRMED: "已确认",
    rules.LineState.DISPUTED: "有异议",
    rules.LineState.RESOLVED: "异议已处理",
}
SIGNATURES = ("编制人 / Prepared by", "审核人 / Checked by", "总包单位(盖章) / General contractor")


def yuan(fen: Fen | None) -> str:
    return "-" if fen is None else format_yuan(fen)


@dataclass(frozen=True, slots=True)
class ItemRow:
    id: int
    category: rules.ItemCategory
    reason: str
    amount_fen: Fen
    quantity: str | None
    unit: str
    unit_price_fen: Fen | None

    @property
    def kind(self) -> rules.ItemKind:
        return self.category.kind

    @property
    def deducts(self) -> bool:
        return self.kind is rules.ItemKind.DEDUCTION

    def summary(self) -> str:
        """ "加班 150.00(10-09 加班 3 小时)"; piece work with its quantity × unit price."""
        detail = self.reason
        if self.quantity is not None and self.unit_price_fen is not None:
            detail = f"{self.reason} {self.quantity}{self.unit}×{yuan(self.unit_price_fen)}"
        return f"{self.category.text[0]} {yuan(self.amount_fen)}({detail})"


@dataclass(frozen=True, slots=True)
class LineRow:
    id: int
    worker_id: int
    name: str
    id_number_masked: str
    team_name: str
    trade: str
    wage_kind: str
    rate_fen: Fen
    days: str  # exact, in halves: "21.5"
    hours: str  # one decimal
    corrected_days: int
    day_marks: str
    base_fen: Fen
    piece_fen: Fen
    additions_fen: Fen
    deductions_fen: Fen
    gross_fen: Fen
    net_fen: Fen
    state: rules.LineState
    version: int
    bank_card_masked: str
    bank_name: str
    confirmed_at: dt.datetime | None
    confirmed_via: str | None  # web (the worker's phone) / device (a station's signed record)
    confirmed_device: str | None
    confirmed_seq: int | None
    stale: bool
    items: tuple[ItemRow, ...]

    @property
    def days_value(self) -> Decimal:
        return Decimal(self.days)

    @property
    def additions(self) -> tuple[ItemRow, ...]:
        """Piece work and additions: what adds to the base."""
        return tuple(i for i in self.items if not i.deducts)

    @property
    def deductions(self) -> tuple[ItemRow, ...]:
        return tuple(i for i in self.items if i.deducts)

    @property
    def on_device(self) -> bool:
        return self.confirmed_via == "device"

    def how_zh(self) -> str:
        """How the confirmation was given: 手机 or 设备 code #seq."""
        if self.on_device:
            return f"设备 {self.confirmed_device or '-'} #{self.confirmed_seq or '-'}"
        return "手机"

    def confirmation_zh(self, zone: ZoneInfo) -> str:
        """The printable confirmation cell: when and how, or what the line is waiting for."""
        if self.state is rules.LineState.CONFIRMED and self.confirmed_at is not None:
            at = self.confirmed_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
            return f"已确认 {at} {self.how_zh()}"
        return LINE_STATE_PRINT[self.state]


@dataclass(frozen=True, slots=True)
class DisputeRow:
    """A worker's dispute, with the resolution that closed it (None while it is open)."""

    line_id: int
    name: str
    at: dt.datetime
    comment: str
    claimed_days: str | None
    claimed_net_fen: Fen | None
    resolved_at: dt.datetime | None
    resolution: str | None
    resolved_by: str | None
    open: bool  # the line is still disputed on this very dispute

    @property
    def status(self) -> str:
        """open; resolved (by the manager, with a comment); or closed by the worker, who
        confirmed a corrected version (or disputed again)."""
        if self.open:
            return "open"
        return "resolved" if self.resolved_at is not None else "closed"


DISPUTE_STATUS_PRINT = {
    "open": "未处理 open",
    "resolved": "已处理 resolved",
    "closed": "工人其后已确认 later confirmed",
}


@dataclass(frozen=True, slots=True)
class SheetDoc:
    sheet_id: int
    project_id: int
    project_code: str
    project_name: str
    company_id: int
    company_name: str
    team_name: str  # "" for the whole firm
    period: str
    state: rules.SheetState
    payer_name: str
    payer_bank: str
    payer_account_masked: str
    general_contractor: str
    created_at: dt.datetime
    created_by: str
    sent_at: dt.datetime | None
    locked_at: dt.datetime | None
    locked_by: str
    lock_reason: str | None
    paid_at: dt.datetime | None
    net_total_fen: Fen  # as the sheet stores it: the totals row must equal it
    time_zone: str
    lines: tuple[LineRow, ...]
    disputes: tuple[DisputeRow, ...]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def editable(self) -> bool:
        return self.state in (rules.SheetState.DRAFT, rules.SheetState.SENT)

    @property
    def counts(self) -> Counter[rules.LineState]:
        return Counter(line.state for line in self.lines)

    @property
    def state_counts(self) -> list[tuple[rules.LineState, int]]:
        """How many lines are in each state, in the states' own order."""
        counts = self.counts
        return [(s, counts[s]) for s in rules.LineState if counts[s]]

    @property
    def lock_check(self) -> rules.LockCheck:
        return rules.lock_check([line.state for line in self.lines])

    @property
    def open_disputes(self) -> tuple[DisputeRow, ...]:
        return tuple(d for d in self.disputes if d.open)

    @property
    def stale_lines(self) -> int:
        return sum(1 for line in self.lines if line.stale)

    def total(self, field: str) -> Fen:
        return sum(int(getattr(line, field)) for line in self.lines)

    @property
    def total_days(self) -> Decimal:
        return sum((line.days_value for line in self.lines), Decimal(0))

    @property
    def total_days_text(self) -> str:
        return f"{self.total_days.normalize():f}" if self.lines else "0"

    def title_line(self) -> str:
        team = f" {self.team_name}" if self.team_name else ""
        return f"{self.project_name} {self.company_name}{team} {self.period} 工资支付表"


def _user_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {
        uid: full or username
        for uid, full, username in session.execute(
            select(User.id, User.full_name, User.username).where(User.id.in_(ids))
        )
    }


def _items(rows: Sequence[WageItem]) -> tuple[ItemRow, ...]:
    return tuple(
        ItemRow(
            id=i.id,
            category=rules.ItemCategory(i.category),
            reason=i.reason,
            amount_fen=i.amount_fen,
            quantity=i.quantity,
            unit=i.unit,
            unit_price_fen=i.unit_price_fen,
        )
        for i in rows
    )


def line_row(line: WageLine, items: Sequence[WageItem]) -> LineRow:
    return LineRow(
        id=line.id,
        worker_id=line.worker_id,
        name=line.name,
        id_number_masked=mask_id_number(line.id_number),
        team_name=line.team_name,
        trade=line.trade,
        wage_kind=line.wage_kind,
        rate_fen=line.rate_fen,
        days=rules.days_text(line.half_days / 2),
        hours=f"{line.seconds / 3600:.1f}",
        corrected_days=line.corrected_days,
        day_marks=line.day_marks,
        base_fen=line.base_fen,
        piece_fen=line.piece_fen,
        additions_fen=line.additions_fen,
        deductions_fen=line.deductions_fen,
        gross_fen=line.gross_fen,
        net_fen=line.net_fen,
        state=rules.LineState(line.state),
        version=line.version,
        bank_card_masked=mask_bank_card(line.bank_card) if line.bank_card else "",
        bank_name=line.bank_name,
        confirmed_at=line.confirmed_at,
        confirmed_via=line.confirmed_via,
        confirmed_device=line.confirmed_device,
        confirmed_seq=line.confirmed_seq,
        stale=line.stale,
        items=_items(items),
    )


# What ends a dispute without a resolution: the worker confirms (a corrected version) or
# disputes again.
_CLOSING = (rules.LineAction.CONFIRM.value, rules.LineAction.DISPUTE.value)


def disputes_of(
    events: Sequence[WageLineEvent],
    lines: dict[int, WageLine],
    users: dict[int, str],
) -> tuple[DisputeRow, ...]:
    """Each dispute with the first resolution after it, oldest first; `events` in time order."""
    by_line: dict[int, list[WageLineEvent]] = defaultdict(list)
    for e in events:
        by_line[e.line_id].append(e)
    out: list[DisputeRow] = []
    for line_id, evs in by_line.items():
        line = lines[line_id]
        disputes = [i for i, e in enumerate(evs) if e.action == rules.LineAction.DISPUTE.value]
        for n, i in enumerate(disputes):
            e = evs[i]
            resolution = None
            # Closed by the first resolution, unless the worker confirmed (or disputed) first.
            for r in evs[i + 1 :]:
                if r.action == rules.LineAction.RESOLVE.value:
                    resolution = r
                    break
                if r.action in _CLOSING:
                    break
            latest = n == len(disputes) - 1
            out.append(
                DisputeRow(
                    line_id=line_id,
                    name=line.name,
                    at=e.at,
                    comment=e.comment,
                    claimed_days=e.claimed_days,
                    claimed_net_fen=e.claimed_net_fen,
                    resolved_at=resolution.at if resolution else None,
                    resolution=resolution.comment if resolution else None,
                    resolved_by=(
                        users.get(resolution.user_id or 0) if resolution is not None else None
                    ),
                    open=latest and line.state == rules.LineState.DISPUTED.value,
                )
            )
    out.sort(key=lambda d: (d.at, d.line_id))
    return tuple(out)


def dispute_events(session: Session, sheet_id: int) -> list[WageLineEvent]:
    """What opened or closed a dispute on the sheet's disputed lines, in time order: one query
    (disputes are few, whatever the sheet's size)."""
    disputed = (
        select(WageLineEvent.line_id)
        .join(WageLine, WageLine.id == WageLineEvent.line_id)
        .where(
            WageLine.sheet_id == sheet_id,
            WageLineEvent.action == rules.LineAction.DISPUTE.value,
        )
    )
    return list(
        session.scalars(
            select(WageLineEvent)
            .where(
                WageLineEvent.line_id.in_(disputed),
                WageLineEvent.action.in_([rules.LineAction.RESOLVE.value, *_CLOSING]),
            )
            .order_by(WageLineEvent.at, WageLineEvent.id)
        )
    )


def sheet_disputes(session: Session, sheet_id: int) -> tuple[DisputeRow, ...]:
    """Every dispute on the sheet with its resolution, without loading the other lines."""
    events = dispute_events(session, sheet_id)
    ids = {e.line_id for e in events}
    if not ids:
        return ()
    lines = {
        line.id: line for line in session.scalars(select(WageLine).where(WageLine.id.in_(ids)))
    }
    users = _user_names(session, {e.user_id for e in events if e.user_id is not None})
    return disputes_of(events, lines, users)


def general_contractor(session: Session, project_id: int) -> str:
    return (
        session.scalar(
            select(Company.name)
            .join(ProjectCompany, ProjectCompany.company_id == Company.id)
            .where(
                ProjectCompany.project_id == project_id,
                ProjectCompany.role == CompanyRole.GENERAL_CONTRACTOR,
            )
            .order_by(Company.id)
            .limit(1)
        )
        or ""
    )


def load(session: Session, sheet: WageSheet) -> SheetDoc:
    """The whole sheet as a plain snapshot: lines and items in chunked set queries."""
    project = session.get(Project, sheet.project_id)
    company = session.get(Company, sheet.company_id)
    team = session.get(Team, sheet.team_id) if sheet.team_id is not None else None
    lines = sheets.lines_of(session, sheet.id)
    items = sheets.items_by_line(session, [line.id for line in lines])
    events = dispute_events(session, sheet.id)
    users = _user_names(
        session,
        {u for u in (sheet.created_by, sheet.locked_by) if u is not None}
        | {e.user_id for e in events if e.user_id is not None},
    )
    return SheetDoc(
        sheet_id=sheet.id,
        project_id=sheet.project_id,
        project_code=project.code if project else "",
        project_name=project.name if project else "",
        company_id=sheet.company_id,
        company_name=company.name if company else "",
        team_name=team.name if team else "",
        period=sheet.period,
        state=rules.SheetState(sheet.state),
        payer_name=sheet.payer_name,
        payer_bank=sheet.payer_bank,
        payer_account_masked=mask_bank_card(sheet.payer_account) if sheet.payer_account else "",
        general_contractor=general_contractor(session, sheet.project_id),
        created_at=sheet.created_at,
        created_by=users.get(sheet.created_by or 0, ""),
        sent_at=sheet.sent_at,
        locked_at=sheet.locked_at,
        locked_by=users.get(sheet.locked_by or 0, ""),
        lock_reason=sheet.lock_reason,
        paid_at=sheet.paid_at,
        net_total_fen=sheet.net_total_fen,
        time_zone=project.timezone if project else "Asia/Shanghai",
        lines=tuple(line_row(line, items.get(line.id, [])) for line in lines),
        disputes=disputes_of(events, {line.id: line for line in lines}, users),
    )


_FILE_CHARS = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def file_name(doc: SheetDoc, ext: str) -> str:
    """工资支付表_P0001_XX劳务_2026-10.xlsx; a firm's name never makes a path or a bad name."""
    team = f"_{doc.team_name}" if doc.team_name else ""
    stem = f"工资支付表_{doc.project_code}_{doc.company_name}{team}_{doc.period}"
    return f"{_FILE_CHARS.sub('_', stem)}.{ext}"
