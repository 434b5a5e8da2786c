"""Site manager pages (/site/...): the project choice, a worker's profile, register, edit,
entry/exit, 补卡, roster import, the month grid. The 现场 board is server/web/now_pages.py and
the workers list server/web/worker_list_pages.py.

Each page names what it shows or changes (server/auth/policy.py) through `page_authorized`:
the site area (admins and site managers), then the project in scope (else 404), then the
resource kind and action (else 403); a worker not on the project is a 404."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from models.enums import Direction, WageKind
from models.ids import ID_TYPES, IdType, mask_bank_card, mask_id_number
from models.money import fen_to_yuan
from server.auth import scope
from server.auth.scope import Action, Area, Resource
from server.db.session import end_transaction
from server.errors import SiteGateError
from server.ingest import checkpoints
from server.registry import importer as registry_importer
from server.registry import roster_import
from server.registry import schemas as registry_schemas
from server.registry import service as registry_service
from server.registry.models import Project, Team, Worker
from server.reports import roster_xlsx
from server.rosters import service as roster_service
from server.web import queries
from server.web.clock import now_utc
from server.web.csrf import CsrfChecked
from server.web.downloads import XLSX, download
from server.web.errors import PageNotFoundError, PageRoute
from server.web.forms import FormErrors
from server.web.i18n import lang_of, pick, translate
from server.web.period import period_or_current, shift_period
from server.web.session import ManagerUser, PageDb, page_authorized
from server.web.templating import render

router = APIRouter(prefix="/site", route_class=PageRoute)


AttendanceProject = Annotated[Project, page_authorized(Area.SITE, Resource.ATTENDANCE)]
WorkersProject = Annotated[Project, page_authorized(Area.SITE, Resource.WORKERS)]
WorkersWrite = Annotated[Project, page_authorized(Area.SITE, Resource.WORKERS, Action.WRITE)]
CorrectionsWrite = Annotated[
    Project, page_authorized(Area.SITE, Resource.CORRECTIONS, Action.WRITE)
]


@router.get("/")
def choose_project(request: Request, user: ManagerUser, session: PageDb) -> Response:
    projects = queries.projects_in_scope(session, scope.project_ids_in_scope(session, user))
    if len(projects) == 1:
        return RedirectResponse(f"/site/{projects[0].id}/now", status_code=303)
    return render(request, "site/projects.html", projects=projects)


@router.get("/{project_id}/workers/{worker_id:int}")
def worker_page(
    request: Request, project: WorkersProject, session: PageDb, user: ManagerUser, worker_id: int
) -> Response:
    return worker_profile(request, project, session, user, worker_id)


@router.post("/{project_id}/workers/{worker_id:int}/full-id", dependencies=[CsrfChecked])
def worker_full_id(
    request: Request, project: WorkersProject, session: PageDb, user: ManagerUser, worker_id: int
) -> Response:
    """ "Show the full number": only where the registry allows it, and audited each time.

    Answered with the page itself (no redirect), so the number is never in a URL or history.
    """
    info = _on_project(session, project, worker_id)
    registry_service.check_full_ids(
        session, user, {project.id}, entity="worker", entity_id=info.worker.id
    )
    return worker_profile(request, project, session, user, worker_id, full_id=True)


def worker_profile(
    request: Request,
    project: Project,
    session: PageDb,
    user: ManagerUser,
    worker_id: int,
    *,
    errors: list[str] | None = None,
    form: dict[str, str] | None = None,
    full_id: bool = False,
    status_code: int = 200,
) -> Response:
    info = _on_project(session, project, worker_id)
    now = now_utc(request)
    zone = roster_service.project_settings(project).zone
    today = now.astimezone(zone).date()
    # This month's days of the worker, from the monthly roster (the rosters service's rules).
    roster = roster_service.load_month(
        session, project_id=project.id, period=f"{today:%Y-%m}", as_of=now, worker_id=worker_id
    )
    row = next((r for r in roster.rows if r.worker_id == worker_id), None)
    recent = [c for c in row.month.cells if c.work_on <= today][::-1] if row else []
    corrections = roster_service.list_corrections(
        session,
        project_id=project.id,
        worker_id=worker_id,
        statuses=roster_service.CORRECTION_STATUSES,  # pending ones too, marked as such
    )[::-1][:20]
    return render(
        request,
        "site/worker.html",
        status_code=status_code,
        project=project,
        info=info,
        id_shown=info.worker.id_number if full_id else mask_id_number(info.worker.id_number),
        id_type=ID_TYPES[IdType(info.worker.id_card_type)],
        full_id=full_id,
        may_see_full_id=registry_service.may_see_full_ids(session, user, {project.id}),
        card_shown=mask_bank_card(info.worker.bank_card) if info.worker.bank_card else "",
        corrections=corrections,
        recent=recent,
        month_row=row,
        # This month and the last (the one whose wages fall due): the 考勤凭证 downloads.
        evidence_months=(f"{today:%Y-%m}", shift_period(f"{today:%Y-%m}", -1)),
        tz=project.timezone,
        lang_code=lang_of(request),
        today=today.isoformat(),
        errors=errors or [],
        form=form or {},
    )


# --- register / edit ---------------------------------------------------------------------------


class WorkerForm(BaseModel):
    """Every field as typed; checked by FormErrors so all problems show at once."""

    name: str = ""
    id_number: str = ""
    phone: str = ""
    bank_card: str = ""
    bank_name: str = ""
    team_id: str = ""
    trade: str = ""
    wage_kind: str = "daily"
    wage_rate: str = ""
    contract_signed_on: str = ""
    safety_trained_on: str = ""
    face_consent: str = ""
    csrf_token: str = ""


WAGE_KINDS = {k.value: k for k in WageKind}


def _form_page(
    request: Request,
    session: PageDb,
    project: Project,
    *,
    form: WorkerForm,
    errors: list[str],
    worker: Worker | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "site/worker_form.html",
        status_code=status_code,
        project=project,
        form=form,
        errors=errors,
        worker=worker,
        teams=queries.project_teams(session, project.id),
    )


def _check_assignment_fields(
    errs: FormErrors, session: PageDb, project: Project, form: WorkerForm
) -> tuple[Team | None, WageKind | None, int | None]:
    team_id = errs.optional_int(form.team_id, "common.team")
    team = session.get(Team, team_id) if team_id is not None else None
    if team_id is not None and (team is None or team.project_id != project.id):
        errs.add("form.choice_invalid", field=errs.label("common.team"))
        team = None
    kind = errs.choice(form.wage_kind, WAGE_KINDS, "worker.wage_kind")
    rate = errs.money(form.wage_rate, "worker.wage_rate")
    return team, kind, rate


@router.get("/{project_id}/workers/new")
def register_form(request: Request, project: WorkersWrite, session: PageDb) -> Response:
    return _form_page(request, session, project, form=WorkerForm(), errors=[])


@router.post("/{project_id}/workers/new", dependencies=[CsrfChecked])
def register(
    request: Request,
    project: WorkersWrite,
    session: PageDb,
    user: ManagerUser,
    form: Annotated[WorkerForm, Form()],
) -> Response:
    errs = FormErrors(lang_of(request))
    name = errs.required(form.name, "common.name")
    id_number = errs.id_number(form.id_number)
    phone = errs.phone(form.phone)
    card = errs.bank_card(form.bank_card)
    team, kind, rate = _check_assignment_fields(errs, session, project, form)
    contract = errs.date(form.contract_signed_on, "worker.contract")
    training = errs.date(form.safety_trained_on, "worker.training")
    if errs or id_number is None or kind is None or rate is None:
        return _form_page(
            request, session, project, form=form, errors=errs.messages, status_code=422
        )
    try:
        assignment = registry_service.create_assignment(
            session,
            user,
            project,
            data=registry_schemas.AssignmentCreate(
                worker=registry_schemas.WorkerCreate(
                    name=name,
                    id_number=id_number,
                    phone=phone,
                    bank_card=card,
                    bank_name=form.bank_name.strip(),
                ),
                company_id=team.company_id if team else None,
                team_id=team.id if team else None,
                trade=form.trade.strip(),
                wage_kind=kind,
                wage_rate_fen=rate,
                contract_signed_on=contract,
                safety_trained_on=training,
            ),
        )
        if form.face_consent:
            worker = session.get(Worker, assignment.worker_id)
            if worker is not None and not worker.face_consent:
                registry_service.set_consent(session, user, worker, consent=True)
    except SiteGateError as exc:
        session.rollback()
        errs.add_text(exc.message_zh, exc.message_en)
        return _form_page(
            request, session, project, form=form, errors=errs.messages, status_code=exc.status_code
        )
    return RedirectResponse(
        f"/site/{project.id}/workers/{assignment.worker_id}?msg=common.saved", status_code=303
    )


def _on_project(session: PageDb, project: Project, worker_id: int) -> queries.AssignmentInfo:
    """The worker's assignment on this project; a worker of another project is a 404."""
    info = queries.worker_on_project(session, project.id, worker_id)
    if info is None:
        raise PageNotFoundError()
    return info


