"""The project settings contract: defaults equal RULES.md (and the rule modules' own), strict
input naming `section.field`, `null` resets, cross-field checks, the gates' wire policy."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from models.roster import GatePolicy
from server.errors import ValidationFailedError
from server.reconciliation.rules import ReconSettings
from server.registry import settings as ps
from server.registry.models import Project
from server.rosters.rules import RosterSettings


def _project(**kw: Any) -> Project:
    values: dict[str, Any] = {
        "id": 1,
        "timezone": "Asia/Shanghai",
        "pay_day": 15,
        "gate_policy": {},
        "settings": {},
        "roster_version": 3,
    }
    values.update(kw)
    return Project(**values)


def _fields(exc: ValidationFailedError) -> list[str]:
    return [d["field"] for d in exc.detail]


class TestDefaults:
    def test_gate_policy_defaults_match_the_wire_model(self) -> None:
        wire = GatePolicy().model_dump(exclude={"timezone"})
        ours = ps.GatePolicySettings().model_dump()
        assert set(ours) == set(wire)
        # "no age limit" is None on the wire and 0 here; the defaults are limits.
        assert ours == wire

    def test_roster_defaults_match_the_rules(self) -> None:
        rules = RosterSettings()
        for name, value in ps.RosterSection().model_dump().items():
            assert getattr(rules, name) == value, name
        assert set(RosterSettings.__dataclass_fields__) - {"timezone"} == set(
            ps.RosterSection.model_fields
        )

    def test_reconciliation_defaults_match_the_rules(self) -> None:
        rules = ReconSettings()
        for name, value in ps.ReconciliationSection().model_dump().items():
            assert getattr(rules, name) == value, name

    def test_every_field_has_labels(self) -> None:
        out = ps.settings_out(_project())
        rows = [r for s in out.sections for r in s.settings]
        # gate: + face_threshold_1n, liveness; recon: + confirmed_red_below, require_wage_sheet;
        # checklist: 8 levels and 3 shares x 2 thresholds
        assert len(rows) == 12 + 8 + 6 + 3 + 14
        assert all(r.label_zh and r.label_en for r in rows)
        assert not any(r.overridden for r in rows)
        face = next(r for r in rows if r.key == "gate_policy.face_threshold")
        assert (face.value, face.default, face.bounds) == (0.55, 0.55, "0 < x < 1.5")


class TestPatch:
    def test_unknown_keys_and_bad_values_name_section_and_field(self) -> None:
        with pytest.raises(ValidationFailedError) as err:
            ps.parse_patch(
                {
                    "gate_policy": {"face_threshold": 2, "helmet": True},
                    "roster": {"auto_close_at": "25:00"},
                    "payroll": {},
                }
            )
        assert sorted(_fields(err.value)) == [
            "gate_policy.face_threshold",
            "gate_policy.helmet",
            "payroll",
            "roster.auto_close_at",
        ]
        assert "gate_policy.face_threshold" in err.value.message_zh
        zh = {d["field"]: d["message_zh"] for d in err.value.detail}
        assert zh["gate_policy.face_threshold"] == "须小于 1.5"
        assert zh["gate_policy.helmet"] == "未知设置项"

    def test_set_reset_and_normal_form(self) -> None:
        project = _project(
            gate_policy={"anti_passback": False, "face_threshold": 0.4},
            settings={"roster": {"full_day_hours": 5}},
        )
        patch = ps.parse_patch(
            {
                "gate_policy": {"face_threshold": None, "min_age": 20},
                "roster": {"night_shift_from": "19:30:00"},
                "reconciliation": {"underpaid_tolerance": "0.1"},
            }
        )
        applied = ps.apply_patch(project, patch)
        assert applied.overrides["gate_policy"] == {"anti_passback": False, "min_age": 20}
        assert applied.overrides["roster"] == {"full_day_hours": 5, "night_shift_from": "19:30"}
        assert applied.overrides["reconciliation"] == {"underpaid_tolerance": 0.1}
        assert applied.changes == {
            "gate_policy.face_threshold": [0.4, 0.55],
            "gate_policy.min_age": [18, 20],
            "roster.night_shift_from": ["18:00", "19:30"],
            "reconciliation.underpaid_tolerance": [0.05, 0.1],
        }
        # What is stored is what the rule modules read.
        rules = RosterSettings.from_mapping(applied.overrides["roster"])
        assert rules.night_shift_from == dt.time(19, 30)
        recon = ReconSettings.from_mapping(applied.overrides["reconciliation"])
        assert recon.underpaid_tolerance == Decimal("0.1")

    def test_cross_field_checks_on_the_merged_values(self) -> None:
        project = _project(settings={"roster": {"full_day_hours": 3}})
        with pytest.raises(ValidationFailedError) as err:
            ps.apply_patch(project, ps.parse_patch({"roster": {"half_day_hours": 3.5}}))
        assert _fields(err.value) == ["roster.half_day_hours"]

    def test_nothing_sent_nothing_changed(self) -> None:
        applied = ps.apply_patch(_project(), ps.parse_patch({"gate_policy": {}}))
        assert applied.overrides == {}
        assert applied.changes == {}


class TestStored:
    def test_an_invalid_stored_value_is_shown_at_its_default(self) -> None:
        project = _project(gate_policy={"face_threshold": 9, "unknown_key": 1})
        out = ps.settings_out(project)
        face = next(r for s in out.sections for r in s.settings if r.name == "face_threshold")
        assert (face.value, face.invalid_stored, face.overridden) == (0.55, True, False)

    def test_wire_policy_maps_zero_age_to_no_limit(self) -> None:
        policy = ps.wire_gate_policy(
            _project(timezone="Asia/Urumqi", gate_policy={"max_age_male": 0, "min_age": 20})
        )
        assert policy.max_age_male is None
        assert policy.max_age_female == 50
        assert policy.min_age == 20
        assert policy.timezone == "Asia/Urumqi"

    def test_legacy_none_age_reads_as_no_limit(self) -> None:
        project = _project(gate_policy={"max_age_female": None})
        assert ps.wire_gate_policy(project).max_age_female is None
        row = next(
            r
            for s in ps.settings_out(project).sections
            for r in s.settings
            if r.name == "max_age_female"
        )
        assert (row.value, row.overridden) == (0, True)
