"""FastAPI dependencies as Annotated aliases: SessionDep, SettingsDep, CurrentUser, and
`Authorized(resource, action)`, the scope check of every API route (server/auth/scope.py)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from server.auth import scope
from server.auth import service as auth_service
from server.auth.models import AuthSession, User
from server.config import Settings
from server.db.session import unit_of_work
from server.errors import NotAuthenticatedError, SiteGateError
from server.registry.models import Project

SESSION_COOKIE = "sitegate_session"
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfFailedError(SiteGateError):
    """A cookie-authenticated API write without the session's token, or from another site."""

    code = "auth.csrf_failed"
    status_code = 403

    def __init__(self) -> None:
        super().__init__(
            f"请求缺少有效的 {CSRF_HEADER} 令牌或来自其他站点,已拒绝",
            f"refused: a signed-in browser request needs the {CSRF_HEADER} header of its "
            "session and must come from this site",
        )


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """One unit of work per request: commit after the handler, roll back on any error."""
    with unit_of_work(request.app.state.sessionmaker) as session:
        yield session


# scope="function": commit before the response is sent, so a client never sees 200 for a write
# that then fails to commit (the default "request" scope runs the exit code after sending).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def _token_from(request: Request) -> tuple[str | None, bool]:
    """The session token and whether it came from the cookie (a browser) rather than a header."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip(), False
    return request.cookies.get(SESSION_COOKIE), True


def _same_origin(request: Request) -> bool:
    """Origin (else Referer), when the browser sends one, names this site's host (as the
    browser addressed it: Host, or X-Forwarded-Host behind a reverse proxy)."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source:
        return True  # the token is the fence; some browsers omit both on same-site requests
    hosts = {request.headers.get("host", request.url.netloc)}
    hosts |= {h.strip() for h in request.headers.get("x-forwarded-host", "").split(",") if h}
    return urlsplit(source).netloc.lower() in {h.lower() for h in hosts if h}


def check_csrf(request: Request, auth_session: AuthSession) -> None:
    """A cookie session's unsafe request needs the session's CSRF token (the one the pages put
    in their forms) in the X-CSRF-Token header, and must not come from another origin. The
    cookie is sent by the browser on its own, so without this any site could write as the user;
    a bearer token is never sent on its own and needs neither."""
    if request.method in _SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent or not secrets.compare_digest(sent, auth_session.csrf_token):
        raise CsrfFailedError()
    if not _same_origin(request):
        raise CsrfFailedError()


def get_auth(request: Request, session: SessionDep) -> tuple[User, AuthSession]:
    token, from_cookie = _token_from(request)
    found = auth_service.resolve_session(session, token) if token else None
    if found is None:
        raise NotAuthenticatedError()
    if from_cookie:
        check_csrf(request, found[1])
    request.state.auth_session = found[1]
    return found


def get_current_user(auth: Annotated[tuple[User, AuthSession], Depends(get_auth)]) -> User:
    if auth[0].must_change_password:
        raise auth_service.PasswordChangeRequiredError()
    return auth[0]


CurrentUser = Annotated[User, Depends(get_current_user)]
# Signed in, even while an admin-set password waits to be changed: only for changing it,
# reading who one is, and signing out.
AccountAuth = Annotated[tuple[User, AuthSession], Depends(get_auth)]


class Authorized:
    """The route's scope check as a dependency: `resource` and `action` against the policy
    table, on the ids in the route's path. It runs before the body is validated, so a caller
    out of scope learns nothing from a 422. Its value is the project named in the path (None
    for a route without one)."""

    def __init__(
        self,
        resource: scope.Resource,
        action: scope.Action = scope.Action.READ,
        not_found: tuple[str, str] | None = None,
        own: bool = False,
    ) -> None:
        self.resource = resource
        self.action = action
        self.not_found = not_found
        self.own = own

    def __call__(self, request: Request, session: SessionDep, user: CurrentUser) -> Project | None:
        return scope.authorize_path(
            session,
            user,
            self.resource,
            self.action,
            request.path_params,
            self.not_found,
            own=self.own,
        )


def authorized(
    resource: scope.Resource,
    action: scope.Action = scope.Action.READ,
    *,
    not_found: tuple[str, str] | None = None,
    own: bool = False,
) -> Any:
    """`Depends(Authorized(...))`: as `dependencies=[...]`, or annotating the project.
    `not_found` names what a 404 says is missing (e.g. the pay slip, not the project); `own`:
    the route is about the caller's own worker record (/me)."""
    return Depends(Authorized(resource, action, not_found, own))
