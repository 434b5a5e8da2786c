"""考勤/工资有异议: the worker's form (on /me/ and /me/pay) posts to /me/objections; the site
manager lists and answers them at /site/{id}/objections; the inspector reads the same list at
/inspect/{id}/objections.

A worker names the project in the form, not the path: the handler asks the one scope check
(server/auth/scope.authorize) for that project and their own worker record, so a project that
is not theirs is a 404 like any other. An objection id that is not of the project in the path
is a 404 from the service.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from server.auth import scope
from server.auth.scope import Action, Area, Resource
from server.errors import NotFoundError
from server.objections import rules as objection_rules
from server.objections import service as objection_service
from server.registry.models import Project
from server.rosters import service as roster_service
from server.web import queries
from server.web.clock import now_utc
from server.web.csrf import CsrfChecked
from server.web.errors import PageNotFoundError, PageRoute
from server.web.i18n import lang_of
from server.web.session import ManagerUser, PageDb, WorkerUser, page_authorized
from server.web.templating import render

router = APIRouter(route_class=PageRoute)

MyObjection = page_authorized(Area.ME, Resource.OBJECTIONS, Action.WRITE, own=True)
SiteObjections = Annotated[Project, page_authorized(Area.SITE, Resource.OBJECTIONS)]
SiteAnswer = Annotated[Project, page_authorized(Area.SITE, Resource.OBJECTIONS, Action.WRITE)]
InspectObjections = Annotated[Project, page_authorized(Area.INSPECT, Resource.OBJECTIONS)]
BACK = {"days": "/me/", "pay": "/me/pay"}


@router.post("/me/objections", dependencies=[MyObjection, CsrfChecked])
def open_objection(
    request: Request,
    session: PageDb,
    user: WorkerUser,
    project_id: Annotated[str, Form()] = "",
    period: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "pay",
) -> Response:
    if not project_id.strip():  # the form of a worker on one project may leave it out
        mine = queries.my_assignments(session, user.worker_id or 0)
        project_id = str(mine[0][1].id) if mine else ""
    if not project_id.isdigit():
        raise PageNotFoundError()
    try:
        project = scope.authorize(
            session, user, Resource.OBJECTIONS, Action.WRITE,
            project_id=int(project_id), worker_id=user.worker_id,
        )  # fmt: skip
    except NotFoundError:
        raise PageNotFoundError() from None
    assert project is not None  # noqa: S101 - a project id was named
    assert user.worker_id is not None  # noqa: S101 - WorkerUser guarantees it
    today = now_utc(request).astimezone(roster_service.project_settings(project).zone).date()
    new, issues = objection_rules.validate(period, kind, text, today=today)
    target = BACK.get(back, "/me/pay")
    if new is None:
        en = lang_of(request) == "en"
        return render(
            request,
            "me/objection_error.html",
            status_code=422,
            errors=[i.message_en if en else i.message_zh for i in issues],
            back=target,
            form={"period": period, "kind": kind, "text": text, "project_id": project_id},
            project=project,
        )
    objection_service.create(
        session, project_id=project.id, worker_id=user.worker_id, new=new, user=user
    )
    return RedirectResponse(f"{target}?msg=objection.opened#my-objections", status_code=303)


def _list(
    request: Request,
    session: PageDb,
    project: Project,
    template: str,
    *,
    answerable: bool = False,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    items = objection_service.for_project(session, project_id=project.id)
    return render(
        request,
        template,
        status_code=status_code,
        project=project,
        items=items,
        open_count=sum(1 for o in items if o.open),
        answerable=answerable,
        tz=project.timezone,
        errors=errors or [],
    )


@router.get("/site/{project_id}/objections")
def site_objections(
    request: Request, project: SiteObjections, session: PageDb, user: ManagerUser
) -> Response:
    answerable = scope.grant(user, Resource.OBJECTIONS).allows(Action.WRITE)
    return _list(request, session, project, "site/objections.html", answerable=answerable)


@router.post("/site/{project_id}/objections/{objection_id}/reply", dependencies=[CsrfChecked])
def answer(
    request: Request,
    project: SiteAnswer,
    session: PageDb,
    user: ManagerUser,
    objection_id: int,
    reply: Annotated[str, Form()] = "",
    resolve: Annotated[str, Form()] = "",
) -> Response:
    body = objection_rules.check_text(
        reply, "reply", objection_rules.REPLY_MAX, what=("答复", "reply")
    )
    if isinstance(body, objection_rules.Issue):
        known = objection_service.find(session, project_id=project.id, objection_id=objection_id)
        if known is None:
            raise PageNotFoundError()  # nothing said about another project's objection
        en = lang_of(request) == "en"
        return render_list_error(request, session, project, body, en=en)
    try:
        objection_service.reply(
            session, project_id=project.id, objection_id=objection_id, text=body,
            resolve=bool(resolve), user=user,
        )  # fmt: skip
    except NotFoundError:
        raise PageNotFoundError() from None
    msg = "objection.resolved" if resolve else "objection.replied"
    return RedirectResponse(
        f"/site/{project.id}/objections?msg={msg}#objection-{objection_id}", status_code=303
    )


def render_list_error(
    request: Request, session: PageDb, project: Project, issue: objection_rules.Issue, *, en: bool
) -> Response:
    message = issue.message_en if en else issue.message_zh
    return _list(
        request, session, project, "site/objections.html", answerable=True, errors=[message],
        status_code=422,
    )  # fmt: skip


@router.get("/inspect/{project_id}/objections")
def inspect_objections(request: Request, project: InspectObjections, session: PageDb) -> Response:
    return _list(request, session, project, "inspect/objections.html")
