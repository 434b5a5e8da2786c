"""Registry API I/O. Identity numbers are validated by models.ids; responses mask ID numbers
and bank cards unless the caller may see them in full (see `router.py`, `?full=true`)."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from functools import lru_cache
from typing import Annotated, Any, ClassVar, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from sqlalchemy import Table

from drivers.config import configs_root, load_gate_profile
from drivers.errors import ConfigError
from models.enums import AssignmentStatus, CompanyRole, Direction, WageKind
from models.ids import (
    BankCard,
    CardUid,
    CreditCode,
    IdNumber,
    IdType,
    Mobile,
    mask_bank_card,
    mask_id_number,
    parse_id_number,
)
from server.registry.models import Assignment, Company, Device, Project, Team, Worker

T = TypeVar("T")


def _timezone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"未知时区 {value!r}(如 Asia/Shanghai) / unknown time zone {value!r}"
        ) from None
    return value


TimeZone = Annotated[str, AfterValidator(_timezone)]
Name = Annotated[str, Field(min_length=1, max_length=64)]


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        # Names and notes end up in XLSX exports, pages and the printed pay slip.
        if isinstance(value, str) and _CONTROL.search(value):
            raise ValueError("含有控制字符 / contains control characters")
        return value


class _Update(_In):
    """A PATCH body: absent fields stay; `null` only where the table's column allows it."""

    table: ClassVar[Table]

    @field_validator("*")
    @classmethod
    def _null_only_where_nullable(cls, value: Any, info: ValidationInfo) -> Any:
        column = cls.table.c.get(info.field_name or "")
        if value is None and column is not None and not column.nullable:
            raise ValueError("不能为空 / may not be null")
        return value


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


# --- projects ----------------------------------------------------------------------------------


class ProjectCreate(_In):
    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(min_length=1, max_length=128)
    address: str = Field(default="", max_length=256)
    region: str = Field(default="", max_length=64)
    timezone: TimeZone = "Asia/Shanghai"
    pay_day: int = Field(default=15, ge=1, le=28, description="day of the following month")
    wage_account_bank: str = Field(default="", max_length=128)
    wage_account_no: str = Field(default="", max_length=32, pattern=r"^[0-9]*$")
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None


class ProjectUpdate(_Update):
    table = Project.__table__  # type: ignore[assignment]

    name: str | None = Field(default=None, min_length=1, max_length=128)
    address: str | None = Field(default=None, max_length=256)
    region: str | None = Field(default=None, max_length=64)
    timezone: TimeZone | None = None
    pay_day: int | None = Field(default=None, ge=1, le=28)
    wage_account_bank: str | None = Field(default=None, max_length=128)
    wage_account_no: str | None = Field(default=None, max_length=32, pattern=r"^[0-9]*$")
    notice_board: str | None = Field(default=None, max_length=4000)
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None


class ProjectOut(_Out):
    id: int
    code: str
    name: str
    address: str
    region: str
    timezone: str
    pay_day: int
    wage_account_bank: str
    wage_account_no: str
    notice_board: str
    roster_version: int
    starts_on: dt.date | None
    ends_on: dt.date | None


# --- companies ---------------------------------------------------------------------------------


class CompanyCreate(_In):
    name: str = Field(min_length=1, max_length=128)
    credit_code: CreditCode
    contact_name: str = Field(default="", max_length=64)
    contact_phone: Mobile | None = None


class CompanyUpdate(_Update):
    table = Company.__table__  # type: ignore[assignment]

    name: str | None = Field(default=None, min_length=1, max_length=128)
    contact_name: str | None = Field(default=None, max_length=64)
    contact_phone: Mobile | None = None
    blocklisted: bool | None = None


class CompanyOut(_Out):
    id: int
    name: str
    credit_code: str
    contact_name: str
    contact_phone: str
    blocklisted: bool


class CompanyAttach(_In):
    role: CompanyRole


