from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from registry_support import ZH_HEADERS, Site, csv_bytes, make_site, xlsx_bytes
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from models.enums import AssignmentStatus
from server.db import migrate
from server.db.session import make_engine, make_sessionmaker, unit_of_work
from server.registry.models import Assignment, CardBinding, Project, Team, Worker
from sitegate_cli.app import app as cli_app
from tests.factories import login, make_id_number

CARD = "6222020200112233446"  # passes Luhn


def _row(site: Site, id_number: str, name: str = "张三", **kw: str) -> list[str]:
    values = {
        "姓名": name,
        "身份证号": id_number,
        "手机号": "13800138000",
        "银行卡号": CARD,
        "开户银行": "工商银行",
        "所属企业": site.company.credit_code,
        "班组": "钢筋一班",
        "工种": "钢筋工",
        "工资方式": "日薪",
        "工资标准(元)": "350.50",
        "合同签订日期": "2026-03-01",
        "安全教育日期": "2026年3月2日",
        "进场日期": "2026/3/3",
        "IC卡号": "",
    }
    values.update(kw)
    return [values[h] for h in ZH_HEADERS]


def _post(
    client: TestClient, site: Site, data: bytes, name: str = "roster.csv", skip: bool = False
) -> dict[str, object]:
    r = client.post(
        f"/api/v1/projects/{site.project.id}/roster-import"
        + ("?skip_bad_rows=true" if skip else ""),
        files={"file": (name, data)},
        headers=login(client, site.manager),
    )
    assert r.status_code in (200, 422), r.text
    body: dict[str, object] = r.json() if r.status_code == 200 else r.json()["detail"]
    body["status"] = r.status_code
    return body


def _workers_on(session: Session, project_id: int) -> list[Assignment]:
    session.expire_all()
    return list(session.scalars(select(Assignment).where(Assignment.project_id == project_id)))


def _bad_id(good: str) -> str:
    return good[:17] + ("0" if good[17] != "0" else "1")


