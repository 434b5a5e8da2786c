"""reconciliation.service on a realistic month: exact findings, level, idempotent re-runs,
resolve/waive with history, reopening when the level rises, gone findings, CHAIN_BREAK."""

from __future__ import annotations

import datetime as dt

import pytest
from recon_support import TODAY, Month, build_month
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import Role, WarningLevel
from server.errors import ForbiddenError, NotFoundError, ValidationFailedError
from server.ingest import repository as ingest_repository
from server.payroll import service as payroll_service
from server.reconciliation import service as recon_service
from server.reconciliation.models import Finding, FindingEvent
from server.registry.models import Project
from tests.factories import make_assignment, make_device, make_project, make_user, make_worker
from tests.support.payroll_month import card, csv_bytes, line


def _open(session: Session, project: Project) -> list[Finding]:
    return list(
        session.scalars(
            select(Finding).where(Finding.project_id == project.id, Finding.status == "open")
        )
    )


def _kinds(month: Month, findings: list[Finding]) -> set[tuple[str, str, WarningLevel]]:
    names = {w.id: w.name for w in month.workers.values()}
    return {(f.kind, names.get(f.worker_id or 0, "-"), f.level) for f in findings}


EXPECTED = {
    ("UNPAID", "李四", WarningLevel.ORANGE),
    ("UNDERPAID", "王五", WarningLevel.ORANGE),
    ("ACCOUNT_NOT_WORKERS", "赵六", WarningLevel.RED),
    ("PAID_WITHOUT_ATTENDANCE", "钱七", WarningLevel.ORANGE),
    ("LATE", "孙八", WarningLevel.YELLOW),
}


class TestRun:
    def test_exact_findings_level_and_table(self, session: Session) -> None:
        month = build_month(session)
        summary = recon_service.run(
            session, project_id=month.project.id, period="2026-10", today=TODAY
        )
        assert summary.level is WarningLevel.RED
        assert summary.raised == 5
        assert _kinds(month, _open(session, month.project)) == EXPECTED
        assert summary.counts == {
            WarningLevel.RED: 1,
            WarningLevel.ORANGE: 3,
            WarningLevel.YELLOW: 1,
        }
        rows = {r.name: r for r in summary.rows}
        assert (rows["张三"].attended_days, rows["张三"].expected_fen, rows["张三"].paid_fen) == (
            3,
            105000,
            105000,
        )
        assert rows["王五"].difference_fen == -20000
        assert rows["李四"].status.value == "unpaid"
        assert rows["周九"].status.value == "paid"
        assert rows["钱七"].status.value == "paid_without_attendance"
        events = session.scalars(select(FindingEvent.action)).all()
        assert events.count("raised") >= 5

    def test_rerun_is_idempotent(self, session: Session) -> None:
        month = build_month(session)
        pid = month.project.id
        recon_service.run(session, project_id=pid, period="2026-10", today=TODAY)
        again = recon_service.run(session, project_id=pid, period="2026-10", today=TODAY)
        assert (again.raised, again.updated, again.reopened, again.gone) == (0, 0, 0, 0)
        rows = session.scalars(select(Finding).where(Finding.project_id == pid)).all()
        assert len(rows) == 5
        assert len({f.key for f in rows}) == 5

    def test_before_pay_day_nobody_is_unpaid(self, session: Session) -> None:
        month = build_month(session)
        summary = recon_service.run(
            session, project_id=month.project.id, period="2026-10", today=dt.date(2026, 11, 15)
        )
        assert ("UNPAID", "李四", WarningLevel.ORANGE) not in _kinds(
            month, _open(session, month.project)
        )
        assert summary.level is WarningLevel.RED

    def test_unpaid_turns_red_after_30_days_and_reopens_a_resolved_finding(
        self, session: Session
    ) -> None:
        month = build_month(session)
        pid = month.project.id
        inspector = make_user(session, Role.INSPECTOR, [month.project])
        recon_service.run(session, project_id=pid, period="2026-10", today=TODAY)
        unpaid = session.scalars(
            select(Finding).where(Finding.project_id == pid, Finding.kind == "UNPAID")
        ).one()
        recon_service.act_on_finding(
            session, user=inspector, finding_id=unpaid.id, action="resolve", comment="已电话催发"
        )
        # Same level: the person's decision stays.
        recon_service.run(session, project_id=pid, period="2026-10", today=TODAY)
        assert unpaid.status == "resolved"
        late = recon_service.run(
            session, project_id=pid, period="2026-10", today=dt.date(2026, 12, 20)
        )
        assert late.reopened == 1
        assert unpaid.status == "open"
        assert unpaid.level is WarningLevel.RED
        history = recon_service.get_finding(session, user=inspector, finding_id=unpaid.id).history
        assert [h.action for h in history] == ["raised", "resolved", "reopened"]
        assert history[1].comment == "已电话催发"
        assert "red" in history[2].comment

    def test_paid_later_makes_the_finding_gone_and_history_stays(self, session: Session) -> None:
        month = build_month(session)
        pid = month.project.id
        recon_service.run(session, project_id=pid, period="2026-10", today=TODAY)
        b = month.workers["B"]
        payroll_service.import_file(
            session,
            project_id=pid,
            file_name="oct-late.csv",
            data=csv_bytes(
                [
                    line(
                        b.name,
                        b.id_number,
                        b.bank_card or "",
                        "700.00",
                        days="2",
                        paid_on="2026-11-19",
                    )
                ]
            ),
            user=None,
        )
        summary = recon_service.run(session, project_id=pid, period="2026-10", today=TODAY)
        assert summary.gone == 1
        unpaid = session.scalars(
            select(Finding).where(Finding.project_id == pid, Finding.kind == "UNPAID")
        ).one()
        assert unpaid.status == "gone"
        kinds = {(f.kind, f.worker_id) for f in _open(session, month.project)}
        assert ("LATE", b.id) in kinds
        actions = session.scalars(
            select(FindingEvent.action).where(FindingEvent.finding_id == unpaid.id)
        ).all()
        assert actions == ["raised", "gone"]

    def test_chain_break_from_ingest_counts_in_the_level(self, session: Session) -> None:
        project = make_project(session)
        device = make_device(session, project)
        w = make_worker(session, "张三", bank_card=card())
        make_assignment(session, project, w)
        ingest_repository.add_finding(
            session,
            project_id=project.id,
            period="2026-10",
            kind="CHAIN_BREAK",
            level=WarningLevel.RED,
            key=f"CHAIN_BREAK:{device.id}:7",
            device_id=device.id,
            message_zh="链断裂",
            message_en="chain broken",
            evidence={},
        )
        summary = recon_service.run(session, project_id=project.id, period="2026-10", today=TODAY)
        assert summary.computed_level is WarningLevel.GREEN
        assert summary.level is WarningLevel.RED
        assert [f.kind for f in summary.findings] == ["CHAIN_BREAK"]
        assert recon_service.project_level(session, project_id=project.id, period="2026-10") is (
            WarningLevel.RED
        )
        # A run never makes an ingest finding "gone".
        recon_service.run(session, project_id=project.id, period="2026-10", today=TODAY)
        assert session.scalars(select(Finding.status)).all().count("gone") == 0


