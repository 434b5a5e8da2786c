"""`voids_seq`, added after gates shipped: absent from the canonical form while None, so every
record sealed before it existed keeps its hash; hashed (and signed) when set."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid

from models.enums import CredentialKind, DenyReason, Direction, GateMode, GateResult
from models.gate_event import GENESIS_HASH, GateEventBody, seal, verify_hash

BODY = {
    "event_id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "device_id": "GATE-A-IN",
    "seq": 2,
    "device_time": dt.datetime(2026, 5, 1, 7, 31, tzinfo=dt.UTC),
    "direction": Direction.IN,
    "mode": GateMode.CARD_ONLY,
    "credential": CredentialKind.IC_CARD,
    "credential_ref": "A1B2C3D4",
    "worker_id": 7,
    "result": GateResult.GRANTED,
    "prev_hash": GENESIS_HASH,
}

# The canonical text as gates wrote it before voids_seq existed (every field, sorted keys).
BEFORE = (
    '{"credential":"ic_card","credential_ref":"A1B2C3D4","device_id":"GATE-A-IN",'
    '"device_time":"2026-05-01T07:31:00.000000Z","direction":"in",'
    '"event_id":"12345678-1234-5678-1234-567812345678","face_score":null,"mode":"card_only",'
    '"prev_hash":"' + GENESIS_HASH + '","reason":null,"result":"granted","seq":2,"worker_id":7}'
)


def test_without_voids_seq_the_canonical_form_is_unchanged() -> None:
    body = GateEventBody(**BODY)
    assert body.canonical_bytes().decode() == BEFORE
    expected = hashlib.sha256(bytes.fromhex(GENESIS_HASH) + BEFORE.encode()).hexdigest()
    assert seal(body).hash == expected


def test_voids_seq_is_hashed() -> None:
    follow_up = GateEventBody(
        **{**BODY, "seq": 3, "result": GateResult.REFUSED, "reason": DenyReason.RELAY_FAILED},
        voids_seq=2,
    )
    fields = json.loads(follow_up.canonical_bytes())
    assert (fields["voids_seq"], fields["reason"]) == (2, "relay_failed")
    event = seal(follow_up)
    assert verify_hash(event)
    assert not verify_hash(event.model_copy(update={"voids_seq": 1}))
