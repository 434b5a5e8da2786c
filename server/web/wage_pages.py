"""工资支付表 pages: the site manager compiles, sends and locks a firm's monthly sheet, adds and
removes items and resolves disputes (/site/{project}/wages/...); the inspector reads the month's
sheets, sees open disputes until they are resolved, and downloads the sheets
(/inspect/{project}/{period}/wages/...). Both download the sheet as XLSX and as printable PDF;
once the sheet is locked the site manager also downloads the bank 代发 instruction, in the
canonical template or a bank's layout (server/wages/disbursement.py, audited: it carries full
ID and card numbers).

Every figure and every state change is the wages service's (server/wages); a refusal it raises
(SiteGateError, zh + en) is shown on the page the form came from, with its status code.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.responses import Response

from models.money import Fen
from server.auth import scope
from server.auth.models import User
from server.auth.scope import Access, Action, Area, Resource
from server.auth.service import audit
from server.errors import SiteGateError
from server.payroll.disbursement import DisbursementError
from server.payroll.parsers import load_layouts
from server.payroll.parsers.row import FIELD_BY_NAME
from server.registry.models import Company, Project, ProjectCompany, Team
from server.reports import wage_sheet, wage_sheet_pdf, wage_sheet_xlsx
from server.rosters import service as roster_service
from server.wages import confirm as wage_confirm
from server.wages import disbursement as wage_disbursement
from server.wages import rules, sheets
from server.wages.models import WageLine, WageLineEvent, WageSheet
from server.web import queries
from server.web.clock import now_utc
from server.web.csrf import CsrfChecked
from server.web.downloads import PDF, XLSX, download
from server.web.errors import PageNotFoundError, PageRoute
from server.web.forms import FormErrors
from server.web.i18n import lang_of
from server.web.period import checked_period, parse_period, shift_period
from server.web.session import ManagerUser, PageDb, page_authorized
from server.web.templating import render

router = APIRouter(prefix="/site", route_class=PageRoute)
inspect_router = APIRouter(prefix="/inspect", route_class=PageRoute)

SheetsRead = Annotated[Project, page_authorized(Area.SITE, Resource.WAGE_SHEETS)]
SheetsWrite = Annotated[Project, page_authorized(Area.SITE, Resource.WAGE_SHEETS, Action.WRITE)]
InspectSheets = Annotated[Project, page_authorized(Area.INSPECT, Resource.WAGE_SHEETS)]
# The 代发 file names every worker's full ID and card number: FULL_IDS, as the API's route.
Disburse = Annotated[Project, page_authorized(Area.SITE, Resource.FULL_IDS)]

CATEGORIES = {c.value: c for c in rules.ItemCategory}
LINE_STATES = {s.value: s for s in rules.LineState}
# Which page a resolve form came from, so the manager lands back where they were.
BACK = frozenset({"sheet", "line"})
_MONTH = re.compile(r"^\d{4}-\d{2}$")


# --- reading -----------------------------------------------------------------------------------


@dataclass
class SheetSummary:
    """A sheet as the lists show it: whose, which month, its state and how its lines stand."""

    sheet: WageSheet
    company_name: str
    team_name: str
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def state(self) -> rules.SheetState:
        return rules.SheetState(self.sheet.state)

    @property
    def confirmed(self) -> int:
        return self.counts[rules.LineState.CONFIRMED.value]

    @property
    def disputed(self) -> int:
        return self.counts[rules.LineState.DISPUTED.value]

    @property
    def resolved(self) -> int:
        return self.counts[rules.LineState.RESOLVED.value]

    @property
    def awaiting(self) -> int:
        return self.counts[rules.LineState.AWAITING.value]


def summaries(session: Session, project_id: int, period: str | None = None) -> list[SheetSummary]:
    """The project's sheets (of one month, or all, latest first) with their lines counted by
    state: one grouped query, whatever the sheets' sizes."""
    found = sheets.list_sheets(session, project_id, period)
    if not found:
        return []
    ids = [s.id for s in found]
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    for sheet_id, state, n in session.execute(
        select(WageLine.sheet_id, WageLine.state, func.count())
        .where(WageLine.sheet_id.in_(ids))
        .group_by(WageLine.sheet_id, WageLine.state)
    ):
        counts[sheet_id][state] = int(n)
    companies = names(session, Company, {s.company_id for s in found})
    teams = names(session, Team, {s.team_id for s in found if s.team_id is not None})
    return [
        SheetSummary(
            s,
            companies.get(s.company_id, "-"),
            teams.get(s.team_id, "") if s.team_id is not None else "",
            counts[s.id],
        )
        for s in found
    ]


