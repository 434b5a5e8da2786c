"""`DeviceCaller`: the authenticated gate behind a signed request.

The raw body is read once (Starlette caches it on the request) and checked against the
signature; the path is signed WITHOUT its query string (see server/ingest/service.py).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from models.device_auth import HEADER_DEVICE, HEADER_NONCE, HEADER_SIGNATURE, HEADER_TIMESTAMP
from server.db.types import utcnow
from server.deps import SessionDep, SettingsDep
from server.ingest import service as ingest_service
from server.registry.models import Device


async def get_raw_body(request: Request) -> bytes:
    return await request.body()


RawBody = Annotated[bytes, Depends(get_raw_body)]


def get_device_caller(
    request: Request, session: SessionDep, settings: SettingsDep, body: RawBody
) -> Device:
    # A plain `def`: FastAPI runs it in the thread pool, so the database work never blocks.
    headers = request.headers
    signed = ingest_service.SignedRequest(
        device_code=headers.get(HEADER_DEVICE),
        timestamp=headers.get(HEADER_TIMESTAMP),
        nonce=headers.get(HEADER_NONCE),
        signature=headers.get(HEADER_SIGNATURE),
        method=request.method,
        path=request.url.path,
        body=body,
    )
    try:
        return ingest_service.authenticate(session, settings, signed, now=utcnow())
    except ingest_service.DeviceStaleError as exc:
        if exc.observed:
            # The request is refused, but the gate's clock skew it showed is kept for the gates
            # page: the one write a refused request makes (nothing else happened before it).
            session.commit()
        raise


DeviceCaller = Annotated[Device, Depends(get_device_caller)]
