"""PURE entry rules (RULES.md "Gate decision", point 2 and 4), shared by both deciders: the edge
agent at its gate, and the server re-checking what an off-the-shelf face terminal let through
(server/terminals/policy_check.py). No I/O; today is passed in."""

from __future__ import annotations

import datetime as dt

from models.enums import AssignmentStatus, DenyReason
from models.roster import GatePolicy, RosterEntry


def age_on(birth_date: dt.date, today: dt.date) -> int:
    """Completed years (周岁) on `today`."""
    years = today.year - birth_date.year
    if (today.month, today.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def check_entry(
    entry: RosterEntry,
    policy: GatePolicy,
    today: dt.date,
    *,
    card_valid_to: dt.date | None = None,
) -> DenyReason | None:
    """The first rule the worker fails, or None. Order: the most telling reason first."""
    if entry.status is AssignmentStatus.LEFT or (
        entry.left_on is not None and entry.left_on < today
    ):
        return DenyReason.LEFT
    if entry.status is AssignmentStatus.PENDING or (
        entry.entered_on is not None and entry.entered_on > today
    ):
        return DenyReason.NOT_ENTERED
    if entry.blocklisted:
        return DenyReason.BLOCKLISTED
    if policy.require_contract and not entry.contract_signed:
        return DenyReason.NO_CONTRACT
    if policy.require_safety_training and not entry.safety_trained:
        return DenyReason.NO_SAFETY_TRAINING
    # The card in hand is the better evidence of validity when it was read just now.
    valid_to = card_valid_to if card_valid_to is not None else entry.id_valid_to
    if valid_to is not None and valid_to < today:
        return DenyReason.ID_CARD_EXPIRED
    age = age_on(entry.birth_date, today)
    limit = policy.max_age_male if entry.gender == "M" else policy.max_age_female
    if age < policy.min_age or (limit is not None and age > limit):
        return DenyReason.AGE_LIMIT
    return None
