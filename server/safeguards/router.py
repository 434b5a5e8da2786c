"""Wage-protection JSON API under /api/v1/projects/{project_id}/safeguards.

Scope (server/auth/policy.py): the records (Resource.SAFEGUARDS) are written by the project's
site managers and admins and read by inspectors; a worker gets 403. A labour contract
(Resource.LABOUR_CONTRACTS) is read by its own worker too (another worker's is 404). The wage
account's number is masked except for roles that see full numbers (Resource.FULL_IDS).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Response, UploadFile

from server.auth import scope
from server.auth.scope import Action, Resource
from server.db.session import end_transaction
from server.deps import CurrentUser, SessionDep, SettingsDep, authorized
from server.safeguards import rules
from server.safeguards import service as safeguard_service
from server.safeguards.schemas import (
    ContractIn,
    ContractOut,
    DepositIn,
    DepositOut,
    GuaranteeIn,
    GuaranteeOut,
    OfficerIn,
    OfficerOut,
    SafeguardsOut,
    StatementOut,
    WageAccountIn,
    WageAccountOut,
)

router = APIRouter(prefix="/api/v1/projects/{project_id}/safeguards", tags=["safeguards"])

READ = [authorized(Resource.SAFEGUARDS)]
WRITE = [authorized(Resource.SAFEGUARDS, Action.WRITE)]
CONTRACT_NOT_FOUND = ("用工记录", "assignment")


@router.get("", response_model=SafeguardsOut, dependencies=READ)
def get_records(project_id: int, session: SessionDep, user: CurrentUser) -> SafeguardsOut:
    full = scope.may_unmask(session, user, {project_id})
    return safeguard_service.records(session, project_id=project_id, full=full)


@router.put("/wage-account", response_model=WageAccountOut, dependencies=WRITE)
def put_wage_account(
    project_id: int, data: WageAccountIn, session: SessionDep, user: CurrentUser
) -> WageAccountOut:
    row = safeguard_service.put_wage_account(session, project_id=project_id, data=data, user=user)
    return safeguard_service.account_out(row, full=scope.may_unmask(session, user, {project_id}))


@router.post("/deposits", response_model=DepositOut, status_code=201, dependencies=WRITE)
def add_deposit(
    project_id: int, data: DepositIn, session: SessionDep, user: CurrentUser
) -> DepositOut:
    row = safeguard_service.add_deposit(session, project_id=project_id, data=data, user=user)
    return DepositOut(
        id=row.id, form=row.form, amount_fen=row.amount_fen,
        contract_price_fen=row.contract_price_fen,
        share_percent=rules.deposit_share(row.amount_fen, row.contract_price_fen),
        paid_on=row.paid_on, released_on=row.released_on, reference=row.reference,
    )  # fmt: skip


@router.post("/guarantees", response_model=GuaranteeOut, status_code=201, dependencies=WRITE)
def add_guarantee(
    project_id: int, data: GuaranteeIn, session: SessionDep, user: CurrentUser
) -> GuaranteeOut:
    row = safeguard_service.add_guarantee(session, project_id=project_id, data=data, user=user)
    return GuaranteeOut.model_validate(row, from_attributes=True)


@router.post("/officers", response_model=OfficerOut, status_code=201, dependencies=WRITE)
def appoint_officer(
    project_id: int, data: OfficerIn, session: SessionDep, user: CurrentUser
) -> OfficerOut:
    row = safeguard_service.appoint_officer(session, project_id=project_id, data=data, user=user)
    return OfficerOut.model_validate(row, from_attributes=True)


@router.post("/statements", response_model=StatementOut, status_code=201, dependencies=WRITE)
def import_statement(
    project_id: int,
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="专户流水 CSV 或 XLSX")],
    response: Response,
) -> StatementOut:
    limits = settings.import_limits("payroll")
    data = file.file.read(limits.max_bytes + 1)  # one byte over the cap is enough to refuse
    file_name = file.filename or "statement"
    end_transaction(session)  # no lock held while parsing
    rows = safeguard_service.parse_statement(data, file_name=file_name, limits=limits)
    out = safeguard_service.import_statement(
        session, project_id=project_id, file_name=file_name, data=data, rows=rows, user=user
    )
    if out.already_imported:
        response.status_code = 200  # the same file again: nothing new
    return out


@router.get(
    "/contracts/{assignment_id}",
    response_model=ContractOut,
    dependencies=[authorized(Resource.LABOUR_CONTRACTS, not_found=CONTRACT_NOT_FOUND)],
)
def get_contract(project_id: int, assignment_id: int, session: SessionDep) -> ContractOut:
    return safeguard_service.contract_out(
        session, project_id=project_id, assignment_id=assignment_id
    )


@router.post(
    "/contracts/{assignment_id}",
    response_model=ContractOut,
    dependencies=[authorized(Resource.LABOUR_CONTRACTS, Action.WRITE)],
)
def record_contract(
    project_id: int, assignment_id: int, data: ContractIn, session: SessionDep, user: CurrentUser
) -> ContractOut:
    return safeguard_service.record_contract(
        session, project_id=project_id, assignment_id=assignment_id, data=data, scan=None,
        user=user,
    )  # fmt: skip


@router.put(
    "/contracts/{assignment_id}/scan",
    response_model=ContractOut,
    dependencies=[authorized(Resource.LABOUR_CONTRACTS, Action.WRITE)],
)
def put_scan(
    project_id: int,
    assignment_id: int,
    session: SessionDep,
    user: CurrentUser,
    file: Annotated[UploadFile, File(description="PDF, JPEG or PNG, at most 5 MB")],
) -> ContractOut:
    data = file.file.read(rules.MAX_SCAN_BYTES + 1)
    return safeguard_service.put_scan(
        session, project_id=project_id, assignment_id=assignment_id, scan=data, user=user
    )


@router.get(
    "/contracts/{assignment_id}/scan",
    dependencies=[authorized(Resource.LABOUR_CONTRACTS, not_found=CONTRACT_NOT_FOUND)],
)
def get_scan(project_id: int, assignment_id: int, session: SessionDep) -> Response:
    row = safeguard_service.get_contract(
        session, project_id=project_id, assignment_id=assignment_id
    )
    if not row.scan:
        raise safeguard_service.NoScanError()
    ext = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}[row.scan_type]
    return Response(
        row.scan,
        media_type=row.scan_type,
        headers={
            "Content-Disposition": f'inline; filename="contract-{assignment_id}.{ext}"',
            "X-Content-Type-Options": "nosniff",
        },
    )
