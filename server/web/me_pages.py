"""A worker's own pages (/me/...): attendance calendar, payments and pay slips, where to complain.

Everything is keyed by the signed-in user's worker_id; no route takes a worker id, a project
that is not one of the worker's own is a 404, and the pay slip (工资清单) is the payroll
service's, as a page and as the printable PDF.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Request
from starlette.responses import Response

from server.auth.scope import Area, Resource
from server.payroll import service as payroll_service
from server.payroll.models import PayrollLine
from server.registry.models import Project, Worker
from server.reports import evidence_pdf, evidence_xlsx, payslip_pdf
from server.reports import router as evidence_api
from server.rosters import rules as roster_rules
from server.rosters import service as roster_service
from server.web import queries
from server.web.clock import now_utc
from server.web.downloads import PDF, XLSX, download
from server.web.errors import PageNotFoundError, PageRoute
from server.web.period import checked_period, period_or_current, shift_period
from server.web.security import settings_of
from server.web.session import PageDb, WorkerUser, page_authorized
from server.web.templating import render

router = APIRouter(prefix="/me", route_class=PageRoute)

# Every page is about the signed-in worker's own record (server/auth/policy.py: OWN).
MyDays = page_authorized(Area.ME, Resource.ATTENDANCE, own=True)
MyPay = page_authorized(Area.ME, Resource.PAYSLIPS, own=True)
MyEvidence = page_authorized(Area.ME, Resource.EVIDENCE, own=True)
MyNotice = page_authorized(Area.ME, Resource.NOTICE, own=True)
SlipProject = Annotated[Project, MyPay]


def _me(session: PageDb, user: WorkerUser) -> Worker:
    worker = session.get(Worker, user.worker_id)
    if worker is None:
        raise PageNotFoundError()
    return worker


@router.get("/", dependencies=[MyDays])
def my_days(
    request: Request, session: PageDb, user: WorkerUser, period: str | None = None
) -> Response:
    worker = _me(session, user)
    now = now_utc(request)
    assignments = queries.my_assignments(session, worker.id)
    project = assignments[0][1] if assignments else None
    zone = roster_service.project_settings(project).zone if project else dt.UTC
    today = now.astimezone(zone).date()
    period = period_or_current(period, today)
    year, month = int(period[:4]), int(period[5:])
    months: list[tuple[Project, roster_rules.WorkerMonth]] = []
    for _, p in assignments:
        roster = roster_service.load_month(
            session, project_id=p.id, period=period, as_of=now, worker_id=worker.id
        )
        row = next((r for r in roster.rows if r.worker_id == worker.id), None)
        if row is not None:
            months.append((p, row.month))
    return render(
        request,
        "me/days.html",
        project=project,
        worker=worker,
        months=months,
        period=period,
        prev=shift_period(period, -1),
        next=shift_period(period, 1),
        lead=calendar.monthrange(year, month)[0],  # Monday = 0: blank cells before the 1st
        today=today,
    )


@router.get("/evidence/{project_id:int}/{period}.{ext}", dependencies=[MyEvidence])
def my_evidence(
    request: Request, session: PageDb, user: WorkerUser, project_id: int, period: str, ext: str
) -> Response:
    """My 考勤凭证 (PDF/XLSX): own records only, by the API's scope, service and audit."""
    if ext not in ("pdf", "xlsx"):
        raise PageNotFoundError()
    assert user.worker_id is not None  # noqa: S101 - WorkerUser guarantees it
    evidence = evidence_api.worker_evidence(
        session,
        user,
        project_id,
        user.worker_id,
        checked_period(period),
        ext,
        settings_of(request),
    )
    if ext == "pdf":
        data, media = evidence_pdf.evidence_pdf(evidence), PDF
    else:
        data, media = evidence_xlsx.evidence_xlsx(evidence), XLSX
    return download(data, media, evidence_api.file_name(evidence, ext))


@dataclass(frozen=True)
class PayMonth:
    """The payment lines of one project × wage month, with the link to its pay slip."""

    project: Project
    period: str
    lines: list[PayrollLine]
    has_slip: bool


@router.get("/pay", dependencies=[MyPay])
def my_pay(request: Request, session: PageDb, user: WorkerUser) -> Response:
    worker = _me(session, user)
    assignments = queries.my_assignments(session, worker.id)
    mine = {p.id for _, p in assignments}
    grouped: dict[tuple[int, str], PayMonth] = {}
    for line, project in queries.my_payment_lines(session, worker):
        key = (project.id, line.period)
        if key not in grouped:
            grouped[key] = PayMonth(project, line.period, [], project.id in mine)
        grouped[key].lines.append(line)
    return render(
        request,
        "me/pay.html",
        worker=worker,
        months=list(grouped.values()),
        project=assignments[0][1] if assignments else None,
    )


def _my_slip(
    request: Request, session: PageDb, user: WorkerUser, project: Project, period: str
) -> payroll_service.PaySlip:
    # A worker's scope is their own projects: anything else is 404 (nothing disclosed).
    assert user.worker_id is not None  # noqa: S101 - WorkerUser guarantees it
    today = now_utc(request).astimezone(roster_service.project_settings(project).zone).date()
    return payroll_service.pay_slip(
        session,
        project_id=project.id,
        worker_id=user.worker_id,
        period=checked_period(period),
        today=today,
    )


# Declared before the page: "{period}" would otherwise be asked to match "2026-02.pdf".
@router.get("/pay/{project_id:int}/{period}.pdf")
def my_slip_pdf(
    request: Request,
    session: PageDb,
    user: WorkerUser,
    project_id: int,
    project: SlipProject,
    period: str,
) -> Response:
    slip = _my_slip(request, session, user, project, period)
    return download(
        payslip_pdf.payslip_pdf(slip), PDF, f"工资清单_{slip.project_code}_{slip.period}.pdf"
    )


@router.get("/pay/{project_id:int}/{period}")
def my_slip(
    request: Request,
    session: PageDb,
    user: WorkerUser,
    project_id: int,
    project: SlipProject,
    period: str,
) -> Response:
    slip = _my_slip(request, session, user, project, period)
    return render(request, "me/slip.html", worker=_me(session, user), slip=slip, project=project)


@router.get("/notice", dependencies=[MyNotice])
def notice(request: Request, session: PageDb, user: WorkerUser) -> Response:
    worker = _me(session, user)
    assignments = queries.my_assignments(session, worker.id)
    return render(
        request,
        "me/notice.html",
        worker=worker,
        projects=[p for _, p in assignments],
        project=assignments[0][1] if assignments else None,
    )
