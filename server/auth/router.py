"""Sign-in (OAuth2 password flow), sign-out, who am I, and user management for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from models.enums import Role
from server.auth import service as auth_service
from server.auth.schemas import TokenOut, UserCreate, UserOut
from server.deps import CurrentUser, SessionDep, SettingsDep
from server.errors import NotAuthenticatedError

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/token", response_model=TokenOut)
def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
) -> TokenOut:
    try:
        user = auth_service.authenticate(session, settings, form.username, form.password)
    except NotAuthenticatedError:
        session.commit()  # keep the failure count even though we answer 401
        raise
    token, _ = auth_service.start_session(session, settings, user)
    return TokenOut(access_token=token, expires_in=settings.session_hours * 3600)


@router.post("/logout", status_code=204)
def logout(request: Request, session: SessionDep, user: CurrentUser) -> None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        auth_service.end_session(session, header[7:].strip())


@router.get("/me", response_model=UserOut)
def me(user: CurrentUser) -> UserOut:
    return UserOut.model_validate(user)


@router.post("/users", response_model=UserOut, status_code=201)
def create_user(body: UserCreate, session: SessionDep, user: CurrentUser) -> UserOut:
    auth_service.require_role(user, Role.ADMIN)
    created = auth_service.create_user(
        session,
        username=body.username,
        password=body.password,
        role=body.role,
        full_name=body.full_name,
        region=body.region,
        worker_id=body.worker_id,
        project_ids=body.project_ids,
    )
    auth_service.audit(session, user, "create", "user", created.id, detail={"role": body.role})
    return UserOut.model_validate(created)
