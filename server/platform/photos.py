"""A worker's photo made to fit the platform's limit (JPEG or PNG, at most 50 KB): re-encoded
smaller only when it does not fit, so a photo that fits goes as it is."""

from __future__ import annotations

import cv2
import numpy as np

from platforms.national.precheck import PHOTO_MAX

QUALITIES = (85, 70, 55, 40)


def fits(raw: bytes) -> bool:
    return len(raw) <= PHOTO_MAX and (raw[:3] == b"\xff\xd8\xff" or raw[:8] == b"\x89PNG\r\n\x1a\n")


def fit_photo(raw: bytes, limit: int = PHOTO_MAX) -> bytes:
    """The photo within `limit` bytes as a JPEG; undecodable bytes come back unchanged (the
    pre-check then says what is wrong)."""
    if fits(raw) and len(raw) <= limit:
        return raw
    image = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        return raw
    while True:
        for quality in QUALITIES:
            ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
            if ok and len(buf) <= limit:
                return bytes(buf)
        height, width = image.shape[:2]
        if min(height, width) < 64:
            return bytes(buf)
        image = cv2.resize(image, (width * 3 // 4, height * 3 // 4), interpolation=cv2.INTER_AREA)