class ProjectCompanyOut(BaseModel):
    project_id: int
    company: CompanyOut
    role: CompanyRole


# --- teams -------------------------------------------------------------------------------------


class TeamCreate(_In):
    company_id: int
    name: Name
    leader_worker_id: int | None = None


class TeamUpdate(_Update):
    table = Team.__table__  # type: ignore[assignment]

    name: Name | None = None
    leader_worker_id: int | None = None


class TeamOut(_Out):
    id: int
    project_id: int
    company_id: int
    name: str
    leader_worker_id: int | None


# --- workers -----------------------------------------------------------------------------------


Gender = Literal["M", "F"]


def _number_as_type(number: str, id_type: IdType | None) -> str:
    """Re-validate a number as the type given with it (IdNumber checked it as its form implies)."""
    return number if id_type is None else parse_id_number(number, id_type)


class WorkerCreate(_In):
    """Real-name identity as read off the ID card; birth date (and gender, where the number
    carries it) come from the number. `id_card_type` defaults to the type the number's form
    implies; `gender` is needed only for a foreigner's card, whose number carries none."""

    name: Name
    id_number: IdNumber
    id_card_type: IdType | None = None
    gender: Gender | None = None
    nation: str = Field(default="", max_length=32)
    address: str = Field(default="", max_length=128)
    id_issuer: str = Field(default="", max_length=64)
    id_valid_from: dt.date | None = None
    id_valid_to: dt.date | None = None
    phone: Mobile | None = None
    bank_card: BankCard | None = None
    bank_name: str = Field(default="", max_length=64)

    @model_validator(mode="after")
    def _number_fits_type(self) -> WorkerCreate:
        if self.id_card_type is not None:
            self.id_number = _number_as_type(self.id_number, self.id_card_type)
        return self


class WorkerUpdate(_Update):
    table = Worker.__table__  # type: ignore[assignment]

    name: Name | None = None
    id_number: IdNumber | None = None
    id_card_type: IdType | None = None
    gender: Gender | None = None
    nation: str | None = Field(default=None, max_length=32)
    address: str | None = Field(default=None, max_length=128)
    id_issuer: str | None = Field(default=None, max_length=64)
    id_valid_from: dt.date | None = None
    id_valid_to: dt.date | None = None
    phone: Mobile | None = None
    bank_card: BankCard | None = None
    bank_name: str | None = Field(default=None, max_length=64)

    @model_validator(mode="after")
    def _number_fits_type(self) -> WorkerUpdate:
        # A type alone is checked against the stored number by the service. Assigning marks a
        # field as set (and so sent), hence only when there is a number.
        if self.id_number is not None:
            self.id_number = _number_as_type(self.id_number, self.id_card_type)
        return self


class WorkerOut(BaseModel):
    id: int
    name: str
    id_number: str = Field(description="masked (first 6 + last 4) unless full=true was allowed")
    id_number_masked: bool
    id_card_type: str
    gender: str
    birth_date: dt.date
    nation: str
    address: str
    id_valid_to: dt.date | None
    phone: str | None
    bank_card: str | None
    bank_name: str
    face_consent: bool
    face_consent_at: dt.datetime | None
    face_templates: int
    blocklisted: bool
    blocklist_reason: str
    warnings: list[str] = Field(default_factory=list)


class ConsentIn(_In):
    consent: bool


class FaceTemplateIn(_In):
    encoding: list[float] = Field(min_length=128, max_length=128)
    source: str = Field(default="enrollment", max_length=32)


class FaceTemplateOut(BaseModel):
    id: int
    worker_id: int
    source: str
    created_at: dt.datetime


class BlocklistIn(_In):
    blocklisted: bool
    reason: str = Field(default="", max_length=256)


# --- assignments -------------------------------------------------------------------------------


