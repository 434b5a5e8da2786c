"""The gate event: every attempt at a gate, granted or refused, chained per device by hash.

hash = SHA-256(prev_hash || canonical_bytes(event)); the device signs the hash with its Ed25519
key. The canonical form normalises device_time to UTC with microseconds, so the server can recompute
the hash from its stored columns years later and show the record is unaltered.

Most records are pass attempts. A record with a `purpose` is another act of a person at a device,
sealed into the same chain (a worker's wage confirmation at a station): it never counts as a pass.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from models.checkpoint import Checkpoint
from models.enums import (
    CredentialKind,
    DenyReason,
    Direction,
    GateMode,
    GateResult,
    LivenessResult,
    RecordPurpose,
)

GENESIS_HASH = "0" * 64


class GateEventBody(BaseModel):
    """The fields that are hashed. Order and representation are fixed by `canonical_bytes`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: uuid.UUID
    device_id: str = Field(min_length=1, max_length=64, description="device code, e.g. GATE-A-IN")
    seq: int = Field(ge=1, description="the device's monotonic sequence number, from 1")
    device_time: AwareDatetime
    direction: Direction
    mode: GateMode
    credential: CredentialKind | None = None
    credential_ref: str | None = Field(
        default=None, max_length=64, description="masked ID number or card UID; never a full ID"
    )
    worker_id: int | None = Field(default=None, description="server worker id from the roster")
    result: GateResult
    reason: DenyReason | None = None
    face_score: float | None = Field(default=None, ge=0.0, le=2.0, description="face distance")
    voids_seq: int | None = Field(
        default=None,
        ge=1,
        description="on a refused relay_failed record: the seq of this gate's granted record "
        "whose pass did not happen",
    )
    purpose: RecordPurpose | None = Field(
        default=None,
        description="None: a pass attempt at a gate; wage_confirm: a worker's confirmation of "
        "the wage line named by subject_hash (never counted as attendance)",
    )
    subject_hash: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="on a wage_confirm record: the shown_hash of the line the worker confirmed",
    )
    checkpoint: Checkpoint | None = Field(
        default=None,
        description="on a checkpoint record: the device's seal over the records since its "
        "previous checkpoint (models.checkpoint)",
    )
    terminal_ref: str | None = Field(
        default=None,
        max_length=128,
        pattern=r"^(zkteco|hikvision):[^:\s]{1,64}:[^\s]{1,60}$",
        description="set when a face terminal (ZKTeco PUSH, Hikvision ISAPI) decided and the "
        "SERVER sealed the record on receipt, so it is not device-signed: `<vendor>:<serial "
        "number>:<the terminal's own record serial, or the digest of its ATTLOG line>`",
    )
    liveness: LivenessResult | None = Field(
        default=None,
        description="the live-person check of a face attempt where the project asks for one "
        "(GatePolicy.liveness log or require): passed, failed or timeout; None when not checked",
    )
    prev_hash: str = Field(pattern=r"^[0-9a-f]{64}$")

    @field_validator("face_score")
    @classmethod
    def _round_score(cls, v: float | None) -> float | None:
        # Four decimals: stable across JSON, SQLite REAL and PostgreSQL float8 round trips.
        return None if v is None else round(v, 4)

    def canonical_bytes(self) -> bytes:
        return canonical_bytes(self.model_dump(mode="python"))


class GateEvent(GateEventBody):
    """A body plus its hash and the device's signature over the hash."""

    hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    signature: str = Field(default="", max_length=256, description="hex Ed25519 signature of hash")


def _utc_text(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# Fields added after the first gates shipped: left out of the canonical form while None, so
# every record sealed before they existed keeps its hash.
OPTIONAL_FIELDS = frozenset(
    {"voids_seq", "purpose", "subject_hash", "checkpoint", "liveness", "terminal_ref"}
)


def canonical_bytes(fields: dict[str, Any]) -> bytes:
    """Canonical JSON of the hashed fields (sorted keys, no spaces, UTC time, enum values)."""
    out: dict[str, Any] = {}
    for name in GateEventBody.model_fields:
        value: Any = fields.get(name)
        if value is None and name in OPTIONAL_FIELDS:
            continue
        if isinstance(value, Checkpoint):
            value = value.fields()
        elif isinstance(value, dict):
            # a stored checkpoint read back from its JSON column: the same plain values
            value = {str(k): (v.value if isinstance(v, StrEnum) else v) for k, v in value.items()}
        elif isinstance(value, dt.datetime):
            value = _utc_text(value)
        elif isinstance(value, uuid.UUID):
            value = str(value)
        elif isinstance(value, StrEnum):
            value = value.value
        if name == "face_score" and value is not None:
            value = round(float(value), 4)
        out[name] = value
    return json.dumps(out, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(prev_hash: str, body_bytes: bytes) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash) + body_bytes).hexdigest()


def seal(body: GateEventBody, signature: str = "") -> GateEvent:
    """Compute the hash of a body (its prev_hash already set) and return the full event."""
    return GateEvent(
        **body.model_dump(),
        hash=chain_hash(body.prev_hash, body.canonical_bytes()),
        signature=signature,
    )


def verify_hash(event: GateEvent) -> bool:
    return chain_hash(event.prev_hash, event.canonical_bytes()) == event.hash
