"""Registry JSON API under /api/v1: projects, companies, teams, workers, assignments, devices,
the roster import and the audit log.

Scope (server/auth/policy.py, checked by each route's `authorized(...)` before the body is
read): an object outside the caller's projects is 404 (its existence is not disclosed); a write
by a read-only role (inspector, worker) is 403, and so is a project-wide list for a worker
account. ID numbers and bank cards are masked in every response; `?full=true` shows them in
full to admins and to site managers of the worker's project only (anyone else gets 403), and
each such view is written to the audit log.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Query, Response, UploadFile
from sqlalchemy.orm import Session

from models.enums import AssignmentStatus
from server.auth import scope
from server.auth.models import User
from server.auth.scope import Action, Resource
from server.db.session import end_transaction
from server.deps import CurrentUser, SessionDep, SettingsDep, authorized
from server.errors import ForbiddenError, ValidationFailedError
from server.registry import importer, roster_import
from server.registry import repository as repo
from server.registry import service as registry_service
from server.registry import settings as project_settings
from server.registry.models import Assignment, Project, Worker
from server.registry.schemas import (
    AssignmentCreate,
    AssignmentOut,
    AssignmentUpdate,
    AuditOut,
    BlocklistIn,
    CardIn,
    CompanyAttach,
    CompanyCreate,
    CompanyOut,
    CompanyUpdate,
    ConsentIn,
    DeviceCreateIn,
    DeviceOut,
    DeviceUpdate,
    EnterIn,
    FaceTemplateIn,
    FaceTemplateOut,
    GateConfirmerIn,
    GateConfirmerOut,
    ImportReportOut,
    LeaveIn,
    Page,
    ProjectCompanyOut,
    ProjectCreate,
    ProjectOut,
    ProjectUpdate,
    ProvisioningCodeOut,
    TeamCreate,
    TeamOut,
    TeamUpdate,
    WorkerCreate,
    WorkerOut,
    WorkerUpdate,
    assignment_out,
    check_gate_model,
    device_out,
    worker_out,
)
from server.reports import workers_xlsx

router = APIRouter(prefix="/api/v1", tags=["registry"])

Limit = Annotated[int, Query(ge=1, le=repo.MAX_LIMIT)]
Offset = Annotated[int, Query(ge=0)]
Full = Annotated[
    bool, Query(description="full ID/bank numbers: admin and the project's site managers, audited")
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
READ, WRITE = Action.READ, Action.WRITE
ProjectRead = Annotated[Project, authorized(Resource.PROJECT)]
ProjectWrite = Annotated[Project, authorized(Resource.PROJECT, WRITE)]
SettingsRead = Annotated[Project, authorized(Resource.SETTINGS)]
SettingsWrite = Annotated[Project, authorized(Resource.SETTINGS, WRITE)]
CompaniesRead = Annotated[Project | None, authorized(Resource.COMPANIES)]
CompaniesWrite = Annotated[Project, authorized(Resource.COMPANIES, WRITE)]
WorkersRead = Annotated[Project, authorized(Resource.WORKERS)]
WorkersWrite = Annotated[Project, authorized(Resource.WORKERS, WRITE)]
DevicesRead = Annotated[Project, authorized(Resource.DEVICES)]
DevicesWrite = Annotated[Project, authorized(Resource.DEVICES, WRITE)]
ConfirmersRead = Annotated[Project, authorized(Resource.CONFIRMERS)]
ConfirmersWrite = Annotated[Project, authorized(Resource.CONFIRMERS, WRITE)]


# --- projects ----------------------------------------------------------------------------------


@router.get(
    "/projects", response_model=Page[ProjectOut], dependencies=[authorized(Resource.PROJECT)]
)
def list_projects(
    session: SessionDep,
    user: CurrentUser,
    q: str | None = None,
    region: str | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ProjectOut]:
    rows, total = repo.list_projects(
        session,
        scope=scope.project_ids_in_scope(session, user),
        q=q,
        region=region,
        limit=limit,
        offset=offset,
    )
    items = [ProjectOut.model_validate(p) for p in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.post(
    "/projects",
    response_model=ProjectOut,
    status_code=201,
    dependencies=[authorized(Resource.NEW_PROJECT, WRITE)],
)
def create_project(body: ProjectCreate, session: SessionDep, user: CurrentUser) -> ProjectOut:
    return ProjectOut.model_validate(registry_service.create_project(session, user, data=body))


@router.get("/projects/{project_id}", response_model=ProjectOut)
def get_project(project_id: int, project: ProjectRead) -> ProjectOut:
    return ProjectOut.model_validate(project)


@router.patch("/projects/{project_id}", response_model=ProjectOut)
def update_project(
    project_id: int,
    body: ProjectUpdate,
    session: SessionDep,
    user: CurrentUser,
    project: ProjectWrite,
) -> ProjectOut:
    return ProjectOut.model_validate(
        registry_service.update_project(session, user, project, data=body)
    )


@router.get("/projects/{project_id}/settings", response_model=project_settings.ProjectSettingsOut)
def get_settings(project_id: int, project: SettingsRead) -> project_settings.ProjectSettingsOut:
    """Every threshold: its effective value, its RULES.md default and whether it is overridden."""
    return project_settings.settings_out(project)


@router.patch("/projects/{project_id}/settings", response_model=project_settings.ProjectSettingsOut)
def update_settings(
    project_id: int,
    body: project_settings.SettingsPatch,
    session: SessionDep,
    user: CurrentUser,
    project: SettingsWrite,
) -> project_settings.ProjectSettingsOut:
    """Partial update per section; `null` resets a field to its default. Audited; a gate
    policy change bumps the roster version so the gates download it."""
    registry_service.update_settings(session, user, project, patch=body)
    return project_settings.settings_out(project)


# --- companies ---------------------------------------------------------------------------------


@router.get(
    "/companies", response_model=Page[CompanyOut], dependencies=[authorized(Resource.COMPANIES)]
)
def list_companies(
    session: SessionDep,
    user: CurrentUser,
    q: str | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[CompanyOut]:
    in_scope = scope.project_ids_in_scope(session, user)
    rows, total = repo.list_companies(session, scope=in_scope, q=q, limit=limit, offset=offset)
    items = [CompanyOut.model_validate(c) for c in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.post(
    "/companies",
    response_model=CompanyOut,
    status_code=201,
    dependencies=[authorized(Resource.COMPANIES, WRITE)],
)
def create_company(body: CompanyCreate, session: SessionDep, user: CurrentUser) -> CompanyOut:
    return CompanyOut.model_validate(registry_service.create_company(session, user, data=body))


@router.get(
    "/companies/{company_id}",
    response_model=CompanyOut,
    dependencies=[authorized(Resource.COMPANIES)],
)
def get_company(company_id: int, session: SessionDep) -> CompanyOut:
    return CompanyOut.model_validate(registry_service.get_company_or_raise(session, company_id))


@router.patch(
    "/companies/{company_id}",
    response_model=CompanyOut,
    dependencies=[authorized(Resource.COMPANIES, WRITE)],
)
def update_company(
    company_id: int, body: CompanyUpdate, session: SessionDep, user: CurrentUser
) -> CompanyOut:
    company = registry_service.get_company_or_raise(session, company_id)
    return CompanyOut.model_validate(
        registry_service.update_company(session, user, company, data=body)
    )


@router.get("/projects/{project_id}/companies", response_model=list[ProjectCompanyOut])
def list_project_companies(
    project_id: int, session: SessionDep, _: CompaniesRead
) -> list[ProjectCompanyOut]:
    return [
        ProjectCompanyOut(project_id=project_id, company=CompanyOut.model_validate(c), role=pc.role)
        for pc, c in repo.project_companies(session, project_id)
    ]


@router.put("/projects/{project_id}/companies/{company_id}", response_model=ProjectCompanyOut)
def attach_company(
    project_id: int,
    company_id: int,
    body: CompanyAttach,
    session: SessionDep,
    user: CurrentUser,
    project: CompaniesWrite,
) -> ProjectCompanyOut:
    """Put a firm on the project with its role (general contractor / subcontractor / labour)."""
    company = registry_service.get_company_or_raise(session, company_id)
    link = registry_service.attach_company(session, user, project, company, role=body.role)
    return ProjectCompanyOut(
        project_id=project_id, company=CompanyOut.model_validate(company), role=link.role
    )


@router.delete("/projects/{project_id}/companies/{company_id}", status_code=204)
def detach_company(
    project_id: int,
    company_id: int,
    session: SessionDep,
    user: CurrentUser,
    project: CompaniesWrite,
) -> None:
    company = registry_service.get_company_or_raise(session, company_id)
    registry_service.detach_company(session, user, project, company)


# --- teams -------------------------------------------------------------------------------------


@router.get("/projects/{project_id}/teams", response_model=Page[TeamOut])
def list_teams(
    project_id: int,
    session: SessionDep,
    _: CompaniesRead,
    company_id: int | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[TeamOut]:
    rows, total = repo.list_teams(
        session, project_id, company_id=company_id, limit=limit, offset=offset
    )
    items = [TeamOut.model_validate(t) for t in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.post("/projects/{project_id}/teams", response_model=TeamOut, status_code=201)
def create_team(
    project_id: int,
    body: TeamCreate,
    session: SessionDep,
    user: CurrentUser,
    project: CompaniesWrite,
) -> TeamOut:
    return TeamOut.model_validate(registry_service.create_team(session, user, project, data=body))


@router.patch("/projects/{project_id}/teams/{team_id}", response_model=TeamOut)
def update_team(
    project_id: int,
    team_id: int,
    body: TeamUpdate,
    session: SessionDep,
    user: CurrentUser,
    _: CompaniesWrite,
) -> TeamOut:
    team = registry_service.get_team_or_raise(session, project_id, team_id)
    return TeamOut.model_validate(registry_service.update_team(session, user, team, data=body))


# --- workers -----------------------------------------------------------------------------------


def _worker_response(
    session: Session, user: User, worker: Worker, *, full: bool, warnings: list[str] | None = None
) -> WorkerOut:
    if full:
        registry_service.check_full_ids(
            session,
            user,
            repo.worker_project_ids(session, worker.id),
            entity="worker",
            entity_id=worker.id,
        )
    return worker_out(
        worker,
        full=full,
        templates=repo.template_count(session, worker.id),
        warnings=warnings if warnings is not None else registry_service.worker_warnings(worker),
    )


@router.get("/workers", response_model=Page[WorkerOut])
def list_workers(
    session: SessionDep,
    user: CurrentUser,
    q: Annotated[str | None, Query(description="name or part of the ID number")] = None,
    project_id: int | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[WorkerOut]:
    """Workers on projects in scope (a worker account sees only itself); always masked."""
    reach = scope.grant(user, Resource.WORKERS)
    if reach is scope.Access.NONE:
        raise ForbiddenError()
    if reach.own_only:
        own = session.get(Worker, user.worker_id) if user.worker_id else None
        rows, total = ([own], 1) if own is not None else ([], 0)
    else:
        in_scope = scope.project_ids_in_scope(session, user)
        rows, total = repo.list_workers(
            session, scope=in_scope, q=q, project_id=project_id, limit=limit, offset=offset
        )
    items = [worker_out(w, full=False, templates=repo.template_count(session, w.id)) for w in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.post(
    "/workers",
    response_model=WorkerOut,
    status_code=201,
    dependencies=[authorized(Resource.WORKERS, WRITE)],
)
def create_worker(body: WorkerCreate, session: SessionDep, user: CurrentUser) -> WorkerOut:
    """Register an identity. To put a known worker on a project, POST an assignment instead."""
    worker = registry_service.create_worker(session, user, data=body)
    return _worker_response(session, user, worker, full=False)


@router.get(
    "/workers/{worker_id}", response_model=WorkerOut, dependencies=[authorized(Resource.WORKERS)]
)
def get_worker(
    worker_id: int, session: SessionDep, user: CurrentUser, full: Full = False
) -> WorkerOut:
    worker = registry_service.get_worker_or_raise(session, worker_id)
    return _worker_response(session, user, worker, full=full)


_WORKER_WRITE = [authorized(Resource.WORKERS, WRITE)]


@router.patch("/workers/{worker_id}", response_model=WorkerOut, dependencies=_WORKER_WRITE)
def update_worker(
    worker_id: int, body: WorkerUpdate, session: SessionDep, user: CurrentUser
) -> WorkerOut:
    worker = registry_service.get_worker_or_raise(session, worker_id)
    registry_service.update_worker(session, user, worker, data=body)
    return _worker_response(session, user, worker, full=False)


@router.put(
    "/workers/{worker_id}/consent",
    response_model=WorkerOut,
    dependencies=[authorized(Resource.CONSENT, WRITE)],
)
def set_consent(
    worker_id: int, body: ConsentIn, session: SessionDep, user: CurrentUser
) -> WorkerOut:
    """Consent to face recognition, recorded with its time; withdrawing deletes the templates.
    The worker may give or withdraw it on their own account; staff record it for them."""
    worker = registry_service.get_worker_or_raise(session, worker_id)
    registry_service.set_consent(session, user, worker, consent=body.consent)
    return _worker_response(session, user, worker, full=False)


@router.post(
    "/workers/{worker_id}/face-templates",
    response_model=FaceTemplateOut,
    status_code=201,
    dependencies=_WORKER_WRITE,
)
def add_face_template(
    worker_id: int,
    body: FaceTemplateIn,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
) -> FaceTemplateOut:
    """A 128-d encoding, stored encrypted; 409 unless the worker's consent is recorded."""
    worker = registry_service.get_worker_or_raise(session, worker_id)
    row = registry_service.add_face_template(
        session, settings, user, worker, encoding=body.encoding, source=body.source
    )
    return FaceTemplateOut(
        id=row.id, worker_id=worker.id, source=row.source, created_at=row.created_at
    )


