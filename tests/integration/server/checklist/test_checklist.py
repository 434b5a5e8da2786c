"""The checklist over HTTP and in the pages: a project missing its wage account is red with
that item first, and recording the account through the safeguards API turns it green; shares
count only the workers on site; the levels follow the project's settings; the inspector of
another region sees nothing of the project; the cross-project page and XLSX list red first,
cells neutralised; and the facts of many projects cost the same queries as one."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import event
from sqlalchemy.orm import Session

from models.enums import AssignmentStatus, Role, WarningLevel
from server.checklist import service as checklist_service
from server.notice.models import NoticeBoard
from server.platform.models import PlatformAccount, PlatformJob
from server.reconciliation.models import Finding
from server.registry.models import Project
from tests.factories import login, make_assignment, make_project, make_user, make_worker
from tests.integration.server.web.helpers import web_login

ACCOUNT = {
    "bank_name": "中国建设银行北京分行",
    "account_no": "11050142610800001234",
    "account_name": "某某建设集团有限公司农民工工资专用账户",
    "opened_on": "2026-01-05",
    "tripartite_signed_on": "2026-01-10",
}


def complete_but_the_account(client: TestClient, session: Session, project: Project) -> None:
    """Everything the checklist asks for, except the wage account."""
    manager = login(client, make_user(session, Role.SITE_MANAGER, [project]))
    base = f"/api/v1/projects/{project.id}/safeguards"
    r = client.post(
        f"{base}/deposits",
        json={"form": "cash", "amount_fen": 50_000_000, "paid_on": "2026-01-20"},
        headers=manager,
    )
    assert r.status_code == 201, r.text
    r = client.post(
        f"{base}/officers",
        json={"name": "王劳资", "phone": "13800138000", "appointed_on": "2026-01-01"},
        headers=manager,
    )
    assert r.status_code == 201, r.text
    session.add(
        NoticeBoard(
            project_id=project.id, officer_name="王劳资", officer_phone="13800138000",
            min_wage_month_fen=254_000, pay_day=15, inspection_phone="010-12345678",
        )
    )  # fmt: skip
    session.add(
        PlatformAccount(project_id=project.id, base_url="https://platform.example", appid="a1",
                        secret=b"x", options={})
    )  # fmt: skip
    for name in ("张三", "李四"):
        make_assignment(session, project, make_worker(session, name))
    # left the site without a contract: no longer counted
    make_assignment(
        session, project, make_worker(session, "退场人"), status=AssignmentStatus.LEFT,
        contract_signed_on=None,
    )  # fmt: skip
    session.flush()


@pytest.fixture
def project(client: TestClient, session: Session) -> Project:
    p = make_project(session, region="北京", name='=HYPERLINK("http://x","北京一号")')
    complete_but_the_account(client, session, p)
    return p


def url(project: Project) -> str:
    return f"/api/v1/projects/{project.id}/checklist"


class TestProjectChecklist:
    def test_no_wage_account_is_red_first_and_recording_it_turns_green(
        self, client: TestClient, session: Session, project: Project
    ) -> None:
        manager = login(client, make_user(session, Role.SITE_MANAGER, [project]))
        got = client.get(url(project), headers=manager).json()
        assert got["level"] == "red"
        first, second = got["items"][:2]
        assert (first["code"], first["ok"], first["level"]) == ("wage_account", False, "red")
        assert (second["code"], second["level"]) == ("tripartite", "orange")
        assert all(i["ok"] for i in got["items"][2:]), got["items"]
        r = client.put(
            f"/api/v1/projects/{project.id}/safeguards/wage-account", json=ACCOUNT, headers=manager
        )
        assert r.status_code == 200, r.text
        got = client.get(url(project), headers=manager).json()
        assert got["level"] == "green"
        assert all(i["ok"] for i in got["items"])
        contract = next(i for i in got["items"] if i["code"] == "contract")
        assert contract["figure"] == "0/2 (0 %)"  # the worker who left is not counted

    def test_shares_count_the_workers_on_site(
        self, client: TestClient, session: Session, project: Project
    ) -> None:
        make_assignment(
            session, project, make_worker(session, "王五", bank_card=""),
            contract_signed_on=None, safety_trained_on=None,
        )  # fmt: skip
        manager = login(client, make_user(session, Role.SITE_MANAGER, [project]))
        items = {i["code"]: i for i in client.get(url(project), headers=manager).json()["items"]}
        for code in ("contract", "bank_card", "training"):
            assert items[code]["figure"] == "1/3 (33.3 %)", code
            assert items[code]["level"] == "red", code  # above 10 % / above 0

    def test_platform_problems_and_disbursement_findings(
        self, client: TestClient, session: Session, project: Project
    ) -> None:
        for n, state in enumerate(("rejected", "blocked", "uploaded", "invalid")):
            session.add(
                PlatformJob(project_id=project.id, kind="worker", subject_id=n, method="m",
                            state=state)
            )  # fmt: skip
        for kind, status in (("ACCOUNT_NOT_WORKERS", "open"), ("PAID_NOT_FROM_WAGE_ACCOUNT",
                             "resolved"), ("UNPAID", "open")):  # fmt: skip
            session.add(
                Finding(project_id=project.id, period="2026-02", kind=kind,
                        level=WarningLevel.RED, key=kind, message_zh="-", message_en="-",
                        status=status)
            )  # fmt: skip
        session.flush()
        manager = login(client, make_user(session, Role.SITE_MANAGER, [project]))
        items = {i["code"]: i for i in client.get(url(project), headers=manager).json()["items"]}
        assert (items["platform_uploads"]["figure"], items["platform_uploads"]["level"]) == (
            "3", "orange",
        )  # fmt: skip
        assert (items["disbursement"]["figure"], items["disbursement"]["level"]) == ("1", "red")

    def test_levels_follow_the_settings(
        self, client: TestClient, session: Session, project: Project
    ) -> None:
        manager = login(client, make_user(session, Role.SITE_MANAGER, [project]))
        body = {"checklist": {"wage_account_level": "yellow", "tripartite_level": "off"}}
        r = client.patch(f"/api/v1/projects/{project.id}/settings", json=body, headers=manager)
        assert r.status_code == 200, r.text
        got = client.get(url(project), headers=manager).json()
        assert got["level"] == "yellow"
        tri = next(i for i in got["items"] if i["code"] == "tripartite")
        assert (tri["ok"], tri["checked"]) == (True, False)
        r = client.patch(
            f"/api/v1/projects/{project.id}/settings",
            json={"checklist": {"deposit_level": "purple"}},
            headers=manager,
        )
        assert r.status_code == 422
        assert r.json()["detail"][0]["field"] == "checklist.deposit_level"
        assert r.json()["message_zh"]


class TestScope:
    def test_the_inspector_of_another_region_sees_nothing(
        self, client: TestClient, session: Session, project: Project
    ) -> None:
        green = make_project(session, region="北京", name="北京二号")
        complete_but_the_account(client, session, green)
        manager = login(client, make_user(session, Role.SITE_MANAGER, [green]))
        client.put(f"/api/v1/projects/{green.id}/safeguards/wage-account", json=ACCOUNT,
                   headers=manager)  # fmt: skip
        shanghai = make_project(session, region="上海", name="上海一号")
        beijing = login(client, make_user(session, Role.INSPECTOR, region="北京"))
        got = client.get("/api/v1/checklist", headers=beijing).json()
        ids = [c["project_id"] for c in got]
        assert ids == [project.id, green.id]  # red first
        assert shanghai.id not in ids
        other = login(client, make_user(session, Role.INSPECTOR, region="上海"))
        got = client.get("/api/v1/checklist", headers=other)
        assert [c["project_id"] for c in got.json()] == [shanghai.id]
        assert "北京" not in got.text
        assert client.get(url(project), headers=other).status_code == 404
        worker = login(client, make_user(session, Role.WORKER, worker=make_worker(session)))
        assert client.get("/api/v1/checklist", headers=worker).status_code == 403


class TestPages:
    def test_site_page_links_each_failing_item_to_its_fix(
        self, client: TestClient, session: Session, project: Project
    ) -> None:
        web_login(client, make_user(session, Role.SITE_MANAGER, [project]))
        r = client.get(f"/site/{project.id}/checklist")
        assert r.status_code == 200, r.text
        html = r.text
        assert 'id="item-wage_account" class="lv-row-red failing"' in html
        assert f'href="/site/{project.id}/safeguards#sg-account" class="fix"' in html
        assert html.index("item-wage_account") < html.index("item-deposit")
        assert f'href="/site/{project.id}/settings#section-checklist"' in html
        assert 'id="nav-checklist"' in html

    def test_inspector_pages_and_the_xlsx_red_first_neutralised(
        self, client: TestClient, session: Session, project: Project
    ) -> None:
        green = make_project(session, region="北京", name="北京二号", code="A0001")
        complete_but_the_account(client, session, green)
        manager = login(client, make_user(session, Role.SITE_MANAGER, [green]))
        client.put(f"/api/v1/projects/{green.id}/safeguards/wage-account", json=ACCOUNT,
                   headers=manager)  # fmt: skip
        web_login(client, make_user(session, Role.INSPECTOR, region="北京"))
        html = client.get("/inspect/checklist").text
        assert html.index(f'id="cl-project-{project.id}"') < html.index(
            f'id="cl-project-{green.id}"'
        )  # red before green, though its code sorts after
        assert 'data-code="wage_account"' in html
        one = client.get(f"/inspect/{project.id}/checklist")
        assert one.status_code == 200
        assert "/safeguards" not in one.text  # read-only: no site links
        r = client.get("/inspect/checklist.xlsx")
        assert r.status_code == 200
        ws = load_workbook(io.BytesIO(r.content)).active
        assert ws is not None
        rows = [[c.value for c in row] for row in ws.iter_rows(min_row=4)]
        assert [row[1] for row in rows] == [project.code, green.code]
        assert rows[0][2] == "'" + project.name  # a formula typed as a name stays text
        assert ws.cell(row=4, column=3).data_type == "s"
        assert rows[0][3] == "红色 red"
        assert rows[0][4] == "红色 red"  # the wage account
        assert rows[1][3] == "绿色 green"
        assert rows[0][12] == "通过 ok · 0/2 (0 %)"  # the contracts


@contextmanager
def counting(session: Session) -> Iterator[list[str]]:
    seen: list[str] = []

    def hook(*args: object) -> None:
        seen.append(str(args[2]))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", hook)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", hook)


def test_many_projects_cost_the_queries_of_one(
    client: TestClient, session: Session, project: Project
) -> None:
    others = [make_project(session, region="北京") for _ in range(5)]
    for p in others:
        make_assignment(session, p, make_worker(session, "赵六"))
    session.flush()
    with counting(session) as one:
        checklist_service.checklists(session, [project])
    with counting(session) as six:
        result = checklist_service.checklists(session, [project, *others])
    assert len(six) == len(one) == 8, six  # one per kind of fact (+ none per project)
    assert len(result) == 6
    assert result[0].level is WarningLevel.RED
