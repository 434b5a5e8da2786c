"""Sign-in (OAuth2 password flow), sign-out, who am I, changing one's own password, and account
management for admins: list, read, change role/scope/active, set a temporary password; and the
workers' activation codes: issued in bulk per project, used once at `POST /activate` (public).

While an admin-set password is pending (`must_change_password`), every route but /me,
/me/password and /logout answers 403 `auth.password_change_required` (server/deps.py).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.security import OAuth2PasswordRequestForm

from models.enums import Role
from models.errors import ContractError
from models.ids import parse_id_number
from server.auth import activation, throttle
from server.auth import repository as auth_repo
from server.auth import service as auth_service
from server.auth.schemas import (
    ActivateIn,
    ActivateOut,
    ActivationCodesIn,
    ActivationCodesOut,
    IssuedCodeOut,
    PasswordChange,
    PasswordSet,
    SkippedWorkerOut,
    TokenOut,
    UserCreate,
    UserOut,
    UserUpdate,
    user_out,
)
from server.auth.scope import Action, Resource
from server.db.types import utcnow
from server.deps import AccountAuth, CurrentUser, SessionDep, SettingsDep, authorized
from server.errors import NotAuthenticatedError, ValidationFailedError
from server.registry import repository as registry_repo
from server.registry.models import Project
from server.registry.schemas import Page

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
codes_router = APIRouter(prefix="/api/v1/projects", tags=["auth"])

Limit = Annotated[int, Query(ge=1, le=registry_repo.MAX_LIMIT)]
Offset = Annotated[int, Query(ge=0)]
USERS_READ = [authorized(Resource.USERS)]
USERS_WRITE = [authorized(Resource.USERS, Action.WRITE)]


@router.post("/token", response_model=TokenOut)
def login(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
) -> TokenOut:
    try:
        user = auth_service.authenticate(
            session,
            settings,
            form.username,
            form.password,
            address=throttle.client_address(request),
        )
    except NotAuthenticatedError:
        session.commit()  # keep the failure count even though we answer 401
        raise
    token, _ = auth_service.start_session(session, settings, user)
    return TokenOut(access_token=token, expires_in=settings.session_hours * 3600)


@router.post("/logout", status_code=204)
def logout(request: Request, session: SessionDep, auth: AccountAuth) -> None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        auth_service.end_session(session, header[7:].strip())


@router.get("/me", response_model=UserOut)
def me(session: SessionDep, auth: AccountAuth) -> UserOut:
    return user_out(auth[0], auth_service.project_ids_of(session, auth[0]))


@router.post("/me/password", status_code=204)
def change_my_password(
    request: Request,
    body: PasswordChange,
    session: SessionDep,
    settings: SettingsDep,
    auth: AccountAuth,
) -> None:
    """Current password + a new one under the policy; every other session of the account ends."""
    user, current = auth
    try:
        auth_service.change_own_password(
            session,
            user,
            current,
            settings,
            current_password=body.current_password,
            new_password=body.new_password,
            address=throttle.client_address(request),
        )
    except (auth_service.WrongCurrentPasswordError, throttle.TooManyAttemptsError):
        session.commit()  # keep the failure count (and a lockout) although we answer 4xx
        raise


# --- account management (admins) -------------------------------------------------------------


@router.get("/users", response_model=Page[UserOut], dependencies=USERS_READ)
def list_users(
    session: SessionDep,
    user: CurrentUser,
    role: Role | None = None,
    project_id: int | None = None,
    active: bool | None = None,
    q: Annotated[str | None, Query(max_length=64, description="username or full name")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[UserOut]:
    rows, total = auth_repo.list_users(
        session, role=role, project_id=project_id, active=active, q=q, limit=limit, offset=offset
    )
    scopes = auth_repo.project_ids_of(session, [u.id for u in rows])
    items = [user_out(u, scopes.get(u.id)) for u in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.post("/users", response_model=UserOut, status_code=201, dependencies=USERS_WRITE)
def create_user(body: UserCreate, session: SessionDep, user: CurrentUser) -> UserOut:
    created = auth_service.create_user(
        session,
        username=body.username,
        password=body.password,
        role=body.role,
        full_name=body.full_name,
        region=body.region,
        worker_id=body.worker_id,
        project_ids=body.project_ids,
        must_change_password=body.must_change_password,
    )
    auth_service.audit(session, user, "create", "user", created.id, detail={"role": body.role})
    return user_out(created, auth_service.project_ids_of(session, created))


@router.get("/users/{user_id}", response_model=UserOut, dependencies=USERS_READ)
def get_user(user_id: int, session: SessionDep, user: CurrentUser) -> UserOut:
    found = auth_service.get_user_or_raise(session, user_id)
    return user_out(
        found,
        auth_service.project_ids_of(session, found),
        locked_until=throttle.locked_until(session, found.id, utcnow()),
    )


@router.patch("/users/{user_id}", response_model=UserOut, dependencies=USERS_WRITE)
def update_user(user_id: int, body: UserUpdate, session: SessionDep, user: CurrentUser) -> UserOut:
    """Same checks as create; an admin cannot deactivate or demote themselves, and the last
    active admin stays. Deactivating ends the account's sessions. Audited old → new."""
    found = auth_service.get_user_or_raise(session, user_id)
    auth_service.update_user(session, user, found, data=body)
    return user_out(found, auth_service.project_ids_of(session, found))


