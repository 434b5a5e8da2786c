"""`sitegate registry add-terminal / approve-terminal` and `sitegate terminals list / sync /
set-photo`: what the site manager types, and one-line errors for what they get wrong."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import select
from typer.testing import CliRunner

from server.db import migrate
from server.db.session import make_engine, make_sessionmaker, unit_of_work
from server.registry.models import Assignment, Device, Project, Worker
from server.terminals.models import TerminalCommand
from sitegate_cli.app import app as cli_app
from tests.factories import make_id_number

runner = CliRunner(env={"COLUMNS": "200"})
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00face\xff\xd9"


def _db(tmp_path: Path) -> tuple[str, int]:
    url = f"sqlite:///{tmp_path / 'terminals.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with unit_of_work(make_sessionmaker(engine)) as s:
        project = Project(code="T-1", name="终端项目")
        number = make_id_number()
        worker = Worker(
            name="刷脸", id_number=number, gender="M", birth_date=dt.date(
                int(number[6:10]), int(number[10:12]), int(number[12:14])
            ), face_consent=True,
        )  # fmt: skip
        s.add_all([project, worker])
        s.flush()
        s.add(Assignment(project_id=project.id, worker_id=worker.id, status="active",
                         entered_on=dt.date(2026, 1, 1),
                         contract_signed_on=dt.date(2026, 1, 1),
                         safety_trained_on=dt.date(2026, 1, 1)))  # fmt: skip
        worker_id = worker.id
    engine.dispose()
    return url, worker_id


def _run(url: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(cli_app, [*args, "--database-url", url])
    return result.exit_code, result.output


def test_register_approve_photo_sync_and_list(tmp_path: Path) -> None:
    url, worker_id = _db(tmp_path)
    add = ("registry", "add-terminal", "--project", "T-1", "--code", "ZK-1", "--vendor", "zkteco")
    code, out = _run(url, *add, "--serial", "CKJX2001", "--model", "SpeedFace-V5L")
    assert code == 0, out
    assert "待批准" in out
    code, out = _run(url, "registry", "approve-terminal", "--code", "ZK-1")
    assert (code, "已批准" in out) == (0, True), out
    photo = tmp_path / "face.jpg"
    photo.write_bytes(JPEG)
    code, out = _run(url, "terminals", "set-photo", "--worker", str(worker_id), str(photo))
    assert code == 0, out
    code, out = _run(url, "terminals", "sync", "--project", "T-1")
    assert code == 0, out
    assert "upserts 1" in out
    code, out = _run(url, "terminals", "list", "--project", "T-1")
    assert code == 0, out
    assert "CKJX2001" in out
    engine = make_engine(url)
    with unit_of_work(make_sessionmaker(engine)) as s:
        (cmd,) = s.scalars(select(TerminalCommand)).all()
        assert (cmd.action, cmd.payload["access"]) == ("upsert", "face")
        device = s.scalars(select(Device).where(Device.code == "ZK-1")).one()
        assert device.public_key
        assert device.approved_at is not None
    engine.dispose()


def test_mistakes_are_one_line_errors(tmp_path: Path) -> None:
    url, _ = _db(tmp_path)
    base = ("registry", "add-terminal", "--project", "T-1", "--code", "HK-1")
    code, out = _run(url, *base, "--vendor", "dahua", "--serial", "X1234")
    assert (code, "终端厂家须为" in out) == (1, True), out
    code, out = _run(url, *base, "--vendor", "hikvision", "--serial", "DS1234")
    assert (code, "ISAPI" in out) == (1, True), out
    code, out = _run(url, "registry", "approve-terminal", "--code", "NOPE")
    assert code == 1
    assert "NOPE" in out
    bad = tmp_path / "face.png"
    bad.write_bytes(b"\x89PNG....")
    code, out = _run(url, "terminals", "set-photo", "--worker", "1", str(bad))
    assert (code, "JPEG" in out) == (1, True), out
    assert "Traceback" not in out


def test_run_and_configure_drive_a_hikvision_terminal(tmp_path: Path) -> None:
    from terminals.hikvision_isapi.emulator import IsapiTerminalEmulator

    url, worker_id = _db(tmp_path)
    photo = tmp_path / "face.jpg"
    photo.write_bytes(JPEG)
    with IsapiTerminalEmulator(serial_number="DS-K1T671M0001") as emu:
        add = ("registry", "add-terminal", "--project", "T-1", "--code", "HK-1")
        code, out = _run(
            url, *add, "--vendor", "hikvision", "--serial", "DS-K1T671M0001", "--url",
            emu.base_url, "--user", emu.username, "--password", emu.password, "--approve",
        )  # fmt: skip
        assert code == 0, out
        assert _run(url, "terminals", "set-photo", "--worker", str(worker_id), str(photo))[0] == 0
        code, out = _run(url, "terminals", "configure", "--code", "HK-1", "--server-url",
                         "http://10.0.0.2:8000")  # fmt: skip
        assert code == 0, out
        assert "/api/v1/terminals/hikvision/DS-K1T671M0001/events" in out
        # While the terminal is being called, another writer (a sign-in) must not wait: no
        # transaction of the run holds SQLite's write lock then.
        blocked: list[str] = []

        def write_meanwhile(op: str, _employee_no: object) -> None:
            db = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0.2)
            try:
                db.execute("BEGIN IMMEDIATE")
                db.execute("ROLLBACK")
            except sqlite3.OperationalError:
                blocked.append(op)
            finally:
                db.close()

        emu.reject = write_meanwhile
        search = emu.state.search_events

        def searched_meanwhile(cond: Any) -> Any:
            write_meanwhile("search", None)
            return search(cond)

        emu.state.search_events = searched_meanwhile  # type: ignore[method-assign]
        code, out = _run(url, "terminals", "run", "--project", "T-1", "--catch-up")
        assert code == 0, out
        assert "下发 sent 1" in out
        assert "补取 pulled 0" in out
        assert blocked == []
        assert str(worker_id) in emu.state.users
    # the terminal gone: the command run says so in one line, nothing is lost
    code, out = _run(url, "terminals", "configure", "--code", "HK-1", "--server-url", "http://x")
    assert code == 1
    assert "Traceback" not in out
