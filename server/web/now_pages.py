"""The site manager's 现场 board (/site/{id}/now) and its 当日考勤 XLSX.

One day roster from the rosters service, narrowed by firm / team / trade (server/web/board.py)
for both the page and the export, so what the page lists is what the file holds. The KPI counts
are tabs (`?list=`) that open the list of names they count; `?day=` shows a past day.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from starlette.responses import Response

from server.auth.scope import Area, Resource
from server.registry.models import Project
from server.reports import daily_xlsx
from server.rosters import service as roster_service
from server.web import board as board_view
from server.web import charts, queries
from server.web.clock import now_utc
from server.web.downloads import XLSX, download
from server.web.errors import PageRoute
from server.web.session import PageDb, page_authorized
from server.web.templating import render

router = APIRouter(prefix="/site", route_class=PageRoute)

AttendanceProject = Annotated[Project, page_authorized(Area.SITE, Resource.ATTENDANCE)]


def _board(
    request: Request,
    project: Project,
    session: PageDb,
    day: str | None,
    f: board_view.BoardFilter,
) -> tuple[roster_service.DailyRoster, roster_service.DailyRoster, dt.date]:
    """(the whole day, the day narrowed by `f`, today) as the project's clock reads it."""
    now = now_utc(request)
    today = now.astimezone(roster_service.project_settings(project).zone).date()
    the_day = board_view.parse_day(day, today)
    whole = roster_service.daily(session, project_id=project.id, day=the_day, now=now)
    return whole, board_view.narrow(whole, f), today


def _chart(board: roster_service.DailyRoster, today: bool) -> charts.Chart:
    zone = ZoneInfo(board.timezone)
    day_start = dt.datetime.combine(board.day, dt.time(0), zone)
    curve = list(board.hourly)
    if today:  # the line ends at the board's time, at the headcount it shows
        curve.append((board.now, board.headcount))
    xs = [(t - day_start).total_seconds() / 3600 for t, _ in curve]
    return charts.line_chart(
        xs,
        [float(n) for _, n in curve],
        x_range=(0, 24),
        titles=[f"{t.astimezone(zone):%H:%M} · {n}" for t, n in curve],
        x_labels=[(h, f"{h:02d}:00") for h in range(0, 25, 3)],
        whole=True,
    )


def _iso(day: dt.date, shift: int) -> str:
    return (day + dt.timedelta(days=shift)).isoformat()


@router.get("/{project_id}/now")
def now_page(
    request: Request,
    project: AttendanceProject,
    session: PageDb,
    day: str | None = None,
    company: str | None = None,
    team: str | None = None,
    trade: str | None = None,
    list: str | None = None,
) -> Response:
    f = board_view.BoardFilter.of(company, team, trade)
    whole, board, today = _board(request, project, session, day, f)
    is_today = board.day == today
    tab = board_view.BoardList.of(list)
    base = f"/site/{project.id}/now"
    keep = {"day": "" if is_today else board.day.isoformat(), **f.query()}
    gates = queries.gate_states(session, project.id, now_utc(request))
    return render(
        request,
        "site/now.html",
        project=project,
        board=board,
        is_today=is_today,
        today=today.isoformat(),
        prev_href=board_view.link(base, day=_iso(board.day, -1), **f.query(), list=tab.value),
        next_href=None
        if is_today
        else board_view.link(
            base,
            day="" if board.day + dt.timedelta(days=1) == today else _iso(board.day, 1),
            **f.query(),
            list=tab.value,
        ),
        tab=tab.value,
        tabs=[(t.value, board_view.link(base, **keep, list=t.value)) for t in board_view.BoardList],
        counts=board_view.counts(board),
        arrived=board_view.arrived(board),
        left=board_view.left(board),
        filter=f,
        choices=board_view.choices(whole),
        export_href=board_view.link(
            f"/site/{project.id}/now.xlsx", day=board.day.isoformat(), **f.query()
        ),
        clear_href=board_view.link(base, day=keep["day"], list=tab.value),
        groups=queries.group_counts(board),
        gates=gates,
        gate_problems=board_view.gate_problems(gates),
        refusals=[*reversed(board.refusals)],  # latest first
        chart=_chart(board, is_today),
        tz=project.timezone,
    )


@router.get("/{project_id}/now.xlsx")
def now_export(
    request: Request,
    project: AttendanceProject,
    session: PageDb,
    day: str | None = None,
    company: str | None = None,
    team: str | None = None,
    trade: str | None = None,
) -> Response:
    """当日考勤 as XLSX (server/reports/daily_xlsx) for `day` (YYYY-MM-DD, default today) and the
    page's firm / team / trade filter: the same lists the page shows."""
    f = board_view.BoardFilter.of(company, team, trade)
    _, board, _ = _board(request, project, session, day, f)
    # the filter in the file name, letters and digits only (a team may be named "A/B")
    suffix = "".join("-" + "".join(c for c in v if c.isalnum()) for v in f.query().values())
    return download(
        daily_xlsx.daily_xlsx(board, scope=f.caption()),
        XLSX,
        f"{board.project_code}-{board.day}{suffix}-当日考勤.xlsx",
    )
