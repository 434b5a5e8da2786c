"""`sitegate digest issue | export`: the missing digests issued and listed, once; one day's file
written byte for byte as the download; a wrong project, day or path is one bilingual line."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from server.anchors import digest, server_key
from server.app import create_app
from server.auth.models import AuditLog
from server.config import Settings
from server.db import migrate
from server.db.session import make_engine, make_sessionmaker, unit_of_work
from server.registry.models import Device, Project
from sitegate_cli.app import app as cli_app

runner = CliRunner()


@pytest.fixture
def world(tmp_path: Path) -> tuple[str, int]:
    """A project whose gate was enrolled three days ago (the server's real clock)."""
    url = f"sqlite:///{tmp_path / 'digests.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with unit_of_work(make_sessionmaker(engine)) as s:
        project = Project(code="PD", name="摘要项目", timezone="Asia/Shanghai")
        s.add(project)
        s.flush()
        device = Device(code="GATE-D-IN", project_id=project.id)
        s.add(device)
        s.flush()
        s.add(
            AuditLog(
                at=dt.datetime.now(dt.UTC) - dt.timedelta(days=3), project_id=project.id,
                action="provision", entity="device", entity_id=device.id,
                detail={"code": device.code, "public_key": "ef" * 32, "old_public_key": None},
            )
        )  # fmt: skip
        project_id = project.id
    engine.dispose()
    return url, project_id


def _days(url: str, project_id: int) -> list[str]:
    engine = make_engine(url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as s:
            return [d.day for d in reversed(digest.summaries(s, project_id, limit=100))]
    finally:
        engine.dispose()


def test_issue_lists_what_it_issued_and_only_once(world: tuple[str, int]) -> None:
    url, project_id = world
    r = runner.invoke(
        cli_app, ["digest", "issue", "--project", str(project_id), "--database-url", url]
    )
    assert r.exit_code == 0, r.output
    days = _days(url, project_id)
    assert len(days) in (3, 4)  # from the enrolment's local day to yesterday
    for day in days:
        assert f"{project_id} {day} " in r.output
    assert f"issued: {len(days)}" in r.output
    assert server_key.fingerprint(Settings(database_url=url)) in r.output
    again = runner.invoke(cli_app, ["digest", "issue", "--database-url", url])
    assert again.exit_code == 0, again.output
    assert "issued: 0" in again.output
    assert _days(url, project_id) == days


def test_export_writes_the_download_bytes(world: tuple[str, int], tmp_path: Path) -> None:
    url, project_id = world
    assert runner.invoke(cli_app, ["digest", "issue", "--database-url", url]).exit_code == 0
    day = _days(url, project_id)[0]
    out = tmp_path / "d.json"
    args = ["digest", "export", "--project", str(project_id), "--day", day, "--out", str(out)]
    r = runner.invoke(cli_app, [*args, "--database-url", url])
    assert r.exit_code == 0, r.output
    body = digest.verify_file(out.read_bytes())
    assert body["day"] == day
    assert body["prev_sha256"] == "0" * 64
    assert json.loads(out.read_bytes())["public_key"] == server_key.public_key(
        Settings(database_url=url)
    )
    engine = make_engine(url)
    with unit_of_work(make_sessionmaker(engine)) as s:
        row = digest.get(s, project_id, day)
        assert row is not None
        assert digest.digest_file(row) == out.read_bytes()
    engine.dispose()


@pytest.mark.parametrize(
    ("project", "day", "words"),
    [
        ("1", "2026-02-30", "expected YYYY-MM-DD"),
        ("1", "1999-01-01", "not issued yet"),
        ("999", "2026-05-01", "project 999 not found"),
    ],
)
def test_export_refusals_are_one_line(
    world: tuple[str, int], tmp_path: Path, project: str, day: str, words: str
) -> None:
    url, project_id = world
    pid = str(project_id) if project == "1" else project
    args = ["digest", "export", "--project", pid, "--day", day, "--out", str(tmp_path / "x.json")]
    r = runner.invoke(cli_app, [*args, "--database-url", url])
    assert r.exit_code == 1, r.output
    assert words in r.output
    assert "Traceback" not in r.output
    assert not (tmp_path / "x.json").exists()


def test_issue_for_an_unknown_project_is_refused(world: tuple[str, int]) -> None:
    url, _ = world
    r = runner.invoke(cli_app, ["digest", "issue", "--project", "999", "--database-url", url])
    assert r.exit_code == 1, r.output
    assert "project 999 not found" in r.output


def test_the_server_issues_them_in_the_background_from_its_start(
    world: tuple[str, int],
) -> None:
    """Outside the test environment the app's lifespan starts the issuer: the server is up at
    once (the work is the thread's), the missing digests appear, and the thread ends with it."""
    url, project_id = world
    app = create_app(Settings(environment="dev", database_url=url, digest_every_s=3600))
    started = time.perf_counter()
    with TestClient(app) as client:
        up = time.perf_counter() - started
        assert client.get("/api/v1/health").status_code == 200
        issuer = app.state.digest_issuer
        assert issuer is not None
        deadline = time.monotonic() + 10
        while not issuer.rounds and time.monotonic() < deadline:
            time.sleep(0.02)
        assert issuer.rounds == 1
    assert len(_days(url, project_id)) in (3, 4)
    assert up < 2.0


def test_no_background_issuer_in_the_test_environment(settings: Settings) -> None:
    app = create_app(settings)
    with TestClient(app):
        assert app.state.digest_issuer is None
