"""Registry orchestration: scope checks, writes, audit and roster versions. Never commits.

Every change made by a person writes `auth_service.audit(...)`; every change a gate must learn
about bumps the roster version (`versioning.bump` / `bump_for_worker`). `user=None` means a
system actor (the CLI), audited without a user.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from pydantic import BaseModel
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models.enums import AssignmentStatus, CompanyRole
from models.errors import ContractError
from models.ids import (
    IdType,
    bank_card_warning,
    gender_of,
    infer_id_type,
    mask_bank_card,
    mask_id_number,
    parse_id_number,
    resolve_identity,
)
from models.roster import Confirmer
from server.auth import scope
from server.auth import service as auth_service
from server.auth.models import User
from server.config import Settings
from server.db.types import utcnow
from server.errors import ConflictError, ForbiddenError, NotFoundError, ValidationFailedError
from server.registry import face_templates, versioning
from server.registry import repository as repo
from server.registry import settings as project_settings
from server.registry.models import (
    Assignment,
    CardBinding,
    Company,
    Device,
    FaceTemplate,
    GateConfirmer,
    Project,
    ProjectCompany,
    Team,
    Worker,
)
from server.registry.schemas import (
    AssignmentCreate,
    AssignmentUpdate,
    CompanyCreate,
    CompanyUpdate,
    DeviceCreate,
    DeviceUpdate,
    GateConfirmerIn,
    ProjectCreate,
    ProjectUpdate,
    TeamCreate,
    TeamUpdate,
    WorkerCreate,
    WorkerUpdate,
)
from server.reports import workers_xlsx

PROVISIONING_HOURS = 24
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at the gate
_SECRET_FIELDS = {"id_number": mask_id_number, "bank_card": mask_bank_card}


def _field_error(field_name: str, zh: str, en: str) -> ValidationFailedError:
    return ValidationFailedError(
        f"{field_name}: {zh}",
        f"{field_name}: {en}",
        detail=[{"field": field_name, "message": en}],
    )


def _jsonable(name: str, value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        if isinstance(value, str) and name in _SECRET_FIELDS:
            return _SECRET_FIELDS[name](value)  # the audit log is no place for full numbers
        return value
    return str(value)


def _apply(obj: Any, data: BaseModel) -> dict[str, object]:
    """Set the fields the caller sent; return {field: [before, after]} of what changed."""
    changes: dict[str, object] = {}
    for name, value in data.model_dump(exclude_unset=True).items():
        before = getattr(obj, name)
        if before != value:
            changes[name] = [_jsonable(name, before), _jsonable(name, value)]
            setattr(obj, name, value)
    return changes


# --- lookups ---------------------------------------------------------------------------------
# Who may see or change what is decided by server/auth/scope.py, which every route calls before
# these lookups run; they only find the row within its project or answer 404.


def may_see_full_ids(session: Session, user: User, project_ids: set[int]) -> bool:
    """Admins, and site managers of one of these projects (or of none yet: fresh registration):
    the policy table's FULL_IDS (server/auth)."""
    return scope.may_unmask(session, user, project_ids)


def check_full_ids(
    session: Session, user: User, project_ids: set[int], *, entity: str, entity_id: int | None
) -> None:
    """`?full=true`: refused (403) unless allowed, and audited when granted."""
    if not may_see_full_ids(session, user, project_ids):
        raise ForbiddenError()
    auth_service.audit(
        session,
        user,
        "view_full_id",
        entity,
        entity_id,
        project_id=next(iter(project_ids)) if len(project_ids) == 1 else None,
    )


def get_worker_or_raise(session: Session, worker_id: int) -> Worker:
    worker = session.get(Worker, worker_id)
    if worker is None:
        raise NotFoundError("工人", "worker")
    return worker


def get_company_or_raise(session: Session, company_id: int) -> Company:
    company = session.get(Company, company_id)
    if company is None:
        raise NotFoundError("企业", "company")
    return company


def get_assignment_or_raise(session: Session, project_id: int, assignment_id: int) -> Assignment:
    assignment = repo.get_assignment(session, project_id, assignment_id)
    if assignment is None:
        raise NotFoundError("用工记录", "assignment")
    return assignment


def get_team_or_raise(session: Session, project_id: int, team_id: int) -> Team:
    team = repo.get_team(session, project_id, team_id)
    if team is None:
        raise NotFoundError("班组", "team")
    return team