class TestImport:
    def test_good_csv_imports_everything(self, client: TestClient, session: Session) -> None:
        site = make_site(session)
        session.commit()
        rows = [ZH_HEADERS, _row(site, make_id_number()), _row(site, make_id_number(), "李四")]
        body = _post(client, site, csv_bytes(rows))
        assert body["status"] == 200
        assert body["imported"] == 2
        assert body["created_workers"] == 2
        assigned = _workers_on(session, site.project.id)
        assert len(assigned) == 2
        a = assigned[0]
        assert a.status == AssignmentStatus.ACTIVE
        assert a.wage_rate_fen == 35050
        assert a.company_id == site.company.id
        team = session.get(Team, a.team_id)
        assert team is not None
        assert team.name == "钢筋一班"
        project = session.get(Project, site.project.id)
        assert project is not None
        assert a.roster_version == project.roster_version > 0

    def test_all_or_nothing_reports_row_and_column(
        self, client: TestClient, session: Session
    ) -> None:
        site = make_site(session)
        session.commit()
        rows = [
            ZH_HEADERS,
            _row(site, make_id_number()),
            _row(site, _bad_id(make_id_number()), "王五"),
            _row(site, make_id_number(), "", 工资方式="年薪"),
        ]
        body = _post(client, site, csv_bytes(rows))
        assert body["status"] == 422
        assert body["imported"] == 0
        errors = body["errors"]
        assert isinstance(errors, list)
        first = errors[0]
        assert (first["row"], first["column"], first["header"]) == (3, "B", "身份证号")
        assert first["code"] == "id.bad_check_digit"
        assert "校验位" in first["message_zh"]
        assert "check digit" in first["message_en"]
        assert {(e["row"], e["column"]) for e in errors[1:]} == {(4, "A"), (4, "I")}
        assert _workers_on(session, site.project.id) == []

    def test_skip_mode_imports_good_rows(self, client: TestClient, session: Session) -> None:
        site = make_site(session)
        session.commit()
        rows = [
            ZH_HEADERS,
            _row(site, make_id_number()),
            _row(site, _bad_id(make_id_number()), "王五"),
            _row(site, make_id_number(), "赵六", 所属企业="不存在的公司"),
        ]
        body = _post(client, site, csv_bytes(rows), skip=True)
        assert body["status"] == 200
        assert body["imported"] == 1
        assert body["skipped_rows"] == [3, 4]
        errors = body["errors"]
        assert isinstance(errors, list)
        assert errors[1]["column"] == "F"
        assert errors[1]["code"] == "roster.unknown_company"
        assert len(_workers_on(session, site.project.id)) == 1

    def test_reimport_updates_not_duplicates(self, client: TestClient, session: Session) -> None:
        site = make_site(session)
        session.commit()
        id_number = make_id_number()
        _post(client, site, csv_bytes([ZH_HEADERS, _row(site, id_number, IC卡号="04A1B2C3")]))
        body = _post(
            client,
            site,
            csv_bytes(
                [ZH_HEADERS, _row(site, id_number, "张三丰", 工种="木工", IC卡号="04A1B2C3")]
            ),
        )
        assert body["status"] == 200
        assert (body["created_workers"], body["updated_workers"]) == (0, 1)
        session.expire_all()
        workers = session.scalars(select(Worker).where(Worker.id_number == id_number)).all()
        assert [w.name for w in workers] == ["张三丰"]
        assigned = _workers_on(session, site.project.id)
        assert [a.trade for a in assigned] == ["木工"]
        cards = session.scalars(
            select(CardBinding.uid).where(CardBinding.assignment_id == assigned[0].id)
        ).all()
        assert cards == ["04A1B2C3"]

    def test_gbk_csv_and_english_headers(self, client: TestClient, session: Session) -> None:
        site = make_site(session)
        session.commit()
        gbk = csv_bytes([ZH_HEADERS, _row(site, make_id_number(), "欧阳修")], encoding="gbk")
        assert _post(client, site, gbk)["imported"] == 1
        english = [
            ["Name", "ID number", "Mobile", "Bank card", "Company", "Wage kind", "Wage rate"],
            ["Li Lei", make_id_number(), "13900139000", CARD, site.company.name, "monthly", "8000"],
        ]
        body = _post(client, site, csv_bytes(english, encoding="utf-8-sig"))
        assert body["imported"] == 1
        assert {a.wage_rate_fen for a in _workers_on(session, site.project.id)} >= {800000}

    def test_xlsx_with_title_row_and_excel_row_numbers(
        self, client: TestClient, session: Session
    ) -> None:
        site = make_site(session)
        session.commit()
        rows = [
            ["某项目花名册"],
            ZH_HEADERS,
            _row(site, make_id_number()),
            _row(site, make_id_number(), 手机号="12345"),
        ]
        body = _post(client, site, xlsx_bytes(rows), name="roster.xlsx")
        errors = body["errors"]
        assert isinstance(errors, list)
        assert [(e["row"], e["column"], e["header"]) for e in errors] == [(4, "C", "手机号")]

    def test_bad_files_are_4xx(self, client: TestClient, session: Session) -> None:
        site = make_site(session)
        session.commit()
        h = login(client, site.manager)
        url = f"/api/v1/projects/{site.project.id}/roster-import"
        for name, data in (
            ("x.xlsx", b"not a zip"),
            ("x.csv", b""),
            ("x.xls", b"\xd0\xcf\x11\xe0 old excel"),
            ("x.csv", b"\xff\x00\xfe\x81"),
            ("x.csv", b"foo,bar\n1,2\n"),
        ):
            r = client.post(url, files={"file": (name, data)}, headers=h)
            assert r.status_code == 422, (name, r.status_code, r.text)
            assert r.json()["message_zh"]

    def test_template_download(self, client: TestClient, session: Session) -> None:
        site = make_site(session)
        session.commit()
        r = client.get("/api/v1/roster-import/template.xlsx", headers=login(client, site.manager))
        assert r.status_code == 200
        assert r.content.startswith(b"PK")
        body = _post(client, site, r.content, name="template.xlsx")
        assert body["status"] == 200  # headers recognised, no rows: nothing to report
        assert body["imported"] == 0


class TestCli:
    def test_import_workers(self, tmp_path: Path) -> None:
        url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
        migrate.upgrade(url)
        engine = make_engine(url)
        with unit_of_work(make_sessionmaker(engine)) as s:
            s.add(Project(code="CLI-1", name="命令行项目"))
        engine.dispose()
        good = ["姓名", "身份证号"], ["张三", make_id_number()]
        bad = [*good, ["李四", _bad_id(make_id_number())]]
        path = tmp_path / "roster.csv"
        runner = CliRunner()
        args = [
            "registry",
            "import-workers",
            str(path),
            "--project",
            "CLI-1",
            "--database-url",
            url,
        ]

        path.write_bytes(csv_bytes(bad))
        result = runner.invoke(cli_app, args)
        assert result.exit_code == 1
        assert "B 身份证号" in result.output
        assert "nothing imported" in result.output

        result = runner.invoke(cli_app, [*args, "--skip-bad-rows"])
        assert result.exit_code == 0, result.output
        assert "imported: 1" in result.output

        result = runner.invoke(cli_app, [*args[:4], "NOPE", *args[5:]])
        assert result.exit_code == 1
        assert "项目 NOPE不存在" in result.output
