"""花名册导出 over HTTP and the CLI: full vs masked by role, the audit of a full export, scope
(404 outside, 403 for worker accounts), filters, and the round trip export -> import (all or
nothing) that changes nothing and reports no row error."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from models.enums import AssignmentStatus, Role, WageKind
from server.auth.models import AuditLog
from server.db import migrate
from server.db.session import make_engine
from server.registry.models import Assignment, CardBinding, Team, Worker
from sitegate_cli.app import app as cli_app
from tests.factories import (
    login,
    make_assignment,
    make_company,
    make_id_number,
    make_project,
    make_team,
    make_user,
    make_worker,
)
from tests.integration.server.registry.registry_support import (
    EXPORT_HEADERS,
    ZH_HEADERS,
    Site,
    make_site,
    xlsx_bytes,
)

CARD = "6222020200112233446"  # passes Luhn


def _url(site: Site, query: str = "") -> str:
    return f"/api/v1/projects/{site.project.id}/workers.xlsx{query}"


@pytest.fixture
def site(session: Session) -> Site:
    s = make_site(session)
    team = make_team(session, s.project, s.company, "钢筋一班")
    w1 = make_worker(session, "王钢筋", phone="13800138000", bank_card=CARD, bank_name="工商银行")
    a1 = make_assignment(
        session, s.project, w1, s.company, team, trade="钢筋工", wage_kind=WageKind.DAILY,
        wage_rate_fen=35050, contract_signed_on=dt.date(2026, 3, 1),
        safety_trained_on=dt.date(2026, 3, 2), entered_on=dt.date(2026, 3, 3),
        status=AssignmentStatus.ACTIVE,
    )  # fmt: skip
    session.add(CardBinding(assignment_id=a1.id, uid="00A1B2C3"))
    w2 = make_worker(session, "李待进", bank_card=CARD)
    make_assignment(session, s.project, w2, status=AssignmentStatus.PENDING, trade="")
    w3 = make_worker(session, "赵已退", bank_card=CARD)
    make_assignment(
        session, s.project, w3, s.company, wage_kind=WageKind.MONTHLY, wage_rate_fen=800000,
        entered_on=dt.date(2026, 1, 5), left_on=dt.date(2026, 2, 1), status=AssignmentStatus.LEFT,
    )  # fmt: skip
    # another project's worker never appears
    other = make_project(session)
    make_assignment(session, other, make_worker(session, "外项目"), make_company(session, other))
    session.flush()
    return s


def _rows(data: bytes) -> tuple[list[Any], list[list[Any]]]:
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    grid = [list(r) for r in ws.iter_rows(values_only=True)]
    head = next(i for i, r in enumerate(grid) if r[0] == "姓名")
    return grid[head], grid[head + 1 :]


def _audits(session: Session) -> int:
    return session.scalar(
        select(func.count()).select_from(AuditLog).where(AuditLog.entity == "worker_export")
    ) or 0  # fmt: skip


def _snapshot(session: Session, project_id: int) -> list[tuple[object, ...]]:
    session.expire_all()
    rows = session.execute(
        select(Assignment, Worker)
        .join(Worker, Worker.id == Assignment.worker_id)
        .where(Assignment.project_id == project_id)
        .order_by(Assignment.id)
    ).all()
    out: list[tuple[object, ...]] = []
    for a, w in rows:
        cards = sorted(
            session.scalars(select(CardBinding.uid).where(CardBinding.assignment_id == a.id))
        )
        out.append(
            (w.id, w.name, w.id_number, w.phone, w.bank_card, w.bank_name, a.company_id,
             a.team_id, a.trade, a.wage_kind, a.wage_rate_fen, a.contract_signed_on,
             a.safety_trained_on, a.entered_on, a.left_on, a.status, tuple(cards))
        )  # fmt: skip
    teams = session.scalar(select(func.count()).select_from(Team)) or 0
    workers = session.scalar(select(func.count()).select_from(Worker)) or 0
    out.append(("teams", teams, "workers", workers))
    return out


class TestApi:
    def test_manager_gets_full_numbers_and_it_is_audited(
        self, client: TestClient, session: Session, site: Site
    ) -> None:
        r = client.get(_url(site), headers=login(client, site.manager))
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
        assert "filename*=UTF-8''" in r.headers["content-disposition"]
        assert "%E8%8A%B1%E5%90%8D%E5%86%8C" in r.headers["content-disposition"]  # 花名册
        assert r.headers["x-sitegate-masked"] == "0"
        header, rows = _rows(r.content)
        assert header == EXPORT_HEADERS
        assert [row[0] for row in rows] == ["李待进", "王钢筋", "赵已退"]
        wang = rows[1]
        assert wang[1] == session.scalar(select(Worker.id_number).where(Worker.name == "王钢筋"))
        assert wang[3] == CARD
        assert wang[5] == site.company.name
        assert str(wang[6]).startswith("钢筋一班")  # the factory numbers team names
        assert wang[7] == "钢筋工"
        assert wang[13] == "00A1B2C3"
        assert _audits(session) == 1
        log = session.scalars(select(AuditLog).where(AuditLog.entity == "worker_export")).one()
        assert (log.action, log.project_id, log.user_id) == (
            "view_full_id", site.project.id, site.manager.id
        )  # fmt: skip
        assert log.detail["workers"] == 3

    def test_admin_full_masked_on_request(
        self, client: TestClient, session: Session, site: Site
    ) -> None:
        h = login(client, site.admin)
        assert client.get(_url(site), headers=h).headers["x-sitegate-masked"] == "0"
        r = client.get(_url(site, "?masked=true"), headers=h)
        assert r.headers["x-sitegate-masked"] == "1"
        assert "%E8%84%B1%E6%95%8F" in r.headers["content-disposition"]  # 脱敏
        _, rows = _rows(r.content)
        assert all("*" in row[1] for row in rows)
        assert _audits(session) == 1  # only the full one

    def test_inspector_gets_masked_not_audited(
        self, client: TestClient, session: Session, site: Site
    ) -> None:
        inspector = make_user(session, Role.INSPECTOR, [site.project])
        r = client.get(_url(site), headers=login(client, inspector))
        assert r.status_code == 200, r.text
        assert r.headers["x-sitegate-masked"] == "1"
        ws = load_workbook(io.BytesIO(r.content)).worksheets[0]
        assert "不能重新导入" in str(ws["A1"].value)
        _, rows = _rows(r.content)
        assert all("*" in row[1] for row in rows)
        assert all(row[3] is None or "*" in row[3] for row in rows)
        assert CARD.encode() not in r.content
        assert _audits(session) == 0

    def test_scope(self, client: TestClient, session: Session, site: Site) -> None:
        elsewhere = make_user(session, Role.SITE_MANAGER, [make_project(session)])
        assert client.get(_url(site), headers=login(client, elsewhere)).status_code == 404
        r = client.get("/api/v1/projects/999999/workers.xlsx", headers=login(client, site.admin))
        assert r.status_code == 404
        w = session.scalars(select(Worker).where(Worker.name == "王钢筋")).one()
        account = make_user(session, Role.WORKER, worker=w)
        r = client.get(_url(site), headers=login(client, account))
        assert r.status_code == 403
        assert r.json()["message_zh"]
        assert client.get(_url(site)).status_code == 401
        assert _audits(session) == 0

    def test_filters(self, client: TestClient, session: Session, site: Site) -> None:
        h = login(client, site.manager)
        r = client.get(_url(site, "?status=pending"), headers=h)
        assert [row[0] for row in _rows(r.content)[1]] == ["李待进"]
        r = client.get(_url(site, f"?company_id={site.company.id}"), headers=h)
        assert [row[0] for row in _rows(r.content)[1]] == ["王钢筋", "赵已退"]
        assert client.get(_url(site, "?status=bogus"), headers=h).status_code == 422


class TestRoundTrip:
    def test_export_then_import_changes_nothing(
        self, client: TestClient, session: Session, site: Site
    ) -> None:
        h = login(client, site.manager)
        before = _snapshot(session, site.project.id)
        data = client.get(_url(site), headers=h).content
        r = client.post(
            f"/api/v1/projects/{site.project.id}/roster-import",  # all-or-nothing by default
            files={"file": ("花名册.xlsx", data)},
            headers=h,
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["mode"] == "all_or_nothing"
        assert body["errors"] == []
        assert body["imported"] == 3
        assert (body["created_workers"], body["updated_workers"]) == (0, 0)
        assert _snapshot(session, site.project.id) == before

    def test_masked_export_is_refused_whole(
        self, client: TestClient, session: Session, site: Site
    ) -> None:
        h = login(client, site.manager)
        before = _snapshot(session, site.project.id)
        data = client.get(_url(site, "?masked=true"), headers=h).content
        r = client.post(
            f"/api/v1/projects/{site.project.id}/roster-import",
            files={"file": ("x.xlsx", data)},
            headers=h,
        )
        assert r.status_code == 422
        assert r.json()["detail"]["imported"] == 0
        assert _snapshot(session, site.project.id) == before

    def test_a_hand_made_roster_round_trips(
        self, client: TestClient, session: Session, site: Site
    ) -> None:
        """A file typed by a site manager, imported, exported and imported again."""
        row = ["孙新", make_id_number(), "13900139000", CARD, "建设银行",
               site.company.credit_code, "木工班", "木工", "计件", "", "2026-04-01",
               "2026年4月2日", "2026/4/3", "0A0B0C0D"]  # fmt: skip
        h = login(client, site.manager)
        first = client.post(
            f"/api/v1/projects/{site.project.id}/roster-import",
            files={"file": ("a.xlsx", xlsx_bytes([ZH_HEADERS, row]))},
            headers=h,
        )
        assert first.status_code == 200, first.text
        before = _snapshot(session, site.project.id)
        data = client.get(_url(site), headers=h).content
        again = client.post(
            f"/api/v1/projects/{site.project.id}/roster-import",
            files={"file": ("b.xlsx", data)},
            headers=h,
        )
        assert again.status_code == 200, again.text
        assert again.json()["errors"] == []
        assert _snapshot(session, site.project.id) == before


runner = CliRunner(env={"COLUMNS": "200"})


class TestCli:
    @pytest.fixture
    def db(self, tmp_path: Path) -> tuple[str, str]:
        url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
        migrate.upgrade(url)
        engine = make_engine(url)
        with Session(engine) as s:
            p = make_project(s, name="城南学校项目")
            c = make_company(s, p)
            make_assignment(s, p, make_worker(s, "赵一", bank_card=CARD), c, trade="木工")
            code = p.code
            s.commit()
        engine.dispose()
        return url, code

    def test_export_workers(self, db: tuple[str, str], tmp_path: Path) -> None:
        url, code = db
        out = tmp_path / "花名册.xlsx"
        args = ["registry", "export-workers", "--project", code, "--out", str(out)]
        result = runner.invoke(cli_app, [*args, "--database-url", url])
        assert result.exit_code == 0, result.output
        assert "1 人" in result.output
        header, rows = _rows(out.read_bytes())
        assert header == EXPORT_HEADERS
        assert rows[0][0] == "赵一"
        assert rows[0][3] == CARD
        engine = make_engine(url)
        with Session(engine) as s:
            log = s.scalars(select(AuditLog).where(AuditLog.entity == "worker_export")).one()
            assert log.user_id is None
            assert log.action == "view_full_id"
        engine.dispose()
        result = runner.invoke(cli_app, [*args, "--masked", "--database-url", url])
        assert result.exit_code == 0, result.output
        assert "脱敏" in result.output
        assert "*" in _rows(out.read_bytes())[1][0][1]

    def test_unknown_project(self, db: tuple[str, str], tmp_path: Path) -> None:
        url, _ = db
        out = tmp_path / "x.xlsx"
        result = runner.invoke(
            cli_app,
            ["registry", "export-workers", "--project", "NOPE", "--out", str(out),
             "--database-url", url],
        )  # fmt: skip
        assert result.exit_code != 0
        assert "NOPE" in result.output
        assert not out.exists()