def get_device_or_raise(session: Session, project_id: int, device_id: int) -> Device:
    device = repo.get_device(session, project_id, device_id)
    if device is None:
        raise NotFoundError("设备", "device")
    return device


def get_confirmer_or_raise(session: Session, project_id: int, confirmer_id: int) -> GateConfirmer:
    confirmer = repo.get_confirmer(session, project_id, confirmer_id)
    if confirmer is None:
        raise NotFoundError("确认人", "gate confirmer")
    return confirmer


# --- projects ----------------------------------------------------------------------------------


def create_project(session: Session, user: User | None, *, data: ProjectCreate) -> Project:
    if repo.project_by_code(session, data.code) is not None:
        raise ConflictError(f"项目编号 {data.code} 已存在", f"project code {data.code} exists")
    project = Project(**data.model_dump())
    session.add(project)
    session.flush()
    auth_service.audit(
        session,
        user,
        "create",
        "project",
        project.id,
        project_id=project.id,
        detail={"code": project.code},
    )
    return project


def update_project(
    session: Session, user: User | None, project: Project, *, data: ProjectUpdate
) -> Project:
    changes = _apply(project, data)
    if changes:
        session.flush()
        auth_service.audit(
            session, user, "update", "project", project.id, project_id=project.id, detail=changes
        )
    return project


# --- project settings --------------------------------------------------------------------------


def update_settings(
    session: Session,
    user: User | None,
    project: Project,
    *,
    patch: project_settings.SettingsPatch,
) -> dict[str, list[project_settings.Scalar]]:
    """Apply a settings patch (422 naming `section.field`), audit old -> new, and bump the roster
    version when the gate policy changed so every gate downloads it."""
    applied = project_settings.apply_patch(project, patch)
    for section, values in applied.overrides.items():
        if section == project_settings.GatePolicySettings.key:
            project.gate_policy = values
        else:  # a new dict: the JSON column sees a reassignment, not an in-place edit
            project.settings = {**(project.settings or {}), section: values}
    if not applied.changes:
        return {}
    session.flush()
    if project_settings.GatePolicySettings.key in applied.overrides:
        versioning.bump(session, project.id)
    auth_service.audit(
        session,
        user,
        "update",
        "project_settings",
        project.id,
        project_id=project.id,
        detail=dict(applied.changes),
    )
    return applied.changes


# --- companies ---------------------------------------------------------------------------------


def create_company(session: Session, user: User | None, *, data: CompanyCreate) -> Company:
    if repo.company_by_credit_code(session, data.credit_code) is not None:
        raise ConflictError(
            f"统一社会信用代码 {data.credit_code} 已登记",
            f"credit code {data.credit_code} is already registered",
        )
    company = Company(**{**data.model_dump(), "contact_phone": data.contact_phone or ""})
    session.add(company)
    session.flush()
    auth_service.audit(
        session, user, "create", "company", company.id, detail={"credit_code": company.credit_code}
    )
    return company


def update_company(
    session: Session, user: User | None, company: Company, *, data: CompanyUpdate
) -> Company:
    if "contact_phone" in data.model_fields_set and data.contact_phone is None:
        data.contact_phone = ""
    changes = _apply(company, data)
    if changes:
        session.flush()
        auth_service.audit(session, user, "update", "company", company.id, detail=changes)
    return company


def attach_company(
    session: Session, user: User | None, project: Project, company: Company, *, role: CompanyRole
) -> ProjectCompany:
    """Put a firm on the project with its role (or change the role)."""
    link = repo.project_company(session, project.id, company.id)
    if role == CompanyRole.GENERAL_CONTRACTOR:
        others = [
            c
            for pc, c in repo.project_companies(session, project.id)
            if pc.role == CompanyRole.GENERAL_CONTRACTOR and c.id != company.id
        ]
        if others:
            raise ConflictError(
                f"项目已有施工总承包单位 {others[0].name}",
                f"the project already has a general contractor ({others[0].name})",
            )
    if link is None:
        link = ProjectCompany(project_id=project.id, company_id=company.id, role=role)
        session.add(link)
    else:
        link.role = role
    session.flush()
    auth_service.audit(
        session,
        user,
        "attach",
        "project_company",
        company.id,
        project_id=project.id,
        detail={"role": role.value},
    )
    return link


