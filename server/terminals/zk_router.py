"""The ADMS ("iclock") endpoints a ZKTeco terminal in PUSH mode calls.

    GET  /iclock/cdata?SN=..&options=all       registration -> options block (stamps, TimeZone)
    POST /iclock/cdata?SN=..&table=ATTLOG      attendance lines -> receipt.receive -> "OK: <n>"
    POST /iclock/cdata?SN=..&table=OPERLOG     operation log -> "OK: <n>" (counted, not stored)
    GET  /iclock/getrequest?SN=..              roster sync (throttled), queued commands or "OK"
    POST /iclock/devicecmd?SN=..               command results -> commands.confirm
    GET  /iclock/ping?SN=..                    "OK"

No per-request authentication: ADMS has none (no key, no signature, the serial number in the
query string is all a terminal says about itself). The gate is the site manager's approval of
that serial number (service.accepting); an unknown or unapproved one gets an error text and its
contact is noted, nothing else. What an approved terminal sends is sealed by the server
(receipt.py) and marked so; run the endpoints on the site network or behind the reverse proxy's
address filter, as ZKTeco's own ADMS server is.

Answers are plain text, as terminals expect; an answer that does not start with "OK" makes the
terminal keep its records and try again, so only a request that must be retried gets one.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.config import Settings
from server.db.types import utcnow
from server.deps import SessionDep, SettingsDep
from server.ingest import repository as ingest_repository
from server.registry import face_templates
from server.registry.models import Assignment, Device, Project
from server.terminals import commands, receipt, service, zkteco
from terminals.zkteco_push import protocol as zk
from terminals.zkteco_push.operlog import OP_VERIFY_FAILED

log = logging.getLogger("sitegate.terminals.zkteco")

VENDOR = "zkteco"
MAX_BODY = 2 * 1024 * 1024  # a 1,000-line ATTLOG post is ~50 KB; photos only go the other way
SYNC_EVERY = dt.timedelta(seconds=60)  # roster re-check when the roster version did not move
COMMANDS_PER_POLL = 20  # each may carry a ~270 KB photo (base64): keep one answer small
DELAY_S = 10  # the terminal's poll interval (options block Delay)

# In the OpenAPI document (no path parameters, so no scope entries), so the fuzzers reach them too.
router = APIRouter(
    prefix="/iclock", tags=["terminals (ZKTeco ADMS)"], default_response_class=PlainTextResponse
)


def _text(body: str, status: int = 200) -> PlainTextResponse:
    return PlainTextResponse(body, status_code=status)


def _error(status: int, zh: str, en: str) -> PlainTextResponse:
    # One line, not starting with "OK": the terminal reads it as "not done, try again later".
    return _text(zk.error_answer(f"ERROR {zh} / {en}"), status)


@dataclass(frozen=True, slots=True)
class Body:
    text: str
    too_large: bool = False


async def read_body(request: Request) -> Body:
    """The request body, read up to MAX_BODY before anything parses it. UTF-8, or GB18030 (a
    superset of the GB2312 Chinese firmware sends names in)."""
    chunks: list[bytes] = []
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > MAX_BODY:
            return Body("", too_large=True)
        chunks.append(chunk)
    raw = b"".join(chunks)
    try:
        return Body(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return Body(raw.decode("gb18030", "replace"))


BodyDep = Annotated[Body, Depends(read_body)]


def _too_large() -> PlainTextResponse:
    return _error(
        413,
        f"请求体过大(上限 {MAX_BODY} 字节),请减小终端每次上传的条数",
        f"request body too large (limit {MAX_BODY} bytes): lower the terminal's upload batch",
    )


def _query(request: Request) -> zk.IclockQuery | PlainTextResponse:
    try:
        return zk.parse_query(dict(request.query_params))
    except zk.ZkProtocolError as exc:
        return _error(400, exc.message_zh, exc.message_en)


def _terminal(session: Session, sn: str) -> Device | PlainTextResponse:
    """The approved terminal; otherwise the refusal text. The contact is kept either way (the
    unit of work commits, since nothing is raised), so the site manager sees it calling."""
    try:
        device = service.accepting(session, VENDOR, sn, now=utcnow())
    except service.TerminalRefusedError as exc:
        log.info("zkteco %s refused: %s", sn, exc.code)
        return _error(403, exc.message_zh, exc.message_en)
    session.flush()  # autoflush is off, and receipt re-reads the row under its lock
    return device


def _caller(
    request: Request, session: Session
) -> tuple[zk.IclockQuery, Device] | PlainTextResponse:
    """The request's query and its approved terminal, or the answer that refuses it."""
    query = _query(request)
    if isinstance(query, PlainTextResponse):
        return query
    device = _terminal(session, query.sn)
    if isinstance(device, PlainTextResponse):
        return device
    return query, device