@router.get("/{project_id}/workers/{worker_id:int}/edit")
def edit_form(
    request: Request, project: WorkersWrite, session: PageDb, user: ManagerUser, worker_id: int
) -> Response:
    info = _on_project(session, project, worker_id)
    w, a = info.worker, info.assignment
    form = WorkerForm(
        name=w.name,
        id_number=mask_id_number(w.id_number),
        phone=w.phone or "",
        bank_card=w.bank_card or "",
        bank_name=w.bank_name,
        team_id=str(a.team_id or ""),
        trade=a.trade,
        wage_kind=a.wage_kind.value,
        wage_rate=str(fen_to_yuan(a.wage_rate_fen)),
        contract_signed_on=a.contract_signed_on.isoformat() if a.contract_signed_on else "",
        safety_trained_on=a.safety_trained_on.isoformat() if a.safety_trained_on else "",
        face_consent="1" if w.face_consent else "",
    )
    return _form_page(request, session, project, form=form, errors=[], worker=w)


@router.post("/{project_id}/workers/{worker_id:int}/edit", dependencies=[CsrfChecked])
def edit(
    request: Request,
    project: WorkersWrite,
    session: PageDb,
    user: ManagerUser,
    worker_id: int,
    form: Annotated[WorkerForm, Form()],
) -> Response:
    info = _on_project(session, project, worker_id)
    errs = FormErrors(lang_of(request))
    name = errs.required(form.name, "common.name")
    phone = errs.phone(form.phone)
    card = errs.bank_card(form.bank_card)
    team, kind, rate = _check_assignment_fields(errs, session, project, form)
    contract = errs.date(form.contract_signed_on, "worker.contract")
    training = errs.date(form.safety_trained_on, "worker.training")
    if errs or kind is None or rate is None:
        return _form_page(
            request,
            session,
            project,
            form=form,
            errors=errs.messages,
            worker=info.worker,
            status_code=422,
        )
    try:
        # The ID number is the identity itself: it is not edited here (the card reader sets it).
        registry_service.update_worker(
            session,
            user,
            info.worker,
            data=registry_schemas.WorkerUpdate(
                name=name, phone=phone, bank_card=card, bank_name=form.bank_name.strip()
            ),
        )
        registry_service.update_assignment(
            session,
            user,
            info.assignment,
            data=registry_schemas.AssignmentUpdate(
                company_id=team.company_id if team else info.assignment.company_id,
                team_id=team.id if team else None,
                trade=form.trade.strip(),
                wage_kind=kind,
                wage_rate_fen=rate,
                contract_signed_on=contract,
                safety_trained_on=training,
            ),
        )
        if bool(form.face_consent) != info.worker.face_consent:
            registry_service.set_consent(
                session, user, info.worker, consent=bool(form.face_consent)
            )
    except SiteGateError as exc:
        session.rollback()
        errs.add_text(exc.message_zh, exc.message_en)
        return _form_page(
            request,
            session,
            project,
            form=form,
            errors=errs.messages,
            worker=info.worker,
            status_code=exc.status_code,
        )
    return RedirectResponse(
        f"/site/{project.id}/workers/{worker_id}?msg=common.saved", status_code=303
    )


