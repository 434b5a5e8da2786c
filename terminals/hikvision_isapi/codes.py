"""Event codes of Hikvision access-control terminals: major types, the minor (sub) types of
major 5 that a gate cares about, their outcome (pass / refused / other), and verify modes.

Values are the HCNetSDK constants (`MAJOR_EVENT = 0x5`, `MINOR_LEGAL_CARD_PASS = 0x01`,
`MINOR_FACE_VERIFY_PASS = 0x4b` ...) as published in Hikvision's SDK headers and reproduced in many
public integrations (Java `HCNetSDK.java`, C# `CHCNetSDK.cs`); ISAPI carries the same numbers as
`majorEventType`/`subEventType` in pushes and `major`/`minor` in AcsEvent search results. Note
that 0x69 (person-and-ID-card pass) is followed by 0x70 for its failure: the SDK skips 0x6a-0x6f.
Remote door opening is an *operation* log entry (major 3, minor 0x400), not a major-5 event; some
integrations list it as `MINOR_REMOTE_OPEN_DOOR_PASS` under major 5, which we have not seen a
terminal send [unsure].

`VerifyMode` spellings follow the terminals' `userVerifyMode`/`currentVerifyMode` enumeration,
including its irregular casing (`faceOrfaceAndCard`, `cardOrfaceOrPw`); firmware adds modes over
time, so parsers keep the raw string and `verify_mode()` maps what it knows.
"""

from __future__ import annotations

from enum import Enum, IntEnum, StrEnum

MAJOR_ALARM = 0x1
MAJOR_EXCEPTION = 0x2
MAJOR_OPERATION = 0x3
MAJOR_EVENT = 0x5
MINOR_ALL = 0  # in AcsEventCond: 0 means every minor type (major 0 likewise every major)
MINOR_REMOTE_OPEN_DOOR = 0x400  # under MAJOR_OPERATION


class Outcome(Enum):
    PASS = "pass"  # noqa: S105 - an outcome, not a password
    REFUSED = "refused"
    OTHER = "other"


class EventMinor(IntEnum):
    """Minor types of major 5 (`MAJOR_EVENT`). `label_zh` and `outcome` are below."""

    LEGAL_CARD_PASS = 0x01
    CARD_AND_PSW_PASS = 0x02
    CARD_AND_PSW_FAIL = 0x03
    CARD_NO_RIGHT = 0x06
    CARD_INVALID_PERIOD = 0x07
    CARD_OUT_OF_DATE = 0x08
    INVALID_CARD = 0x09
    ANTI_SNEAK_FAIL = 0x0A
    MULTI_VERIFY_SUCCESS = 0x10
    ALWAYS_OPEN_BEGIN = 0x13
    ALWAYS_OPEN_END = 0x14
    LOCK_OPEN = 0x15
    LOCK_CLOSE = 0x16
    DOOR_BUTTON_PRESS = 0x17
    DOOR_OPEN_NORMAL = 0x19
    DOOR_CLOSE_NORMAL = 0x1A
    DOOR_OPEN_ABNORMAL = 0x1B
    DOOR_OPEN_TIMEOUT = 0x1C
    FINGERPRINT_COMPARE_PASS = 0x26
    FINGERPRINT_COMPARE_FAIL = 0x27
    CARD_FINGERPRINT_VERIFY_PASS = 0x28
    FINGERPRINT_INEXISTENCE = 0x31
    FACE_AND_FP_VERIFY_PASS = 0x36
    FACE_AND_PW_VERIFY_PASS = 0x39
    FACE_AND_CARD_VERIFY_PASS = 0x3C
    FACE_AND_CARD_VERIFY_FAIL = 0x3D
    FACE_AND_CARD_VERIFY_TIMEOUT = 0x3E
    EMPLOYEENO_AND_FP_VERIFY_PASS = 0x45
    FACE_VERIFY_PASS = 0x4B
    FACE_VERIFY_FAIL = 0x4C
    EMPLOYEENO_AND_FACE_VERIFY_PASS = 0x4D
    EMPLOYEENO_AND_FACE_VERIFY_FAIL = 0x4E
    FACE_RECOGNIZE_FAIL = 0x50
    EMPLOYEENO_AND_PW_PASS = 0x65
    EMPLOYEENO_AND_PW_FAIL = 0x66
    HUMAN_DETECT_FAIL = 0x68
    PEOPLE_AND_ID_CARD_COMPARE_PASS = 0x69
    PEOPLE_AND_ID_CARD_COMPARE_FAIL = 0x70
    CERTIFICATE_BLACK_LIST = 0x71

    @property
    def label_zh(self) -> str:
        return _LABELS_ZH[self]

    @property
    def outcome(self) -> Outcome:
        return _OUTCOMES.get(self, Outcome.OTHER)


