"""The simulated weeks: who passes which gate when, with the refusals and the outage (pure data).

Two stretches of site days: the last month whose pay day has passed (paid, then reconciled) and
the days since, up to today and now, so the site is live on the day the demo runs. Day shift
~07:00-18:00 with jitter, the general contractor's own crew 06:00-19:30 (it opens and closes
the site), a night-shift team 19:00-06:30 across midnight, so someone is on site at any hour; a
few half days and absences, a couple of forgotten OUTs; refusals: an expired ID card, a
stranger's face with a worker's ID card, a worker who has left (退场), an unknown IC card, an ID
card that is not on the roster. The OUT gate is offline for two days of the paid month and
catches up afterwards. Site days are Monday to Friday, and always yesterday and today (the
site works this weekend too), so the night shift that is on site at 03:00 came in last night.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sitegate_cli.demo.seed import TEAMS, WorkerSpec

TZ = ZoneInfo("Asia/Shanghai")
IN, OUT = "in", "out"
UNKNOWN_UID = "DEADBEEF"


@dataclass(frozen=True, slots=True)
class Pass:
    """One attempt at one gate. `expect` is "granted" or the refusal reason the demo stages."""

    at: dt.datetime  # aware, project time zone
    gate: str  # "in" / "out"
    worker: int | None  # WorkerSpec.key, None for strangers
    credential: str  # "ic" (IC card tap) / "id" (ID card on the SAM reader)
    uid: str | None = None
    name: str = ""
    id_number: str = ""
    id_valid_to: dt.date | None = dt.date(2036, 1, 1)
    photo: str | None = None  # image the camera shows (face workers, the stranger)
    expect: str = "granted"


@dataclass
class MonthPlan:
    period: str  # YYYY-MM: the paid month
    working_days: list[dt.date]  # the paid month's site days simulated
    passes: list[Pass]
    offline_days: list[dt.date]  # the OUT gate has no network on these dates
    leave_worker: int  # WorkerSpec.key
    leave_recorded_on: dt.date  # the 退场 is entered in the morning of this date …
    left_on: dt.date  # … effective from the end of this (previous working) day
    staged: dict[str, int] = field(default_factory=dict)  # expected refusals by reason
    live_days: list[dt.date] = field(default_factory=list)  # after the paid month, to today
    now: dt.datetime | None = None  # nothing is planned after this instant

    def days(self) -> list[dt.date]:
        """Every local date with gate traffic, in order (night OUTs spill into the next day)."""
        return sorted({p.at.date() for p in self.passes})

    def inside_at_end(self) -> list[int]:
        """Worker keys whose last granted pass is an IN: on site at `now` (the live board)."""
        last: dict[int, str] = {}
        for p in sorted(self.passes, key=lambda p: p.at):
            if p.worker is not None and p.expect == "granted":
                last[p.worker] = p.gate
        return sorted(k for k, gate in last.items() if gate == IN)


@dataclass(frozen=True, slots=True)
class Calendar:
    """Which month is paid, its pay day, and the site days simulated."""

    year: int
    month: int
    pay_day: dt.date  # in the next month, before today: the bank's result is in
    paid_days: list[dt.date]
    live_days: list[dt.date]  # the days after the paid month up to today (today last)

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, self.month, 1)


def _month_after(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def paid_month(today: dt.date) -> tuple[int, int, dt.date]:
    """(year, month, pay day) of the month the demo pays: the previous one, its pay day set
    before today so the payment (and a late one) can be in the bank's result; on the 1st, no
    pay day of last month has passed yet, so the month before (paid on the 15th)."""
    y, m = (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)
    if today.day >= 2:
        return y, m, dt.date(today.year, today.month, min(15, today.day - 1))
    py, pm = y, m
    y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return y, m, dt.date(py, pm, 15)


def site_day(day: dt.date, today: dt.date) -> bool:
    return day.weekday() < 5 or today - dt.timedelta(days=1) <= day <= today


def demo_calendar(today: dt.date, *, paid_limit: int | None, live_limit: int | None) -> Calendar:
    """`paid_limit`: the paid month's first N site days only; `live_limit`: the last N site
    days up to today only (None: all of them; --fast keeps the run short)."""
    year, month, pay_day = paid_month(today)
    last = calendar.monthrange(year, month)[1]
    paid = [d for d in (dt.date(year, month, i) for i in range(1, last + 1)) if site_day(d, today)]
    ny, nm = _month_after(year, month)
    live: list[dt.date] = []
    day = dt.date(ny, nm, 1)
    while day <= today:
        if site_day(day, today):
            live.append(day)
        day += dt.timedelta(days=1)
    return Calendar(
        year,
        month,
        pay_day,
        paid[:paid_limit] if paid_limit else paid,
        live[-live_limit:] if live_limit else live,
    )


def _at(day: dt.date, hh: int, mm: int, jitter_min: float, rng: random.Random) -> dt.datetime:
    base = dt.datetime(day.year, day.month, day.day, hh, mm, tzinfo=TZ)
    return base + dt.timedelta(seconds=round(rng.gauss(0, jitter_min * 60)))


def plan_month(
    workers: list[WorkerSpec],
    *,
    cal: Calendar,
    now: dt.datetime,
    photo_for: dict[int, str],
    stranger_photo: str | None,
    stranger_card: tuple[str, str],
    seed: int = 11,
) -> MonthPlan:
    """`photo_for`: worker key -> the gate image of the enrolled face workers. The staged story
    plays in the paid month; the live days are ordinary traffic, none of it after `now`."""
    rng = random.Random(seed)
    days = cal.paid_days
    n = len(days)
    k = max(2, n // 3)  # OUT gate offline on days[k], days[k+1]
    m = min(n - 3, max(k + 3, n // 2 + 1))  # 退场 recorded on days[m]
    by_team: dict[int, list[WorkerSpec]] = {}
    for w in workers:
        by_team.setdefault(w.team, []).append(w)
    day_ic = [w for w in workers if w.card_uid and not TEAMS[w.team].night and not w.leader]
    face = [w for w in workers if w.key in photo_for]
    leaver, expired = day_ic[3], day_ic[5]
    forgetful = {(day_ic[8].key, days[1]), (day_ic[9].key, days[n - 2])}
    half = {(day_ic[10].key, days[2]), (day_ic[11].key, days[4]), (day_ic[12].key, days[n - 3])}
    staged_people = {leaver.key, expired.key, *(k for k, _ in forgetful), *(k for k, _ in half)}
    if face:
        staged_people.add(face[0].key)

    def credential(w: WorkerSpec, at: dt.datetime, gate: str) -> Pass:
        if w.card_uid:
            return Pass(at, gate, w.key, "ic", uid=w.card_uid)
        return Pass(
            at, gate, w.key, "id", name=w.name, id_number=w.id_number, photo=photo_for.get(w.key)
        )

    passes: list[Pass] = []
    for di, day in enumerate([*days, *cal.live_days]):
        for w in workers:
            if w.key == leaver.key and di >= m:
                continue
            if not w.leader and w.key not in staged_people and rng.random() < 0.05:
                continue  # absent today
            if TEAMS[w.team].night:
                t_in = _at(day, 19, 0, 10, rng)
                t_out = _at(day + dt.timedelta(days=1), 6, 30, 10, rng)
            elif w.team == 0:  # the general contractor's crew opens and closes the site
                t_in = _at(day, 6, 0, 10, rng)
                t_out = _at(day, 19, 30, 10, rng)
            else:
                t_in = _at(day, 7, 0, 12, rng)
                t_out = _at(day, 18, 0, 15, rng)
            if (w.key, day) in half:
                t_out = t_in + dt.timedelta(hours=3)
            passes.append(credential(w, t_in, IN))
            if (w.key, day) not in forgetful:
                passes.append(credential(w, t_out, OUT))

    staged: dict[str, int] = {}

    def stage(p: Pass) -> None:
        passes.append(p)
        staged[p.expect] = staged.get(p.expect, 0) + 1

    # An old, expired ID card first; then his IC card works.
    first_in = min(p.at for p in passes if p.worker == expired.key and p.at.date() == days[1])
    stage(
        Pass(
            first_in - dt.timedelta(seconds=90),
            IN,
            expired.key,
            "id",
            name=expired.name,
            id_number=expired.id_number,
            id_valid_to=days[1] - dt.timedelta(days=20),
            expect="id_card_expired",
        )
    )
    # Someone else's face with a face worker's ID card, shortly before the worker himself.
    if face and stranger_photo:
        victim = face[0]
        own = [p for p in passes if p.worker == victim.key and p.at.date() == days[2]]
        t = min(p.at for p in own) if own else _at(days[2], 7, 0, 0, rng)
        stage(
            Pass(
                t - dt.timedelta(seconds=120),
                IN,
                victim.key,
                "id",
                name=victim.name,
                id_number=victim.id_number,
                photo=stranger_photo,
                expect="face_mismatch",
            )
        )
    # The worker who left (退场) tries the gate with his ID card the morning after.
    stage(
        Pass(
            _at(days[m], 7, 5, 0, rng),
            IN,
            leaver.key,
            "id",
            name=leaver.name,
            id_number=leaver.id_number,
            expect="left",
        )
    )
    # A lost/foreign IC card at the OUT gate, and a stranger's ID card at the IN gate.
    stage(
        Pass(
            _at(days[min(m + 1, n - 1)], 18, 7, 0, rng),
            OUT,
            None,
            "ic",
            uid=UNKNOWN_UID,
            expect="unknown_credential",
        )
    )
    stage(
        Pass(
            _at(days[min(m + 2, n - 1)], 7, 31, 0, rng),
            IN,
            None,
            "id",
            name=stranger_card[0],
            id_number=stranger_card[1],
            expect="not_on_roster",
        )
    )
    passes = sorted((p for p in passes if p.at <= now), key=lambda p: p.at)
    return MonthPlan(
        period=f"{cal.year:04d}-{cal.month:02d}",
        working_days=days,
        passes=passes,
        offline_days=[days[k], days[k + 1]],
        leave_worker=leaver.key,
        leave_recorded_on=days[m],
        left_on=days[m - 1],
        staged=staged,
        live_days=list(cal.live_days),
        now=now,
    )
