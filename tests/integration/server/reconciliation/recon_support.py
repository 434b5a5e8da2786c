"""A realistic month for reconciliation tests: attended days as gate events and the bank's
代发 CSV, built with the helpers shared with the payroll tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from server.payroll import service as payroll_service
from server.registry.models import Project, Worker
from tests.factories import make_assignment, make_device, make_project, make_worker
from tests.support.payroll_month import attend, card, csv_bytes, line, october


@dataclass
class Month:
    project: Project
    workers: dict[str, Worker]


TODAY = dt.date(2026, 11, 20)  # pay day 2026-11-15 passed 5 days ago


def build_month(session: Session, **project_kw: object) -> Month:
    """Seven daily-rate (¥350) workers in 2026-10 and the bank's 代发 file for them:

    A 张三 team leader, 3 days, paid right · B 李四 2 days, unpaid · C 王五 2 days, underpaid ·
    D 赵六 2 days, paid into A's card · E 钱七 no attendance but paid (ghost) ·
    F 孙八 2 days, paid late · G 周九 2 days, a failed transfer then a success.

    A month without a wage sheet (工资支付表), reconciled on the ten findings: the project does
    not require one unless `settings=` says so (NO_PAYROLL_SHEET: test_recon_sheet_and_payer).
    """
    project_kw.setdefault("settings", {"reconciliation": {"require_wage_sheet": False}})
    project = make_project(session, **project_kw)
    device = make_device(session, project)
    names = {
        "A": "张三",
        "B": "李四",
        "C": "王五",
        "D": "赵六",
        "E": "钱七",
        "F": "孙八",
        "G": "周九",
    }
    days = {"A": 3, "B": 2, "C": 2, "D": 2, "E": 0, "F": 2, "G": 2}
    workers: dict[str, Worker] = {}
    for key, name in names.items():
        w = make_worker(session, name, bank_card=card())
        make_assignment(session, project, w, wage_rate_fen=35000)
        attend(session, project, device, w, october(days[key]))
        workers[key] = w

    def ln(key: str, net: str, **kw: str) -> str:
        w = workers[key]
        return line(w.name, w.id_number, kw.pop("account", w.bank_card or ""), net, **kw)

    data = csv_bytes(
        [
            ln("A", "1050.00", days="3"),
            ln("C", "500.00", days="2"),
            ln("D", "700.00", days="2", account=workers["A"].bank_card or ""),
            ln("E", "350.00"),
            ln("F", "700.00", days="2", paid_on="2026-11-18"),
            ln("G", "700.00", days="2", paid_on="2026-11-10", status="失败"),
            ln("G", "700.00", days="2", paid_on="2026-11-12"),
        ]
    )
    payroll_service.import_file(
        session, project_id=project.id, file_name="oct.csv", data=data, user=None
    )
    return Month(project, workers)
