"""Page dependencies: the unit of work, the signed-in user from the cookie, and each page's
scope check `page_authorized(area, resource, action)` (server/auth/policy.py, scope.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from server.auth import scope
from server.auth import service as auth_service
from server.auth.models import AuthSession, User
from server.auth.scope import Action, Area, Resource
from server.deps import SESSION_COOKIE, SessionDep
from server.errors import ForbiddenError
from server.registry.models import Project
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


class PageAuthorized:
    """A page's scope check: its area (the role's own working pages), then `resource` and
    `action` on the ids in its path, as the API's `Authorized`. `own`: the page is about the
    signed-in worker's own record. Its value is the project in the path (None without one)."""

    def __init__(
        self,
        area: Area,
        resource: Resource | None = None,
        action: Action = Action.READ,
        *,
        own: bool = False,
    ) -> None:
        self.area = area
        self.resource = resource
        self.action = action
        self.own = own

    def __call__(self, request: Request, session: PageDb, user: PageUser) -> Project | None:
        _AreaUser(self.area)(user)
        if self.resource is None:
            return None
        return scope.authorize_path(
            session, user, self.resource, self.action, request.path_params, own=self.own
        )


def page_authorized(
    area: Area,
    resource: Resource | None = None,
    action: Action = Action.READ,
    *,
    own: bool = False,
) -> Any:
    """`Depends(PageAuthorized(...))`: as `dependencies=[...]`, or annotating the project."""
    return Depends(PageAuthorized(area, resource, action, own=own))


class _AreaUser:
    def __init__(self, area: Area) -> None:
        self.area = area

    def __call__(self, user: PageUser) -> User:
        scope.require_area(user, self.area)
        if self.area is Area.ME and user.worker_id is None:
            raise ForbiddenError()  # a worker account not (or no longer) linked to a worker
        return user


def _area_user(area: Area) -> Any:
    return Depends(_AreaUser(area))


# The signed-in user of a page area (403 for other roles); the page's data is checked by its
# own `page_authorized(...)`.
ManagerUser = Annotated[User, _area_user(Area.SITE)]
InspectorUser = Annotated[User, _area_user(Area.INSPECT)]
WorkerUser = Annotated[User, _area_user(Area.ME)]
AdminUser = Annotated[User, _area_user(Area.ADMIN)]
