"""What a gate needs to decide: the project's authorised roster and its gate policy.

These models are the wire contract of the roster download, parsed by gates that may run one
version behind the server. They ignore unknown fields (`WIRE`) so that a server adding a policy
or entry field does not break every older gate's download; the strict check of what a person
types lives in the server's settings input (server/registry/settings.py), not here.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from models.enums import AssignmentStatus, LivenessPolicy

# Forward compatible: an older gate drops a field it does not know instead of refusing the roster.
WIRE = ConfigDict(extra="ignore")


class GatePolicy(BaseModel):
    """Project gate policy; every number is a project setting with this default (RULES.md)."""

    model_config = WIRE

    require_contract: bool = True
    require_safety_training: bool = True
    anti_passback: bool = True
    max_age_male: int | None = 60
    max_age_female: int | None = 50
    min_age: int = 18
    # Chosen on the shared test photos (benchmarks/face_accuracy.py): 1:1 at 0.55 refuses 3.6 %
    # of genuine pairs (0.50 refused 10.3 %) with FAR 0.008 %, the two false accepts being a
    # labelled look-alike pair; 1:N stays stricter, 0.52 with the margin: no stranger accepted.
    face_threshold: float = Field(default=0.55, gt=0, lt=1.5, description="max 1:1 face distance")
    face_threshold_1n: float = Field(
        default=0.52, gt=0, lt=1.5, description="max 1:N face distance (face only)"
    )
    face_margin: float = Field(default=0.06, ge=0, description="1:N gap best vs second best")
    timezone: str = "Asia/Shanghai"
    # RULES.md 3: the alternative to face is the worker's card plus a confirmer's card at the gate.
    # Off: a worker who declined face passes on the card alone, a face refusal is final.
    manager_confirmation: bool = True
    confirm_after_face_refusal: bool = Field(
        default=True, description="a refused 1:1 face check may still pass with a confirmation"
    )
    confirmation_timeout_s: float = Field(default=30.0, gt=0, le=300)
    # Presentation-attack check at face gates (edge/liveness.py): a random blink or head-turn
    # challenge. Off by default: it adds up to the challenge time to every face pass and its
    # figures come from simulated attacks only (benchmarks/liveness.py); `log` seals the result
    # in every face record without refusing, `require` refuses (card + confirmer lane offered).
    liveness: LivenessPolicy = LivenessPolicy.OFF


class Confirmer(BaseModel):
    """Someone the project allows to confirm a worker at the gate with their own IC card."""

    model_config = ConfigDict(extra="ignore", frozen=True)  # WIRE, frozen

    confirmer_id: int = Field(ge=1, description="server gate_confirmer id: named in the record")
    card_uid: str = Field(min_length=8, max_length=20, description="canonical IC card UID")
    name: str = Field(min_length=1, max_length=64)
    user_id: int | None = None  # the person's account on the server, when they have one


CONFIRMED_BY = "|by:"


def confirmed_ref(worker_ref: str, confirmer_id: int | None, card_ref: str) -> str:
    """The recorded `credential_ref` of a confirmation attempt: the worker's own reference, then
    the confirmer's id (empty when the card offered is no confirmer's) and the card offered — at
    most 20 + 4 + 10 + 1 + 20 = 55 of the 64 characters. The hashed event thus names who
    confirmed without any change to the event's canonical form or hash chain."""
    ident = "" if confirmer_id is None else str(confirmer_id)
    return f"{worker_ref}{CONFIRMED_BY}{ident}:{card_ref}"


def split_confirmed_ref(ref: str) -> tuple[str, int | None, str | None]:
    """(worker ref, confirmer id, card presented as confirmation); ids are None when absent."""
    worker_ref, sep, rest = ref.partition(CONFIRMED_BY)
    if not sep:
        return ref, None, None
    ident, _, uid = rest.partition(":")
    return worker_ref, int(ident) if ident.isdigit() else None, uid or None


class RosterEntry(BaseModel):
    """One assignment of a worker to the gate's project, as the edge caches it."""

    model_config = WIRE

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
