"""Face templates are biometric data: Fernet-encrypted at rest, only with recorded consent."""

from __future__ import annotations

import struct

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from server.config import Settings
from server.db.types import utcnow
from server.errors import SiteGateError
from server.registry.models import FaceTemplate, Worker

DIMENSIONS = 128


class ConsentRequiredError(SiteGateError):
    code = "face.no_consent"
    status_code = 409

    def __init__(self) -> None:
        super().__init__(
            "工人未同意使用人脸识别,不能保存人脸模板",
            "the worker has not consented to face recognition; no template may be stored",
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
