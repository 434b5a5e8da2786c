"""Wage sheet JSON API: build, edit, send, lock, and the worker's own confirmation or dispute.

Scope (server/auth/policy.py): site managers and admins of the project compile and lock sheets
and resolve disputes; inspectors read them; a worker reads and answers only their own lines (any
other line is 404, a team leader's included).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from models.enums import Role
from server.auth.scope import Action, Resource
from server.auth.service import audit
from server.deps import CurrentUser, SessionDep, authorized
from server.errors import NotFoundError
from server.payroll.router import XLSX, attachment
from server.wages import confirm as wage_confirm
from server.wages import disbursement as wage_disbursement
from server.wages import ledger, sheets
from server.wages.models import WageLine
from server.wages.schemas import (
    Answer,
    DisputeRequest,
    ItemCreate,
    LedgerRowOut,
    LineOut,
    LockRequest,
    ResolveRequest,
    SheetCreate,
    SheetDetailOut,
    SheetOut,
)

router = APIRouter(prefix="/api/v1", tags=["wages"])

READ = authorized(Resource.WAGE_SHEETS)
WRITE = authorized(Resource.WAGE_SHEETS, Action.WRITE)
BASE = "/projects/{project_id}/wage-sheets"


def detail(session: SessionDep, sheet_id: int, project_id: int) -> SheetDetailOut:
    sheet = sheets.get_sheet(session, project_id, sheet_id)
    lines = sheets.lines_of(session, sheet.id)
    items = sheets.items_by_line(session, [line.id for line in lines])
    return SheetDetailOut(
        **SheetOut.of(sheet).model_dump(),
        lines=[LineOut.of(line, items.get(line.id, [])) for line in lines],
    )


@router.post(BASE, response_model=SheetOut, status_code=201, dependencies=[WRITE])
def build_sheet(
    project_id: int, body: SheetCreate, session: SessionDep, user: CurrentUser
) -> SheetOut:
    sheet = sheets.build_sheet(
        session,
        project_id=project_id,
        company_id=body.company_id,
        period=body.period,
        team_id=body.team_id,
        user=user,
    )
    return SheetOut.of(sheet)


@router.get(BASE, response_model=list[SheetOut], dependencies=[READ])
def list_sheets(
    project_id: int,
    session: SessionDep,
    period: Annotated[str | None, Query(max_length=16)] = None,
) -> list[SheetOut]:
    return [SheetOut.of(s) for s in sheets.list_sheets(session, project_id, period)]


@router.get(BASE + "/{sheet_id}", response_model=SheetDetailOut, dependencies=[READ])
def get_sheet(project_id: int, sheet_id: int, session: SessionDep) -> SheetDetailOut:
    return detail(session, sheet_id, project_id)


@router.post(BASE + "/{sheet_id}/refresh", response_model=SheetOut, dependencies=[WRITE])
def refresh_sheet(
    project_id: int, sheet_id: int, session: SessionDep, user: CurrentUser
) -> SheetOut:
    sheet = sheets.get_sheet(session, project_id, sheet_id)
    sheets.refresh_sheet(session, sheet, user=user)
    return SheetOut.of(sheet)


@router.post(BASE + "/{sheet_id}/send", response_model=SheetOut, dependencies=[WRITE])
def send_sheet(project_id: int, sheet_id: int, session: SessionDep, user: CurrentUser) -> SheetOut:
    sheet = sheets.get_sheet(session, project_id, sheet_id)
    sheets.send_sheet(session, sheet, user=user)
    return SheetOut.of(sheet)


@router.post(BASE + "/{sheet_id}/lock", response_model=SheetOut, dependencies=[WRITE])
def lock_sheet(
    project_id: int, sheet_id: int, body: LockRequest, session: SessionDep, user: CurrentUser
) -> SheetOut:
    sheet = sheets.get_sheet(session, project_id, sheet_id)
    sheets.lock_sheet(session, sheet, user=user, reason=body.reason)
    return SheetOut.of(sheet)


@router.get(
    BASE + "/{sheet_id}/disbursement.{ext}",
    dependencies=[authorized(Resource.FULL_IDS)],
    responses={200: {"content": {XLSX: {}, "text/csv": {}}}},
)
def disbursement(
    project_id: int,
    sheet_id: int,
    ext: str,
    session: SessionDep,
    user: CurrentUser,
    layout: Annotated[str, Query(max_length=64)] = "canonical",
) -> Response:
    """The bank 代发 instruction of a locked sheet (full ID and card numbers: audited)."""
    sheet = sheets.get_sheet(session, project_id, sheet_id)
    body = wage_disbursement.disbursement_file(session, sheet, layout=layout, fmt=ext)
    name = wage_disbursement.file_name(session, sheet, layout=layout, fmt=ext)
    audit(session, user, "wages.disbursement", "wage_sheet", sheet.id, project_id=project_id,
          detail={"layout": layout, "format": ext})  # fmt: skip
    media = XLSX if ext == "xlsx" else f"text/csv; charset={wage_disbursement.csv_charset(layout)}"
    return Response(body, media_type=media, headers=attachment(name))


@router.post(
    BASE + "/{sheet_id}/lines/{line_id}/items",
    response_model=LineOut,
    status_code=201,
    dependencies=[WRITE],
)
def add_item(
    project_id: int,
    sheet_id: int,
    line_id: int,
    body: ItemCreate,
    session: SessionDep,
    user: CurrentUser,
) -> LineOut:
    sheet = sheets.get_sheet(session, project_id, sheet_id)
    line = sheets.get_line(session, sheet, line_id)
    sheets.add_item(
        session,
        sheet,
        line,
        user=user,
        category=body.category,
        reason=body.reason,
        amount_fen=body.amount_fen,
        quantity=body.quantity,
        unit=body.unit,
        unit_price_fen=body.unit_price_fen,
    )
    return LineOut.of(line, sheets.items_by_line(session, [line.id]).get(line.id, []))


@router.delete(
    BASE + "/{sheet_id}/lines/{line_id}/items/{item_id}", status_code=204, dependencies=[WRITE]
)
def remove_item(
    project_id: int,
    sheet_id: int,
    line_id: int,
    item_id: int,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    sheet = sheets.get_sheet(session, project_id, sheet_id)
    line = sheets.get_line(session, sheet, line_id)
    sheets.remove_item(session, sheet, line, item_id, user=user)
    return Response(status_code=204)


@router.post(
    BASE + "/{sheet_id}/lines/{line_id}/resolve", response_model=LineOut, dependencies=[WRITE]
)
def resolve_dispute(
    project_id: int,
    sheet_id: int,
    line_id: int,
    body: ResolveRequest,
    session: SessionDep,
    user: CurrentUser,
) -> LineOut:
    sheet = sheets.get_sheet(session, project_id, sheet_id)
    line = sheets.get_line(session, sheet, line_id)
    wage_confirm.resolve(session, line, user=user, comment=body.comment)
    return LineOut.of(line, history=wage_confirm.history(session, line.id))


@router.get(
    "/projects/{project_id}/wage-ledger",
    response_model=list[LedgerRowOut],
    dependencies=[authorized(Resource.PAYROLL)],
)
def wage_ledger(
    project_id: int,
    session: SessionDep,
    period: Annotated[str | None, Query(max_length=16)] = None,
) -> list[LedgerRowOut]:
    """工资支付台账 with every Art. 15 field, per worker and month."""
    rows = ledger.ledger_rows(session, project_id=project_id, period=period)
    return [LedgerRowOut.model_validate(r, from_attributes=True) for r in rows]


# --------------------------------------------------------------------------------------------
# The worker's own lines

MY_READ = authorized(Resource.WAGE_LINES, own=True, not_found=("工资单", "pay line"))
MY_WRITE = authorized(Resource.WAGE_LINES, Action.WRITE, own=True, not_found=("工资单", "pay line"))


@router.get("/me/wage-lines", response_model=list[LineOut], dependencies=[MY_READ])
def my_lines(session: SessionDep, user: CurrentUser) -> list[LineOut]:
    if user.worker_id is None:
        return []
    return [LineOut.of(line) for line in wage_confirm.worker_lines(session, user.worker_id)]


def _my_line(session: SessionDep, user: CurrentUser, line_id: int) -> LineOut:
    line = _line_for(session, user, line_id)
    return LineOut.of(
        line,
        sheets.items_by_line(session, [line.id]).get(line.id, []),
        wage_confirm.history(session, line.id),
    )


def _line_for(session: SessionDep, user: CurrentUser, line_id: int) -> WageLine:
    """A worker reaches their line once it is sent to them; staff in scope (checked before)
    read any line of their projects."""
    if user.role is Role.WORKER:
        return wage_confirm.worker_line(session, user.worker_id or 0, line_id)
    line = session.get(WageLine, line_id)
    if line is None:
        raise NotFoundError("工资单", "pay line")
    return line


@router.get("/me/wage-lines/{line_id}", response_model=LineOut, dependencies=[MY_READ])
def my_line(line_id: int, session: SessionDep, user: CurrentUser) -> LineOut:
    return _my_line(session, user, line_id)


@router.post("/me/wage-lines/{line_id}/confirm", response_model=LineOut, dependencies=[MY_WRITE])
def confirm_line(line_id: int, body: Answer, session: SessionDep, user: CurrentUser) -> LineOut:
    line = wage_confirm.worker_line(session, user.worker_id or 0, line_id)
    wage_confirm.confirm(session, line, shown_hash=body.shown_hash, user=user)
    return _my_line(session, user, line_id)


@router.post("/me/wage-lines/{line_id}/dispute", response_model=LineOut, dependencies=[MY_WRITE])
def dispute_line(
    line_id: int, body: DisputeRequest, session: SessionDep, user: CurrentUser
) -> LineOut:
    line = wage_confirm.worker_line(session, user.worker_id or 0, line_id)
    wage_confirm.dispute(
        session,
        line,
        shown_hash=body.shown_hash,
        user=user,
        comment=body.comment,
        claimed_days=body.claimed_days,
        claimed_net_fen=body.claimed_net_fen,
    )
    return _my_line(session, user, line_id)
