"""Projects, firms, teams, workers, assignments, card bindings, face templates and gate devices."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column, validates

from models.enums import AssignmentStatus, CompanyRole, Direction, WageKind
from server.db.base import Base, BigId, IdMixin, TimestampMixin
from server.db.types import UTCDateTime
from server.registry.rules import name_sort_key


def str_enum(cls: type[Any], name: str) -> Enum:
    # Stored as plain VARCHAR with the enum's values: portable and easy to migrate.
    return Enum(
        cls, name=name, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e]
    )


class Project(IdMixin, TimestampMixin, Base):
    __tablename__ = "project"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    address: Mapped[str] = mapped_column(String(256), default="")
    region: Mapped[str] = mapped_column(String(64), default="", index=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    pay_day: Mapped[int] = mapped_column(Integer, default=15)  # day of the following month
    wage_account_bank: Mapped[str] = mapped_column(String(128), default="")
    wage_account_no: Mapped[str] = mapped_column(String(32), default="")
    notice_board: Mapped[str] = mapped_column(Text, default="")  # 维权信息告示牌
    gate_policy: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # roster/recon thresholds
    roster_version: Mapped[int] = mapped_column(Integer, default=0)
    starts_on: Mapped[dt.date | None] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)


class Company(IdMixin, TimestampMixin, Base):
    __tablename__ = "company"

    name: Mapped[str] = mapped_column(String(128))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    contact_name: Mapped[str] = mapped_column(String(64), default="")
    contact_phone: Mapped[str] = mapped_column(String(20), default="")
    blocklisted: Mapped[bool] = mapped_column(Boolean, default=False)


class ProjectCompany(IdMixin, TimestampMixin, Base):
    __tablename__ = "project_company"
    __table_args__ = (UniqueConstraint("project_id", "company_id"),)

    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id", ondelete="CASCADE"))
    role: Mapped[CompanyRole] = mapped_column(str_enum(CompanyRole, "company_role"))


class Team(IdMixin, TimestampMixin, Base):
    __tablename__ = "team"
    __table_args__ = (UniqueConstraint("project_id", "company_id", "name"),)

    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    name: Mapped[str] = mapped_column(String(64))
    leader_worker_id: Mapped[int | None] = mapped_column(
        ForeignKey("worker.id", ondelete="SET NULL")
    )


def _name_key_default(ctx: DefaultExecutionContext) -> str:
    params = ctx.get_current_parameters()  # type: ignore[no-untyped-call]  # untyped upstream
    return name_sort_key(str(params.get("name") or ""))


class Worker(IdMixin, TimestampMixin, Base):
    """Real-name identity as read off the ID card (实名制)."""

    __tablename__ = "worker"

    name: Mapped[str] = mapped_column(String(64), index=True)
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    # The ID document type (models.ids.IdType, the platform's idCardType); numbers of every
    # type share one unique column, as no two types' forms overlap.
    id_card_type: Mapped[str] = mapped_column(String(2), default="01", server_default="01")
    gender: Mapped[str] = mapped_column(String(1))
    nation: Mapped[str] = mapped_column(String(32), default="")
    birth_date: Mapped[dt.date] = mapped_column(Date)
    address: Mapped[str] = mapped_column(String(128), default="")
    id_issuer: Mapped[str] = mapped_column(String(64), default="")
    id_valid_from: Mapped[dt.date | None] = mapped_column(Date)
    id_valid_to: Mapped[dt.date | None] = mapped_column(Date)  # None: 长期 / unknown
    phone: Mapped[str | None] = mapped_column(String(20))
    bank_card: Mapped[str | None] = mapped_column(String(19))
    bank_name: Mapped[str] = mapped_column(String(64), default="")
    face_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    face_consent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    blocklisted: Mapped[bool] = mapped_column(Boolean, default=False)
    blocklist_reason: Mapped[str] = mapped_column(String(256), default="")
    # The pinyin sort key of `name` (server/registry/rules.py), kept in step with it: set by the
    # validator below on every ORM write, and by the column default on bulk INSERTs (import).
    name_key: Mapped[str] = mapped_column(String(255), default=_name_key_default, server_default="")

    @validates("name")
    def _keep_name_key(self, _key: str, value: str) -> str:
        self.name_key = name_sort_key(value)
        return value


class FaceTemplate(IdMixin, TimestampMixin, Base):
    """A 128-d encoding, Fernet-encrypted; exists only while the worker's consent is recorded."""

    __tablename__ = "face_template"

    worker_id: Mapped[int] = mapped_column(ForeignKey("worker.id", ondelete="CASCADE"), index=True)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    source: Mapped[str] = mapped_column(String(32), default="enrollment")


