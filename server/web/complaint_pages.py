"""欠薪线索 pages. The worker's phone page /me/complaints (their own, and the form); the
inspector's /inspect/complaints (every project in scope: overdue first, then due soon; filter by
status), one complaint with its history and the handling form, the entry form, and the 线索台账
XLSX. The site manager has none (server/auth/policy.py: the complainant is kept from the firm).

A worker names the project in the form, not the path (as objections do): the one scope check
is asked for that project and their own record. A {complaint_id} names its project (and, for a
worker, its worker) to server/auth/scope.authorize_path, so another region's is a 404.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from server.auth import scope
from server.auth.models import User
from server.auth.scope import Action, Area, Resource
from server.complaints import rules
from server.complaints import service as complaint_service
from server.errors import NotFoundError, SiteGateError
from server.registry.models import Project
from server.reports import complaints_xlsx
from server.rosters import service as roster_service
from server.web import queries
from server.web.clock import now_utc
from server.web.csrf import CsrfChecked
from server.web.downloads import XLSX, download
from server.web.errors import PageNotFoundError, PageRoute
from server.web.i18n import lang_of
from server.web.session import InspectorUser, PageDb, WorkerUser, page_authorized
from server.web.templating import render

router = APIRouter(route_class=PageRoute)

MyComplaints = page_authorized(Area.ME, Resource.COMPLAINTS, own=True)
MyNewComplaint = page_authorized(Area.ME, Resource.COMPLAINTS, Action.WRITE, own=True)
InspectList = page_authorized(Area.INSPECT, Resource.COMPLAINTS)
InspectEnter = page_authorized(Area.INSPECT, Resource.COMPLAINTS, Action.WRITE)
InspectOne = Annotated[Project, page_authorized(Area.INSPECT, Resource.COMPLAINTS)]
InspectHandle = Annotated[
    Project, page_authorized(Area.INSPECT, Resource.COMPLAINT_HANDLING, Action.WRITE)
]


def _messages(request: Request, issues: list[rules.Issue]) -> list[str]:
    en = lang_of(request) == "en"
    return [i.message_en if en else i.message_zh for i in issues]


# --- the worker's phone page ------------------------------------------------------------------


def _my_page(
    request: Request,
    session: PageDb,
    user: User,
    *,
    errors: list[str] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    assert user.worker_id is not None  # noqa: S101 - WorkerUser guarantees it
    projects = [p for _, p in queries.my_assignments(session, user.worker_id)]
    projects = list({p.id: p for p in projects}.values())
    mine = complaint_service.views(session, now=now_utc(request), worker_id=user.worker_id)
    return render(
        request,
        "me/complaints.html",
        status_code=status_code,
        items=mine,
        complaint_projects=projects,
        project=projects[0] if projects else None,
        errors=errors or [],
        form=form or {},
    )


@router.get("/me/complaints", dependencies=[MyComplaints])
def my_complaints(request: Request, session: PageDb, user: WorkerUser) -> Response:
    return _my_page(request, session, user)


@router.post("/me/complaints", dependencies=[MyNewComplaint, CsrfChecked])
def file_my_complaint(
    request: Request,
    session: PageDb,
    user: WorkerUser,
    project_id: Annotated[str, Form(max_length=20)] = "",
    periods: Annotated[str, Form(max_length=400)] = "",
    amount: Annotated[str, Form(max_length=40)] = "",
    against: Annotated[str, Form(max_length=400)] = "",
    text: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    if not project_id.strip():  # a worker on one project: the form leaves it out
        mine = queries.my_assignments(session, user.worker_id or 0)
        project_id = str(mine[0][1].id) if mine else ""
    if not project_id.isdigit():
        raise PageNotFoundError()
    try:
        project = scope.authorize(
            session, user, Resource.COMPLAINTS, Action.WRITE,
            project_id=int(project_id), worker_id=user.worker_id,
        )  # fmt: skip
    except NotFoundError:
        raise PageNotFoundError() from None
    assert project is not None  # noqa: S101 - a project id was named
    now = now_utc(request)
    today = now.astimezone(roster_service.project_settings(project).zone).date()
    new, issues = rules.validate(periods, amount, against, text, today=today)
    if new is None:
        form = {"periods": periods, "amount": amount, "against": against, "text": text}
        return _my_page(
            request, session, user, errors=_messages(request, issues), form=form, status_code=422
        )
    complaint_service.create(
        session, project=project, user=user, new=new, now=now, worker_id=user.worker_id
    )
    return RedirectResponse("/me/complaints?msg=complaint.filed#my-complaints", status_code=303)


# --- the inspector's pages ---------------------------------------------------------------------


@router.get("/inspect/complaints", dependencies=[InspectList])
def inspect_complaints(
    request: Request, session: PageDb, user: InspectorUser, status: str = ""
) -> Response:
    chosen = status if status in rules.Status.__members__.values() else ""
    items = complaint_service.views(
        session, now=now_utc(request), project_ids=scope.project_ids_in_scope(session, user),
        status=chosen or None,
    )  # fmt: skip
    return render(
        request,
        "inspect/complaints.html",
        items=items,
        status=chosen,
        statuses=[s.value for s in rules.Status],
        overdue=sum(1 for v in items if v.overdue),
    )


@router.get("/inspect/complaints.xlsx", dependencies=[InspectList])
def inspect_complaints_xlsx(
    request: Request, session: PageDb, user: InspectorUser, status: str = ""
) -> Response:
    """线索台账: every complaint in scope (or of one status), as the list orders them."""
    chosen = status if status in rules.Status.__members__.values() else None
    now = now_utc(request)
    items = complaint_service.views(
        session, now=now, project_ids=scope.project_ids_in_scope(session, user), status=chosen
    )
    data = complaints_xlsx.complaints_xlsx(items, generated_at=now)
    return download(data, XLSX, f"线索台账_{now.strftime('%Y%m%d')}.xlsx")


def _new_page(
    request: Request,
    session: PageDb,
    user: User,
    *,
    errors: list[str] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    projects = queries.projects_in_scope(session, scope.project_ids_in_scope(session, user))
    return render(
        request,
        "inspect/complaint_new.html",
        status_code=status_code,
        projects=projects,
        channels=[c.value for c in rules.Channel if c is not rules.Channel.APP],
        errors=errors or [],
        form=form or {},
    )


@router.get("/inspect/complaints/new", dependencies=[InspectEnter])
def new_complaint(request: Request, session: PageDb, user: InspectorUser) -> Response:
    return _new_page(request, session, user)


@router.post("/inspect/complaints/new", dependencies=[InspectEnter, CsrfChecked])
def enter_complaint(
    request: Request,
    session: PageDb,
    user: InspectorUser,
    project_id: Annotated[str, Form(max_length=20)] = "",
    worker_id: Annotated[str, Form(max_length=20)] = "",
    person_name: Annotated[str, Form(max_length=200)] = "",
    person_phone: Annotated[str, Form(max_length=100)] = "",
    person_id_number: Annotated[str, Form(max_length=100)] = "",
    channel: Annotated[str, Form(max_length=20)] = "phone",
    periods: Annotated[str, Form(max_length=400)] = "",
    amount: Annotated[str, Form(max_length=40)] = "",
    against: Annotated[str, Form(max_length=400)] = "",
    text: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    form = {
        "project_id": project_id, "worker_id": worker_id, "person_name": person_name,
        "person_phone": person_phone, "person_id_number": person_id_number, "channel": channel,
        "periods": periods, "amount": amount, "against": against, "text": text,
    }  # fmt: skip
    if not project_id.isdigit():
        issue = rules.Issue("project_id", "请选择项目", "choose the project")
        return _new_page(request, session, user, errors=_messages(request, [issue]), form=form,
                         status_code=422)  # fmt: skip
    try:
        project = scope.authorize(
            session, user, Resource.COMPLAINTS, Action.WRITE, project_id=int(project_id)
        )
    except NotFoundError:
        raise PageNotFoundError() from None
    assert project is not None  # noqa: S101 - a project id was named
    now = now_utc(request)
    today = now.astimezone(roster_service.project_settings(project).zone).date()
    new, issues = rules.validate(periods, amount, against, text, today=today)
    person = None
    if not worker_id.strip():
        person, more = rules.validate_person(person_name, person_phone, person_id_number)
        issues += more
    elif not worker_id.strip().isdigit():
        issues.append(rules.Issue("worker_id", "工人编号有误", "not a worker number"))
    if channel not in rules.Channel.__members__.values():
        issues.append(rules.Issue("channel", "请选择渠道", "choose the channel"))
    if new is None or issues:
        return _new_page(request, session, user, errors=_messages(request, issues), form=form,
                         status_code=422)  # fmt: skip
    try:
        row = complaint_service.create(
            session, project=project, user=user, new=new, now=now,
            worker_id=int(worker_id) if worker_id.strip() else None, person=person,
            channel=rules.Channel(channel),
        )  # fmt: skip
    except SiteGateError as exc:
        session.rollback()
        en = lang_of(request) == "en"
        return _new_page(request, session, user, errors=[exc.message_en if en else exc.message_zh],
                         form=form, status_code=exc.status_code)  # fmt: skip
    return RedirectResponse(f"/inspect/complaints/{row.id}?msg=complaint.entered", status_code=303)


def _one_page(
    request: Request,
    session: PageDb,
    project: Project,
    complaint_id: int,
    *,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    view = complaint_service.view_or_raise(
        session, project_id=project.id, complaint_id=complaint_id, now=now_utc(request)
    )
    return render(
        request,
        "inspect/complaint.html",
        status_code=status_code,
        c=view,
        events=complaint_service.history(session, complaint_id=complaint_id),
        owners=complaint_service.owner_candidates(session, project=project),
        moves=sorted(m.value for m in rules.MOVES[rules.Status(view.status)]),
        closed=not view.open,
        tz=view.time_zone,
        errors=errors or [],
    )


@router.get("/inspect/complaints/{complaint_id}")
def inspect_complaint(
    request: Request, project: InspectOne, session: PageDb, complaint_id: int
) -> Response:
    try:
        return _one_page(request, session, project, complaint_id)
    except NotFoundError:
        raise PageNotFoundError() from None


@router.post("/inspect/complaints/{complaint_id}", dependencies=[CsrfChecked])
def handle_complaint(
    request: Request,
    project: InspectHandle,
    session: PageDb,
    user: InspectorUser,
    complaint_id: int,
    owner_user_id: Annotated[str, Form(max_length=20)] = "-",
    to: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=8000)] = "",
    reopen: Annotated[str, Form(max_length=4)] = "",
) -> Response:
    """One form: the owner (unchanged when "-"), a move (or a reopen) and its note; a note alone
    is kept as a note. All or nothing: any refusal rolls back and the page says why."""
    try:
        row = complaint_service.get_or_raise(
            session, project_id=project.id, complaint_id=complaint_id
        )
    except NotFoundError:
        raise PageNotFoundError() from None
    now = now_utc(request)
    try:
        if owner_user_id != "-":
            owner = int(owner_user_id) if owner_user_id.isdigit() else None
            complaint_service.assign(
                session, row=row, project=project, owner_user_id=owner, user=user, now=now
            )
        if reopen:
            complaint_service.reopen(session, row=row, note=note, user=user, now=now)
        elif to:
            complaint_service.move(session, row=row, to=to, note=note, user=user, now=now)
        elif note.strip():
            complaint_service.add_note(session, row=row, note=note, user=user, now=now)
    except SiteGateError as exc:
        session.rollback()
        en = lang_of(request) == "en"
        return _one_page(request, session, project, complaint_id,
                         errors=[exc.message_en if en else exc.message_zh],
                         status_code=exc.status_code)  # fmt: skip
    return RedirectResponse(
        f"/inspect/complaints/{complaint_id}?msg=complaint.saved", status_code=303
    )
