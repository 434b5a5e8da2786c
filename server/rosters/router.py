"""Rosters JSON API and exports; corrections (补卡).

GET  /api/v1/projects/{project_id}/rosters/daily?day=YYYY-MM-DD
GET  /api/v1/projects/{project_id}/rosters/daily.xlsx?day=YYYY-MM-DD
GET  /api/v1/projects/{project_id}/rosters/monthly?month=YYYY-MM[&company_id=]
GET  /api/v1/projects/{project_id}/rosters/monthly.csv?month=YYYY-MM[&company_id=]
GET  /api/v1/projects/{project_id}/rosters/monthly.xlsx?month=YYYY-MM[&company_id=][&per_company=]
POST /api/v1/projects/{project_id}/corrections          site managers and admins
GET  /api/v1/projects/{project_id}/corrections?month=YYYY-MM[&worker_id=][&status=]
POST /api/v1/projects/{project_id}/corrections/{correction_id}/approve   another manager
POST /api/v1/projects/{project_id}/corrections/{correction_id}/reject    another manager, comment

A correction to a closed month (reconciled or paid: server/rosters/closing.py) is stored as
"pending" and counts nowhere until another site manager or admin of the project approves it;
its author gets 403 `corrections.own_approval`. Approving marks the month's stored
reconciliation stale until it is run again.

Scope (server/auth/policy.py): attendance and corrections are project-wide, for admins and the
project's managers and inspectors; a worker gets 403 on them (their own days are on /me), a
project out of scope is 404; writing a correction is for admins and site managers.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Response

from server.auth.scope import Action, Resource
from server.deps import CurrentUser, SessionDep, authorized
from server.ingest import checkpoints
from server.registry.models import Project
from server.reports import daily_xlsx, roster_csv, roster_xlsx
from server.rosters import service as roster_service
from server.rosters.schemas import (
    CorrectionDecisionIn,
    CorrectionIn,
    CorrectionOut,
    DailyRosterOut,
    MonthRosterOut,
)

router = APIRouter(prefix="/api/v1/projects", tags=["rosters"])

MonthQuery = Annotated[str, Query(description="YYYY-MM, e.g. 2026-10", examples=["2026-10"])]
CompanyQuery = Annotated[int | None, Query(description="only this company's workers")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
AttendanceProject = Annotated[Project, authorized(Resource.ATTENDANCE)]


def _attachment(filename: str) -> str:
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def _month(
    session: SessionDep, project: Project, month: str, company_id: int | None
) -> roster_service.MonthRoster:
    roster_service.parse_period(month)  # 422 naming the field before any other work
    return roster_service.load_month(
        session, project_id=project.id, period=month, company_id=company_id
    )


@router.get("/{project_id}/rosters/daily", response_model=DailyRosterOut)
def get_daily(
    project_id: int,
    session: SessionDep,
    project: AttendanceProject,
    day: Annotated[dt.date | None, Query(description="local date; default today")] = None,
) -> DailyRosterOut:
    now = dt.datetime.now(dt.UTC)
    if day is None:
        day = now.astimezone(roster_service.project_settings(project).zone).date()
    return DailyRosterOut.of(roster_service.daily(session, project_id=project_id, day=day, now=now))


@router.get("/{project_id}/rosters/daily.xlsx", response_class=Response)
def get_daily_xlsx(
    project_id: int,
    session: SessionDep,
    project: AttendanceProject,
    day: Annotated[dt.date | None, Query(description="local date; default today")] = None,
) -> Response:
    """当日考勤 as XLSX: on site, arrivals and departures, not come, anomalies (same scope)."""
    now = dt.datetime.now(dt.UTC)
    if day is None:
        day = now.astimezone(roster_service.project_settings(project).zone).date()
    board = roster_service.daily(session, project_id=project_id, day=day, now=now)
    return Response(
        daily_xlsx.daily_xlsx(board),
        media_type=XLSX,
        headers={
            "Content-Disposition": _attachment(f"{board.project_code}-{day}-当日考勤.xlsx"),
            "Cache-Control": "no-store",
        },
    )


@router.get("/{project_id}/rosters/monthly", response_model=MonthRosterOut)
def get_monthly(
    project_id: int,
    session: SessionDep,
    project: AttendanceProject,
    month: MonthQuery,
    company_id: CompanyQuery = None,
) -> MonthRosterOut:
    return MonthRosterOut.of(_month(session, project, month, company_id))


@router.get("/{project_id}/rosters/monthly.csv", response_class=Response)
def get_monthly_csv(
    project_id: int,
    session: SessionDep,
    project: AttendanceProject,
    month: MonthQuery,
    company_id: CompanyQuery = None,
) -> Response:
    roster = _month(session, project, month, company_id)
    return Response(
        roster_csv.month_csv(roster),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": _attachment(f"{roster.project_code}-{month}-考勤表.csv")},
    )


@router.get("/{project_id}/rosters/monthly.xlsx", response_class=Response)
def get_monthly_xlsx(
    project_id: int,
    session: SessionDep,
    project: AttendanceProject,
    month: MonthQuery,
    company_id: CompanyQuery = None,
    per_company: Annotated[bool, Query(description="one sheet per company")] = False,
) -> Response:
    roster = _month(session, project, month, company_id)
    return Response(
        roster_xlsx.month_xlsx(
            roster,
            per_company=per_company,
            gates=checkpoints.month_anchors(session, project.id, month),
        ),
        media_type=XLSX,
        headers={"Content-Disposition": _attachment(f"{roster.project_code}-{month}-考勤表.xlsx")},
    )


@router.post(
    "/{project_id}/corrections",
    response_model=CorrectionOut,
    status_code=201,
    dependencies=[authorized(Resource.CORRECTIONS, Action.WRITE)],
)
def post_correction(
    project_id: int, body: CorrectionIn, session: SessionDep, user: CurrentUser
) -> CorrectionOut:
    record = roster_service.add_correction(
        session,
        user=user,
        project_id=project_id,
        worker_id=body.worker_id,
        at=body.at,
        direction=body.direction,
        reason=body.reason,
    )
    return CorrectionOut.of(record)


@router.get(
    "/{project_id}/corrections",
    response_model=list[CorrectionOut],
    dependencies=[authorized(Resource.CORRECTIONS)],
)
def get_corrections(
    project_id: int,
    session: SessionDep,
    month: Annotated[str | None, Query(description="YYYY-MM")] = None,
    worker_id: int | None = None,
    status: Annotated[
        Literal["effective", "pending", "approved", "rejected"] | None,
        Query(description="only these; default every correction, pending ones included"),
    ] = None,
) -> list[CorrectionOut]:
    if month is not None:
        roster_service.parse_period(month)
    records = roster_service.list_corrections(
        session,
        project_id=project_id,
        period=month,
        worker_id=worker_id,
        statuses=(status,) if status else roster_service.CORRECTION_STATUSES,
    )
    return [CorrectionOut.of(c) for c in records]


@router.post(
    "/{project_id}/corrections/{correction_id}/approve",
    response_model=CorrectionOut,
    dependencies=[authorized(Resource.CORRECTIONS, Action.WRITE)],
)
def approve_correction(
    project_id: int,
    correction_id: int,
    session: SessionDep,
    user: CurrentUser,
    body: CorrectionDecisionIn | None = None,
) -> CorrectionOut:
    """Approve a pending correction (not your own): it counts, and the month turns stale."""
    record = roster_service.decide_correction(
        session,
        user=user,
        project_id=project_id,
        correction_id=correction_id,
        approve=True,
        comment=body.comment if body else "",
    )
    return CorrectionOut.of(record)


@router.post(
    "/{project_id}/corrections/{correction_id}/reject",
    response_model=CorrectionOut,
    dependencies=[authorized(Resource.CORRECTIONS, Action.WRITE)],
)
def reject_correction(
    project_id: int,
    correction_id: int,
    session: SessionDep,
    user: CurrentUser,
    body: CorrectionDecisionIn | None = None,
) -> CorrectionOut:
    """Reject a pending correction (not your own) with a comment: it never counts."""
    record = roster_service.decide_correction(
        session,
        user=user,
        project_id=project_id,
        correction_id=correction_id,
        approve=False,
        comment=body.comment if body else "",
    )
    return CorrectionOut.of(record)
