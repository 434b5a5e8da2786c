"""Daily digests (docs/evidence_format.md): each local day's device-signed checkpoints of all a
project's gates, with the gates' keys and that day's key changes, signed by the server's key.

An inspector's office archives them, a regulator's platform receives them: once a copy is out
of the server's hands, rewriting a gate record afterwards contradicts a checkpoint root in a
file the server no longer controls. A digest is issued once for every day from the project's
first checkpoint (or first key change) on, an empty day too, so the chain has no holes; each
names the SHA-256 of the previous day's body text. It is never rewritten: (project, day) is
unique, and a second issuer racing for the same day reads the first one's row instead.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from models.device_auth import key_fingerprint
from models.gate_event import GateEvent
from server.anchors import server_key, signed
from server.anchors.models import DailyDigest
from server.auth.models import AuditLog, User
from server.config import Settings
from server.db.session import unit_of_work
from server.errors import NotFoundError
from server.ingest.models import GateCheckpoint, GateEventRow, stored_text_columns
from server.registry.models import Device, Project

log = logging.getLogger(__name__)

TYPE = "sitegate.daily_digest"
VERSION = 1
GENESIS = "0" * 64
KEY_ACTIONS = ("provision", "reprovision")
# A day is issued only this long after it ended: a batch stamped 23:59:59 whose transaction
# commits a moment after midnight is still in its day's digest.
SETTLE = dt.timedelta(minutes=5)


def _utc_text(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def project_zone(project: Project, settings: Settings) -> ZoneInfo:
    try:
        return ZoneInfo(project.timezone or settings.default_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.default_timezone)


def _window(day: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants [start, end) of a local day."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


# --- what a day holds -------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return _utc_text(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def event_json(fields: dict[str, Any], device_code: str) -> dict[str, Any]:
    """The record as the gate signed it (models.gate_event.GateEvent JSON), rebuilt from its
    stored columns. A row edited into something no gate could sign is shown as stored."""
    # only what the gate signed: the server's bookkeeping columns (received_at, chain_ok, ...)
    # are no part of the record, whatever columns gate_event grows
    data = {k: fields[k] for k in GateEvent.model_fields if k in fields}
    data["device_id"] = device_code
    try:
        return GateEvent.model_validate(data).model_dump(mode="json")
    except ValidationError:
        return {k: _jsonable(v) for k, v in data.items()}


def _checkpoints(
    session: Session, project_id: int, start: dt.datetime, end: dt.datetime
) -> list[dict[str, Any]]:
    """The checkpoint records received in [start, end), in the order they arrived."""
    cols = stored_text_columns()
    rows = session.execute(
        select(Device.code, *cols)
        .join(
            GateCheckpoint,
            (GateCheckpoint.device_id == GateEventRow.device_id)
            & (GateCheckpoint.seq == GateEventRow.seq),
        )
        .join(Device, Device.id == GateEventRow.device_id)
        .where(GateCheckpoint.project_id == project_id)
        .where(GateCheckpoint.received_at >= start, GateCheckpoint.received_at < end)
        .order_by(GateCheckpoint.received_at, Device.code, GateCheckpoint.seq)
    ).all()
    out = []
    for row in rows:
        mapping = dict(row._mapping)
        code = str(mapping.pop("code"))
        out.append(event_json(mapping, code))
    return out


def _gates(session: Session, project_id: int) -> list[dict[str, Any]]:
    devices = session.scalars(
        select(Device).where(Device.project_id == project_id).order_by(Device.code)
    ).all()
    return [
        {
            "code": d.code,
            "public_key": d.public_key,
            "fingerprint": key_fingerprint(d.public_key) if d.public_key else None,
        }
        for d in devices
    ]


def _issuer_of_code(session: Session, device_id: int | None, before: dt.datetime) -> str | None:
    """The account that issued the gate's provisioning code last before `before`, when the
    audit names one (a code made on the command line names nobody)."""
    if device_id is None:
        return None
    user_id = session.scalar(
        select(AuditLog.user_id)
        .where(
            AuditLog.entity == "device",
            AuditLog.entity_id == device_id,
            AuditLog.action == "provisioning_code",
            AuditLog.at <= before,
        )
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(1)
    )
    if user_id is None:
        return None
    name = session.scalar(select(User.username).where(User.id == user_id))
    return None if name is None else str(name)


def _key_changes(
    session: Session, project_id: int, start: dt.datetime, end: dt.datetime
) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(AuditLog)
        .where(
            AuditLog.project_id == project_id,
            AuditLog.entity == "device",
            AuditLog.action.in_(KEY_ACTIONS),
            AuditLog.at >= start,
            AuditLog.at < end,
        )
        .order_by(AuditLog.at, AuditLog.id)
    ).all()
    out = []
    for a in rows:
        detail = a.detail or {}
        out.append(
            {
                "gate": detail.get("code"),
                "at": _utc_text(a.at),
                "how": a.action,
                "old_public_key": detail.get("old_public_key"),
                "new_public_key": detail.get("public_key"),
                "by": _issuer_of_code(session, a.entity_id, a.at),
            }
        )
    return out


def body_for(
    session: Session,
    settings: Settings,
    project: Project,
    day: dt.date,
    *,
    prev_sha256: str,
    issued_at: dt.datetime,
) -> dict[str, Any]:
    start, end = _window(day, project_zone(project, settings))
    public = server_key.public_key(settings)
    return {
        "type": TYPE,
        "version": VERSION,
        "project": {"id": project.id, "name": project.name},
        "day": day.isoformat(),
        "issued_at": _utc_text(issued_at),
        "prev_sha256": prev_sha256,
        "server_key": {"public_key": public, "fingerprint": key_fingerprint(public)},
        "gates": _gates(session, project.id),
        "checkpoints": _checkpoints(session, project.id, start, end),
        "key_changes": _key_changes(session, project.id, start, end),
    }


def _first_day(session: Session, project_id: int, zone: ZoneInfo) -> dt.date | None:
    """The local day of the project's first checkpoint received or first key change."""
    first_cp = session.scalar(
        select(func.min(GateCheckpoint.received_at)).where(GateCheckpoint.project_id == project_id)
    )
    first_key = session.scalar(
        select(func.min(AuditLog.at)).where(
            AuditLog.project_id == project_id,
            AuditLog.entity == "device",
            AuditLog.action.in_(KEY_ACTIONS),
        )
    )
    found = [t for t in (first_cp, first_key) if t is not None]
    if not found:
        return None
    return min(t.astimezone(zone).date() for t in found)


