"""维权信息告示牌 (Art. 34) for the site manager: /site/{id}/notice edits the project's board,
/site/{id}/notice.pdf prints it as an A3 poster with a QR code to the workers' pages.

Workers read the same board on /me/notice (me_pages); every number there is a `tel:` link.
The form is checked by server/notice/rules.validate (every problem listed at once, 422).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from server.auth.scope import Action, Area, Resource
from server.notice import rules as notice_rules
from server.notice import service as notice_service
from server.registry.models import Project
from server.reports import notice_pdf
from server.web.csrf import CsrfChecked
from server.web.downloads import PDF, download
from server.web.errors import PageRoute
from server.web.i18n import lang_of
from server.web.security import settings_of
from server.web.session import ManagerUser, PageDb, page_authorized
from server.web.templating import render

router = APIRouter(prefix="/site", route_class=PageRoute)

NoticeProject = Annotated[Project, page_authorized(Area.SITE, Resource.NOTICE)]
NoticeWrite = Annotated[Project, page_authorized(Area.SITE, Resource.NOTICE, Action.WRITE)]
FIELDS = (
    "officer_name",
    "officer_phone",
    "min_wage_month",
    "min_wage_hour",
    "pay_day",
    "inspection_phone",
    "housing_phone",
    "arbitration_phone",
    "legal_aid_phone",
)


def workers_url(request: Request) -> str:
    """The workers' own pages on this server, as a phone opens them from the poster."""
    base = settings_of(request).public_url or str(request.base_url)
    return base.rstrip("/") + "/me/"


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()  # parsed once: the CSRF check read the same body
    return {k: v for k in FIELDS if isinstance(v := form.get(k, ""), str)}


FormData = Annotated[dict[str, str], Depends(_form)]


def _page(
    request: Request,
    project: Project,
    values: dict[str, str],
    *,
    field_errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "site/notice.html",
        status_code=status_code,
        project=project,
        values=values,
        field_errors=field_errors or {},
        errors=list((field_errors or {}).values()),
        url=workers_url(request),
    )


@router.get("/{project_id}/notice")
def notice_page(request: Request, project: NoticeProject, session: PageDb) -> Response:
    fields = notice_service.get(session, project_id=project.id)
    values = notice_rules.form_values(fields)
    if fields.pay_day is None:
        values["pay_day"] = str(project.pay_day or "")  # the reconciliation's pay day
    return _page(request, project, values)


@router.post("/{project_id}/notice", dependencies=[CsrfChecked])
def save_notice(
    request: Request, project: NoticeWrite, session: PageDb, user: ManagerUser, form: FormData
) -> Response:
    fields, issues = notice_rules.validate(form)
    if fields is None:
        en = lang_of(request) == "en"
        errors = {i.field: i.message_en if en else i.message_zh for i in issues}
        return _page(request, project, form, field_errors=errors, status_code=422)
    notice_service.save(session, project_id=project.id, fields=fields, user=user)
    return RedirectResponse(f"/site/{project.id}/notice?msg=notice.saved", status_code=303)


@router.get("/{project_id}/notice.pdf")
def notice_poster(request: Request, project: NoticeProject, session: PageDb) -> Response:
    fields = notice_service.get(session, project_id=project.id)
    poster = notice_pdf.NoticePoster(
        project.name, project.address, notice_rules.board_lines(fields), workers_url(request)
    )
    return download(notice_pdf.notice_pdf(poster), PDF, f"维权信息告示牌_{project.code}.pdf")
