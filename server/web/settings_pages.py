"""Project settings (设置): every RULES.md threshold with its value, default and range.

Site managers (and admins) of the project edit them at /site/{id}/settings; inspectors of the
project read the same page (there and at /inspect/{id}/settings), without the form. The form
sends every field as shown; only the fields whose text changed, and those ticked "reset", go
into the patch, which the registry service checks (422 naming `section.field`), audits and
applies exactly as `PATCH /api/v1/projects/{id}/settings` does.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from server.auth import scope
from server.auth.scope import Action, Area, Resource
from server.errors import SiteGateError
from server.registry import service as registry_service
from server.registry import settings as project_settings
from server.registry.models import Project
from server.web.csrf import CsrfChecked
from server.web.errors import PageRoute
from server.web.i18n import lang_of
from server.web.session import ManagerUser, PageDb, PageUser, page_authorized
from server.web.templating import render

router = APIRouter(route_class=PageRoute)

RESET = "reset"


def shown(value: Any) -> str:
    """A value as the form shows it and as the comparison reads it back."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


async def _form(request: Request) -> dict[str, Any]:
    form = await request.form()  # parsed once: the CSRF check read the same body
    values: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    values[RESET] = [v for v in form.getlist(RESET) if isinstance(v, str)]
    return values


FormData = Annotated[dict[str, Any], Depends(_form)]


# Read by admins, site managers and inspectors of the project, from either area's link.
ReadableProject = Annotated[Project, page_authorized(Area.ANY, Resource.SETTINGS)]
WritableProject = Annotated[Project, page_authorized(Area.SITE, Resource.SETTINGS, Action.WRITE)]


def _page(
    request: Request,
    project: Project,
    *,
    editable: bool,
    typed: dict[str, Any] | None = None,
    field_errors: dict[str, str] | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "site/settings.html",
        status_code=status_code,
        project=project,
        settings=project_settings.settings_out(project),
        editable=editable,
        typed=typed or {},
        resets=(typed or {}).get(RESET, []),
        field_errors=field_errors or {},
        errors=errors or [],
        shown=shown,
    )


@router.get("/site/{project_id}/settings")
def site_settings(request: Request, project: ReadableProject, user: PageUser) -> Response:
    editable = scope.grant(user, Resource.SETTINGS).allows(Action.WRITE)
    return _page(request, project, editable=editable)


@router.get("/inspect/{project_id}/settings")
def inspect_settings(request: Request, project: ReadableProject) -> Response:
    return _page(request, project, editable=False)


@router.post("/site/{project_id}/settings", dependencies=[CsrfChecked])
def save_settings(
    request: Request,
    project_id: int,
    session: PageDb,
    user: ManagerUser,
    project: WritableProject,
    form: FormData,
) -> Response:
    current = project_settings.settings_out(project)
    resets = set(form[RESET])
    raw: dict[str, dict[str, Any]] = {}
    for section in current.sections:
        for row in section.settings:
            if row.read_only:
                continue
            if row.key in resets:
                raw.setdefault(section.key, {})[row.name] = None
                continue
            typed = str(form.get(row.key, shown(row.value))).strip()
            if typed != shown(row.value):
                raw.setdefault(section.key, {})[row.name] = typed
    if not raw:
        return RedirectResponse(
            f"/site/{project.id}/settings?msg=settings.unchanged", status_code=303
        )
    try:
        patch = project_settings.parse_patch(raw)
        registry_service.update_settings(session, user, project, patch=patch)
    except SiteGateError as exc:
        session.rollback()
        en = lang_of(request) == "en"
        by_field = {
            str(d["field"]): str(d["message"] if en else d.get("message_zh", d["message"]))
            for d in (exc.detail or [])
            if isinstance(d, dict)
        }
        message = exc.message_en if en else exc.message_zh
        session.refresh(project)  # the rolled-back values, as stored
        return _page(
            request,
            project,
            editable=True,
            typed=form,
            field_errors=by_field,
            errors=[message],
            status_code=exc.status_code,
        )
    return RedirectResponse(f"/site/{project.id}/settings?msg=settings.saved", status_code=303)
