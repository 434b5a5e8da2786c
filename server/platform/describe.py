"""What a platform job is about, in words a site manager recognises: the company, the team, the
worker (ID masked), the day's gate records, the month's pay."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from models.ids import mask_id_number
from server.ingest.models import GateEventRow
from server.platform.service import JobLine
from server.registry.models import Assignment, Company, Project, ProjectCompany, Team, Worker
from server.wages.models import WageSheet


@dataclass(frozen=True, slots=True)
class Described:
    line: JobLine
    subject: str  # the object, in the project's own names


def _worker(session: Session, assignment_id: int) -> str:
    a = session.get(Assignment, assignment_id)
    w = session.get(Worker, a.worker_id) if a is not None else None
    return f"{w.name} {mask_id_number(w.id_number)}" if w is not None else f"#{assignment_id}"


def subject(session: Session, line: JobLine, zone: ZoneInfo) -> str:
    match line.kind:
        case "subcontractor":
            link = session.get(ProjectCompany, line.subject_id)
            company = session.get(Company, link.company_id) if link is not None else None
            return company.name if company is not None else f"#{line.subject_id}"
        case "team":
            team = session.get(Team, line.subject_id)
            return team.name if team is not None else f"#{line.subject_id}"
        case "worker" | "contract" | "entry" | "exit":
            return _worker(session, line.subject_id)
        case "payroll":
            sheet = session.get(WageSheet, line.subject_id)
            if sheet is None:
                return f"#{line.subject_id}"
            team = session.get(Team, sheet.team_id) if sheet.team_id else None
            return f"{sheet.period} {team.name if team else ''}".strip()
        case "attendance":
            team = session.get(Team, line.team_id) if line.team_id else None
            first = session.get(GateEventRow, line.items[0]) if line.items else None
            day = first.device_time.astimezone(zone).date().isoformat() if first else ""
            return f"{team.name if team else ''} {day} ({len(line.items)})".strip()
    return f"#{line.subject_id}"


def lines(session: Session, project: Project, jobs: list[JobLine]) -> list[Described]:
    zone = ZoneInfo(project.timezone)
    return [Described(j, subject(session, j, zone)) for j in jobs]
