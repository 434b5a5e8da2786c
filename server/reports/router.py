"""考勤凭证 (attendance evidence) API: one worker's gate records of a month, re-verified.

GET /api/v1/projects/{project_id}/workers/{worker_id}/evidence?month=YYYY-MM        JSON
GET /api/v1/projects/{project_id}/workers/{worker_id}/evidence.xlsx?month=YYYY-MM   XLSX
GET /api/v1/projects/{project_id}/workers/{worker_id}/evidence.pdf?month=YYYY-MM    PDF
GET /api/v1/projects/{project_id}/workers/{worker_id}/evidence.zip?month=YYYY-MM    证据包 pack

Scope (server/auth/policy.py, as the pay slip's): admins, and managers and inspectors of the
project; a worker only their own (another worker's is 404, so nothing is disclosed). Every view
is audited: the records are personal data.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session
from starlette.responses import Response

from models.enums import Role
from server.auth import scope
from server.auth import service as auth_service
from server.auth.models import User
from server.config import Settings
from server.db.types import utcnow
from server.deps import CurrentUser, SessionDep, SettingsDep, authorized
from server.evidence_pack.build import build_pack
from server.ingest import evidence as evidence_service
from server.reports import evidence_pdf, evidence_xlsx
from server.rosters import service as roster_service
from server.web.downloads import PDF, XLSX, ZIP, download

router = APIRouter(prefix="/api/v1", tags=["reports"])

Month = Annotated[str, Query(description="month YYYY-MM (project time zone)", max_length=16)]
_PATH = "/projects/{project_id}/workers/{worker_id}/evidence"
_NOT_FOUND = ("考勤凭证", "attendance evidence")
_SCOPE = [authorized(scope.Resource.EVIDENCE, not_found=_NOT_FOUND)]


def _may_see(session: Session, user: User, project_id: int, worker_id: int) -> None:
    """The pay slip's rule: admins, the project's managers and inspectors, the worker alone."""
    scope.authorize(
        session,
        user,
        scope.Resource.EVIDENCE,
        project_id=project_id,
        worker_id=worker_id,
        not_found=_NOT_FOUND,
    )


def worker_evidence(
    session: Session,
    user: User,
    project_id: int,
    worker_id: int,
    month: str,
    fmt: str,
    settings: Settings | None = None,
) -> evidence_service.WorkerEvidence:
    """The evidence when the caller may see it (the pay slip's rule), audited as a view."""
    _may_see(session, user, project_id, worker_id)
    evidence = evidence_service.worker_month_evidence(
        session,
        project_id=project_id,
        worker_id=worker_id,
        period=month,
        now=utcnow(),
        clock_skew_flag_s=(
            settings.clock_skew_flag_s if settings else evidence_service.CLOCK_SKEW_FLAG_S
        ),
    )
    if user.role == Role.WORKER:
        evidence = evidence_service.without_confirmer_cards(evidence)
    auth_service.audit(
        session,
        user,
        "view_evidence",
        "worker",
        worker_id,
        project_id=project_id,
        detail={"period": evidence.period, "format": fmt, "events": evidence.events_checked},
    )
    return evidence


def file_name(evidence: evidence_service.WorkerEvidence, ext: str) -> str:
    return f"考勤凭证_{evidence.project_code}_{evidence.worker_name}_{evidence.period}.{ext}"


@router.get(_PATH, response_model=evidence_service.WorkerEvidence, dependencies=_SCOPE)
def get_evidence(
    project_id: int,
    worker_id: int,
    month: Month,
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
) -> evidence_service.WorkerEvidence:
    return worker_evidence(session, user, project_id, worker_id, month, "json", settings)


@router.get(f"{_PATH}.xlsx", dependencies=_SCOPE)
def get_evidence_xlsx(
    project_id: int,
    worker_id: int,
    month: Month,
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
) -> Response:
    evidence = worker_evidence(session, user, project_id, worker_id, month, "xlsx", settings)
    return download(evidence_xlsx.evidence_xlsx(evidence), XLSX, file_name(evidence, "xlsx"))


@router.get(f"{_PATH}.pdf", dependencies=_SCOPE)
def get_evidence_pdf(
    project_id: int,
    worker_id: int,
    month: Month,
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
) -> Response:
    evidence = worker_evidence(session, user, project_id, worker_id, month, "pdf", settings)
    return download(evidence_pdf.evidence_pdf(evidence), PDF, file_name(evidence, "pdf"))


def evidence_pack(
    session: Session, user: User, project_id: int, worker_id: int, month: str, settings: Settings
) -> Response:
    """The worker-month evidence pack (server/evidence_pack) under the evidence's scope, audited."""
    _may_see(session, user, project_id, worker_id)
    year, mon = roster_service.parse_period(month)
    roster_period = f"{year:04d}-{mon:02d}"
    data, name = build_pack(
        session,
        settings,
        project_id=project_id,
        worker_id=worker_id,
        period=roster_period,
        now=utcnow(),
    )
    auth_service.audit(
        session,
        user,
        "download_evidence_pack",
        "worker",
        worker_id,
        project_id=project_id,
        detail={"period": roster_period, "bytes": len(data)},
    )
    return download(data, ZIP, name)


@router.get(f"{_PATH}.zip", dependencies=_SCOPE)
def get_evidence_pack(
    project_id: int,
    worker_id: int,
    month: Month,
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
) -> Response:
    return evidence_pack(session, user, project_id, worker_id, month, settings)