def detach_company(session: Session, user: User | None, project: Project, company: Company) -> None:
    link = repo.project_company(session, project.id, company.id)
    if link is None:
        raise NotFoundError("项目参建企业", "company on this project")
    if any(
        a.company_id == company.id for a in repo.assignments_by_worker(session, project.id).values()
    ):
        raise ConflictError(
            "该企业在本项目还有工人,不能移除", "the company still has workers on this project"
        )
    session.delete(link)
    session.flush()
    auth_service.audit(
        session, user, "detach", "project_company", company.id, project_id=project.id
    )


def _require_on_project(
    session: Session, project_id: int, company_id: int, field_name: str
) -> None:
    if repo.project_company(session, project_id, company_id) is None:
        raise _field_error(field_name, "该企业未加入本项目", "the company is not on this project")


# --- teams -------------------------------------------------------------------------------------


def _check_leader(session: Session, project_id: int, worker_id: int | None) -> None:
    if worker_id is not None and repo.assignment_for(session, project_id, worker_id) is None:
        raise _field_error(
            "leader_worker_id",
            "班组长须是本项目的工人",
            "the leader must be a worker on this project",
        )


def create_team(session: Session, user: User | None, project: Project, *, data: TeamCreate) -> Team:
    _require_on_project(session, project.id, data.company_id, "company_id")
    _check_leader(session, project.id, data.leader_worker_id)
    if repo.team_by_name(session, project.id, data.company_id, data.name) is not None:
        raise ConflictError(f"班组 {data.name} 已存在", f"team {data.name} already exists")
    team = Team(project_id=project.id, **data.model_dump())
    session.add(team)
    session.flush()
    auth_service.audit(
        session, user, "create", "team", team.id, project_id=project.id, detail={"name": team.name}
    )
    return team


def update_team(session: Session, user: User | None, team: Team, *, data: TeamUpdate) -> Team:
    if "leader_worker_id" in data.model_fields_set:
        _check_leader(session, team.project_id, data.leader_worker_id)
    renamed = data.name is not None and data.name != team.name
    if renamed and repo.team_by_name(session, team.project_id, team.company_id, str(data.name)):
        raise ConflictError(f"班组 {data.name} 已存在", f"team {data.name} already exists")
    changes = _apply(team, data)
    if changes:
        session.flush()
        auth_service.audit(
            session, user, "update", "team", team.id, project_id=team.project_id, detail=changes
        )
    return team


# --- workers -----------------------------------------------------------------------------------


def worker_warnings(worker: Worker) -> list[str]:
    """Non-blocking findings to show next to the record (e.g. a bank card failing Luhn)."""
    out = []
    if worker.bank_card and (w := bank_card_warning(worker.bank_card)):
        out.append(w)
    return out


def _identity(
    number: str, id_type: IdType | None, gender: str | None, born: dt.date | None = None
) -> tuple[IdType, str, dt.date]:
    try:
        return resolve_identity(number, id_type, gender, born)
    except ContractError as exc:
        field = "gender" if exc.code.startswith("id.gender") else "id_number"
        raise _field_error(field, exc.message_zh, exc.message_en) from None


def create_worker(session: Session, user: User | None, *, data: WorkerCreate) -> Worker:
    """Register a real-name identity; gender and birth date come from the ID number."""
    if repo.worker_by_id_number(session, data.id_number) is not None:
        raise ConflictError(
            f"身份证号 {mask_id_number(data.id_number)} 已登记",
            f"ID number {mask_id_number(data.id_number)} is already registered",
        )
    id_type, gender, born = _identity(data.id_number, data.id_card_type, data.gender)
    worker = Worker(
        **data.model_dump(exclude={"id_card_type", "gender"}),
        id_card_type=id_type.value,
        gender=gender,
        birth_date=born,
    )
    session.add(worker)
    session.flush()
    auth_service.audit(
        session,
        user,
        "create",
        "worker",
        worker.id,
        detail={"id_number": mask_id_number(worker.id_number)},
    )
    return worker


