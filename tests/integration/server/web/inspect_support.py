"""A month an inspector opens to ask "why is this project red?", and the page's tables as data.

February 2026 on project 红项目 (pay day 2026-03-15, the pages' clock 2026-03-18): four workers
each attended two days at ¥350 a day (¥700 expected). 王红 was paid ¥700 into a card that is
not hers (red), 周缺 ¥600 (orange, underpaid), 李迟 ¥700 on 03-17 (yellow, late), 赵好 ¥700 on
time to her own card (no finding). Two gates, their ack state matching what is stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from html.parser import HTMLParser

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.enums import Direction, Role
from server.auth.models import User
from server.ingest.models import GateEventRow
from server.reconciliation import service as recon_service
from server.registry.models import Device, Project, Worker
from tests.factories import make_assignment, make_device, make_payment, make_project, make_user
from tests.factories import make_worker as _make_worker
from tests.integration.server.rosters.roster_support import shift

PERIOD = "2026-02"
TODAY = dt.date(2026, 3, 18)


@dataclass
class RedMonth:
    project: Project
    red: Worker
    short: Worker
    late: Worker
    fine: Worker
    gates: list[Device]
    inspector: User


def red_month(session: Session) -> RedMonth:
    project = make_project(session, name="红项目", region="北京")
    project.settings = {"reconciliation": {"require_wage_sheet": False}}
    gin = make_device(session, project, Direction.IN)
    gout = make_device(session, project, Direction.OUT)
    people = {}
    for n, name in enumerate(("王红", "周缺", "李迟", "赵好")):
        w = _make_worker(session, name=name, bank_card=f"62170000000000001{n}")
        make_assignment(session, project, w)
        for day in (2, 3):
            shift(session, project, gin, w, dt.date(2026, 2, day), (8, 0), (17, 0))
        people[name] = w
    for name, net in (("王红", 700), ("周缺", 600), ("李迟", 700), ("赵好", 700)):
        line = make_payment(session, project, people[name], period=PERIOD, net_yuan=net)
        if name == "王红":
            line.account_no = "6217000011112222333"  # the team leader's card
        if name == "李迟":
            line.paid_on = dt.date(2026, 3, 17)
    session.flush()
    for d in (gin, gout):  # ingest's acknowledgements match what is stored
        d.acked_count = session.scalar(
            select(func.count()).select_from(GateEventRow).where(GateEventRow.device_id == d.id)
        )
    session.flush()
    recon_service.run(session, project_id=project.id, period=PERIOD, today=TODAY)
    inspector = make_user(session, Role.INSPECTOR, [project])
    return RedMonth(
        project=project,
        red=people["王红"],
        short=people["周缺"],
        late=people["李迟"],
        fine=people["赵好"],
        gates=[gin, gout],
        inspector=inspector,
    )


@dataclass
class Row:
    attrs: dict[str, str]
    cells: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(self.cells)


class _Tables(HTMLParser):
    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id = table_id
        self.depth = 0  # >0 inside the wanted table
        self.rows: list[Row] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "table":
            if self.depth or a.get("id") == self.table_id:
                self.depth += 1
            return
        if not self.depth:
            return
        if tag == "tr":
            self.rows.append(Row(a))
        elif tag in ("td", "th") and self.rows:
            self.cell = []
        elif tag == "a" and self.rows and "href" in a:
            self.rows[-1].links.append(a["href"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self.depth:
            self.depth -= 1
        elif tag in ("td", "th") and self.cell is not None and self.rows:
            self.rows[-1].cells.append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def table_rows(html: str, table_id: str) -> list[Row]:
    """The rows of `<table id=table_id>` after its heading row."""
    parser = _Tables(table_id)
    parser.feed(html)
    return parser.rows[1:]