@router.put("/workers/{worker_id}/blocklist", response_model=WorkerOut, dependencies=_WORKER_WRITE)
def set_blocklist(
    worker_id: int, body: BlocklistIn, session: SessionDep, user: CurrentUser
) -> WorkerOut:
    worker = registry_service.get_worker_or_raise(session, worker_id)
    registry_service.set_blocklist(
        session, user, worker, blocklisted=body.blocklisted, reason=body.reason
    )
    return _worker_response(session, user, worker, full=False)


# --- assignments -------------------------------------------------------------------------------


def _assignment_response(
    session: Session, assignment: Assignment, *, full: bool = False
) -> AssignmentOut:
    worker = session.get(Worker, assignment.worker_id)
    assert worker is not None  # noqa: S101 - foreign key
    cards = repo.card_uids(session, [assignment.id])[assignment.id]
    return assignment_out(assignment, worker, cards, full=full)


@router.get("/projects/{project_id}/assignments", response_model=Page[AssignmentOut])
def list_assignments(
    project_id: int,
    session: SessionDep,
    user: CurrentUser,
    _: WorkersRead,
    q: Annotated[str | None, Query(description="name or part of the ID number")] = None,
    company_id: int | None = None,
    team_id: int | None = None,
    trade: str | None = None,
    status: AssignmentStatus | None = None,
    full: Full = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[AssignmentOut]:
    """The project's roster (花名册) with filters (project-wide: not for worker accounts)."""
    if full:
        registry_service.check_full_ids(
            session, user, {project_id}, entity="roster", entity_id=None
        )
    rows, total = repo.list_assignments(
        session,
        project_id,
        q=q,
        company_id=company_id,
        team_id=team_id,
        trade=trade,
        status=status,
        limit=limit,
        offset=offset,
    )
    cards = repo.card_uids(session, [a.id for a, _ in rows])
    items = [assignment_out(a, w, cards[a.id], full=full) for a, w in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.post("/projects/{project_id}/assignments", response_model=AssignmentOut, status_code=201)
def create_assignment(
    project_id: int,
    body: AssignmentCreate,
    session: SessionDep,
    user: CurrentUser,
    project: WorkersWrite,
) -> AssignmentOut:
    if body.worker_id is not None:  # a known worker: one the caller may see
        scope.authorize(session, user, Resource.WORKERS, worker_id=body.worker_id)
    assignment = registry_service.create_assignment(session, user, project, data=body)
    return _assignment_response(session, assignment)


@router.get(
    "/projects/{project_id}/assignments/{assignment_id}",
    response_model=AssignmentOut,
    dependencies=[authorized(Resource.WORKERS)],
)
def get_assignment(
    project_id: int, assignment_id: int, session: SessionDep, user: CurrentUser, full: Full = False
) -> AssignmentOut:
    assignment = registry_service.get_assignment_or_raise(session, project_id, assignment_id)
    if full:
        registry_service.check_full_ids(
            session, user, {project_id}, entity="assignment", entity_id=assignment.id
        )
    return _assignment_response(session, assignment, full=full)


@router.patch(
    "/projects/{project_id}/assignments/{assignment_id}",
    response_model=AssignmentOut,
    dependencies=_WORKER_WRITE,
)
def update_assignment(
    project_id: int,
    assignment_id: int,
    body: AssignmentUpdate,
    session: SessionDep,
    user: CurrentUser,
) -> AssignmentOut:
    assignment = registry_service.get_assignment_or_raise(session, project_id, assignment_id)
    registry_service.update_assignment(session, user, assignment, data=body)
    return _assignment_response(session, assignment)


@router.post(
    "/projects/{project_id}/assignments/{assignment_id}/enter",
    response_model=AssignmentOut,
    dependencies=_WORKER_WRITE,
)
def enter(
    project_id: int, assignment_id: int, body: EnterIn, session: SessionDep, user: CurrentUser
) -> AssignmentOut:
    """进场 on the given date."""
    assignment = registry_service.get_assignment_or_raise(session, project_id, assignment_id)
    registry_service.enter(session, user, assignment, on=body.entered_on)
    return _assignment_response(session, assignment)


@router.post(
    "/projects/{project_id}/assignments/{assignment_id}/leave",
    response_model=AssignmentOut,
    dependencies=_WORKER_WRITE,
)
def leave(
    project_id: int, assignment_id: int, body: LeaveIn, session: SessionDep, user: CurrentUser
) -> AssignmentOut:
    """退场 on the given date."""
    assignment = registry_service.get_assignment_or_raise(session, project_id, assignment_id)
    registry_service.leave(session, user, assignment, on=body.left_on)
    return _assignment_response(session, assignment)


@router.post(
    "/projects/{project_id}/assignments/{assignment_id}/cards",
    response_model=AssignmentOut,
    status_code=201,
    dependencies=_WORKER_WRITE,
)
def bind_card(
    project_id: int, assignment_id: int, body: CardIn, session: SessionDep, user: CurrentUser
) -> AssignmentOut:
    """Bind an IC card UID (normalised to upper-case hex; unique across all projects)."""
    assignment = registry_service.get_assignment_or_raise(session, project_id, assignment_id)
    registry_service.bind_card(session, user, assignment, uid=body.uid)
    return _assignment_response(session, assignment)


@router.delete(
    "/projects/{project_id}/assignments/{assignment_id}/cards/{uid}",
    response_model=AssignmentOut,
    dependencies=_WORKER_WRITE,
)
def unbind_card(
    project_id: int, assignment_id: int, uid: str, session: SessionDep, user: CurrentUser
) -> AssignmentOut:
    assignment = registry_service.get_assignment_or_raise(session, project_id, assignment_id)
    try:
        canonical = CardIn(uid=uid).uid
    except ValueError:
        raise ValidationFailedError(
            "uid: IC卡号格式错误", "uid: malformed IC card UID", detail=[{"field": "uid"}]
        ) from None
    registry_service.unbind_card(session, user, assignment, uid=canonical)
    return _assignment_response(session, assignment)


# --- roster import -----------------------------------------------------------------------------


@router.post(
    "/projects/{project_id}/roster-import",
    response_model=ImportReportOut,
    responses={422: {"description": "nothing imported; the body lists every bad row and column"}},
)
def import_roster(
    project_id: int,
    session: SessionDep,
    user: CurrentUser,
    project: WorkersWrite,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="花名册 XLSX or CSV (UTF-8 / UTF-8-BOM / GBK)")],
    skip_bad_rows: Annotated[
        bool, Query(description="import the good rows and report the bad (default: none if any)")
    ] = False,
) -> ImportReportOut:
    data = file.file.read()
    end_transaction(session)  # no lock held while parsing (this runs in the thread pool)
    parsed = importer.parse_roster_file(
        data, file.filename, limits=settings.import_limits("roster")
    )
    report = roster_import.import_parsed_roster(
        session, user, project, parsed, filename=file.filename, skip_bad_rows=skip_bad_rows
    )
    body = ImportReportOut.model_validate(roster_import.report_dict(report))
    if report.imported == 0 and report.errors:
        first = report.errors[0]
        raise ValidationFailedError(
            f"花名册有 {len(report.errors)} 处错误,未导入任何工人;首个: {first}",
            f"{len(report.errors)} problem(s) in the roster, nothing imported; first: {first}",
            code="roster.invalid",
            detail=body.model_dump(mode="json"),
        )
    return body


