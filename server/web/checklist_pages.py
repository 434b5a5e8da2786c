"""The checklist pages: /site/{id}/checklist (each item with its state, figure and level, and a
link to the page where it is fixed), /inspect/{id}/checklist (the same, read-only) and the
inspector's cross-project view /inspect/checklist (red first) with its XLSX export.

Registered before the inspector router: /inspect/{id}/checklist is not a month of
/inspect/{project_id}/{period} (server/web/pages.py).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from starlette.responses import Response

from server.auth import scope
from server.auth.scope import Area, Resource
from server.checklist import service as checklist_service
from server.checklist.rules import Code
from server.registry.models import Project
from server.reports import checklist_xlsx
from server.web import queries
from server.web.clock import now_utc
from server.web.downloads import XLSX, download
from server.web.errors import PageRoute
from server.web.session import InspectorUser, PageDb, page_authorized
from server.web.templating import render

router = APIRouter(route_class=PageRoute)

SiteProject = Annotated[Project, page_authorized(Area.SITE, Resource.CHECKLIST)]
InspectProject = Annotated[Project, page_authorized(Area.INSPECT, Resource.CHECKLIST)]
InspectList = page_authorized(Area.INSPECT, Resource.CHECKLIST)

# What the inspector may open of the site's fixes (read-only pages that exist for them).
INSPECT_FIX = {
    Code.PLATFORM_ACCOUNT: "platform",
    Code.PLATFORM_UPLOADS: "platform",
}


def _page(request: Request, session: PageDb, project: Project, *, site: bool) -> Response:
    result = checklist_service.checklist(session, project)
    if site:
        links = {i.code: f"/site/{project.id}/{i.fix}" for i in result.items}
        settings_link = f"/site/{project.id}/settings#section-checklist"
    else:
        links = {c: f"/inspect/{project.id}/{page}" for c, page in INSPECT_FIX.items()}
        settings_link = f"/inspect/{project.id}/settings#section-checklist"
    return render(
        request,
        "site/checklist.html",
        project=project,
        result=result,
        links=links,
        settings_link=settings_link,
        site=site,
    )


@router.get("/site/{project_id}/checklist")
def site_checklist(request: Request, project: SiteProject, session: PageDb) -> Response:
    return _page(request, session, project, site=True)


@router.get("/inspect/{project_id}/checklist")
def inspect_project_checklist(
    request: Request, project: InspectProject, session: PageDb
) -> Response:
    return _page(request, session, project, site=False)


def _in_scope(session: PageDb, user: InspectorUser) -> list[checklist_service.ProjectChecklist]:
    projects = queries.projects_in_scope(session, scope.project_ids_in_scope(session, user))
    return checklist_service.checklists(session, projects)


@router.get("/inspect/checklist", dependencies=[InspectList])
def inspect_checklists(request: Request, session: PageDb, user: InspectorUser) -> Response:
    return render(request, "inspect/checklist.html", rows=_in_scope(session, user))


@router.get("/inspect/checklist.xlsx", dependencies=[InspectList])
def inspect_checklists_xlsx(request: Request, session: PageDb, user: InspectorUser) -> Response:
    now = now_utc(request)
    data = checklist_xlsx.checklist_xlsx(_in_scope(session, user), generated_at=now)
    return download(data, XLSX, f"检查清单_{now.strftime('%Y%m%d')}.xlsx")