class AssignmentCreate(_In):
    """Put a worker on the project: an existing `worker_id`, or `worker` read off the ID card
    (found by ID number when already registered elsewhere, else created)."""

    worker_id: int | None = None
    worker: WorkerCreate | None = None
    company_id: int | None = None
    team_id: int | None = None
    trade: str = Field(default="", max_length=32)
    wage_kind: WageKind = WageKind.DAILY
    wage_rate_fen: int = Field(default=0, ge=0, description="daily rate or monthly wage in fen")
    contract_signed_on: dt.date | None = None
    safety_trained_on: dt.date | None = None
    face_opt_out: bool = False

    @model_validator(mode="after")
    def _one_worker(self) -> AssignmentCreate:
        if (self.worker_id is None) == (self.worker is None):
            raise ValueError(
                "须给出 worker_id 或 worker 之一 / give exactly one of worker_id, worker"
            )
        return self


class AssignmentUpdate(_Update):
    table = Assignment.__table__  # type: ignore[assignment]

    company_id: int | None = None
    team_id: int | None = None
    trade: str | None = Field(default=None, max_length=32)
    wage_kind: WageKind | None = None
    wage_rate_fen: int | None = Field(default=None, ge=0)
    contract_signed_on: dt.date | None = None
    safety_trained_on: dt.date | None = None
    face_opt_out: bool | None = None


class EnterIn(_In):
    entered_on: dt.date


class LeaveIn(_In):
    left_on: dt.date


class CardIn(_In):
    uid: CardUid


class AssignmentOut(BaseModel):
    id: int
    project_id: int
    worker_id: int
    worker_name: str
    id_number: str
    id_number_masked: bool
    company_id: int | None
    team_id: int | None
    trade: str
    wage_kind: WageKind
    wage_rate_fen: int
    contract_signed_on: dt.date | None
    safety_trained_on: dt.date | None
    entered_on: dt.date | None
    left_on: dt.date | None
    status: AssignmentStatus
    face_opt_out: bool
    card_uids: list[str]
    roster_version: int


# --- devices -----------------------------------------------------------------------------------


class DeviceCreate(_In):
    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(default="", max_length=128)
    kind: Literal["gate", "enrollment"] = "gate"
    direction: Direction = Direction.IN
    model: str = Field(default="", max_length=64, description="device model, e.g. vendor-model")


@lru_cache(maxsize=1)
def known_gate_models() -> tuple[str, ...]:
    """The gate profiles under firmware_configs/gates/ that load: what a gate's `model` names
    (the `gate_profile` in its gate.yaml). Read once, as the web form does; a broken profile is
    the firmware test's to catch and is simply not offered."""
    names = []
    for path in sorted((configs_root() / "gates").glob("*.yaml")):
        try:
            load_gate_profile(path)
        except ConfigError:
            continue
        names.append(path.stem)
    return tuple(names)


def check_gate_model(value: str) -> str:
    """A gate's model must be a known gate profile; empty means "not stated"."""
    known = known_gate_models()
    if value and value not in known:
        listed = ", ".join(known)
        raise ValueError(
            f"未知闸机型号 {value!r},可选:{listed} / unknown gate model {value!r}; known: {listed}"
        )
    return value


