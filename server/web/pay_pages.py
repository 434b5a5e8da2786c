"""Site manager's pay pages: import the bank's 代发 result file, the project's imports, and the
wage reconciliation of a month (run it, read it, read it as of a date, export it).

The import is the payroll service's, step for step as the API and the CLI take it: the upload
is capped before anything is parsed, parsed outside the write transaction, then stored all or
nothing; a file with bad rows, an unreadable one and the same file twice are refused with their
row, column and reason (Chinese first, English under it). The reconciliation run is
`recon_service.run` as of today; `?as_of=` is `recon_service.preview`, computed and not stored.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from models.money import Fen
from server.auth.models import User
from server.auth.scope import Action, Area, Resource
from server.db.session import end_transaction
from server.errors import SiteGateError, ValidationFailedError
from server.payroll import service as payroll_service
from server.payroll.models import PayrollLine
from server.payroll.parsers import TransferStatus, load_layouts
from server.reconciliation import service as recon_service
from server.registry.models import Project
from server.reports import recon_pdf, reconciliation_xlsx
from server.rosters import service as roster_service
from server.sheet_reader import ImportLimits, check_size
from server.web.clock import now_utc
from server.web.csrf import CsrfChecked
from server.web.downloads import PDF, XLSX, download
from server.web.errors import PageRoute
from server.web.i18n import translate
from server.web.period import as_of_date, parse_period, shift_period
from server.web.security import settings_of
from server.web.session import ManagerUser, PageDb, page_authorized
from server.web.templating import render

router = APIRouter(prefix="/site", route_class=PageRoute)

PayrollRead = Annotated[Project, page_authorized(Area.SITE, Resource.PAYROLL)]
PayrollWrite = Annotated[Project, page_authorized(Area.SITE, Resource.PAYROLL, Action.WRITE)]
ReconRead = Annotated[Project, page_authorized(Area.SITE, Resource.RECONCILIATION)]
ReconWrite = Annotated[Project, page_authorized(Area.SITE, Resource.RECONCILIATION, Action.WRITE)]

IMPORTS_SHOWN = 50


def _today(request: Request, project: Project) -> dt.date:
    return now_utc(request).astimezone(roster_service.project_settings(project).zone).date()


def wage_month(today: dt.date) -> str:
    """The month whose wages fall due now (paid by the 15th of the next): last month."""
    return shift_period(f"{today:%Y-%m}", -1)


# --- the bank's 代发 result ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One line of the imports list."""

    imported_at: dt.datetime
    file_name: str
    layout: str
    periods: tuple[str, ...]
    row_count: int
    skipped_count: int
    success_fen: Fen
    by: str | None


def _imports(session: Session, project_id: int) -> list[ImportRow]:
    imports = payroll_service.list_imports(session, project_id=project_id)[:IMPORTS_SHOWN]
    ids = [i.id for i in imports]
    periods: dict[int, set[str]] = defaultdict(set)
    paid: dict[int, Fen] = defaultdict(int)
    if ids:  # one grouped query for the whole list, not one per import
        keys = (PayrollLine.import_id, PayrollLine.period, PayrollLine.status)
        stmt = (
            select(*keys, func.sum(PayrollLine.net_fen))
            .where(PayrollLine.import_id.in_(ids))
            .group_by(*keys)
        )
        for import_id, period, status, total in session.execute(stmt).all():
            periods[import_id].add(period)
            if status == TransferStatus.SUCCESS.value:
                paid[import_id] += int(total or 0)
    users = {i.user_id for i in imports if i.user_id is not None}
    names: dict[int, str] = {}
    if users:
        stmt_users = select(User.id, User.full_name, User.username).where(User.id.in_(users))
        names = {uid: full or username for uid, full, username in session.execute(stmt_users)}
    return [
        ImportRow(
            imported_at=i.imported_at,
            file_name=i.file_name,
            layout=i.layout,
            periods=tuple(sorted(periods[i.id])),
            row_count=i.row_count,
            skipped_count=i.skipped_count,
            success_fen=paid[i.id],
            by=names.get(i.user_id) if i.user_id is not None else None,
        )
        for i in imports
    ]


def _payroll_page(
    request: Request,
    session: Session,
    project: Project,
    *,
    status_code: int = 200,
    form: dict[str, Any] | None = None,
    **outcome: Any,
) -> Response:
    layouts = [(name, layout.title) for name, layout in load_layouts().items()]
    defaults = {"layout": "", "period": wage_month(_today(request, project)), "skip_bad_rows": ""}
    context: dict[str, Any] = {"result": None, "refusal": None, "issues": [], "duplicate": None}
    context.update(outcome)
    return render(
        request,
        "pay/payroll.html",
        status_code=status_code,
        project=project,
        layouts=layouts,
        form=defaults | (form or {}),
        imports=_imports(session, project.id),
        **context,
    )


@router.get("/{project_id}/payroll")
def payroll_page(request: Request, project: PayrollRead, session: PageDb) -> Response:
    return _payroll_page(request, session, project)


async def read_capped(file: UploadFile, limits: ImportLimits) -> bytes:
    """At most one byte over the cap is read: a larger upload is refused (413) before parsing."""
    data = await file.read(limits.max_bytes + 1)
    check_size(data, limits)
    return data


