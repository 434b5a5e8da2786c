"""Inspector pages (/inspect/...): projects in scope, reconciliation, drill-down, findings, exports.

What an inspector sees is what the reconciliation service stored: the level and the findings of
the last run (with their history), and the per-worker table the service computes from the
roster and the imported payroll lines. Nothing is stored here; a month nobody has reconciled
yet says so. `?as_of=YYYY-MM-DD` re-runs the month as of that date as a read (policy: inspectors
read reconciliation; the stored run stays the manager's): findings and table come from one
computation as of that date, shown and exported with the date, and nothing is saved.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.responses import Response

from models.enums import WarningLevel
from server.anchors import digest, server_key
from server.auth import scope
from server.auth.scope import Action, Area, Resource
from server.errors import SiteGateError
from server.ingest import chain_check
from server.ingest.ack_check import ACK_PROBLEM_TEXT
from server.payroll import service as payroll_service
from server.reconciliation import service as recon_service
from server.registry.models import Project
from server.reports import (
    evidence_pdf,
    evidence_xlsx,
    ledger_xlsx,
    payslip_pdf,
    recon_pdf,
    reconciliation_xlsx,
)
from server.reports import router as evidence_api
from server.rosters import service as roster_service
from server.wages import ledger as wage_ledger
from server.web import chain_pages, charts, month_view, queries, wage_pages
from server.web.clock import now_utc
from server.web.csrf import CsrfChecked
from server.web.downloads import PDF, XLSX, download
from server.web.errors import PageNotFoundError, PageRoute
from server.web.forms import FormErrors
from server.web.i18n import lang_of, translate
from server.web.pay_pages import recon_summary
from server.web.period import (
    DEFAULT_ZONE,
    as_of_date,
    checked_period,
    current_period,
    shift_period,
)
from server.web.security import settings_of
from server.web.session import InspectorUser, PageDb, page_authorized
from server.web.templating import render

router = APIRouter(prefix="/inspect", route_class=PageRoute)

# The overview shows the current month and the two before it.
OVERVIEW_MONTHS = 3
# The month page lists this many of the latest daily digests (the API lists them all).
DIGESTS_SHOWN = 14


# Each page's kind (server/auth/policy.py): the inspect area, the project in scope, the kind.
ReconProject = Annotated[Project, page_authorized(Area.INSPECT, Resource.RECONCILIATION)]
SlipProject = Annotated[Project, page_authorized(Area.INSPECT, Resource.PAYSLIPS)]
EvidenceProject = Annotated[Project, page_authorized(Area.INSPECT, Resource.EVIDENCE)]
LedgerProject = Annotated[Project, page_authorized(Area.INSPECT, Resource.PAYROLL)]
FindingProject = Annotated[Project, page_authorized(Area.INSPECT, Resource.FINDINGS, Action.WRITE)]


def _today(request: Request, project: Project) -> dt.date:
    return now_utc(request).astimezone(roster_service.project_settings(project).zone).date()


@router.get("/")
def projects(request: Request, user: InspectorUser, session: PageDb) -> Response:
    current = current_period(now_utc(request), DEFAULT_ZONE)
    periods = [shift_period(current, -n) for n in range(OVERVIEW_MONTHS - 1, -1, -1)]
    in_scope = queries.projects_in_scope(session, scope.project_ids_in_scope(session, user))
    # One query for every project × month: the stored levels, not a reconciliation per cell.
    levels = recon_service.levels_for_projects(
        session, project_ids=[p.id for p in in_scope], periods=periods
    )
    rows = [(p, [(period, levels[(p.id, period)]) for period in periods]) for p in in_scope]
    return render(
        request,
        "inspect/projects.html",
        rows=rows,
        periods=periods,
        levels=[WarningLevel.RED, WarningLevel.ORANGE, WarningLevel.YELLOW],
    )


@router.get("/{project_id}/{period}")
def project_month(
    request: Request,
    project: ReconProject,
    session: PageDb,
    period: str,
    as_of: str | None = None,
) -> Response:
    return _month_page(
        request, project, session, checked_period(period), [], as_of=as_of_date(as_of)
    )


def _month_page(
    request: Request,
    project: Project,
    session: PageDb,
    period: str,
    errors: list[str],
    status_code: int = 200,
    as_of: dt.date | None = None,
) -> Response:
    summary = recon_summary(session, project, period, today=_today(request, project), as_of=as_of)
    lang = lang_of(request)
    show_all = request.query_params.get("rows") == "all"
    on_roster = {r.worker_id for r in summary.rows}
    kinds = month_view.open_kinds(summary.findings)
    flagged = month_view.problem_rows(summary.rows, kinds)
    rows = list(summary.rows) if show_all else flagged
    # The chart shows the rows the table shows (only those with a problem by default), after
    # the findings and the table: 300 bars must not push the answer down the page.
    charted = [r for r in rows if r.expected_fen or r.paid_fen or r.attended_days]
    chart = charts.paired_bars(
        [r.name for r in charted],
        [(r.expected_fen or 0) / 100 for r in charted],
        [r.paid_fen / 100 for r in charted],
        legend=(translate("inspect.expected", lang), translate("inspect.paid", lang)),
        titles=[
            (
                f"{r.name} {r.attended_days:g}d · {(r.expected_fen or 0) / 100:,.2f}",
                f"{r.name} · {r.paid_fen / 100:,.2f}",
            )
            for r in charted
        ],
    )
    reconciled = summary.last_run_at is not None or bool(summary.findings)
    done = request.query_params.get("done", "")
    return render(
        request,
        "inspect/project_month.html",
        status_code=status_code,
        project=project,
        period=period,
        summary=summary,
        reconciled=reconciled,
        chart=chart,
        history=queries.finding_history(session, [f.id for f in summary.findings]),
        # What ingest and the checkpoints established (no record re-hashed on a view), and the
        # latest full re-check, run on demand in the background (server/ingest/chain_check.py).
        chains=chain_check.gate_states(session, project.id, period),
        check=chain_check.latest(session, project.id),
        # The server-signed daily digests for the inspector's office to archive (Resource.DIGESTS,
        # which every role of this area reads).
        digests=digest.summaries(session, project.id, limit=DIGESTS_SHOWN),
        server_key_fp=server_key.fingerprint(settings_of(request)),
        now=now_utc(request),
        ack_text=ACK_PROBLEM_TEXT,
        prev=shift_period(period, -1),
        next=shift_period(period, 1),
        errors=errors,
        as_of=as_of.isoformat() if as_of else "",
        # The month's 工资支付表 with their open disputes (server/web/wage_pages.py).
        wage_rows=wage_pages.summaries(session, project.id, period),
        show_link=True,
        table_rows=rows,
        flagged_count=len(flagged),
        show_all=show_all,
        kinds=month_view.serious_kinds(kinds),
        on_roster=on_roster,
        done_id=int(done) if done.isdigit() else 0,
        open_counts={level.value: n for level, n in summary.counts.items()},
    )


@router.get("/{project_id}/{period}/workers/{worker_id}")
def worker_month(
    request: Request, project: SlipProject, session: PageDb, period: str, worker_id: int
) -> Response:
    period = checked_period(period)
    # The pay slip is the drill-down's numbers (404 when the worker is not on the month's roster)
    slip = payroll_service.pay_slip(
        session,
        project_id=project.id,
        worker_id=worker_id,
        period=period,
        today=_today(request, project),
    )
    roster = roster_service.load_month(
        session, project_id=project.id, period=period, as_of=now_utc(request), worker_id=worker_id
    )
    row = next((r for r in roster.rows if r.worker_id == worker_id), None)
    if row is None:
        raise PageNotFoundError()
    findings = [
        f
        for f in recon_service.findings_for(session, project_id=project.id, period=period)
        if f.worker_id == worker_id
    ]
    # A red or orange open finding is the worker's status: never "paid in full" beside it.
    blocking = [
        f
        for f in findings
        if f.status == "open" and f.level in (WarningLevel.RED, WarningLevel.ORANGE)
    ]
    return render(
        request,
        "inspect/worker_month.html",
        project=project,
        period=period,
        slip=slip,
        row=row,
        findings=findings,
        blocking=blocking,
        stale=recon_service.staleness(session, project_id=project.id, period=period),
        split_reason=recon_service.split_reason,
    )


@router.get("/{project_id}/{period}/workers/{worker_id}/payslip.pdf")
def worker_payslip_pdf(
    request: Request, project: SlipProject, session: PageDb, period: str, worker_id: int
) -> Response:
    slip = payroll_service.pay_slip(
        session,
        project_id=project.id,
        worker_id=worker_id,
        period=checked_period(period),
        today=_today(request, project),
    )
    return download(payslip_pdf.payslip_pdf(slip), PDF, _slip_name(slip))


@router.get("/{project_id}/{period}/workers/{worker_id}/evidence.{ext}")
def worker_evidence(
    request: Request,
    project: EvidenceProject,
    session: PageDb,
    user: InspectorUser,
    period: str,
    worker_id: int,
    ext: str,
) -> Response:
    """考勤凭证 PDF/XLSX: the API's scope, service and audit, as a page download."""
    if ext not in ("pdf", "xlsx", "zip"):
        raise PageNotFoundError()
    if ext == "zip":
        return evidence_api.evidence_pack(
            session, user, project.id, worker_id, checked_period(period), settings_of(request)
        )
    evidence = evidence_api.worker_evidence(
        session, user, project.id, worker_id, checked_period(period), ext, settings_of(request)
    )
    if ext == "pdf":
        data, media = evidence_pdf.evidence_pdf(evidence), PDF
    else:
        data, media = evidence_xlsx.evidence_xlsx(evidence), XLSX
    return download(data, media, evidence_api.file_name(evidence, ext))