class DeviceCreateIn(DeviceCreate):
    """What the API and the CLI accept (the web form checks the same): a gate's model names a
    known gate profile. Rows registered before this check (e.g. `ZK-SG200`) stay as they are,
    and internal callers with no profile (the demo's emulated rig) use DeviceCreate directly;
    an enrollment station has no gate profile, so its model stays free text."""

    @field_validator("model")
    @classmethod
    def _known_model(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("kind", "gate") == "gate":
            return check_gate_model(value)
        return value


class DeviceUpdate(_Update):
    table = Device.__table__  # type: ignore[assignment]

    name: str | None = Field(default=None, max_length=128)
    direction: Direction | None = None
    model: str | None = Field(default=None, max_length=64)
    active: bool | None = None


class DeviceOut(_Out):
    id: int
    code: str
    project_id: int
    name: str
    kind: str
    direction: Direction
    model: str
    active: bool
    provisioned: bool
    provisioning_expires_at: dt.datetime | None
    last_seen_at: dt.datetime | None


class ProvisioningCodeOut(BaseModel):
    device_id: int
    code: str = Field(description="shown once; only its SHA-256 is stored")
    expires_at: dt.datetime


# --- audit and import --------------------------------------------------------------------------


class AuditOut(_Out):
    id: int
    at: dt.datetime
    user_id: int | None
    project_id: int | None
    action: str
    entity: str
    entity_id: int | None
    detail: dict[str, object]


class ImportIssueOut(BaseModel):
    row: int
    column: str | None
    header: str | None
    field: str | None
    code: str
    message_zh: str
    message_en: str


class ImportReportOut(BaseModel):
    mode: Literal["all_or_nothing", "skip_bad_rows"]
    rows: int
    imported: int
    created_workers: int
    updated_workers: int
    skipped_rows: list[int]
    errors: list[ImportIssueOut]
    warnings: list[ImportIssueOut]


# --- ORM -> output; masking happens here and nowhere else ----------------------------------------


def worker_out(
    worker: Worker, *, full: bool, templates: int = 0, warnings: list[str] | None = None
) -> WorkerOut:
    return WorkerOut(
        id=worker.id,
        name=worker.name,
        id_number=worker.id_number if full else mask_id_number(worker.id_number),
        id_number_masked=not full,
        id_card_type=worker.id_card_type,
        gender=worker.gender,
        birth_date=worker.birth_date,
        nation=worker.nation,
        address=worker.address if full else "",
        id_valid_to=worker.id_valid_to,
        phone=worker.phone,
        bank_card=(worker.bank_card if full else mask_bank_card(worker.bank_card))
        if worker.bank_card
        else None,
        bank_name=worker.bank_name,
        face_consent=worker.face_consent,
        face_consent_at=worker.face_consent_at,
        face_templates=templates,
        blocklisted=worker.blocklisted,
        blocklist_reason=worker.blocklist_reason,
        warnings=warnings or [],
    )


def assignment_out(
    assignment: Assignment, worker: Worker, card_uids: list[str], *, full: bool
) -> AssignmentOut:
    return AssignmentOut(
        id=assignment.id,
        project_id=assignment.project_id,
        worker_id=worker.id,
        worker_name=worker.name,
        id_number=worker.id_number if full else mask_id_number(worker.id_number),
        id_number_masked=not full,
        company_id=assignment.company_id,
        team_id=assignment.team_id,
        trade=assignment.trade,
        wage_kind=assignment.wage_kind,
        wage_rate_fen=assignment.wage_rate_fen,
        contract_signed_on=assignment.contract_signed_on,
        safety_trained_on=assignment.safety_trained_on,
        entered_on=assignment.entered_on,
        left_on=assignment.left_on,
        status=assignment.status,
        face_opt_out=assignment.face_opt_out,
        card_uids=card_uids,
        roster_version=assignment.roster_version,
    )


def device_out(device: Device) -> DeviceOut:
    return DeviceOut(
        id=device.id,
        code=device.code,
        project_id=device.project_id,
        name=device.name,
        kind=device.kind,
        direction=device.direction,
        model=device.model,
        active=device.active,
        provisioned=device.public_key is not None,
        provisioning_expires_at=device.provisioning_expires_at,
        last_seen_at=device.last_seen_at,
    )


# --- gate confirmers ---------------------------------------------------------------------------


class GateConfirmerIn(_In):
    """Who may confirm a worker at the project's gates (RULES.md 3), known by their IC card."""

    card_uid: CardUid
    name: str = Field(min_length=1, max_length=64)
    user_id: int | None = Field(default=None, ge=1, description="their account, if they have one")


class GateConfirmerOut(_Out):
    id: int
    project_id: int
    card_uid: str
    name: str
    user_id: int | None
    active: bool
    created_at: dt.datetime
