"""`sitegate wages build|list|show|send|lock` through CliRunner on their own SQLite database."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from server.db import migrate
from server.db.session import make_engine
from sitegate_cli.app import app
from tests.support.wage_month import Site

runner = CliRunner()


@pytest.fixture
def cli_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('wcli') / 'cli.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as s:
        site = Site(s)
        s.commit()
        codes = (url, site.project.code, site.company.credit_code)
    engine.dispose()
    return codes


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code in (0, 1), result.output
    return result.output


def test_build_show_send_lock(cli_site: tuple[str, str, str]) -> None:
    url, project, firm = cli_site
    db = ("--project", project, "--database-url", url)
    out = _run("wages", "build", "--company", firm, "--period", "2026-10", *db)
    assert "已生成" in out
    assert "2 人" in out
    assert "#1" in _run("wages", "list", *db)
    show = _run("wages", "show", "--sheet", "1", *db)
    assert "张三" in show
    assert "1,050.00" in show
    assert "已发送" in _run("wages", "send", "--sheet", "1", *db)
    result = runner.invoke(app, ["wages", "lock", "--sheet", "1", *db])
    assert result.exit_code == 1
    assert "未确认" in result.output  # two lines unanswered: a reason is needed
    assert "Traceback" not in result.output
    out = _run("wages", "lock", "--sheet", "1", "--reason", "现场公示三日无异议", *db)
    assert "已锁定" in out
    result = runner.invoke(app, ["wages", "show", "--sheet", "99", *db])
    assert result.exit_code == 1
    assert "不存在" in result.output
