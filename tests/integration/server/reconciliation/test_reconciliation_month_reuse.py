"""reconciliation.service with `month=` (a roster the caller already loaded) and batched writes."""

from __future__ import annotations

import datetime as dt

import pytest
from recon_support import TODAY, build_month
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.reconciliation import service as recon_service
from server.reconciliation.models import Finding, FindingEvent
from server.rosters import service as roster_service


def test_rows_and_summary_with_a_loaded_month_equal_loading_it(session: Session) -> None:
    month = build_month(session)
    pid = month.project.id
    roster = roster_service.load_month(session, project_id=pid, period="2026-10")
    assert recon_service.rows(
        session, project_id=pid, period="2026-10", today=TODAY, month=roster
    ) == recon_service.rows(session, project_id=pid, period="2026-10", today=TODAY)
    with_month = recon_service.summary(
        session, project_id=pid, period="2026-10", today=TODAY, month=roster
    )
    assert with_month == recon_service.summary(
        session, project_id=pid, period="2026-10", today=TODAY
    )


def test_run_with_a_loaded_month_raises_each_finding_once_with_its_event(
    session: Session,
) -> None:
    month = build_month(session)
    pid = month.project.id
    roster = roster_service.load_month(session, project_id=pid, period="2026-10")
    first = recon_service.run(session, project_id=pid, period="2026-10", today=TODAY, month=roster)
    assert first.raised == 5
    ids = set(session.scalars(select(Finding.id).where(Finding.project_id == pid)))
    assert len(ids) == 5
    raised = session.execute(
        select(FindingEvent.finding_id, func.count())
        .where(FindingEvent.finding_id.in_(ids), FindingEvent.action == "raised")
        .group_by(FindingEvent.finding_id)
    ).all()
    assert sorted(n for _, n in raised) == [1] * 5
    again = recon_service.run(session, project_id=pid, period="2026-10", today=TODAY)
    assert (again.raised, again.updated, again.reopened, again.gone) == (0, 0, 0, 0)


@pytest.mark.parametrize("kind", ["other period", "company filter", "as_of"])
def test_a_month_that_is_not_the_whole_project_month_is_refused(
    session: Session, kind: str
) -> None:
    month = build_month(session)
    pid = month.project.id
    if kind == "other period":
        roster = roster_service.load_month(session, project_id=pid, period="2026-09")
    elif kind == "company filter":
        company = roster_service.load_month(session, project_id=pid, period="2026-10").rows[0]
        roster = roster_service.load_month(
            session, project_id=pid, period="2026-10", company_id=company.company_id or 0
        )
    else:
        as_of = dt.datetime(2026, 10, 20, tzinfo=dt.UTC)
        roster = roster_service.load_month(session, project_id=pid, period="2026-10", as_of=as_of)
    with pytest.raises(ValueError, match="month="):
        recon_service.rows(session, project_id=pid, period="2026-10", today=TODAY, month=roster)
