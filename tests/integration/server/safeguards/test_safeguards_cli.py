"""`sitegate safeguards import-statement` through CliRunner on its own SQLite database: bad
cells as a table naming row and column with exit 1 and nothing stored, then the import, then
the same file again booking nothing twice."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from server.db import migrate
from server.db.session import make_engine
from server.safeguards.models import WageStatementLine
from sitegate_cli.app import app
from tests.factories import make_project

runner = CliRunner()
HEAD = "交易日期,收入金额,支出金额,余额,对方户名,对方账号,摘要"


def test_import_statement(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as s:
        project = make_project(s)
        s.commit()

    def lines() -> int:
        with Session(engine) as s:
            return s.scalar(select(func.count(WageStatementLine.id))) or 0

    bad = tmp_path / "bad.csv"
    bad.write_text(f"{HEAD}\n2026-11-05,100.00,,100.00,,,人工费\n2026-11-06,,x,,,,代发工资\n")
    args = ["safeguards", "import-statement", "--project", project.code, "--database-url", url]
    r = runner.invoke(app, [*args, str(bad)])
    assert r.exit_code == 1, r.output
    assert "支出金额 (C)" in r.output
    assert "nothing was imported" in r.output
    assert lines() == 0
    good = tmp_path / "good.csv"
    good.write_text(
        f"{HEAD}\n2026-11-05,100.00,,100.00,,,人工费\n2026-11-06,,60.00,40.00,,,代发工资\n"
    )
    r = runner.invoke(app, [*args, str(good)])
    assert r.exit_code == 0, r.output
    assert "已导入 / imported" in r.output
    assert "¥100.00" in r.output
    r = runner.invoke(app, [*args, str(good)])
    assert r.exit_code == 0, r.output
    assert "already imported" in r.output
    assert lines() == 2
    engine.dispose()