# --- entry / exit / correction -----------------------------------------------------------------


def _profile_with_errors(
    request: Request,
    project: Project,
    session: PageDb,
    user: ManagerUser,
    worker_id: int,
    errors: list[str],
    form: dict[str, str] | None = None,
    status_code: int = 422,
) -> Response:
    return worker_profile(
        request,
        project,
        session,
        user,
        worker_id,
        errors=errors,
        form=form or {},
        status_code=status_code,
    )


@router.post("/{project_id}/workers/{worker_id:int}/enter", dependencies=[CsrfChecked])
def enter(
    request: Request,
    project: WorkersWrite,
    session: PageDb,
    user: ManagerUser,
    worker_id: int,
    on: Annotated[str, Form()] = "",
) -> Response:
    return _enter_or_leave(request, project, session, user, worker_id, "enter", on)


@router.post("/{project_id}/workers/{worker_id:int}/leave", dependencies=[CsrfChecked])
def leave(
    request: Request,
    project: WorkersWrite,
    session: PageDb,
    user: ManagerUser,
    worker_id: int,
    on: Annotated[str, Form()] = "",
) -> Response:
    return _enter_or_leave(request, project, session, user, worker_id, "leave", on)


def _enter_or_leave(
    request: Request,
    project: Project,
    session: PageDb,
    user: ManagerUser,
    worker_id: int,
    action: str,
    on: str,
) -> Response:
    info = _on_project(session, project, worker_id)
    errs = FormErrors(lang_of(request))
    day = errs.date(on, "worker.on_date", required=True)
    if errs or day is None:
        return _profile_with_errors(request, project, session, user, worker_id, errs.messages)
    try:
        if action == "enter":
            registry_service.enter(session, user, info.assignment, on=day)
        else:
            registry_service.leave(session, user, info.assignment, on=day)
    except SiteGateError as exc:
        session.rollback()
        errs.add_text(exc.message_zh, exc.message_en)
        return _profile_with_errors(request, project, session, user, worker_id, errs.messages)
    msg = "worker.entered_ok" if action == "enter" else "worker.left_ok"
    return RedirectResponse(f"/site/{project.id}/workers/{worker_id}?msg={msg}", status_code=303)


