"""A worker's own wage lines (/me/wages): the month's line of each sheet sent to them, as a phone
card, and their answer to it: 确认无误 or 有异议.

The card shows exactly what the line's hash covers (server/wages/rules.Shown), and the confirm
and dispute forms post the hash the page was rendered with: if the manager changed the line in
the meantime the service refuses (409 wages.line_changed) and the page shows the new version
with that message, to be read and answered again. Nothing here takes a worker id: the line's
own worker is checked by the scope (anyone else's line is a 404).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from models.ids import mask_bank_card
from server.auth.scope import Action, Area, Resource
from server.errors import SiteGateError
from server.registry.models import Company, Project
from server.reports import wage_sheet
from server.wages import confirm as wage_confirm
from server.wages import rules, sheets
from server.wages.confirm import StaleLineError
from server.wages.models import WageLine, WageSheet
from server.web.csrf import CsrfChecked
from server.web.errors import PageNotFoundError, PageRoute
from server.web.forms import FormErrors
from server.web.i18n import lang_of
from server.web.session import PageDb, WorkerUser, page_authorized
from server.web.templating import render
from server.web.wage_pages import day_cells, line_history, names

router = APIRouter(prefix="/me", route_class=PageRoute)

MyLines = page_authorized(Area.ME, Resource.WAGE_LINES, own=True)
MyAnswer = page_authorized(Area.ME, Resource.WAGE_LINES, Action.WRITE, own=True)


@dataclass(frozen=True)
class MyLine:
    """A line as its worker's list shows it."""

    line: WageLine
    sheet: WageSheet
    project: Project | None
    company_name: str

    @property
    def state(self) -> rules.LineState:
        return rules.LineState(self.line.state)


def _context(session: Session, lines: list[WageLine]) -> list[MyLine]:
    sheet_ids = {line.sheet_id for line in lines}
    if not sheet_ids:
        return []
    sheets_by_id = {
        s.id: s for s in session.scalars(select(WageSheet).where(WageSheet.id.in_(sheet_ids)))
    }
    projects = {
        p.id: p
        for p in session.scalars(
            select(Project).where(Project.id.in_({s.project_id for s in sheets_by_id.values()}))
        )
    }
    companies = names(session, Company, {s.company_id for s in sheets_by_id.values()})
    out = []
    for line in lines:
        sheet = sheets_by_id[line.sheet_id]
        out.append(
            MyLine(
                line, sheet, projects.get(sheet.project_id), companies.get(sheet.company_id, "-")
            )
        )
    return out


def _mine(session: Session, user: WorkerUser, line_id: int) -> WageLine:
    try:
        return wage_confirm.worker_line(session, user.worker_id or 0, line_id)
    except SiteGateError:
        raise PageNotFoundError() from None


@router.get("/wages", dependencies=[MyLines])
def my_wages(request: Request, session: PageDb, user: WorkerUser) -> Response:
    lines = wage_confirm.worker_lines(session, user.worker_id or 0)
    mine = _context(session, lines)
    return render(
        request,
        "me/wages.html",
        lines=mine,
        waiting=sum(1 for m in mine if m.state is rules.LineState.AWAITING),
        project=mine[0].project if mine else None,
    )


def _line_page(
    request: Request,
    session: PageDb,
    user: WorkerUser,
    line: WageLine,
    *,
    errors: list[str] | None = None,
    changed: bool = False,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    mine = _context(session, [line])[0]
    items = sheets.items_by_line(session, [line.id]).get(line.id, [])
    row = wage_sheet.line_row(line, items)
    year, month = int(line.period[:4]), int(line.period[5:])
    sheet_state = rules.SheetState(mine.sheet.state)
    state = rules.LineState(line.state)
    answering = sheet_state is rules.SheetState.SENT
    return render(
        request,
        "me/wage_line.html",
        status_code=status_code,
        mine=mine,
        row=row,
        project=mine.project,
        payer_account=(
            mask_bank_card(mine.sheet.payer_account) if mine.sheet.payer_account else ""
        ),
        days=day_cells(line.period, line.day_marks),
        lead=calendar.monthrange(year, month)[0],  # Monday = 0: blank cells before the 1st
        history=line_history(session, line.id),
        may_confirm=answering and state in (rules.LineState.AWAITING, rules.LineState.DISPUTED),
        may_dispute=answering and state in (rules.LineState.AWAITING, rules.LineState.CONFIRMED),
        shown_hash=line.shown_hash,
        changed=changed,
        tz=mine.project.timezone if mine.project else "Asia/Shanghai",
        errors=errors or [],
        form=form or {},
    )


@router.get("/wages/{line_id}", dependencies=[MyLines])
def my_line(request: Request, session: PageDb, user: WorkerUser, line_id: int) -> Response:
    return _line_page(request, session, user, _mine(session, user, line_id))


def _answer_failed(
    request: Request,
    session: PageDb,
    user: WorkerUser,
    line_id: int,
    exc: SiteGateError,
    form: dict[str, str] | None = None,
) -> Response:
    """The service's refusal on the line as it is now: a changed line shows its new version."""
    session.rollback()
    errs = FormErrors(lang_of(request))
    errs.add_text(exc.message_zh, exc.message_en)
    return _line_page(
        request, session, user, _mine(session, user, line_id), errors=errs.messages,
        changed=isinstance(exc, StaleLineError), form=form, status_code=exc.status_code,
    )  # fmt: skip


@router.post("/wages/{line_id}/confirm", dependencies=[MyAnswer, CsrfChecked])
def confirm(
    request: Request,
    session: PageDb,
    user: WorkerUser,
    line_id: int,
    shown_hash: Annotated[str, Form()] = "",
) -> Response:
    line = _mine(session, user, line_id)
    try:
        wage_confirm.confirm(session, line, shown_hash=shown_hash.strip(), user=user)
    except SiteGateError as exc:
        return _answer_failed(request, session, user, line_id, exc)
    return RedirectResponse(f"/me/wages/{line_id}?msg=wages.confirmed_ok", status_code=303)


@router.post("/wages/{line_id}/dispute", dependencies=[MyAnswer, CsrfChecked])
def dispute(
    request: Request,
    session: PageDb,
    user: WorkerUser,
    line_id: int,
    shown_hash: Annotated[str, Form()] = "",
    claimed_days: Annotated[str, Form()] = "",
    claimed_amount: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
) -> Response:
    line = _mine(session, user, line_id)
    form = {"claimed_days": claimed_days, "claimed_amount": claimed_amount, "comment": comment}
    errs = FormErrors(lang_of(request))
    text = errs.text(comment, "wages.dispute_comment", max_len=2000, required=True)
    days = errs.text(claimed_days, "wages.claimed_days", max_len=8)
    amount = errs.money(claimed_amount, "wages.claimed_amount") if claimed_amount.strip() else None
    if errs:
        return _line_page(
            request, session, user, line, errors=errs.messages, form=form, status_code=422
        )
    try:
        wage_confirm.dispute(
            session,
            line,
            shown_hash=shown_hash.strip(),
            user=user,
            comment=text or "",
            claimed_days=days or None,
            claimed_net_fen=amount,
        )
    except SiteGateError as exc:
        return _answer_failed(request, session, user, line_id, exc, form)
    return RedirectResponse(f"/me/wages/{line_id}?msg=wages.disputed_ok", status_code=303)
