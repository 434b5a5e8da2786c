"""Storing what a Hikvision terminal reported, pushed or pulled alike: the records through
`receipt.receive` (exactly once by serialNo), the highest serial seen, and the gaps it reveals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from server.config import Settings
from server.ingest import repository as ingest_repository
from server.registry.models import Device
from server.terminals import hikvision, receipt
from server.terminals.models import TerminalGap
from terminals.hikvision_isapi.protocol import AcsEventInfo, AcsEventPush


@dataclass(frozen=True, slots=True)
class Seen:
    """One event of the terminal's log: its serial, the one before it (if the firmware says),
    and the record it makes (None: no pass attempt, a door or lock event)."""

    serial: int
    front: int | None
    record: receipt.Received | None


@dataclass(frozen=True, slots=True)
class Stored:
    stored: int
    duplicates: int
    gaps: list[tuple[int, int]]
    high: int


def seen_push(push: AcsEventPush) -> Seen | None:
    acs = push.acs
    if acs is None or acs.serial_no is None:
        return None
    return Seen(acs.serial_no, acs.front_serial_no, hikvision.from_push(push))


def seen_search(info: AcsEventInfo) -> Seen | None:
    if info.serial_no is None:
        return None
    return Seen(info.serial_no, None, hikvision.from_search(info))


def store(
    session: Session,
    settings: Settings,
    device: Device,
    events: Sequence[Seen],
    *,
    now: dt.datetime,
) -> Stored:
    """In the caller's transaction, under the device row's lock (receipt.receive takes it)."""
    device = ingest_repository.lock_device(session, device.id)
    got = receipt.receive(
        session, settings, device, [e.record for e in events if e.record is not None], now=now
    )
    gaps, high = hikvision.new_gaps(
        device.terminal_serial_high, [(e.serial, e.front) for e in events]
    )
    for lo, hi in gaps:
        session.add(TerminalGap(device_id=device.id, from_serial=lo, to_serial=hi, detected_at=now))
    device.terminal_serial_high = high
    device.last_seen_at = now
    session.flush()
    return Stored(got.stored, got.duplicates, gaps, high)
