"""Messages on the edge <-> server link: event batches, acks, heartbeats, roster downloads."""

from __future__ import annotations

import datetime as dt

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from models.gate_event import GateEvent
from models.ids import IdType
from models.roster import Confirmer, GatePolicy, RosterEntry

MAX_BATCH = 1000


class EventBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: list[GateEvent] = Field(min_length=1, max_length=MAX_BATCH)
    # The gate's own clock when it sent the batch, never corrected: the server stores the skew
    # with each record, so an evidence reader sees when a gate's recorded times may be shifted.
    device_clock: AwareDatetime | None = None


class ItemError(BaseModel):
    index: int
    code: str
    message: str


class BatchAck(BaseModel):
    """The server acknowledges the highest contiguous seq it holds; the edge resends above it.

    `tip_hash` is the stored hash at that seq: the gate can compare it with its own chain."""

    inserted: int
    duplicates: int
    highest_contiguous_seq: int
    tip_hash: str | None = None
    chain_breaks: int = 0
    errors: list[ItemError] = Field(default_factory=list)


class DeviceHealth(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id_card_reader: str = "unknown"  # ok / fault / absent / unknown
    ic_card_reader: str = "unknown"
    relay: str = "unknown"
    camera: str = "unknown"


class Heartbeat(BaseModel):
    model_config = ConfigDict(extra="forbid")

    device_time: AwareDatetime
    queue_depth: int = Field(ge=0)
    last_seq: int = Field(ge=0)
    roster_version: int = Field(ge=0)
    health: DeviceHealth = Field(default_factory=DeviceHealth)
    software_version: str = Field(default="", max_length=64)


class HeartbeatAck(BaseModel):
    server_time: AwareDatetime
    clock_skew_ms: int
    roster_version: int


class RosterDelta(BaseModel):
    """Entries changed since `since_version`; `removed` lists assignment ids to drop.

    `full` is true when the server sends the whole roster (first download, or too far behind).
    `confirmers` is always the project's whole list of active gate confirmers (a handful): the
    gate replaces its list on every download, so a deactivated confirmer is gone at once.
    """

    project_id: int
    version: int
    since_version: int
    full: bool
    entries: list[RosterEntry]
    removed: list[int] = Field(default_factory=list)
    policy: GatePolicy
    confirmers: list[Confirmer] = Field(default_factory=list)


class ProvisionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=6, max_length=64, description="one-time provisioning code")
    public_key: str = Field(pattern=r"^[0-9a-f]{64}$", description="hex raw Ed25519 public key")


class ProvisionResponse(BaseModel):
    device_id: str
    project_id: int
    direction: str


class EnrollmentRequest(BaseModel):
    """From an enrollment station (a provisioned device): register a worker read off the ID card.

    The face template is sent only when consent is true; the server refuses it otherwise.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    id_number: str
    # The card's type as the reader decoded it; None (older stations): implied by the number.
    id_card_type: IdType | None = None
    gender: str = Field(pattern=r"^[MF]$")
    nation: str = Field(default="", max_length=32)
    birth_date: dt.date
    address: str = Field(default="", max_length=128)
    id_issuer: str = Field(default="", max_length=64)
    id_valid_from: dt.date | None = None
    id_valid_to: dt.date | None = None  # None: 长期
    phone: str | None = None
    face_consent: bool
    face_template: list[float] | None = Field(default=None, min_length=128, max_length=128)
    # The captured face as a JPEG (base64, at most 200 KB decoded) for the project's face
    # terminals, which enrol from a picture; like the template, only with consent.
    face_photo: str | None = Field(default=None, max_length=280_000)
    enrolled_at: AwareDatetime


class EnrollmentResponse(BaseModel):
    worker_id: int
    assignment_id: int
    created: bool
