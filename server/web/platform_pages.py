"""The project's reports to the real-name platform: /site/{id}/platform for the site manager
(what went, what waits and why, what the platform or the local checks refused, in their words,
and a button that uploads now), /inspect/{id}/platform for the inspector, read-only.

The button runs one bounded upload run (server/platform/runner.py) in the request: each call
goes out with no transaction open and its answer is recorded in its own unit of work, so a
closed page loses nothing; what is left goes on the next run (`sitegate platform sync`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from server.auth.scope import Action, Area, Resource
from server.config import Settings
from server.db.types import utcnow
from server.platform import describe, runner, service
from server.registry.models import Project
from server.web.csrf import CsrfChecked
from server.web.errors import PageRoute
from server.web.security import settings_of
from server.web.session import PageDb, page_authorized
from server.web.templating import render

router = APIRouter(route_class=PageRoute)

SiteProject = Annotated[Project, page_authorized(Area.SITE, Resource.PLATFORM)]
SiteWrite = Annotated[Project, page_authorized(Area.SITE, Resource.PLATFORM, Action.WRITE)]
InspectProject = Annotated[Project, page_authorized(Area.INSPECT, Resource.PLATFORM)]
CALLS_PER_PRESS = 200  # a bigger backlog goes on with the next press or the scheduled sync


def _page(request: Request, session: Session, project: Project, *, editable: bool) -> Response:
    account = service.account_of(session, project.id)
    counts = service.status(session, project.id)
    profile = service.profile_of(account) if account is not None else None
    kinds = [k for k in service.ORDER if profile is None or profile.takes(k)]
    problems = describe.lines(session, project, service.problems(session, project.id))
    return render(
        request,
        "site/platform.html",
        project=project,
        account=account,
        profile=profile,
        kinds=kinds,
        states=list(service.STATE_TEXT),
        counts=counts,
        totals={k: sum(n for (kind, _s), n in counts.items() if kind == k) for k in kinds},
        problems=problems,
        editable=editable,
        kind_text=service.KIND_TEXT,
        state_text=service.STATE_TEXT,
        ran=_ran(request) if editable else None,
        calls_per_press=CALLS_PER_PRESS,
    )


def _ran(request: Request) -> dict[str, int] | None:
    """The figures of the run just made (the redirect carries them)."""
    if request.query_params.get("msg") != "platform.ran":
        return None
    out = {}
    for key in ("sent", "polled", "queued", "paused"):
        value = request.query_params.get(key, "0")
        out[key] = int(value) if value.isdigit() and len(value) < 7 else 0
    return out


@router.get("/site/{project_id}/platform")
def site_platform(request: Request, project: SiteProject, session: PageDb) -> Response:
    return _page(request, session, project, editable=True)


@router.get("/inspect/{project_id}/platform")
def inspect_platform(request: Request, project: InspectProject, session: PageDb) -> Response:
    return _page(request, session, project, editable=False)


@router.post("/site/{project_id}/platform/sync", dependencies=[CsrfChecked])
def sync_now(request: Request, project: SiteWrite, session: PageDb) -> Response:
    settings: Settings = settings_of(request)
    session.commit()  # the sign-in's own writes: no transaction stays open during the calls

    def unit(work: Any) -> Any:
        # each step of the run is its own short transaction on the request's session
        try:
            out = work(session, settings, project)
        except BaseException:
            session.rollback()
            raise
        session.commit()
        return out

    try:
        report = runner.run(unit, now=utcnow(), max_calls=CALLS_PER_PRESS)
    except runner.NotConfiguredError:
        return RedirectResponse(f"/site/{project.id}/platform?msg=platform.not_configured", 303)
    query = f"sent={report.sent}&polled={report.polled}&queued={report.queued}"
    if report.stopped:
        query += "&paused=1"
    return RedirectResponse(f"/site/{project.id}/platform?msg=platform.ran&{query}", 303)
