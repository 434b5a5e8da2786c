"""The project's roster as each terminal must hold it, and the commands that get it there.

`sync` compares who the terminal should hold (the workers the project's gate policy lets in
today: name, employee number, card, and the enrolled face picture where the worker consented)
with what the terminal confirmed holding (TerminalUser), and queues the difference: an upsert
for a new or changed worker, a delete for one who left, withdrew consent or was blocklisted.
Only the terminal's own answer marks a command done, and only then does TerminalUser change:
a removal is shown as pending until the terminal confirmed it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.enums import DenyReason
from models.gate_rules import check_entry
from models.roster import RosterEntry
from server.config import Settings
from server.ingest import repository as ingest_repository
from server.ingest import service as ingest_service
from server.registry import face_templates
from server.registry.models import Device
from server.terminals.models import TerminalCommand, TerminalUser

OPEN = ("queued", "sent")
LIVE = (*OPEN, "failed")
RESEND_AFTER = dt.timedelta(minutes=5)  # a command handed out but never answered goes again


@dataclass(frozen=True, slots=True)
class Wanted:
    worker_id: int
    pin: str
    name: str
    card: str
    access: str  # face / card
    photo_digest: str

    @property
    def digest(self) -> str:
        fields = [self.name, self.card, self.access, self.photo_digest]
        return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode()).hexdigest()

    def payload(self) -> dict[str, str]:
        return {"name": self.name, "card": self.card, "access": self.access}


@dataclass(frozen=True, slots=True)
class SyncResult:
    upserts: int
    deletes: int
    cancelled: int


def pin_of(worker_id: int) -> str:
    """The employee number a terminal knows the worker by: SiteGate's worker id."""
    return str(worker_id)


def _removal_reason(entry: RosterEntry | None, refused: DenyReason | None) -> str:
    if entry is None:
        return "not_on_roster"
    return refused.value if refused is not None else "no_consent"


def wanted(
    session: Session, settings: Settings, device: Device, *, today: dt.date
) -> tuple[dict[str, Wanted], dict[int, str]]:
    """(who the terminal should hold by pin, why each other worker of the project should not)."""
    project = ingest_repository.project(session, device.project_id)
    policy = ingest_service.gate_policy(project)
    entries = ingest_service.roster_entries(session, settings, project.id, with_templates=False)
    photos = face_templates.photo_digests(session, [e.worker_id for e in entries])
    out: dict[str, Wanted] = {}
    refused: dict[int, str] = {}
    for e in entries:
        reason = check_entry(e, policy, today)
        if reason is not None:
            refused[e.worker_id] = reason.value
            continue
        face = not e.face_opt_out and e.worker_id in photos
        if not face and not e.card_uids:
            refused[e.worker_id] = "no_credential"
            continue
        pin = pin_of(e.worker_id)
        out[pin] = Wanted(
            worker_id=e.worker_id,
            pin=pin,
            name=e.name,
            card=e.card_uids[0] if e.card_uids else "",
            access="face" if face else "card",
            photo_digest=photos.get(e.worker_id, "") if face else "",
        )
    return out, refused


def sync(session: Session, settings: Settings, device: Device, *, now: dt.datetime) -> SyncResult:
    """Queue what the terminal lacks and what it must drop; cancel queued work now moot."""
    project = ingest_repository.project(session, device.project_id)
    today = now.astimezone(ZoneInfo(project.timezone)).date()
    want, refused = wanted(session, settings, device, today=today)
    held = {
        u.pin: u
        for u in session.scalars(select(TerminalUser).where(TerminalUser.device_id == device.id))
    }
    # The latest open or failed command per pin. An upsert the terminal refused (a picture it
    # cannot enrol) is not queued again for the same content: the Gates page shows it failed.
    # A refused removal is: a worker who left must not stay on the terminal.
    pending: dict[str, TerminalCommand] = {}
    for c in session.scalars(
        select(TerminalCommand)
        .where(TerminalCommand.device_id == device.id, TerminalCommand.state.in_(LIVE))
        .order_by(TerminalCommand.id)
    ):
        pending[c.pin] = c
    upserts = deletes = cancelled = 0
    for pin, w in want.items():
        user = held.get(pin)
        cmd = pending.get(pin)
        if user is not None and user.digest == w.digest:
            if cmd is not None and cmd.action == "delete":
                cancelled += _cancel(cmd)
            continue
        if cmd is not None and cmd.action == "upsert" and cmd.payload.get("digest") == w.digest:
            continue
        if cmd is not None:
            cancelled += _cancel(cmd)
        session.add(
            TerminalCommand(
                device_id=device.id,
                worker_id=w.worker_id,
                pin=pin,
                action="upsert",
                reason="new" if user is None else "changed",
                payload={**w.payload(), "digest": w.digest},
                created_at=now,
            )
        )
        upserts += 1
    for pin, user in held.items():
        if pin in want:
            continue
        cmd = pending.get(pin)
        if cmd is not None and cmd.action == "delete" and cmd.state in OPEN:
            continue
        if cmd is not None:
            cancelled += _cancel(cmd)
        session.add(
            TerminalCommand(
                device_id=device.id,
                worker_id=user.worker_id,
                pin=pin,
                action="delete",
                reason=refused.get(user.worker_id, "not_on_roster"),
                created_at=now,
            )
        )
        deletes += 1
    for pin, cmd in pending.items():  # queued upserts for workers no longer wanted, never held
        if pin not in want and pin not in held and cmd.action == "upsert":
            cancelled += _cancel(cmd)
    session.flush()
    return SyncResult(upserts, deletes, cancelled)