@router.post("/{project_id}/payroll", dependencies=[CsrfChecked])
async def upload_payroll(
    request: Request,
    project: PayrollWrite,
    session: PageDb,
    user: ManagerUser,
    file: Annotated[UploadFile | None, File()] = None,
    layout: Annotated[str, Form(max_length=64)] = "",
    period: Annotated[str, Form(max_length=16)] = "",
    skip_bad_rows: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    form = {"layout": layout, "period": period, "skip_bad_rows": skip_bad_rows}
    if file is None or not file.filename:
        no_file = (translate("import.no_file", "zh"), translate("import.no_file", "en"))
        return _payroll_page(request, session, project, status_code=422, form=form, refusal=no_file)
    file_name = file.filename
    limits = settings_of(request).import_limits("payroll")
    try:
        data = await read_capped(file, limits)
        end_transaction(session)  # no lock held while parsing
        parsed = await run_in_threadpool(
            payroll_service.parse_upload,
            data,
            file_name=file_name,
            layout=layout or None,
            default_period=period or None,
            limits=limits,
        )
        result = await run_in_threadpool(
            payroll_service.import_parsed,
            session,
            project_id=project.id,
            file_name=file_name,
            parsed=parsed,
            user=user,
            skip_bad_rows=bool(skip_bad_rows),
        )
    except SiteGateError as exc:
        session.rollback()  # nothing of a refused file is kept
        issues = exc.detail if isinstance(exc, payroll_service.PayrollRowsError) else []
        duplicate = exc.detail if isinstance(exc, payroll_service.AlreadyImportedError) else None
        return _payroll_page(
            request,
            session,
            project,
            status_code=exc.status_code,
            form=form,
            refusal=(exc.message_zh, exc.message_en),
            issues=issues or [],
            duplicate=duplicate,
        )
    return _payroll_page(request, session, project, form=form, result=result)


# --- the reconciliation of a month --------------------------------------------------------------


def recon_summary(
    session: Session, project: Project, period: str, *, today: dt.date, as_of: dt.date | None
) -> recon_service.ReconSummary:
    """The stored run with the table as of `today`; or, `as_of` given, a preview as of then
    (findings and table from the same computation, nothing stored). Also the inspector's."""
    if as_of is not None:
        return recon_service.preview(session, project_id=project.id, period=period, today=as_of)
    return recon_service.summary(session, project_id=project.id, period=period, today=today)


def _period(raw: str | None, today: dt.date) -> str:
    return parse_period(raw) or wage_month(today)


def _recon_page(
    request: Request,
    project: Project,
    summary: recon_service.ReconSummary,
    *,
    as_of: dt.date | None,
    ran: bool = False,
) -> Response:
    period = summary.period
    return render(
        request,
        "pay/reconciliation.html",
        project=project,
        period=period,
        summary=summary,
        reconciled=summary.last_run_at is not None or bool(summary.findings),
        as_of=as_of.isoformat() if as_of else "",
        today=_today(request, project).isoformat(),
        ran=ran,
        prev=shift_period(period, -1),
        next=shift_period(period, 1),
    )


@router.get("/{project_id}/reconciliation")
def reconciliation_page(
    request: Request,
    project: ReconRead,
    session: PageDb,
    period: str | None = None,
    as_of: str | None = None,
) -> Response:
    today = _today(request, project)
    when = as_of_date(as_of)
    summary = recon_summary(session, project, _period(period, today), today=today, as_of=when)
    return _recon_page(request, project, summary, as_of=when)


@router.post("/{project_id}/reconciliation", dependencies=[CsrfChecked])
def run_reconciliation(
    request: Request,
    project: ReconWrite,
    session: PageDb,
    user: ManagerUser,
    period: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Runs and stores the month as of today (the rules' pay-day checks), as the CLI does."""
    month = parse_period(period)
    if month is None:
        raise ValidationFailedError(
            f"月份 {period!r} 格式错误,应为 YYYY-MM",
            f"month {period!r} is not YYYY-MM",
            code="reconciliation.bad_period",
        )
    summary = recon_service.run(
        session, project_id=project.id, period=month, today=_today(request, project), user=user
    )
    return _recon_page(request, project, summary, as_of=None, ran=True)


@router.get("/{project_id}/reconciliation.xlsx")
def reconciliation_xlsx_export(
    request: Request,
    project: ReconRead,
    session: PageDb,
    period: str | None = None,
    as_of: str | None = None,
) -> Response:
    """工资核对 XLSX of what the page shows, as of the same date."""
    today = _today(request, project)
    summary = recon_summary(
        session, project, _period(period, today), today=today, as_of=as_of_date(as_of)
    )
    return download(
        reconciliation_xlsx.reconciliation_xlsx(summary),
        XLSX,
        f"工资核对_{project.code}_{summary.period}_{summary.today}.xlsx",
    )


@router.get("/{project_id}/reconciliation.pdf")
def reconciliation_pdf_export(
    request: Request,
    project: ReconRead,
    session: PageDb,
    period: str | None = None,
    as_of: str | None = None,
) -> Response:
    """工资核对报告 PDF of what the page shows, as of the same date."""
    today = _today(request, project)
    summary = recon_summary(
        session, project, _period(period, today), today=today, as_of=as_of_date(as_of)
    )
    data = recon_pdf.recon_pdf(
        summary,
        generated_at=now_utc(request),
        time_zone=roster_service.project_settings(project).timezone,
        comments=recon_pdf.resolution_comments(session, summary.findings),
    )
    return download(data, PDF, f"工资核对报告_{project.code}_{summary.period}_{summary.today}.pdf")
