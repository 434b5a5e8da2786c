"""`sitegate payroll import|template` and `sitegate reconcile` through CliRunner, on their own
SQLite database (the CLI opens and commits its own unit of work)."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from recon_support import Month, build_month
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from server.db import migrate
from server.db.session import make_engine
from sitegate_cli.app import app
from tests.support.payroll_month import card, csv_bytes, line

runner = CliRunner()


@pytest.fixture(scope="module")
def cli_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'cli.sqlite3'}"
    migrate.upgrade(url)
    return url


@pytest.fixture
def month(cli_db: str) -> Month:
    engine = make_engine(cli_db)
    with Session(engine, expire_on_commit=False) as s:
        built = build_month(s)
        s.commit()
    engine.dispose()
    return built


class TestPayrollCli:
    def test_bad_rows_table_and_exit_1_then_skip(
        self, cli_db: str, month: Month, tmp_path: Path
    ) -> None:
        b = month.workers["B"]
        path = tmp_path / "late.csv"
        path.write_bytes(
            csv_bytes(
                [
                    line(b.name, b.id_number, b.bank_card or "", "700.00", days="2"),
                    line("王五", "110101198506011234", card(), "700.00"),
                ]
            )
        )
        args = [
            "payroll",
            "import",
            str(path),
            "--project",
            month.project.code,
            "--database-url",
            cli_db,
        ]
        r = runner.invoke(app, args)
        assert r.exit_code == 1, r.output
        assert "未导入" in r.output
        assert "身份证号" in r.output
        r = runner.invoke(app, [*args, "--skip-bad-rows"])
        assert r.exit_code == 0, r.output
        assert "已导入 / imported" in r.output
        r = runner.invoke(app, [*args, "--skip-bad-rows"])
        assert r.exit_code == 1
        assert "already imported" in r.output

    def test_unknown_project(self, cli_db: str, tmp_path: Path) -> None:
        path = tmp_path / "x.csv"
        path.write_bytes(csv_bytes([line("张三", "", card(), "1.00")]))
        r = runner.invoke(
            app, ["payroll", "import", str(path), "--project", "NOPE", "--database-url", cli_db]
        )
        assert r.exit_code == 1
        assert "不存在" in r.output
        assert "Traceback" not in r.output

    def test_template(self, tmp_path: Path) -> None:
        r = runner.invoke(app, ["payroll", "template", "--out", str(tmp_path)])
        assert r.exit_code == 0, r.output
        assert (tmp_path / "代发工资模板.xlsx").is_file()
        assert (tmp_path / "代发工资模板.csv").is_file()


class TestReconcileCli:
    def test_prints_level_table_findings_and_writes_xlsx(
        self, cli_db: str, month: Month, tmp_path: Path
    ) -> None:
        out = tmp_path / "recon.xlsx"
        args = [
            "reconcile",
            "--project",
            month.project.code,
            "--month",
            "2026-10",
            "--today",
            "2026-11-20",
            "--xlsx",
            str(out),
            "--database-url",
            cli_db,
        ]
        r = runner.invoke(app, args, env={"COLUMNS": "200"})
        assert r.exit_code == 0, r.output
        assert "红色 RED" in r.output
        for kind in (
            "UNPAID",
            "UNDERPAID",
            "ACCOUNT_NOT_WORKERS",
            "PAID_WITHOUT_ATTENDANCE",
            "LATE",
        ):
            assert kind in r.output
        assert "王五" in r.output
        assert load_workbook(out).sheetnames == ["核对汇总", "工人明细", "预警明细"]
        again = runner.invoke(app, args, env={"COLUMNS": "200"})
        assert again.exit_code == 0
        assert again.output.count("ACCOUNT_NOT_WORKERS") == r.output.count("ACCOUNT_NOT_WORKERS")

    def test_bad_month_is_one_line(self, cli_db: str, month: Month) -> None:
        r = runner.invoke(
            app,
            [
                "reconcile",
                "--project",
                month.project.code,
                "--month",
                "2026-13",
                "--database-url",
                cli_db,
            ],
        )
        assert r.exit_code == 1
        assert "YYYY-MM" in r.output
        assert "Traceback" not in r.output
