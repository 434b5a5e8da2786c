"""The reconciliation service with the new findings: NO_PAYROLL_SHEET by default (no sheet is
wired yet: server/wages), the paying account against the project's wage account, and the ghost
worker who is registered but never entered (已登记未进场)."""

from __future__ import annotations

import datetime as dt

from recon_support import TODAY, build_month
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import AssignmentStatus, WarningLevel
from server.payroll import service as payroll_service
from server.payroll.models import PayrollLine
from server.reconciliation import service as recon_service
from server.rosters import service as roster_service
from tests.factories import make_assignment, make_device, make_project, make_worker
from tests.support.payroll_month import HEADER, attend, card, line, october

WAGE_ACCOUNT = "51050142610800001234"


def _csv(rows: list[str], payer: str | None = None) -> bytes:
    """A canonical 代发 file; `payer` adds the 付款账号 column to every row."""
    header = HEADER + (",付款账号" if payer is not None else "")
    body = [r + (f",{payer}" if payer is not None else "") for r in rows]
    return ("\r\n".join([header, *body]) + "\r\n").encode("utf-8-sig")


class TestNoPayrollSheet:
    def test_required_by_default_one_per_attended_worker(self, session: Session) -> None:
        month = build_month(session, settings={})
        summary = recon_service.run(
            session, project_id=month.project.id, period="2026-10", today=TODAY
        )
        sheetless = {f.worker_name for f in summary.findings if f.kind == "NO_PAYROLL_SHEET"}
        attended = {r.name for r in summary.rows if r.attended_days > 0}
        assert sheetless == attended == {"张三", "李四", "王五", "赵六", "孙八", "周九"}
        assert {f.level for f in summary.findings if f.kind == "NO_PAYROLL_SHEET"} == {
            WarningLevel.YELLOW
        }
        assert "发薪日后须有工资支付表" in " ".join(summary.rule_notes)

    def test_not_before_the_pay_day(self, session: Session) -> None:
        month = build_month(session, settings={})
        summary = recon_service.run(
            session, project_id=month.project.id, period="2026-10", today=dt.date(2026, 11, 15)
        )
        assert not [f for f in summary.findings if f.kind == "NO_PAYROLL_SHEET"]


class TestPaidNotFromWageAccount:
    def _month(self, session: Session, payer: str | None, wage_account: str = WAGE_ACCOUNT):
        project = make_project(
            session,
            wage_account_no=wage_account,
            settings={"reconciliation": {"require_wage_sheet": False}},
        )
        device = make_device(session, project)
        w = make_worker(session, "吴十", bank_card=card())
        make_assignment(session, project, w)
        attend(session, project, device, w, october(2))
        payroll_service.import_file(
            session,
            project_id=project.id,
            file_name="oct.csv",
            data=_csv([line(w.name, w.id_number, w.bank_card or "", "700.00")], payer),
            user=None,
        )
        return project

    def test_other_account_is_red_and_the_column_is_stored(self, session: Session) -> None:
        project = self._month(session, "6217 0000 1111 2222 333")
        stored = session.scalar(select(PayrollLine).where(PayrollLine.project_id == project.id))
        assert stored is not None
        assert stored.payer_account_no == "6217000011112222333"
        summary = recon_service.run(session, project_id=project.id, period="2026-10", today=TODAY)
        assert [(f.kind, f.level) for f in summary.findings] == [
            ("PAID_NOT_FROM_WAGE_ACCOUNT", WarningLevel.RED)
        ]
        (f,) = summary.findings
        assert f.evidence["wage_account"] == "5105************1234"
        assert f.payroll_line_id == stored.id

    def test_the_wage_account_itself(self, session: Session) -> None:
        project = self._month(session, WAGE_ACCOUNT)
        summary = recon_service.run(session, project_id=project.id, period="2026-10", today=TODAY)
        assert summary.findings == ()

    def test_no_payer_column_or_no_wage_account(self, session: Session) -> None:
        for project in (self._month(session, None), self._month(session, "62170000", "")):
            summary = recon_service.run(
                session, project_id=project.id, period="2026-10", today=TODAY
            )
            assert summary.findings == ()


class TestGhostWorker:
    """Registered on the project, never entered, and paid: on the 考勤表 with zero days, and
    PAID_WITHOUT_ATTENDANCE saying why, not UNKNOWN_PAYEE ("not registered")."""

    def _project(self, session: Session, *, paid: bool):  # type: ignore[no-untyped-def]
        project = make_project(session, settings={"reconciliation": {"require_wage_sheet": False}})
        device = make_device(session, project)
        real = make_worker(session, "郑一", bank_card=card())
        make_assignment(session, project, real)
        attend(session, project, device, real, october(2))
        ghost = make_worker(session, "冯二", bank_card=card())
        make_assignment(session, project, ghost, status=AssignmentStatus.PENDING, entered_on=None)
        rows = [line(real.name, real.id_number, real.bank_card or "", "700.00", days="2")]
        if paid:
            rows.append(line(ghost.name, ghost.id_number, ghost.bank_card or "", "3500.00"))
        payroll_service.import_file(
            session, project_id=project.id, file_name="oct.csv", data=_csv(rows), user=None
        )
        return project, real, ghost

    def test_paid_ghost_on_the_roster_with_zero_days(self, session: Session) -> None:
        project, real, ghost = self._project(session, paid=True)
        roster = roster_service.load_month(session, project_id=project.id, period="2026-10")
        rows = {r.worker_id: r for r in roster.rows}
        assert set(rows) == {real.id, ghost.id}
        g = rows[ghost.id]
        assert g.never_entered
        assert not rows[real.id].never_entered
        assert (g.month.attended_days, g.month.total_seconds, g.entered_on) == (0.0, 0, None)
        assert {c.status.value for c in g.month.cells} == {"not_assigned"}

    def test_reported_as_paid_without_attendance(self, session: Session) -> None:
        project, _, ghost = self._project(session, paid=True)
        summary = recon_service.run(session, project_id=project.id, period="2026-10", today=TODAY)
        assert [(f.kind, f.worker_id) for f in summary.findings] == [
            ("PAID_WITHOUT_ATTENDANCE", ghost.id)
        ]
        (f,) = summary.findings
        assert "已登记未进场" in f.message_zh
        assert f.evidence["never_entered"] is True
        row = next(r for r in summary.rows if r.worker_id == ghost.id)
        assert (row.attended_days, row.paid_fen, row.status.value) == (
            0.0,
            350_000,
            "paid_without_attendance",
        )
        slip = payroll_service.pay_slip(
            session, project_id=project.id, worker_id=ghost.id, period="2026-10", today=TODAY
        )
        assert slip.net_fen == 350_000

    def test_unpaid_ghost_stays_off_the_roster(self, session: Session) -> None:
        project, real, _ = self._project(session, paid=False)
        roster = roster_service.load_month(session, project_id=project.id, period="2026-10")
        assert [r.worker_id for r in roster.rows] == [real.id]

    def test_paid_in_another_month_only(self, session: Session) -> None:
        project, real, _ = self._project(session, paid=True)
        roster = roster_service.load_month(session, project_id=project.id, period="2026-09")
        assert [r.worker_id for r in roster.rows] == [real.id]
