"""The site manager's 工人 list (/site/{id}/workers): filters, pages, the 花名册 export, and
进场 / 退场 of several workers at once.

The list is in pinyin order of the name (the stored key, server/registry/rules.py) and says how
many match in all. A batch entry or exit goes through a confirmation page naming every worker it
will change; confirming calls the registry service's own `enter` / `leave` for each (the single
routes' service, audited the same way) and keeps nothing unless every worker could change.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from models.enums import AssignmentStatus
from models.ids import mask_id_number
from server.auth.models import User
from server.auth.scope import Action, Area, Resource
from server.errors import SiteGateError
from server.registry import service as registry_service
from server.registry.models import Project
from server.reports import workers_xlsx
from server.rosters import service as roster_service
from server.web import board as board_view
from server.web import queries
from server.web.clock import now_utc
from server.web.csrf import CsrfChecked
from server.web.downloads import XLSX, download
from server.web.errors import PageRoute
from server.web.forms import FormErrors
from server.web.i18n import Lang, lang_of, pick
from server.web.session import ManagerUser, PageDb, page_authorized
from server.web.templating import render

router = APIRouter(prefix="/site", route_class=PageRoute)

WorkersProject = Annotated[Project, page_authorized(Area.SITE, Resource.WORKERS)]
WorkersWrite = Annotated[Project, page_authorized(Area.SITE, Resource.WORKERS, Action.WRITE)]

PER_PAGE = 50
BATCH_MAX = 200  # more than a page holds; a longer list is a mistake, not a batch
STATUSES = {s.value: s for s in AssignmentStatus}
ACTIONS = ("enter", "leave")


def _flag(raw: str | None) -> bool | None:
    """'yes' / 'no' in a filter; anything else is "any" (a filter is not worth an error)."""
    return {"yes": True, "no": False}.get((raw or "").strip())


def _int(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


@router.get("/{project_id}/workers")
def workers_page(
    request: Request,
    project: WorkersProject,
    session: PageDb,
    q: str = "",
    company: str = "",
    team: str = "",
    status: str = "",
    contract: str = "",
    training: str = "",
    consent: str = "",
    page: str = "1",
) -> Response:
    f = queries.WorkerFilter(
        q=q,
        company_id=_int(company),
        team_id=_int(team),
        status=STATUSES.get(status),
        contract=_flag(contract),
        training=_flag(training),
        consent=_flag(consent),
    )
    result = queries.list_workers(session, project.id, f, page=_int(page) or 1, per_page=PER_PAGE)
    keep = {
        "q": q.strip(),
        "company": str(f.company_id or ""),
        "team": str(f.team_id or ""),
        "status": f.status.value if f.status else "",
        "contract": contract if f.contract is not None else "",
        "training": training if f.training is not None else "",
        "consent": consent if f.consent is not None else "",
    }
    base = f"/site/{project.id}/workers"
    return render(
        request,
        "site/workers.html",
        project=project,
        result=result,
        rows=result.rows,
        form=keep,
        companies=queries.project_companies(session, project.id),
        teams=queries.project_teams(session, project.id),
        statuses=list(STATUSES),
        page_links=[(n, board_view.link(base, **keep, page=str(n))) for n in _pages_shown(result)],
        prev_href=board_view.link(base, **keep, page=str(result.page - 1))
        if result.page > 1
        else None,
        next_href=board_view.link(base, **keep, page=str(result.page + 1))
        if result.page < result.pages
        else None,
        today=_today(request, project).isoformat(),
        mask_id=mask_id_number,
    )


def _pages_shown(result: queries.WorkerPage) -> list[int]:
    """The first, the last and the pages around the current one (100 pages of links would not
    fit a phone)."""
    near = range(max(1, result.page - 2), min(result.pages, result.page + 2) + 1)
    return sorted({1, result.pages, *near})


def _today(request: Request, project: Project) -> dt.date:
    return now_utc(request).astimezone(roster_service.project_settings(project).zone).date()


@router.get("/{project_id}/workers.xlsx")
def workers_export(
    request: Request,
    project: WorkersProject,
    session: PageDb,
    user: ManagerUser,
    masked: bool = False,
) -> Response:
    """花名册 in the import template's columns (server/reports/workers_xlsx); a full export is
    audited by the registry service, like "show the full number"."""
    export = registry_service.export_workers(
        session, user, project, masked=masked, now=now_utc(request)
    )
    suffix = "" if export.full else "-脱敏"
    return download(workers_xlsx.workers_xlsx(export), XLSX, f"{project.code}-花名册{suffix}.xlsx")


# --- batch 进场 / 退场 -------------------------------------------------------------------------


def _apply(
    session: PageDb,
    user: User,
    infos: list[queries.AssignmentInfo],
    action: str,
    on: dt.date,
    lang: Lang,
) -> dict[int, str]:
    """The registry service's enter / leave for each worker; worker id -> why it could not."""
    problems: dict[int, str] = {}
    for info in infos:
        try:
            if action == "enter":
                registry_service.enter(session, user, info.assignment, on=on)
            else:
                registry_service.leave(session, user, info.assignment, on=on)
        except SiteGateError as exc:
            problems[info.worker.id] = pick(lang, exc.message_zh, exc.message_en)
    return problems


