"""A worker's wage lines as a station is given them to confirm (the edge ↔ server contract).

The server sends, per line, exactly what the worker is shown (`shown`, the canonical form that
server/wages/rules.py hashes) and its `shown_hash`. The station recomputes the hash over `shown`
before it displays anything (`WageLineOffer.hash_ok`), so what the worker reads is what the hash
commits to, and the record it signs names that hash (GateEvent.subject_hash).

Forward compatible like the roster (`extra="ignore"`), except `shown`, which is kept whole: a
key the station does not know is still part of what was hashed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from models.roster import WIRE, Confirmer, GatePolicy


def shown_digest(shown: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a line's shown form (as server/wages/rules.line_hash)."""
    text = json.dumps(shown, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


class WageLinesRequest(BaseModel):
    """The ID number read off the card at the station. In the signed body, never in the URL:
    query strings are not signed, and a full ID number must not reach access logs."""

    model_config = ConfigDict(extra="forbid")

    id_number: str = Field(min_length=15, max_length=18)


class ItemLabel(BaseModel):
    """How the station names one item of the shown form (the categories are the server's)."""

    model_config = WIRE

    zh: str
    en: str
    deduction: bool = False  # comes off the gross (借支, 社保, 个税 …)


class WageLineOffer(BaseModel):
    """One line awaiting the worker's answer (awaiting, or disputed), on a sheet that is sent."""

    model_config = WIRE

    line_id: int
    sheet_id: int
    period: str
    state: str  # awaiting / disputed
    state_text: tuple[str, str]
    stale: bool = False  # the month's figures changed under the line since it was sent
    shown_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    shown: dict[str, Any]
    # the names of each item of shown["items"], in order, and of the wage kind
    item_labels: list[ItemLabel] = Field(default_factory=list)
    wage_kind_text: tuple[str, str] = ("", "")

    def hash_ok(self) -> bool:
        return shown_digest(self.shown) == self.shown_hash


class WageLinesResponse(BaseModel):
    """The worker read off the card, how the station checks them, and their open lines."""

    model_config = WIRE

    worker_id: int
    name: str
    id_number_masked: str
    # As the roster decides it: declined face, no recorded consent, or no template enrolled.
    face_opt_out: bool
    # Only with recorded consent, for this worker only, to a device of the worker's project.
    face_templates: list[list[float]] = Field(default_factory=list)
    card_uids: list[str] = Field(default_factory=list)  # the worker's own (no self-confirmation)
    confirmers: list[Confirmer] = Field(default_factory=list)
    policy: GatePolicy = Field(default_factory=GatePolicy)
    lines: list[WageLineOffer] = Field(default_factory=list)
