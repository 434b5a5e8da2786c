"""Jinja2 rendering with the page context every template relies on (language, user, CSRF)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import object_session
from starlette.responses import HTMLResponse

from models.enums import Role
from models.money import format_yuan
from server.auth.models import AuthSession, User
from server.registry.models import Worker
from server.web.i18n import LANG_COOKIE, MESSAGES, kind_label, lang_of, pick, translator

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
DEFAULT_TZ = ZoneInfo("Asia/Shanghai")


def _yuan(fen: int | None) -> str:
    return "-" if fen is None else format_yuan(fen)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _local(value: dt.datetime | None, fmt: str = "%m-%d %H:%M", tz: str | None = None) -> str:
    if value is None:
        return "-"
    zone = ZoneInfo(tz) if tz else DEFAULT_TZ
    return value.astimezone(zone).strftime(fmt)


TEMPLATES.env.filters["yuan"] = _yuan
TEMPLATES.env.filters["num"] = _num
TEMPLATES.env.filters["local"] = _local


def display_name(user: User | None) -> str:
    """Who the header says is signed in: a worker account by its worker's registered name (an
    account made by hand may carry only the role as its name), anyone else by the account."""
    if user is None:
        return ""
    if user.role == Role.WORKER and user.worker_id is not None:
        session = object_session(user)
        worker = session.get(Worker, user.worker_id) if session is not None else None
        if worker is not None and worker.name:
            return worker.name
    return user.full_name or user.username


def render(
    request: Request, template: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    lang = lang_of(request)
    user: User | None = getattr(request.state, "page_user", None)
    auth: AuthSession | None = getattr(request.state, "page_auth", None)
    msg = request.query_params.get("msg")
    base: dict[str, Any] = {
        "lang": lang,
        "t": translator(lang),
        "t_other": translator("en" if lang == "zh" else "zh"),
        "pick": lambda zh, en: pick(lang, zh, en),
        "kind_label": lambda kind: kind_label(kind, lang),
        "user": user,
        "who_name": display_name(user),
        "csrf_token": auth.csrf_token if auth else "",
        "flash": msg if msg in MESSAGES else None,
        "lang_cookie": LANG_COOKIE,
        "path": request.url.path,
    }
    base.update(context)
    response = TEMPLATES.TemplateResponse(request, template, base, status_code=status_code)
    # Pages show personal data: never cache them in a shared proxy or the back button.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def render_error(
    request: Request,
    status_code: int,
    key: str | None,
    *,
    message: tuple[str, str] | None = None,
) -> HTMLResponse:
    return render(
        request,
        "error.html",
        status_code=status_code,
        error_key=key,
        error_message=message,
        error_status=status_code,
    )
