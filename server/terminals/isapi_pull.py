"""Server-side jobs against a Hikvision ISAPI terminal (Digest-authenticated, the server calls it).

`configure`  points the terminal's listening host at this server (isapi_router.push_url), after
             checking that the terminal at the registered address is the registered one.
`backfill`   pulls what the push missed: the open gaps (TerminalGap) and, on demand, everything
             newer than the last record received. Stored through receipt.receive, so an event
             both pushed and pulled is stored once. A gap is `filled` when the terminal gave
             every serial in it, `flagged` when it no longer has some (its log wrapped, or the
             serials were never used).
`push_commands` runs the queued roster commands (commands.py) on the terminal and confirms each
             with the terminal's own answer.

None of them raises for the terminal's sake: an unreachable terminal (IsapiOfflineError), a
refused password or a refused request comes back in the result, and nothing is lost: gaps stay
open, commands go back to the queue, and the next run retries. They work in the caller's
session and never commit; on SQLite the caller should keep that unit of work to the one job.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.config import Settings
from server.ingest.models import GateEventRow
from server.registry import face_templates
from server.registry.models import Device
from server.terminals import commands, hikvision, isapi_router, isapi_store, receipt, service
from server.terminals.models import TerminalCommand, TerminalGap
from terminals.hikvision_isapi.client import IsapiClient
from terminals.hikvision_isapi.errors import (
    IsapiAuthError,
    IsapiError,
    IsapiOfflineError,
    IsapiProtocolError,
)

# The terminal's clock is its own (skew of hours is seen on sites): searches by time look this
# far past both ends, and serial numbers, not times, decide what is missing.
CLOCK_MARGIN = dt.timedelta(days=1)
GAP_LOOKBACK = dt.timedelta(days=7)  # how far before a gap's detection its events may lie
NO_ANSWER = -1  # return_code when the terminal gave none (offline, or the photo was gone)

ClientFactory = Callable[[Settings, Device], IsapiClient]


def client_for(settings: Settings, device: Device) -> IsapiClient:
    return IsapiClient(
        device.terminal_url, device.terminal_user, service.password(settings, device)
    )


def _problem(exc: IsapiError | IsapiProtocolError) -> str:
    return f"{exc.message_zh} / {exc.message_en}"


@dataclass(frozen=True, slots=True)
class Configured:
    ok: bool
    push_url: str
    error: str | None = None


def configure(
    settings: Settings, device: Device, server_url: str, *, connect: ClientFactory = client_for
) -> Configured:
    """Check the terminal is the registered one and make it push to this server."""
    url = isapi_router.push_url(server_url, device.serial_number or "")
    try:
        with connect(settings, device) as client:
            info = client.device_info()
            if info.serial_number != device.serial_number:
                return Configured(
                    False,
                    url,
                    f"该地址上的终端序列号为 {info.serial_number},与登记的 "
                    f"{device.serial_number} 不符 / the terminal at this address reports serial "
                    f"number {info.serial_number}, not the registered {device.serial_number}",
                )
            client.set_http_host(url)
    except (IsapiError, IsapiProtocolError) as exc:
        return Configured(False, url, _problem(exc))
    return Configured(True, url)


@dataclass(frozen=True, slots=True)
class Backfill:
    pulled: int = 0  # events the terminal returned in the searched range
    stored: int = 0
    duplicates: int = 0
    filled: int = 0  # gaps closed with every serial found
    flagged: int = 0  # gaps closed with serials the terminal no longer has
    missing: int = 0  # serials in flagged gaps that were never found
    offline: bool = False
    error: str | None = None


def _last_record_time(session: Session, device: Device) -> dt.datetime | None:
    last: dt.datetime | None = session.scalar(
        select(func.max(GateEventRow.device_time)).where(
            GateEventRow.device_id == device.id, GateEventRow.terminal_ref.is_not(None)
        )
    )
    return last


def _stored_serials(session: Session, device: Device, lo: int, hi: int) -> set[int]:
    prefix = receipt.terminal_ref(device, "")
    refs = [prefix + str(s) for s in range(lo, hi + 1)]
    found: set[int] = set()
    for i in range(0, len(refs), 1000):
        for ref in session.scalars(
            select(GateEventRow.terminal_ref).where(
                GateEventRow.device_id == device.id,
                GateEventRow.terminal_ref.in_(refs[i : i + 1000]),
            )
        ):
            if ref is not None:
                found.add(int(ref.removeprefix(prefix)))
    return found


@dataclass(frozen=True, slots=True)
class PullPlan:
    """What a pull asks the terminal for, read from the database beforehand (plain data)."""

    gaps: tuple[tuple[int, int, int], ...]  # (gap id, from serial, to serial), open
    high: int
    approved: dt.datetime
    start: dt.datetime
    end: dt.datetime
    begin: int | None  # first serial wanted; None: by time only (catch-up)

    def wanted(self, serial: int, at: dt.datetime) -> bool:
        if any(lo <= serial <= hi for _, lo, hi in self.gaps):
            return True
        if serial <= self.high:
            return False  # already stored (or no pass attempt): a pull never re-opens it
        return self.high > 0 or at >= self.approved  # a new terminal counts from approval on


def plan_pull(
    session: Session, device: Device, *, now: dt.datetime, catch_up: bool = False
) -> PullPlan | None:
    """The open gaps (and with `catch_up`, all since the last record); None: nothing to pull."""
    gaps = list(
        session.scalars(
            select(TerminalGap)
            .where(TerminalGap.device_id == device.id, TerminalGap.state == "open")
            .order_by(TerminalGap.from_serial)
        )
    )
    if not gaps and not catch_up:
        return None
    approved = device.approved_at or now
    starts = [g.detected_at - GAP_LOOKBACK for g in gaps]
    if catch_up:
        starts.append(_last_record_time(session, device) or approved)
    return PullPlan(
        gaps=tuple((g.id, g.from_serial, g.to_serial) for g in gaps),
        high=device.terminal_serial_high,
        approved=approved,
        start=min(starts) - CLOCK_MARGIN,
        end=now + CLOCK_MARGIN,
        # Serial numbers narrow the search on firmware that supports it; without catch-up
        # nothing below the first gap is wanted.
        begin=None if catch_up else gaps[0].from_serial,
    )


def fetch(
    settings: Settings, device: Device, plan: PullPlan, *, connect: ClientFactory = client_for
) -> tuple[list[isapi_store.Seen], int] | Backfill:
    """The wanted events from the terminal, and how many it returned; no database. A Backfill
    with the problem when the terminal could not be asked."""
    seen: list[isapi_store.Seen] = []
    pulled = 0
    try:
        with connect(settings, device) as client:
            for info in client.iter_events(plan.start, plan.end, begin_serial=plan.begin):
                try:
                    one = isapi_store.seen_search(info)
                except hikvision.UnusableEventError:
                    continue  # never stored; its serial stays missing, so its gap is flagged
                if one is None:
                    continue
                pulled += 1
                if plan.wanted(one.serial, info.time):
                    seen.append(one)
    except IsapiOfflineError as exc:
        return Backfill(offline=True, error=_problem(exc))
    except (IsapiError, IsapiProtocolError) as exc:  # auth, a refused search, a bad answer
        return Backfill(error=_problem(exc))
    return seen, pulled


def apply_pull(
    session: Session,
    settings: Settings,
    device: Device,
    plan: PullPlan,
    seen: list[isapi_store.Seen],
    pulled: int,
    *,
    now: dt.datetime,
) -> Backfill:
    """Store what was pulled (once) and close the planned gaps: filled, or flagged."""
    got = (
        isapi_store.store(session, settings, device, seen, now=now)
        if seen
        else isapi_store.Stored(0, 0, [], plan.high)
    )
    pulled_serials = {s.serial for s in seen}
    filled = flagged = missing = 0
    for gap_id, lo, hi in plan.gaps:
        gap = session.get(TerminalGap, gap_id)
        if gap is None or gap.state != "open":  # closed meanwhile by another run
            continue
        lacking = set(range(lo, hi + 1)) - pulled_serials
        if lacking:
            lacking -= _stored_serials(session, device, lo, hi)
        gap.state, gap.closed_at = ("flagged" if lacking else "filled"), now
        flagged += bool(lacking)
        filled += not lacking
        missing += len(lacking)
    session.flush()
    return Backfill(pulled, got.stored, got.duplicates, filled, flagged, missing)


def backfill(
    session: Session,
    settings: Settings,
    device: Device,
    *,
    now: dt.datetime,
    catch_up: bool = False,
    connect: ClientFactory = client_for,
) -> Backfill:
    """Plan, fetch and apply in one session. On SQLite a caller that cares about the write lock
    runs them in their own units of work (cli.py), so none is open while the terminal is asked."""
    plan = plan_pull(session, device, now=now, catch_up=catch_up)
    if plan is None:
        return Backfill()
    fetched = fetch(settings, device, plan, connect=connect)
    if isinstance(fetched, Backfill):
        return fetched
    return apply_pull(session, settings, device, plan, *fetched, now=now)


@dataclass(frozen=True, slots=True)
class Pushed:
    done: int = 0
    failed: int = 0
    requeued: int = 0  # not sent now (offline, refused password): queued for the next run
    offline: bool = False
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Claimed:
    """A command handed out for sending, with all it needs, so sending needs no database."""

    id: int
    pin: str
    action: str
    reason: str
    payload: dict[str, object]
    photo: bytes | None


@dataclass(frozen=True, slots=True)
class Outcome:
    id: int
    ok: bool | None  # None: not sent (the terminal was unreachable): back to the queue
    return_code: int


def claim(
    session: Session, settings: Settings, device: Device, *, now: dt.datetime, limit: int = 50
) -> list[Claimed]:
    """The next commands, marked sent, with the pictures they carry."""
    out = []
    for cmd in commands.next_commands(session, device, now=now, limit=limit):
        photo = None
        if cmd.action == "upsert" and cmd.payload.get("access") == "face":
            photo = face_templates.photo_for(session, settings, cmd.worker_id or 0)
        out.append(Claimed(cmd.id, cmd.pin, cmd.action, cmd.reason, dict(cmd.payload), photo))
    return out


def _run(client: IsapiClient, cmd: Claimed) -> int | None:
    """Carry out one command; NO_ANSWER when it could not be (the photo is gone), else None."""
    if cmd.action == "delete":
        client.delete_user(cmd.pin)  # the terminal drops the person's cards and face with them
        return None
    payload = cmd.payload
    if cmd.reason == "changed":
        # SetUp adds a card beside the old one: start the person afresh so a replaced card,
        # or a face no longer consented to, does not stay valid on the terminal.
        client.delete_user(cmd.pin)
    client.set_user(cmd.pin, str(payload.get("name", "")))
    card = str(payload.get("card", ""))
    if card:
        client.set_card(cmd.pin, card)
    if payload.get("access") == "face":
        if cmd.photo is None:  # consent withdrawn since the sync: the next sync queues card-only
            return NO_ANSWER
        client.set_face(cmd.pin, cmd.photo)
    else:
        client.delete_face(cmd.pin)  # no consent (any more): no face stays on the terminal
    return None


def send(
    settings: Settings,
    device: Device,
    claimed: list[Claimed],
    *,
    connect: ClientFactory = client_for,
) -> tuple[list[Outcome], str | None, bool]:
    """Carry the claimed commands out on the terminal; no database. Returns the outcomes, the
    terminal's problem when it stopped answering, and whether it was unreachable."""
    outcomes: list[Outcome] = []
    with connect(settings, device) as client:
        for i, cmd in enumerate(claimed):
            try:
                code = _run(client, cmd)
            except (IsapiOfflineError, IsapiAuthError) as exc:
                # The terminal, not the command: this one and the rest go back to the queue.
                outcomes += [Outcome(c.id, None, NO_ANSWER) for c in claimed[i:]]
                return outcomes, _problem(exc), isinstance(exc, IsapiOfflineError)
            except IsapiError as exc:
                answer = exc.status_code if exc.status_code is not None else exc.http_status
                outcomes.append(Outcome(cmd.id, False, NO_ANSWER if answer is None else answer))
                continue
            except IsapiProtocolError:  # an answer that is no ResponseStatus: not confirmed
                outcomes.append(Outcome(cmd.id, False, NO_ANSWER))
                continue
            outcomes.append(Outcome(cmd.id, code is None, 1 if code is None else NO_ANSWER))
    return outcomes, None, False