# -- what the server keeps about a terminal between requests (device.health["zk"]) -------------


def _state(device: Device) -> dict[str, Any]:
    health = device.health or {}
    state = health.get("zk")
    return dict(state) if isinstance(state, dict) else {}


def _save_state(device: Device, **changes: Any) -> None:
    # A new dict each time: the JSON column only sees reassignment, not in-place changes.
    device.health = {**(device.health or {}), "zk": {**_state(device), **changes}}


def _count(device: Device, key: str, n: int) -> None:
    if n:
        _save_state(device, **{key: int(_state(device).get(key, 0)) + n})


def _timezone_option(project: Project, now: dt.datetime) -> int:
    """TimeZone as the document reads it: whole hours, or minutes for a zone like +5:30."""
    offset = now.astimezone(ZoneInfo(project.timezone)).utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    return minutes // 60 if minutes % 60 == 0 else minutes


def _maintain(
    session: Session, settings: Settings, device: Device, *, now: dt.datetime, force: bool
) -> None:
    """Roster sync and day-end seal, when the roster moved, SYNC_EVERY passed, or `force`
    (registration). A poll comes every few seconds per terminal and a sync reads the whole
    project roster, so an unchanged roster is re-checked only now and then (for rules that
    change with the date, such as a contract's end)."""
    project = ingest_repository.project(session, device.project_id)
    state = _state(device)
    last = state.get("synced_at")
    due = (
        force
        or state.get("roster_version") != project.roster_version
        or not isinstance(last, str)
        or now - dt.datetime.fromisoformat(last) >= SYNC_EVERY
    )
    if not due:
        return
    # under the row lock, so this and a concurrent upload do not overwrite each other's state
    ingest_repository.lock_device(session, device.id)
    result = commands.sync(session, settings, device, now=now)
    if result.upserts or result.deletes:
        log.info(
            "zkteco %s: %d upserts, %d deletes queued",
            device.serial_number,
            result.upserts,
            result.deletes,
        )
    receipt.seal_day_ends(session, settings, device, now=now)
    _save_state(device, synced_at=now.isoformat(), roster_version=project.roster_version)


# -- routes -------------------------------------------------------------------------------------


@router.get("/cdata")
def cdata_get(request: Request, session: SessionDep, settings: SettingsDep) -> PlainTextResponse:
    caller = _caller(request, session)
    if isinstance(caller, PlainTextResponse):
        return caller
    query, device = caller
    if not query.wants_options:
        return _text(zk.ok_answer())
    now = utcnow()
    project = ingest_repository.project(session, device.project_id)
    _maintain(session, settings, device, now=now, force=True)  # locks (and re-reads) the row
    stamps = _state(device).get("stamps", {})
    _save_state(device, registered_at=now.isoformat(), push_version=query.push_version)
    return _text(
        zk.options_block(
            query.sn,
            # What was stored: a terminal whose acknowledged upload the server lost (a restore)
            # is asked to send again from there; "None" for a terminal never heard from.
            attlog_stamp=str(stamps.get(zk.TABLE_ATTLOG, "None")),
            operlog_stamp=str(stamps.get(zk.TABLE_OPERLOG, "None")),
            delay=DELAY_S,
            timezone=_timezone_option(project, now),
            extra={"ServerVer": "SiteGate", "PushProtVer": "2.4.1"},
        )
    )


def _known_workers(session: Session, project_id: int, pins: set[str]) -> set[int]:
    ids = sorted({int(p) for p in pins if p.isascii() and p.isdigit() and len(p) <= 18})
    known: set[int] = set()
    for i in range(0, len(ids), 1000):
        known.update(
            session.scalars(
                select(Assignment.worker_id).where(
                    Assignment.project_id == project_id, Assignment.worker_id.in_(ids[i : i + 1000])
                )
            )
        )
    return known


