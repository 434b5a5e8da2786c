"""Enrollment station (site office): ID card → best face of several frames → consent → server.

The face template is taken only with the worker's recorded consent (RULES.md: biometric data).
Without consent the worker is registered all the same and uses the card + manager alternative.
When the server cannot be reached the request is queued in the outbox database and sent later
by the sync worker; nothing typed at the office is lost.
"""

from __future__ import annotations

import base64
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from edge.face import FaceMatcher, ProbeStatus, quality_score
from models.enums import DenyReason
from models.sync import EnrollmentRequest, EnrollmentResponse

if TYPE_CHECKING:
    from drivers.base import FrameSource, IdCardReader
    from drivers.sam_idcard.records import IdCardRecord
    from edge.outbox import Outbox
    from edge.sync import SyncClient


class EnrollmentError(Exception):
    code = "edge.enrollment"

    def __init__(self, message_zh: str, message_en: str) -> None:
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(f"{message_zh} / {message_en}")


@dataclass(frozen=True, slots=True)
class Capture:
    template: list[float]
    quality: float
    face_px: int
    frames_seen: int
    jpeg: bytes | None = None  # the frame the template came from, for the face terminals


_PROBE_REASON = {
    ProbeStatus.NO_FACE: DenyReason.NO_FACE,
    ProbeStatus.MULTIPLE: DenyReason.MULTIPLE_FACES,
    ProbeStatus.TOO_SMALL: DenyReason.FACE_TOO_SMALL,
}


def capture_best_face(
    camera: FrameSource,
    matcher: FaceMatcher,
    *,
    frames: int = 8,
    timeout_s: float = 10.0,
    min_quality: float = 1.0,
    clock: Callable[[], float] = time.monotonic,
) -> Capture:
    """Look at up to `frames` distinct frames and keep the best-quality single face."""
    best: Capture | None = None
    problems: dict[DenyReason, int] = {}
    seen = 0
    last_key: tuple[int, float] | None = None
    deadline = clock() + timeout_s
    while seen < frames and clock() < deadline:
        frame = camera.latest()
        if frame is None or (frame.seq, frame.ts) == last_key:
            time.sleep(0.02)
            continue
        last_key = (frame.seq, frame.ts)
        seen += 1
        probe = matcher.probe(frame.image)
        if probe.status is not ProbeStatus.OK or probe.encoding is None:
            reason = _PROBE_REASON[probe.status]
            problems[reason] = problems.get(reason, 0) + 1
            continue
        q = quality_score(frame.image, probe)
        if best is None or q > best.quality:
            encoding = [float(x) for x in probe.encoding]
            best = Capture(encoding, q, probe.face_px, seen, photo_jpeg(frame.image))
    if best is None or best.quality < min_quality:
        reason = max(problems, key=lambda r: problems[r]) if problems else DenyReason.FACE_TIMEOUT
        from models.enums import DENY_REASON_TEXT

        zh, en = DENY_REASON_TEXT[reason]
        raise EnrollmentError(f"未采集到合格人脸: {zh}", f"no usable face captured: {en}")
    return best


PHOTO_MAX_BYTES = 200 * 1024  # what face terminals take (Hikvision FDLib, ZKTeco BIOPHOTO)


def photo_jpeg(image: Any) -> bytes | None:
    """The frame as a JPEG a face terminal enrols from: at most 640 px wide, under 200 KB."""
    import cv2

    height, width = image.shape[:2]
    if width > 640:
        image = cv2.resize(image, (640, round(height * 640 / width)))
    for quality in (85, 70, 50):
        ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if ok and len(buf) <= PHOTO_MAX_BYTES:
            return bytes(buf)
    return None


def build_request(
    record: IdCardRecord,
    *,
    consent: bool,
    template: list[float] | None,
    photo: bytes | None = None,
    phone: str | None = None,
    now: dt.datetime | None = None,
) -> EnrollmentRequest:
    gender = {"1": "M", "2": "F"}.get(record.gender)
    if gender is None:
        raise EnrollmentError("身份证性别无法识别", "gender on the ID card not recognised")
    return EnrollmentRequest(
        name=record.name,
        id_number=record.id_number,
        id_card_type=record.id_type,
        gender=gender,
        nation=record.nation.name if record.nation is not None else "",
        birth_date=record.birth_date,
        address=record.address[:128],
        id_issuer=record.issuer[:64],
        id_valid_from=record.valid_from,
        id_valid_to=record.valid_to,
        phone=phone,
        face_consent=consent,
        face_template=template if consent else None,  # never sent without consent
        face_photo=base64.b64encode(photo).decode() if consent and photo else None,
        enrolled_at=now or dt.datetime.now(dt.UTC),
    )


@dataclass(frozen=True, slots=True)
class EnrollmentResult:
    request: EnrollmentRequest
    response: EnrollmentResponse | None  # None: queued for later
    queued_id: int | None = None


def enroll(
    *,
    id_reader: IdCardReader,
    camera: FrameSource | None,
    matcher: FaceMatcher | None,
    consent: bool,
    client: SyncClient | None,
    outbox: Outbox,
    phone: str | None = None,
    card_timeout_s: float = 30.0,
) -> EnrollmentResult:
    """The whole station flow; raises EnrollmentError with a bilingual reason when it cannot."""
    from edge.sync import SyncError

    record = id_reader.read_card(card_timeout_s)
    if record is None:
        raise EnrollmentError("未读到身份证", "no ID card was read")
    template: list[float] | None = None
    photo: bytes | None = None
    if consent:
        if camera is None or matcher is None:
            raise EnrollmentError("没有摄像头,无法采集人脸", "no camera to capture the face")
        best = capture_best_face(camera, matcher)
        template, photo = best.template, best.jpeg
    request = build_request(record, consent=consent, template=template, photo=photo, phone=phone)
    if client is not None:
        try:
            return EnrollmentResult(request, client.enroll(request))
        except SyncError as exc:
            if not exc.retryable:
                raise EnrollmentError(f"服务器拒绝登记: {exc}", f"server refused: {exc}") from exc
    queued = outbox.queue_enrollment(request.model_dump_json())
    return EnrollmentResult(request, None, queued)
