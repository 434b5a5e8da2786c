"""/site/{id}/safeguards: the project's wage-protection records (wage account, deposit, payment
guarantee, labour officer, labour contracts) with a form for each, and the wage account's
statement (专户流水) import.

Each form posts to its own route; a problem re-shows the page (422) with every message, in the
page's language, and the values typed. Money is typed in yuan and stored in fen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from models.errors import ContractError
from models.money import format_yuan, yuan_to_fen
from server.auth import scope
from server.auth.scope import Action, Area, Resource
from server.errors import SiteGateError
from server.registry.models import Assignment, Project, Worker
from server.safeguards import rules
from server.safeguards import service as safeguard_service
from server.safeguards.schemas import (
    ContractIn,
    DepositIn,
    GuaranteeIn,
    OfficerIn,
    SafeguardsOut,
    WageAccountIn,
)
from server.web.csrf import CsrfChecked
from server.web.errors import PageRoute
from server.web.i18n import MESSAGES, Lang, lang_of, translate
from server.web.security import settings_of
from server.web.session import ManagerUser, PageDb, page_authorized
from server.web.templating import render

router = APIRouter(prefix="/site", route_class=PageRoute)

ReadProject = Annotated[Project, page_authorized(Area.SITE, Resource.SAFEGUARDS)]
WriteProject = Annotated[Project, page_authorized(Area.SITE, Resource.SAFEGUARDS, Action.WRITE)]
ContractProject = Annotated[
    Project, page_authorized(Area.SITE, Resource.LABOUR_CONTRACTS, Action.WRITE)
]
M = TypeVar("M", bound=BaseModel)


async def _form(request: Request) -> FormData:
    return await request.form()  # parsed once: the CSRF check read the same body


Form = Annotated[FormData, Depends(_form)]


def _texts(form: FormData) -> dict[str, str]:
    return {k: v.strip() for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


def _model(
    cls: type[M], values: dict[str, str], lang: Lang, *, money: tuple[str, ...] = ()
) -> tuple[M | None, list[str]]:
    """The form as `cls`: empty fields left out (their defaults), yuan fields in fen; every
    problem as a message naming the field as the form labels it."""
    errors: list[str] = []
    data: dict[str, Any] = {k: v for k, v in values.items() if v and k in cls.model_fields}
    for name in money:
        if data.get(name):
            try:
                data[name] = yuan_to_fen(data[name])
            except ContractError as err:
                label = translate(f"sg.f.{name}", lang)
                errors.append(f"{label}: {err.message_en if lang == 'en' else err.message_zh}")
    if errors:
        return None, errors
    try:
        return cls.model_validate(data), []
    except ValidationError as err:
        for e in err.errors():
            name = str(e["loc"][0]) if e["loc"] else ""
            label = translate(f"sg.f.{name}", lang) if f"sg.f.{name}" in MESSAGES else name
            key = "sg.err.missing" if e["type"] == "missing" else "sg.err.invalid"
            errors.append(f"{label}: {translate(key, lang)}")
        return None, errors


def _assignments(session: PageDb, project_id: int) -> list[tuple[int, str]]:
    rows = session.execute(
        select(Assignment.id, Worker.name)
        .join(Worker, Worker.id == Assignment.worker_id)
        .where(Assignment.project_id == project_id)
        .order_by(Worker.name, Assignment.id)
    )
    return [(aid, name) for aid, name in rows]


def _page(
    request: Request,
    session: PageDb,
    project: Project,
    *,
    errors: list[str] | None = None,
    section: str = "",
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    user = request.state.page_user
    full = scope.may_unmask(session, user, {project.id})
    records: SafeguardsOut = safeguard_service.records(session, project_id=project.id, full=full)
    return render(
        request,
        "site/safeguards.html",
        status_code=status_code,
        project=project,
        records=records,
        assignments=_assignments(session, project.id),
        errors=errors or [],
        section=section,
        values=values or {},
        yuan=format_yuan,
        deposit_forms=[f.value for f in rules.DepositForm],
        guarantee_forms=[f.value for f in rules.GuaranteeForm],
        contract_kinds=[k.value for k in rules.ContractKind],
        pay_units=[u.value for u in rules.PayUnit],
        max_scan_mb=rules.MAX_SCAN_BYTES // (1024 * 1024),
    )


def _done(project: Project, msg: str) -> Response:
    return RedirectResponse(f"/site/{project.id}/safeguards?msg={msg}", status_code=303)


def _submit(
    request: Request,
    session: PageDb,
    project: Project,
    section: str,
    form: FormData,
    save: Callable[[dict[str, str], Lang], list[str] | None],
) -> Response:
    """Run `save` (its problems, or None when stored); a refused write re-shows the page."""
    values = _texts(form)
    lang = lang_of(request)
    try:
        problems = save(values, lang)
    except SiteGateError as err:
        if err.status_code in (403, 404):
            raise
        problems = [err.message_en if lang == "en" else err.message_zh]
        listed = err.detail.get("problems", []) if isinstance(err.detail, dict) else []
        en = lang == "en"
        problems += [  # the message names the first five; the rest one a line
            f"row {p['row']} {p['column']}: {p['message_en']}"
            if en
            else f"第 {p['row']} 行 {p['column']}: {p['message_zh']}"
            for p in listed[5:]
        ]
    if problems:
        return _page(
            request, session, project, errors=problems, section=section, values=values,
            status_code=422,
        )  # fmt: skip
    return _done(project, f"sg.saved.{section}")


@router.get("/{project_id}/safeguards")
def safeguards_page(request: Request, project: ReadProject, session: PageDb) -> Response:
    return _page(request, session, project)


@router.post("/{project_id}/safeguards/account", dependencies=[CsrfChecked])
def save_account(
    request: Request, project: WriteProject, session: PageDb, user: ManagerUser, form: Form
) -> Response:
    def save(values: dict[str, str], lang: Lang) -> list[str] | None:
        data, errors = _model(WageAccountIn, values, lang)
        if data is None:
            return errors
        safeguard_service.put_wage_account(session, project_id=project.id, data=data, user=user)
        return None

    return _submit(request, session, project, "account", form, save)


@router.post("/{project_id}/safeguards/deposit", dependencies=[CsrfChecked])
def add_deposit(
    request: Request, project: WriteProject, session: PageDb, user: ManagerUser, form: Form
) -> Response:
    def save(values: dict[str, str], lang: Lang) -> list[str] | None:
        money = ("amount_fen", "contract_price_fen")
        data, errors = _model(DepositIn, values, lang, money=money)
        if data is None:
            return errors
        safeguard_service.add_deposit(session, project_id=project.id, data=data, user=user)
        return None

    return _submit(request, session, project, "deposit", form, save)


@router.post("/{project_id}/safeguards/guarantee", dependencies=[CsrfChecked])
def add_guarantee(
    request: Request, project: WriteProject, session: PageDb, user: ManagerUser, form: Form
) -> Response:
    def save(values: dict[str, str], lang: Lang) -> list[str] | None:
        data, errors = _model(GuaranteeIn, values, lang, money=("amount_fen",))
        if data is None:
            return errors
        safeguard_service.add_guarantee(session, project_id=project.id, data=data, user=user)
        return None

    return _submit(request, session, project, "guarantee", form, save)


@router.post("/{project_id}/safeguards/officer", dependencies=[CsrfChecked])
def appoint_officer(
    request: Request, project: WriteProject, session: PageDb, user: ManagerUser, form: Form
) -> Response:
    def save(values: dict[str, str], lang: Lang) -> list[str] | None:
        data, errors = _model(OfficerIn, values, lang)
        if data is None:
            return errors
        safeguard_service.appoint_officer(session, project_id=project.id, data=data, user=user)
        return None

    return _submit(request, session, project, "officer", form, save)


@router.post("/{project_id}/safeguards/contract", dependencies=[CsrfChecked])
def record_contract(
    request: Request, project: ContractProject, session: PageDb, user: ManagerUser, form: Form
) -> Response:
    def save(values: dict[str, str], lang: Lang) -> list[str] | None:
        aid = values.get("assignment_id", "")
        if not aid.isdigit():
            return [f"{translate('sg.f.assignment_id', lang)}: {translate('sg.err.missing', lang)}"]
        data, errors = _model(ContractIn, values, lang, money=("unit_price_fen",))
        if data is None:
            return errors
        upload = form.get("scan")
        scan = None
        if isinstance(upload, UploadFile) and upload.filename:
            scan = upload.file.read(rules.MAX_SCAN_BYTES + 1)  # one byte over is enough
        safeguard_service.record_contract(
            session, project_id=project.id, assignment_id=int(aid), data=data, scan=scan,
            user=user,
        )  # fmt: skip
        return None

    return _submit(request, session, project, "contract", form, save)


@router.post("/{project_id}/safeguards/statement", dependencies=[CsrfChecked])
def import_statement(
    request: Request, project: WriteProject, session: PageDb, user: ManagerUser, form: Form
) -> Response:
    limits = settings_of(request).import_limits("payroll")

    def save(_: dict[str, str], lang: Lang) -> list[str] | None:
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return [f"{translate('sg.f.file', lang)}: {translate('sg.err.missing', lang)}"]
        data = upload.file.read(limits.max_bytes + 1)
        rows = safeguard_service.parse_statement(data, file_name=upload.filename, limits=limits)
        out = safeguard_service.import_statement(
            session, project_id=project.id, file_name=upload.filename, data=data, rows=rows,
            user=user,
        )  # fmt: skip
        request.state.sg_again = out.already_imported
        return None

    response = _submit(request, session, project, "statement", form, save)
    if getattr(request.state, "sg_again", False):
        return _done(project, "sg.saved.statement_again")
    return response
