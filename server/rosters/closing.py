"""Closed months: whether a project × month may still change silently, and marking its stored
reconciliation stale when it changes anyway (after a second person's approval).

A month is closed once it has been reconciled (a reconciliation run exists for it) or paid
(successful 代发 lines for the period), and, with server/wages, once its wage sheet is locked.
A correction (补卡) that would change a closed month waits for another site manager or admin
of the project to approve it (rosters.service.add_correction / decide_correction); on approval
`mark_month_changed` marks the month's stored findings stale until reconciliation runs again.

`month_closed` is the one place that decides "closed"; `mark_month_changed` the one place that
marks a month stale. server/wages calls the latter when a locked sheet's lines change.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.auth.models import AuditLog
from server.db.types import utcnow
from server.payroll.models import PayrollLine
from server.reconciliation.models import ReconMonthState
from server.rosters import rules as roster_rules
from server.wages.models import WageLine, WageSheet

# Why a month is closed: code -> (zh, en). The code is stored on a pending correction.
CLOSED_REASONS: dict[str, tuple[str, str]] = {
    "reconciled": ("该月已做工资核对", "the month has been reconciled"),
    "paid": ("该月工资已发放", "the month's wages have been paid"),
    "sheet_locked": ("该月工资支付表已锁定", "the month's wage sheet is locked"),
}
RECON_RUN_ACTION = "reconciliation.run"  # the audit action of reconciliation.service.run


def closed_reason_text(code: str | None) -> tuple[str, str]:
    """(zh, en) of a CLOSED_REASONS code; an unknown code is shown as it is."""
    if not code:
        return ("", "")
    return CLOSED_REASONS.get(code, (code, code))


# --------------------------------------------------------------------------------------------
# Pure


def period_of(at: dt.datetime, settings: roster_rules.RosterSettings) -> str:
    """The month ("YYYY-MM") of an instant in the project's time zone."""
    local = at.astimezone(settings.zone)
    return f"{local.year:04d}-{local.month:02d}"


def affected_periods(at: dt.datetime, settings: roster_rules.RosterSettings) -> tuple[str, ...]:
    """The months a punch at `at` can change: its own local month, and the month before when the
    punch lies within one longest session (`max_session_hours`) of the month's start, since a
    session belongs to the day of its IN (an OUT at 02:00 on the 1st closes last month's night
    shift; an IN then can end last month's open session as a missing OUT). Oldest first."""
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    own = period_of(at, settings)
    before = period_of(at - dt.timedelta(hours=settings.max_session_hours), settings)
    return (before, own) if before != own else (own,)


# --------------------------------------------------------------------------------------------
# Reading


def _reconciled(session: Session, project_id: int, period: str) -> bool:
    last_run = session.scalar(
        select(ReconMonthState.last_run_at).where(
            ReconMonthState.project_id == project_id, ReconMonthState.period == period
        )
    )
    if last_run is not None:
        return True
    # Runs from before recon_month_state kept only their audit record (a few per project).
    details = session.scalars(
        select(AuditLog.detail).where(
            AuditLog.project_id == project_id, AuditLog.action == RECON_RUN_ACTION
        )
    )
    return any((d or {}).get("period") == period for d in details)


def _paid(session: Session, project_id: int, period: str) -> bool:
    found = session.scalar(
        select(PayrollLine.id)
        .where(
            PayrollLine.project_id == project_id,
            PayrollLine.period == period,
            PayrollLine.status == "success",
        )
        .limit(1)
    )
    return found is not None


def month_closed(session: Session, *, project_id: int, period: str) -> str | None:
    """Why the project's month is closed (a CLOSED_REASONS code), or None while it is open."""
    if _reconciled(session, project_id, period):
        return "reconciled"
    if _paid(session, project_id, period):
        return "paid"
    if _sheet_locked(session, project_id, period):
        return "sheet_locked"
    return None


def _sheet_locked(session: Session, project_id: int, period: str) -> bool:
    return (
        session.scalar(
            select(WageSheet.id)
            .where(
                WageSheet.project_id == project_id,
                WageSheet.period == period,
                WageSheet.state.in_(("locked", "paid")),
            )
            .limit(1)
        )
        is not None
    )


# --------------------------------------------------------------------------------------------
# Writing


def _upsert_state(session: Session, project_id: int, period: str, values: dict[str, Any]) -> None:
    """Insert or update the month's row in one statement (two writers cannot both insert)."""
    now = utcnow()
    row = {
        "project_id": project_id,
        "period": period,
        "stale_reason": "",
        "created_at": now,
        "updated_at": now,
        **values,
    }
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(ReconMonthState).values(**row)
    elif dialect == "sqlite":
        stmt = sqlite.insert(ReconMonthState).values(**row)
    else:  # pragma: no cover - the two backends SiteGate runs on
        raise NotImplementedError(dialect)
    stmt = stmt.on_conflict_do_update(
        index_elements=["project_id", "period"], set_={**values, "updated_at": now}
    )
    session.execute(stmt)


def mark_month_changed(
    session: Session,
    *,
    project_id: int,
    period: str,
    reason: str = "",
    at: dt.datetime | None = None,
) -> None:
    """Mark the month's stored reconciliation stale: a figure it rests on has changed (an
    approved correction, a wage sheet line). Pages and the API say so until it runs again.
    `reason`: what changed, "zh / en". Marking a month nobody reconciled is harmless: stale
    is only shown beside a reconciliation."""
    _upsert_state(
        session,
        project_id,
        period,
        {"stale_at": at or utcnow(), "stale_reason": reason[:2000]},
    )
    # The month's wage sheet lines rest on the same figures: they say so until refreshed (a
    # locked sheet keeps the mark beside its final figures).
    session.execute(
        update(WageLine)
        .where(WageLine.project_id == project_id, WageLine.period == period)
        .values(stale=True)
    )


def mark_payments_changed(
    session: Session, *, project_id: int, periods: tuple[str, ...], reason: str
) -> None:
    """A 代发 import for months already reconciled: their findings rest on the lines the run
    saw, so they are stale until it runs again (months never reconciled get no row)."""
    session.execute(
        update(ReconMonthState)
        .where(
            ReconMonthState.project_id == project_id,
            ReconMonthState.period.in_(periods),
            ReconMonthState.last_run_at.is_not(None),
        )
        .values(stale_at=utcnow(), stale_reason=reason[:2000], updated_at=utcnow())
    )


def record_run(
    session: Session, *, project_id: int, period: str, at: dt.datetime | None = None
) -> None:
    """A reconciliation run of the month: its findings are current again (not stale)."""
    _upsert_state(
        session,
        project_id,
        period,
        {"last_run_at": at or utcnow(), "stale_at": None, "stale_reason": ""},
    )


def month_state(session: Session, *, project_id: int, period: str) -> ReconMonthState | None:
    # populate_existing: the upserts above bypass the identity map, so refresh a loaded row
    return session.scalar(
        select(ReconMonthState)
        .where(ReconMonthState.project_id == project_id, ReconMonthState.period == period)
        .execution_options(populate_existing=True)
    )


def stale_months(
    session: Session, *, project_ids: list[int], periods: list[str]
) -> dict[tuple[int, str], ReconMonthState]:
    """The stale rows among these projects × periods, in one query (the inspector overview)."""
    if not project_ids or not periods:
        return {}
    rows = session.scalars(
        select(ReconMonthState)
        .where(
            ReconMonthState.project_id.in_(project_ids),
            ReconMonthState.period.in_(periods),
            ReconMonthState.stale_at.is_not(None),
        )
        .execution_options(populate_existing=True)
    )
    return {(r.project_id, r.period): r for r in rows}