class TestLevels:
    def test_levels_for_projects(self, session: Session) -> None:
        month = build_month(session)
        quiet = make_project(session)
        recon_service.run(session, project_id=month.project.id, period="2026-10", today=TODAY)
        out = recon_service.levels_for_projects(
            session, project_ids=[month.project.id, quiet.id], periods=["2026-10", "2026-09"]
        )
        red = out[(month.project.id, "2026-10")]
        assert red.level is WarningLevel.RED
        assert red.counts[WarningLevel.ORANGE] == 3
        assert red.reconciled
        assert out[(quiet.id, "2026-10")].level is WarningLevel.GREEN
        assert not out[(quiet.id, "2026-10")].reconciled
        assert out[(month.project.id, "2026-09")].level is WarningLevel.GREEN


class TestActOnFinding:
    def test_comment_required_and_history_kept(self, session: Session) -> None:
        month = build_month(session)
        pid = month.project.id
        inspector = make_user(session, Role.INSPECTOR, [month.project])
        recon_service.run(session, project_id=pid, period="2026-10", today=TODAY)
        red = session.scalars(
            select(Finding).where(Finding.project_id == pid, Finding.kind == "ACCOUNT_NOT_WORKERS")
        ).one()
        with pytest.raises(ValidationFailedError) as caught:
            recon_service.act_on_finding(
                session, user=inspector, finding_id=red.id, action="waive", comment="  "
            )
        assert caught.value.status_code == 422
        assert caught.value.message_zh
        assert caught.value.message_en
        assert red.status == "open"
        recon_service.act_on_finding(
            session, user=inspector, finding_id=red.id, action="waive", comment="本人书面委托"
        )
        assert recon_service.project_level(session, project_id=pid, period="2026-10") is (
            WarningLevel.ORANGE
        )
        detail = recon_service.act_on_finding(
            session, user=inspector, finding_id=red.id, action="reopen", comment="委托书无效"
        )
        assert detail.finding.status == "open"
        assert [(h.action, h.comment) for h in detail.history] == [
            ("raised", "工资核对 / reconciliation run"),
            ("waived", "本人书面委托"),
            ("reopened", "委托书无效"),
        ]
        assert detail.history[1].user_id == inspector.id

    def test_scope_and_roles(self, session: Session) -> None:
        month = build_month(session)
        pid = month.project.id
        recon_service.run(session, project_id=pid, period="2026-10", today=TODAY)
        finding = _open(session, month.project)[0]
        elsewhere = make_user(session, Role.INSPECTOR, [make_project(session, region="上海")])
        with pytest.raises(NotFoundError):
            recon_service.act_on_finding(
                session, user=elsewhere, finding_id=finding.id, action="resolve", comment="x"
            )
        manager = make_user(session, Role.SITE_MANAGER, [month.project])
        with pytest.raises(ForbiddenError):
            recon_service.act_on_finding(
                session, user=manager, finding_id=finding.id, action="waive", comment="x"
            )
        worker_user = make_user(session, Role.WORKER, worker=month.workers["A"])
        with pytest.raises(ForbiddenError):  # their own project: findings are not theirs
            recon_service.get_finding(session, user=worker_user, finding_id=finding.id)
