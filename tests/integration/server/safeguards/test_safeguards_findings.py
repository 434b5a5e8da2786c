"""The statement's findings in the reconciliation run: a month's payroll due with no labour
cost allocated and too little in the wage account raises both; the owner's allocation in time
clears them on the next run; and the wage account recorded here is the one the 代发 file's
paying account is checked against (PAID_NOT_FROM_WAGE_ACCOUNT)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from models.enums import WarningLevel
from server.payroll import service as payroll_service
from server.reconciliation import service as recon_service
from server.registry.models import Project
from server.safeguards import service as safeguard_service
from server.safeguards.schemas import WageAccountIn
from tests.factories import make_assignment, make_device, make_project, make_worker
from tests.integration.server.reconciliation.recon_support import TODAY, build_month
from tests.support.payroll_month import HEADER, attend, card, line, october

OWNER = "某某置业有限公司"
ACCOUNT = "51050142610800001234"
ZH = "交易日期,收入金额,支出金额,余额,对方户名,对方账号,摘要"
PAYROLL_OCT = 455_000  # build_month's expected wages: 13 days at ¥350, in fen


def _account(session: Session, project: Project) -> None:
    data = WageAccountIn(
        bank_name="中国建设银行", account_no=ACCOUNT, account_name="专用账户", owner_name=OWNER
    )
    safeguard_service.put_wage_account(session, project_id=project.id, data=data, user=None)


def _import(session: Session, project: Project, *rows: str, name: str = "s.csv") -> None:
    data = ("\r\n".join([ZH, *rows]) + "\r\n").encode("utf-8")
    parsed = safeguard_service.parse_statement(data, file_name=name)
    safeguard_service.import_statement(
        session, project_id=project.id, file_name=name, data=data, rows=parsed, user=None
    )


def _statement_kinds(summary: recon_service.ReconSummary) -> dict[str, tuple[WarningLevel, str]]:
    wanted = {"LABOUR_COST_NOT_ALLOCATED", "WAGE_ACCOUNT_SHORT"}
    return {f.kind: (f.level, f.status) for f in summary.findings if f.kind in wanted}


def test_not_allocated_and_short_then_cleared_by_the_owners_allocation(session: Session) -> None:
    month = build_month(session)
    project = month.project
    _account(session, project)
    _import(
        session,
        project,
        "2026-10-01,8000.00,,8000.00,某某置业有限公司,6222,9月人工费",  # September's, before
        "2026-11-01,,7000.00,1000.00,,,转出",
        "2026-11-16,0.01,,1000.01,,,利息",  # the statement reaches the pay day
    )
    summary = recon_service.run(session, project_id=project.id, period="2026-10", today=TODAY)
    found = {f.kind: f for f in summary.findings}
    assert _statement_kinds(summary) == {
        "LABOUR_COST_NOT_ALLOCATED": (WarningLevel.ORANGE, "open"),
        "WAGE_ACCOUNT_SHORT": (WarningLevel.ORANGE, "open"),
    }
    assert found["LABOUR_COST_NOT_ALLOCATED"].evidence["payroll_fen"] == PAYROLL_OCT
    assert found["LABOUR_COST_NOT_ALLOCATED"].evidence["window_from"] == "2026-10-16"
    assert found["WAGE_ACCOUNT_SHORT"].evidence["balance_fen"] == 1000_00
    assert "1,000.00" in found["WAGE_ACCOUNT_SHORT"].message_zh

    # The owner's transfer in the window, imported later in another export: both go.
    _import(
        session,
        project,
        "2026-11-05,6000.00,,7000.00,某某置业有限公司,6222,工程款",
        "2026-11-16,0.01,,7000.01,,,利息",
        name="nov.csv",
    )
    summary = recon_service.run(session, project_id=project.id, period="2026-10", today=TODAY)
    assert _statement_kinds(summary) == {
        "LABOUR_COST_NOT_ALLOCATED": (WarningLevel.ORANGE, "gone"),
        "WAGE_ACCOUNT_SHORT": (WarningLevel.ORANGE, "gone"),
    }


def test_no_statement_no_statement_findings(session: Session) -> None:
    month = build_month(session)
    summary = recon_service.run(session, project_id=month.project.id, period="2026-10", today=TODAY)
    assert _statement_kinds(summary) == {}


def test_the_recorded_wage_account_is_the_payer_checked(session: Session) -> None:
    project = make_project(session, settings={"reconciliation": {"require_wage_sheet": False}})
    _account(session, project)
    device = make_device(session, project)
    w = make_worker(session, "吴十", bank_card=card())
    make_assignment(session, project, w)
    attend(session, project, device, w, october(2))
    row = line(w.name, w.id_number, w.bank_card or "", "700.00") + ",6217000011112222333"
    data = ("\r\n".join([HEADER + ",付款账号", row]) + "\r\n").encode("utf-8-sig")
    payroll_service.import_file(
        session, project_id=project.id, file_name="oct.csv", data=data, user=None
    )
    summary = recon_service.run(
        session, project_id=project.id, period="2026-10", today=dt.date(2026, 11, 20)
    )
    wrong = [f for f in summary.findings if f.kind == "PAID_NOT_FROM_WAGE_ACCOUNT"]
    assert [(f.level, f.evidence["wage_account"]) for f in wrong] == [
        (WarningLevel.RED, "5105************1234")
    ]
