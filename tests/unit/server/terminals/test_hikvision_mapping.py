"""server/terminals/hikvision.py: ISAPI access events in SiteGate's vocabulary, and the serial
gaps a push stream reveals; no I/O."""

from __future__ import annotations

import datetime as dt

import pytest

from models.enums import CredentialKind, DenyReason, GateMode, GateResult
from server.terminals import hikvision
from server.terminals.receipt import Received
from terminals.hikvision_isapi.protocol import (
    MAJOR_EVENT,
    MAJOR_OPERATION,
    MINOR_REMOTE_OPEN_DOOR,
    AccessControllerEvent,
    AcsEventInfo,
    AcsEventPush,
    EventMinor,
)

CHINA = dt.timezone(dt.timedelta(hours=8))
AT = dt.datetime(2026, 12, 3, 8, 1, 2, tzinfo=CHINA)


def _map(minor: int, employee_no: str | None = "42", card_no: str | None = None) -> Received | None:
    return hikvision.received(
        serial=7, at=AT, major=MAJOR_EVENT, minor=minor, employee_no=employee_no, card_no=card_no
    )


def test_a_face_pass_is_a_face_only_grant_of_the_named_worker() -> None:
    got = _map(EventMinor.FACE_VERIFY_PASS)
    assert got == Received(
        ref="7", at=AT, result=GateResult.GRANTED, mode=GateMode.FACE_ONLY,
        credential=CredentialKind.FACE, worker_id=42,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("minor", "employee_no", "reason"),
    [
        (EventMinor.FACE_VERIFY_FAIL, None, DenyReason.UNKNOWN_CREDENTIAL),  # matched nobody
        (EventMinor.FACE_VERIFY_FAIL, "42", DenyReason.FACE_MISMATCH),
        (EventMinor.EMPLOYEENO_AND_FACE_VERIFY_FAIL, "42", DenyReason.FACE_MISMATCH),
        (EventMinor.HUMAN_DETECT_FAIL, None, DenyReason.LIVENESS_FAILED),
        (EventMinor.CERTIFICATE_BLACK_LIST, "42", DenyReason.BLOCKLISTED),
    ],
)
def test_face_refusals(minor: int, employee_no: str | None, reason: DenyReason) -> None:
    got = _map(minor, employee_no)
    assert isinstance(got, Received)
    assert (got.result, got.reason, got.credential) == (GateResult.REFUSED, reason, got.credential)
    assert got.worker_id == (int(employee_no) if employee_no else None)


def test_card_pass_and_refusals() -> None:
    ok = _map(EventMinor.LEGAL_CARD_PASS, "42", "A1B2C3D4")
    assert isinstance(ok, Received)
    assert (ok.result, ok.mode, ok.credential, ok.credential_ref) == (
        GateResult.GRANTED, GateMode.CARD_ONLY, CredentialKind.IC_CARD, "A1B2C3D4",
    )  # fmt: skip
    unknown = _map(EventMinor.INVALID_CARD, None, "DEADBEEF")
    assert isinstance(unknown, Received)
    assert (unknown.result, unknown.reason, unknown.worker_id) == (
        GateResult.REFUSED, DenyReason.UNKNOWN_CREDENTIAL, None,
    )  # fmt: skip
    both = _map(EventMinor.FACE_AND_CARD_VERIFY_FAIL, "42", "A1B2C3D4")
    assert isinstance(both, Received)
    assert (both.mode, both.reason) == (GateMode.CARD_AND_FACE, DenyReason.FACE_MISMATCH)
    for minor, reason in [
        (EventMinor.CARD_INVALID_PERIOD, DenyReason.OUTSIDE_HOURS),
        (EventMinor.ANTI_SNEAK_FAIL, DenyReason.ANTI_PASSBACK),
    ]:
        got = _map(minor, "42", "A1")
        assert isinstance(got, Received)
        assert got.reason == reason


