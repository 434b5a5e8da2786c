"""`sitegate db backup` / `restore` answer bad input with one bilingual line, never a traceback;
an older backup comes up to the current schema on restore."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from typer.testing import CliRunner

from models import backup as bf
from server.db import migrate
from server.db.session import make_engine
from server.ops import db_backup
from sitegate_cli.app import app as cli_app
from tests.integration.server.ops.ops_support import scratch_database

runner = CliRunner()


@pytest.fixture
def url(db_url: str, tmp_path: Path) -> Iterator[str]:
    with scratch_database(db_url, tmp_path, "cli") as scratch:
        yield scratch


def _fails(args: list[str], *words: str) -> str:
    result = runner.invoke(cli_app, args)
    out = result.output
    assert result.exit_code == 1, out
    assert "Traceback" not in out
    assert isinstance(result.exception, SystemExit), result.exception
    for word in words:
        assert word in out
    return out


def test_missing_file(url: str, tmp_path: Path) -> None:
    _fails(["db", "restore", str(tmp_path / "nope.sgbackup"), "--database-url", url],
           "备份文件不存在", "no backup file")  # fmt: skip


def test_damaged_file(url: str, tmp_path: Path) -> None:
    migrate.upgrade(url)
    file = tmp_path / "db.sgbackup"
    ok = runner.invoke(cli_app, ["db", "backup", "--to", str(file), "--database-url", url])
    assert ok.exit_code == 0, ok.output
    data = bytearray(file.read_bytes())
    data[len(data) // 2] ^= 0x01
    file.write_bytes(bytes(data))
    with scratch_database(url, tmp_path, "dmg") as other:
        _fails(["db", "restore", str(file), "--database-url", other], "损坏", "sha256")
        engine = make_engine(other)
        try:
            assert db_backup.schema_revisions(engine) == []  # nothing written
        finally:
            engine.dispose()


def test_not_a_backup(url: str, tmp_path: Path) -> None:
    file = tmp_path / "notes.txt"
    file.write_text("hello", encoding="utf-8")
    _fails(["db", "restore", str(file), "--database-url", url], "marker")


def test_newer_schema(url: str, tmp_path: Path) -> None:
    file = tmp_path / "future.sgbackup"
    with file.open("wb") as out:
        bf.write_backup(out, io.BytesIO(b"x"), "server-sqlite", schema=["0099_future"])
    _fails(["db", "restore", str(file), "--database-url", url], "0099_future", "upgrade SiteGate")


def test_non_empty_target_needs_force(url: str, tmp_path: Path) -> None:
    migrate.upgrade(url)
    file = tmp_path / "db.sgbackup"
    assert (
        runner.invoke(cli_app, ["db", "backup", "--to", str(file), "--database-url", url]).exit_code
        == 0
    )
    _fails(["db", "restore", str(file), "--database-url", url], "--force")
    forced = runner.invoke(cli_app, ["db", "restore", str(file), "--database-url", url, "--force"])
    assert forced.exit_code == 0, forced.output


def test_backup_of_an_empty_database(url: str, tmp_path: Path) -> None:
    if url.startswith("sqlite"):
        sqlite3.connect(url.split("///", 1)[1]).close()
    _fails(["db", "backup", "--to", str(tmp_path / "x"), "--database-url", url], "no schema")


def test_an_older_backup_is_migrated_to_head(url: str, tmp_path: Path) -> None:
    command.upgrade(migrate.alembic_config(url), "0017_platform")
    file = tmp_path / "old.sgbackup"
    manifest = db_backup.backup(url, file)
    assert manifest.schema == ["0017_platform"]
    with scratch_database(url, tmp_path, "old") as other:
        result = runner.invoke(cli_app, ["db", "restore", str(file), "--database-url", other])
        assert result.exit_code == 0, result.output
        engine = make_engine(other)
        try:
            assert db_backup.schema_revisions(engine) == db_backup.head_revisions()
        finally:
            engine.dispose()
