"""Payroll JSON API: import 代发 result files, the ledger (JSON/XLSX), templates, pay slips.

Scope (server/auth/policy.py): site managers and admins import; site managers, inspectors and
admins of the project read the ledger; a worker gets 403 on them, and sees only their own pay
slips (another worker's is 404, so nothing is disclosed).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Query, Response, UploadFile

from server.auth.scope import Action, Resource
from server.db.session import end_transaction
from server.deps import CurrentUser, SessionDep, SettingsDep, authorized
from server.payroll import parsers
from server.payroll import service as payroll_service
from server.payroll.schemas import ImportOut, ImportResultOut, LedgerEntryOut, PaySlipOut
from server.registry.models import Project
from server.reports import ledger_xlsx, payslip_pdf
from server.wages import ledger as wage_ledger

router = APIRouter(prefix="/api/v1", tags=["payroll"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Period = Annotated[str | None, Query(description="wage period YYYY-MM", max_length=16)]
PayrollProject = Annotated[Project, authorized(Resource.PAYROLL)]


def attachment(name: str) -> dict[str, str]:
    """Content-Disposition with an ASCII fallback and the UTF-8 (Chinese) file name."""
    fallback = name.encode("ascii", "replace").decode().replace("?", "_")
    value = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"
    return {"Content-Disposition": value}


@router.post(
    "/projects/{project_id}/payroll/imports",
    response_model=ImportResultOut,
    status_code=201,
    dependencies=[authorized(Resource.PAYROLL, Action.WRITE)],
)
def import_payroll(
    project_id: int,
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="代发结果 CSV 或 XLSX")],
    layout: Annotated[str | None, Form(max_length=64)] = None,
    skip_bad_rows: Annotated[bool, Form()] = False,
    default_period: Annotated[str | None, Form(max_length=16)] = None,
) -> ImportResultOut:
    data = file.file.read()
    file_name = file.filename or "upload"
    end_transaction(session)  # no lock held while parsing (this runs in the thread pool)
    parsed = payroll_service.parse_upload(
        data,
        file_name=file_name,
        layout=layout or None,
        default_period=default_period or None,
        limits=settings.import_limits("payroll"),
    )
    result = payroll_service.import_parsed(
        session,
        project_id=project_id,
        file_name=file_name,
        parsed=parsed,
        user=user,
        skip_bad_rows=skip_bad_rows,
    )
    return ImportResultOut.of(result)


@router.get("/projects/{project_id}/payroll/imports", response_model=list[ImportOut])
def list_imports(project_id: int, session: SessionDep, _: PayrollProject) -> list[ImportOut]:
    return [ImportOut.of(r) for r in payroll_service.list_imports(session, project_id=project_id)]


@router.get("/projects/{project_id}/payroll/ledger", response_model=list[LedgerEntryOut])
def get_ledger(
    project_id: int, session: SessionDep, _: PayrollProject, period: Period = None
) -> list[LedgerEntryOut]:
    entries = payroll_service.ledger(session, project_id=project_id, period=period)
    return [LedgerEntryOut.of(e) for e in entries]


@router.get("/projects/{project_id}/payroll/ledger.xlsx")
def get_ledger_xlsx(
    project_id: int, session: SessionDep, project: PayrollProject, period: Period = None
) -> Response:
    entries = payroll_service.ledger(session, project_id=project_id, period=period)
    shown = entries[0].period if period and entries else period
    body = ledger_xlsx.ledger_xlsx(
        project_code=project.code,
        project_name=project.name,
        period=shown,
        entries=entries,
        generated_at=dt.datetime.now(dt.UTC),
        rows=wage_ledger.ledger_rows(session, project_id=project_id, period=shown),
    )
    name = f"工资支付台账_{project.code}_{shown or 'all'}.xlsx"
    return Response(body, media_type=XLSX, headers=attachment(name))


@router.get("/payroll/template.xlsx")
def template_xlsx(user: CurrentUser) -> Response:
    return Response(
        parsers.template_xlsx_bytes(), media_type=XLSX, headers=attachment("代发工资模板.xlsx")
    )


@router.get("/payroll/template.csv")
def template_csv(user: CurrentUser) -> Response:
    return Response(
        parsers.template_csv_bytes(),
        media_type="text/csv; charset=utf-8",
        headers=attachment("代发工资模板.csv"),
    )


def _slip(
    session: SessionDep, project_id: int, worker_id: int, period: str
) -> payroll_service.PaySlip:
    return payroll_service.pay_slip(
        session, project_id=project_id, worker_id=worker_id, period=period
    )


# Another worker's slip is 404, as a missing one.
_SLIP_SCOPE = [authorized(Resource.PAYSLIPS, not_found=("工资清单", "pay slip"))]


# Declared before the JSON route: "{period}" would otherwise swallow "2026-10.pdf".
@router.get(
    "/projects/{project_id}/workers/{worker_id}/payslips/{period}.pdf", dependencies=_SLIP_SCOPE
)
def get_payslip_pdf(project_id: int, worker_id: int, period: str, session: SessionDep) -> Response:
    slip = _slip(session, project_id, worker_id, period)
    body = payslip_pdf.payslip_pdf(slip)
    name = f"工资清单_{slip.worker_name}_{slip.period}.pdf"
    return Response(body, media_type="application/pdf", headers=attachment(name))


@router.get(
    "/projects/{project_id}/workers/{worker_id}/payslips/{period}",
    response_model=PaySlipOut,
    dependencies=_SLIP_SCOPE,
)
def get_payslip(project_id: int, worker_id: int, period: str, session: SessionDep) -> PaySlipOut:
    return PaySlipOut.of(_slip(session, project_id, worker_id, period))
