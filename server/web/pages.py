"""HTML pages: sign-in/out, the language switch, the start page by role, and the role areas.

Mounted at `/`: `/site/...` for site managers, `/inspect/...` for inspectors, `/me/...` for
workers. Every route uses PageRoute (errors as HTML pages) and checks role and project scope on
the server; the links a template shows or hides are convenience, not protection.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from models.enums import Role
from server.auth import service as auth_service
from server.auth import throttle
from server.deps import SESSION_COOKIE
from server.errors import NotAuthenticatedError
from server.web import csrf
from server.web.account_pages import router as account_router
from server.web.activation_pages import router as activation_router
from server.web.admin_pages import router as admin_router
from server.web.checklist_pages import router as checklist_router
from server.web.complaint_pages import router as complaint_router
from server.web.correction_pages import router as correction_router
from server.web.errors import PageRoute
from server.web.gate_pages import router as gate_router
from server.web.i18n import LANG_COOKIE, LANGS, Lang, lang_of, translate
from server.web.inspect_pages import router as inspect_router
from server.web.me_pages import router as me_router
from server.web.me_wage_pages import router as me_wage_router
from server.web.notice_pages import router as notice_router
from server.web.now_pages import router as now_router
from server.web.objection_pages import router as objection_router
from server.web.pay_pages import router as pay_router
from server.web.platform_pages import router as platform_router
from server.web.safeguard_pages import router as safeguard_router
from server.web.security import (
    LOGIN_CSRF_COOKIE,
    clear_session_cookie,
    safe_next,
    secure_cookies,
    set_session_cookie,
    settings_of,
)
from server.web.session import PageAuth, PageDb, PageUser
from server.web.settings_pages import router as settings_router
from server.web.site_pages import router as site_router
from server.web.templating import render
from server.web.wage_pages import inspect_router as inspect_wage_router
from server.web.wage_pages import router as site_wage_router
from server.web.worker_list_pages import router as worker_list_router

STATIC_DIR = str(Path(__file__).parent / "static")

# Served by the app itself: sites often have no internet, so no CDN.
static_files = StaticFiles(directory=Path(__file__).parent / "static")

router = APIRouter(route_class=PageRoute, include_in_schema=False)

HOME = {
    Role.ADMIN: "/site/",
    Role.SITE_MANAGER: "/site/",
    Role.INSPECTOR: "/inspect/",
    Role.WORKER: "/me/",
}


FAVICON = (Path(__file__).parent / "static" / "favicon.svg").read_bytes()


@router.get("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for /favicon.ico on their own (and the API docs' pages link none of ours):
    the same SVG the pages link, rather than a 404 in every log."""
    return Response(FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})


@router.get("/")
def home(user: PageUser) -> RedirectResponse:
    return RedirectResponse(HOME[user.role], status_code=303)


def _login_page(
    request: Request,
    *,
    next_url: str,
    username: str = "",
    error: str | None = None,
    status_code: int = 200,
    signed_out: bool = False,
) -> Response:
    token = csrf.new_login_token()
    response = render(
        request,
        "login.html",
        status_code=status_code,
        login_csrf=token,
        next=next_url,
        username=username,
        error=error,
        signed_out=signed_out,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(settings_of(request)),
        path="/login",
    )
    return response


@router.get("/login")
def login_form(request: Request, next: str = "/", bye: int = 0) -> Response:
    return _login_page(request, next_url=safe_next(next), signed_out=bool(bye))


@router.post("/login")
def login(
    request: Request,
    session: PageDb,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    csrf.check_login_token(request, csrf_token)
    lang = lang_of(request)
    target = safe_next(next)
    username = username.strip()
    if not username or not password:
        return _login_page(
            request,
            next_url=target,
            username=username,
            error=translate("login.required", lang),
            status_code=422,
        )
    settings = settings_of(request)
    try:
        user = auth_service.authenticate(
            session, settings, username, password, address=throttle.client_address(request)
        )
    except throttle.TooManyAttemptsError as exc:
        # The lockout is what slows repeated failures down; the page says how long to wait.
        return _login_page(
            request,
            next_url=target,
            username=username,
            error=exc.message_en if lang == "en" else exc.message_zh,
            status_code=429,
        )
    except NotAuthenticatedError:
        # Returning normally lets the unit of work commit the failure count.
        return _login_page(
            request,
            next_url=target,
            username=username,
            error=translate("login.failed", lang),
            status_code=401,
        )
    token, _ = auth_service.start_session(session, settings, user)
    auth_service.audit(session, user, "login", "user", user.id, detail={"via": "web"})
    if target == "/":
        target = HOME[user.role]
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, settings, token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(
    request: Request, session: PageDb, auth: PageAuth, csrf_token: Annotated[str, Form()] = ""
) -> Response:
    csrf.check_form_token(request, auth, csrf_token)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        auth_service.end_session(session, token)
    response = RedirectResponse("/login?bye=1", status_code=303)
    clear_session_cookie(response, settings_of(request))
    return response


@router.get("/lang/{code}")
def set_lang(request: Request, code: str, next: str = "/") -> Response:
    lang: Lang = "en" if code == "en" else "zh"
    if code not in LANGS:
        lang = "zh"
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        LANG_COOKIE,
        lang,
        max_age=365 * 86400,
        samesite="lax",
        secure=secure_cookies(settings_of(request)),
        path="/",
    )
    return response


# Gates first: /inspect/{id}/gates would otherwise be read as /inspect/{id}/{period}; the
# same for /inspect/{id}/objections.
router.include_router(gate_router)
router.include_router(platform_router)  # before inspect_router's /{project_id}/{period}
router.include_router(objection_router)
# Before the inspector's /inspect/{project_id}/{period}: /inspect/complaints/{id} is not a month.
router.include_router(complaint_router)
router.include_router(notice_router)
router.include_router(safeguard_router)
# Before inspect_router: /inspect/{id}/checklist is not a month, /inspect/checklist no project.
router.include_router(checklist_router)
router.include_router(settings_router)
router.include_router(now_router)
router.include_router(worker_list_router)
router.include_router(site_router)
router.include_router(correction_router)
router.include_router(pay_router)
router.include_router(site_wage_router)
router.include_router(inspect_wage_router)
router.include_router(inspect_router)
router.include_router(me_router)
router.include_router(me_wage_router)
router.include_router(account_router)
router.include_router(activation_router)
router.include_router(admin_router)


# Unknown paths inside the page areas get the HTML 404, not the API's JSON one.
@router.get("/site/{rest:path}")
@router.get("/inspect/{rest:path}")
@router.get("/me/{rest:path}")
@router.get("/admin/{rest:path}")
def not_found(request: Request, user: PageUser, rest: str) -> Response:
    from server.web.errors import PageNotFoundError

    raise PageNotFoundError()
