"""用户管理 / user administration, for admins only (everyone else gets 403 on /admin/*).

The list with search and filters; creating an account (a temporary password is generated and
shown once, on the result page, never in a URL); editing role, scope and linked worker;
deactivating / activating; resetting a password. Every write goes through the auth service,
which checks what an account of each role needs, keeps the last admin, ends sessions and audits.
"""

from __future__ import annotations

import re
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from starlette.responses import Response

from models.enums import Role
from server.auth import repository as auth_repo
from server.auth import service as auth_service
from server.auth import throttle
from server.auth.models import User
from server.auth.schemas import UserUpdate
from server.auth.scope import Action, Area, Resource
from server.db.types import utcnow
from server.errors import SiteGateError
from server.registry.models import Project
from server.web.csrf import CsrfChecked
from server.web.errors import PageRoute
from server.web.forms import FormErrors
from server.web.i18n import lang_of
from server.web.session import AdminUser, PageDb, page_authorized
from server.web.templating import render

router = APIRouter(route_class=PageRoute)

ROLES = {r.value: r for r in Role}
_USERNAME = re.compile(r"[A-Za-z0-9_.@-]{2,64}")  # as the API's UserCreate
PAGE_SIZE = 50
FIELD_LABELS = {
    "worker_id": "admin.worker",
    "project_ids": "admin.projects",
    "username": "admin.username",
}


# Accounts are the admins' (server/auth/policy.py USERS); reading a form is as writing it.
USERS_READ = [page_authorized(Area.ADMIN, Resource.USERS)]
USERS_WRITE = [page_authorized(Area.ADMIN, Resource.USERS, Action.WRITE)]


def _projects(session: PageDb) -> list[Project]:
    return list(session.scalars(select(Project).order_by(Project.code)))


def _temporary_password() -> str:
    return secrets.token_urlsafe(9)  # 12 characters from 64: within the policy, easy to read out


# --- list ------------------------------------------------------------------------------------


@router.get("/admin/users", dependencies=USERS_READ)
def users(
    request: Request,
    session: PageDb,
    admin: AdminUser,
    q: str = "",
    role: str = "",
    active: str = "",
    project: str = "",
    offset: int = 0,
) -> Response:
    projects = _projects(session)
    project_id = int(project) if project.isdigit() else None
    rows, total = auth_repo.list_users(
        session,
        role=ROLES.get(role),
        project_id=project_id,
        active={"1": True, "0": False}.get(active),
        q=q.strip()[:64] or None,
        limit=PAGE_SIZE,
        offset=max(offset, 0),
    )
    codes = {p.id: p.code for p in projects}
    scopes = auth_repo.project_ids_of(session, [u.id for u in rows])
    return render(
        request,
        "admin/users.html",
        rows=[(u, [codes.get(p, str(p)) for p in scopes.get(u.id, [])]) for u in rows],
        total=total,
        offset=max(offset, 0),
        page_size=PAGE_SIZE,
        projects=projects,
        roles=list(Role),
        filters={"q": q, "role": role, "active": active, "project": project},
    )


# --- create / edit ---------------------------------------------------------------------------


def _form_page(
    request: Request,
    session: PageDb,
    *,
    target: User | None,
    form: dict[str, object],
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "admin/user_form.html",
        status_code=status_code,
        target=target,
        locked_until=(
            throttle.locked_until(session, target.id, utcnow()) if target is not None else None
        ),
        form=form,
        errors=errors or [],
        projects=_projects(session),
        roles=list(Role),
    )


def _form_of(user: User, project_ids: list[int]) -> dict[str, object]:
    return {
        "username": user.username,
        "full_name": user.full_name,
        "role": user.role.value,
        "region": user.region,
        "worker_id": "" if user.worker_id is None else str(user.worker_id),
        "project_ids": project_ids,
    }


def _service_error(errs: FormErrors, exc: SiteGateError) -> None:
    items = exc.detail if isinstance(exc.detail, list) else []
    if not items:
        errs.add_text(exc.message_zh, exc.message_en)
    for item in items:
        label = errs.label(FIELD_LABELS.get(str(item.get("field")), "admin.username"))
        zh, en = str(item.get("message_zh", "")), str(item.get("message", ""))
        errs.add_text(f"{label}:{zh}", f"{label}: {en}")


class _Fields:
    """The form's fields checked like the other forms (forms.py), before the service's checks."""

    def __init__(
        self,
        errs: FormErrors,
        *,
        full_name: str,
        role: str,
        region: str,
        worker_id: str,
        project_ids: list[str],
    ) -> None:
        self.full_name = errs.text(full_name, "admin.full_name", max_len=64) or ""
        self.role = errs.choice(role, ROLES, "admin.role")
        self.region = errs.text(region, "admin.region", max_len=64) or ""
        self.worker_id = errs.optional_int(worker_id, "admin.worker")
        self.project_ids = sorted({int(p) for p in project_ids if p.isdigit()})
        if len(self.project_ids) != len({p for p in project_ids if p}):
            errs.add("form.choice_invalid", field=errs.label("admin.projects"))


FormList = Annotated[list[str], Form()]


@router.get("/admin/users/new", dependencies=USERS_WRITE)
def new_user_form(request: Request, session: PageDb, admin: AdminUser) -> Response:
    form: dict[str, object] = {"role": "site_manager", "project_ids": []}
    return _form_page(request, session, target=None, form=form)