def names(session: Session, model: type[Company] | type[Team], ids: set[int]) -> dict[int, str]:
    """id -> name of the firms (or teams) a list shows: one query."""
    if not ids:
        return {}
    rows = session.execute(select(model.id, model.name).where(model.id.in_(ids)))
    return {row.id: row.name for row in rows}


def firms(session: Session, project_id: int) -> list[tuple[int, str]]:
    """The firms on the project, for the build form."""
    return [
        (cid, name)
        for cid, name in session.execute(
            select(Company.id, Company.name)
            .join(ProjectCompany, ProjectCompany.company_id == Company.id)
            .where(ProjectCompany.project_id == project_id)
            .order_by(Company.name, Company.id)
        )
    ]


def _today(request: Request, project: Project) -> dt.date:
    return now_utc(request).astimezone(roster_service.project_settings(project).zone).date()


def _sheet(session: Session, project: Project, sheet_id: int) -> WageSheet:
    try:
        return sheets.get_sheet(session, project.id, sheet_id)
    except SiteGateError:
        raise PageNotFoundError() from None


def _line(session: Session, sheet: WageSheet, line_id: int) -> WageLine:
    try:
        return sheets.get_line(session, sheet, line_id)
    except SiteGateError:
        raise PageNotFoundError() from None


def line_history(session: Session, line_id: int) -> list[tuple[WageLineEvent, str]]:
    """The line's events with who acted (a worker's own answer shows as the worker's name)."""
    events = wage_confirm.history(session, line_id)
    users = {e.user_id for e in events if e.user_id is not None}
    names = (
        {
            uid: full or username
            for uid, full, username in session.execute(
                select(User.id, User.full_name, User.username).where(User.id.in_(users))
            )
        }
        if users
        else {}
    )
    return [(e, names.get(e.user_id or 0, "-")) for e in events]


# --- site: the list and building a sheet -----------------------------------------------------


