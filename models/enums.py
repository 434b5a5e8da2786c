"""Enumerations both sides agree on: stable string values, stored and sent on the wire."""

from __future__ import annotations

from enum import StrEnum


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class CredentialKind(StrEnum):
    ID_CARD = "id_card"  # 二代身份证 read through the SAM module
    IC_CARD = "ic_card"  # worker IC card UID bound to the assignment
    FACE = "face"  # face only: 1:N identification
    MANUAL = "manual"  # manager confirmation (the legally required alternative to face)


class GateMode(StrEnum):
    CARD_AND_FACE = "card_and_face"  # 1:1
    FACE_ONLY = "face_only"  # 1:N
    CARD_ONLY = "card_only"  # card-only gate, or the camera is down
    # The legal alternative to face: the card plus a manager's card at the gate (RULES.md 3).
    CARD_CONFIRMED = "card_confirmed"


class RecordPurpose(StrEnum):
    """What a chained record is for, besides a pass at a gate (a record without one is a pass
    attempt). Attendance counts only passes; the other purposes ride the same signed chain so
    they are evidence of the same strength."""

    # The worker confirmed their wage line (工资支付表 row) at a station: card + face, or card +
    # a confirmer's card; `subject_hash` names the line's shown_hash.
    WAGE_CONFIRM = "wage_confirm"
    # The device's own seal over the records since its previous checkpoint (models.checkpoint):
    # seq range, count, tip hash and two Merkle roots, made at the end of each local day and
    # every N records. It names no worker and is no pass.
    CHECKPOINT = "checkpoint"


class GateResult(StrEnum):
    GRANTED = "granted"
    REFUSED = "refused"


class DenyReason(StrEnum):
    UNKNOWN_CREDENTIAL = "unknown_credential"
    NOT_ON_ROSTER = "not_on_roster"
    NOT_ENTERED = "not_entered"
    LEFT = "left"
    BLOCKLISTED = "blocklisted"
    NO_CONTRACT = "no_contract"
    NO_SAFETY_TRAINING = "no_safety_training"
    ID_CARD_EXPIRED = "id_card_expired"
    AGE_LIMIT = "age_limit"
    NO_FACE = "no_face"
    MULTIPLE_FACES = "multiple_faces"
    FACE_TOO_SMALL = "face_too_small"
    FACE_MISMATCH = "face_mismatch"
    FACE_AMBIGUOUS = "face_ambiguous"
    FACE_TIMEOUT = "face_timeout"
    # Presentation-attack check (GatePolicy.liveness): the live-person challenge was answered
    # wrongly (or by a flat picture), or not answered in time. Both offer the confirmation lane.
    LIVENESS_FAILED = "liveness_failed"
    LIVENESS_TIMEOUT = "liveness_timeout"
    ANTI_PASSBACK = "anti_passback"
    OUTSIDE_HOURS = "outside_hours"
    DEVICE_FAULT = "device_fault"
    CONFIRMATION_TIMEOUT = "confirmation_timeout"
    NOT_A_CONFIRMER = "not_a_confirmer"
    SELF_CONFIRMATION = "self_confirmation"
    # A follow-up to a granted record: the relay pulse was dropped or failed, nobody passed.
    RELAY_FAILED = "relay_failed"


