"""The payroll ledger and its sources are not deleted within three years of their month:
refused by the app with a clear 409, and by the database itself for a raw DELETE."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from server.payroll.models import PayrollLine
from server.wages import retention
from server.wages.models import WageLine, WageSheet
from tests.factories import make_company, make_payment, make_project, make_worker


def test_keep_until_is_three_years_after_the_month() -> None:
    assert retention.keep_until("2026-10") == dt.date(2029, 11, 1)
    assert retention.keep_until("2026-12") == dt.date(2030, 1, 1)
    assert not retention.deletable("2026-10", dt.date(2029, 10, 31))
    assert retention.deletable("2026-10", dt.date(2029, 11, 1))


def _sheet(session: Session, period: str) -> WageSheet:
    project = make_project(session)
    company = make_company(session, project)
    worker = make_worker(session)
    sheet = WageSheet(project_id=project.id, company_id=company.id, period=period, state="locked")
    session.add(sheet)
    session.flush()
    session.add(
        WageLine(sheet_id=sheet.id, project_id=project.id, period=period, worker_id=worker.id,
                 name=worker.name, id_number=worker.id_number, wage_kind="daily")
    )  # fmt: skip
    make_payment(session, project, worker, period=period, net_yuan=100)
    session.flush()
    return sheet


def test_the_app_refuses_with_a_clear_error(session: Session) -> None:
    sheet = _sheet(session, "2026-10")
    session.delete(sheet)
    with pytest.raises(retention.RetentionError) as e:
        session.flush()
    assert "三年" in e.value.message_zh
    assert "2029-11-01" in e.value.message_en
    assert e.value.status_code == 409
    session.rollback()


def test_a_bulk_delete_through_the_orm_is_refused(session: Session) -> None:
    _sheet(session, "2026-10")
    with pytest.raises(retention.RetentionError):
        session.execute(delete(PayrollLine))
    with pytest.raises(retention.RetentionError):
        session.execute(delete(WageLine).where(WageLine.period == "2026-10"))


def test_the_database_refuses_a_raw_delete(session: Session) -> None:
    _sheet(session, "2026-10")
    for table in ("payroll_line", "wage_line", "wage_sheet"):
        nested = session.begin_nested()
        with pytest.raises(DatabaseError, match=r"ledger\.retention"):
            session.connection().execute(text(f"DELETE FROM {table}"))  # noqa: S608
        nested.rollback()


def test_older_months_may_go(session: Session) -> None:
    sheet = _sheet(session, "2020-01")
    session.execute(delete(WageLine).where(WageLine.sheet_id == sheet.id))
    session.delete(sheet)
    session.flush()