def _attlog(session: Session, settings: Settings, device: Device, body: str) -> str:
    parsed = zk.split_attlog(body)
    if parsed.errors:
        first = parsed.errors[0]
        log.warning(
            "zkteco %s: %d malformed ATTLOG lines skipped (first: %s)",
            device.serial_number,
            len(parsed.errors),
            first.message_en,
        )
    if parsed.lines:
        project = ingest_repository.project(session, device.project_id)
        zone = ZoneInfo(project.timezone)
        known = _known_workers(session, project.id, {line.pin for line in parsed.lines})
        items = [zkteco.received(line, zone=zone, known=known) for line in parsed.lines]
        got = receipt.receive(session, settings, device, items, now=utcnow())
        _count(device, "duplicates", got.duplicates)
    _count(device, "malformed", len(parsed.errors))
    # Duplicates count as accepted: the terminal must move on, not post them again.
    return zk.ok_answer(len(parsed.lines))


@router.post("/cdata")
def cdata_post(
    request: Request, body: BodyDep, session: SessionDep, settings: SettingsDep
) -> PlainTextResponse:
    if body.too_large:
        return _too_large()
    caller = _caller(request, session)
    if isinstance(caller, PlainTextResponse):
        return caller
    query, device = caller
    # one post per terminal at a time, and its stamp and counters written on a fresh row
    device = ingest_repository.lock_device(session, device.id)
    if query.table == zk.TABLE_ATTLOG:
        answer = _attlog(session, settings, device, body.text)
    elif query.table == zk.TABLE_OPERLOG:
        # Enrolments at the terminal's keypad and its own log: the roster is SiteGate's, so
        # nothing here is taken over; verification failures are counted for the gates page.
        parsed = zk.split_operlog(body.text)
        failed = sum(
            1
            for r in parsed.records
            if isinstance(r, zk.OpLogRecord) and r.op_type == OP_VERIFY_FAILED
        )
        _count(device, "verify_failures", failed)
        _count(device, "malformed", len(parsed.errors))
        answer = zk.ok_answer(len(parsed.records))
    else:  # ATTPHOTO, BIODATA, ...: not used; acknowledged so the terminal does not resend
        answer = zk.ok_answer()
    if query.stamp is not None and query.table:
        stamps = dict(_state(device).get("stamps", {}))
        stamps[query.table] = query.stamp
        _save_state(device, stamps=stamps)
    return _text(answer)


@router.get("/getrequest")
def getrequest(request: Request, session: SessionDep, settings: SettingsDep) -> PlainTextResponse:
    caller = _caller(request, session)
    if isinstance(caller, PlainTextResponse):
        return caller
    _query, device = caller
    now = utcnow()
    _maintain(session, settings, device, now=now, force=False)
    batch = []
    for command in commands.next_commands(session, device, now=now, limit=COMMANDS_PER_POLL):
        photo = None
        if command.action == "upsert" and command.payload.get("access") == "face":
            photo = face_templates.photo_for(session, settings, command.worker_id or 0)
        batch.append((command, zkteco.commands_for(command, photo)))
    return _text(zkteco.issued(batch))


@router.post("/devicecmd")
def devicecmd(request: Request, body: BodyDep, session: SessionDep) -> PlainTextResponse:
    if body.too_large:
        return _too_large()
    caller = _caller(request, session)
    if isinstance(caller, PlainTextResponse):
        return caller
    _query, device = caller
    try:
        results = zk.parse_command_results(body.text)
    except zk.ZkProtocolError as exc:
        return _error(400, exc.message_zh, exc.message_en)
    now = utcnow()
    for outcome in zkteco.command_outcome(results):
        done = commands.confirm(
            session, device, outcome.command_id, ok=outcome.ok, return_code=outcome.return_code,
            now=now,
        )  # fmt: skip
        if done is not None and not outcome.ok:
            log.warning(
                "zkteco %s: command %d (%s %s) failed, Return=%d",
                device.serial_number,
                done.id,
                done.action,
                done.pin,
                outcome.return_code,
            )
    return _text(zk.ok_answer())


@router.get("/ping")
def ping(request: Request, session: SessionDep) -> PlainTextResponse:
    caller = _caller(request, session)
    if isinstance(caller, PlainTextResponse):
        return caller
    _query, _device = caller
    return _text(zk.ok_answer())
