"""Face templates are biometric data: Fernet-encrypted at rest, only with recorded consent."""

from __future__ import annotations

import hashlib
import struct

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from server.config import Settings
from server.db.types import utcnow
from server.errors import SiteGateError
from server.registry.models import FacePhoto, FaceTemplate, Worker

DIMENSIONS = 128


class ConsentRequiredError(SiteGateError):
    code = "face.no_consent"
    status_code = 409

    def __init__(self) -> None:
        super().__init__(
            "工人未同意使用人脸识别,不能保存人脸模板",
            "the worker has not consented to face recognition; no template may be stored",
        )


class PhotoInvalidError(SiteGateError):
    code = "face.bad_photo"
    status_code = 422

    def __init__(self) -> None:
        super().__init__(
            "人脸照片须为 JPEG,且不超过 200 KB",
            "the face picture must be a JPEG of at most 200 KB",
        )


def encrypt(settings: Settings, encoding: list[float]) -> bytes:
    if len(encoding) != DIMENSIONS:
        raise SiteGateError(
            f"人脸模板须为 {DIMENSIONS} 维",
            f"a face template has {DIMENSIONS} dimensions",
            code="face.bad_template",
            status_code=422,
        )
    return Fernet(settings.fernet_key()).encrypt(struct.pack(f"<{DIMENSIONS}d", *encoding))


def decrypt(settings: Settings, ciphertext: bytes) -> list[float]:
    try:
        raw = Fernet(settings.fernet_key()).decrypt(ciphertext)
    except InvalidToken:
        raise SiteGateError(
            "人脸模板无法解密(密钥不符)",
            "face template cannot be decrypted (wrong key)",
            code="face.bad_key",
            status_code=500,
        ) from None
    return list(struct.unpack(f"<{DIMENSIONS}d", raw))


def add_template(
    session: Session, settings: Settings, worker: Worker, encoding: list[float], source: str
) -> FaceTemplate:
    if not worker.face_consent:
        raise ConsentRequiredError()
    row = FaceTemplate(worker_id=worker.id, ciphertext=encrypt(settings, encoding), source=source)
    session.add(row)
    session.flush()
    return row


def templates_for(session: Session, settings: Settings, worker_id: int) -> list[list[float]]:
    rows = session.scalars(
        select(FaceTemplate.ciphertext).where(FaceTemplate.worker_id == worker_id)
    )
    return [decrypt(settings, c) for c in rows]


def set_consent(session: Session, worker: Worker, consent: bool) -> None:
    """Withdrawing consent deletes every template at once (RULES.md: biometric data)."""
    worker.face_consent = consent
    worker.face_consent_at = utcnow()
    if not consent:
        session.execute(delete(FaceTemplate).where(FaceTemplate.worker_id == worker.id))
        session.execute(delete(FacePhoto).where(FacePhoto.worker_id == worker.id))


MAX_PHOTO_BYTES = 200 * 1024  # terminals take pictures up to 200 KB (Hikvision FDLib)


def set_photo(session: Session, settings: Settings, worker: Worker, jpeg: bytes) -> FacePhoto:
    """Keep the worker's enrolled face picture for the face terminals; only with consent."""
    if not worker.face_consent:
        raise ConsentRequiredError()
    if not jpeg.startswith(b"\xff\xd8") or len(jpeg) > MAX_PHOTO_BYTES:
        raise PhotoInvalidError()
    digest = hashlib.sha256(jpeg).hexdigest()
    photo = session.scalar(select(FacePhoto).where(FacePhoto.worker_id == worker.id))
    ciphertext = Fernet(settings.fernet_key()).encrypt(jpeg)
    if photo is None:
        photo = FacePhoto(worker_id=worker.id, ciphertext=ciphertext, digest=digest)
        session.add(photo)
    else:
        photo.ciphertext, photo.digest = ciphertext, digest
    session.flush()
    return photo


def photo_for(session: Session, settings: Settings, worker_id: int) -> bytes | None:
    photo = session.scalar(select(FacePhoto).where(FacePhoto.worker_id == worker_id))
    return None if photo is None else Fernet(settings.fernet_key()).decrypt(photo.ciphertext)


def photo_digests(session: Session, worker_ids: list[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for i in range(0, len(worker_ids), 1000):
        rows = session.execute(
            select(FacePhoto.worker_id, FacePhoto.digest).where(
                FacePhoto.worker_id.in_(worker_ids[i : i + 1000])
            )
        )
        out.update((int(w), str(d)) for w, d in rows)
    return out
