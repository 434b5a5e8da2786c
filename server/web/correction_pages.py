"""Corrections awaiting approval (/site/{project}/corrections): a 补卡 to a closed month waits
here until another site manager or admin of the project approves or rejects it.

A correction is made on the worker's page (site_pages); in a closed month (reconciled or paid:
server/rosters/closing.py) the rosters service stores it as pending. Its author sees it here but
may not decide on it (the service answers 403); approving marks the month's stored
reconciliation stale, rejecting needs a comment.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from server.auth.scope import Action, Area, Resource
from server.errors import NotFoundError, SiteGateError
from server.registry.models import Project
from server.rosters import closing
from server.rosters import service as roster_service
from server.web.csrf import CsrfChecked
from server.web.errors import PageNotFoundError, PageRoute
from server.web.forms import FormErrors
from server.web.i18n import lang_of
from server.web.session import ManagerUser, PageDb, page_authorized
from server.web.templating import render

router = APIRouter(prefix="/site", route_class=PageRoute)

CorrectionsProject = Annotated[Project, page_authorized(Area.SITE, Resource.CORRECTIONS)]
CorrectionsWrite = Annotated[
    Project, page_authorized(Area.SITE, Resource.CORRECTIONS, Action.WRITE)
]
RECENT = 30  # decided corrections shown under the pending ones


def _page(
    request: Request,
    project: Project,
    session: PageDb,
    user: ManagerUser,
    *,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    records = roster_service.list_corrections(
        session, project_id=project.id, statuses=roster_service.CORRECTION_STATUSES
    )
    pending = [c for c in records if c.status == "pending"]
    decided = sorted(
        (c for c in records if c.status in ("approved", "rejected")),
        key=lambda c: (c.decided_at is None, c.decided_at),
        reverse=True,
    )[:RECENT]
    return render(
        request,
        "site/corrections.html",
        status_code=status_code,
        project=project,
        pending=pending,
        decided=decided,
        reason_text=closing.closed_reason_text,
        me=user.id,
        tz=project.timezone,
        errors=errors or [],
    )


@router.get("/{project_id}/corrections")
def corrections_page(
    request: Request, project: CorrectionsProject, session: PageDb, user: ManagerUser
) -> Response:
    return _page(request, project, session, user)


def _decide(
    request: Request,
    project: Project,
    session: PageDb,
    user: ManagerUser,
    correction_id: int,
    comment: str,
    *,
    approve: bool,
) -> Response:
    try:
        roster_service.decide_correction(
            session,
            user=user,
            project_id=project.id,
            correction_id=correction_id,
            approve=approve,
            comment=comment,
        )
    except NotFoundError:
        raise PageNotFoundError() from None  # not a correction of this project
    except SiteGateError as exc:
        session.rollback()
        errs = FormErrors(lang_of(request))
        errs.add_text(exc.message_zh, exc.message_en)
        return _page(
            request, project, session, user, errors=errs.messages, status_code=exc.status_code
        )
    msg = "corrections.approved_ok" if approve else "corrections.rejected_ok"
    return RedirectResponse(f"/site/{project.id}/corrections?msg={msg}", status_code=303)


@router.post("/{project_id}/corrections/{correction_id}/approve", dependencies=[CsrfChecked])
def approve(
    request: Request,
    project: CorrectionsWrite,
    session: PageDb,
    user: ManagerUser,
    correction_id: int,
    comment: Annotated[str, Form()] = "",
) -> Response:
    return _decide(request, project, session, user, correction_id, comment, approve=True)


@router.post("/{project_id}/corrections/{correction_id}/reject", dependencies=[CsrfChecked])
def reject(
    request: Request,
    project: CorrectionsWrite,
    session: PageDb,
    user: ManagerUser,
    correction_id: int,
    comment: Annotated[str, Form()] = "",
) -> Response:
    return _decide(request, project, session, user, correction_id, comment, approve=False)
