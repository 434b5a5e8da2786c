"""Factories for rows the tests need; every ID number they make is valid under GB 11643."""

from __future__ import annotations

import datetime as dt
import itertools

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from models.enums import AssignmentStatus, CompanyRole, Direction, Role, WageKind
from models.ids import credit_code_check_char, resident_id_check_char
from server.auth import service as auth_service
from server.auth.models import User
from server.payroll.models import PayrollImport, PayrollLine
from server.registry.models import (
    Assignment,
    Company,
    Device,
    Project,
    ProjectCompany,
    Team,
    Worker,
)

_seq = itertools.count(1)
PASSWORD = "correct-horse-42"


def make_id_number(
    birth: dt.date = dt.date(1985, 6, 1), region: str = "110101", male: bool = True
) -> str:
    """Unique per call: 500 order numbers per birth date, then the next day (never repeats)."""
    n = next(_seq)
    born = birth + dt.timedelta(days=n // 500)
    order = (n % 500) * 2 + (1 if male else 0)  # odd 17th digit = male
    first17 = f"{region}{born:%Y%m%d}{order:03d}"
    return first17 + resident_id_check_char(first17)


def make_credit_code() -> str:
    n = next(_seq)
    first17 = f"91110000{n:09d}"
    return first17 + credit_code_check_char(first17)


def make_project(session: Session, **kw: object) -> Project:
    n = next(_seq)
    project = Project(code=f"P{n:04d}", name=f"测试项目{n}", region=str(kw.pop("region", "北京")))
    for k, v in kw.items():
        setattr(project, k, v)
    session.add(project)
    session.flush()
    return project


def make_company(
    session: Session, project: Project | None = None, role: CompanyRole = CompanyRole.SUBCONTRACTOR
) -> Company:
    n = next(_seq)
    company = Company(name=f"测试建筑公司{n}", credit_code=make_credit_code())
    session.add(company)
    session.flush()
    if project is not None:
        session.add(ProjectCompany(project_id=project.id, company_id=company.id, role=role))
        session.flush()
    return company


def make_team(session: Session, project: Project, company: Company, name: str = "钢筋班") -> Team:
    team = Team(project_id=project.id, company_id=company.id, name=f"{name}{next(_seq)}")
    session.add(team)
    session.flush()
    return team


def make_worker(session: Session, name: str = "张三", **kw: object) -> Worker:
    id_number = str(kw.pop("id_number", None) or make_id_number())
    worker = Worker(
        name=name,
        id_number=id_number,
        gender="M" if int(id_number[16]) % 2 else "F",
        birth_date=dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14])),
        bank_card=str(kw.pop("bank_card", "6222020200112233445")),
    )
    for k, v in kw.items():
        setattr(worker, k, v)
    session.add(worker)
    session.flush()
    return worker


def make_assignment(
    session: Session,
    project: Project,
    worker: Worker,
    company: Company | None = None,
    team: Team | None = None,
    **kw: object,
) -> Assignment:
    a = Assignment(
        project_id=project.id,
        worker_id=worker.id,
        company_id=company.id if company else None,
        team_id=team.id if team else None,
        trade=str(kw.pop("trade", "钢筋工")),
        wage_kind=kw.pop("wage_kind", WageKind.DAILY),
        wage_rate_fen=int(kw.pop("wage_rate_fen", 35000)),  # type: ignore[call-overload]
        status=kw.pop("status", AssignmentStatus.ACTIVE),
        entered_on=kw.pop("entered_on", dt.date(2026, 1, 1)),
        contract_signed_on=kw.pop("contract_signed_on", dt.date(2026, 1, 1)),
        safety_trained_on=kw.pop("safety_trained_on", dt.date(2026, 1, 1)),
    )
    for k, v in kw.items():
        setattr(a, k, v)
    session.add(a)
    session.flush()
    return a


def make_device(session: Session, project: Project, direction: Direction = Direction.IN) -> Device:
    n = next(_seq)
    device = Device(
        code=f"GATE-{n:04d}-{direction.value.upper()}", project_id=project.id, direction=direction
    )
    session.add(device)
    session.flush()
    return device


def make_payment(
    session: Session, project: Project, worker: Worker, *, period: str, net_yuan: int
) -> PayrollLine:
    """One successful 代发 line to the worker's own card, in an import of its own."""
    n = next(_seq)
    imp = PayrollImport(
        project_id=project.id,
        file_name=f"{period}-代发-{n}.xlsx",
        sha256=f"{n:064x}",
        layout="canonical",
        row_count=1,
    )
    session.add(imp)
    session.flush()
    line = PayrollLine(
        import_id=imp.id,
        project_id=project.id,
        period=period,
        row_no=1,
        payee_name=worker.name,
        payee_id_number=worker.id_number,
        account_no=worker.bank_card or "6217000099999999999",
        bank_name="中国建设银行",
        net_fen=net_yuan * 100,
        gross_fen=net_yuan * 100,
        paid_on=dt.date(int(period[:4]), int(period[5:]), 1) + dt.timedelta(days=40),
        status="success",
        worker_id=worker.id,
    )
    session.add(line)
    session.flush()
    return line


def make_user(
    session: Session,
    role: Role,
    projects: list[Project] | None = None,
    *,
    worker: Worker | None = None,
    region: str = "",
) -> User:
    return auth_service.create_user(
        session,
        username=f"{role.value}{next(_seq)}",
        password=PASSWORD,
        role=role,
        region=region,
        worker_id=worker.id if worker else None,
        project_ids=[p.id for p in projects or []],
    )


def login(client: TestClient, user: User) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", data={"username": user.username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def pair_failures(session: Session, username: str, address: str = "testclient") -> int:
    """Failed sign-ins counted for `username` from `address` (TestClient's is "testclient")."""
    from server.auth.models import AuthThrottle

    session.expire_all()
    row = session.get(AuthThrottle, f"pair:{username.lower()}|{address}")
    return row.failures if row is not None else 0