@router.get("/roster-import/template.xlsx", response_class=Response)
def roster_template(user: CurrentUser, lang: str = "zh") -> Response:
    """An empty 花名册 with the headers (lang=en for English headers)."""
    return Response(
        content=importer.template_xlsx(english=lang == "en"),
        media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="roster-template.xlsx"'},
    )


@router.get(
    "/projects/{project_id}/workers.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "花名册 in the import template"}},
)
def export_workers(
    project_id: int,
    session: SessionDep,
    user: CurrentUser,
    project: WorkersRead,
    company_id: int | None = None,
    team_id: int | None = None,
    status: AssignmentStatus | None = None,
    masked: Annotated[bool, Query(description="mask ID/bank numbers even if allowed")] = False,
) -> Response:
    """The project's workers in the import template's columns: edit in Excel, import again.

    Full numbers (re-importable) for admins and the project's site managers, audited as a view;
    masked for everyone else, and the file then says it cannot be re-imported.
    """
    export = registry_service.export_workers(
        session, user, project, company_id=company_id, team_id=team_id, status=status,
        masked=masked,
    )  # fmt: skip
    name = f"{project.code}-花名册{'' if export.full else '-脱敏'}.xlsx"
    fallback = name.encode("ascii", "replace").decode().replace("?", "_")
    return Response(
        workers_xlsx.workers_xlsx(export),
        media_type=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="{fallback}"; '
            f"filename*=UTF-8''{quote(name)}",
            "Cache-Control": "no-store",  # personal data
            "X-SiteGate-Masked": "0" if export.full else "1",
        },
    )


