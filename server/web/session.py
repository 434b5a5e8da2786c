"""Page dependencies: the unit of work, the signed-in user from the cookie, role guards."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from models.enums import Role
from server.auth import service as auth_service
from server.auth.models import AuthSession, User
from server.deps import SESSION_COOKIE, SessionDep
from server.errors import ForbiddenError
from server.web.errors import LoginRequiredError

# After an admin reset only these pages open, until the owner has chosen a new password.
_WHILE_MUST_CHANGE = frozenset({"/account/password", "/logout"})


def page_db(request: Request, session: SessionDep) -> Session:
    request.state.page_db = session  # so PageRoute can roll back before an error page
    return session


PageDb = Annotated[Session, Depends(page_db)]


def page_auth(request: Request, session: PageDb) -> tuple[User, AuthSession]:
    # Pages accept only the cookie: a bearer token is for API clients, which need no CSRF token.
    token = request.cookies.get(SESSION_COOKIE)
    found = auth_service.resolve_session(session, token) if token else None
    if found is None:
        raise LoginRequiredError()
    request.state.page_user = found[0]
    request.state.page_auth = found[1]
    if found[0].must_change_password and request.url.path not in _WHILE_MUST_CHANGE:
        raise auth_service.PasswordChangeRequiredError()  # PageRoute redirects to the form
    return found


PageAuth = Annotated[tuple[User, AuthSession], Depends(page_auth)]


def page_user(auth: PageAuth) -> User:
    return auth[0]


PageUser = Annotated[User, Depends(page_user)]


def _manager(user: PageUser) -> User:
    auth_service.require_role(user, Role.SITE_MANAGER, Role.ADMIN)
    return user


def _inspector(user: PageUser) -> User:
    auth_service.require_role(user, Role.INSPECTOR, Role.ADMIN)
    return user


def _worker(user: PageUser) -> User:
    auth_service.require_role(user, Role.WORKER)
    if user.worker_id is None:
        raise ForbiddenError()
    return user


ManagerUser = Annotated[User, Depends(_manager)]
InspectorUser = Annotated[User, Depends(_inspector)]
WorkerUser = Annotated[User, Depends(_worker)]
