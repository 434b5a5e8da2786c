from __future__ import annotations

import datetime as dt

import pytest
from edge_support import AT, TODAY, make_entry

from edge.policy import age_on, check_entry, passback_blocked
from models.enums import AssignmentStatus, DenyReason
from models.roster import GatePolicy


class TestAgeOn:
    def test_birthday_not_yet_reached(self) -> None:
        assert age_on(dt.date(1966, 3, 3), TODAY) == 59
        assert age_on(dt.date(1966, 3, 2), TODAY) == 60


class TestCheckEntry:
    @pytest.mark.parametrize(
        ("changes", "reason"),
        [
            ({}, None),
            ({"status": AssignmentStatus.LEFT, "left_on": dt.date(2026, 2, 1)}, DenyReason.LEFT),
            ({"left_on": dt.date(2026, 3, 1)}, DenyReason.LEFT),
            ({"left_on": TODAY}, None),  # the last day still counts
            ({"status": AssignmentStatus.PENDING}, DenyReason.NOT_ENTERED),
            ({"entered_on": dt.date(2026, 3, 3)}, DenyReason.NOT_ENTERED),
            ({"blocklisted": True}, DenyReason.BLOCKLISTED),
            ({"contract_signed": False}, DenyReason.NO_CONTRACT),
            ({"safety_trained": False}, DenyReason.NO_SAFETY_TRAINING),
            ({"id_valid_to": dt.date(2026, 3, 1)}, DenyReason.ID_CARD_EXPIRED),
            ({"id_valid_to": TODAY}, None),
            ({"birth": "19650301"}, DenyReason.AGE_LIMIT),  # man of 61
            ({"birth": "19660302"}, None),  # man of exactly 60
            ({"birth": "19750301", "male": False}, DenyReason.AGE_LIMIT),  # woman of 51
            ({"birth": "20080303"}, DenyReason.AGE_LIMIT),  # 17
        ],
    )
    def test_rules(self, changes: dict[str, object], reason: DenyReason | None) -> None:
        assert check_entry(make_entry(1, **changes), GatePolicy(), TODAY) is reason

    def test_policy_switches(self) -> None:
        entry = make_entry(1, contract_signed=False, safety_trained=False, birth="19500101")
        relaxed = GatePolicy(
            require_contract=False, require_safety_training=False, max_age_male=None
        )
        assert check_entry(entry, relaxed, TODAY) is None

    def test_card_validity_wins_over_roster(self) -> None:
        entry = make_entry(1, id_valid_to=dt.date(2026, 1, 1))
        renewed = dt.date(2046, 1, 1)
        assert check_entry(entry, GatePolicy(), TODAY, card_valid_to=renewed) is None


class TestPassback:
    def test_window(self) -> None:
        earlier = AT - dt.timedelta(seconds=100)
        assert passback_blocked(earlier, AT, enabled=True, window_s=300)
        assert not passback_blocked(earlier, AT, enabled=True, window_s=60)
        assert not passback_blocked(earlier, AT, enabled=False, window_s=300)
        assert not passback_blocked(None, AT, enabled=True, window_s=300)