DENY_REASON_TEXT: dict[DenyReason, tuple[str, str]] = {
    DenyReason.UNKNOWN_CREDENTIAL: ("未登记的证件或卡", "unknown card or ID"),
    DenyReason.NOT_ON_ROSTER: ("不在本项目花名册", "not on this project's roster"),
    DenyReason.NOT_ENTERED: ("尚未办理进场", "not yet entered the project"),
    DenyReason.LEFT: ("已退场", "has left the project"),
    DenyReason.BLOCKLISTED: ("在黑名单中", "blocklisted"),
    DenyReason.NO_CONTRACT: ("未签劳动合同", "no labour contract recorded"),
    DenyReason.NO_SAFETY_TRAINING: ("未完成安全教育", "no safety training recorded"),
    DenyReason.ID_CARD_EXPIRED: ("身份证已过期", "ID card expired"),
    DenyReason.AGE_LIMIT: ("年龄超出项目限制", "age outside the project's limits"),
    DenyReason.NO_FACE: ("未检测到人脸", "no face detected"),
    DenyReason.MULTIPLE_FACES: ("检测到多张人脸", "several faces in view"),
    DenyReason.FACE_TOO_SMALL: ("人脸太小,请靠近", "face too small, come closer"),
    DenyReason.FACE_MISMATCH: ("人证不符", "face does not match"),
    DenyReason.FACE_AMBIGUOUS: ("人脸无法唯一识别", "face not uniquely identified"),
    DenyReason.FACE_TIMEOUT: ("人脸识别超时", "face check timed out"),
    DenyReason.LIVENESS_FAILED: ("活体检测未通过", "live-person check failed"),
    DenyReason.LIVENESS_TIMEOUT: ("活体检测超时,请按提示眨眼或转头", "live-person check timed out"),
    DenyReason.ANTI_PASSBACK: ("重复进入(防潜回)", "already inside (anti-passback)"),
    DenyReason.OUTSIDE_HOURS: ("不在允许通行时段", "outside permitted hours"),
    DenyReason.DEVICE_FAULT: ("设备故障", "device fault"),
    DenyReason.CONFIRMATION_TIMEOUT: ("管理人员确认超时", "manager confirmation timed out"),
    DenyReason.NOT_A_CONFIRMER: ("该卡不是本项目确认人的卡", "card is not a gate confirmer's"),
    DenyReason.SELF_CONFIRMATION: ("不能由本人确认", "a worker cannot confirm themselves"),
    DenyReason.RELAY_FAILED: (
        "闸门未打开,未通行(继电器故障或开闸指令丢失)",
        "the gate did not open, no pass (relay failed or its pulse was dropped)",
    ),
}


class CompanyRole(StrEnum):
    GENERAL_CONTRACTOR = "general_contractor"  # 施工总承包单位
    SUBCONTRACTOR = "subcontractor"  # 专业分包单位
    LABOUR_SUBCONTRACTOR = "labour_subcontractor"  # 劳务分包单位


class WageKind(StrEnum):
    DAILY = "daily"
    MONTHLY = "monthly"
    PIECE = "piece"  # piece rate: no expected amount


class AssignmentStatus(StrEnum):
    PENDING = "pending"  # registered, not yet entered
    ACTIVE = "active"  # 进场
    LEFT = "left"  # 退场


class Role(StrEnum):
    ADMIN = "admin"
    SITE_MANAGER = "site_manager"
    INSPECTOR = "inspector"
    WORKER = "worker"


class WarningLevel(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    ORANGE = "orange"
    RED = "red"


class DeviceKind(StrEnum):
    ID_CARD_READER = "id_card_reader"
    IC_CARD_READER = "ic_card_reader"
    RELAY = "relay"
    CAMERA = "camera"


class LivenessResult(StrEnum):
    """The live-person (presentation-attack) check of one attempt, sealed in its record."""

    PASSED = "passed"  # the random challenge (blink, or a head turn) was answered
    FAILED = "failed"  # answered wrongly, or the face moved like a flat picture
    TIMEOUT = "timeout"  # not answered while the attempt lasted


LIVENESS_RESULT_TEXT: dict[LivenessResult, tuple[str, str]] = {
    LivenessResult.PASSED: ("活体通过", "live person"),
    LivenessResult.FAILED: ("活体未通过", "live-person check failed"),
    LivenessResult.TIMEOUT: ("活体未完成", "live-person check not answered"),
}


class LivenessPolicy(StrEnum):
    OFF = "off"  # no check
    LOG = "log"  # checked and sealed in the record, never refuses
    REQUIRE = "require"  # a face pass needs the challenge answered