def update_worker(
    session: Session, user: User | None, worker: Worker, *, data: WorkerUpdate
) -> Worker:
    """An identity change reaches every gate of the worker's projects."""
    if (
        data.id_number is not None
        and data.id_number != worker.id_number
        and repo.worker_by_id_number(session, data.id_number) is not None
    ):
        raise ConflictError(
            f"身份证号 {mask_id_number(data.id_number)} 已属于另一名工人",
            f"ID number {mask_id_number(data.id_number)} belongs to another worker",
        )
    if data.id_number is not None or data.id_card_type is not None or data.gender is not None:
        number = data.id_number or worker.id_number
        given_type = data.id_card_type
        if given_type is None and data.id_number is not None:
            given_type = infer_id_type(number)
        if given_type is not None and data.id_number is None:
            try:  # a new type alone must fit the stored number
                parse_id_number(number, given_type)
            except ContractError as exc:
                raise _field_error("id_card_type", exc.message_zh, exc.message_en) from None
        # A number without a gender digit keeps the gender on record unless a new one is given.
        kept_gender = data.gender or (None if gender_of(number) else worker.gender)
        id_type, gender, born = _identity(
            number, given_type or IdType(worker.id_card_type), kept_gender, worker.birth_date
        )
        worker.birth_date = born
        if "id_card_type" not in data.model_fields_set:  # _apply below audits the sent ones
            worker.id_card_type = id_type.value
        if "gender" not in data.model_fields_set:
            worker.gender = gender
    if "name" in data.model_fields_set and data.name is None:
        raise _field_error("name", "姓名不能为空", "name cannot be empty")
    changes = _apply(worker, data)
    if changes:
        session.flush()
        auth_service.audit(session, user, "update", "worker", worker.id, detail=changes)
        versioning.bump_for_worker(session, worker.id)
    return worker


def set_consent(session: Session, user: User | None, worker: Worker, *, consent: bool) -> Worker:
    """Record consent with its time; withdrawing it deletes every template."""
    face_templates.set_consent(session, worker, consent)
    session.flush()
    auth_service.audit(
        session,
        user,
        "consent" if consent else "withdraw_consent",
        "worker",
        worker.id,
        detail={
            "face_consent": consent,
            "at": worker.face_consent_at.isoformat() if worker.face_consent_at else None,
        },
    )
    versioning.bump_for_worker(session, worker.id)
    return worker


def add_face_template(
    session: Session,
    settings: Settings,
    user: User | None,
    worker: Worker,
    *,
    encoding: list[float],
    source: str = "enrollment",
) -> FaceTemplate:
    """Encrypted at rest; refused with 409 without recorded consent."""
    row = face_templates.add_template(session, settings, worker, encoding, source)
    auth_service.audit(
        session, user, "add_template", "worker", worker.id, detail={"template_id": row.id}
    )
    versioning.bump_for_worker(session, worker.id)
    return row


def set_blocklist(
    session: Session, user: User | None, worker: Worker, *, blocklisted: bool, reason: str = ""
) -> Worker:
    if blocklisted and not reason:
        raise _field_error("reason", "列入黑名单须填写原因", "blocklisting needs a reason")
    worker.blocklisted = blocklisted
    worker.blocklist_reason = reason if blocklisted else ""
    session.flush()
    auth_service.audit(
        session,
        user,
        "blocklist" if blocklisted else "unblocklist",
        "worker",
        worker.id,
        detail={"reason": reason},
    )
    versioning.bump_for_worker(session, worker.id)
    return worker


# --- assignments -------------------------------------------------------------------------------


def _check_assignment_refs(
    session: Session, project_id: int, company_id: int | None, team_id: int | None
) -> None:
    if company_id is not None:
        _require_on_project(session, project_id, company_id, "company_id")
    if team_id is not None:
        team = repo.get_team(session, project_id, team_id)
        if team is None:
            raise _field_error("team_id", "班组不属于本项目", "the team is not on this project")
        if company_id is not None and team.company_id != company_id:
            raise _field_error("team_id", "班组不属于该企业", "the team belongs to another company")


def create_assignment(
    session: Session, user: User | None, project: Project, *, data: AssignmentCreate
) -> Assignment:
    """Put a worker on the project (status pending until `enter`)."""
    if data.worker is not None:
        worker = repo.worker_by_id_number(session, data.worker.id_number)
        if worker is None:
            worker = create_worker(session, user, data=data.worker)
    else:
        assert data.worker_id is not None  # noqa: S101 - the schema requires one of the two
        found = session.get(Worker, data.worker_id)
        if found is None:
            raise _field_error("worker_id", "工人不存在", "no such worker")
        worker = found
    if repo.assignment_for(session, project.id, worker.id) is not None:
        raise ConflictError("该工人已在本项目花名册中", "the worker is already on this project")
    if data.team_id is not None and data.company_id is None:
        team = repo.get_team(session, project.id, data.team_id)
        data.company_id = team.company_id if team else None
    _check_assignment_refs(session, project.id, data.company_id, data.team_id)
    assignment = Assignment(
        project_id=project.id,
        worker_id=worker.id,
        status=AssignmentStatus.PENDING,
        **data.model_dump(exclude={"worker", "worker_id"}),
    )
    session.add(assignment)
    session.flush()
    auth_service.audit(
        session,
        user,
        "create",
        "assignment",
        assignment.id,
        project_id=project.id,
        detail={"worker_id": worker.id},
    )
    versioning.bump(session, project.id, [assignment.id])
    return assignment