_M = EventMinor
_LABELS_ZH: dict[EventMinor, str] = {
    _M.LEGAL_CARD_PASS: "合法卡认证通过",
    _M.CARD_AND_PSW_PASS: "刷卡加密码认证通过",
    _M.CARD_AND_PSW_FAIL: "刷卡加密码认证失败",
    _M.CARD_NO_RIGHT: "卡未分配权限",
    _M.CARD_INVALID_PERIOD: "卡不在有效时段",
    _M.CARD_OUT_OF_DATE: "卡号过期",
    _M.INVALID_CARD: "无此卡号",
    _M.ANTI_SNEAK_FAIL: "反潜回认证失败",
    _M.MULTI_VERIFY_SUCCESS: "多重认证成功",
    _M.ALWAYS_OPEN_BEGIN: "常开状态开始",
    _M.ALWAYS_OPEN_END: "常开状态结束",
    _M.LOCK_OPEN: "门锁打开",
    _M.LOCK_CLOSE: "门锁关闭",
    _M.DOOR_BUTTON_PRESS: "开门按钮按下",
    _M.DOOR_OPEN_NORMAL: "门磁正常打开",
    _M.DOOR_CLOSE_NORMAL: "门磁正常关闭",
    _M.DOOR_OPEN_ABNORMAL: "门异常打开",
    _M.DOOR_OPEN_TIMEOUT: "开门超时",
    _M.FINGERPRINT_COMPARE_PASS: "指纹比对通过",
    _M.FINGERPRINT_COMPARE_FAIL: "指纹比对失败",
    _M.CARD_FINGERPRINT_VERIFY_PASS: "刷卡加指纹认证通过",
    _M.FINGERPRINT_INEXISTENCE: "指纹不存在",
    _M.FACE_AND_FP_VERIFY_PASS: "人脸加指纹认证通过",
    _M.FACE_AND_PW_VERIFY_PASS: "人脸加密码认证通过",
    _M.FACE_AND_CARD_VERIFY_PASS: "人脸加刷卡认证通过",
    _M.FACE_AND_CARD_VERIFY_FAIL: "人脸加刷卡认证失败",
    _M.FACE_AND_CARD_VERIFY_TIMEOUT: "人脸加刷卡认证超时",
    _M.EMPLOYEENO_AND_FP_VERIFY_PASS: "工号加指纹认证通过",
    _M.FACE_VERIFY_PASS: "人脸认证通过",
    _M.FACE_VERIFY_FAIL: "人脸认证失败",
    _M.EMPLOYEENO_AND_FACE_VERIFY_PASS: "工号加人脸认证通过",
    _M.EMPLOYEENO_AND_FACE_VERIFY_FAIL: "工号加人脸认证失败",
    _M.FACE_RECOGNIZE_FAIL: "人脸识别失败",
    _M.EMPLOYEENO_AND_PW_PASS: "工号加密码认证通过",
    _M.EMPLOYEENO_AND_PW_FAIL: "工号加密码认证失败",
    _M.HUMAN_DETECT_FAIL: "真人检测失败",
    _M.PEOPLE_AND_ID_CARD_COMPARE_PASS: "人证比对通过",
    _M.PEOPLE_AND_ID_CARD_COMPARE_FAIL: "人证比对失败",
    _M.CERTIFICATE_BLACK_LIST: "黑名单事件",
}
_PASS = {
    _M.LEGAL_CARD_PASS, _M.CARD_AND_PSW_PASS, _M.MULTI_VERIFY_SUCCESS,
    _M.FINGERPRINT_COMPARE_PASS, _M.CARD_FINGERPRINT_VERIFY_PASS, _M.FACE_AND_FP_VERIFY_PASS,
    _M.FACE_AND_PW_VERIFY_PASS, _M.FACE_AND_CARD_VERIFY_PASS, _M.EMPLOYEENO_AND_FP_VERIFY_PASS,
    _M.FACE_VERIFY_PASS, _M.EMPLOYEENO_AND_FACE_VERIFY_PASS, _M.EMPLOYEENO_AND_PW_PASS,
    _M.PEOPLE_AND_ID_CARD_COMPARE_PASS,
}  # fmt: skip
_REFUSED = {
    _M.CARD_AND_PSW_FAIL, _M.CARD_NO_RIGHT, _M.CARD_INVALID_PERIOD, _M.CARD_OUT_OF_DATE,
    _M.INVALID_CARD, _M.ANTI_SNEAK_FAIL, _M.FINGERPRINT_COMPARE_FAIL, _M.FINGERPRINT_INEXISTENCE,
    _M.FACE_AND_CARD_VERIFY_FAIL, _M.FACE_AND_CARD_VERIFY_TIMEOUT, _M.FACE_VERIFY_FAIL,
    _M.EMPLOYEENO_AND_FACE_VERIFY_FAIL, _M.FACE_RECOGNIZE_FAIL, _M.EMPLOYEENO_AND_PW_FAIL,
    _M.HUMAN_DETECT_FAIL, _M.PEOPLE_AND_ID_CARD_COMPARE_FAIL, _M.CERTIFICATE_BLACK_LIST,
}  # fmt: skip
_OUTCOMES = dict.fromkeys(_PASS, Outcome.PASS) | dict.fromkeys(_REFUSED, Outcome.REFUSED)