def _slip_name(slip: payroll_service.PaySlip) -> str:
    return f"工资清单_{slip.project_code}_{slip.worker_name}_{slip.period}.pdf"


@router.post("/{project_id}/{period}/findings/{finding_id}", dependencies=[CsrfChecked])
def act_on_finding(
    request: Request,
    project: FindingProject,
    session: PageDb,
    user: InspectorUser,
    period: str,
    finding_id: int,
    action: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
) -> Response:
    period = checked_period(period)
    try:
        found = recon_service.get_finding(session, user=user, finding_id=finding_id)
    except SiteGateError:
        raise PageNotFoundError() from None
    if found.finding.project_id != project.id or found.finding.period != period:
        raise PageNotFoundError()
    lang = lang_of(request)
    wants_json = "application/json" in request.headers.get("accept", "")
    errs = FormErrors(lang)
    try:
        # The service checks the action, the comment and the transition; its message is shown.
        detail = recon_service.act_on_finding(
            session, user=user, finding_id=finding_id, action=action, comment=comment
        )
    except SiteGateError as exc:
        session.rollback()
        if wants_json:  # sitegate.js shows it beside the form
            message = exc.message_en if lang == "en" else exc.message_zh
            return JSONResponse({"ok": False, "message": message}, status_code=exc.status_code)
        errs.add_text(exc.message_zh, exc.message_en)
        return _month_page(request, project, session, period, errs.messages, exc.status_code)
    done = f"inspect.done.{action}"
    if wants_json:  # the row changes in place, no reload (server/web/static/sitegate.js)
        status = detail.finding.status
        return JSONResponse(
            {
                "ok": True,
                "id": finding_id,
                "status": status,
                "status_text": translate(f"finding.{status}", lang),
                "message": translate(done, lang),
            }
        )
    # Back to the same finding: its anchor, and the row says it was done.
    return RedirectResponse(
        f"/inspect/{project.id}/{period}?msg={done}&done={finding_id}#f-{finding_id}",
        status_code=303,
    )