@router.post("/{project_id}/workers/{worker_id:int}/correction", dependencies=[CsrfChecked])
def correction(
    request: Request,
    project: CorrectionsWrite,
    session: PageDb,
    user: ManagerUser,
    worker_id: int,
    day: Annotated[str, Form()] = "",
    time: Annotated[str, Form()] = "",
    direction: Annotated[str, Form()] = "in",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """补卡: a manual punch with a reason and its author, written by the rosters service.

    The form checks each field so every problem shows at once, in the form's own words; the
    service's own checks (worker on the roster, not in the future) come back as its message.
    """
    _on_project(session, project, worker_id)
    errs = FormErrors(lang_of(request))
    work_on = errs.date(day, "common.date", required=True)
    at_time = errs.time(time, "worker.correction_at")
    way = errs.choice(direction, {d.value: d for d in Direction}, "now.direction")
    reason = errs.required(reason, "common.reason")
    if reason and len(reason) < 4:
        errs.add("form.reason_short")
    form = {"day": day, "time": time, "direction": direction, "reason": reason}
    if errs or work_on is None or at_time is None or way is None:
        return _profile_with_errors(request, project, session, user, worker_id, errs.messages, form)
    zone = roster_service.project_settings(project).zone
    try:
        record = roster_service.add_correction(
            session,
            user=user,
            project_id=project.id,
            worker_id=worker_id,
            at=dt.datetime.combine(work_on, at_time, zone),
            direction=way,
            reason=reason,
            now=now_utc(request),
        )
    except SiteGateError as exc:
        session.rollback()
        errs.add_text(exc.message_zh, exc.message_en)
        return _profile_with_errors(
            request, project, session, user, worker_id, errs.messages, form, exc.status_code
        )
    # In a closed month it waits for another manager's approval (/site/{id}/corrections).
    msg = "worker.correction_pending" if record.status == "pending" else "worker.correction_ok"
    return RedirectResponse(f"/site/{project.id}/workers/{worker_id}?msg={msg}", status_code=303)


# --- roster (花名册) import ---------------------------------------------------------------------


@router.get("/{project_id}/import")
def import_form(request: Request, project: WorkersWrite) -> Response:
    return render(request, "site/import.html", project=project, report=None, file_error=None)


@router.get("/{project_id}/import/template.xlsx")
def import_template(request: Request, project: WorkersProject) -> Response:
    data = registry_importer.template_xlsx(english=lang_of(request) == "en")
    return download(data, XLSX, "花名册模板.xlsx")


@router.post("/{project_id}/import", dependencies=[CsrfChecked])
async def import_roster(
    request: Request,
    project: WorkersWrite,
    session: PageDb,
    user: ManagerUser,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    lang = lang_of(request)
    data = await file.read() if file is not None else b""
    if not data:
        return render(
            request,
            "site/import.html",
            status_code=422,
            project=project,
            report=None,
            file_error=translate("import.no_file", lang),
        )
    filename = file.filename if file else None
    limits = request.app.state.settings.import_limits("roster")
    try:
        end_transaction(session)  # no lock held while parsing
        parsed = await run_in_threadpool(
            registry_importer.parse_roster_file, data, filename, limits=limits
        )
        report = await run_in_threadpool(
            roster_import.import_parsed_roster,
            session,
            user,
            project,
            parsed,
            filename=filename,
        )
    except SiteGateError as exc:
        session.rollback()
        return render(
            request,
            "site/import.html",
            status_code=exc.status_code,
            project=project,
            report=None,
            file_error=pick(lang, exc.message_zh, exc.message_en),
        )
    if report.errors:
        session.rollback()  # all-or-nothing: the service wrote nothing, and nothing is kept
    return render(
        request,
        "site/import.html",
        status_code=422 if report.errors else 200,
        project=project,
        report=report,
        file_error=None,
    )


# --- month grid ----------------------------------------------------------------------------------


def _month(
    request: Request, project: Project, session: PageDb, raw: str | None
) -> roster_service.MonthRoster:
    now = now_utc(request)
    today = now.astimezone(roster_service.project_settings(project).zone).date()
    return roster_service.load_month(
        session, project_id=project.id, period=period_or_current(raw, today), as_of=now
    )


@router.get("/{project_id}/month")
def month_page(
    request: Request, project: AttendanceProject, session: PageDb, period: str | None = None
) -> Response:
    roster = _month(request, project, session, period)
    return render(
        request,
        "site/month.html",
        project=project,
        roster=roster,
        period=roster.period,
        prev=shift_period(roster.period, -1),
        next=shift_period(roster.period, 1),
    )


@router.get("/{project_id}/month.xlsx")
def month_export(
    request: Request,
    project: AttendanceProject,
    session: PageDb,
    period: str | None = None,
    per_company: bool = False,
) -> Response:
    """考勤表 in the customary layout (server/reports/roster_xlsx), one sheet or one per firm."""
    roster = _month(request, project, session, period)
    return download(
        roster_xlsx.month_xlsx(
            roster,
            per_company=per_company,
            gates=checkpoints.month_anchors(session, project.id, roster.period),
        ),
        XLSX,
        f"{roster.project_code}-{roster.period}-考勤表.xlsx",
    )