class FacePhoto(IdMixin, TimestampMixin, Base):
    """The worker's enrolled face picture (JPEG), which a face terminal needs where a gate PC
    needs only the 128-d template: biometric data, so Fernet-encrypted and kept only while the
    worker's face consent is recorded (withdrawal deletes it, face_templates.set_consent)."""

    __tablename__ = "face_photo"

    worker_id: Mapped[int] = mapped_column(ForeignKey("worker.id", ondelete="CASCADE"), unique=True)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    digest: Mapped[str] = mapped_column(String(64))  # of the JPEG: a new picture is re-pushed


class Assignment(IdMixin, TimestampMixin, Base):
    """A worker on a project: firm, team, trade, wage terms, contract, training, entry/exit."""

    __tablename__ = "assignment"
    __table_args__ = (UniqueConstraint("project_id", "worker_id"),)

    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    worker_id: Mapped[int] = mapped_column(ForeignKey("worker.id", ondelete="CASCADE"), index=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    trade: Mapped[str] = mapped_column(String(32), default="")
    wage_kind: Mapped[WageKind] = mapped_column(
        str_enum(WageKind, "wage_kind"), default=WageKind.DAILY
    )
    wage_rate_fen: Mapped[int] = mapped_column(BigId, default=0)  # daily rate or monthly wage
    contract_signed_on: Mapped[dt.date | None] = mapped_column(Date)
    safety_trained_on: Mapped[dt.date | None] = mapped_column(Date)
    entered_on: Mapped[dt.date | None] = mapped_column(Date)
    left_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[AssignmentStatus] = mapped_column(
        str_enum(AssignmentStatus, "assignment_status"), default=AssignmentStatus.PENDING
    )
    face_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    # Project roster version at this row's last change: the edge downloads rows above its version.
    roster_version: Mapped[int] = mapped_column(Integer, default=0, index=True)


class CardBinding(IdMixin, TimestampMixin, Base):
    __tablename__ = "card_binding"

    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignment.id", ondelete="CASCADE"), index=True
    )
    uid: Mapped[str] = mapped_column(String(20), unique=True)


class Device(IdMixin, TimestampMixin, Base):
    """A gate (or enrollment station) PC with its Ed25519 public key."""

    __tablename__ = "device"

    code: Mapped[str] = mapped_column(String(64), unique=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(128), default="")
    kind: Mapped[str] = mapped_column(String(16), default="gate")  # gate / enrollment
    direction: Mapped[Direction] = mapped_column(
        str_enum(Direction, "direction"), default=Direction.IN
    )
    model: Mapped[str] = mapped_column(String(64), default="")
    public_key: Mapped[str | None] = mapped_column(String(64))
    provisioning_code_hash: Mapped[str | None] = mapped_column(String(64))
    provisioning_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    provisioned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Ingest cursor and chain tip, kept on the row so acks need no scan of gate_event.
    highest_contiguous_seq: Mapped[int] = mapped_column(BigId, default=0)
    chain_tip_hash: Mapped[str | None] = mapped_column(String(64))
    # Every event ingest ever stored for this gate (acknowledged or above a gap) and when the
    # last was stored: the chain check compares the stored rows with these, so deleting a
    # gate's newest records (which leaves no gap) is detected (ingest.ack_check).
    acked_count: Mapped[int] = mapped_column(BigId, default=0, server_default="0")
    acked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Last heartbeat.
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_event_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    queue_depth: Mapped[int] = mapped_column(Integer, default=0)
    # Gate clock minus server clock, from the last heartbeat or refused stale request.
    clock_skew_ms: Mapped[int | None] = mapped_column(BigId)
    clock_skew_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    roster_version_seen: Mapped[int] = mapped_column(Integer, default=0)
    health: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # A face terminal (kind "terminal", server/terminals): its family (zkteco / hikvision) and
    # the serial number it reports; its records count only once a site manager approved it.
    vendor: Mapped[str] = mapped_column(String(16), default="", server_default="")
    serial_number: Mapped[str | None] = mapped_column(String(64), unique=True)
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # ISAPI terminals are also called by the server (missed events, users): where, and the
    # Digest account (the password Fernet-encrypted like face templates).
    terminal_url: Mapped[str] = mapped_column(String(255), default="", server_default="")
    terminal_user: Mapped[str] = mapped_column(String(64), default="", server_default="")
    terminal_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The highest record serial number an ISAPI terminal has sent (gaps below it are watched).
    terminal_serial_high: Mapped[int] = mapped_column(BigId, default=0, server_default="0")


class GateConfirmer(IdMixin, TimestampMixin, Base):
    """Someone the project allows to confirm a worker at its gates with their own IC card: the
    alternative to face (RULES.md 3). Never deleted, only deactivated: gate records name the
    confirmer by this row's id for as long as the records are kept."""

    __tablename__ = "gate_confirmer"
    __table_args__ = (Index("ix_gate_confirmer_project_card", "project_id", "card_uid"),)

    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    card_uid: Mapped[str] = mapped_column(String(20))  # canonical (models.ids.normalise_card_uid)
    name: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
