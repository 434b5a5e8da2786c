"""`sitegate db backup` / `restore`: a consistent copy of the server database while gates upload.

SQLite: sqlite3's online backup API copies every page in one step under one read transaction,
so the copy is the database as of one commit (WAL: writers go on meanwhile). PostgreSQL:
`pg_dump -Fc` (one repeatable-read snapshot) and `pg_restore`. Either payload is wrapped in the
backup file of models/backup.py (manifest with kind, time, schema revisions, sha256). A restore
checks the whole file before it touches the target, refuses a newer schema, writes only into an
empty database unless --force, and then applies the migrations, so an older backup comes up to
date.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url

from models import backup as bf
from server.db import migrate
from server.db.session import make_engine, normalise_url
from server.ops.errors import BackupError, RestoreRefusedError

PG_DUMP_TIMEOUT_S = 6 * 3600


@dataclass(frozen=True, slots=True)
class RestoreResult:
    manifest: bf.Manifest
    schema_after: list[str]
    notes: list[str]


def known_revisions() -> set[str]:
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    return {rev.revision for rev in script.walk_revisions()}


def schema_revisions(engine: Engine) -> list[str]:
    if not inspect(engine).has_table("alembic_version"):
        return []
    with engine.connect() as conn:
        return sorted(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())


def head_revisions() -> list[str]:
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    return sorted(script.get_heads())


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL; None for any other database."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("内存数据库无法备份", "an in-memory database cannot be backed up")
    return Path(parsed.database)


def libpq_url(url: str) -> str:
    """The URL pg_dump and pg_restore understand (no SQLAlchemy driver suffix)."""
    return make_url(normalise_url(url)).set(drivername="postgresql").render_as_string(False)


@contextmanager
def _temporary_next_to(path: Path, suffix: str) -> Iterator[Path]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
    finally:
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            leftover.unlink(missing_ok=True)


def _finish(
    dest: Path, payload: Path, kind: str, schema: list[str], source: dict[str, str]
) -> bf.Manifest:
    with _temporary_next_to(dest, ".part") as part:
        with part.open("wb") as out, payload.open("rb") as src:
            manifest = bf.write_backup(out, src, kind, schema=schema, source=source)
            out.flush()
            os.fsync(out.fileno())
        part.replace(dest)  # atomic: a backup cut short never sits at FILE
    return manifest


# --- backup ---------------------------------------------------------------------------------


def backup(url: str, dest: Path) -> bf.Manifest:
    engine = make_engine(url)
    try:
        schema = schema_revisions(engine)
    finally:
        engine.dispose()
    if not schema:
        raise BackupError("数据库尚未初始化(没有迁移记录)", "the database has no schema yet")
    path = sqlite_path(url)
    if path is not None:
        if not path.exists():
            raise BackupError(f"数据库文件不存在:{path}", f"no database file at {path}")
        with _temporary_next_to(dest, ".sqlite3") as payload:
            sqlite_copy(path, payload)
            return _finish(dest, payload, "server-sqlite", schema, {"engine": "sqlite"})
    client, server = pg_versions(url)
    with _temporary_next_to(dest, ".dump") as payload:
        _run(
            ["pg_dump", "-Fc", "--no-owner", "--no-privileges", "-f", str(payload), libpq_url(url)]
        )
        source = {"engine": "postgresql", "server": server, "pg_dump": client}
        return _finish(dest, payload, "server-postgresql", schema, source)


def sqlite_copy(src: Path, dest: Path) -> None:
    """An online copy of the database at `src` (one step: one consistent snapshot)."""
    source = sqlite3.connect(src, timeout=30)
    target = sqlite3.connect(dest)
    try:
        source.backup(target)  # pages=-1: all pages in one step under one read transaction
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        target.close()
        source.close()


# --- PostgreSQL tools -----------------------------------------------------------------------


def _major(version: str) -> int:
    found = re.search(r"(\d+)", version)
    return int(found.group(1)) if found else 0


def pg_versions(url: str) -> tuple[str, str]:
    """(pg_dump's version, the server's); refuses when pg_dump is older than the server, which
    it cannot dump. A newer pg_dump works and is only noted."""
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        raise BackupError(
            "找不到 pg_dump / pg_restore,请安装 PostgreSQL 客户端工具",
            "pg_dump / pg_restore not found: install the PostgreSQL client tools",
        )
    version = ["pg_dump", "--version"]  # found on PATH above, like pg_restore later
    out = subprocess.run(  # noqa: S603 - fixed argv, no shell
        version, capture_output=True, text=True, check=False, timeout=30
    ).stdout.strip()
    client = out.rsplit(" ", 1)[-1]
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            server = str(conn.execute(text("SHOW server_version")).scalar_one()).split(" ")[0]
    finally:
        engine.dispose()
    if _major(client) < _major(server):
        raise BackupError(
            f"pg_dump 版本 {client} 低于数据库服务器版本 {server},请安装 {_major(server)} 版客户端",
            f"pg_dump {client} is older than the server {server}: install client "
            f"version {_major(server)}",
        )
    return client, server


def _run(argv: list[str]) -> None:
    done = subprocess.run(  # noqa: S603 - argv built here, no shell
        argv, capture_output=True, text=True, check=False, timeout=PG_DUMP_TIMEOUT_S
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1][:300]
        raise BackupError(f"{argv[0]} 失败:{last}", f"{argv[0]} failed: {last}")


# --- restore --------------------------------------------------------------------------------


def read_backup(src: Path) -> tuple[bf.Manifest, int]:
    """The manifest of a whole, restorable backup at `src` (else a bilingual error)."""
    if not src.is_file():
        raise BackupError(f"备份文件不存在:{src}", f"no backup file at {src}")
    with src.open("rb") as stream:
        manifest, start = bf.verified_manifest(stream)
    bf.check_kind(manifest, ("server-sqlite", "server-postgresql"))
    bf.check_schema(manifest, known_revisions())
    return manifest, start


def _user_tables(engine: Engine) -> list[str]:
    return [name for name in inspect(engine).get_table_names() if not name.startswith("sqlite_")]


def restore(url: str, src: Path, *, force: bool = False) -> RestoreResult:
    manifest, start = read_backup(src)
    path = sqlite_path(url)
    wanted = "server-sqlite" if path is not None else "server-postgresql"
    if manifest.kind != wanted:
        raise RestoreRefusedError(
            f"{manifest.kind} 备份不能恢复到 {'SQLite' if path else 'PostgreSQL'} 数据库",
            f"a {manifest.kind} backup cannot be restored into this "
            f"{'SQLite' if path else 'PostgreSQL'} database",
        )
    engine = make_engine(url)
    try:
        tables = _user_tables(engine)
    finally:
        engine.dispose()
    if tables and not force:
        raise RestoreRefusedError(
            f"目标数据库不是空的({len(tables)} 张表);确认覆盖请加 --force",
            f"the target database is not empty ({len(tables)} tables): add --force to replace it",
        )
    notes: list[str] = []
    if path is not None:
        _restore_sqlite(src, start, path)
    else:
        notes += _restore_postgresql(url, src, start, manifest, replace=bool(tables))
    migrate.upgrade(url)  # an older backup comes up to date
    engine = make_engine(url)
    try:
        after = schema_revisions(engine)
    finally:
        engine.dispose()
    return RestoreResult(manifest, after, notes)


def _restore_sqlite(src: Path, start: int, path: Path) -> None:
    with _temporary_next_to(path, ".restore") as payload:
        with src.open("rb") as stream, payload.open("wb") as out:
            bf.copy_payload(stream, start, out)
        check = sqlite3.connect(payload)
        try:
            ok = check.execute("PRAGMA integrity_check").fetchone()
        except sqlite3.DatabaseError:
            ok = None
        finally:
            check.close()
        if not ok or ok[0] != "ok":
            raise BackupError(
                "备份中的数据库文件已损坏", "the database file in the backup is damaged"
            )
        # Copy into the target through the backup API too: it takes the target's lock and
        # writes through its WAL, so connections open on it see either the old or the new data.
        source = sqlite3.connect(payload)
        target = sqlite3.connect(path, timeout=30)
        try:
            target.execute("PRAGMA journal_mode=WAL")
            source.backup(target)
        finally:
            target.close()
            source.close()


def _restore_postgresql(
    url: str, src: Path, start: int, manifest: bf.Manifest, *, replace: bool
) -> list[str]:
    client, server = pg_versions(url)
    notes = []
    if _major(client) != _major(server) or manifest.source.get("server", server) != server:
        notes.append(
            f"版本不同 / versions differ: pg_restore {client}, server {server}, "
            f"backup made on {manifest.source.get('server', '?')}"
        )
    if replace:
        engine = make_engine(url)
        try:
            with engine.begin() as conn:  # --force: an empty public schema, then the dump
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        finally:
            engine.dispose()
    with tempfile.TemporaryDirectory(prefix="sitegate-restore-") as tmp:
        payload = Path(tmp) / "payload.dump"
        with src.open("rb") as stream, payload.open("wb") as out:
            bf.copy_payload(stream, start, out)
        _run(
            [
                "pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
                "--single-transaction", "--exit-on-error", "-d", libpq_url(url), str(payload),
            ]
        )  # fmt: skip
    return notes
