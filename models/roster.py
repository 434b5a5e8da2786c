"""What a gate needs to decide: the project's authorised roster and its gate policy."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from models.enums import AssignmentStatus


class GatePolicy(BaseModel):
    """Project gate policy; every number is a project setting with this default (RULES.md)."""

    model_config = ConfigDict(extra="forbid")

    require_contract: bool = True
    require_safety_training: bool = True
    anti_passback: bool = True
    max_age_male: int | None = 60
    max_age_female: int | None = 50
    min_age: int = 18
    face_threshold: float = Field(default=0.5, gt=0, lt=1.5, description="max 1:1 face distance")
    face_margin: float = Field(default=0.06, ge=0, description="1:N gap best vs second best")
    timezone: str = "Asia/Shanghai"


class RosterEntry(BaseModel):
    """One assignment of a worker to the gate's project, as the edge caches it."""

    model_config = ConfigDict(extra="forbid")

    assignment_id: int
    worker_id: int
    name: str
    id_number: str  # full number: the gate matches the card against it; never displayed
    gender: str  # 'M' / 'F'
    birth_date: dt.date
    id_valid_to: dt.date | None = None  # None: 长期 or unknown
    status: AssignmentStatus
    entered_on: dt.date | None = None
    left_on: dt.date | None = None
    blocklisted: bool = False
    contract_signed: bool = False
    safety_trained: bool = False
    face_opt_out: bool = False  # worker declined face recognition: card + manager confirmation
    card_uids: list[str] = Field(default_factory=list)
    # 128-d face_recognition encodings, only with recorded consent (float lists on the wire).
    face_templates: list[list[float]] = Field(default_factory=list)
    company: str = ""
    team: str = ""
    trade: str = ""
