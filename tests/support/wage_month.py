"""A project month for the wage sheet tests: a firm, a team, two workers who attended (张三 3
days, 李四 2, the team leader), one who never came, their accounts, a manager and an inspector."""

from __future__ import annotations

from sqlalchemy.orm import Session

from models.enums import Role
from server.registry.models import Company, Project, Worker
from tests.factories import (
    make_assignment,
    make_company,
    make_device,
    make_project,
    make_team,
    make_user,
    make_worker,
)
from tests.support.payroll_month import attend, card, october


class Site:
    def __init__(self, session: Session) -> None:
        self.project: Project = make_project(session, wage_account_no="110060000000000001")
        self.company: Company = make_company(session, self.project)
        team = make_team(session, self.project, self.company)
        device = make_device(session, self.project)
        self.a: Worker = make_worker(session, "张三", bank_card=card())
        self.b: Worker = make_worker(session, "李四", bank_card=card())
        self.idle: Worker = make_worker(session, "王五", bank_card=card())
        for w, days in ((self.a, 3), (self.b, 2)):
            make_assignment(session, self.project, w, self.company, team, wage_rate_fen=35000)
            attend(session, self.project, device, w, october(days))
        make_assignment(session, self.project, self.idle, self.company, team)  # never came
        team.leader_worker_id = self.b.id
        self.manager = make_user(session, Role.SITE_MANAGER, [self.project])
        self.inspector = make_user(session, Role.INSPECTOR, [self.project])
        self.wa = make_user(session, Role.WORKER, worker=self.a)
        self.wb = make_user(session, Role.WORKER, worker=self.b)  # the team leader
        session.flush()

    @property
    def base(self) -> str:
        return f"/api/v1/projects/{self.project.id}/wage-sheets"
