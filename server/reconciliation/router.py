"""Reconciliation JSON API: run a project × month, read its level, table and findings, export
XLSX and the printable 工资核对报告 PDF, and resolve / waive / reopen findings with a comment.

Scope (server/auth/policy.py): site managers and admins run; site managers, inspectors and
admins read; inspectors (and admins) resolve and waive; workers get 403 on their project here.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Response

from server.auth.scope import Action, Resource
from server.deps import CurrentUser, SessionDep, authorized
from server.payroll import service as payroll_service
from server.payroll.router import XLSX, attachment
from server.reconciliation import service as recon_service
from server.reconciliation.schemas import FindingActionIn, FindingDetailOut, ReconciliationOut
from server.registry.models import Project
from server.reports import recon_pdf, reconciliation_xlsx
from server.rosters import service as roster_service

router = APIRouter(prefix="/api/v1", tags=["reconciliation"])

Today = Annotated[
    dt.date | None,
    Query(description="reconcile as of this date (default: today in the project's time zone)"),
]
ReadProject = Annotated[Project, authorized(Resource.RECONCILIATION)]
RunProject = Annotated[Project, authorized(Resource.RECONCILIATION, Action.WRITE)]


@router.post("/projects/{project_id}/reconciliation/{period}/run", response_model=ReconciliationOut)
def run_reconciliation(
    project_id: int,
    period: str,
    session: SessionDep,
    user: CurrentUser,
    project: RunProject,
    today: Today = None,
) -> ReconciliationOut:
    summary = recon_service.run(
        session,
        project_id=project_id,
        period=period,
        today=today or payroll_service.project_today(project),
        user=user,
    )
    return ReconciliationOut.of(summary)


# Declared before the JSON route: "{period}" would otherwise swallow "2026-10.xlsx".
@router.get("/projects/{project_id}/reconciliation/{period}.xlsx")
def get_reconciliation_xlsx(
    project_id: int, period: str, session: SessionDep, project: ReadProject, today: Today = None
) -> Response:
    summary = recon_service.summary(session, project_id=project_id, period=period, today=today)
    body = reconciliation_xlsx.reconciliation_xlsx(summary)
    name = f"工资核对_{project.code}_{summary.period}.xlsx"
    return Response(body, media_type=XLSX, headers=attachment(name))


@router.get("/projects/{project_id}/reconciliation/{period}.pdf")
def get_reconciliation_pdf(
    project_id: int, period: str, session: SessionDep, project: ReadProject, today: Today = None
) -> Response:
    """工资核对报告: the same summary as the .xlsx, printable and signable."""
    summary = recon_service.summary(session, project_id=project_id, period=period, today=today)
    body = recon_pdf.recon_pdf(
        summary,
        generated_at=dt.datetime.now(dt.UTC),
        time_zone=roster_service.project_settings(project).timezone,
        comments=recon_pdf.resolution_comments(session, summary.findings),
    )
    name = f"工资核对报告_{project.code}_{summary.period}.pdf"
    return Response(body, media_type="application/pdf", headers=attachment(name))


@router.get("/projects/{project_id}/reconciliation/{period}", response_model=ReconciliationOut)
def get_reconciliation(
    project_id: int, period: str, session: SessionDep, _: ReadProject, today: Today = None
) -> ReconciliationOut:
    summary = recon_service.summary(session, project_id=project_id, period=period, today=today)
    return ReconciliationOut.of(summary)


@router.get(
    "/findings/{finding_id}",
    response_model=FindingDetailOut,
    dependencies=[authorized(Resource.FINDINGS)],
)
def get_finding(finding_id: int, session: SessionDep, user: CurrentUser) -> FindingDetailOut:
    return FindingDetailOut.detail(
        recon_service.get_finding(session, user=user, finding_id=finding_id)
    )


# The route checks what every action needs (write on findings); the service adds the waiver's.
@router.post(
    "/findings/{finding_id}/actions",
    response_model=FindingDetailOut,
    dependencies=[authorized(Resource.FINDINGS, Action.WRITE)],
)
def act_on_finding(
    finding_id: int, body: FindingActionIn, session: SessionDep, user: CurrentUser
) -> FindingDetailOut:
    detail = recon_service.act_on_finding(
        session, user=user, finding_id=finding_id, action=body.action, comment=body.comment
    )
    return FindingDetailOut.detail(detail)
