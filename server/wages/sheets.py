"""Wage sheets: build one from the monthly roster, edit its items, send it, lock it, settle it.

Set-based where a sheet is large (5,000 workers is one big subcontractor's month): lines are
inserted and re-hashed with one executemany each, never row by row through the ORM.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from models.enums import WageKind
from models.ids import mask_bank_card, mask_id_number
from server.auth.models import User
from server.auth.service import audit
from server.errors import ConflictError, NotFoundError, ValidationFailedError
from server.payroll.models import PayrollLine
from server.payroll.service import worker_month_input
from server.reconciliation import rules as recon_rules
from server.registry.models import Company, Project, ProjectCompany, Team, Worker
from server.rosters import service as roster_service
from server.wages import rules
from server.wages.models import WageItem, WageLine, WageLineEvent, WageSheet

# The tables themselves, for set-based writes through Core (no ORM unit-of-work per row).
_LINES = cast(Table, WageLine.__table__)
_EVENTS = cast(Table, WageLineEvent.__table__)


class WageSheetError(ValidationFailedError):
    code = "wages.invalid"


class WageStateError(ConflictError):
    code = "wages.bad_state"


def rule_error(exc: rules.WageRuleError) -> WageSheetError | WageStateError:
    cls = WageStateError if isinstance(exc, rules.StateError) else WageSheetError
    return cls(exc.zh, exc.en, code=exc.code)


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --------------------------------------------------------------------------------------------
# Reading


def get_sheet(session: Session, project_id: int, sheet_id: int) -> WageSheet:
    sheet = session.get(WageSheet, sheet_id)
    if sheet is None or sheet.project_id != project_id:
        raise NotFoundError("工资表", "wage sheet")
    return sheet


def get_line(session: Session, sheet: WageSheet, line_id: int) -> WageLine:
    line = session.get(WageLine, line_id)
    if line is None or line.sheet_id != sheet.id:
        raise NotFoundError("工资表行", "wage sheet line")
    return line


def list_sheets(session: Session, project_id: int, period: str | None = None) -> list[WageSheet]:
    stmt = select(WageSheet).where(WageSheet.project_id == project_id)
    if period:
        stmt = stmt.where(WageSheet.period == period)
    return list(session.scalars(stmt.order_by(WageSheet.period.desc(), WageSheet.id)))


def lines_of(session: Session, sheet_id: int) -> list[WageLine]:
    return list(
        session.scalars(
            select(WageLine)
            .where(WageLine.sheet_id == sheet_id)
            .order_by(WageLine.team_name, WageLine.name, WageLine.id)
        )
    )


def items_by_line(session: Session, line_ids: Sequence[int]) -> dict[int, list[WageItem]]:
    out: dict[int, list[WageItem]] = defaultdict(list)
    for chunk_start in range(0, len(line_ids), 5000):
        chunk = line_ids[chunk_start : chunk_start + 5000]
        for item in session.scalars(
            select(WageItem).where(WageItem.line_id.in_(chunk)).order_by(WageItem.id)
        ):
            out[item.line_id].append(item)
    return out


def rule_items(items: Iterable[WageItem]) -> list[rules.Item]:
    return [
        rules.Item(
            rules.ItemCategory(i.category),
            i.reason,
            i.amount_fen,
            None if i.quantity is None else Decimal(i.quantity),
            i.unit,
            i.unit_price_fen,
        )
        for i in items
    ]


@dataclass(frozen=True, slots=True)
class SheetContext:
    """What every line of a sheet shares in what the worker is shown."""

    project_code: str
    company_name: str
    payer_account_masked: str

    @classmethod
    def of(cls, session: Session, sheet: WageSheet) -> SheetContext:
        project = session.get(Project, sheet.project_id)
        company = session.get(Company, sheet.company_id)
        return cls(
            project.code if project else "",
            company.name if company else "",
            mask_bank_card(sheet.payer_account) if sheet.payer_account else "",
        )


def shown(
    ctx: SheetContext, sheet: WageSheet, line: WageLine, items: Sequence[rules.Item]
) -> rules.Shown:
    return rules.Shown(
        line_id=line.id,
        version=line.version,
        project_code=ctx.project_code,
        company_name=ctx.company_name,
        period=sheet.period,
        name=line.name,
        id_number_masked=mask_id_number(line.id_number),
        bank_card_masked=mask_bank_card(line.bank_card) if line.bank_card else "",
        bank_name=line.bank_name,
        payer_account_masked=ctx.payer_account_masked,
        wage_kind=line.wage_kind,
        rate_fen=line.rate_fen,
        attended_days=rules.days_text(line.half_days / 2),
        hours=f"{line.seconds / 3600:.1f}",
        day_marks=line.day_marks,
        items=tuple(items),
        amounts=rules.Amounts(
            line.base_fen, line.piece_fen, line.additions_fen, line.deductions_fen
        ),
    )


# --------------------------------------------------------------------------------------------
# Building


def _figures(row: roster_service.RosterRow, period: str) -> dict[str, Any]:
    """A roster row's figures as a line carries them (the amount due by the reconciliation's
    own rule, so the sheet and the check can never disagree on arithmetic)."""
    wm = row.month
    due = recon_rules.expected_fen(worker_month_input(row), period) or 0
    return {
        "assignment_id": row.assignment_id,
        "team_name": row.team_name,
        "trade": row.trade,
        "wage_kind": row.wage_kind.value,
        "rate_fen": row.wage_rate_fen,
        "half_days": round(wm.attended_days * 2),
        "seconds": wm.total_seconds,
        "corrected_days": wm.corrected_days,
        "day_marks": "".join(c.status.mark for c in wm.cells),
        "base_fen": due,
    }


def _roster_rows(
    session: Session, project_id: int, company_id: int, period: str, team_id: int | None
) -> list[roster_service.RosterRow]:
    roster = roster_service.load_month(
        session, project_id=project_id, period=period, company_id=company_id
    )
    return [
        r
        for r in roster.rows
        if r.month.attended_days > 0 and (team_id is None or r.team_id == team_id)
    ]


def build_sheet(
    session: Session,
    *,
    project_id: int,
    company_id: int,
    period: str,
    user: User | None,
    team_id: int | None = None,
) -> WageSheet:
    """A draft sheet from the month's roster: one line per worker of the firm (or team) who
    attended at least a half day, with the amount due from their wage terms."""
    year, month = roster_service.parse_period(period)
    period = f"{year:04d}-{month:02d}"
    project = session.get(Project, project_id)
    if project is None:
        raise NotFoundError("项目", "project")
    on_project = session.scalar(
        select(ProjectCompany.id).where(
            ProjectCompany.project_id == project_id, ProjectCompany.company_id == company_id
        )
    )
    if on_project is None:
        raise WageSheetError("该企业不在本项目", "this firm is not on the project")
    if team_id is not None:
        team = session.get(Team, team_id)
        if team is None or team.project_id != project_id or team.company_id != company_id:
            raise WageSheetError("班组不属于该企业", "the team is not this firm's")
    team_key = "" if team_id is None else str(team_id)
    existing = session.scalar(
        select(WageSheet).where(
            WageSheet.project_id == project_id,
            WageSheet.company_id == company_id,
            WageSheet.period == period,
            WageSheet.team_key.in_(["", team_key]),
        )
    )
    if existing is not None:
        raise WageStateError(
            f"该企业 {period} 的工资表已存在(编号 {existing.id})",
            f"a wage sheet of this firm for {period} exists already (no. {existing.id})",
            code="wages.exists",
            detail={"sheet_id": existing.id},
        )
    if team_id is None and session.scalar(
        select(WageSheet.id).where(
            WageSheet.project_id == project_id,
            WageSheet.company_id == company_id,
            WageSheet.period == period,
        )
    ):
        raise WageStateError(
            "该企业本月已按班组编制工资表",
            "this firm's month already has sheets per team",
            code="wages.exists",
        )
    sheet = WageSheet(
        project_id=project_id,
        company_id=company_id,
        team_id=team_id,
        team_key=team_key,
        period=period,
        state=rules.SheetState.DRAFT.value,
        payer_name=project.name,
        payer_bank=project.wage_account_bank,
        payer_account=project.wage_account_no,
        created_by=user.id if user else None,
    )
    session.add(sheet)
    session.flush()
    rows = _roster_rows(session, project_id, company_id, period, team_id)
    workers = _workers(session, [r.worker_id for r in rows])
    values = []
    for row in rows:
        w = workers[row.worker_id]
        base = _figures(row, period)
        values.append(
            {
                "sheet_id": sheet.id,
                "project_id": project_id,
                "period": period,
                "worker_id": row.worker_id,
                "name": w.name,
                "id_number": w.id_number,
                "phone": w.phone or "",
                "bank_card": w.bank_card or "",
                "bank_name": w.bank_name,
                "gross_fen": base["base_fen"],
                "net_fen": base["base_fen"],
                "state": rules.LineState.DRAFT.value,
                "version": 1,
                **base,
            }
        )
    if values:
        # Core executemany (insertmanyvalues), not the ORM's bulk path: 5,000 lines in one go.
        now = now_utc()
        session.execute(
            insert(_LINES),
            [{"created_at": now, "updated_at": now, "stale": False, "shown_hash": "", **v}
             for v in values],
        )  # fmt: skip
    _update_totals(session, sheet)
    audit(
        session,
        user,
        "wages.build",
        "wage_sheet",
        sheet.id,
        project_id=project_id,
        detail={"period": period, "company_id": company_id, "lines": len(values)},
    )
    return sheet


def _workers(session: Session, ids: Sequence[int]) -> dict[int, Worker]:
    out: dict[int, Worker] = {}
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        out.update({w.id: w for w in session.scalars(select(Worker).where(Worker.id.in_(chunk)))})
    return out


def _update_totals(session: Session, sheet: WageSheet) -> None:
    count, total = session.execute(
        select(func.count(WageLine.id), func.coalesce(func.sum(WageLine.net_fen), 0)).where(
            WageLine.sheet_id == sheet.id
        )
    ).one()
    sheet.line_count = int(count)
    sheet.net_total_fen = int(total)


def _editable(sheet: WageSheet) -> rules.SheetState:
    state = rules.SheetState(sheet.state)
    if state in (rules.SheetState.LOCKED, rules.SheetState.PAID):
        raise WageStateError(
            "工资表已锁定,不能修改",
            "the wage sheet is locked and cannot change",
            code="wages.locked",
        )
    return state


def refresh_sheet(session: Session, sheet: WageSheet, *, user: User | None) -> int:
    """Take the roster's figures again (after 补卡, late uploads): lines whose figures changed
    are recomputed and, on a sent sheet, sent again. Returns how many lines changed."""
    _editable(sheet)
    rows = {
        r.worker_id: r
        for r in _roster_rows(
            session, sheet.project_id, sheet.company_id, sheet.period, sheet.team_id
        )
    }
    lines = {line.worker_id: line for line in lines_of(session, sheet.id)}
    items = items_by_line(session, [line.id for line in lines.values()])
    cards = _workers(session, list(rows))  # the registered card may have been added since
    changed = 0
    for worker_id, row in rows.items():
        figures = _figures(row, sheet.period)
        line = lines.get(worker_id)
        if line is None:
            w = _workers(session, [worker_id])[worker_id]
            line = WageLine(
                sheet_id=sheet.id,
                project_id=sheet.project_id,
                period=sheet.period,
                worker_id=worker_id,
                name=w.name,
                id_number=w.id_number,
                phone=w.phone or "",
                bank_card=w.bank_card or "",
                bank_name=w.bank_name,
                state=rules.LineState.DRAFT.value,
                version=1,
                **figures,
            )
            session.add(line)
            session.flush()
            _recompute(session, sheet, line, [], user=user, action="add")
            changed += 1
            continue
        card = cards[worker_id]
        figures |= {"bank_card": card.bank_card or "", "bank_name": card.bank_name}
        if any(getattr(line, k) != v for k, v in figures.items()) or line.stale:
            for k, v in figures.items():
                setattr(line, k, v)
            line.stale = False
            _recompute(
                session,
                sheet,
                line,
                rule_items(items.get(line.id, [])),
                user=user,
                action="refresh",
            )
            changed += 1
    _update_totals(session, sheet)
    return changed


# --------------------------------------------------------------------------------------------
# Items


def _recompute(
    session: Session,
    sheet: WageSheet,
    line: WageLine,
    items: Sequence[rules.Item],
    *,
    user: User | None,
    action: str,
    comment: str = "",
) -> None:
    """Totals from the items; on a sent sheet a changed line is a new version, sent again."""
    try:
        totals = rules.amounts(line.base_fen, items)
    except rules.WageRuleError as exc:
        raise rule_error(exc) from None
    line.piece_fen = totals.piece_fen
    line.additions_fen = totals.additions_fen
    line.deductions_fen = totals.deductions_fen
    line.gross_fen = totals.gross_fen
    line.net_fen = totals.net_fen
    state = rules.SheetState(sheet.state)
    if state is rules.SheetState.DRAFT:
        return
    try:
        line.state = rules.next_line_state(
            rules.LineState(line.state), rules.LineAction.EDIT, state
        ).value
    except rules.WageRuleError as exc:
        raise rule_error(exc) from None
    line.version += 1
    line.sent_at = now_utc()
    line.shown_hash = rules.line_hash(shown(SheetContext.of(session, sheet), sheet, line, items))
    session.add(
        WageLineEvent(
            line_id=line.id,
            action=rules.LineAction.SEND.value,
            user_id=user.id if user else None,
            line_hash=line.shown_hash,
            comment=comment or "修改后重新发送 / sent again after a change",
            detail={"cause": action, "version": line.version},
        )
    )


def add_item(
    session: Session,
    sheet: WageSheet,
    line: WageLine,
    *,
    user: User | None,
    category: rules.ItemCategory,
    reason: str,
    amount_fen: int | None = None,
    quantity: str | None = None,
    unit: str = "",
    unit_price_fen: int | None = None,
) -> WageItem:
    _editable(sheet)
    try:
        item = rules.make_item(
            category,
            reason,
            amount_fen=amount_fen,
            quantity=rules.parse_quantity(quantity) if quantity else None,
            unit=unit,
            unit_price_fen=unit_price_fen,
        )
    except rules.WageRuleError as exc:
        raise rule_error(exc) from None
    row = WageItem(
        line_id=line.id,
        category=item.category.value,
        reason=item.reason[:256],
        amount_fen=item.amount_fen,
        quantity=None if item.quantity is None else str(item.quantity),
        unit=item.unit[:16],
        unit_price_fen=item.unit_price_fen,
        author_user_id=user.id if user else None,
    )
    session.add(row)
    session.flush()
    current = rule_items(items_by_line(session, [line.id]).get(line.id, []))
    _recompute(
        session,
        sheet,
        line,
        current,
        user=user,
        action="item",
        comment=f"{item.category.text[0]}: {item.reason}",
    )
    _update_totals(session, sheet)
    audit(
        session,
        user,
        "wages.item_add",
        "wage_line",
        line.id,
        project_id=sheet.project_id,
        detail={"category": item.category.value, "amount_fen": item.amount_fen},
    )
    return row


def remove_item(
    session: Session, sheet: WageSheet, line: WageLine, item_id: int, *, user: User | None
) -> None:
    _editable(sheet)
    item = session.get(WageItem, item_id)
    if item is None or item.line_id != line.id:
        raise NotFoundError("工资项目", "wage item")
    detail = {"category": item.category, "amount_fen": item.amount_fen, "reason": item.reason}
    session.delete(item)
    session.flush()
    current = rule_items(items_by_line(session, [line.id]).get(line.id, []))
    _recompute(session, sheet, line, current, user=user, action="item_remove")
    _update_totals(session, sheet)
    audit(
        session,
        user,
        "wages.item_remove",
        "wage_line",
        line.id,
        project_id=sheet.project_id,
        detail=detail,
    )


# --------------------------------------------------------------------------------------------
# Sending, locking, paying


def send_sheet(session: Session, sheet: WageSheet, *, user: User | None) -> int:
    """Draft → sent: every line gets the hash of what its worker now sees."""
    try:
        sheet.state = rules.next_sheet_state(
            rules.SheetState(sheet.state), rules.SheetState.SENT
        ).value
    except rules.WageRuleError as exc:
        raise rule_error(exc) from None
    at = now_utc()
    sheet.sent_at = at
    ctx = SheetContext.of(session, sheet)
    lines = lines_of(session, sheet.id)
    items = items_by_line(session, [line.id for line in lines])
    updates, events = [], []
    for line in lines:
        digest = rules.line_hash(shown(ctx, sheet, line, rule_items(items.get(line.id, []))))
        updates.append(
            {
                "id": line.id,
                "shown_hash": digest,
                "state": rules.LineState.AWAITING.value,
                "sent_at": at,
            }
        )
        events.append(
            {
                "line_id": line.id,
                "at": at,
                "action": rules.LineAction.SEND.value,
                "user_id": user.id if user else None,
                "line_hash": digest,
                "via": "web",
                "comment": "",
                "detail": {"version": line.version},
            }
        )
    if updates:
        table = _LINES
        session.execute(
            update(table)
            .where(table.c.id == bindparam("line_id"))
            .values(
                shown_hash=bindparam("hash"), state=bindparam("to"), sent_at=bindparam("at"),
                updated_at=bindparam("at"),
            ),
            [{"line_id": u["id"], "hash": u["shown_hash"], "to": u["state"], "at": at}
             for u in updates],
        )  # fmt: skip
        session.execute(insert(_EVENTS), events)
    audit(
        session,
        user,
        "wages.send",
        "wage_sheet",
        sheet.id,
        project_id=sheet.project_id,
        detail={"lines": len(updates)},
    )
    return len(updates)


def lock_sheet(
    session: Session, sheet: WageSheet, *, user: User | None, reason: str | None = None
) -> rules.LockCheck:
    """Sent → locked, when every line is settled; anyway only with a reason (kept on the sheet,
    where the reconciliation turns it into a finding)."""
    project = session.get(Project, sheet.project_id)
    if project is None or not (sheet.payer_account or project.wage_account_no).strip():
        raise WageSheetError(
            "项目未登记农民工工资专用账户,不能锁定:请先在项目设置中填写",
            "the project has no wage account on record: enter it in the project's settings "
            "before locking",
            code="wages.no_wage_account",
        )
    no_card = session.scalars(
        select(WageLine.name).where(
            WageLine.sheet_id == sheet.id, WageLine.net_fen > 0, WageLine.bank_card == ""
        )
    ).all()
    if no_card:  # 总包代发 pays into the worker's own card: it must be on record first
        names = "、".join(no_card[:10]) + ("…" if len(no_card) > 10 else "")
        raise WageSheetError(
            f"{len(no_card)} 名工人未登记本人银行卡({names}):请登记后点“按考勤表刷新”再锁定",
            f"{len(no_card)} workers have no bank card on record ({names}): register their "
            "cards, refresh the sheet from the roster, then lock",
            code="wages.no_bank_card",
        )
    states = [
        rules.LineState(s)
        for s in session.scalars(select(WageLine.state).where(WageLine.sheet_id == sheet.id))
    ]
    check = rules.lock_check(states)
    try:
        rules.may_lock(check, reason)
        sheet.state = rules.next_sheet_state(
            rules.SheetState(sheet.state), rules.SheetState.LOCKED
        ).value
    except rules.WageRuleError as exc:
        raise rule_error(exc) from None
    if not sheet.payer_account:  # recorded on the project after the sheet was built
        sheet.payer_name, sheet.payer_bank = project.name, project.wage_account_bank
        sheet.payer_account = project.wage_account_no
    sheet.locked_at = now_utc()
    sheet.locked_by = user.id if user else None
    sheet.lock_reason = None if check.clean else (reason or "").strip()
    audit(
        session,
        user,
        "wages.lock",
        "wage_sheet",
        sheet.id,
        project_id=sheet.project_id,
        detail={
            "unsettled": check.unsettled,
            "open_disputes": check.open_disputes,
            "reason": sheet.lock_reason,
        },
    )
    return check


def settle_paid(session: Session, project_id: int, period: str) -> int:
    """Locked sheets of the month whose every line with pay has a successful bank result
    become paid. Returns how many did."""
    sheets = session.scalars(
        select(WageSheet).where(
            WageSheet.project_id == project_id,
            WageSheet.period == period,
            WageSheet.state == rules.SheetState.LOCKED.value,
        )
    ).all()
    if not sheets:
        return 0
    paid = set(
        session.scalars(
            select(PayrollLine.worker_id).where(
                PayrollLine.project_id == project_id,
                PayrollLine.period == period,
                PayrollLine.status == "success",
                PayrollLine.worker_id.is_not(None),
            )
        )
    )
    done = 0
    for sheet in sheets:
        owed = set(
            session.scalars(
                select(WageLine.worker_id).where(
                    WageLine.sheet_id == sheet.id, WageLine.net_fen > 0
                )
            )
        )
        if owed <= paid:
            sheet.state = rules.SheetState.PAID.value
            sheet.paid_at = now_utc()
            done += 1
    return done


def mark_stale(
    session: Session, project_id: int, period: str, worker_ids: Iterable[int] | None = None
) -> int:
    """Lines whose month changed under them (an approved 补卡) say so until refreshed."""
    stmt = update(WageLine).where(WageLine.project_id == project_id, WageLine.period == period)
    if worker_ids is not None:
        stmt = stmt.where(WageLine.worker_id.in_(list(worker_ids)))
    return int(session.execute(stmt.values(stale=True)).rowcount or 0)  # type: ignore[attr-defined]


def month_locked(session: Session, project_id: int, period: str) -> bool:
    return bool(
        session.scalar(
            select(WageSheet.id).where(
                WageSheet.project_id == project_id,
                WageSheet.period == period,
                WageSheet.state.in_([rules.SheetState.LOCKED.value, rules.SheetState.PAID.value]),
            )
        )
    )


def wage_kind_text(kind: str) -> tuple[str, str]:
    return {
        WageKind.DAILY.value: ("日薪", "daily"),
        WageKind.MONTHLY.value: ("月薪", "monthly"),
        WageKind.PIECE.value: ("计件", "piece rate"),
    }.get(kind, (kind, kind))


_RECON_STATE = {
    rules.LineState.DRAFT: recon_rules.SheetLineState.UNCONFIRMED,
    rules.LineState.AWAITING: recon_rules.SheetLineState.UNCONFIRMED,
    rules.LineState.CONFIRMED: recon_rules.SheetLineState.CONFIRMED,
    rules.LineState.DISPUTED: recon_rules.SheetLineState.DISPUTED,
    rules.LineState.RESOLVED: recon_rules.SheetLineState.RESOLVED,
}


def recon_inputs(
    session: Session, project_id: int, period: str
) -> dict[int, recon_rules.SheetLineInput] | None:
    """The month's lines of sheets sent to the workers, as the reconciliation takes them (by
    worker); None when no sheet has been sent for the month (a draft is not yet a sheet)."""
    rows = session.execute(
        select(WageLine, WageSheet)
        .join(WageSheet, WageSheet.id == WageLine.sheet_id)
        .where(
            WageSheet.project_id == project_id,
            WageSheet.period == period,
            WageSheet.state != rules.SheetState.DRAFT.value,
        )
        .order_by(WageLine.id)
    ).all()
    if not rows:
        sent = session.scalar(
            select(WageSheet.id).where(
                WageSheet.project_id == project_id,
                WageSheet.period == period,
                WageSheet.state != rules.SheetState.DRAFT.value,
            )
        )
        return {} if sent else None
    out: dict[int, recon_rules.SheetLineInput] = {}
    for line, sheet in rows:
        locked = sheet.state in (rules.SheetState.LOCKED.value, rules.SheetState.PAID.value)
        out.setdefault(
            line.worker_id,
            recon_rules.SheetLineInput(
                worker_id=line.worker_id,
                line_id=line.id,
                net_fen=line.net_fen,
                state=_RECON_STATE[rules.LineState(line.state)],
                locked=locked,
                lock_reason=sheet.lock_reason if locked else None,
                sent_at=line.sent_at,
                confirmed_at=line.confirmed_at,
                deductions_fen=line.deductions_fen,
            ),
        )
    return out