def _list_page(
    request: Request,
    project: Project,
    session: PageDb,
    *,
    period: str | None,
    errors: list[str] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    today = _today(request, project)
    return render(
        request,
        "wages/list.html",
        status_code=status_code,
        project=project,
        rows=summaries(session, project.id, period),
        period=period,
        firms=firms(session, project.id),
        teams=queries.project_teams(session, project.id),
        states=LINE_STATES,
        # Wages fall due for the month before: that is the one usually compiled.
        form=form or {"period": shift_period(f"{today:%Y-%m}", -1)},
        errors=errors or [],
    )


@router.get("/{project_id}/wages")
def sheets_page(
    request: Request, project: SheetsRead, session: PageDb, period: str | None = None
) -> Response:
    return _list_page(request, project, session, period=parse_period(period))


@router.post("/{project_id}/wages", dependencies=[CsrfChecked])
def build(
    request: Request,
    project: SheetsWrite,
    session: PageDb,
    user: ManagerUser,
    company_id: Annotated[str, Form()] = "",
    period: Annotated[str, Form()] = "",
    team_id: Annotated[str, Form()] = "",
) -> Response:
    errs = FormErrors(lang_of(request))
    form = {"company_id": company_id, "period": period, "team_id": team_id}
    firm = errs.choice(company_id, {str(cid): cid for cid, _ in firms(session, project.id)},
                       "common.company")  # fmt: skip
    month = parse_period(period.strip()) if _MONTH.match(period.strip()) else None
    if month is None:
        errs.add("wages.period_invalid")
    team = errs.optional_int(team_id, "common.team")
    if errs or firm is None or month is None:
        return _list_page(
            request, project, session, period=None, errors=errs.messages, form=form,
            status_code=422,
        )  # fmt: skip
    try:
        sheet = sheets.build_sheet(
            session, project_id=project.id, company_id=firm, period=month, user=user, team_id=team
        )
    except SiteGateError as exc:
        session.rollback()
        errs.add_text(exc.message_zh, exc.message_en)
        return _list_page(
            request, project, session, period=None, errors=errs.messages, form=form,
            status_code=exc.status_code,
        )  # fmt: skip
    return RedirectResponse(f"/site/{project.id}/wages/{sheet.id}?msg=wages.built", status_code=303)


# --- the sheet page (site: with its forms; inspect: read-only) -------------------------------

Where = Literal["site", "inspect"]


def _base(where: Where, project: Project, sheet: WageSheet) -> str:
    if where == "site":
        return f"/site/{project.id}/wages/{sheet.id}"
    return f"/inspect/{project.id}/{sheet.period}/wages/{sheet.id}"


def _sheet_page(
    request: Request,
    project: Project,
    session: PageDb,
    sheet: WageSheet,
    *,
    where: Where,
    errors: list[str] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
    refusal: DisbursementRefusal | None = None,
) -> Response:
    doc = wage_sheet.load(session, sheet)
    check = doc.lock_check
    user: User | None = getattr(request.state, "page_user", None)
    return render(
        request,
        "wages/sheet.html",
        status_code=status_code,
        project=project,
        doc=doc,
        where=where,
        editable=where == "site" and doc.editable,
        base=_base(where, project, sheet),
        list_url=(
            f"/site/{project.id}/wages"
            if where == "site"
            else f"/inspect/{project.id}/{sheet.period}/wages"
        ),
        check=check,
        tz=project.timezone,
        errors=errors or [],
        form=form or {},
        # Offered once the sheet is final (locked or paid), to whoever may see full numbers.
        disburse=where == "site"
        and doc.state in (rules.SheetState.LOCKED, rules.SheetState.PAID)
        and user is not None
        and scope.grant(user, Resource.FULL_IDS) is not Access.NONE,
        layouts=disbursement_layouts(),
        refusal=refusal,
    )


@router.get("/{project_id}/wages/{sheet_id:int}")
def sheet_page(request: Request, project: SheetsRead, session: PageDb, sheet_id: int) -> Response:
    return _sheet_page(request, project, session, _sheet(session, project, sheet_id), where="site")


def _export(request: Request, session: Session, sheet: WageSheet, ext: str) -> Response:
    doc = wage_sheet.load(session, sheet)
    now = now_utc(request)
    if ext == "xlsx":
        return download(
            wage_sheet_xlsx.wage_sheet_xlsx(doc, generated_at=now),
            XLSX,
            wage_sheet.file_name(doc, "xlsx"),
        )
    return download(
        wage_sheet_pdf.wage_sheet_pdf(doc, generated_at=now), PDF, wage_sheet.file_name(doc, "pdf")
    )


@router.get("/{project_id}/wages/{sheet_id:int}.xlsx")
def sheet_xlsx(request: Request, project: SheetsRead, session: PageDb, sheet_id: int) -> Response:
    return _export(request, session, _sheet(session, project, sheet_id), "xlsx")


@router.get("/{project_id}/wages/{sheet_id:int}.pdf")
def sheet_pdf(request: Request, project: SheetsRead, session: PageDb, sheet_id: int) -> Response:
    return _export(request, session, _sheet(session, project, sheet_id), "pdf")


def _sheet_failed(
    request: Request,
    project: Project,
    session: PageDb,
    sheet_id: int,
    exc: SiteGateError,
    form: dict[str, str] | None = None,
) -> Response:
    session.rollback()
    errs = FormErrors(lang_of(request))
    errs.add_text(exc.message_zh, exc.message_en)
    sheet = _sheet(session, project, sheet_id)
    return _sheet_page(
        request, project, session, sheet, where="site", errors=errs.messages, form=form,
        status_code=exc.status_code,
    )  # fmt: skip


def _to_sheet(project: Project, sheet_id: int, msg: str) -> RedirectResponse:
    return RedirectResponse(f"/site/{project.id}/wages/{sheet_id}?msg={msg}", status_code=303)


@router.post("/{project_id}/wages/{sheet_id:int}/refresh", dependencies=[CsrfChecked])
def refresh(
    request: Request, project: SheetsWrite, session: PageDb, user: ManagerUser, sheet_id: int
) -> Response:
    sheet = _sheet(session, project, sheet_id)
    try:
        changed = sheets.refresh_sheet(session, sheet, user=user)
    except SiteGateError as exc:
        return _sheet_failed(request, project, session, sheet_id, exc)
    return _to_sheet(project, sheet_id, "wages.refreshed" if changed else "wages.unchanged")


@router.post("/{project_id}/wages/{sheet_id:int}/send", dependencies=[CsrfChecked])
def send(
    request: Request, project: SheetsWrite, session: PageDb, user: ManagerUser, sheet_id: int
) -> Response:
    sheet = _sheet(session, project, sheet_id)
    try:
        sheets.send_sheet(session, sheet, user=user)
    except SiteGateError as exc:
        return _sheet_failed(request, project, session, sheet_id, exc)
    return _to_sheet(project, sheet_id, "wages.sent")


@router.post("/{project_id}/wages/{sheet_id:int}/lock", dependencies=[CsrfChecked])
def lock(
    request: Request,
    project: SheetsWrite,
    session: PageDb,
    user: ManagerUser,
    sheet_id: int,
    reason: Annotated[str, Form()] = "",
) -> Response:
    sheet = _sheet(session, project, sheet_id)
    errs = FormErrors(lang_of(request))
    text = errs.text(reason, "wages.lock_reason", max_len=2000)
    if errs:
        return _sheet_page(
            request, project, session, sheet, where="site", errors=errs.messages,
            form={"reason": reason}, status_code=422,
        )  # fmt: skip
    try:
        sheets.lock_sheet(session, sheet, user=user, reason=text or None)
    except SiteGateError as exc:
        return _sheet_failed(request, project, session, sheet_id, exc, {"reason": reason})
    return _to_sheet(project, sheet_id, "wages.locked")


# --- the bank 代发 instruction of a locked sheet ---------------------------------------------


def disbursement_layouts() -> list[tuple[str, str]]:
    """(name, title) of the layouts a 代发 file is written in: the canonical template first,
    then the banks' of bank_layouts.yaml."""
    return [(name, layout.title or name) for name, layout in load_layouts().items()]


@dataclass(frozen=True)
class DisbursementProblem:
    """One bad line of a refused instruction, named by the worker as the sheet shows them."""

    row_no: int | None
    name: str
    field_zh: str
    field_en: str
    message_zh: str
    message_en: str


@dataclass(frozen=True)
class DisbursementRefusal:
    """Why no 代发 file was written (zh + en), with every bad line when it is the lines."""

    message_zh: str
    message_en: str
    layout: str
    problems: list[DisbursementProblem] = field(default_factory=list)


def _problems(session: Session, sheet: WageSheet, exc: SiteGateError) -> list[DisbursementProblem]:
    if not isinstance(exc, DisbursementError) or not isinstance(exc.detail, list):
        return []
    # The writer numbers the lines it was given; the same batch again names them.
    names = {ln.row_no: ln.name for ln in wage_disbursement.batch_for(session, sheet).lines}
    out = []
    for p in exc.detail:
        fld = p.get("field") or ""
        spec = FIELD_BY_NAME.get(fld)
        out.append(
            DisbursementProblem(
                row_no=p.get("row_no"),
                name=names.get(p.get("row_no"), "-"),
                field_zh=spec.header_zh if spec else fld,
                field_en=spec.label_en if spec else fld,
                message_zh=str(p.get("message_zh", "")),
                message_en=str(p.get("message_en", "")),
            )
        )
    return out


@router.get("/{project_id}/wages/{sheet_id:int}/disbursement.{ext}")
def disbursement(
    request: Request,
    project: Disburse,
    session: PageDb,
    user: ManagerUser,
    sheet_id: int,
    ext: str,
    layout: Annotated[str, Query(max_length=64)] = "canonical",
) -> Response:
    """The sheet as the bank's 代发 instruction; a refusal (not locked, a line without a
    registered card, an unknown layout) is shown on the sheet page, zh and en, not a 500."""
    sheet = _sheet(session, project, sheet_id)
    try:
        body = wage_disbursement.disbursement_file(session, sheet, layout=layout, fmt=ext)
        name = wage_disbursement.file_name(session, sheet, layout=layout, fmt=ext)
    except SiteGateError as exc:
        session.rollback()
        sheet = _sheet(session, project, sheet_id)
        refusal = DisbursementRefusal(
            exc.message_zh, exc.message_en, layout, _problems(session, sheet, exc)
        )
        return _sheet_page(
            request, project, session, sheet, where="site", refusal=refusal,
            status_code=exc.status_code,
        )  # fmt: skip
    audit(session, user, "wages.disbursement", "wage_sheet", sheet.id, project_id=project.id,
          detail={"layout": layout, "format": ext, "via": "web"})  # fmt: skip
    media = XLSX if ext == "xlsx" else f"text/csv; charset={wage_disbursement.csv_charset(layout)}"
    return download(body, media, name)


# --- a line: its items, its dispute, its history ---------------------------------------------


def _line_base(where: Where, project: Project, sheet: WageSheet, line: WageLine) -> str:
    return f"{_base(where, project, sheet)}/lines/{line.id}"


def _line_page(
    request: Request,
    project: Project,
    session: PageDb,
    sheet: WageSheet,
    line: WageLine,
    *,
    where: Where,
    errors: list[str] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    items = sheets.items_by_line(session, [line.id]).get(line.id, [])
    row = wage_sheet.line_row(line, items)
    disputes = wage_sheet.sheet_disputes(session, sheet.id)
    editable = where == "site" and sheet.state in (
        rules.SheetState.DRAFT.value,
        rules.SheetState.SENT.value,
    )
    return render(
        request,
        "wages/line.html",
        status_code=status_code,
        project=project,
        sheet=sheet,
        sheet_state=rules.SheetState(sheet.state),
        row=row,
        disputes=[d for d in disputes if d.line_id == line.id],
        open_dispute=next((d for d in disputes if d.line_id == line.id and d.open), None),
        history=line_history(session, line.id),
        where=where,
        editable=editable,
        sheet_url=_base(where, project, sheet),
        base=_line_base(where, project, sheet, line),
        categories=list(rules.ItemCategory),
        units=rules.PIECE_UNITS,
        days=day_cells(sheet.period, line.day_marks),
        tz=project.timezone,
        errors=errors or [],
        form=form or {},
    )


@dataclass(frozen=True)
class DayCell:
    day: dt.date
    mark: str
    status: str  # the rosters' DayStatus value, for the cell's colour and its title


_MARK_STATUS = {
    "√": "full",
    "½": "half",
    "○": "absent",
    "!": "anomaly",
    "…": "on_site",
    "-": "not_assigned",
}


def day_cells(period: str, marks: str) -> list[DayCell]:
    """One cell per calendar day from the line's snapshot of the roster's marks."""
    year, month = int(period[:4]), int(period[5:])
    first = dt.date(year, month, 1)
    out = []
    for i, mark in enumerate(marks):
        day = first + dt.timedelta(days=i)
        if day.month != month:
            break
        out.append(DayCell(day, mark, _MARK_STATUS.get(mark, "absent")))
    return out


@router.get("/{project_id}/wages/{sheet_id:int}/lines/{line_id}")
def line_page(
    request: Request, project: SheetsRead, session: PageDb, sheet_id: int, line_id: int
) -> Response:
    sheet = _sheet(session, project, sheet_id)
    return _line_page(
        request, project, session, sheet, _line(session, sheet, line_id), where="site"
    )


def _line_failed(
    request: Request,
    project: Project,
    session: PageDb,
    sheet_id: int,
    line_id: int,
    messages: list[str],
    status_code: int,
    form: dict[str, str] | None = None,
) -> Response:
    session.rollback()
    sheet = _sheet(session, project, sheet_id)
    line = _line(session, sheet, line_id)
    return _line_page(
        request, project, session, sheet, line, where="site", errors=messages, form=form,
        status_code=status_code,
    )  # fmt: skip


def _to_line(project: Project, sheet_id: int, line_id: int, msg: str) -> RedirectResponse:
    return RedirectResponse(
        f"/site/{project.id}/wages/{sheet_id}/lines/{line_id}?msg={msg}", status_code=303
    )


@dataclass(frozen=True)
class ItemInput:
    category: rules.ItemCategory
    reason: str
    amount_fen: Fen | None
    quantity: str | None
    unit: str
    unit_price_fen: Fen | None


def _item_input(errs: FormErrors, form: dict[str, str]) -> ItemInput | None:
    """The add-item form checked field by field (the service checks the rules again)."""
    category = errs.choice(form["category"], CATEGORIES, "wages.category")
    reason = errs.text(form["reason"], "wages.item_reason", max_len=256, required=True)
    amount = price = None
    quantity: str | None = None
    unit = ""
    if category is rules.ItemCategory.PIECE:
        quantity = errs.text(form["quantity"], "wages.quantity", max_len=24, required=True)
        unit = errs.text(form["unit"], "wages.unit", max_len=16, required=True) or ""
        if errs.required(form["unit_price"], "wages.unit_price"):
            price = errs.money(form["unit_price"], "wages.unit_price")
    elif category is not None and errs.required(form["amount"], "wages.amount"):
        amount = errs.money(form["amount"], "wages.amount")
    if errs or category is None or reason is None:
        return None
    return ItemInput(category, reason, amount, quantity, unit, price)


@router.post("/{project_id}/wages/{sheet_id:int}/lines/{line_id}/items", dependencies=[CsrfChecked])
def add_item(
    request: Request,
    project: SheetsWrite,
    session: PageDb,
    user: ManagerUser,
    sheet_id: int,
    line_id: int,
    category: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    amount: Annotated[str, Form()] = "",
    quantity: Annotated[str, Form()] = "",
    unit: Annotated[str, Form()] = "",
    unit_price: Annotated[str, Form()] = "",
) -> Response:
    sheet = _sheet(session, project, sheet_id)
    line = _line(session, sheet, line_id)
    form = {
        "category": category,
        "reason": reason,
        "amount": amount,
        "quantity": quantity,
        "unit": unit,
        "unit_price": unit_price,
    }
    errs = FormErrors(lang_of(request))
    item = _item_input(errs, form)
    if item is None:
        return _line_page(
            request, project, session, sheet, line, where="site", errors=errs.messages,
            form=form, status_code=422,
        )  # fmt: skip
    try:
        sheets.add_item(
            session,
            sheet,
            line,
            user=user,
            category=item.category,
            reason=item.reason,
            amount_fen=item.amount_fen,
            quantity=item.quantity,
            unit=item.unit,
            unit_price_fen=item.unit_price_fen,
        )
    except SiteGateError as exc:
        errs.add_text(exc.message_zh, exc.message_en)
        return _line_failed(
            request, project, session, sheet_id, line_id, errs.messages, exc.status_code, form
        )
    return _to_line(project, sheet_id, line_id, "wages.item_added")


@router.post(
    "/{project_id}/wages/{sheet_id:int}/lines/{line_id}/items/{item_id}/remove",
    dependencies=[CsrfChecked],
)
def remove_item(
    request: Request,
    project: SheetsWrite,
    session: PageDb,
    user: ManagerUser,
    sheet_id: int,
    line_id: int,
    item_id: int,
) -> Response:
    sheet = _sheet(session, project, sheet_id)
    line = _line(session, sheet, line_id)
    try:
        sheets.remove_item(session, sheet, line, item_id, user=user)
    except SiteGateError as exc:
        if exc.status_code == 404:
            raise PageNotFoundError() from None
        errs = FormErrors(lang_of(request))
        errs.add_text(exc.message_zh, exc.message_en)
        return _line_failed(
            request, project, session, sheet_id, line_id, errs.messages, exc.status_code
        )
    return _to_line(project, sheet_id, line_id, "wages.item_removed")


@router.post(
    "/{project_id}/wages/{sheet_id:int}/lines/{line_id}/resolve", dependencies=[CsrfChecked]
)
def resolve(
    request: Request,
    project: SheetsWrite,
    session: PageDb,
    user: ManagerUser,
    sheet_id: int,
    line_id: int,
    comment: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "sheet",
) -> Response:
    sheet = _sheet(session, project, sheet_id)
    line = _line(session, sheet, line_id)
    back = back if back in BACK else "sheet"
    form = {"comment": comment, "line_id": str(line_id)}
    errs = FormErrors(lang_of(request))
    text = errs.text(comment, "wages.resolution", max_len=2000, required=True)
    status = 422
    if not errs:
        try:
            wage_confirm.resolve(session, line, user=user, comment=text or "")
        except SiteGateError as exc:
            errs.add_text(exc.message_zh, exc.message_en)
            status = exc.status_code
    if errs and back == "line":
        return _line_failed(
            request, project, session, sheet_id, line_id, errs.messages, status, form
        )
    if errs:
        session.rollback()
        return _sheet_page(
            request, project, session, _sheet(session, project, sheet_id), where="site",
            errors=errs.messages, form=form, status_code=status,
        )  # fmt: skip
    if back == "line":
        return _to_line(project, sheet_id, line_id, "wages.resolved")
    return _to_sheet(project, sheet_id, "wages.resolved")


# --- inspect: the month's sheets, read-only --------------------------------------------------


@inspect_router.get("/{project_id}/{period}/wages")
def month_sheets(
    request: Request, project: InspectSheets, session: PageDb, period: str
) -> Response:
    period = checked_period(period)
    rows = summaries(session, project.id, period)
    disputes = [
        (row, d)
        for row in rows
        if row.disputed
        for d in wage_sheet.sheet_disputes(session, row.sheet.id)
        if d.open
    ]
    return render(
        request,
        "wages/month.html",
        project=project,
        period=period,
        wage_rows=rows,
        disputes=disputes,
        prev=shift_period(period, -1),
        next=shift_period(period, 1),
        tz=project.timezone,
    )


def _inspect_sheet(session: Session, project: Project, period: str, sheet_id: int) -> WageSheet:
    sheet = _sheet(session, project, sheet_id)
    if sheet.period != checked_period(period):
        raise PageNotFoundError()
    return sheet


@inspect_router.get("/{project_id}/{period}/wages/{sheet_id:int}")
def inspect_sheet(
    request: Request, project: InspectSheets, session: PageDb, period: str, sheet_id: int
) -> Response:
    sheet = _inspect_sheet(session, project, period, sheet_id)
    return _sheet_page(request, project, session, sheet, where="inspect")


@inspect_router.get("/{project_id}/{period}/wages/{sheet_id:int}.xlsx")
def inspect_xlsx(
    request: Request, project: InspectSheets, session: PageDb, period: str, sheet_id: int
) -> Response:
    return _export(request, session, _inspect_sheet(session, project, period, sheet_id), "xlsx")


@inspect_router.get("/{project_id}/{period}/wages/{sheet_id:int}.pdf")
def inspect_pdf(
    request: Request, project: InspectSheets, session: PageDb, period: str, sheet_id: int
) -> Response:
    return _export(request, session, _inspect_sheet(session, project, period, sheet_id), "pdf")


@inspect_router.get("/{project_id}/{period}/wages/{sheet_id:int}/lines/{line_id}")
def inspect_line(
    request: Request,
    project: InspectSheets,
    session: PageDb,
    period: str,
    sheet_id: int,
    line_id: int,
) -> Response:
    sheet = _inspect_sheet(session, project, period, sheet_id)
    line = _line(session, sheet, line_id)
    return _line_page(request, project, session, sheet, line, where="inspect")
