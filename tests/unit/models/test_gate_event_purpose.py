"""`purpose` and `subject_hash`, added after gates shipped: absent from the canonical form while
None, so every record sealed before they existed keeps its hash; hashed (and signed) when set."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid

import pytest
from pydantic import ValidationError

from models.enums import CredentialKind, Direction, GateMode, GateResult, RecordPurpose
from models.gate_event import GENESIS_HASH, OPTIONAL_FIELDS, GateEventBody, seal, verify_hash

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

# The canonical text of a record sealed by the first gates (every field then, sorted keys).
BEFORE = (
    '{"credential":"ic_card","credential_ref":"A1B2C3D4","device_id":"GATE-A-IN",'
    '"device_time":"2026-05-01T07:31:00.000000Z","direction":"in",'
    '"event_id":"12345678-1234-5678-1234-567812345678","face_score":null,"mode":"card_only",'
    '"prev_hash":"' + GENESIS_HASH + '","reason":null,"result":"granted","seq":2,"worker_id":7}'
)
# Its hash as those gates computed it: pinned, not recomputed by the code under test.
BEFORE_HASH = hashlib.sha256(bytes.fromhex(GENESIS_HASH) + BEFORE.encode()).hexdigest()
LINE = "ab" * 32


class TestOldRecords:
    def test_canonical_form_and_hash_are_unchanged(self) -> None:
        body = GateEventBody(**BODY)
        assert (body.purpose, body.subject_hash) == (None, None)
        assert body.canonical_bytes().decode() == BEFORE
        assert seal(body).hash == BEFORE_HASH

    def test_an_old_record_as_stored_verifies(self) -> None:
        """The JSON an old gate uploaded (no such keys) parses and verifies."""
        old = {**BODY, "event_id": str(BODY["event_id"]), "hash": BEFORE_HASH}
        old["device_time"] = "2026-05-01T07:31:00Z"
        from models.gate_event import GateEvent

        event = GateEvent.model_validate_json(json.dumps(old, default=str))
        assert verify_hash(event)

    def test_both_fields_are_optional_in_the_canonical_form(self) -> None:
        assert {"purpose", "subject_hash", "voids_seq"} <= OPTIONAL_FIELDS


class TestWageConfirmRecord:
    def _confirm(self) -> GateEventBody:
        return GateEventBody(
            **{**BODY, "mode": GateMode.CARD_AND_FACE, "credential": CredentialKind.ID_CARD},
            purpose=RecordPurpose.WAGE_CONFIRM,
            subject_hash=LINE,
        )

    def test_fields_are_in_the_canonical_form(self) -> None:
        fields = json.loads(self._confirm().canonical_bytes())
        assert (fields["purpose"], fields["subject_hash"]) == ("wage_confirm", LINE)

    @pytest.mark.parametrize(
        "change", [{"subject_hash": "cd" * 32}, {"purpose": None}, {"subject_hash": None}]
    )
    def test_each_field_is_covered_by_the_hash(self, change: dict[str, object]) -> None:
        event = seal(self._confirm())
        assert verify_hash(event)
        assert not verify_hash(event.model_copy(update=change))

    def test_canonical_bytes_golden(self) -> None:
        """The exact bytes a station hashes: anyone re-checks them with sha256 alone."""
        text = self._confirm().canonical_bytes().decode()
        assert text == (
            '{"credential":"id_card","credential_ref":"A1B2C3D4","device_id":"GATE-A-IN",'
            '"device_time":"2026-05-01T07:31:00.000000Z","direction":"in",'
            '"event_id":"12345678-1234-5678-1234-567812345678","face_score":null,'
            '"mode":"card_and_face","prev_hash":"' + GENESIS_HASH + '","purpose":"wage_confirm",'
            '"reason":null,"result":"granted","seq":2,"subject_hash":"' + LINE + '",'
            '"worker_id":7}'
        )

    def test_stored_text_hashes_as_the_enum(self) -> None:
        """The server recomputes from stored columns, where purpose is plain text."""
        from models.gate_event import canonical_bytes

        body = self._confirm()
        stored = {**body.model_dump(mode="python"), "purpose": "wage_confirm"}
        assert canonical_bytes(stored) == body.canonical_bytes()

    def test_subject_hash_is_64_hex(self) -> None:
        with pytest.raises(ValidationError):
            GateEventBody(**BODY, purpose=RecordPurpose.WAGE_CONFIRM, subject_hash="xyz")
