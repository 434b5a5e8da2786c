"""One's own account: changing the password, for every role.

After an admin reset (`must_change_password`) every other page redirects here (web/session.py)
until a new password is chosen. A change ends the account's other sessions, keeps this one, and
is audited by the auth service without the password.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from server.auth import service as auth_service
from server.auth import throttle
from server.auth.models import User
from server.errors import SiteGateError
from server.web import csrf
from server.web.errors import PageRoute
from server.web.forms import FormErrors
from server.web.i18n import lang_of
from server.web.security import settings_of
from server.web.session import PageAuth, PageDb
from server.web.templating import render

router = APIRouter(route_class=PageRoute)

PATH = "/account/password"
FIELD_LABELS = {
    "current_password": "account.current_password",
    "new_password": "account.new_password",
    "password": "account.new_password",
}


def _page(
    request: Request, user: User, *, errors: list[str] | None = None, status_code: int = 200
) -> Response:
    # Passwords are never echoed back into the form, even after a refused attempt.
    return render(
        request,
        "account/password.html",
        status_code=status_code,
        errors=errors or [],
        must_change=user.must_change_password,
    )


@router.get(PATH)
def password_form(request: Request, auth: PageAuth) -> Response:
    return _page(request, auth[0])


def service_errors(errs: FormErrors, exc: SiteGateError) -> None:
    """The auth service's field errors as form messages naming the field as the form labels it."""
    items = exc.detail if isinstance(exc.detail, list) else []
    if not items:
        errs.add_text(exc.message_zh, exc.message_en)
        return
    for item in items:
        zh, en = str(item.get("message_zh", "")), str(item.get("message", ""))
        if exc.code == "auth.weak_password":  # "must be at least ..." needs its field in front
            label = errs.label(FIELD_LABELS.get(str(item.get("field")), "account.new_password"))
            errs.add("account.field_problem", field=label, problem=en if errs.lang == "en" else zh)
        else:  # "the current password is wrong": already names it
            errs.add_text(zh, en.capitalize())


@router.post(PATH)
def change_password(
    request: Request,
    session: PageDb,
    auth: PageAuth,
    current_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
    repeat_password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    csrf.check_form_token(request, auth, csrf_token)
    user, current = auth
    errs = FormErrors(lang_of(request))
    if not current_password:
        errs.add("common.field_required", field=errs.label("account.current_password"))
    if not new_password:
        errs.add("common.field_required", field=errs.label("account.new_password"))
    elif new_password != repeat_password:
        errs.add("account.repeat_mismatch")
    if errs:
        return _page(request, user, errors=errs.messages, status_code=422)
    try:
        auth_service.change_own_password(
            session,
            user,
            current,
            settings_of(request),
            current_password=current_password,
            new_password=new_password,
            address=throttle.client_address(request),
            via="web",
        )
    except SiteGateError as exc:
        if not isinstance(
            exc, auth_service.WrongCurrentPasswordError | throttle.TooManyAttemptsError
        ):
            session.rollback()
        # else returning normally commits the failure count (and a lockout with its sign-out)
        service_errors(errs, exc)
        return _page(request, user, errors=errs.messages, status_code=exc.status_code)
    return RedirectResponse(f"{PATH}?msg=account.password_changed", status_code=303)
