"""A worker's own pages (/me/...): attendance calendar with IN/OUT times, each month's pay as a
card (paid in full, short, unpaid, not yet due: the reconciliation's own figures), pay slips,
the project's 维权信息告示牌 with every number dialable, and their objections.

Everything is keyed by the signed-in user's worker_id; no route takes a worker id, a project
that is not one of the worker's own is a 404, and the pay slip (工资清单) is the payroll
service's, as a page and as the printable PDF.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from server.auth.scope import Area, Resource
from server.notice import rules as notice_rules
from server.notice import service as notice_service
from server.objections import service as objection_service
from server.payroll import service as payroll_service
from server.reconciliation import worker_month
from server.reconciliation.rules import RowStatus
from server.registry.models import Assignment, Project, Worker
from server.reports import evidence_pdf, evidence_xlsx, payslip_pdf
from server.reports import router as evidence_api
from server.rosters import day_times
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
    months: list[tuple[Project, roster_rules.WorkerMonth, list[day_times.DayTimes]]] = []
    for _, p in assignments:
        roster = roster_service.load_month(
            session, project_id=p.id, period=period, as_of=now, worker_id=worker.id
        )
        row = next((r for r in roster.rows if r.worker_id == worker.id), None)
        if row is not None:
            times = day_times.load(
                session, project_id=p.id, worker_id=worker.id, period=period, as_of=now
            )
            months.append((p, row.month, [times[d] for d in sorted(times)]))
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
        tz=roster_service.project_settings(project).timezone if project else "Asia/Shanghai",
        **_objection_context(session, worker, assignments, period, "days"),
    )


def _objection_context(
    session: PageDb,
    worker: Worker,
    assignments: list[tuple[Assignment, Project]],
    period: str,
    kind: str,
) -> dict[str, Any]:
    """What the 考勤/工资有异议 form and the list of the worker's own objections need."""
    return {
        "objections": objection_service.for_worker(session, worker_id=worker.id),
        "objection_projects": [p for _, p in assignments],
        "objection_period": period,
        "objection_kind": kind,
    }


@router.get("/evidence/{project_id:int}/{period}.{ext}", dependencies=[MyEvidence])
def my_evidence(
    request: Request, session: PageDb, user: WorkerUser, project_id: int, period: str, ext: str
) -> Response:
    """My 考勤凭证 (PDF/XLSX): own records only, by the API's scope, service and audit."""
    if ext not in ("pdf", "xlsx", "zip"):
        raise PageNotFoundError()
    assert user.worker_id is not None  # noqa: S101 - WorkerUser guarantees it
    if ext == "zip":
        return evidence_api.evidence_pack(
            session, user, project_id, user.worker_id, checked_period(period), settings_of(request)
        )
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


PAY_MONTHS = 12  # finished months a card is shown for without a payment


@dataclass(frozen=True)
class PayMonth:
    """One project × wage month as the worker's card shows it: the reconciliation's row."""

    project: Project
    row: worker_month.WorkerMonth

    @property
    def period(self) -> str:
        return self.row.period


def _months_on(a: Assignment, today: dt.date) -> list[str]:
    """The finished wage months of an assignment (at most PAY_MONTHS back). The running month
    gets a card once something is paid for it: until it ends there is nothing to compare."""
    if a.entered_on is None:
        return []
    this_month = today.replace(day=1)
    first = max(a.entered_on.replace(day=1), _shift(this_month, -PAY_MONTHS))
    last = _shift(this_month, -1)
    if a.left_on is not None:
        last = min(last, a.left_on.replace(day=1))
    out = []
    while first <= last:
        out.append(first.strftime("%Y-%m"))
        first = _shift(first, 1)
    return out


def _shift(first: dt.date, months: int) -> dt.date:
    index = first.year * 12 + first.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


@router.get("/pay", dependencies=[MyPay])
def my_pay(request: Request, session: PageDb, user: WorkerUser) -> Response:
    worker = _me(session, user)
    now = now_utc(request)
    assignments = queries.my_assignments(session, worker.id)
    projects = {p.id: p for _, p in assignments}
    keys: set[tuple[int, str]] = set()
    for line, project in queries.my_payment_lines(session, worker):
        if project.id in projects:  # a line on a project they are not on has no roster row
            keys.add((project.id, line.period))
    for a, p in assignments:
        today = now.astimezone(roster_service.project_settings(p).zone).date()
        keys.update((p.id, period) for period in _months_on(a, today))
    months: list[PayMonth] = []
    for pid, period in sorted(keys, key=lambda k: (k[1], k[0]), reverse=True):
        project = projects[pid]
        today = now.astimezone(roster_service.project_settings(project).zone).date()
        row = worker_month.worker_month(
            session, project_id=pid, worker_id=worker.id, period=period, today=today
        )
        if row is None or (row.status is RowStatus.NOTHING_DUE and not row.lines):
            continue
        months.append(PayMonth(project, row))
    zone = roster_service.project_settings(assignments[0][1]).zone if assignments else dt.UTC
    period = now.astimezone(zone).strftime("%Y-%m")
    return render(
        request,
        "me/pay.html",
        worker=worker,
        months=months,
        project=assignments[0][1] if assignments else None,
        **_objection_context(session, worker, assignments, period, "pay"),
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
    projects = list({p.id: p for _, p in assignments}.values())
    boards = notice_service.boards(session, project_ids={p.id for p in projects})
    return render(
        request,
        "me/notice.html",
        worker=worker,
        boards=[(p, boards[p.id], notice_rules.board_lines(boards[p.id])) for p in projects],
        national=notice_rules.board_lines(notice_rules.NoticeFields()),
        project=projects[0] if projects else None,
    )
