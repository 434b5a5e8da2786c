"""The payroll ledger and its sources are kept three years after their month (条例 Art. 15):
a delete within that time is refused with a clear error, whoever asks.

Two layers, so that neither the app nor someone at the SQL prompt removes them quietly:
- here, an ORM guard on every flush and every bulk DELETE through SQLAlchemy (a 409 naming the
  month and the date it may go);
- in the database, triggers (migration 0007) that abort a DELETE of a payroll line, a wage sheet,
  line, item of a locked sheet, or a line's history within the period, on SQLite and PostgreSQL.

Gate events are not guarded here: the chain check and the acknowledged figures (server/ingest)
are what tell a deleted gate record, and the tamper drills delete them on purpose.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Table, event, func, select, true
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql import Delete

from server.errors import ConflictError
from server.payroll.models import PayrollImport, PayrollLine
from server.rosters.models import AttendanceCorrection
from server.wages.models import WageItem, WageLine, WageLineEvent, WageSheet

KEEP_YEARS = 3


def keep_until(period: str) -> dt.date:
    """The first day a record of `period` (YYYY-MM) may be deleted: three years after the end
    of its month."""
    year, month = int(period[:4]), int(period[5:7])
    end = dt.date(year + (month == 12), month % 12 + 1, 1)
    return end.replace(year=end.year + KEEP_YEARS)


def deletable(period: str, today: dt.date) -> bool:
    return today >= keep_until(period)


class RetentionError(ConflictError):
    code = "ledger.retention"

    def __init__(self, what_zh: str, what_en: str, period: str) -> None:
        until = keep_until(period)
        super().__init__(
            f"{what_zh}({period})属于工资支付台账,须保存三年,{until:%Y-%m-%d} 前不能删除",
            f"{what_en} ({period}) belongs to the payroll ledger and is kept for three years: "
            f"it cannot be deleted before {until:%Y-%m-%d}",
            detail={"period": period, "keep_until": until.isoformat()},
        )


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _period_of(session: Session, obj: object) -> tuple[str, str, str] | None:
    """(period, zh, en) of a guarded row, or None when the row is not (yet) ledger."""
    if isinstance(obj, PayrollLine):
        return obj.period, "代发记录", "a disbursement line"
    if isinstance(obj, WageSheet):
        return obj.period, "工资表", "a wage sheet"
    if isinstance(obj, WageLine):
        return obj.period, "工资表行", "a wage sheet line"
    if isinstance(obj, WageLineEvent):
        line = session.get(WageLine, obj.line_id)
        return (line.period, "工资表记录", "a wage line's history") if line else None
    if isinstance(obj, WageItem):
        line = session.get(WageLine, obj.line_id)
        sheet = session.get(WageSheet, line.sheet_id) if line else None
        if sheet is None or sheet.state not in ("locked", "paid"):
            return None  # an item of a sheet still being compiled is the manager's to change
        return sheet.period, "工资项目", "a wage item"
    if isinstance(obj, AttendanceCorrection):
        return f"{obj.at:%Y-%m}", "补卡记录", "a 补卡 correction"
    if isinstance(obj, PayrollImport):
        period = session.scalar(
            select(PayrollLine.period)
            .where(PayrollLine.import_id == obj.id)
            .order_by(PayrollLine.period.desc())
            .limit(1)
        )
        return (period, "代发文件", "an imported disbursement file") if period else None
    return None


def check_deletes(session: Session, objects: Iterable[object], today: dt.date) -> None:
    for obj in objects:
        found = _period_of(session, obj)
        if found is not None and not deletable(found[0], today):
            raise RetentionError(found[1], found[2], found[0])


GUARDED = {
    PayrollLine.__tablename__,
    PayrollImport.__tablename__,
    WageSheet.__tablename__,
    WageLine.__tablename__,
    WageLineEvent.__tablename__,
    AttendanceCorrection.__tablename__,
}


@event.listens_for(Session, "before_flush")
def _guard_flush(session: Session, _ctx: Any, _instances: Any) -> None:
    if session.deleted:
        check_deletes(session, list(session.deleted), _today())


@event.listens_for(Session, "do_orm_execute")
def _guard_bulk(state: ORMExecuteState) -> None:
    """A bulk DELETE of a guarded table through the ORM: refused when the newest month it would
    remove is still within its three years. Tables without a month of their own (files, line
    history) refuse any bulk delete that would remove a row."""
    stmt = state.statement
    if not isinstance(stmt, Delete) or not isinstance(stmt.table, Table):
        return
    table = stmt.table
    if table.name not in GUARDED:
        return
    where = stmt.whereclause if stmt.whereclause is not None else true()
    today = _today()
    if "period" in table.c:
        newest = state.session.execute(select(func.max(table.c.period)).where(where)).scalar()
    elif "at" in table.c:
        at = state.session.execute(select(func.max(table.c.at)).where(where)).scalar()
        newest = f"{at:%Y-%m}" if at is not None else None
    else:
        exists = state.session.execute(select(table.c.id).where(where).limit(1)).first()
        newest = f"{today:%Y-%m}" if exists else None
    if newest and not deletable(str(newest), today):
        raise RetentionError("台账记录", "a ledger record", str(newest))
