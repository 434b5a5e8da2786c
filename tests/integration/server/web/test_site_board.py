"""The 现场 board's answers: who is in which list by name, the counts on the tabs, the firm /
team / trade filter (and the XLSX with the same filter), past days, bad and future days, the
gates that need a look, and whole people on the chart's axis.

The day is the pages' fixed clock, 2026-03-18 10:00 Asia/Shanghai.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from models.enums import AssignmentStatus, DenyReason, Direction
from server.auth.models import User
from server.registry.models import Company, Project
from tests.factories import (
    make_assignment,
    make_company,
    make_device,
    make_team,
    make_worker,
)
from tests.integration.server.rosters.roster_support import add_event, local
from tests.integration.server.web.conftest import World
from tests.integration.server.web.helpers import web_login

TODAY = dt.date(2026, 3, 18)
YESTERDAY = dt.date(2026, 3, 17)


@dataclass
class Board:
    project: Project
    manager: User
    rebar: Company
    wood: Company


@pytest.fixture
def board(session: Session, world: World) -> Board:
    """Project A gets two firms. 钢筋 firm: 阿强 inside since 07:00, 张伟 in 07:30 out 09:00
    (and a whole day yesterday). 木工 firm: 李四 inside since 08:00, 王五 active but not come,
    钱六 refused at 08:10 (no contract), 孙七 out at 08:30 with no IN; 周八 only registered."""
    a = world.a
    rebar, wood = make_company(session, a), make_company(session, a)
    t_rebar, t_wood = make_team(session, a, rebar, "钢筋班"), make_team(session, a, wood, "木工班")
    gate = make_device(session, a)
    gate.name = "东门"
    people = {}
    for name, company, team, trade in (
        ("阿强", rebar, t_rebar, "钢筋工"),
        ("张伟", rebar, t_rebar, "钢筋工"),
        ("李四", wood, t_wood, "木工"),
        ("王五", wood, t_wood, "木工"),
        ("钱六", wood, t_wood, "木工"),
        ("孙七", wood, t_wood, "木工"),
    ):
        w = make_worker(session, name)
        make_assignment(session, a, w, company, t_rebar if team is t_rebar else t_wood, trade=trade)
        people[name] = w
    pending = make_worker(session, "周八")
    make_assignment(session, a, pending, wood, t_wood, status=AssignmentStatus.PENDING,
                    entered_on=None)  # fmt: skip
    p = people
    add_event(session, a, gate, p["阿强"], local(TODAY, 7), Direction.IN)
    add_event(session, a, gate, p["张伟"], local(TODAY, 7, 30), Direction.IN)
    add_event(session, a, gate, p["张伟"], local(TODAY, 9), Direction.OUT)
    add_event(session, a, gate, p["李四"], local(TODAY, 8), Direction.IN)
    add_event(session, a, gate, p["钱六"], local(TODAY, 8, 10), Direction.IN,
              refused=DenyReason.NO_CONTRACT)  # fmt: skip
    add_event(session, a, gate, p["孙七"], local(TODAY, 8, 30), Direction.OUT)
    add_event(session, a, gate, p["张伟"], local(YESTERDAY, 7), Direction.IN)
    add_event(session, a, gate, p["张伟"], local(YESTERDAY, 17), Direction.OUT)
    session.commit()
    return Board(a, world.manager_a, rebar, wood)


def _table(html: str, table_id: str) -> str:
    part = html[html.index(f'id="{table_id}"') :]
    return part[: part.index("</table>")]


def _count(html: str, element_id: str) -> int:
    m = re.search(rf'id="{element_id}">(\d+)<', html)
    assert m, element_id
    return int(m.group(1))


def _names(table: str) -> list[str]:
    return re.findall(r'/workers/\d+">([^<]+)</a>', table)


class TestLists:
    def test_each_tab_lists_by_name_what_its_count_counts(
        self, client: TestClient, board: Board
    ) -> None:
        web_login(client, board.manager)
        url = f"/site/{board.project.id}/now"
        html = client.get(url).text
        tabs = ("headcount", "arrivals", "departures", "not-come-count", "anomaly-count")
        assert [_count(html, t) for t in tabs] == [2, 3, 2, 4, 2]
        # The default tab: who is inside now, grouped by firm and team.
        assert sorted(_names(_table(html, "list-on_site"))) == ["李四", "阿强"]
        # The tabs keep to the page and say which is open.
        assert 'id="tab-on_site" aria-current="page"' in html
        assert f'href="{url}?list=not_come"' in html

        arrived = _table(client.get(f"{url}?list=arrived").text, "list-arrived")
        assert _names(arrived) == ["阿强", "张伟", "李四"]  # in the order they came
        left = _names(_table(client.get(f"{url}?list=left").text, "list-left"))
        assert left == ["张伟", "孙七"]  # latest OUT first; 孙七's OUT had no IN
        # 未到: active, never came (钱六 was refused: he did not come in); conftest's two as
        # well; not 周八, who is registered only
        not_come = _names(_table(client.get(f"{url}?list=not_come").text, "list-not_come"))
        assert sorted(not_come) == sorted(["王五", "钱六", "王小明", "赵同事"])
        assert "周八" not in not_come
        page = client.get(f"{url}?list=anomalies").text
        missing = _table(page, "list-anomalies")
        assert "孙七" in missing
        assert "缺进场记录" in missing
        refused = _table(page, "refusals")
        assert "钱六" in refused
        assert "未签劳动合同" in refused  # the reason in words
        assert "东门" in refused

    def test_registry_status_no_longer_reads_as_on_site(
        self, client: TestClient, board: Board
    ) -> None:
        web_login(client, board.manager)
        html = client.get(f"/site/{board.project.id}/workers").text
        assert "在场(已进场)" not in html
        assert "已进场" in html


class TestFilter:
    def test_a_firm_narrows_every_list_and_the_export_agrees(
        self, client: TestClient, board: Board
    ) -> None:
        web_login(client, board.manager)
        url = f"/site/{board.project.id}/now"
        html = client.get(url, params={"company": board.wood.name}).text
        assert _names(_table(html, "list-on_site")) == ["李四"]
        assert _count(html, "headcount") == 1
        assert _count(html, "arrivals") == 1
        assert _count(html, "not-come-count") == 2  # 王五, 钱六: 王小明 has no firm
        assert _count(html, "anomaly-count") == 2  # 孙七's missing IN, 钱六's refusal
        # The export link carries the day and the filter.
        href = re.search(r'id="now-xlsx" href="([^"]+)"', html)
        assert href
        link = href.group(1).replace("&amp;", "&")
        assert "day=2026-03-18" in link
        assert "company=" in link
        r = client.get(link)
        assert r.status_code == 200
        wb = load_workbook(io.BytesIO(r.content))
        assert f"筛选 / Only: 单位 company {board.wood.name}" in str(wb["在场 On site"]["A2"].value)
        on_site = " ".join(str(c.value) for row in wb["在场 On site"].iter_rows() for c in row)
        assert "李四" in on_site
        assert "阿强" not in on_site
        not_come = " ".join(str(c.value) for row in wb["未到 Not come"].iter_rows() for c in row)
        assert "王五" in not_come
        assert "王小明" not in not_come

    def test_team_and_trade(self, client: TestClient, board: Board) -> None:
        web_login(client, board.manager)
        url = f"/site/{board.project.id}/now"
        html = client.get(url, params={"trade": "钢筋工", "list": "arrived"}).text
        assert _names(_table(html, "list-arrived")) == ["阿强", "张伟"]
        assert 'value="arrived"' in html  # the filter form keeps the open tab
        team = re.search(r"<option>(木工班\d+)</option>", html)
        assert team  # the team choices are the day's teams
        html = client.get(url, params={"team": team.group(1)}).text
        assert _names(_table(html, "list-on_site")) == ["李四"]


class TestDay:
    def test_a_past_day_shows_that_days_lists(self, client: TestClient, board: Board) -> None:
        web_login(client, board.manager)
        url = f"/site/{board.project.id}/now"
        html = client.get(url, params={"day": "2026-03-17", "list": "arrived"}).text
        assert _names(_table(html, "list-arrived")) == ["张伟"]
        assert _count(html, "headcount") == 0  # nobody inside at the end of that day
        assert "截至当日结束" in html
        assert 'id="next-day"' in html
        assert "day=2026-03-17" in re.search(r'id="now-xlsx" href="([^"]+)"', html).group(1)  # type: ignore[union-attr]

    @pytest.mark.parametrize(
        ("day", "words"),
        [("2026-03-19", "尚未到来"), ("junk", "YYYY-MM-DD"), ("2026-02-30", "YYYY-MM-DD")],
    )
    def test_a_future_or_bad_day_says_so(
        self, client: TestClient, board: Board, day: str, words: str
    ) -> None:
        web_login(client, board.manager)
        r = client.get(f"/site/{board.project.id}/now", params={"day": day})
        assert r.status_code == 422
        assert words in r.text


class TestTopOfTheBoard:
    def test_gates_needing_a_look_are_listed_first(self, client: TestClient, board: Board) -> None:
        web_login(client, board.manager)
        html = client.get(f"/site/{board.project.id}/now").text
        problems = html[html.index('id="gate-problems"') : html.index('id="board-filter"')]
        assert "东门" in problems
        assert "从未连接" in problems

    def test_chart_axis_counts_whole_people(self, client: TestClient, board: Board) -> None:
        web_login(client, board.manager)
        html = client.get(f"/site/{board.project.id}/now").text
        labels = re.findall(r'class="ylab">([^<]+)<', html)
        assert labels == ["0", "1", "2", "3", "4"]
