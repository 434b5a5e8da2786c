"""A project with two companies, a team each, gates IN and OUT, and a handful of workers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from models.enums import Direction
from server.registry.models import Company, Device, Project, Team, Worker
from tests.factories import (
    make_assignment,
    make_company,
    make_device,
    make_project,
    make_team,
    make_worker,
)


@dataclass
class Site:
    project: Project
    steel: Company
    concrete: Company
    steel_team: Team
    concrete_team: Team
    gate_in: Device
    gate_out: Device

    def worker(
        self,
        session: Session,
        name: str,
        *,
        concrete: bool = False,
        entered_on: dt.date = dt.date(2026, 1, 1),
        left_on: dt.date | None = None,
        trade: str = "钢筋工",
    ) -> Worker:
        w = make_worker(session, name)
        company, team = (
            (self.concrete, self.concrete_team) if concrete else (self.steel, self.steel_team)
        )
        make_assignment(
            session, self.project, w, company, team, entered_on=entered_on, left_on=left_on,
            trade=trade,
        )  # fmt: skip
        return w


@pytest.fixture
def site(session: Session) -> Site:
    project = make_project(session, name="滨江花园项目")
    steel = make_company(session, project)
    concrete = make_company(session, project)
    return Site(
        project,
        steel,
        concrete,
        make_team(session, project, steel, "钢筋班"),
        make_team(session, project, concrete, "混凝土班"),
        make_device(session, project, Direction.IN),
        make_device(session, project, Direction.OUT),
    )