def settle(
    session: Session,
    device: Device,
    outcomes: list[Outcome],
    *,
    now: dt.datetime,
    problem: str | None = None,
    offline: bool = False,
) -> Pushed:
    """Record the terminal's answers; unsent commands go back to the queue."""
    done = failed = requeued = 0
    for o in outcomes:
        if o.ok is None:
            cmd = session.get(TerminalCommand, o.id)
            if cmd is not None and cmd.state == "sent":
                cmd.state, cmd.sent_at = "queued", None
            requeued += 1
            continue
        commands.confirm(session, device, o.id, ok=o.ok, return_code=o.return_code, now=now)
        done += o.ok
        failed += not o.ok
    session.flush()
    return Pushed(done, failed, requeued, offline, problem)


def push_commands(
    session: Session,
    settings: Settings,
    device: Device,
    *,
    now: dt.datetime,
    limit: int = 50,
    connect: ClientFactory = client_for,
) -> Pushed:
    """Claim, send and settle in one session. On SQLite a caller that cares about the write
    lock runs the three in their own units of work (cli.py), so no transaction stays open
    while the terminal is called."""
    claimed = claim(session, settings, device, now=now, limit=limit)
    if not claimed:
        return Pushed()
    outcomes, problem, offline = send(settings, device, claimed, connect=connect)
    return settle(session, device, outcomes, now=now, problem=problem, offline=offline)