def update_assignment(
    session: Session, user: User | None, assignment: Assignment, *, data: AssignmentUpdate
) -> Assignment:
    company_id = data.company_id if "company_id" in data.model_fields_set else assignment.company_id
    team_id = data.team_id if "team_id" in data.model_fields_set else assignment.team_id
    _check_assignment_refs(session, assignment.project_id, company_id, team_id)
    for name in ("trade", "wage_kind", "wage_rate_fen", "face_opt_out"):
        if name in data.model_fields_set and getattr(data, name) is None:
            raise _field_error(name, "不能为空", "cannot be null")
    changes = _apply(assignment, data)
    if changes:
        session.flush()
        auth_service.audit(
            session,
            user,
            "update",
            "assignment",
            assignment.id,
            project_id=assignment.project_id,
            detail=changes,
        )
        versioning.bump(session, assignment.project_id, [assignment.id])
    return assignment


def enter(
    session: Session, user: User | None, assignment: Assignment, *, on: dt.date
) -> Assignment:
    """进场: active from `on`; re-entering after a leave clears the exit date."""
    if assignment.status == AssignmentStatus.ACTIVE:
        raise ConflictError("该工人已进场", "the worker has already entered")
    assignment.entered_on = on
    assignment.left_on = None
    assignment.status = AssignmentStatus.ACTIVE
    session.flush()
    auth_service.audit(
        session,
        user,
        "enter",
        "assignment",
        assignment.id,
        project_id=assignment.project_id,
        detail={"entered_on": on.isoformat()},
    )
    versioning.bump(session, assignment.project_id, [assignment.id])
    return assignment


def leave(
    session: Session, user: User | None, assignment: Assignment, *, on: dt.date
) -> Assignment:
    """退场. Face templates go too when no other project holds the worker (RULES: privacy)."""
    if assignment.status != AssignmentStatus.ACTIVE:
        raise ConflictError(
            "该工人未进场或已退场,不能退场",
            "the worker has not entered (or has left); cannot leave",
        )
    if assignment.entered_on is not None and on < assignment.entered_on:
        raise _field_error(
            "left_on", "退场日期早于进场日期", "the exit date is before the entry date"
        )
    assignment.left_on = on
    assignment.status = AssignmentStatus.LEFT
    session.flush()
    auth_service.audit(
        session,
        user,
        "leave",
        "assignment",
        assignment.id,
        project_id=assignment.project_id,
        detail={"left_on": on.isoformat()},
    )
    versioning.bump(session, assignment.project_id, [assignment.id])
    if repo.other_open_assignments(session, assignment.worker_id, assignment.id) == 0:
        worker = session.get(Worker, assignment.worker_id)
        if worker is not None and repo.template_count(session, worker.id):
            session.execute(delete(FaceTemplate).where(FaceTemplate.worker_id == worker.id))
            versioning.bump_for_worker(session, worker.id)
    return assignment


def bind_card(
    session: Session, user: User | None, assignment: Assignment, *, uid: str
) -> CardBinding:
    """`uid` already normalised (models.ids.normalise_card_uid); unique across all projects."""
    existing = repo.card_by_uid(session, uid)
    if existing is not None:
        if existing.assignment_id == assignment.id:
            return existing
        raise ConflictError(
            f"IC卡 {uid} 已绑定给其他工人",
            f"IC card {uid} is bound to another worker",
            detail=[{"field": "uid", "message": "card already bound"}],
        )
    card = CardBinding(assignment_id=assignment.id, uid=uid)
    session.add(card)
    session.flush()
    auth_service.audit(
        session,
        user,
        "bind_card",
        "assignment",
        assignment.id,
        project_id=assignment.project_id,
        detail={"uid": uid},
    )
    versioning.bump(session, assignment.project_id, [assignment.id])
    return card


