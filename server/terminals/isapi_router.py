"""The listening host Hikvision ISAPI terminals push their access events to.

POST /api/v1/terminals/hikvision/{serial}/events
    multipart/form-data with an `event_log` JSON part (and maybe a `Picture` part), or bare JSON;
    heartbeats arrive the same way. 200 with the receipt; 400 malformed; 401 unknown terminal;
    403 not approved or deactivated; 413 over 2 MiB (refused before parsing).

Which terminal is calling: the pushed JSON names none (only an IP and MAC address), so the
server configures each terminal's listening host (`IsapiClient.set_http_host`) as this URL with
the terminal's own serial number in it (`push_url`). A terminal is authenticated by that
serial number being registered and approved, nothing more: ISAPI's push carries no signature,
and the records are sealed by the server (receipt.py says so in each). The pull (isapi_pull.py),
which is Digest-authenticated, is the check on what was pushed: a record is stored once by its
serialNo whichever way it came.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse

from server.db.types import utcnow
from server.deps import SessionDep, SettingsDep
from server.errors import SiteGateError
from server.terminals import hikvision, isapi_store, receipt, service
from terminals.hikvision_isapi.protocol import (
    DEFAULT_MAX_BODY_BYTES,
    IsapiProtocolError,
    parse_event_multipart,
)

PREFIX = "/api/v1/terminals/hikvision"
MAX_BODY_BYTES = DEFAULT_MAX_BODY_BYTES  # an event JSON and one capture JPEG

router = APIRouter(prefix=PREFIX, tags=["terminals"])


def push_url(server_url: str, serial_number: str) -> str:
    """The listening-host URL to configure on the terminal with this serial number."""
    return f"{server_url.rstrip('/')}{PREFIX}/{serial_number}/events"


class TooLargeError(SiteGateError):
    code = "terminal.too_large"
    status_code = 413


def _too_large() -> TooLargeError:
    return TooLargeError(
        f"终端推送的请求体超过 {MAX_BODY_BYTES} 字节,已拒收",
        f"the terminal's push is over {MAX_BODY_BYTES} bytes and was refused",
    )


async def capped_body(request: Request) -> bytes:
    """The body, read only up to the cap: a larger one is refused before it is parsed."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_large()
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise _too_large()
    return bytes(body)


CappedBody = Annotated[bytes, Depends(capped_body)]
Serial = Annotated[str, Path(min_length=4, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


@router.post("/{serial}/events", summary="Hikvision ISAPI event push (listening host)")
def receive_push(
    serial: Serial,
    request: Request,
    body: CappedBody,
    session: SessionDep,
    settings: SettingsDep,
) -> Any:
    # A plain `def`: the database work runs in the thread pool, never on the event loop.
    now = utcnow()
    try:
        device = service.accepting(session, "hikvision", serial, now=now)
    except service.TerminalRefusedError as exc:
        session.commit()  # the contact is kept, so the manager sees the terminal is wired up
        status = 401 if exc.code == "terminal.unknown" else 403
        return JSONResponse(status_code=status, content={**exc.to_dict(), "code": exc.code})
    try:
        push = parse_event_multipart(
            request.headers.get("content-type", ""), body, max_bytes=MAX_BODY_BYTES
        )
    except IsapiProtocolError as exc:
        session.commit()  # a contact all the same
        return JSONResponse(
            status_code=400,
            content={"code": exc.code, "message_zh": exc.message_zh, "message_en": exc.message_en},
        )
    try:
        seen = None if push.is_heartbeat else isapi_store.seen_push(push)
    except hikvision.UnusableEventError as exc:
        session.commit()
        return JSONResponse(
            status_code=400,
            content={"code": exc.code, "message_zh": exc.message_zh, "message_en": exc.message_en},
        )
    if seen is None:  # a heartbeat (or an event without a serial): contact noted, day sealed
        receipt.seal_day_ends(session, settings, device, now=now)
        return {"statusCode": 1, "statusString": "OK", "heartbeat": True}
    got = isapi_store.store(session, settings, device, [seen], now=now)
    return {
        "statusCode": 1,
        "statusString": "OK",
        "stored": got.stored,
        "duplicates": got.duplicates,
        "gaps": [list(g) for g in got.gaps],
    }
