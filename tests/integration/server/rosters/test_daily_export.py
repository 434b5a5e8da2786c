"""当日考勤 XLSX over HTTP (scope like the daily JSON) and `sitegate roster daily --xlsx`."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from models.enums import DenyReason, Direction, Role
from server.db import migrate
from server.db.session import make_engine
from sitegate_cli.app import app
from tests.factories import (
    login,
    make_assignment,
    make_company,
    make_device,
    make_project,
    make_user,
    make_worker,
)
from tests.integration.server.rosters.conftest import Site
from tests.integration.server.rosters.roster_support import add_event, local, shift

DAY = dt.date(2026, 10, 9)


def _seed(session: Session, site: Site) -> None:
    p, gi = site.project, site.gate_in
    a = site.worker(session, "王钢筋")
    b = site.worker(session, "李混凝土", concrete=True, trade="混凝土工")
    site.worker(session, "赵未到")
    shift(session, p, gi, a, DAY, (8, 0), (17, 30))
    add_event(session, p, gi, b, local(DAY, 8), Direction.IN)  # missing OUT
    add_event(session, p, gi, b, local(DAY, 7, 50), Direction.IN,
              refused=DenyReason.NO_SAFETY_TRAINING)  # fmt: skip


def _url(site: Site, day: dt.date = DAY) -> str:
    return f"/api/v1/projects/{site.project.id}/rosters/daily.xlsx?day={day}"


class TestApi:
    def test_xlsx(self, client: TestClient, session: Session, site: Site) -> None:
        _seed(session, site)
        h = login(client, make_user(session, Role.SITE_MANAGER, [site.project]))
        r = client.get(_url(site), headers=h)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
        assert "filename*=UTF-8''" in r.headers["content-disposition"]
        assert (
            "%E5%BD%93%E6%97%A5%E8%80%83%E5%8B%A4" in r.headers["content-disposition"]
        )  # 当日考勤
        wb = load_workbook(io.BytesIO(r.content))
        assert len(wb.sheetnames) == 4
        arrivals = wb.worksheets[1]
        rows = {row[1]: row for row in arrivals.iter_rows(min_row=6, values_only=True)}
        wang = rows["王钢筋"]
        assert wang[6] == dt.datetime(2026, 10, 9, 8, 0)  # noqa: DTZ001 - Shanghai wall time
        assert wang[7] == dt.datetime(2026, 10, 9, 17, 30)  # noqa: DTZ001
        assert "*" in str(wang[2])
        assert rows["李混凝土"][12] == "缺出场记录 missing OUT"
        not_come = [row[1] for row in wb.worksheets[2].iter_rows(min_row=6, values_only=True)]
        assert not_come == ["赵未到"]
        kinds = [row[0] for row in wb.worksheets[3].iter_rows(min_row=6, values_only=True)]
        assert kinds == ["缺卡 missing punch", "拒绝 refused"]
        reasons = [row[9] for row in wb.worksheets[3].iter_rows(min_row=6, values_only=True)]
        assert reasons[1] == "未完成安全教育"

    def test_scope(self, client: TestClient, session: Session, site: Site) -> None:
        inspector = make_user(session, Role.INSPECTOR, [site.project])
        assert client.get(_url(site), headers=login(client, inspector)).status_code == 200
        other = make_user(session, Role.SITE_MANAGER, [make_project(session)])
        assert client.get(_url(site), headers=login(client, other)).status_code == 404
        admin = login(client, make_user(session, Role.ADMIN))
        r = client.get("/api/v1/projects/999999/rosters/daily.xlsx", headers=admin)
        assert r.status_code == 404
        assert client.get(_url(site)).status_code == 401
        r = client.get(
            f"/api/v1/projects/{site.project.id}/rosters/daily.xlsx?day=2026-13-01", headers=admin
        )
        assert r.status_code == 422
        r = client.get(f"/api/v1/projects/{site.project.id}/rosters/daily.xlsx", headers=admin)
        assert r.status_code == 200  # today by default


runner = CliRunner(env={"COLUMNS": "240"})


@pytest.fixture
def db(tmp_path: Path) -> tuple[str, str]:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s:
        p = make_project(s, name="城南学校项目")
        gate = make_device(s, p)
        a = make_worker(s, "赵一")
        make_assignment(s, p, a, make_company(s, p))
        shift(s, p, gate, a, DAY, (8, 0), (17, 30))
        code = p.code
        s.commit()
    engine.dispose()
    return url, code


def test_cli_daily_xlsx(db: tuple[str, str], tmp_path: Path) -> None:
    url, code = db
    out = tmp_path / "当日.xlsx"
    r = runner.invoke(
        app,
        ["roster", "daily", "--project", code, "--day", str(DAY), "--xlsx", str(out),
         "--database-url", url],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "已写出" in r.output
    wb = load_workbook(out)
    assert str(wb.worksheets[0]["A1"].value).startswith("城南学校项目 2026-10-09 当日考勤")
    assert wb.worksheets[1]["B6"].value == "赵一"
