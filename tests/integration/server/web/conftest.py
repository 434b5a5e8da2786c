"""Two projects and four roles for the page scope tests, on the pages' fixed clock.

Project A (北京): site manager A, inspector A (assigned to A only), worker X and X's colleague,
each with a February payment. Project B (上海): worker Y with a February payment. An inspector
of another region sees neither. Both months are reconciled, so each project has findings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from models.enums import Role
from server.auth.models import User
from server.reconciliation import service as recon_service
from server.reconciliation.models import Finding
from server.registry.models import Project, Worker
from tests.factories import make_assignment, make_payment, make_project, make_user, make_worker

TZ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 3, 18, 10, 0, tzinfo=TZ).astimezone(dt.UTC)
PERIOD = "2026-02"


@dataclass
class World:
    a: Project
    b: Project
    x: Worker
    colleague: Worker
    y: Worker
    manager_a: User
    inspector_a: User
    inspector_elsewhere: User
    worker_x: User
    finding_a: Finding
    finding_b: Finding

    @property
    def workers(self) -> list[Worker]:
        return [self.x, self.colleague, self.y]


@pytest.fixture(autouse=True)
def _page_clock(app: FastAPI) -> None:
    app.state.web_clock = lambda: NOW


def _pay(session: Session, project: Project, worker: Worker, net_yuan: int) -> None:
    make_payment(session, project, worker, period=PERIOD, net_yuan=net_yuan)


def _first_finding(session: Session, project: Project) -> Finding:
    finding = session.query(Finding).filter_by(project_id=project.id, period=PERIOD).first()
    assert finding is not None
    return finding


@pytest.fixture
def world(session: Session) -> World:
    a = make_project(session, name="甲项目", region="北京")
    b = make_project(session, name="乙项目", region="上海")
    x = make_worker(session, name="王小明", bank_card="6217000000000000011")
    colleague = make_worker(session, name="赵同事", bank_card="6217000000000000022")
    y = make_worker(session, name="钱外人", bank_card="6217000000000000033")
    for project, worker in ((a, x), (a, colleague), (b, y)):
        make_assignment(session, project, worker)
        _pay(session, project, worker, 3000)
    for project in (a, b):
        recon_service.run(session, project_id=project.id, period=PERIOD, today=NOW.date())
    world = World(
        a=a,
        b=b,
        x=x,
        colleague=colleague,
        y=y,
        manager_a=make_user(session, Role.SITE_MANAGER, [a]),
        inspector_a=make_user(session, Role.INSPECTOR, [a]),
        inspector_elsewhere=make_user(session, Role.INSPECTOR, region="广州"),
        worker_x=make_user(session, Role.WORKER, worker=x),
        finding_a=_first_finding(session, a),
        finding_b=_first_finding(session, b),
    )
    session.commit()
    return world
