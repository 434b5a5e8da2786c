"""payroll.service: all-or-nothing import, skip mode, same file twice, GBK, ledger, pay slip."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.enums import Role, WageKind
from server.auth.models import AuditLog
from server.payroll import service as payroll_service
from server.payroll.models import PayrollImport, PayrollLine
from server.reconciliation.rules import RowStatus
from tests.factories import (
    make_assignment,
    make_device,
    make_id_number,
    make_project,
    make_user,
    make_worker,
)
from tests.support.payroll_month import attend, card, csv_bytes, line, october

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "payroll"


def _count(session: Session, model: type[PayrollImport] | type[PayrollLine]) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


class TestImportFile:
    def test_bad_rows_import_nothing_and_report_row_and_column(self, session: Session) -> None:
        project = make_project(session)
        user = make_user(session, Role.SITE_MANAGER, [project])
        data = csv_bytes(
            [
                line("张三", make_id_number(), card(), "350.00", days="1"),
                line("李四", "110101198506011234", card(), "350.00"),  # bad check digit
                line("王五", make_id_number(), card(), "三百"),  # not a number
            ]
        )
        before = (_count(session, PayrollImport), _count(session, PayrollLine))
        with pytest.raises(payroll_service.PayrollRowsError) as caught:
            payroll_service.import_file(
                session, project_id=project.id, file_name="oct.csv", data=data, user=user
            )
        err = caught.value
        assert err.status_code == 422
        assert "未导入" in err.message_zh
        assert "nothing was imported" in err.message_en
        detail = err.detail
        assert isinstance(detail, list)
        by_row = {d["row"]: d for d in detail}
        assert set(by_row) == {3, 4}
        assert by_row[3]["column"] == "B"
        assert by_row[3]["header"] == "身份证号"
        assert by_row[4]["column"] == "F"
        assert all(d["message_zh"] and d["message_en"] for d in detail)
        assert (_count(session, PayrollImport), _count(session, PayrollLine)) == before

    def test_skip_mode_imports_the_good_rows(self, session: Session) -> None:
        project = make_project(session)
        worker = make_worker(session, "张三", bank_card=card())
        make_assignment(session, project, worker)
        data = csv_bytes(
            [
                line("张三", worker.id_number, worker.bank_card or "", "1050.00", days="3"),
                line("李四", "110101198506011234", card(), "350.00"),
            ]
        )
        result = payroll_service.import_file(
            session,
            project_id=project.id,
            file_name="oct.csv",
            data=data,
            user=None,
            skip_bad_rows=True,
        )
        assert (result.row_count, result.skipped_count, result.matched_count) == (1, 1, 1)
        assert result.periods == ("2026-10",)
        assert [i.row for i in result.skipped] == [3]
        stored = session.scalars(
            select(PayrollLine).where(PayrollLine.import_id == result.import_id)
        ).all()
        assert [(ln.worker_id, ln.net_fen, ln.days_declared) for ln in stored] == [
            (worker.id, 105000, 3.0)
        ]
        audit = session.scalars(
            select(AuditLog).where(
                AuditLog.action == "payroll.import", AuditLog.entity_id == result.import_id
            )
        ).one()
        assert audit.detail["skipped"] == 1

    def test_same_file_twice_is_recognised(self, session: Session) -> None:
        project = make_project(session)
        data = csv_bytes([line("张三", make_id_number(), card(), "350.00")])
        first = payroll_service.import_file(
            session, project_id=project.id, file_name="a.csv", data=data, user=None
        )
        with pytest.raises(payroll_service.AlreadyImportedError) as caught:
            payroll_service.import_file(
                session, project_id=project.id, file_name="renamed.csv", data=data, user=None
            )
        assert caught.value.status_code == 409
        assert caught.value.message_zh.startswith("此文件已于 ")
        assert "already imported on" in caught.value.message_en
        assert caught.value.detail["import_id"] == first.import_id
        # Another project may import the same file (it is that project's ledger).
        other = make_project(session)
        payroll_service.import_file(
            session, project_id=other.id, file_name="a.csv", data=data, user=None
        )

    def test_gbk_bank_file_with_a_bad_status_row_and_line_without_id(
        self, session: Session
    ) -> None:
        project = make_project(session)
        zhang = make_worker(
            session, "张三", id_number="320102198506010118", bank_card="6222020200112233446"
        )
        make_assignment(session, project, zhang)
        data = (FIXTURES / "bank_a_result" / "2026-10_gbk.csv").read_bytes()
        result = payroll_service.import_file(
            session, project_id=project.id, file_name="2026-10_gbk.csv", data=data, user=None
        )
        assert result.layout == "bank_a_result"
        rows = payroll_service.ledger(session, project_id=project.id, period="2026-10")
        assert [(e.payee_name, e.net_fen, e.status, e.worker_id) for e in rows] == [
            ("张三", 700000, "success", zhang.id),
            ("李四", 650050, "returned", None),
        ]
        assert rows[0].id_number_masked == "320102********0118"
        assert rows[0].account_masked == "6222***********3446"
        assert rows[0].paid_on == dt.date(2026, 11, 14)

    def test_line_without_id_number_is_matched_by_card(self, session: Session) -> None:
        project = make_project(session)
        worker = make_worker(session, "张三", bank_card=card())
        make_assignment(session, project, worker)
        data = csv_bytes([line("张三", "", worker.bank_card or "", "350.00")])
        result = payroll_service.import_file(
            session, project_id=project.id, file_name="a.csv", data=data, user=None
        )
        assert result.matched_count == 1


class TestPaySlip:
    def test_attendance_terms_and_payments(self, session: Session) -> None:
        project = make_project(session)
        device = make_device(session, project)
        worker = make_worker(session, "张三", bank_card=card())
        make_assignment(session, project, worker, wage_kind=WageKind.DAILY, wage_rate_fen=35000)
        attend(session, project, device, worker, october(3))
        data = csv_bytes(
            [
                line(
                    "张三",
                    worker.id_number,
                    worker.bank_card or "",
                    "700.00",
                    days="3",
                    gross="1050.00",
                    paid_on="2026-11-10",
                ),
                line(
                    "张三",
                    worker.id_number,
                    worker.bank_card or "",
                    "350.00",
                    days="3",
                    status="失败",
                    paid_on="2026-11-09",
                ),
            ]
        )
        payroll_service.import_file(
            session, project_id=project.id, file_name="a.csv", data=data, user=None
        )
        slip = payroll_service.pay_slip(
            session,
            project_id=project.id,
            worker_id=worker.id,
            period="2026-10",
            today=dt.date(2026, 11, 20),
        )
        assert slip.attended_days == 3
        assert slip.hours == 27
        assert (slip.expected_fen, slip.net_fen, slip.difference_fen) == (105000, 70000, -35000)
        assert slip.gross_fen == 105000
        assert slip.status is RowStatus.UNDERPAID
        assert slip.pay_day == dt.date(2026, 11, 15)
        assert [p.status for p in slip.payments] == ["failed", "success"]
        assert slip.id_number_masked.startswith(worker.id_number[:6])
        assert worker.id_number not in repr(slip)
