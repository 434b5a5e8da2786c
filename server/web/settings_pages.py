"""Project settings (设置): every RULES.md threshold with its value, default and range.

Site managers (and admins) of the project edit them at /site/{id}/settings; inspectors of the
project read the same page (there and at /inspect/{id}/settings), without the form. The form
sends every field as shown; only the fields whose text changed, and those ticked "reset", go
into the patch, which the registry service checks (422 naming `section.field`), audits and
applies exactly as `PATCH /api/v1/projects/{id}/settings` does.

Each setting shows its label and one line of help rather than its key; shares (0.05) are shown
and typed as percentages (5 %) and stored as the share. The pay day is a project field: changed
here, it goes through the project update (audited) as `PATCH /api/v1/projects/{id}` would.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from server.auth import scope
from server.auth.scope import Action, Area, Resource
from server.errors import SiteGateError, ValidationFailedError
from server.registry import service as registry_service
from server.registry import settings as project_settings
from server.registry.models import Project
from server.registry.schemas import ProjectUpdate
from server.web.csrf import CsrfChecked
from server.web.errors import PageRoute
from server.web.i18n import lang_of
from server.web.session import ManagerUser, PageDb, PageUser, page_authorized
from server.web.templating import render

router = APIRouter(route_class=PageRoute)

RESET = "reset"
PAY_DAY = "project.pay_day"  # a project field the page edits beside the settings
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def shown(value: Any, percent: bool = False) -> str:
    """A value as the form shows it and as the comparison reads it back (a share as a
    percentage: 0.05 -> "5")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if percent and value is not None:
        return f"{(Decimal(str(value)) * 100).normalize():f}"
    return "" if value is None else str(value)


def percent_bounds(bounds: str) -> str:
    """ "0 ≤ x ≤ 0.5" as the page says it: "0 % ≤ x ≤ 50 %"."""
    return _NUMBER.sub(lambda m: f"{(Decimal(m.group()) * 100).normalize():f} %", bounds)


def share_of(typed: str) -> str:
    """A typed percentage ("5", "5 %", "５％") as the stored share ("0.05"); text that is no
    number goes on as typed, for the settings check to name."""
    text = typed.replace("％", "%").strip().removesuffix("%").strip()
    try:
        return f"{(Decimal(text) / 100).normalize():f}"
    except InvalidOperation:
        return typed


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
        percent_bounds=percent_bounds,
        pay_day_key=PAY_DAY,
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
    percent: set[str] = set()
    pay_day: str | None = None
    for section in current.sections:
        for row in section.settings:
            if row.key == PAY_DAY:
                typed = str(form.get(row.key, shown(row.value))).strip()
                if typed != shown(row.value) or row.key in resets:
                    pay_day = "15" if row.key in resets else typed
                continue
            if row.read_only:
                continue
            if row.key in resets:
                raw.setdefault(section.key, {})[row.name] = None
                continue
            typed = str(form.get(row.key, shown(row.value, row.percent))).strip()
            if typed != shown(row.value, row.percent):
                raw.setdefault(section.key, {})[row.name] = (
                    share_of(typed) if row.percent else typed
                )
            if row.percent:
                percent.add(row.key)
    if not raw and pay_day is None:
        return RedirectResponse(
            f"/site/{project.id}/settings?msg=settings.unchanged", status_code=303
        )
    en = lang_of(request) == "en"
    try:
        if raw:
            patch = project_settings.parse_patch(raw)
            registry_service.update_settings(session, user, project, patch=patch)
        if pay_day is not None:
            registry_service.update_project(
                session, user, project, data=ProjectUpdate(pay_day=_pay_day(pay_day))
            )
    except SiteGateError as exc:
        session.rollback()
        by_field = {
            str(d["field"]): _field_message(d, en, str(d["field"]) in percent)
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


def _pay_day(typed: str) -> int:
    """1..28, or the settings page's 422 naming the field."""
    try:
        day = int(typed)
    except ValueError:
        day = 0
    if not 1 <= day <= 28:
        raise ValidationFailedError(
            "项目设置有误:project.pay_day",
            "invalid project settings: project.pay_day",
            detail=[{"field": PAY_DAY, "message": "must be a day from 1 to 28",
                     "message_zh": "须为 1 到 28 之间的日期", "type": "value_error"}],
        )  # fmt: skip
    return day


def _field_message(detail: dict[str, Any], en: bool, percent: bool) -> str:
    """The check's words; a share's bounds in the percentages the page shows."""
    text = str(detail["message"] if en else detail.get("message_zh", detail["message"]))
    if percent and str(detail.get("type", "")).startswith(("greater_than", "less_than")):
        text = percent_bounds(text)
    return text