@router.post("/users/{user_id}/password", response_model=UserOut, dependencies=USERS_WRITE)
def set_password(
    user_id: int, body: PasswordSet, session: SessionDep, auth: AccountAuth
) -> UserOut:
    """A temporary password (changed by its owner at next sign-in unless
    `must_change_password: false`); every session of the account ends but the caller's own."""
    user, current = auth  # the dependency refused a pending password change and non-admins
    found = auth_service.get_user_or_raise(session, user_id)
    auth_service.set_password(
        session,
        user,
        found,
        password=body.password,
        must_change=body.must_change_password,
        keep=current,
    )
    return user_out(found, auth_service.project_ids_of(session, found))


# --- activation codes ------------------------------------------------------------------------


@codes_router.post("/{project_id}/activation-codes", response_model=ActivationCodesOut)
def issue_activation_codes(
    request: Request,
    body: ActivationCodesIn,
    project: Annotated[Project, authorized(Resource.ACTIVATION, Action.WRITE)],
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
) -> ActivationCodesOut:
    """One-time codes for the project's workers without an account (or a team's, or the
    `worker_ids`), each replacing the worker's unused one; workers with an account are listed
    under `skipped` unless `reset_existing`. The codes are in this answer only. Audited."""
    result = activation.issue_codes(
        session,
        settings,
        user,
        project,
        base_url=str(request.base_url),
        now=utcnow(),
        worker_ids=body.worker_ids,
        team_id=body.team_id,
        reset_existing=body.reset_existing,
    )
    return ActivationCodesOut(
        project_id=result.project_id,
        issued_at=result.issued_at,
        expires_at=result.expires_at,
        signup_url=result.signup_url,
        issued=[
            IssuedCodeOut(
                worker_id=c.worker_id,
                name=c.name,
                id_number_masked=c.id_number_masked,
                team=c.team,
                code=c.code,
                resets_account=c.resets_account,
            )
            for c in result.issued
        ],
        skipped=[
            SkippedWorkerOut(
                worker_id=s.worker_id,
                name=s.name,
                id_number_masked=s.id_number_masked,
                team=s.team,
                reason=s.reason.value,
                message_zh=s.reason_zh,
                message_en=s.reason_en,
            )
            for s in result.skipped
        ],
        voided=result.voided,
    )


@router.post("/activate", response_model=ActivateOut)
def activate(
    request: Request, body: ActivateIn, session: SessionDep, settings: SettingsDep
) -> ActivateOut:
    """A worker's sign-up, public: own ID number + the code from the slip + a new password
    (the policy of `/me/password`). Creates the worker's account (username: the ID number) or,
    for a reset code, sets its password; answers with a session token. A wrong ID number or
    code, or an expired or used code, is one 401 `auth.activation_failed` that does not say
    which; it counts as a failed sign-in (429 once blocked)."""
    try:
        id_number = parse_id_number(body.id_number)
    except ContractError as exc:
        raise ValidationFailedError(
            f"id_number:{exc.message_zh}",
            f"id_number: {exc.message_en}",
            code="auth.bad_id_number",
            detail=[
                {"field": "id_number", "message": exc.message_en, "message_zh": exc.message_zh}
            ],
        ) from None
    address = throttle.client_address(request)
    now = utcnow()
    try:
        user, created = activation.activate(
            session,
            settings,
            id_number=id_number,
            code=body.code,
            password=body.password,
            address=address,
            now=now,
        )
    except activation.ActivationFailedError:
        session.commit()  # keep the failure count although we answer 401
        raise
    throttle.sign_in_succeeded(session, user=user, address=address, now=now)
    token, _ = auth_service.start_session(session, settings, user)
    return ActivateOut(
        access_token=token,
        expires_in=settings.session_hours * 3600,
        username=user.username,
        created=created,
    )