def unbind_card(session: Session, user: User | None, assignment: Assignment, *, uid: str) -> None:
    card = repo.card_by_uid(session, uid)
    if card is None or card.assignment_id != assignment.id:
        raise NotFoundError("IC卡", "card")
    session.delete(card)
    session.flush()
    auth_service.audit(
        session,
        user,
        "unbind_card",
        "assignment",
        assignment.id,
        project_id=assignment.project_id,
        detail={"uid": uid},
    )
    versioning.bump(session, assignment.project_id, [assignment.id])


# --- devices -----------------------------------------------------------------------------------


def create_device(
    session: Session, user: User | None, project: Project, *, data: DeviceCreate
) -> Device:
    if repo.device_by_code(session, data.code) is not None:
        raise ConflictError(f"设备编号 {data.code} 已存在", f"device code {data.code} exists")
    device = Device(project_id=project.id, **data.model_dump())
    session.add(device)
    session.flush()
    auth_service.audit(
        session,
        user,
        "create",
        "device",
        device.id,
        project_id=project.id,
        detail={"code": device.code, "direction": device.direction.value},
    )
    return device


def update_device(
    session: Session, user: User | None, device: Device, *, data: DeviceUpdate
) -> Device:
    for name in ("direction", "active"):
        if name in data.model_fields_set and getattr(data, name) is None:
            raise _field_error(name, "不能为空", "cannot be null")
    changes = _apply(device, data)
    if changes:
        session.flush()
        auth_service.audit(
            session,
            user,
            "update",
            "device",
            device.id,
            project_id=device.project_id,
            detail=changes,
        )
    return device


def provisioning_code_hash(code: str) -> str:
    """SHA-256 of the code as typed, ignoring case, spaces and dashes (for the provision route)."""
    canonical = "".join(c for c in code.upper() if c.isalnum())
    return hashlib.sha256(canonical.encode()).hexdigest()


