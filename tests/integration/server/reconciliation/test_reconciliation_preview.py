"""reconciliation.service.preview: a run "as of" a date, computed and not stored. Its findings
are the ones `run` would store for that date, and its per-worker table agrees with them."""

from __future__ import annotations

import datetime as dt

import pytest
from recon_support import TODAY, build_month
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.enums import Role, WarningLevel
from server.auth.models import AuditLog
from server.reconciliation import rules
from server.reconciliation import service as recon_service
from server.reconciliation.models import Finding, FindingEvent
from tests.factories import make_user

PERIOD = "2026-10"
BEFORE_PAY_DAY = dt.date(2026, 11, 10)
LONG_AFTER = dt.date(2026, 12, 20)  # 35 days past pay day: UNPAID turns red


def _rows_written(session: Session) -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        int(session.scalar(select(func.count()).select_from(t)) or 0)
        for t in (Finding, FindingEvent, AuditLog)
    )


def _state(summary: recon_service.ReconSummary) -> set[tuple[str, WarningLevel, str]]:
    return {(f.key, f.level, f.status) for f in summary.findings if f.kind != "CHAIN_BREAK"}


class TestPreview:
    def test_writes_nothing_and_says_so(self, session: Session) -> None:
        month = build_month(session)
        before = _rows_written(session)
        summary = recon_service.preview(
            session, project_id=month.project.id, period=PERIOD, today=TODAY
        )
        session.flush()
        assert _rows_written(session) == before
        assert summary.stored is False
        assert summary.today == TODAY
        assert summary.last_run_at is None
        assert summary.level is WarningLevel.RED
        assert {f.id for f in summary.findings} == {0}  # none stored yet
        assert {f.kind for f in summary.findings} == {
            "UNPAID", "UNDERPAID", "ACCOUNT_NOT_WORKERS", "PAID_WITHOUT_ATTENDANCE", "LATE",
        }  # fmt: skip
        names = {f.worker_name for f in summary.findings}
        assert {"李四", "王五", "赵六", "钱七", "孙八"} == names

    def test_table_and_findings_agree_as_of_the_date(self, session: Session) -> None:
        month = build_month(session)
        pid = month.project.id
        early = recon_service.preview(session, project_id=pid, period=PERIOD, today=BEFORE_PAY_DAY)
        rows = {r.name: r for r in early.rows}
        assert rows["李四"].status is rules.RowStatus.NOT_YET_DUE
        assert "UNPAID" not in {f.kind for f in early.findings}
        late = recon_service.preview(session, project_id=pid, period=PERIOD, today=LONG_AFTER)
        rows = {r.name: r for r in late.rows}
        assert rows["李四"].status is rules.RowStatus.UNPAID
        unpaid = [f for f in late.findings if f.kind == "UNPAID"]
        assert [(f.worker_name, f.level) for f in unpaid] == [("李四", WarningLevel.RED)]
        assert unpaid[0].evidence["days_past_pay_day"] == 35
        # Every worker the table marks as not green has a finding of that level or higher.
        rank = {WarningLevel.YELLOW: 1, WarningLevel.ORANGE: 2, WarningLevel.RED: 3}
        for r in late.rows:
            if r.level is not WarningLevel.GREEN:
                levels = [rank[f.level] for f in late.findings if f.worker_id == r.worker_id]
                assert levels, r.name
                assert max(levels) >= rank[r.level]

    @pytest.mark.parametrize("as_of", [BEFORE_PAY_DAY, TODAY, LONG_AFTER])
    def test_is_what_run_then_stores(self, session: Session, as_of: dt.date) -> None:
        month = build_month(session)
        pid = month.project.id
        inspector = make_user(session, Role.INSPECTOR, [month.project])
        first = recon_service.run(session, project_id=pid, period=PERIOD, today=TODAY)
        unpaid = next(f for f in first.findings if f.kind == "UNPAID")
        late = next(f for f in first.findings if f.kind == "LATE")
        for finding, action in ((unpaid, "waive"), (late, "resolve")):
            recon_service.act_on_finding(
                session, user=inspector, finding_id=finding.id, action=action, comment="已核实"
            )
        previewed = recon_service.preview(session, project_id=pid, period=PERIOD, today=as_of)
        stored = recon_service.run(session, project_id=pid, period=PERIOD, today=as_of)
        assert _state(previewed) == _state(stored)
        assert previewed.level == stored.level
        assert previewed.counts == stored.counts
        assert previewed.rows == stored.rows
        assert {f.id for f in previewed.findings} <= {f.id for f in stored.findings} | {0}
        statuses = {f.kind: f.status for f in previewed.findings}
        # Red by then: a waiver given when it was orange no longer holds. Before the pay day it
        # is not raised at all, and the person's decision stays as they left it.
        assert statuses["UNPAID"] == ("open" if as_of == LONG_AFTER else "waived")
        assert statuses["LATE"] == "resolved"

    def test_a_stored_open_finding_that_does_not_occur_shows_as_gone(
        self, session: Session
    ) -> None:
        month = build_month(session)
        pid = month.project.id
        recon_service.run(session, project_id=pid, period=PERIOD, today=TODAY)
        early = recon_service.preview(session, project_id=pid, period=PERIOD, today=BEFORE_PAY_DAY)
        assert {f.kind: f.status for f in early.findings}["UNPAID"] == "gone"
        assert early.run_as_of == TODAY  # the stored run's own date, for the page to state
        stored = recon_service.summary(session, project_id=pid, period=PERIOD, today=TODAY)
        assert {f.kind: f.status for f in stored.findings}["UNPAID"] == "open"  # untouched
        assert stored.stored is True
        assert stored.run_as_of == TODAY