@router.post("/admin/users/new", dependencies=[CsrfChecked, *USERS_WRITE])
def create_user(
    request: Request,
    session: PageDb,
    admin: AdminUser,
    username: Annotated[str, Form()] = "",
    full_name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    region: Annotated[str, Form()] = "",
    worker_id: Annotated[str, Form()] = "",
    project_ids: FormList = [],  # noqa: B006 - FastAPI copies form defaults
) -> Response:
    errs = FormErrors(lang_of(request))
    form: dict[str, object] = {
        "username": username,
        "full_name": full_name,
        "role": role,
        "region": region,
        "worker_id": worker_id,
        "project_ids": [int(p) for p in project_ids if p.isdigit()],
    }
    name = errs.text(
        username,
        "admin.username",
        max_len=64,
        required=True,
        pattern=_USERNAME,
    )
    fields = _Fields(
        errs,
        full_name=full_name,
        role=role,
        region=region,
        worker_id=worker_id,
        project_ids=project_ids,
    )
    if errs or not name or fields.role is None:
        return _form_page(
            request, session, target=None, form=form, errors=errs.messages, status_code=422
        )
    password = _temporary_password()
    try:
        created = auth_service.create_user(
            session,
            username=name,
            password=password,
            role=fields.role,
            full_name=fields.full_name,
            region=fields.region,
            worker_id=fields.worker_id,
            project_ids=fields.project_ids,
            must_change_password=True,
        )
    except SiteGateError as exc:
        session.rollback()
        _service_error(errs, exc)
        return _form_page(
            request, session, target=None, form=form, errors=errs.messages, status_code=422
        )
    auth_service.audit(
        session, admin, "create", "user", created.id, detail={"role": fields.role, "via": "web"}
    )
    return _temp_page(request, created, password, created_now=True)


@router.get("/admin/users/{user_id}", dependencies=USERS_READ)
def edit_user_form(request: Request, session: PageDb, admin: AdminUser, user_id: int) -> Response:
    target = auth_service.get_user_or_raise(session, user_id)
    form = _form_of(target, auth_service.project_ids_of(session, target))
    return _form_page(request, session, target=target, form=form)


@router.post("/admin/users/{user_id}", dependencies=[CsrfChecked, *USERS_WRITE])
def update_user(
    request: Request,
    session: PageDb,
    admin: AdminUser,
    user_id: int,
    full_name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    region: Annotated[str, Form()] = "",
    worker_id: Annotated[str, Form()] = "",
    project_ids: FormList = [],  # noqa: B006 - FastAPI copies form defaults
) -> Response:
    target = auth_service.get_user_or_raise(session, user_id)
    errs = FormErrors(lang_of(request))
    form: dict[str, object] = {
        "username": target.username,
        "full_name": full_name,
        "role": role,
        "region": region,
        "worker_id": worker_id,
        "project_ids": [int(p) for p in project_ids if p.isdigit()],
    }
    fields = _Fields(
        errs,
        full_name=full_name,
        role=role,
        region=region,
        worker_id=worker_id,
        project_ids=project_ids,
    )

    def again(status_code: int) -> Response:
        return _form_page(
            request,
            session,
            target=target,
            form=form,
            errors=errs.messages,
            status_code=status_code,
        )

    if errs or fields.role is None:
        return again(422)
    data = UserUpdate(
        full_name=fields.full_name,
        role=fields.role,
        region=fields.region,
        worker_id=fields.worker_id,
        project_ids=fields.project_ids,
    )
    try:
        changes = auth_service.update_user(session, admin, target, data=data, via="web")
    except SiteGateError as exc:
        session.rollback()
        _service_error(errs, exc)
        return again(exc.status_code)
    msg = "common.saved" if changes else "admin.unchanged"
    return RedirectResponse(f"/admin/users/{target.id}?msg={msg}", status_code=303)


@router.post("/admin/users/{user_id}/active", dependencies=[CsrfChecked, *USERS_WRITE])
def set_active(
    request: Request,
    session: PageDb,
    admin: AdminUser,
    user_id: int,
    active: Annotated[str, Form()] = "",
) -> Response:
    target = auth_service.get_user_or_raise(session, user_id)
    want = active == "1"
    try:
        auth_service.update_user(session, admin, target, data=UserUpdate(active=want), via="web")
    except SiteGateError as exc:
        session.rollback()
        errs = FormErrors(lang_of(request))
        errs.add_text(exc.message_zh, exc.message_en)
        form = _form_of(target, auth_service.project_ids_of(session, target))
        return _form_page(
            request,
            session,
            target=target,
            form=form,
            errors=errs.messages,
            status_code=exc.status_code,
        )
    msg = "admin.activated" if want else "admin.deactivated"
    return RedirectResponse(f"/admin/users/{target.id}?msg={msg}", status_code=303)


# --- password reset --------------------------------------------------------------------------


def _temp_page(request: Request, target: User, password: str, *, created_now: bool) -> Response:
    # Rendered directly, not after a redirect: the password is never in a URL or a later page,
    # and render() marks the response no-store.
    return render(
        request, "admin/temp_password.html", target=target, password=password, created=created_now
    )


@router.post("/admin/users/{user_id}/password", dependencies=[CsrfChecked, *USERS_WRITE])
def reset_password(request: Request, session: PageDb, admin: AdminUser, user_id: int) -> Response:
    target = auth_service.get_user_or_raise(session, user_id)
    password = _temporary_password()
    keep = getattr(request.state, "page_auth", None)  # resetting one's own keeps this session
    auth_service.set_password(
        session, admin, target, password=password, must_change=True, keep=keep, via="web"
    )
    return _temp_page(request, target, password, created_now=False)