def _cancel(cmd: TerminalCommand) -> int:
    """An open command made moot; a failed one stays failed (its answer is history)."""
    if cmd.state not in OPEN:
        return 0
    cmd.state = "cancelled"
    return 1


def next_commands(
    session: Session, device: Device, *, now: dt.datetime, limit: int = 50
) -> list[TerminalCommand]:
    """Queued commands (and sent ones never answered for RESEND_AFTER), marked sent."""
    cmds = list(
        session.scalars(
            select(TerminalCommand)
            .where(
                TerminalCommand.device_id == device.id,
                (TerminalCommand.state == "queued")
                | (
                    (TerminalCommand.state == "sent")
                    & (TerminalCommand.sent_at < now - RESEND_AFTER)
                ),
            )
            .order_by(TerminalCommand.id)
            .limit(limit)
        )
    )
    for c in cmds:
        c.state, c.sent_at, c.attempts = "sent", now, c.attempts + 1
    session.flush()
    return cmds


def confirm(
    session: Session,
    device: Device,
    command_id: int,
    *,
    ok: bool,
    return_code: int,
    now: dt.datetime,
) -> TerminalCommand | None:
    """The terminal's answer to a command; None for an id that is not this terminal's."""
    cmd = session.get(TerminalCommand, command_id)
    if cmd is None or cmd.device_id != device.id or cmd.state in ("done", "cancelled"):
        return None
    cmd.return_code, cmd.done_at = return_code, now
    if not ok:
        cmd.state = "failed"
        session.flush()
        return cmd
    cmd.state = "done"
    user = session.scalar(
        select(TerminalUser).where(TerminalUser.device_id == device.id, TerminalUser.pin == cmd.pin)
    )
    if cmd.action == "delete":
        if user is not None:
            session.delete(user)
    elif user is None:
        session.add(
            TerminalUser(
                device_id=device.id,
                worker_id=cmd.worker_id or 0,
                pin=cmd.pin,
                access=str(cmd.payload.get("access", "card")),
                digest=str(cmd.payload.get("digest", "")),
                confirmed_at=now,
            )
        )
    else:
        user.access = str(cmd.payload.get("access", user.access))
        user.digest = str(cmd.payload.get("digest", ""))
        user.confirmed_at = now
    session.flush()
    return cmd


@dataclass(frozen=True, slots=True)
class Status:
    pending: int  # queued or sent, not yet answered
    failed: int
    users: int  # confirmed on the terminal
    removals_pending: int


def status(session: Session, device_ids: list[int]) -> dict[int, Status]:
    c = TerminalCommand
    # Per pin only its latest command counts: a failure later fixed is history, not "failed".
    latest = (
        select(func.max(c.id))
        .where(c.device_id.in_(device_ids), c.state != "cancelled")
        .group_by(c.device_id, c.pin)
    )
    counts: dict[tuple[int, str, str], int] = {}
    for device_id, state, action, count in session.execute(
        select(c.device_id, c.state, c.action, func.count())
        .where(c.id.in_(latest))
        .group_by(c.device_id, c.state, c.action)
    ):
        counts[(int(device_id), str(state), str(action))] = int(count)
    users = {
        int(d): int(n)
        for d, n in session.execute(
            select(TerminalUser.device_id, func.count())
            .where(TerminalUser.device_id.in_(device_ids))
            .group_by(TerminalUser.device_id)
        )
    }

    def tally(d: int, states: tuple[str, ...], actions: tuple[str, ...]) -> int:
        return sum(counts.get((d, s, a), 0) for s in states for a in actions)

    both = ("upsert", "delete")
    return {
        d: Status(
            pending=tally(d, OPEN, both),
            failed=tally(d, ("failed",), both),
            users=int(users.get(d, 0)),
            removals_pending=tally(d, OPEN, ("delete",)),
        )
        for d in device_ids
    }
