"""A worker's answer to their line: confirm (on the phone, or at a station as a signed record in
that device's chain), or dispute with a claim and a comment; the manager resolves a dispute with
a comment. Each step is a WageLineEvent; nothing is overwritten without a trace.

Only the worker named on the line answers it: the scope check (server/auth/scope.py, the line's
worker against the caller's own) turns anyone else, a team leader included, away with a 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.models import User
from server.auth.service import audit
from server.errors import ConflictError, NotFoundError
from server.wages import rules
from server.wages.models import WageLine, WageLineEvent, WageSheet
from server.wages.sheets import WageSheetError, WageStateError, now_utc, rule_error


class StaleLineError(ConflictError):
    """The worker answered a version of the line that is no longer the current one."""

    code = "wages.line_changed"

    def __init__(self) -> None:
        super().__init__(
            "工资单已更新,请重新查看后再确认",
            "the line has changed since you opened it: look at it again, then confirm",
        )


def _sheet(session: Session, line: WageLine) -> WageSheet:
    sheet = session.get(WageSheet, line.sheet_id)
    if sheet is None:  # the foreign key forbids it; a clear 404 all the same
        raise NotFoundError("工资表", "wage sheet")
    return sheet


def _advance(line: WageLine, sheet: WageSheet, action: rules.LineAction) -> None:
    try:
        line.state = rules.next_line_state(
            rules.LineState(line.state), action, rules.SheetState(sheet.state)
        ).value
    except rules.WageRuleError as exc:
        raise rule_error(exc) from None


@dataclass(frozen=True, slots=True)
class DeviceProof:
    """Where a station confirmation sits in its device's chain."""

    device_code: str
    seq: int
    event_hash: str
    credential: str  # id_card+face / card+confirmer
    at: dt.datetime


def confirm(
    session: Session,
    line: WageLine,
    *,
    shown_hash: str,
    user: User | None,
    device: DeviceProof | None = None,
) -> WageLine:
    """The worker confirms exactly the version whose hash they were shown."""
    if shown_hash != line.shown_hash:
        raise StaleLineError()
    sheet = _sheet(session, line)
    _advance(line, sheet, rules.LineAction.CONFIRM)
    at = device.at if device else now_utc()
    line.confirmed_at = at
    line.confirmed_hash = shown_hash
    line.confirmed_via = "device" if device else "web"
    line.confirmed_device = device.device_code if device else None
    line.confirmed_seq = device.seq if device else None
    session.add(
        WageLineEvent(
            line_id=line.id,
            at=at,
            action=rules.LineAction.CONFIRM.value,
            user_id=user.id if user else None,
            line_hash=shown_hash,
            via=line.confirmed_via,
            device_code=line.confirmed_device,
            device_seq=line.confirmed_seq,
            detail=(
                {"event_hash": device.event_hash, "credential": device.credential} if device else {}
            ),
        )
    )
    audit(
        session,
        user,
        "wages.confirm",
        "wage_line",
        line.id,
        project_id=line.project_id,
        detail={
            "via": line.confirmed_via,
            "device": line.confirmed_device,
            "seq": line.confirmed_seq,
        },
    )
    return line


def parse_claimed_days(text: str | None) -> str | None:
    if text is None or not str(text).strip():
        return None
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or value < 0 or value > 31 or (value * 2) % 1:
        raise WageSheetError(
            "天数须为 0–31 之间,可含半天(如 21.5)",
            "days must be between 0 and 31, in halves (e.g. 21.5)",
            code="wages.bad_days",
        )
    return f"{value.normalize():f}"  # "20", not normalize()'s "2E+1"


def dispute(
    session: Session,
    line: WageLine,
    *,
    shown_hash: str,
    user: User | None,
    comment: str,
    claimed_days: str | None = None,
    claimed_net_fen: int | None = None,
) -> WageLine:
    """The worker disputes the line (the days or the amount they claim, and why)."""
    if shown_hash != line.shown_hash:
        raise StaleLineError()
    comment = comment.strip()
    if not comment:
        raise WageSheetError("请说明异议的原因", "say what is wrong", code="wages.comment_required")
    days = parse_claimed_days(claimed_days)
    if claimed_net_fen is not None and claimed_net_fen < 0:
        raise WageSheetError(
            "金额不能为负", "the amount cannot be negative", code="wages.bad_amount"
        )
    sheet = _sheet(session, line)
    _advance(line, sheet, rules.LineAction.DISPUTE)
    line.confirmed_at = None
    line.confirmed_hash = None
    line.confirmed_via = None
    line.confirmed_device = None
    line.confirmed_seq = None
    session.add(
        WageLineEvent(
            line_id=line.id,
            action=rules.LineAction.DISPUTE.value,
            user_id=user.id if user else None,
            line_hash=shown_hash,
            comment=comment[:2000],
            claimed_days=days,
            claimed_net_fen=claimed_net_fen,
        )
    )
    audit(session, user, "wages.dispute", "wage_line", line.id, project_id=line.project_id)
    return line


def resolve(session: Session, line: WageLine, *, user: User | None, comment: str) -> WageLine:
    """The manager closes the worker's dispute with a comment (after correcting the line, or
    explaining why it stands); the history keeps both."""
    comment = comment.strip()
    if not comment:
        raise WageSheetError(
            "处理异议须填写说明",
            "a comment is required to resolve a dispute",
            code="wages.comment_required",
        )
    sheet = _sheet(session, line)
    _advance(line, sheet, rules.LineAction.RESOLVE)
    session.add(
        WageLineEvent(
            line_id=line.id,
            action=rules.LineAction.RESOLVE.value,
            user_id=user.id if user else None,
            line_hash=line.shown_hash,
            comment=comment[:2000],
        )
    )
    audit(session, user, "wages.resolve", "wage_line", line.id, project_id=line.project_id)
    return line


def history(session: Session, line_id: int) -> list[WageLineEvent]:
    return list(
        session.scalars(
            select(WageLineEvent)
            .where(WageLineEvent.line_id == line_id)
            .order_by(WageLineEvent.at, WageLineEvent.id)
        )
    )


def open_dispute(session: Session, line: WageLine) -> WageLineEvent | None:
    """The dispute a disputed line is waiting on (the latest one)."""
    if line.state != rules.LineState.DISPUTED.value:
        return None
    return session.scalar(
        select(WageLineEvent)
        .where(
            WageLineEvent.line_id == line.id, WageLineEvent.action == rules.LineAction.DISPUTE.value
        )
        .order_by(WageLineEvent.id.desc())
        .limit(1)
    )


def worker_lines(session: Session, worker_id: int) -> list[WageLine]:
    """A worker's lines on sheets sent to them (drafts are the manager's, not yet shown)."""
    return list(
        session.scalars(
            select(WageLine)
            .join(WageSheet, WageSheet.id == WageLine.sheet_id)
            .where(WageLine.worker_id == worker_id, WageSheet.state != rules.SheetState.DRAFT.value)
            .order_by(WageLine.period.desc(), WageLine.id.desc())
        )
    )


def worker_line(session: Session, worker_id: int, line_id: int) -> WageLine:
    line = session.get(WageLine, line_id)
    if line is None or line.worker_id != worker_id:
        raise NotFoundError("工资单", "pay line")
    sheet = _sheet(session, line)
    if sheet.state == rules.SheetState.DRAFT.value:
        raise NotFoundError("工资单", "pay line")
    return line


__all__ = ["DeviceProof", "StaleLineError", "WageStateError", "confirm", "dispute", "resolve"]
