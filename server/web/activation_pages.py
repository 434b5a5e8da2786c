"""Activation codes on the pages: the site office issues them, a worker signs up with one.

- /site/{id}/activation (site managers and admins, Resource.ACTIVATION): where each worker of
  the project stands (account, code waiting, none), and one form that issues codes to every
  worker without an account, a team, or the workers ticked, and answers with the printable
  slips (PDF) or an XLSX to send. The codes are in that file only (server/auth/activation.py).
- /activate (public, linked from the sign-in page): ID number + code + new password twice. A
  wrong ID number or code, or an expired or used code, gets one message that does not say
  which, and counts as a failed sign-in (server/auth/throttle.py). Success signs the worker in
  and shows their username at /activate/done, with the way into their own pages.

Codes live in real time (the server's clock), not the display clock the page tests may pin.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from server.auth import activation, throttle
from server.auth import rules as auth_rules
from server.auth import service as auth_service
from server.auth.scope import Action, Area, Resource
from server.db.session import end_transaction
from server.db.types import utcnow
from server.errors import SiteGateError
from server.registry.models import Project
from server.reports import activation_pdf, activation_xlsx
from server.web import queries
from server.web.account_pages import service_errors
from server.web.csrf import CsrfChecked
from server.web.downloads import PDF, XLSX, download
from server.web.errors import CsrfError, PageRoute
from server.web.forms import FormErrors
from server.web.i18n import lang_of, translate
from server.web.security import secure_cookies, set_session_cookie, settings_of
from server.web.session import ManagerUser, PageDb, WorkerUser, page_authorized
from server.web.templating import render

router = APIRouter(route_class=PageRoute)

ACTIVATE_CSRF_COOKIE = "sitegate_activate_csrf"
SIGNUP = activation.SIGNUP_PATH

ActivationProject = Annotated[Project, page_authorized(Area.SITE, Resource.ACTIVATION)]
ActivationWrite = Annotated[Project, page_authorized(Area.SITE, Resource.ACTIVATION, Action.WRITE)]


# --- the site office ---------------------------------------------------------------------------


def _base_url(request: Request) -> str:
    return settings_of(request).public_url or str(request.base_url)


def _site_page(
    request: Request,
    session: PageDb,
    project: Project,
    *,
    errors: list[str] | None = None,
    notice: str | None = None,
    skipped: list[activation.SkippedWorker] | None = None,
    form: dict[str, object] | None = None,
    status_code: int = 200,
) -> Response:
    rows = activation.project_status(session, project, now=utcnow())
    counts = {
        "total": len(rows),
        "accounts": sum(r.state == "account" for r in rows),
        "live": sum(r.state == "code_live" for r in rows),
    }
    counts["none"] = counts["total"] - counts["accounts"] - counts["live"]
    return render(
        request,
        "site/activation.html",
        status_code=status_code,
        project=project,
        rows=rows,
        counts=counts,
        teams=queries.project_teams(session, project.id),
        valid_days=settings_of(request).activation_code_days,
        signup_url=activation.signup_url(_base_url(request)),
        errors=errors or [],
        notice=notice,
        skipped=skipped or [],
        form=form or {"scope": "all"},
        tz=project.timezone,
    )


@router.get("/site/{project_id}/activation")
def activation_page(request: Request, project: ActivationProject, session: PageDb) -> Response:
    return _site_page(request, session, project)


@router.post("/site/{project_id}/activation", dependencies=[CsrfChecked])
def issue(
    request: Request,
    project: ActivationWrite,
    session: PageDb,
    user: ManagerUser,
    scope: Annotated[str, Form()] = "all",
    team_id: Annotated[str, Form()] = "",
    worker_id: Annotated[list[str] | None, Form()] = None,
    reset: Annotated[str, Form()] = "",
    format: Annotated[str, Form()] = "pdf",
) -> Response:
    """Issue codes and answer with the file: the slips (PDF) or the XLSX."""
    errs = FormErrors(lang_of(request))
    chosen = [int(w) for w in worker_id or [] if w.isdigit()]
    form: dict[str, object] = {"scope": scope, "team_id": team_id, "worker_ids": set(chosen),
                               "reset": bool(reset)}  # fmt: skip
    team: int | None = None
    ids: list[int] | None = None
    if scope == "team":
        team = errs.optional_int(team_id, "common.team")
        if team is None and not errs:
            errs.add("activation.choose_team")
    elif scope == "selected":
        ids = chosen
        if not ids:
            errs.add("activation.no_selection")
    elif scope != "all":
        errs.add("form.choice_invalid", field=errs.label("activation.scope"))
    elif chosen or team_id.strip():
        # Ticks or a team left under "everyone": refused rather than guessed, since issuing to
        # everyone voids the unused codes of workers the manager did not mean.
        errs.add("activation.scope_mismatch")
    if errs:
        return _site_page(
            request, session, project, errors=errs.messages, form=form, status_code=422
        )
    if format != "xlsx":
        activation_pdf.ensure_font()  # no font: say so (503) before any code is issued
    try:
        result = activation.issue_codes(
            session,
            settings_of(request),
            user,
            project,
            base_url=_base_url(request),
            now=utcnow(),
            worker_ids=ids,
            team_id=team,
            reset_existing=bool(reset),
            via="web",
        )
    except SiteGateError as exc:
        session.rollback()
        errs.add_text(exc.message_zh, exc.message_en)
        return _site_page(
            request, session, project, errors=errs.messages, form=form,
            status_code=exc.status_code,
        )  # fmt: skip
    if not result.issued:
        return _site_page(
            request,
            session,
            project,
            notice=translate("activation.nothing", lang_of(request)),
            skipped=result.skipped,
            form=form,
        )
    # The codes are kept before typesetting (2 s per 1,000 slips): on SQLite an open
    # transaction would hold every other writer, a gate's upload too, for that long.
    end_transaction(session)
    stamp = activation_pdf.local_time(result.issued_at, result.timezone)
    stamp = stamp.replace("-", "").replace(" ", "-").replace(":", "")
    if format == "xlsx":
        data = activation_xlsx.activation_xlsx(result)
        return download(data, XLSX, f"{project.code}-激活码-{stamp}.xlsx")
    data = activation_pdf.activation_pdf(result)
    return download(data, PDF, f"{project.code}-开通单-{stamp}.pdf")


# --- the worker's sign-up ----------------------------------------------------------------------


def _signup_page(
    request: Request,
    *,
    id_number: str = "",
    code: str = "",
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    # A double-submit token as on the sign-in form: there is no session yet to hold one.
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "activate/form.html",
        status_code=status_code,
        signup_csrf=token,
        id_number=id_number,
        code=code,
        errors=errors or [],
        min_length=auth_rules.MIN_LENGTH,
    )
    response.set_cookie(
        ACTIVATE_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(settings_of(request)),
        path=SIGNUP,
    )
    return response


def _check_signup_token(request: Request, form_value: str) -> None:
    cookie = request.cookies.get(ACTIVATE_CSRF_COOKIE, "")
    if not cookie or not form_value or not secrets.compare_digest(cookie, form_value):
        raise CsrfError()


@router.get(SIGNUP)
def signup_form(request: Request) -> Response:
    return _signup_page(request)


@router.post(SIGNUP)
def signup(
    request: Request,
    session: PageDb,
    id_number: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
    repeat_password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    _check_signup_token(request, csrf_token)
    lang = lang_of(request)
    errs = FormErrors(lang)
    id_number = id_number.strip()[:32]
    code = code.strip()[:32]
    parsed_id = errs.id_number(id_number)
    if not code:
        errs.add("common.field_required", field=errs.label("activate.code"))
    elif auth_rules.normalise_activation_code(code) is None:
        errs.add("activate.code_invalid")
    if not new_password:
        errs.add("common.field_required", field=errs.label("account.new_password"))
    elif new_password != repeat_password:
        errs.add("account.repeat_mismatch")
    if errs or parsed_id is None:
        return _signup_page(
            request, id_number=id_number, code=code, errors=errs.messages, status_code=422
        )
    settings = settings_of(request)
    address = throttle.client_address(request)
    now = utcnow()
    try:
        user, _ = activation.activate(
            session,
            settings,
            id_number=parsed_id,
            code=code,
            password=new_password,
            address=address,
            now=now,
            via="web",
        )
    except (activation.ActivationFailedError, throttle.TooManyAttemptsError) as exc:
        # Returning normally lets the unit of work commit the failure count; the code is not
        # shown again. Both languages: whoever helps the worker may read either.
        en = exc.message_en[:1].upper() + exc.message_en[1:]
        errs.messages += [en, exc.message_zh] if lang == "en" else [exc.message_zh, en]
        return _signup_page(
            request, id_number=id_number, errors=errs.messages, status_code=exc.status_code
        )
    except SiteGateError as exc:  # the password policy: nothing was counted or written
        session.rollback()
        service_errors(errs, exc)
        return _signup_page(
            request, id_number=id_number, code=code, errors=errs.messages,
            status_code=exc.status_code,
        )  # fmt: skip
    throttle.sign_in_succeeded(session, user=user, address=address, now=now)
    token, _ = auth_service.start_session(session, settings, user)
    response = RedirectResponse(f"{SIGNUP}/done", status_code=303)
    set_session_cookie(response, settings, token)
    response.delete_cookie(ACTIVATE_CSRF_COOKIE, path=SIGNUP)
    return response


@router.get(f"{SIGNUP}/done", dependencies=[page_authorized(Area.ME)])
def signup_done(request: Request, user: WorkerUser) -> Response:
    """The username to sign in with from now on, and the way into the worker's own pages."""
    return render(request, "activate/done.html", username=user.username)