def test_door_events_and_operations_are_no_attempts() -> None:
    assert _map(EventMinor.DOOR_OPEN_NORMAL) is None
    assert _map(0x7777) is None  # a minor this code does not know: never a pass by accident
    operation = hikvision.received(
        serial=1, at=AT, major=MAJOR_OPERATION, minor=MINOR_REMOTE_OPEN_DOOR,
        employee_no=None, card_no=None,
    )  # fmt: skip
    assert operation is None


@pytest.mark.parametrize("employee_no", ["abc", "", "0", "-3", "4２", "9" * 30])
def test_an_employee_number_sitegate_never_pushed_names_no_worker(employee_no: str) -> None:
    got = _map(EventMinor.LEGAL_CARD_PASS, employee_no, "A1")
    assert isinstance(got, Received)
    assert got.worker_id is None


def test_the_time_keeps_its_offset() -> None:
    got = _map(EventMinor.FACE_VERIFY_PASS)
    assert isinstance(got, Received)
    assert got.at.utcoffset() == dt.timedelta(hours=8)
    with pytest.raises(hikvision.UnusableEventError, match="offset"):
        hikvision.received(
            serial=1, at=AT.replace(tzinfo=None), major=MAJOR_EVENT,
            minor=EventMinor.FACE_VERIFY_PASS, employee_no="1", card_no=None,
        )  # fmt: skip


def test_push_and_search_map_alike() -> None:
    push = AcsEventPush(
        date_time=AT, event_type="AccessControllerEvent",
        acs=AccessControllerEvent(
            major=MAJOR_EVENT, minor=EventMinor.FACE_VERIFY_PASS, employee_no="42", serial_no=9
        ),
    )  # fmt: skip
    info = AcsEventInfo(
        major=MAJOR_EVENT, minor=EventMinor.FACE_VERIFY_PASS, time=AT, employee_no="42",
        serial_no=9,
    )  # fmt: skip
    assert hikvision.from_push(push) == hikvision.from_search(info)
    assert hikvision.from_push(push.model_copy(update={"acs": None})) is None


def test_gaps() -> None:
    # contiguous: none; the highest moves up
    assert hikvision.new_gaps(3, [(4, 3), (5, None)]) == ([], 5)
    # 6 and 7 never came
    assert hikvision.new_gaps(5, [(8, None)]) == ([(6, 7)], 8)
    # frontSerialNo says the event before 8 was 7: 6 and 7 are missing
    assert hikvision.new_gaps(5, [(8, 7)]) == ([(6, 7)], 8)
    # the firmware says nothing lies between 5 and 8 (its serials skip): no gap
    assert hikvision.new_gaps(5, [(8, 5)]) == ([], 8)
    # several at once, unordered, with a re-send and a late one below the high
    assert hikvision.new_gaps(10, [(14, None), (12, None), (12, None), (9, None)]) == (
        [(11, 11), (13, 13)], 14,
    )  # fmt: skip
    # a terminal heard from for the first time: nothing before its first serial is claimed
    assert hikvision.new_gaps(0, [(57, 56)]) == ([], 57)
    assert hikvision.new_gaps(7, []) == ([], 7)


@pytest.mark.parametrize("serial", [0, -1, 2**63])
def test_a_serial_out_of_range_is_unusable(serial: int) -> None:
    with pytest.raises(hikvision.UnusableEventError):
        hikvision.received(
            serial=serial, at=AT, major=MAJOR_EVENT, minor=EventMinor.FACE_VERIFY_PASS,
            employee_no="1", card_no=None,
        )  # fmt: skip


def test_a_time_that_is_no_instant_is_unusable() -> None:
    far = dt.datetime(9999, 12, 31, 23, 0, tzinfo=dt.timezone(dt.timedelta(hours=-8)))
    with pytest.raises(hikvision.UnusableEventError):
        hikvision.received(
            serial=1, at=far, major=MAJOR_EVENT, minor=EventMinor.DOOR_OPEN_NORMAL,
            employee_no=None, card_no=None,
        )  # fmt: skip


def test_a_card_number_longer_than_any_card_is_left_out() -> None:
    got = _map(EventMinor.INVALID_CARD, None, "9" * 65)
    assert isinstance(got, Received)
    assert (got.credential_ref, got.result) == (None, GateResult.REFUSED)
