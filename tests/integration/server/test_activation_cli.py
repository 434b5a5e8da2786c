"""`sitegate admin activation-codes`: the project's workers without an account get codes, once,
in the slips PDF or an XLSX; a team or chosen workers; skipped workers named; refusals are one
bilingual line, no traceback, no file."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from models.enums import Role
from server.auth import activation
from server.auth import service as auth_service
from server.auth.models import ActivationCode, AuditLog
from server.config import Settings
from server.db import migrate
from server.db.session import make_engine, make_sessionmaker, unit_of_work
from server.db.types import utcnow
from sitegate_cli.app import app as cli_app
from tests.factories import make_assignment, make_company, make_project, make_team, make_worker

runner = CliRunner()
PW = "initial-pass-2026"
URL = "https://sitegate.example.cn"


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'codes.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with unit_of_work(make_sessionmaker(engine)) as s:
        project = make_project(s, code="PC", name="命令行项目")
        company = make_company(s, project)
        team = make_team(s, project, company, "钢筋班")
        team.name = "钢筋班"
        for name, in_team in (("甲工人", True), ("乙工人", True), ("丙工人", False)):
            make_assignment(
                s, project, make_worker(s, name=name), company, team if in_team else None
            )
        has = make_worker(s, name="有号工人")
        make_assignment(s, project, has)
        auth_service.create_user(s, username="has", password=PW, role=Role.WORKER, worker_id=has.id)
    engine.dispose()
    return url


def _in(url: str, fn: object) -> object:
    engine = make_engine(url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as s:
            return fn(s)  # type: ignore[operator]
    finally:
        engine.dispose()


def _run(url: str, *args: str) -> Result:
    return runner.invoke(
        cli_app, ["admin", "activation-codes", "--project", "PC", *args, "--database-url", url]
    )


class TestIssue:
    def test_xlsx_of_every_worker_without_an_account_and_the_codes_work(
        self, url: str, tmp_path: Path
    ) -> None:
        out = tmp_path / "codes.xlsx"
        r = _run(url, "--out", str(out), "--url", URL)
        assert r.exit_code == 0, r.output
        assert "已发放 / issued: 3" in r.output
        assert "有号工人" in r.output  # skipped, and said so
        ws = load_workbook(io.BytesIO(out.read_bytes()))["激活码 Codes"]
        rows = {row[1]: row for row in ws.iter_rows(min_row=4, values_only=True)}
        assert set(rows) == {"甲工人", "乙工人", "丙工人"}
        assert rows["甲工人"][6] == f"{URL}/activate"
        code = str(rows["甲工人"][4])
        assert code not in r.output  # in the file only

        def sign_up(s: Session) -> str:
            from server.auth import repository as auth_repo

            worker = next(w for _, w, _ in auth_repo.project_workers(s, 1) if w.name == "甲工人")
            user, created = activation.activate(
                s, Settings(database_url=url), id_number=worker.id_number, code=code,
                password="worker-pass-2026", address="127.0.0.1", now=utcnow(),
            )  # fmt: skip
            assert created
            return user.username

        assert _in(url, sign_up)
        audits = _in(
            url,
            lambda s: s.scalar(
                select(func.count())
                .select_from(AuditLog)
                .where(AuditLog.entity == "activation_code")
            ),
        )
        assert audits == 3

    def test_slips_for_one_team(self, url: str, tmp_path: Path) -> None:
        out = tmp_path / "slips.pdf"
        r = _run(url, "--team", "钢筋班", "--out", str(out), "--url", URL)
        assert r.exit_code == 0, r.output
        assert "已发放 / issued: 2" in r.output
        assert out.read_bytes().startswith(b"%PDF")

    def test_reset_includes_workers_with_an_account(self, url: str, tmp_path: Path) -> None:
        r = _run(url, "--reset", "--out", str(tmp_path / "c.xlsx"), "--url", URL)
        assert "已发放 / issued: 4" in r.output


class TestRefusals:
    @pytest.mark.parametrize(
        ("args", "words"),
        [
            (["--out", "codes.txt", "--url", URL], ".pdf"),
            (["--out", "codes.pdf"], "SITEGATE_PUBLIC_URL"),
            (["--out", "nowhere/codes.xlsx", "--url", URL], "nowhere"),
            (["--team", "没有的班", "--out", "codes.pdf", "--url", URL], "班组 没有的班"),
            (["--team", "钢筋班", "--worker-id", "1", "--out", "c.pdf", "--url", URL], "--team"),
        ],
    )
    def test_one_line_no_file_nothing_issued(
        self, url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], words: str
    ) -> None:
        here = tmp_path / "out"
        here.mkdir()
        monkeypatch.chdir(here)
        monkeypatch.delenv("SITEGATE_PUBLIC_URL", raising=False)
        r = _run(url, *args)
        assert r.exit_code == 1, r.output
        assert words in r.output
        assert "Traceback" not in r.output
        assert not list(here.iterdir())
        count = _in(url, lambda s: s.scalar(select(func.count()).select_from(ActivationCode)))
        assert count == 0

    def test_nobody_to_issue_writes_no_file(self, url: str, tmp_path: Path) -> None:
        out = tmp_path / "none.xlsx"
        _run(url, "--out", str(tmp_path / "first.xlsx"), "--url", URL)

        def give_accounts(s: Session) -> None:
            from server.auth import repository as auth_repo

            for _, w, _ in auth_repo.project_workers(s, 1):
                if auth_repo.account_of_worker(s, w.id) is None:
                    auth_service.create_user(
                        s, username=f"u{w.id}", password=PW, role=Role.WORKER, worker_id=w.id
                    )

        _in(url, give_accounts)
        r = _run(url, "--out", str(out), "--url", URL)
        assert r.exit_code == 1
        assert "no code issued" in r.output
        assert not out.exists()
