"""Gates (闸机): the list with heartbeat and chain state, registering a gate, issuing its
one-time provisioning code, and the project's gate confirmers (现场确认人: card + manager
confirmation, the legally required alternative to face, RULES.md 3).

Site managers (and admins) of the project work at /site/{id}/gates; inspectors of the project
read the same list at /inspect/{id}/gates, without forms. Writes go through the registry service,
which checks write scope and audits them; this module only checks the form and shows the result.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from starlette.responses import Response

from drivers.config import configs_root, load_gate_profile
from drivers.errors import ConfigError
from models.enums import Direction
from models.ids import normalise_card_uid
from server.auth.models import User
from server.auth.policy import may_enter
from server.auth.scope import Action, Area, Resource
from server.errors import SiteGateError
from server.ingest import checkpoints
from server.registry import schemas as registry_schemas
from server.registry import service as registry_service
from server.registry.models import Device, Project
from server.rosters import service as roster_service
from server.terminals import service as terminal_service
from server.web import queries
from server.web.clock import now_utc
from server.web.csrf import CsrfChecked
from server.web.errors import PageRoute
from server.web.forms import FormErrors
from server.web.i18n import lang_of, translate
from server.web.period import current_period
from server.web.session import ManagerUser, PageDb, page_authorized
from server.web.templating import render

log = logging.getLogger("sitegate.web")

router = APIRouter(route_class=PageRoute)

# The registry's own limits for a device (server/registry/schemas.py DeviceCreate).
CODE_PATTERN = re.compile(r"[A-Za-z0-9_.-]+")
CODE_MAX = 64
NAME_MAX = 128
DIRECTIONS = {d.value: d for d in Direction}
FIELD_LABELS = {
    "code": "gate.code",
    "name": "gate.name",
    "direction": "gate.direction",
    "model": "gate.model",
}
# The registry's limits for a confirmer (server/registry/schemas.py GateConfirmerIn).
CONFIRMER_NAME_MAX = 64
CONFIRMER_LABELS = {"name": "confirmers.name", "card_uid": "confirmers.card_uid"}


@dataclass(frozen=True)
class GateModel:
    """A gate profile under firmware_configs/gates/: what gate.yaml's `gate_profile` names."""

    name: str
    title_zh: str
    title_en: str


@lru_cache(maxsize=1)
def gate_models() -> tuple[GateModel, ...]:
    """The known gate models, read once from the drivers' firmware configs (data only)."""
    out = []
    for path in sorted((configs_root() / "gates").glob("*.yaml")):
        try:
            profile = load_gate_profile(path)
        except ConfigError:
            # A broken profile is the firmware test's to catch; the page offers the others.
            log.warning("gate profile not offered: %s", path.name)
            continue
        out.append(
            GateModel(path.stem, profile.title_zh or path.stem, profile.title_en or path.stem)
        )
    return tuple(out)


def _masked_card(uid: str) -> str:
    return "*" * (len(uid) - 4) + uid[-4:]


SiteProject = Annotated[Project, page_authorized(Area.SITE, Resource.DEVICES)]
InspectProject = Annotated[Project, page_authorized(Area.INSPECT, Resource.DEVICES)]
DevicesWrite = Annotated[Project, page_authorized(Area.SITE, Resource.DEVICES, Action.WRITE)]
ConfirmersWrite = Annotated[Project, page_authorized(Area.SITE, Resource.CONFIRMERS, Action.WRITE)]


# --- the list ----------------------------------------------------------------------------------


_UNITS = ((86400, "天", "day"), (3600, "小时", "hour"), (60, "分钟", "minute"))


def clock_skew_words(skew_s: float) -> tuple[str, str]:
    """'闸机时钟偏差 1 小时(快)' / 'gate clock off by 1 hour (ahead)', in the largest whole unit."""
    size = abs(skew_s)
    n, zh, en = float(round(size)), "秒", "second"
    for secs, unit_zh, unit_en in _UNITS:
        if size >= secs * 0.99:  # a gate 1 h off measures 3599.6 s: that is "1 hour"
            n, zh, en = round(size / secs, 1), unit_zh, unit_en
            break
    shown = f"{n:g}"
    plural = "" if shown == "1" else "s"
    ahead = skew_s > 0
    return (
        f"闸机时钟偏差 {shown} {zh}({'快' if ahead else '慢'}),记录时间可能不准",
        f"gate clock off by {shown} {en}{plural} ({'ahead' if ahead else 'behind'}); "
        "recorded times may be shifted",
    )


def _skew_warnings(request: Request, devices: list[Device]) -> dict[int, tuple[str, str]]:
    threshold = request.app.state.settings.clock_skew_flag_s
    return {
        d.id: clock_skew_words(d.clock_skew_ms / 1000)
        for d in devices
        if d.clock_skew_ms is not None and abs(d.clock_skew_ms) > threshold * 1000
    }


