"""The statement import (专户流水) against the hostile uploads the other importers face (zip
bomb, too many rows or parts, broken zip, NUL bytes, a gigantic cell, mixed encodings, an
entity bomb, one enormous row): a clear 413/422 within 2 s, and nothing written."""

from __future__ import annotations

import time
from functools import cache

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.enums import Role
from server.config import Settings
from server.safeguards.models import WageStatement, WageStatementLine
from tests.factories import login, make_project, make_user
from tests.support import hostile_files
from tests.support.hostile_files import HostileFile

ROWS = 2_000
MAX_BYTES = 2 * 1024 * 1024


@cache
def _files() -> dict[str, HostileFile]:
    return {f.key: f for f in hostile_files.hostile_files(max_rows=ROWS, max_bytes=MAX_BYTES)}


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(
        environment="test", database_url=db_url, secret_key="test-secret",
        template_key="test-template-key", import_max_bytes=MAX_BYTES, payroll_max_rows=ROWS,
    )  # fmt: skip


def _counts(session: Session) -> tuple[int, int]:
    return (
        session.scalar(select(func.count()).select_from(WageStatement)) or 0,
        session.scalar(select(func.count()).select_from(WageStatementLine)) or 0,
    )


@pytest.mark.parametrize("key", sorted(_files()))
def test_refused_fast_with_nothing_written(client: TestClient, session: Session, key: str) -> None:
    hostile = _files()[key]
    project = make_project(session)
    manager = make_user(session, Role.SITE_MANAGER, [project])
    session.commit()
    h = login(client, manager)
    start = time.perf_counter()
    r = client.post(
        f"/api/v1/projects/{project.id}/safeguards/statements",
        files={"file": (hostile.filename, hostile.data, "application/octet-stream")},
        headers=h,
    )
    elapsed = time.perf_counter() - start
    assert r.status_code in (413, 422), r.text
    assert r.json()["message_zh"]
    assert r.json()["message_en"]
    assert elapsed < 2.0, f"{key}: {elapsed:.2f} s"
    assert _counts(session) == (0, 0)


def test_one_row_over_the_cap(client: TestClient, session: Session) -> None:
    project = make_project(session)
    manager = make_user(session, Role.SITE_MANAGER, [project])
    session.commit()
    h = login(client, manager)
    head = "交易日期,交易金额,摘要"
    rows = [f"2026-11-{1 + n % 28:02d},1.00,人工费" for n in range(ROWS + 1)]
    url = f"/api/v1/projects/{project.id}/safeguards/statements"
    r = client.post(url, files={"file": ("s.csv", "\n".join([head, *rows]).encode())}, headers=h)
    assert r.status_code == 422
    assert r.json()["code"] == "import.too_many_rows"
    r = client.post(url, files={"file": ("s.csv", "\n".join([head, *rows[1:]]).encode())},
                    headers=h)  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.json()["row_count"] == ROWS
