"""What a Hikvision ISAPI terminal reports, in SiteGate's vocabulary; no I/O.

An access event (pushed `AccessControllerEvent` or an `AcsEvent` search result) becomes a
`receipt.Received` keyed by the terminal's `serialNo`; events that are no pass attempt (door
sensor, lock, button: `classify` says OTHER) become None but still count as serials seen, so a
gap is never reported for them. Face minors are 1:N face-only passes, face+card and person+ID
minors are 1:1, the rest are card (or card plus a second factor the server has no mode for).

Gaps: the terminal numbers its log 1, 2, 3 … and never reuses a number. A serial above the
highest seen, with the one before it (`frontSerialNo` when the firmware sends it, else
serial - 1) also above it, means the numbers in between were never pushed (the terminal does not
re-send a failed push): `new_gaps` names them for the pull to fetch. Before the first serial
(high 0) nothing is claimed: those events predate the server's knowledge of the terminal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from models.enums import CredentialKind, DenyReason, GateMode, GateResult
from server.terminals.receipt import Received
from terminals.hikvision_isapi.protocol import AcsEventInfo, AcsEventPush, EventMinor, Outcome
from terminals.hikvision_isapi.protocol import classify as classify_event

M = EventMinor
_FACE_ONLY = {
    M.FACE_VERIFY_PASS, M.FACE_VERIFY_FAIL, M.FACE_RECOGNIZE_FAIL, M.HUMAN_DETECT_FAIL,
    M.EMPLOYEENO_AND_FACE_VERIFY_PASS, M.EMPLOYEENO_AND_FACE_VERIFY_FAIL,
    M.FACE_AND_PW_VERIFY_PASS, M.FACE_AND_FP_VERIFY_PASS,
}  # fmt: skip
_CARD_AND_FACE = {
    M.FACE_AND_CARD_VERIFY_PASS, M.FACE_AND_CARD_VERIFY_FAIL, M.FACE_AND_CARD_VERIFY_TIMEOUT,
}  # fmt: skip
_ID_CARD_AND_FACE = {M.PEOPLE_AND_ID_CARD_COMPARE_PASS, M.PEOPLE_AND_ID_CARD_COMPARE_FAIL}

# Why the terminal refused, in SiteGate's words. A face the terminal matched to nobody is an
# unknown credential (as at a gate's 1:N lookup); a face that did not match the named person or
# card is a mismatch.
_REASONS: dict[EventMinor, DenyReason] = {
    M.CARD_AND_PSW_FAIL: DenyReason.UNKNOWN_CREDENTIAL,
    M.CARD_NO_RIGHT: DenyReason.NOT_ON_ROSTER,
    M.CARD_INVALID_PERIOD: DenyReason.OUTSIDE_HOURS,
    M.CARD_OUT_OF_DATE: DenyReason.NOT_ON_ROSTER,
    M.INVALID_CARD: DenyReason.UNKNOWN_CREDENTIAL,
    M.ANTI_SNEAK_FAIL: DenyReason.ANTI_PASSBACK,
    M.FINGERPRINT_COMPARE_FAIL: DenyReason.UNKNOWN_CREDENTIAL,
    M.FINGERPRINT_INEXISTENCE: DenyReason.UNKNOWN_CREDENTIAL,
    M.FACE_AND_CARD_VERIFY_FAIL: DenyReason.FACE_MISMATCH,
    M.FACE_AND_CARD_VERIFY_TIMEOUT: DenyReason.FACE_TIMEOUT,
    M.FACE_VERIFY_FAIL: DenyReason.FACE_MISMATCH,
    M.EMPLOYEENO_AND_FACE_VERIFY_FAIL: DenyReason.FACE_MISMATCH,
    M.FACE_RECOGNIZE_FAIL: DenyReason.FACE_MISMATCH,
    M.EMPLOYEENO_AND_PW_FAIL: DenyReason.UNKNOWN_CREDENTIAL,
    M.HUMAN_DETECT_FAIL: DenyReason.LIVENESS_FAILED,
    M.PEOPLE_AND_ID_CARD_COMPARE_FAIL: DenyReason.FACE_MISMATCH,
    M.CERTIFICATE_BLACK_LIST: DenyReason.BLOCKLISTED,
}
_UNNAMED_FACE = {M.FACE_VERIFY_FAIL, M.FACE_RECOGNIZE_FAIL}
MAX_SERIAL = 2**63 - 1  # the database's BIGINT
MAX_CARD_REF = 64  # GateEventBody.credential_ref


class UnusableEventError(ValueError):
    """An event no terminal sends: a serial out of range, a time that is no instant."""

    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__(f"{message_zh} / {message_en}")
        self.code = "isapi.unusable_event"
        self.message_zh = message_zh
        self.message_en = message_en


def worker_of(employee_no: str | None) -> int | None:
    """SiteGate pushes str(worker_id) as employeeNo; anything else is someone it never pushed."""
    if employee_no is None or not employee_no.isascii() or not employee_no.isdigit():
        return None
    value = int(employee_no)
    return value if 0 < value < 2**63 else None


def received(
    *,
    serial: int,
    at: dt.datetime,
    major: int,
    minor: int,
    employee_no: str | None,
    card_no: str | None,
) -> Received | None:
    """One access event as a record, or None when it is no pass attempt."""
    if not 0 < serial <= MAX_SERIAL:
        raise UnusableEventError(
            f"事件序号 serialNo={serial} 超出范围", f"event serialNo={serial} is out of range"
        )
    if at.tzinfo is None:  # the protocol layer refuses naive times; never guess a zone here
        raise UnusableEventError("事件时间缺少时区", "event time has no UTC offset")
    try:
        at.astimezone(dt.UTC)
    except OverflowError:
        raise UnusableEventError(
            f"事件时间 {at.isoformat()} 无效", f"event time {at.isoformat()} is no instant"
        ) from None
    outcome = classify_event(major, minor)
    if outcome is Outcome.OTHER:
        return None
    kind = EventMinor(minor)  # classify() knows every minor it does not call OTHER
    # A card number longer than any card's is kept out of the record rather than cut.
    card = card_no if card_no and len(card_no) <= MAX_CARD_REF else None
    worker_id = worker_of(employee_no)
    credential: CredentialKind | None
    if kind in _FACE_ONLY:
        mode, credential, card = GateMode.FACE_ONLY, CredentialKind.FACE, None
    elif kind in _ID_CARD_AND_FACE:
        mode, credential = GateMode.CARD_AND_FACE, CredentialKind.ID_CARD
    elif kind in _CARD_AND_FACE:
        mode, credential = GateMode.CARD_AND_FACE, CredentialKind.IC_CARD
    else:
        mode, credential = GateMode.CARD_ONLY, CredentialKind.IC_CARD if card else None
    reason: DenyReason | None = None
    if outcome is Outcome.REFUSED:
        reason = _REASONS.get(kind, DenyReason.UNKNOWN_CREDENTIAL)
        if kind in _UNNAMED_FACE and worker_id is None:
            reason = DenyReason.UNKNOWN_CREDENTIAL
    return Received(
        ref=str(serial),
        at=at,
        result=GateResult.GRANTED if outcome is Outcome.PASS else GateResult.REFUSED,
        mode=mode,
        credential=credential,
        credential_ref=card,
        worker_id=worker_id,
        reason=reason,
    )


def from_push(push: AcsEventPush) -> Received | None:
    acs = push.acs
    if acs is None or acs.serial_no is None:
        return None
    return received(
        serial=acs.serial_no, at=push.date_time, major=acs.major, minor=acs.minor,
        employee_no=acs.employee_no, card_no=acs.card_no,
    )  # fmt: skip


def from_search(info: AcsEventInfo) -> Received | None:
    if info.serial_no is None:
        return None
    return received(
        serial=info.serial_no, at=info.time, major=info.major, minor=info.minor,
        employee_no=info.employee_no, card_no=info.card_no,
    )  # fmt: skip


def new_gaps(
    high: int, serials: Iterable[tuple[int, int | None]]
) -> tuple[list[tuple[int, int]], int]:
    """(the serial ranges skipped, inclusive; the new highest serial) from the stored highest
    serial and the new events' (serialNo, frontSerialNo or None), in any order."""
    gaps: list[tuple[int, int]] = []
    for serial, front in sorted(set(serials)):
        if serial <= high:
            continue  # a late or re-sent event: it may fill an open gap, never opens one
        before = front if front is not None and front < serial else serial - 1
        if high > 0 and before > high:
            gaps.append((high + 1, before))
        high = serial
    return gaps, high
