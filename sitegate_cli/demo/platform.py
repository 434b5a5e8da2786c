"""The demo's wage-protection records and its report to the real-name platform.

The site manager records the wage account (with the tripartite agreement), the labour officer
and the payment guarantee, and a labour contract for every worker; the wage deposit
(工资保证金) is left out on purpose, so the checklist shows what an inspector sees when one of
the five systems is missing. Then the project reports to a fake national platform the demo
starts on loopback (real HTTP, signed, ID and card numbers encrypted): companies, teams,
workers, contracts, entries, the month's gate records and pay. The fake platform stays up while
the demo server runs, so "upload now" on the platform page works.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from platforms.national.fake_platform import FakePlatform, FakePlatformServer
from server.auth.models import User
from server.config import Settings
from server.db.types import utcnow
from server.notice import rules as notice_rules
from server.notice import service as notice_service
from server.platform import runner, service
from server.registry.models import Assignment, Project
from server.safeguards import service as safeguards
from server.safeguards.rules import ContractKind, GuaranteeForm, PayUnit
from server.safeguards.schemas import ContractIn, GuaranteeIn, OfficerIn, WageAccountIn

SECRET = "demo-platform-secret-0123456789a"  # noqa: S105 - the demo's fake platform only


def record_safeguards(
    factory: sessionmaker[Session], project_id: int, today: dt.date, manager: str
) -> int:
    """Everything but the wage deposit (the notice board too, by the site manager); returns
    the number of contracts recorded."""
    with factory.begin() as s:
        project = s.get(Project, project_id)
        assert project is not None  # noqa: S101 - seeded
        user = s.scalars(select(User).where(User.username == manager)).one()
        board, issues = notice_rules.validate(
            {
                "officer_name": "刘专管", "officer_phone": "139 8000 0101",
                "min_wage_month": "2100", "min_wage_hour": "22", "pay_day": str(project.pay_day),
                "inspection_phone": "028-85339000", "housing_phone": "028-85938000",
                "arbitration_phone": "028-85339012",
            }
        )  # fmt: skip
        assert board is not None, issues  # noqa: S101 - our own fixed text
        notice_service.save(s, project_id=project_id, fields=board, user=user)
        opened = (project.starts_on or today) - dt.timedelta(days=7)
        safeguards.put_wage_account(
            s, project_id=project_id, user=None,
            data=WageAccountIn(
                bank_name=project.wage_account_bank, account_no=project.wage_account_no,
                account_name=f"{project.name}农民工工资专用账户", opened_on=opened,
                tripartite_signed_on=opened, owner_name="成都市双流区建设投资有限公司",
            ),
        )  # fmt: skip
        safeguards.appoint_officer(
            s, project_id=project_id, user=None,
            data=OfficerIn(name="刘专管", phone="13980000101", appointed_on=opened),
        )  # fmt: skip
        safeguards.add_guarantee(
            s, project_id=project_id, user=None,
            data=GuaranteeIn(form=GuaranteeForm.BANK_GUARANTEE, amount_fen=50_000_000_00,
                             issuer="中国建设银行成都分行", valid_from=opened),
        )  # fmt: skip
        assignments = s.scalars(
            select(Assignment).where(Assignment.project_id == project_id)
        ).all()
        for a in assignments:
            start = a.contract_signed_on or opened
            safeguards.record_contract(
                s, project_id=project_id, assignment_id=a.id, scan=None, user=None,
                data=ContractIn(kind=ContractKind.LABOUR_CONTRACT, code=f"HT-{a.id:05d}",
                                start_on=start, pay_unit=PayUnit.DAY,
                                unit_price_fen=a.wage_rate_fen),
            )  # fmt: skip
    return len(assignments)


def checklist(factory: sessionmaker[Session], project_id: int) -> dict[str, Any]:
    """What an inspector's checklist says of the demo project, failing items first."""
    from server.checklist import service as checklist_service

    with factory() as s:
        project = s.get(Project, project_id)
        assert project is not None  # noqa: S101
        found = checklist_service.checklist(s, project)
        return {
            "level": str(found.level),
            "failing": [
                {"code": str(i.code), "level": str(i.level), "zh": i.text_zh, "en": i.text_en}
                for i in found.failing
            ],
        }


def report(
    factory: sessionmaker[Session], project_id: int
) -> tuple[FakePlatformServer, dict[str, Any]]:
    """Start the fake platform, configure the project's account, upload until settled."""
    settings = Settings()
    with factory() as s:
        project = s.get(Project, project_id)
        assert project is not None  # noqa: S101
        appid = project.code
    platform = FakePlatform(secrets={appid: SECRET})
    server = FakePlatformServer(platform).__enter__()
    with factory.begin() as s:
        found = s.get(Project, project_id)
        assert found is not None  # noqa: S101
        service.configure(
            s, settings, found, url=server.url, appid=appid, secret=SECRET,
            options={"lng": 103.92, "lat": 30.57},
        )  # fmt: skip

    def unit(work: Any) -> Any:
        with factory.begin() as s:
            found = s.get(Project, project_id)
            assert found is not None  # noqa: S101
            return work(s, settings, found)

    runs = 0
    while runs < 8:  # until every ticket is answered
        runs += 1
        done = runner.run(unit, now=utcnow())
        if done.sent == 0 and done.polled == 0:
            break
    with factory() as s:
        counts = service.status(s, project_id)
    states: dict[str, int] = {}
    for (_kind, state), n in counts.items():
        states[state] = states.get(state, 0) + n
    facts = {
        "url": server.url,
        "runs": runs,
        "calls": len(platform.calls),
        "uploaded": states.get("uploaded", 0),
        "held_or_refused": sum(v for k, v in states.items() if k != "uploaded"),
        "workers_on_platform": len(platform.workers),
        "attendance_records": len(platform.attendance),
        "payrolls": len(platform.payrolls),
        "by_state": states,
    }
    return server, facts
