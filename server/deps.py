"""FastAPI dependencies as Annotated aliases: SessionDep, SettingsDep, CurrentUser."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from server.auth import service as auth_service
from server.auth.models import AuthSession, User
from server.config import Settings
from server.db.session import unit_of_work
from server.errors import NotAuthenticatedError

SESSION_COOKIE = "sitegate_session"


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


def _token_from(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.cookies.get(SESSION_COOKIE)


def get_auth(request: Request, session: SessionDep) -> tuple[User, AuthSession]:
    token = _token_from(request)
    found = auth_service.resolve_session(session, token) if token else None
    if found is None:
        raise NotAuthenticatedError()
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
