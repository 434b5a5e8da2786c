"""Page errors become HTML pages; the JSON API keeps its JSON errors.

Every page route uses `PageRoute`, which catches errors raised by the route or its dependencies
and renders the bilingual error page (or redirects to sign-in on 401). The app-wide handlers in
server/app.py never see these, so API routes are untouched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from server.errors import SiteGateError

log = logging.getLogger("sitegate.web")


class LoginRequiredError(Exception):
    """No valid session cookie: the page redirects to /login?next=..."""


class CsrfError(Exception):
    """A POST form without the session's CSRF token."""


class PageNotFoundError(Exception):
    pass


def _rollback(request: Request) -> None:
    # The unit of work commits when the handler returns normally, and an error page *is* a normal
    # return for it, so the half-done writes of a failed request are undone here.
    db: Session | None = getattr(request.state, "page_db", None)
    if db is not None:
        db.rollback()


def _commit(request: Request) -> None:
    # The shared unit of work commits only after the response has been sent; a redirect after a
    # POST would let the browser ask for the next page before the write is visible. Commit first.
    db: Session | None = getattr(request.state, "page_db", None)
    if db is not None:
        db.commit()


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    if request.method != "GET":
        target = "/"
    return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)


class PageRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            from server.web.templating import render_error  # templates import this module

            try:
                response = await original(request)
                _commit(request)
                return response
            except LoginRequiredError:
                _rollback(request)
                return login_redirect(request)
            except CsrfError:
                _rollback(request)
                return render_error(request, 403, "error.403.csrf")
            except PageNotFoundError:
                _rollback(request)
                return render_error(request, 404, "error.404")
            except SiteGateError as exc:
                _rollback(request)
                if exc.status_code == 401:
                    return login_redirect(request)
                if exc.code == "auth.password_change_required":
                    return RedirectResponse("/account/password", status_code=303)
                if exc.status_code in (403, 404):
                    return render_error(request, exc.status_code, f"error.{exc.status_code}")
                return render_error(
                    request, exc.status_code, None, message=(exc.message_zh, exc.message_en)
                )
            except RequestValidationError:
                # A malformed path or query (/site/abc/now): no such page.
                _rollback(request)
                return render_error(request, 404, "error.404")
            except StarletteHTTPException as exc:
                _rollback(request)
                code = exc.status_code if exc.status_code in (401, 403, 404) else 500
                if code == 401:
                    return login_redirect(request)
                return render_error(request, code, f"error.{code}")
            except Exception:
                log.exception("page error on %s %s", request.method, request.url.path)
                _rollback(request)
                return render_error(request, 500, "error.500")

        return handler