def classify(major: int, minor: int) -> Outcome:
    """Pass / refused / other for any (major, minor), known or not: unknown codes are OTHER, so a
    new firmware's event is never counted as an attendance pass by accident."""
    if major != MAJOR_EVENT:
        return Outcome.OTHER
    try:
        return EventMinor(minor).outcome
    except ValueError:
        return Outcome.OTHER


class VerifyMode(StrEnum):
    CARD = "card"
    FACE = "face"
    FP = "fp"
    CARD_OR_FACE = "cardOrFace"
    CARD_OR_FACE_OR_FP = "cardOrFaceOrFp"
    CARD_OR_FACE_OR_PW = "cardOrfaceOrPw"
    FACE_AND_CARD = "faceAndCard"
    FACE_OR_FACE_AND_CARD = "faceOrfaceAndCard"
    FACE_AND_PW = "faceAndPw"
    FACE_AND_FP = "faceAndFp"
    FACE_OR_FP_OR_CARD_OR_PW = "faceOrFpOrCardOrPw"
    CARD_AND_PW = "cardAndPw"
    CARD_OR_PW = "cardOrPw"
    EMPLOYEE_NO_AND_FACE = "employeeNoAndFace"
    EMPLOYEE_NO_AND_PW = "employeeNoAndPw"
    EMPLOYEE_NO_AND_FP = "employeeNoAndFp"
    INVALID = "invalid"


def verify_mode(raw: str | None) -> VerifyMode | None:
    try:
        return VerifyMode(raw) if raw is not None else None
    except ValueError:
        return None
