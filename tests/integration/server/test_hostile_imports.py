"""Issue 10 item 6: a hostile upload (zip bomb, too many rows or parts, broken zip, NUL bytes,
a gigantic cell, mixed encodings, an entity bomb, one enormous row) is refused with a clear
413/422 within 2 s by both importers, and nothing of it is written. The caps are the server's
settings, here tightened so the files stay small; the CLI says the same in one line."""

from __future__ import annotations

import time
from functools import cache
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from models.enums import Role
from server.config import Settings
from server.db import migrate
from server.db.session import make_engine
from server.payroll.models import PayrollImport, PayrollLine
from server.registry.models import Assignment, Worker
from sitegate_cli.app import app as cli_app
from tests.factories import login, make_project, make_user
from tests.integration.server.web.helpers import page_csrf, web_login
from tests.support import hostile_files
from tests.support.hostile_files import HostileFile

ROWS = 2_000  # the row cap in force here (20,000 by default)
MAX_BYTES = 2 * 1024 * 1024
KEYS = (
    "zip_bomb", "lying_sizes", "rows_xlsx", "rows_csv", "members", "truncated", "not_zip",
    "nul_csv", "giant_cell_csv", "giant_cell_xlsx", "gbk_as_utf8", "gbk_rows", "over_bytes",
    "entity_bomb", "wide_row",
)  # fmt: skip


@cache
def _files() -> dict[str, HostileFile]:
    return {f.key: f for f in hostile_files.hostile_files(max_rows=ROWS, max_bytes=MAX_BYTES)}


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(
        environment="test",
        database_url=db_url,
        secret_key="test-secret",
        template_key="test-template-key",
        import_max_bytes=MAX_BYTES,
        roster_max_rows=ROWS,
        payroll_max_rows=ROWS,
    )


def _counts(session: Session) -> tuple[int, ...]:
    return tuple(
        session.scalar(select(func.count()).select_from(t)) or 0
        for t in (Worker, Assignment, PayrollImport, PayrollLine)
    )


ENDPOINTS = {
    "roster": "/api/v1/projects/{pid}/roster-import",
    "payroll": "/api/v1/projects/{pid}/payroll/imports",
}


class TestHostileUploads:
    def test_the_set_is_complete(self) -> None:
        assert set(_files()) == set(KEYS)

    @pytest.mark.parametrize("importer", sorted(ENDPOINTS))
    @pytest.mark.parametrize("key", KEYS)
    def test_refused_fast_with_nothing_written(
        self, client: TestClient, session: Session, importer: str, key: str
    ) -> None:
        hostile = _files()[key]
        project = make_project(session)
        manager = make_user(session, Role.SITE_MANAGER, [project])
        session.commit()
        h = login(client, manager)
        before = _counts(session)
        start = time.perf_counter()
        r = client.post(
            ENDPOINTS[importer].format(pid=project.id),
            files={"file": (hostile.filename, hostile.data, "application/octet-stream")},
            headers=h,
        )
        elapsed = time.perf_counter() - start
        assert r.status_code in (413, 422), r.text
        body = r.json()
        assert body["code"]
        assert body["message_zh"]
        assert body["message_en"]
        assert elapsed < 2.0, f"{key}: {elapsed:.2f} s"
        assert _counts(session) == before

    @pytest.mark.parametrize(
        ("key", "status", "code", "cap"),
        [
            ("zip_bomb", 413, "import.too_large", "64 MB"),
            ("members", 413, "import.too_large", "256"),
            ("wide_row", 413, "import.too_large", "1 MB"),
            ("rows_xlsx", 422, "import.too_many_rows", str(ROWS)),
            ("rows_csv", 422, "import.too_many_rows", str(ROWS)),
        ],
    )
    def test_the_cap_is_named(
        self, client: TestClient, session: Session, key: str, status: int, code: str, cap: str
    ) -> None:
        project = make_project(session)
        manager = make_user(session, Role.SITE_MANAGER, [project])
        session.commit()
        hostile = _files()[key]
        r = client.post(
            ENDPOINTS["payroll"].format(pid=project.id),
            files={"file": (hostile.filename, hostile.data, "application/octet-stream")},
            headers=login(client, manager),
        )
        assert r.status_code == status, r.text
        body = r.json()
        assert body["code"] == code
        assert cap in body["message_zh"]
        assert cap in body["message_en"]

    def test_one_row_over_the_cap_is_refused_and_the_cap_itself_is_allowed(
        self, client: TestClient, session: Session
    ) -> None:
        project = make_project(session)
        manager = make_user(session, Role.SITE_MANAGER, [project])
        session.commit()
        h = login(client, manager)
        url = ENDPOINTS["payroll"].format(pid=project.id)
        over = hostile_files.bank_xlsx(ROWS + 1)
        r = client.post(
            url, files={"file": ("over.xlsx", over, "application/octet-stream")}, headers=h
        )
        assert r.status_code == 422, r.text
        assert r.json()["code"] == "import.too_many_rows"
        assert _counts(session)[3] == 0
        at_cap = hostile_files.bank_xlsx(ROWS)
        r = client.post(
            url, files={"file": ("cap.xlsx", at_cap, "application/octet-stream")}, headers=h
        )
        assert r.status_code == 201, r.text
        assert r.json()["row_count"] == ROWS


class TestCli:
    def test_a_zip_bomb_is_one_line_and_exit_1(self, tmp_path: Path) -> None:
        url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
        migrate.upgrade(url)
        engine = make_engine(url)
        with Session(engine) as s:
            project = make_project(s)
            s.commit()
            code = project.code
        engine.dispose()
        bomb = tmp_path / "bomb.xlsx"
        bomb.write_bytes(_files()["zip_bomb"].data)
        for args in (
            ["payroll", "import", str(bomb), "--project", code],
            ["registry", "import-workers", str(bomb), "--project", code],
        ):
            result = CliRunner().invoke(cli_app, [*args, "--database-url", url])
            assert result.exit_code == 1, result.output
            assert "Traceback" not in result.output
            lines = [ln for ln in result.output.splitlines() if ln.strip()]
            assert len(lines) == 1, result.output
            assert "64 MB" in lines[0]


class TestWebUpload:
    @pytest.mark.parametrize("key", ["zip_bomb", "rows_csv", "nul_csv"])
    def test_the_page_says_why_and_writes_nothing(
        self, client: TestClient, session: Session, key: str
    ) -> None:
        hostile = _files()[key]
        project = make_project(session)
        manager = make_user(session, Role.SITE_MANAGER, [project])
        session.commit()
        web_login(client, manager)
        token = page_csrf(client, f"/site/{project.id}/import")
        before = _counts(session)
        start = time.perf_counter()
        r = client.post(
            f"/site/{project.id}/import",
            data={"csrf_token": token},
            files={"file": (hostile.filename, hostile.data, "application/octet-stream")},
            follow_redirects=False,
        )
        assert time.perf_counter() - start < 2.0
        assert r.status_code in (413, 422), r.text[:500]
        assert "上限" in r.text or "NUL" in r.text
        assert _counts(session) == before
