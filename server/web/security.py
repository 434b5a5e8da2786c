"""Cookie flags and safe redirects for the pages.

ID numbers are masked on every page (first 6 + last 4, `models.ids.mask_id_number`); a site
manager sees one worker's full number only through the profile's audited "show full number"
action, where the registry allows it (`registry_service.check_full_ids`).

The session cookie is HttpOnly (no script reads it), SameSite=Lax (not sent on cross-site
POSTs, the first CSRF fence; the form token in csrf.py is the second) and Secure outside dev and
test, where the site is served over HTTPS.
"""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from server.config import Settings
from server.deps import SESSION_COOKIE

LOGIN_CSRF_COOKIE = "sitegate_login_csrf"


def secure_cookies(settings: Settings) -> bool:
    return settings.environment not in ("dev", "test")


def set_session_cookie(response: Response, settings: Settings, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(settings),
        path="/",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=secure_cookies(settings), path="/"
    )


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: `next=//evil.example` or `https://...` would be an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