def _list_page(
    request: Request,
    session: PageDb,
    project: Project,
    *,
    editable: bool,
    errors: list[str] | None = None,
    confirmer_form: ConfirmerForm | None = None,
    confirmer_errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    now = now_utc(request)
    user: User | None = getattr(request.state, "page_user", None)
    # The full chain check is on the inspector's month page (inspectors and admins).
    chain_link = None
    if user is not None and may_enter(user.role, Area.INSPECT):
        period = current_period(now, roster_service.project_settings(project).zone)
        chain_link = f"/inspect/{project.id}/{period}#chains"
    gates = queries.device_states(session, project.id, now)
    return render(
        request,
        "site/gates.html",
        status_code=status_code,
        project=project,
        gates=gates,
        skews=_skew_warnings(request, [g.device for g in gates]),
        breaks=queries.chain_break_counts(session, project.id),
        # Each gate's key fingerprint and newest checkpoint as ingest checked it (issue 13).
        anchors=checkpoints.summaries(session, [g.device for g in gates]),
        models={m.name: m for m in gate_models()},
        editable=editable,
        chain_link=chain_link,
        errors=errors or [],
        confirmers=queries.gate_confirmers(session, project.id),
        terminals=terminal_service.overview(session, project.id),
        # A confirmer's card opens the gates for others: inspectors see only its last digits.
        card_shown=(lambda uid: uid) if editable else _masked_card,
        confirmer_form=confirmer_form or ConfirmerForm(),
        confirmer_errors=confirmer_errors or [],
        tz=project.timezone,
    )


@router.get("/site/{project_id}/gates")
def site_gates(request: Request, project: SiteProject, session: PageDb) -> Response:
    return _list_page(request, session, project, editable=True)


@router.get("/inspect/{project_id}/gates")
def inspect_gates(request: Request, project: InspectProject, session: PageDb) -> Response:
    return _list_page(request, session, project, editable=False)


# --- register ----------------------------------------------------------------------------------


class GateForm(BaseModel):
    """Every field as typed, so a page with errors shows it again."""

    code: str = ""
    name: str = ""
    direction: str = "in"
    model: str = ""
    csrf_token: str = ""


def _form_page(
    request: Request,
    project: Project,
    *,
    form: GateForm,
    errors: list[str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "site/gate_form.html",
        status_code=status_code,
        project=project,
        form=form,
        errors=errors,
        models=gate_models(),
    )


@router.get("/site/{project_id}/gates/new")
def register_form(request: Request, project: DevicesWrite) -> Response:
    return _form_page(request, project, form=GateForm(), errors=[])


@router.post("/site/{project_id}/gates/new", dependencies=[CsrfChecked])
def register(
    request: Request,
    project: DevicesWrite,
    session: PageDb,
    user: ManagerUser,
    form: Annotated[GateForm, Form()],
) -> Response:
    errs = FormErrors(lang_of(request))
    code = errs.text(
        form.code,
        "gate.code",
        max_len=CODE_MAX,
        required=True,
        pattern=CODE_PATTERN,
        pattern_key="gate.code_invalid",
    )
    if code and queries.device_code_taken(session, code):
        errs.add("gate.code_taken", code=code)
    name = errs.text(form.name, "gate.name", max_len=NAME_MAX, required=True)
    direction = errs.choice(form.direction, DIRECTIONS, "gate.direction")
    model = errs.choice(form.model, {m.name: m for m in gate_models()}, "gate.model")

    def again(status_code: int) -> Response:
        return _form_page(
            request, project, form=form, errors=errs.messages, status_code=status_code
        )

    if errs or code is None or name is None or direction is None or model is None:
        return again(422)
    try:
        data = registry_schemas.DeviceCreate(
            code=code, name=name, kind="gate", direction=direction, model=model.name
        )
        device = registry_service.create_device(session, user, project, data=data)
    except ValidationError as exc:  # the form's checks mirror the schema: a safety net
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else ""
            label = FIELD_LABELS.get(field, "gate.code")
            errs.add("form.choice_invalid", field=errs.label(label))
        return again(422)
    except SiteGateError as exc:
        session.rollback()
        errs.add_text(exc.message_zh, exc.message_en)
        return again(exc.status_code)
    except IntegrityError:  # the same code registered at the same moment by someone else
        session.rollback()
        errs.add("gate.code_taken", code=code)
        return again(409)
    return RedirectResponse(
        f"/site/{project.id}/gates?msg=gate.created#gate-{device.id}", status_code=303
    )


# --- provisioning code -------------------------------------------------------------------------


@router.post("/site/{project_id}/gates/{device_id}/provisioning-code", dependencies=[CsrfChecked])
def provisioning_code(
    request: Request,
    project: DevicesWrite,
    session: PageDb,
    user: ManagerUser,
    device_id: int,
) -> Response:
    """The one-time code, answered with the page itself (no redirect): it is never in a URL or
    the history, and is not stored in clear, so this response is the only time it is shown."""
    device = registry_service.get_device_or_raise(session, project.id, device_id)
    if not device.active or device.kind == "terminal":  # a terminal is approved, not keyed
        errs = FormErrors(lang_of(request))
        errs.add("gate.inactive_no_code" if not device.active else "terminals.no_code")
        return _list_page(
            request, session, project, editable=True, errors=errs.messages, status_code=409
        )
    had_code = device.provisioning_code_hash is not None
    had_key = device.public_key is not None
    code, expires_at = registry_service.issue_provisioning_code(session, user, device)
    return render(
        request,
        "site/gate_code.html",
        project=project,
        device=device,
        code=code,
        expires_at=expires_at,
        had_code=had_code,
        had_key=had_key,
        server_url=str(request.base_url).rstrip("/"),
        gate_profile=device.model if device.model in {m.name for m in gate_models()} else None,
        tz=project.timezone,
    )


@router.post("/site/{project_id}/gates/{device_id}/approve", dependencies=[CsrfChecked])
def approve_terminal(
    request: Request,
    project: DevicesWrite,
    session: PageDb,
    user: ManagerUser,
    device_id: int,
) -> Response:
    """A site manager approves a face terminal's serial number: its records count from now."""
    device = registry_service.get_device_or_raise(session, project.id, device_id)
    if device.kind != "terminal":
        errs = FormErrors(lang_of(request))
        errs.add("terminals.not_a_terminal")
        return _list_page(
            request, session, project, editable=True, errors=errs.messages, status_code=409
        )
    terminal_service.approve(
        session, request.app.state.settings, user, device, now=now_utc(request)
    )
    return RedirectResponse(f"/site/{project.id}/gates#terminal-{device.id}", status_code=303)


# --- gate confirmers ---------------------------------------------------------------------------


class ConfirmerForm(BaseModel):
    """Every field as typed, so a page with errors shows it again."""

    name: str = ""
    card_uid: str = ""
    csrf_token: str = ""


def _service_error(errs: FormErrors, exc: SiteGateError) -> None:
    """The service's message, its leading `field: ` (an API field name) replaced by the label."""
    zh, en = exc.message_zh, exc.message_en
    for field, label in CONFIRMER_LABELS.items():
        prefix = f"{field}: "
        if zh.startswith(prefix) and en.startswith(prefix):
            zh = f"{translate(label, 'zh')}: {zh.removeprefix(prefix)}"
            en = f"{translate(label, 'en')}: {en.removeprefix(prefix)}"
            break
    errs.add_text(zh, en)


@router.post("/site/{project_id}/gates/confirmers", dependencies=[CsrfChecked])
def add_confirmer(
    request: Request,
    project: ConfirmersWrite,
    session: PageDb,
    user: ManagerUser,
    form: Annotated[ConfirmerForm, Form()],
) -> Response:
    errs = FormErrors(lang_of(request))
    name = errs.text(form.name, "confirmers.name", max_len=CONFIRMER_NAME_MAX, required=True)
    card_uid = None
    if not form.card_uid.strip():
        errs.add("common.field_required", field=errs.label("confirmers.card_uid"))
    else:  # the registry's own normaliser (models.ids.CardUid), with its message
        card_uid = errs.contract(form.card_uid, normalise_card_uid, "form.ic_card_invalid")

    def again(status_code: int) -> Response:
        return _list_page(
            request,
            session,
            project,
            editable=True,
            confirmer_form=form,
            confirmer_errors=errs.messages,
            status_code=status_code,
        )

    if errs or name is None or card_uid is None:
        return again(422)
    try:
        data = registry_schemas.GateConfirmerIn(card_uid=card_uid, name=name)
        registry_service.add_confirmer(session, user, project, data=data)
    except ValidationError as exc:  # the form's checks mirror the schema: a safety net
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else ""
            errs.add(
                "form.choice_invalid",
                field=errs.label(CONFIRMER_LABELS.get(field, "confirmers.name")),
            )
        return again(422)
    except SiteGateError as exc:
        session.rollback()
        _service_error(errs, exc)
        return again(exc.status_code)
    return RedirectResponse(
        f"/site/{project.id}/gates?msg=confirmers.added#confirmers", status_code=303
    )


@router.post(
    "/site/{project_id}/gates/confirmers/{confirmer_id}/deactivate", dependencies=[CsrfChecked]
)
def deactivate_confirmer(
    project: ConfirmersWrite, session: PageDb, user: ManagerUser, confirmer_id: int
) -> Response:
    confirmer = registry_service.get_confirmer_or_raise(session, project.id, confirmer_id)
    registry_service.deactivate_confirmer(session, user, confirmer)
    return RedirectResponse(
        f"/site/{project.id}/gates?msg=confirmers.deactivated#confirmers", status_code=303
    )
