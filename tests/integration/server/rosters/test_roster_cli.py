"""`sitegate roster daily|monthly` via CliRunner (registered group) on a migrated SQLite file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from models.enums import DenyReason, Direction
from server.db import migrate
from server.db.session import make_engine
from sitegate_cli.app import app
from tests.factories import make_assignment, make_company, make_device, make_project, make_worker
from tests.integration.server.rosters.roster_support import add_event, local, shift

runner = CliRunner(env={"COLUMNS": "240"})


@pytest.fixture
def db(tmp_path: Path) -> tuple[str, str]:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s:
        p = make_project(s, name="城南学校项目")
        c1, c2 = make_company(s, p), make_company(s, p)
        gate = make_device(s, p)
        a, b = make_worker(s, "赵一"), make_worker(s, "钱二")
        make_assignment(s, p, a, c1)
        make_assignment(s, p, b, c2)
        shift(s, p, gate, a, dt.date(2026, 10, 9), (8, 0), (17, 30))
        add_event(s, p, gate, b, local(dt.date(2026, 10, 9), 7), Direction.IN,
                  refused=DenyReason.ID_CARD_EXPIRED)  # fmt: skip
        code = p.code
        s.commit()
    engine.dispose()
    return url, code


def test_monthly_table_xlsx_and_csv(db: tuple[str, str], tmp_path: Path) -> None:
    url, code = db
    xlsx, csv = tmp_path / "m.xlsx", tmp_path / "m.csv"
    args = ["monthly", "--project", code, "--month", "2026-10", "--xlsx", str(xlsx),
            "--csv", str(csv), "--per-company", "--database-url", url]  # fmt: skip
    r = runner.invoke(app, ["roster", *args])
    assert r.exit_code == 0, r.output
    assert "城南学校项目 2026年10月 考勤表" in r.output
    assert "赵一" in r.output
    wb = load_workbook(xlsx)
    assert len(wb.sheetnames) == 2
    assert csv.read_bytes().startswith(b"\xef\xbb\xbf")
    # the gate anchors (issue 13): the project's gate, without key or checkpoint in this seed
    for ws in wb.worksheets:
        texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
        gate = next(t for t in texts if t.startswith("GATE-"))
        assert "未注册 / not provisioned" in gate
        assert "本月无检查点" in gate
        assert ws.oddHeader.center.text.startswith("服务器签名密钥指纹 / server signing key: ")


def test_daily(db: tuple[str, str], tmp_path: Path) -> None:
    url, code = db
    out = tmp_path / "d.csv"
    r = runner.invoke(
        app,
        [
            "roster",
            "daily",
            "--project",
            code,
            "--day",
            "2026-10-09",
            "--csv",
            str(out),
            "--database-url",
            url,
        ],
    )
    assert r.exit_code == 0, r.output
    assert "赵一" in r.output
    assert "身份证已过期" in r.output
    text = out.read_bytes().decode("utf-8-sig")
    assert "08:00" in text
    assert "17:30" in text
    assert "未到" in text


def test_user_errors_are_one_line(db: tuple[str, str]) -> None:
    url, code = db
    r = runner.invoke(app, ["roster", "monthly", "--project", "NOPE", "--month", "2026-10",
                                       "--database-url", url])  # fmt: skip
    assert r.exit_code == 1
    assert "项目 NOPE不存在" in r.output
    assert "Traceback" not in r.output
    r = runner.invoke(app, ["roster", "monthly", "--project", code, "--month", "2026-13",
                                       "--database-url", url])  # fmt: skip
    assert r.exit_code == 1
    assert "YYYY-MM" in r.output