# --- devices -----------------------------------------------------------------------------------


@router.get("/projects/{project_id}/devices", response_model=Page[DeviceOut])
def list_devices(
    project_id: int,
    session: SessionDep,
    _: DevicesRead,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[DeviceOut]:
    rows, total = repo.list_devices(session, project_id, limit=limit, offset=offset)
    return Page(items=[device_out(d) for d in rows], total=total, limit=limit, offset=offset)


@router.post("/projects/{project_id}/devices", response_model=DeviceOut, status_code=201)
def create_device(
    project_id: int,
    body: DeviceCreateIn,
    session: SessionDep,
    user: CurrentUser,
    project: DevicesWrite,
) -> DeviceOut:
    return device_out(registry_service.create_device(session, user, project, data=body))


@router.get("/projects/{project_id}/devices/{device_id}", response_model=DeviceOut)
def get_device(project_id: int, device_id: int, session: SessionDep, _: DevicesRead) -> DeviceOut:
    return device_out(registry_service.get_device_or_raise(session, project_id, device_id))


@router.patch("/projects/{project_id}/devices/{device_id}", response_model=DeviceOut)
def update_device(
    project_id: int,
    device_id: int,
    body: DeviceUpdate,
    session: SessionDep,
    user: CurrentUser,
    _: DevicesWrite,
) -> DeviceOut:
    device = registry_service.get_device_or_raise(session, project_id, device_id)
    if body.model and body.model != device.model and device.kind == "gate":
        try:
            check_gate_model(body.model)
        except ValueError as exc:  # a legacy model already stored may stay; a new one is checked
            raise ValidationFailedError(
                f"model: {exc}", f"model: {exc}", detail=[{"field": "model", "message": str(exc)}]
            ) from None
    return device_out(registry_service.update_device(session, user, device, data=body))


@router.post(
    "/projects/{project_id}/devices/{device_id}/provisioning-code",
    response_model=ProvisioningCodeOut,
    status_code=201,
)
def provisioning_code(
    project_id: int, device_id: int, session: SessionDep, user: CurrentUser, _: DevicesWrite
) -> ProvisioningCodeOut:
    """A one-time code for the gate PC, valid 24 h, shown only in this response."""
    device = registry_service.get_device_or_raise(session, project_id, device_id)
    code, expires_at = registry_service.issue_provisioning_code(session, user, device)
    return ProvisioningCodeOut(device_id=device.id, code=code, expires_at=expires_at)


# --- gate confirmers ---------------------------------------------------------------------------


@router.get("/projects/{project_id}/gate-confirmers", response_model=list[GateConfirmerOut])
def list_confirmers(
    project_id: int,
    session: SessionDep,
    _: ConfirmersRead,
    include_inactive: Annotated[bool, Query(description="also the deactivated ones")] = False,
) -> list[GateConfirmerOut]:
    """Who may confirm a worker at the project's gates (card + manager confirmation)."""
    rows = repo.list_confirmers(session, project_id, active_only=not include_inactive)
    return [GateConfirmerOut.model_validate(c) for c in rows]


@router.post(
    "/projects/{project_id}/gate-confirmers", response_model=GateConfirmerOut, status_code=201
)
def add_confirmer(
    project_id: int,
    body: GateConfirmerIn,
    session: SessionDep,
    user: CurrentUser,
    project: ConfirmersWrite,
) -> GateConfirmerOut:
    """Register a confirmer by IC card (canonical upper-case hex); the gates learn it by roster."""
    return GateConfirmerOut.model_validate(
        registry_service.add_confirmer(session, user, project, data=body)
    )


@router.post(
    "/projects/{project_id}/gate-confirmers/{confirmer_id}/deactivate",
    response_model=GateConfirmerOut,
)
def deactivate_confirmer(
    project_id: int, confirmer_id: int, session: SessionDep, user: CurrentUser, _: ConfirmersWrite
) -> GateConfirmerOut:
    confirmer = registry_service.get_confirmer_or_raise(session, project_id, confirmer_id)
    return GateConfirmerOut.model_validate(
        registry_service.deactivate_confirmer(session, user, confirmer)
    )


# --- audit -------------------------------------------------------------------------------------


@router.get("/audit", response_model=Page[AuditOut], dependencies=[authorized(Resource.AUDIT)])
def list_audit(
    session: SessionDep,
    user: CurrentUser,
    project_id: int | None = None,
    entity: str | None = None,
    user_id: int | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[AuditOut]:
    """Admins see every entry; site managers the entries of their projects."""
    if project_id is not None:
        scope.authorize(session, user, Resource.AUDIT, project_id=project_id)
    rows, total = repo.list_audit(
        session,
        scope=scope.project_ids_in_scope(session, user),
        project_id=project_id,
        entity=entity,
        user_id=user_id,
        limit=limit,
        offset=offset,
    )
    items = [AuditOut.model_validate(a) for a in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)