@router.get("/{project_id}/{period}/export.xlsx")
def export_xlsx(
    request: Request,
    project: ReconProject,
    session: PageDb,
    period: str,
    as_of: str | None = None,
) -> Response:
    """工资核对 XLSX: the stored level and findings, the per-worker table (server/reports); with
    `as_of`, the page's preview as of that date."""
    summary = recon_summary(
        session,
        project,
        checked_period(period),
        today=_today(request, project),
        as_of=as_of_date(as_of),
    )
    return download(
        reconciliation_xlsx.reconciliation_xlsx(summary),
        XLSX,
        f"工资核对_{project.code}_{summary.period}.xlsx",
    )


@router.get("/{project_id}/{period}/report.pdf")
def report_pdf(
    request: Request,
    project: ReconProject,
    session: PageDb,
    period: str,
    as_of: str | None = None,
) -> Response:
    """工资核对报告 PDF: what the page shows (as of `as_of` when given), printable with signature
    lines (server/reports)."""
    summary = recon_summary(
        session,
        project,
        checked_period(period),
        today=_today(request, project),
        as_of=as_of_date(as_of),
    )
    data = recon_pdf.recon_pdf(
        summary,
        generated_at=now_utc(request),
        time_zone=roster_service.project_settings(project).timezone,
        comments=recon_pdf.resolution_comments(session, summary.findings),
    )
    return download(data, PDF, f"工资核对报告_{project.code}_{summary.period}.pdf")


@router.get("/{project_id}/{period}/ledger.xlsx")
def ledger_export(
    request: Request, project: LedgerProject, session: PageDb, period: str
) -> Response:
    """工资支付台账 XLSX of the month: the Art. 15 ledger and every imported payment line."""
    period = checked_period(period)
    entries = payroll_service.ledger(session, project_id=project.id, period=period)
    data = ledger_xlsx.ledger_xlsx(
        project_code=project.code,
        project_name=project.name,
        period=period,
        entries=entries,
        generated_at=now_utc(request).astimezone(roster_service.project_settings(project).zone),
        rows=wage_ledger.ledger_rows(session, project_id=project.id, period=period),
    )
    return download(data, XLSX, f"工资支付台账_{project.code}_{period}.xlsx")


# The full chain re-check (its own module): registered here, under the inspector's prefix.
router.include_router(chain_pages.router)
