"""First IN and last OUT of each day of one worker's month, from the same sessions the roster
counts (rosters.rules.build_sessions over granted events and counted corrections).

The month roster keeps only totals per day (rules.roster_month_rows); a worker's own page also
shows when they came and went, so it builds the sessions of their few dozen events.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import Direction, GateResult
from server.ingest.models import GateEventRow
from server.rosters import rules as roster_rules
from server.rosters import service as roster_service


@dataclass(frozen=True, slots=True)
class DayTimes:
    work_on: dt.date
    first_in: dt.datetime | None  # aware; None: the day has no IN (a missing IN)
    last_out: dt.datetime | None  # None: still on site, or a missing OUT
    corrected: bool  # a time rests on a 补卡 correction


def day_times(
    sessions: Iterable[roster_rules.Session], settings: roster_rules.RosterSettings
) -> dict[dt.date, DayTimes]:
    """Per local day (of the IN, as the roster counts it): the earliest IN, the latest OUT."""
    out: dict[dt.date, DayTimes] = {}
    for day, wd in roster_rules.summarise_days(list(sessions), settings).items():
        ins = [s.in_at for s in wd.sessions if s.in_at is not None]
        outs = [s.out_at for s in wd.sessions if s.out_at is not None]
        out[day] = DayTimes(day, min(ins, default=None), max(outs, default=None), wd.corrected)
    return out


def load(
    session: Session,
    *,
    project_id: int,
    worker_id: int,
    period: str,
    as_of: dt.datetime | None = None,
) -> Mapping[dt.date, DayTimes]:
    """One worker's days of `period` on a project, as known at `as_of` (aware)."""
    year, month = roster_service.parse_period(period)
    project = roster_service.get_project_or_raise(session, project_id)
    settings = roster_service.project_settings(project)
    start, end = roster_rules.month_event_window(year, month, settings)
    events = _events(session, project_id, worker_id, start, end)
    # The corrections that count, as the roster counts them (same package: the one query).
    records = roster_service._corrections(session, project_id, start, end, worker_id)
    corrections = roster_service._rule_corrections(records)
    sessions = roster_rules.build_sessions(events, corrections, settings=settings, as_of=as_of)
    days = day_times(sessions.get(worker_id, []), settings)
    return {d: t for d, t in days.items() if (d.year, d.month) == (year, month)}


def _events(
    session: Session, project_id: int, worker_id: int, start: dt.datetime, end: dt.datetime
) -> list[roster_rules.AttendanceEvent]:
    """The worker's granted passes in [start, end), filtered as the month roster filters them."""
    c = GateEventRow.__table__.c
    stmt = select(c.id, c.direction, c.device_time).where(
        c.project_id == project_id,
        c.worker_id == worker_id,
        c.device_time >= start,
        c.device_time < end,
        c.result == GateResult.GRANTED,
        c.voided_by_seq.is_(None),  # a pass that did not happen (relay_failed follow-up)
        c.purpose.is_(None),  # a wage confirmation at a station is no pass
        c.direction.in_((Direction.IN, Direction.OUT)),
    )
    return [
        roster_rules.AttendanceEvent(eid, worker_id, Direction(direction), at)
        for eid, direction, at in session.connection().execute(stmt)
    ]
