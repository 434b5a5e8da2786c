"""The roster download is parsed by gates one version behind the server: fields a newer server
adds (to the policy, an entry or a confirmer) are ignored, never a refused download."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from edge.roster_cache import RosterCache
from models.roster import Confirmer, GatePolicy, RosterEntry
from models.sync import RosterDelta

NEWER_SERVER_DELTA = {
    "project_id": 7,
    "version": 3,
    "since_version": 0,
    "full": True,
    "entries": [
        {
            "assignment_id": 1,
            "worker_id": 10,
            "name": "王小明",
            "id_number": "110101199003071234",
            "gender": "M",
            "birth_date": "1990-03-07",
            "status": "active",
            "card_uids": ["0A0B0C0D"],
            "vest_colour": "orange",  # a field this gate has never heard of
        }
    ],
    "removed": [],
    "policy": {
        "face_threshold": 0.42,
        "anti_passback": False,
        "helmet_check": True,  # likewise
    },
    "confirmers": [
        {"confirmer_id": 7, "card_uid": "A1B2C3D4", "name": "王经理", "phone": "13800000000"}
    ],
    "announcement": "new top-level field",
}


class TestRosterDeltaWire:
    def test_older_gate_parses_newer_fields(self) -> None:
        delta = RosterDelta.model_validate_json(json.dumps(NEWER_SERVER_DELTA))
        assert delta.policy.face_threshold == 0.42
        assert delta.policy.anti_passback is False
        assert delta.entries[0].card_uids == ["0A0B0C0D"]
        assert delta.confirmers[0].name == "王经理"
        assert "helmet_check" not in delta.policy.model_dump()
        assert "vest_colour" not in delta.entries[0].model_dump()

    def test_edge_cache_applies_it(self, tmp_path: Path) -> None:
        cache = RosterCache(tmp_path / "roster.db", key=b"k" * 32)
        try:
            snapshot = cache.apply(RosterDelta.model_validate_json(json.dumps(NEWER_SERVER_DELTA)))
            assert snapshot.version == 3
            assert snapshot.policy.face_threshold == 0.42
            assert snapshot.by_card_uid("0a0b0c0d") is not None
            assert snapshot.confirmer_by_card_uid("A1B2C3D4") is not None
        finally:
            cache.close()

    def test_wire_models_still_validate_known_fields(self) -> None:
        # Tolerance covers unknown names only: a bad value of a known field is still refused.
        with pytest.raises(ValidationError):
            GatePolicy.model_validate({"face_threshold": 7})
        with pytest.raises(ValidationError):
            Confirmer.model_validate({"confirmer_id": 0, "card_uid": "A1B2C3D4", "name": "x"})
        with pytest.raises(ValidationError):
            RosterEntry.model_validate({"assignment_id": 1})
