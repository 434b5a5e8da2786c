"""CSRF: every POST form carries the session's token; sign-in uses a double-submit cookie.

The signed-in token is AuthSession.csrf_token, created with the session and never sent in a
cookie, so a cross-site form cannot know it. Before sign-in there is no session, so the login
form compares a random cookie with the same value in a hidden field.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Form, Request

from server.web.errors import CsrfError
from server.web.security import LOGIN_CSRF_COOKIE
from server.web.session import PageAuth

FIELD = "csrf_token"


def check_form_token(request: Request, auth: PageAuth, csrf_token: str) -> None:
    expected = auth[1].csrf_token
    if not csrf_token or not secrets.compare_digest(csrf_token, expected):
        raise CsrfError()


def _require_csrf(
    request: Request, auth: PageAuth, csrf_token: Annotated[str, Form()] = ""
) -> None:
    check_form_token(request, auth, csrf_token)


CsrfChecked = Depends(_require_csrf)


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


def check_login_token(request: Request, form_value: str) -> None:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not form_value or not secrets.compare_digest(cookie, form_value):
        raise CsrfError()