def issue_provisioning_code(
    session: Session, user: User | None, device: Device, *, valid_hours: int = PROVISIONING_HOURS
) -> tuple[str, dt.datetime]:
    """A one-time code (shown once) for a gate PC to register its key; replaces any earlier one."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
    code = f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
    device.provisioning_code_hash = provisioning_code_hash(code)
    device.provisioning_expires_at = utcnow() + dt.timedelta(hours=valid_hours)
    session.flush()
    auth_service.audit(
        session,
        user,
        "provisioning_code",
        "device",
        device.id,
        project_id=device.project_id,
        detail={"expires_at": device.provisioning_expires_at.isoformat()},
    )
    return code, device.provisioning_expires_at


# --- worker list export (花名册导出) ----------------------------------------------------------


def export_workers(
    session: Session,
    user: User | None,
    project: Project,
    *,
    company_id: int | None = None,
    team_id: int | None = None,
    status: AssignmentStatus | None = None,
    masked: bool = False,
    now: dt.datetime | None = None,
) -> workers_xlsx.WorkerExport:
    """The project's workers in the import template's shape (server/reports/workers_xlsx).

    Full ID and bank numbers, so the file can be edited and imported again, only for whoever
    may see them (admins, the project's site managers, the CLI as system actor); that export is
    audited as a view of full numbers. Everyone else, or `masked`, gets masked numbers.
    """
    full = not masked and (user is None or may_see_full_ids(session, user, {project.id}))
    stmt = (
        select(Assignment, Worker)
        .join(Worker, Worker.id == Assignment.worker_id)
        .where(Assignment.project_id == project.id)
        .order_by(Worker.name, Assignment.id)
    )
    if company_id is not None:
        stmt = stmt.where(Assignment.company_id == company_id)
    if team_id is not None:
        stmt = stmt.where(Assignment.team_id == team_id)
    if status is not None:
        stmt = stmt.where(Assignment.status == status)
    rows = [(a, w) for a, w in session.execute(stmt)]
    companies = {c.id: c for _, c in repo.project_companies(session, project.id)}
    names = [c.name for c in companies.values()]
    teams = {t.id: t for t in session.scalars(select(Team).where(Team.project_id == project.id))}
    cards = repo.card_uids(session, [a.id for a, _ in rows])

    def company_ref(company_id: int | None) -> str | None:
        if company_id is None:
            return None
        company = companies.get(company_id) or session.get(Company, company_id)
        if company is None:
            return None
        # the importer looks a company up by credit code, then by name: a shared name is ambiguous
        return company.name if names.count(company.name) == 1 else company.credit_code

    lines = []
    for a, w in rows:
        team = teams.get(a.team_id) if a.team_id is not None else None
        uids = cards[a.id]
        lines.append(
            workers_xlsx.WorkerLine(
                name=w.name,
                id_number=w.id_number if full else mask_id_number(w.id_number),
                phone=w.phone,
                bank_card=(w.bank_card if full else mask_bank_card(w.bank_card))
                if w.bank_card
                else None,
                bank_name=w.bank_name,
                company=company_ref(a.company_id),
                # a team without the company column is refused on import
                team=team.name if team is not None and a.company_id is not None else None,
                trade=a.trade,
                wage_kind=a.wage_kind,
                wage_rate_fen=a.wage_rate_fen,
                contract_signed_on=a.contract_signed_on,
                safety_trained_on=a.safety_trained_on,
                # in the template a filled entry date means "has entered": a pending worker's
                # would turn active on re-import
                entered_on=a.entered_on if a.status != AssignmentStatus.PENDING else None,
                card_uid=uids[0] if uids else None,
                extra_cards=max(len(uids) - 1, 0),
                id_card_type=IdType(w.id_card_type),
                gender=w.gender,
            )
        )
    filters = []
    if company_id is not None:
        filters.append(f"企业 company: {company_ref(company_id) or company_id}")
    if team_id is not None:
        found = teams.get(team_id)
        filters.append(f"班组 team: {found.name if found else team_id}")
    if status is not None:
        filters.append(f"状态 status: {status.value}")
    if full:
        auth_service.audit(
            session,
            user,
            "view_full_id",
            "worker_export",
            None,
            project_id=project.id,
            detail={"workers": len(lines), "filters": "; ".join(filters)},
        )
    return workers_xlsx.WorkerExport(
        project_code=project.code,
        project_name=project.name,
        timezone=project.timezone,
        exported_at=now or utcnow(),
        full=full,
        filters="; ".join(filters),
        lines=lines,
    )


# --- gate confirmers (RULES.md 3: card + manager confirmation) ---------------------------------


def add_confirmer(
    session: Session, user: User | None, project: Project, *, data: GateConfirmerIn
) -> GateConfirmer:
    """Allow someone to confirm workers at the project's gates; the gates learn it by roster."""
    if repo.active_confirmer_by_card(session, project.id, data.card_uid) is not None:
        raise ConflictError(
            f"card_uid: IC卡 {data.card_uid} 已是本项目的确认人卡",
            f"card_uid: IC card {data.card_uid} already belongs to an active confirmer here",
            detail=[{"field": "card_uid", "message": "already an active confirmer's card"}],
        )
    if data.user_id is not None and session.get(User, data.user_id) is None:
        raise _field_error("user_id", "用户不存在", "no such user")
    confirmer = GateConfirmer(
        project_id=project.id,
        card_uid=data.card_uid,
        name=data.name,
        user_id=data.user_id,
        active=True,
    )
    session.add(confirmer)
    session.flush()
    auth_service.audit(
        session,
        user,
        "add_confirmer",
        "gate_confirmer",
        confirmer.id,
        project_id=project.id,
        detail={"card_uid": data.card_uid, "name": data.name, "user_id": data.user_id},
    )
    versioning.bump(session, project.id)
    return confirmer


def deactivate_confirmer(
    session: Session, user: User | None, confirmer: GateConfirmer
) -> GateConfirmer:
    """The card stops confirming at the next roster download; the row stays for the records."""
    if not confirmer.active:
        return confirmer
    confirmer.active = False
    session.flush()
    auth_service.audit(
        session,
        user,
        "deactivate_confirmer",
        "gate_confirmer",
        confirmer.id,
        project_id=confirmer.project_id,
        detail={"card_uid": confirmer.card_uid},
    )
    versioning.bump(session, confirmer.project_id)
    return confirmer


def confirmers_for_roster(session: Session, project_id: int) -> list[Confirmer]:
    """The project's active confirmers as the gates receive them with every roster download."""
    return [
        Confirmer(confirmer_id=c.id, card_uid=c.card_uid, name=c.name, user_id=c.user_id)
        for c in repo.list_confirmers(session, project_id, active_only=True)
    ]