def _latest(session: Session, project_id: int) -> tuple[dt.date, str] | None:
    row = session.execute(
        select(DailyDigest.day, DailyDigest.sha256)
        .where(DailyDigest.project_id == project_id)
        .order_by(DailyDigest.day.desc())
        .limit(1)
    ).first()
    return None if row is None else (dt.date.fromisoformat(row[0]), str(row[1]))


# --- issuing ------------------------------------------------------------------------------------


def issue_through(
    session: Session, settings: Settings, project_id: int, *, now: dt.datetime
) -> list[DailyDigest]:
    """Issue every missing digest of the project up to yesterday (its local time), in day
    order; the digests issued now (none when all are there, or the project has not started)."""
    project = session.get(Project, project_id)
    if project is None:
        raise NotFoundError("项目", "project")
    zone = project_zone(project, settings)
    through = (now - SETTLE).astimezone(zone).date() - dt.timedelta(days=1)
    issued: list[DailyDigest] = []
    latest = _latest(session, project_id)
    if latest is None:
        first = _first_day(session, project_id, zone)
        if first is None:
            return issued
        day, prev = first, GENESIS
    else:
        day, prev = latest[0] + dt.timedelta(days=1), latest[1]
    while day <= through:
        body = body_for(session, settings, project, day, prev_sha256=prev, issued_at=now)
        text = signed.canonical_text(body)
        sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
        row = DailyDigest(
            project_id=project_id,
            day=day.isoformat(),
            issued_at=now,
            body=text,
            sha256=sha,
            prev_sha256=prev,
            # what signed.signed_file signs; the wrapper is put around it on each download
            signature=server_key.signing_key(settings).sign(text.encode("utf-8")).hex(),
            server_key_fingerprint=server_key.fingerprint(settings),
        )
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            # Another issuer wrote this day first: its row stands, the chain goes on from it.
            again = _latest(session, project_id)
            if again is None or again[0] < day:
                raise
            day, prev = again[0] + dt.timedelta(days=1), again[1]
            continue
        issued.append(row)
        day, prev = day + dt.timedelta(days=1), sha
    return issued


def issue_all(factory: sessionmaker[Session], settings: Settings, *, now: dt.datetime) -> int:
    """Every project's missing digests, each project in its own transaction; how many issued.
    One project's failure is logged and does not keep the others from theirs."""
    with unit_of_work(factory) as session:
        project_ids = list(session.scalars(select(Project.id).order_by(Project.id)))
    total = 0
    for project_id in project_ids:
        try:
            with unit_of_work(factory) as session:
                total += len(issue_through(session, settings, project_id, now=now))
        except Exception:
            log.exception("daily digests of project %s not issued", project_id)
    return total