def _batch(
    request: Request,
    project: Project,
    session: PageDb,
    user: User,
    action: str,
    on: str,
    worker_ids: list[str],
    *,
    confirm: bool,
) -> Response:
    lang = lang_of(request)
    errs = FormErrors(lang)
    if action not in ACTIONS:
        errs.add("form.choice_invalid", field=errs.label("workers.batch_action"))
    day = errs.date(on, "worker.on_date", required=True)
    ids = list(dict.fromkeys(i for raw in worker_ids if (i := _int(raw)) is not None))
    if len(ids) != len(worker_ids) and not errs:
        errs.add("workers.batch_bad_id")
    if not ids:
        errs.add("workers.batch_none")
    elif len(ids) > BATCH_MAX:
        errs.add("workers.batch_too_many", n=str(BATCH_MAX))
    infos = queries.workers_on_project(session, project.id, ids[:BATCH_MAX])
    if len(infos) != len(ids[:BATCH_MAX]) and not errs:
        errs.add("workers.batch_not_here")  # a worker of another project, or gone
    problems: dict[int, str] = {}
    if not errs and day is not None:
        if confirm:
            problems = _apply(session, user, infos, action, day, lang)
            if not problems:
                msg = "workers.batch_entered" if action == "enter" else "workers.batch_left"
                return RedirectResponse(f"/site/{project.id}/workers?msg={msg}", status_code=303)
            session.rollback()  # all or nothing: one worker who cannot change stops the batch
        else:
            # The preview asks the same service, inside a savepoint it then undoes, so the page
            # names who cannot change before anyone confirms.
            nested = session.begin_nested()
            problems = _apply(session, user, infos, action, day, lang)
            nested.rollback()
    status = 422 if errs or (confirm and problems) else 200
    return render(
        request,
        "site/workers_batch.html",
        status_code=status,
        project=project,
        action=action if action in ACTIONS else "",
        on=day.isoformat() if day else on,
        infos=infos,
        problems=problems,
        errors=errs.messages,
        confirmed=confirm,
        mask_id=mask_id_number,
    )


@router.post("/{project_id}/workers/batch", dependencies=[CsrfChecked])
def batch_preview(
    request: Request,
    project: WorkersWrite,
    session: PageDb,
    user: ManagerUser,
    action: Annotated[str, Form()] = "",
    on: Annotated[str, Form()] = "",
    worker_id: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Step one: the chosen workers and the change, to confirm (nothing is written)."""
    return _batch(request, project, session, user, action, on, worker_id or [], confirm=False)


@router.post("/{project_id}/workers/batch/confirm", dependencies=[CsrfChecked])
def batch_confirm(
    request: Request,
    project: WorkersWrite,
    session: PageDb,
    user: ManagerUser,
    action: Annotated[str, Form()] = "",
    on: Annotated[str, Form()] = "",
    worker_id: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Step two: every chosen worker changes, or none does (with the reason per worker)."""
    return _batch(request, project, session, user, action, on, worker_id or [], confirm=True)
