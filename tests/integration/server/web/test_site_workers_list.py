"""The 工人 list's answers: the real total past 200, pages that keep the filters, the filters
themselves, pinyin order (阿 before 张), and batch 进场 / 退场 through a confirmation page that
changes exactly the chosen workers, audited, all or nothing, CSRF-checked."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import AssignmentStatus
from server.auth.models import AuditLog, User
from server.registry.models import Assignment, Company, Project, Team, Worker
from server.registry.rules import name_sort_key
from tests.factories import make_assignment, make_company, make_id_number, make_team, make_worker
from tests.integration.server.web.conftest import World
from tests.integration.server.web.helpers import csrf_of, page_csrf, web_login


def _names(html: str) -> list[str]:
    table = html[html.index('id="workers"') :]
    table = table[: table.index("</table>")]
    return re.findall(r'/workers/\d+">([^<]+)</a>', table)


def _total(html: str) -> str:
    m = re.search(r'id="workers-total">([^<]+)<', html)
    assert m
    return m.group(1)


class TestTotalAndPages:
    def test_three_hundred_are_counted_and_paged(
        self, client: TestClient, session: Session, world: World
    ) -> None:
        workers = [
            Worker(name=f"工人{i:03d}", id_number=make_id_number(), gender="M",
                   birth_date=dt.date(1980, 1, 1))
            for i in range(298)
        ]  # fmt: skip
        session.add_all(workers)
        session.flush()
        session.add_all(
            Assignment(project_id=world.a.id, worker_id=w.id, entered_on=dt.date(2026, 1, 1),
                       status=AssignmentStatus.ACTIVE)
            for w in workers
        )  # fmt: skip
        session.commit()
        web_login(client, world.manager_a)
        url = f"/site/{world.a.id}/workers"
        first = client.get(url).text
        assert _total(first) == "共 300 人"  # 298 + conftest's 王小明 and 赵同事
        assert len(_names(first)) == 50
        assert "第 1 / 6 页" in first
        last = client.get(url, params={"page": "6"}).text
        assert len(_names(last)) == 50
        # a page past the end shows the last one, not an empty list
        assert _names(client.get(url, params={"page": "99"}).text) == _names(last)
        # every name once across the pages
        seen = [n for p in range(1, 7) for n in _names(client.get(url, params={"page": p}).text)]
        assert len(seen) == len(set(seen)) == 300
        # the page links keep the search
        found = client.get(url, params={"q": "工人", "page": "2"}).text
        assert _total(found) == "共 298 人"
        assert "q=%E5%B7%A5%E4%BA%BA&amp;page=3" in found


@dataclass
class Listed:
    world: World
    rebar: Company
    wood: Company
    t_wood: Team
    names: dict[str, Worker]


@pytest.fixture
def listed(session: Session, world: World) -> Listed:
    a = world.a
    rebar, wood = make_company(session, a), make_company(session, a)
    t_rebar, t_wood = make_team(session, a, rebar), make_team(session, a, wood, "木工班")
    names: dict[str, Worker] = {}
    for name, company, team, kw in (
        ("张伟", rebar, t_rebar, {}),
        ("阿明", rebar, t_rebar, {"contract_signed_on": None}),
        ("李四", wood, t_wood, {"safety_trained_on": None}),
        ("林一", wood, t_wood, {"status": AssignmentStatus.PENDING, "entered_on": None}),
        ("吕布", wood, t_wood, {"status": AssignmentStatus.LEFT,
                              "left_on": dt.date(2026, 2, 1)}),
    ):  # fmt: skip
        w = make_worker(session, name, face_consent=name in ("张伟", "李四"))
        make_assignment(session, a, w, company, team, **kw)
        names[name] = w
    session.commit()
    return Listed(world, rebar, wood, t_wood, names)


class TestOrderAndFilters:
    def test_pinyin_order(self, client: TestClient, listed: Listed) -> None:
        web_login(client, listed.world.manager_a)
        names = _names(client.get(f"/site/{listed.world.a.id}/workers").text)
        # a1 < li3 < lin2 < lv3 < wang2 < zhang1 < zhao4; not code-point order (张 < 李 < 阿)
        assert names == ["阿明", "李四", "林一", "吕布", "王小明", "张伟", "赵同事"]

    def test_the_stored_key_follows_a_rename(self, session: Session, listed: Listed) -> None:
        w = listed.names["阿明"]
        assert w.name_key == name_sort_key("阿明") == "a1ming2"
        w.name = "单田"
        session.flush()
        assert session.scalar(select(Worker.name_key).where(Worker.id == w.id)) == "shan4tian2"

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"status": "pending"}, ["林一"]),
            ({"status": "left"}, ["吕布"]),
            ({"contract": "no"}, ["阿明"]),
            ({"training": "no"}, ["李四"]),
            ({"consent": "yes"}, ["李四", "张伟"]),
            ({"status": "active", "contract": "yes", "training": "yes", "consent": "no"},
             ["王小明", "赵同事"]),
            ({"status": "bogus"}, ["阿明", "李四", "林一", "吕布", "王小明", "张伟", "赵同事"]),
        ],
    )  # fmt: skip
    def test_filters(
        self, client: TestClient, listed: Listed, params: dict[str, str], expected: list[str]
    ) -> None:
        web_login(client, listed.world.manager_a)
        html = client.get(f"/site/{listed.world.a.id}/workers", params=params).text
        assert _names(html) == expected
        assert _total(html) == f"共 {len(expected)} 人"

    def test_firm_and_team(self, client: TestClient, listed: Listed) -> None:
        web_login(client, listed.world.manager_a)
        url = f"/site/{listed.world.a.id}/workers"
        assert _names(client.get(url, params={"company": listed.rebar.id}).text) == [
            "阿明",
            "张伟",
        ]
        html = client.get(url, params={"team": listed.t_wood.id}).text
        assert _names(html) == ["李四", "林一", "吕布"]
        assert f'<option value="{listed.t_wood.id}" selected>' in html


def _statuses(session: Session, project: Project, workers: list[Worker]) -> list[str]:
    session.expire_all()
    return [
        session.scalars(
            select(Assignment.status).where(
                Assignment.project_id == project.id, Assignment.worker_id == w.id
            )
        ).one()
        for w in workers
    ]


def _enter_audits(session: Session, project: Project) -> int:
    rows = session.scalars(
        select(AuditLog).where(AuditLog.project_id == project.id, AuditLog.action == "enter")
    )
    return len(list(rows))


class TestBatch:
    def _preview(
        self, client: TestClient, listed: Listed, action: str, workers: list[Worker]
    ) -> str:
        url = f"/site/{listed.world.a.id}/workers"
        token = page_csrf(client, url)
        r = client.post(
            f"{url}/batch",
            data={"csrf_token": token, "action": action, "on": "2026-03-18",
                  "worker_id": [str(w.id) for w in workers]},
        )  # fmt: skip
        assert r.status_code == 200, r.text
        return r.text

    def test_enter_after_confirming_changes_exactly_the_chosen(
        self, client: TestClient, session: Session, listed: Listed
    ) -> None:
        web_login(client, listed.world.manager_a)
        lin, lv, zhang = listed.names["林一"], listed.names["吕布"], listed.names["张伟"]
        page = self._preview(client, listed, "enter", [lin, lv])
        chosen = page[page.index('id="batch-list"') :]
        assert "林一" in chosen
        assert "吕布" in chosen
        assert "张伟" not in chosen
        assert "以下 2 名工人将于 2026-03-18 进场" in page
        # the preview wrote nothing
        assert _statuses(session, listed.world.a, [lin, lv]) == ["pending", "left"]
        assert _enter_audits(session, listed.world.a) == 0
        r = client.post(
            f"/site/{listed.world.a.id}/workers/batch/confirm",
            data={"csrf_token": csrf_of(page), "action": "enter", "on": "2026-03-18",
                  "worker_id": [str(lin.id), str(lv.id)]},
            follow_redirects=False,
        )  # fmt: skip
        assert r.status_code == 303
        assert "msg=workers.batch_entered" in r.headers["location"]
        assert _statuses(session, listed.world.a, [lin, lv, zhang]) == ["active"] * 3
        assert _enter_audits(session, listed.world.a) == 2  # one per worker, as the single route

    def test_one_who_cannot_change_stops_the_whole_batch(
        self, client: TestClient, session: Session, listed: Listed
    ) -> None:
        web_login(client, listed.world.manager_a)
        lin, zhang = listed.names["林一"], listed.names["张伟"]
        page = self._preview(client, listed, "enter", [lin, zhang])
        assert "1 名工人无法办理" in page
        check = page[page.index(f'id="check-{zhang.id}"') :]
        assert check.index("该工人已进场") < check.index("</td>")  # the reason, per worker
        assert 'id="batch-confirm"' not in page  # nothing to confirm
        # a confirm sent anyway (an old tab) changes nobody
        r = client.post(
            f"/site/{listed.world.a.id}/workers/batch/confirm",
            data={"csrf_token": csrf_of(page), "action": "enter", "on": "2026-03-18",
                  "worker_id": [str(lin.id), str(zhang.id)]},
        )  # fmt: skip
        assert r.status_code == 422
        assert "本批次未做任何更改" in r.text
        assert _statuses(session, listed.world.a, [lin, zhang]) == ["pending", "active"]
        assert _enter_audits(session, listed.world.a) == 0

    def test_leave(self, client: TestClient, session: Session, listed: Listed) -> None:
        web_login(client, listed.world.manager_a)
        li, zhang = listed.names["李四"], listed.names["张伟"]
        page = self._preview(client, listed, "leave", [li, zhang])
        r = client.post(
            f"/site/{listed.world.a.id}/workers/batch/confirm",
            data={"csrf_token": csrf_of(page), "action": "leave", "on": "2026-03-18",
                  "worker_id": [str(li.id), str(zhang.id)]},
            follow_redirects=False,
        )  # fmt: skip
        assert r.status_code == 303
        assert _statuses(session, listed.world.a, [li, zhang]) == ["left", "left"]

    def test_bad_requests(self, client: TestClient, session: Session, listed: Listed) -> None:
        web_login(client, listed.world.manager_a)
        url = f"/site/{listed.world.a.id}/workers/batch"
        token = page_csrf(client, f"/site/{listed.world.a.id}/workers")
        lin = listed.names["林一"]
        for data, words in (
            ({"action": "enter", "on": "2026-03-18"}, "请至少勾选一名工人"),
            ({"action": "explode", "on": "2026-03-18", "worker_id": [str(lin.id)]}, "操作"),
            ({"action": "enter", "on": "", "worker_id": [str(lin.id)]}, "日期"),
            ({"action": "enter", "on": "2026-03-18", "worker_id": ["x1"]}, "编号无效"),
            # a worker of project B is not on this project
            ({"action": "enter", "on": "2026-03-18", "worker_id": [str(listed.world.y.id)]},
             "不属于本项目"),
        ):  # fmt: skip
            r = client.post(url, data={"csrf_token": token, **data})
            assert r.status_code == 422, data
            assert words in r.text
            assert "钱外人" not in r.text  # never names another project's worker
        # no CSRF token: refused before anything is looked at
        r = client.post(url, data={"action": "enter", "on": "2026-03-18",
                                   "worker_id": [str(lin.id)]})  # fmt: skip
        assert r.status_code == 403
        assert _statuses(session, listed.world.a, [lin]) == ["pending"]


def test_an_inspector_cannot_batch(client: TestClient, world: World, session: Session) -> None:
    user: User = world.inspector_a
    web_login(client, user)
    r = client.post(f"/site/{world.a.id}/workers/batch", data={"csrf_token": "x"})
    assert r.status_code in (403, 404)
