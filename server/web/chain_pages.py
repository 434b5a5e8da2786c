"""The inspector's full gate-chain re-check on demand (/inspect/{project}/chains/check).

POST starts it in the background (CSRF; an inspector may: it reads the gates' records and
writes down only its own progress and result) and returns to the month page it came from;
GET answers its progress as JSON for the page's poll. The work is
server/ingest/chain_check.py's: the state is a table row, so a reload, a second click or
another server process sees the same run, and a second start while one runs is refused.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.responses import Response

from server.auth.scope import Area, Resource
from server.ingest import chain_check
from server.registry.models import Project
from server.rosters import service as roster_service
from server.web.clock import now_utc
from server.web.csrf import CsrfChecked
from server.web.errors import PageRoute
from server.web.period import current_period, parse_period
from server.web.session import InspectorUser, PageDb, page_authorized

router = APIRouter(route_class=PageRoute)

ChainProject = Annotated[Project, page_authorized(Area.INSPECT, Resource.DEVICES)]
Job = Callable[[], None]


def _thread(job: Job) -> None:
    threading.Thread(target=job, name="chain-check", daemon=True).start()


def submitter(request: Request) -> Callable[[Job], None]:
    """How a job leaves the request: a thread by default; tests set `app.state.background`."""
    return getattr(request.app.state, "background", None) or _thread


@router.post("/{project_id}/chains/check", dependencies=[CsrfChecked])
def start_check(
    request: Request,
    project: ChainProject,
    session: PageDb,
    user: InspectorUser,
    period: Annotated[str, Form()] = "",
) -> Response:
    started = chain_check.start(session, project_id=project.id, user_id=user.id)
    # The claim is committed before the job starts, so the job (another session) sees it.
    session.commit()
    if started:
        factory = request.app.state.sessionmaker
        project_id = project.id
        submitter(request)(lambda: chain_check.run(factory, project_id))
    back = parse_period(period) or current_period(
        now_utc(request), roster_service.project_settings(project).zone
    )
    msg = "chain.recheck_started" if started else "chain.recheck_already"
    return RedirectResponse(f"/inspect/{project.id}/{back}?msg={msg}#chains", status_code=303)


@router.get("/{project_id}/chains/check")
def check_state(project: ChainProject, session: PageDb) -> Response:
    check = chain_check.latest(session, project.id)
    return JSONResponse(check.as_dict() if check else {"state": "none"})
