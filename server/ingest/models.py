"""Gate events as received, the chain breaks found on ingest, and the on-demand full chain check."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    Float,
    ForeignKey,
    Index,
    String,
    Table,
    UniqueConstraint,
    Uuid,
    type_coerce,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.enums import (
    CredentialKind,
    DenyReason,
    Direction,
    GateMode,
    GateResult,
    LivenessResult,
    RecordPurpose,
)
from server.db.base import Base, BigId, IdMixin
from server.db.types import UTCDateTime, utcnow
from server.registry.models import str_enum


class GateEventRow(IdMixin, Base):
    __tablename__ = "gate_event"
    __table_args__ = (
        UniqueConstraint("device_id", "seq"),
        # Covering for the monthly roster (rosters.service): its range scan reads worker,
        # direction and result from the index, without a table lookup per event; `purpose`
        # too, since only pass attempts (purpose NULL) count.
        Index(
            "ix_gate_event_project_time_cover",
            "project_id",
            "device_time",
            "worker_id",
            "direction",
            "result",
            "voided_by_seq",
            "purpose",
        ),
        Index("ix_gate_event_worker_time", "worker_id", "device_time"),
        # A face terminal re-sends; its records are stored once (server/terminals/receipt.py).
        UniqueConstraint("device_id", "terminal_ref"),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"))
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"))
    seq: Mapped[int] = mapped_column(BigId)
    device_time: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    direction: Mapped[Direction] = mapped_column(str_enum(Direction, "direction"))
    mode: Mapped[GateMode] = mapped_column(str_enum(GateMode, "gate_mode"))
    credential: Mapped[CredentialKind | None] = mapped_column(
        str_enum(CredentialKind, "credential")
    )
    credential_ref: Mapped[str | None] = mapped_column(String(64))
    worker_id: Mapped[int | None] = mapped_column(BigId)  # as the device saw it; may be unknown
    result: Mapped[GateResult] = mapped_column(str_enum(GateResult, "gate_result"))
    reason: Mapped[DenyReason | None] = mapped_column(str_enum(DenyReason, "deny_reason"))
    face_score: Mapped[float | None] = mapped_column(Float)
    # Hashed: on a "not passed" follow-up record (reason relay_failed), the seq of the granted
    # record of the same gate whose pass did not happen.
    voids_seq: Mapped[int | None] = mapped_column(BigId)
    # Hashed: NULL for a pass attempt; wage_confirm for a worker's confirmation of the wage
    # line whose shown_hash is subject_hash (server/ingest/wage_confirm.py). Not attendance.
    purpose: Mapped[RecordPurpose | None] = mapped_column(str_enum(RecordPurpose, "record_purpose"))
    subject_hash: Mapped[str | None] = mapped_column(String(64))
    # Hashed: on a checkpoint record, the device's seal (models.checkpoint.Checkpoint fields).
    checkpoint: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Hashed: the live-person check of a face attempt (passed / failed / timeout), or NULL.
    liveness: Mapped[LivenessResult | None] = mapped_column(
        str_enum(LivenessResult, "liveness_result")
    )
    # Hashed: a face terminal's own identity of the record, which the server sealed on receipt
    # (not device-signed); NULL for a record signed by the gate itself.
    terminal_ref: Mapped[str | None] = mapped_column(String(128))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))
    chain_ok: Mapped[bool] = mapped_column(Boolean, default=True)
    # Not hashed, ingest's bookkeeping: the seq of the follow-up record that says this granted
    # pass did not happen; rosters count only granted records that are not voided.
    voided_by_seq: Mapped[int | None] = mapped_column(BigId)
    # Not hashed: the gate's clock minus the server's when its batch was received (seconds),
    # from the clock the gate reports with each batch; None for older gates.
    clock_skew_s: Mapped[int | None] = mapped_column(BigId)


class ChainBreak(IdMixin, Base):
    """A hash-chain problem found on ingest: never silently accepted or dropped."""

    __tablename__ = "chain_break"
    __table_args__ = (UniqueConstraint("device_id", "seq", "kind"),)

    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    seq: Mapped[int] = mapped_column(BigId)
    kind: Mapped[str] = mapped_column(String(32))  # prev_mismatch / bad_hash / bad_signature / fork
    expected: Mapped[str] = mapped_column(String(128), default="")
    got: Mapped[str] = mapped_column(String(128), default="")
    detected_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class GateCheckpoint(IdMixin, Base):
    """Ingest's check of a device-signed checkpoint (server/ingest/checkpoints.py) against the
    records stored for its range. The checkpoint itself is the gate_event row at (device, seq);
    this row says whether what is stored adds up to it: `verified`, `mismatch` (with the
    problems) or `pending` while records of its range are still to arrive."""

    __tablename__ = "gate_checkpoint"
    __table_args__ = (
        UniqueConstraint("device_id", "seq"),
        Index("ix_gate_checkpoint_project_received", "project_id", "received_at"),
    )

    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"))
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"))
    seq: Mapped[int] = mapped_column(BigId)
    from_seq: Mapped[int] = mapped_column(BigId)
    to_seq: Mapped[int] = mapped_column(BigId)
    count: Mapped[int] = mapped_column(BigId)
    day: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(16))
    tip_hash: Mapped[str] = mapped_column(String(64))
    records_root: Mapped[str] = mapped_column(String(64))
    workers_root: Mapped[str] = mapped_column(String(64))
    prev_checkpoint_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))  # the checkpoint record's chain hash
    key_fingerprint: Mapped[str] = mapped_column(String(16), default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class ChainCheck(IdMixin, Base):
    """The latest full re-check of a project's gate chains (server/ingest/chain_check.py): one
    row per project, so its progress and result survive a reload and are the same for every
    server process. `state` running / done / failed; a running check whose `beat_at` is old
    (its process died) may be started again."""

    __tablename__ = "chain_check"
    __table_args__ = (UniqueConstraint("project_id"),)

    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16), default="running")
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    beat_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    started_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    gates_total: Mapped[int] = mapped_column(BigId, default=0)
    gates_done: Mapped[int] = mapped_column(BigId, default=0)
    events_total: Mapped[int] = mapped_column(BigId, default=0)
    events_done: Mapped[int] = mapped_column(BigId, default=0)
    problems_total: Mapped[int] = mapped_column(BigId, default=0)
    # Per gate: {"device_id", "code", "events", "intact", "problems_total", "problems": [...]}
    result: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    error: Mapped[str] = mapped_column(String(500), default="")


# Columns stored as the values of an enum (VARCHAR, no CHECK constraint on either backend).
ENUM_TYPES: dict[str, type[StrEnum]] = {
    "direction": Direction,
    "mode": GateMode,
    "credential": CredentialKind,
    "result": GateResult,
    "reason": DenyReason,
    "purpose": RecordPurpose,
    "liveness": LivenessResult,
}
ENUM_COLUMNS = tuple(ENUM_TYPES)
NULLABLE_ENUM_COLUMNS = ("credential", "reason", "purpose", "liveness")

E = TypeVar("E", bound=StrEnum)


def stored_text_columns() -> list[ColumnElement[Any]]:
    """Every gate_event column, the enum ones read as their stored text.

    Reading an enum column through its Enum type raises on a value outside the enum (a row edited
    in the database), so paths that must survive a tampered row read the text and decide.
    """
    table: Table = GateEventRow.__table__  # type: ignore[assignment]
    return [type_coerce(c, String).label(c.name) if c.name in ENUM_COLUMNS else c for c in table.c]


def enum_or_none(cls: type[E], text: str | None) -> E | None:
    """The member whose value is the stored text, or None when there is none."""
    if text is None:
        return None
    try:
        return cls(text)
    except ValueError:
        return None


def stored_enum_errors(fields: dict[str, Any]) -> list[tuple[str, str]]:
    """(column, stored text) of each enum column whose text is no value of its enum."""
    out: list[tuple[str, str]] = []
    for column, cls in ENUM_TYPES.items():
        text = fields.get(column)
        if text is None and column in NULLABLE_ENUM_COLUMNS:
            continue
        if text is None or enum_or_none(cls, str(text)) is None:
            out.append((column, "" if text is None else str(text)))
    return out
