"""The site's wage-protection page: each form stores what it says and the page then shows it
(the account number in full to the manager), a bad form re-shows the page with the field named,
a contract with its scan sets the worker's contract flag, the statement import reports its bad
cell by row and column, and the page keeps to a phone's width."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.registry.models import Assignment
from server.web.i18n import LANG_COOKIE
from tests.integration.server.web.conftest import World
from tests.integration.server.web.helpers import page_csrf, web_login

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def url(world: World, tail: str = "") -> str:
    return f"/site/{world.a.id}/safeguards{tail}"


def post(client: TestClient, world: World, tail: str, data: dict[str, str], **kw: Any) -> Response:
    token = page_csrf(client, url(world))
    r: Response = client.post(
        url(world, tail), data={"csrf_token": token, **data}, follow_redirects=False, **kw
    )
    return r


class TestSafeguardsPage:
    def test_forms_store_and_the_page_shows_them(
        self, client: TestClient, session: Session, world: World
    ) -> None:
        web_login(client, world.manager_a)
        r = client.get(url(world))
        assert r.status_code == 200, r.text
        assert 'id="sg-account-none"' in r.text
        assert 'id="nav-safeguards"' in r.text
        r = post(client, world, "/account", {
            "bank_name": "中国建设银行", "account_no": "51050142610800001234",
            "account_name": "甲项目专户", "tripartite_signed_on": "2026-01-10",
        })  # fmt: skip
        assert r.status_code == 303, r.text
        assert r.headers["location"].endswith("msg=sg.saved.account")
        r = post(client, world, "/deposit", {
            "form": "cash", "amount_fen": "150,000.00", "contract_price_fen": "10000000",
            "paid_on": "2026-01-20",
        })  # fmt: skip
        assert r.status_code == 303, r.text
        r = post(client, world, "/officer", {
            "name": "王劳资", "phone": "13800138000", "appointed_on": "2026-01-01",
        })  # fmt: skip
        assert r.status_code == 303, r.text
        html = client.get(url(world, "?msg=sg.saved.officer")).text
        assert "专用账户已保存" not in html  # the flash is the last form's
        assert "劳资专管员已登记" in html
        assert re.search(r'id="sg-account-no">51050142610800001234<', html)
        assert re.search(r'id="sg-tripartite">2026-01-10<', html)
        assert "150,000.00" in html
        assert "1.50 %" in html
        assert "王劳资" in html

    def test_a_bad_form_names_the_field(self, client: TestClient, world: World) -> None:
        web_login(client, world.manager_a)
        r = post(client, world, "/deposit", {"form": "cash", "amount_fen": "十万", "paid_on": ""})
        assert r.status_code == 422
        assert "金额(元)" in r.text
        assert 'id="form-errors"' in r.text
        assert 'value="十万"' in r.text  # what was typed stays
        client.cookies.set(LANG_COOKIE, "en")
        r = post(client, world, "/officer", {"name": "王", "phone": "", "appointed_on": "2026-01"})
        assert r.status_code == 422
        assert "Phone: required" in r.text
        assert "Appointed on: not valid" in r.text

    def test_contract_with_scan_sets_the_flag(
        self, client: TestClient, session: Session, world: World
    ) -> None:
        assignment = session.query(Assignment).filter_by(worker_id=world.x.id).one()
        assignment.contract_signed_on = None
        session.commit()
        web_login(client, world.manager_a)
        r = post(
            client, world, "/contract",
            {"assignment_id": str(assignment.id), "kind": "written_agreement",
             "start_on": "2026-02-01", "pay_unit": "day", "unit_price_fen": "350"},
            files={"scan": ("c.png", PNG, "image/png")},
        )  # fmt: skip
        assert r.status_code == 303, r.text
        signed = session.scalar(
            select(Assignment.contract_signed_on).where(Assignment.id == assignment.id)
        )
        assert signed == dt.date(2026, 2, 1)  # the start, when no signing date is typed
        html = client.get(url(world)).text
        assert "用工书面协议" in html
        assert "1 / 2 人已登记" in html
        scan = f"/api/v1/projects/{world.a.id}/safeguards/contracts/{assignment.id}/scan"
        assert scan in html
        assert client.get(scan).content == PNG

    def test_statement_errors_by_row_and_column(self, client: TestClient, world: World) -> None:
        web_login(client, world.manager_a)
        data = "交易日期,收入金额,支出金额,余额,摘要\n2026-11-05,abc,,,人工费\n".encode()
        r = post(client, world, "/statement", {}, files={"file": ("s.csv", data, "text/csv")})
        assert r.status_code == 422
        assert "第 2 行 收入金额 (B)" in r.text
        many = "交易日期,收入金额,支出金额,余额,摘要\n" + "".join(
            f"2026-11-{d:02d},x,,,\n" for d in range(1, 8)
        )
        r = post(client, world, "/statement", {}, files={"file": ("s.csv", many.encode())})
        assert r.status_code == 422
        assert "第 8 行 收入金额 (B)" in r.text  # past the five the message names
        good = "交易日期,收入金额,支出金额,余额,摘要\n2026-11-05,100.00,,100.00,人工费\n".encode()
        r = post(client, world, "/statement", {}, files={"file": ("s.csv", good, "text/csv")})
        assert r.status_code == 303, r.text
        html = client.get(url(world)).text
        assert "2026-11-05 – 2026-11-05" in html
        r = post(client, world, "/statement", {}, files={"file": ("s.csv", good, "text/csv")})
        assert r.headers["location"].endswith("msg=sg.saved.statement_again")

    def test_inspector_and_worker(self, client: TestClient, world: World) -> None:
        web_login(client, world.inspector_a)
        assert client.get(url(world)).status_code == 403  # the site area is the site's
        client.cookies.clear()
        web_login(client, world.worker_x)
        assert client.get(url(world)).status_code == 403