# --- the file -----------------------------------------------------------------------------------


def digest_file(row: DailyDigest) -> bytes:
    """The signed file, byte for byte the same on every download: the stored body text and
    signature, with the public key the body names."""
    public = json.loads(row.body)["server_key"]["public_key"]
    return signed.wrapper_bytes(public, row.body, row.signature)


def file_name(project_id: int, day: str) -> str:
    return f"sitegate-digest-{project_id}-{day}.json"


class DigestFileError(ValueError):
    pass


def verify_file(data: bytes) -> dict[str, Any]:
    """The body of a digest file whose signature holds under the key it names (and which the
    body names too); DigestFileError otherwise. Who trusts the key is the reader's question:
    compare its fingerprint with one kept apart."""
    try:
        wrapper = json.loads(data.decode("utf-8"))
        text = wrapper["body"]
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(wrapper["public_key"]))
        key.verify(bytes.fromhex(wrapper["signature"]), text.encode("utf-8"))
        body: dict[str, Any] = json.loads(text)
    except (ValueError, KeyError, TypeError, InvalidSignature) as exc:
        raise DigestFileError(f"not a valid signed digest file: {exc!r}") from None
    if wrapper.get("format") != signed.FORMAT or body.get("type") != TYPE:
        raise DigestFileError("not a daily digest")
    if body.get("server_key", {}).get("public_key") != wrapper["public_key"]:
        raise DigestFileError("the body names another key than the one that signed it")
    return body


def chain_problems(bodies: Iterable[dict[str, Any]], texts: Iterable[str]) -> list[str]:
    """Where consecutive digests (bodies with their exact texts, in day order) do not chain."""
    problems = []
    prev = GENESIS
    for body, text in zip(bodies, texts, strict=True):
        if body["prev_sha256"] != prev:
            problems.append(body["day"])
        prev = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return problems


# --- listing ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DigestSummary:
    day: str
    sha256: str
    prev_sha256: str
    issued_at: dt.datetime
    checkpoints: int
    server_key_fingerprint: str


def summaries(session: Session, project_id: int, *, limit: int) -> list[DigestSummary]:
    """The project's latest digests, newest first."""
    rows = session.scalars(
        select(DailyDigest)
        .where(DailyDigest.project_id == project_id)
        .order_by(DailyDigest.day.desc())
        .limit(limit)
    ).all()
    return [
        DigestSummary(
            day=r.day,
            sha256=r.sha256,
            prev_sha256=r.prev_sha256,
            issued_at=r.issued_at,
            checkpoints=len(json.loads(r.body).get("checkpoints", [])),
            server_key_fingerprint=r.server_key_fingerprint,
        )
        for r in rows
    ]


def get(session: Session, project_id: int, day: str) -> DailyDigest | None:
    return session.scalar(
        select(DailyDigest).where(DailyDigest.project_id == project_id, DailyDigest.day == day)
    )


# --- without a person asking ------------------------------------------------------------------


# The advisory lock whose holder issues, when several server processes run (server/workers.py).
ISSUER_LOCK_KEY = 0x5347_4449  # "SGDI"


class Issuer:
    """A daemon thread that issues missing digests at start and then every `every_s`
    seconds; `stop()` ends it (the app's lifespan does, at shutdown). With `leads`, a round
    runs only while it says this process leads (one issuer over several workers); the unique
    (project_id, day) keeps the chain whole even if two ever overlap."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        settings: Settings,
        every_s: float,
        clock: Callable[[], dt.datetime] | None = None,
        leads: Callable[[], bool] | None = None,
    ) -> None:
        self._factory = factory
        self._settings = settings
        self._every_s = every_s
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._leads = leads or (lambda: True)
        self._stop = threading.Event()
        self.rounds = 0
        self.issuing_rounds = 0
        self._leading = False
        self._thread = threading.Thread(target=self._run, name="daily-digests", daemon=True)

    def start(self) -> Issuer:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            leads = self._leads()
            if leads != self._leading:
                self._leading = leads
                log.info(
                    "issuing daily digests: this process %s (pid %d)",
                    "leads" if leads else "no longer leads",
                    os.getpid(),
                )
            if not leads:
                self.rounds += 1
                self._stop.wait(self._every_s)
                continue
            self.issuing_rounds += 1
            try:
                n = issue_all(self._factory, self._settings, now=self._clock())
                if n:
                    log.info("issued %d daily digests", n)
            except Exception:  # the database not there yet, say: try again next round
                log.exception("daily digests not issued this round")
            self.rounds += 1
            self._stop.wait(self._every_s)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
