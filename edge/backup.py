"""`sitegate edge backup` / `restore`: the gate's outbox and roster cache, copied while it runs.

Each SQLite file is copied with sqlite3's online backup API (one step: the file as of one
commit, while the agent goes on appending) and wrapped in the backup file of models/backup.py.

Restoring an outbox must neither drop nor resend a record:
- it is refused over an outbox whose chain is further on than the backup's (the records after the
  backup would be lost, and the next append would reuse their seq: a fork the server reports);
- the acknowledgement cursor is the higher of the backup's and the replaced outbox's, so records
  the server acknowledged after the backup was made are not sent again;
- a record that was in flight when the copy was made goes back to ready (as on every start) and
  is sent once more, which the server counts as a duplicate and stores once.
The device key is not in the backup (it is a secret, kept apart); the roster cache is sealed with
it, so a restored cache opens only with the same key, and is otherwise downloaded again.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from models import backup as bf

OUTBOX_FILE = "outbox.sgbackup"
ROSTER_FILE = "roster.sgbackup"
OUTBOX_SCHEMA = "edge-outbox-1"
ROSTER_SCHEMA = "edge-roster-1"


class EdgeBackupError(Exception):
    code = "edge.backup"

    def __init__(self, message_zh: str, message_en: str) -> None:
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(f"{message_zh} / {message_en}")


@dataclass(frozen=True, slots=True)
class ChainState:
    device_id: str
    last_seq: int
    acked_through: int


def chain_state(path: Path) -> ChainState | None:
    """The outbox's chain head and ack cursor, or None when the file holds no outbox."""
    if not path.exists():
        return None
    conn = sqlite3.connect(path, timeout=30)
    try:
        row = conn.execute("SELECT device_id, last_seq FROM chain WHERE id = 1").fetchone()
        acked = conn.execute("SELECT value FROM meta WHERE key = 'acked_through'").fetchone()
    except sqlite3.DatabaseError:
        return None
    finally:
        conn.close()
    if row is None:
        return None
    return ChainState(str(row[0]), int(row[1]), int(acked[0]) if acked else 0)


def outbox_restore_problem(
    backup: ChainState, target: ChainState | None, device: str
) -> tuple[str, str] | None:
    """Why this outbox backup must not replace `target` (zh, en), or None. Pure."""
    if backup.device_id != device:
        return (
            f"备份属于设备 {backup.device_id},本闸机是 {device}",
            f"the backup belongs to device {backup.device_id}, this gate is {device}",
        )
    if target is not None and target.device_id == device and target.last_seq > backup.last_seq:
        lost = target.last_seq - backup.last_seq
        return (
            f"现有发件箱已到序号 {target.last_seq},备份只到 {backup.last_seq}:"
            f"恢复会丢失 {lost} 条记录并重复使用其序号",
            f"the outbox here is at seq {target.last_seq}, the backup at {backup.last_seq}: "
            f"restoring would drop {lost} records and reuse their seq",
        )
    return None


def _copy(src: Path, dest: Path) -> None:
    source = sqlite3.connect(src, timeout=30)
    target = sqlite3.connect(dest)
    try:
        source.backup(target)  # all pages in one step: one consistent snapshot
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()
        source.close()


def _temp_in(folder: Path, suffix: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=".sitegate-", suffix=suffix, dir=folder)
    os.close(fd)
    return Path(name)


def backup_file(src: Path, dest: Path, kind: str, schema: str, source: dict[str, str]) -> None:
    payload, part = _temp_in(dest.parent, ".sqlite3"), _temp_in(dest.parent, ".part")
    try:
        _copy(src, payload)
        with part.open("wb") as out, payload.open("rb") as data:
            bf.write_backup(out, data, kind, schema=[schema], source=source)
            out.flush()
            os.fsync(out.fileno())
        part.replace(dest)
    finally:
        payload.unlink(missing_ok=True)
        part.unlink(missing_ok=True)


def backup(outbox: Path, roster: Path, folder: Path, device: str) -> list[Path]:
    """Back up the files that exist; returns the backup files written."""
    written = []
    for path, name, kind, schema in (
        (outbox, OUTBOX_FILE, "edge-outbox", OUTBOX_SCHEMA),
        (roster, ROSTER_FILE, "edge-roster", ROSTER_SCHEMA),
    ):
        if path.exists():
            backup_file(path, folder / name, kind, schema, {"device": device})
            written.append(folder / name)
    if not written:
        raise EdgeBackupError(
            f"没有可备份的文件(发件箱 {outbox})", f"nothing to back up (no outbox at {outbox})"
        )
    return written


def _unpack(src: Path, kind: str, schema: str, into: Path) -> Path:
    with src.open("rb") as stream:
        manifest, start = bf.verified_manifest(stream)
        bf.check_kind(manifest, (kind,))
        bf.check_schema(manifest, (schema,))
        payload = _temp_in(into.parent, ".restore")
        with payload.open("wb") as out:
            bf.copy_payload(stream, start, out)
    conn = sqlite3.connect(payload)
    try:
        ok = conn.execute("PRAGMA integrity_check").fetchone()
    except sqlite3.DatabaseError:
        ok = None
    finally:
        conn.close()
    if not ok or ok[0] != "ok":
        payload.unlink(missing_ok=True)
        raise EdgeBackupError("备份中的文件已损坏", "the file in the backup is damaged")
    return payload


def _replace(payload: Path, target: Path) -> None:
    source = sqlite3.connect(payload)
    dest = sqlite3.connect(target, timeout=30)
    try:
        dest.execute("PRAGMA journal_mode=WAL")
        source.backup(dest)
    finally:
        dest.close()
        source.close()


def restore(folder: Path, outbox: Path, roster: Path, device: str, *, force: bool) -> list[str]:
    """Restore what `folder` holds; the gate agent must be stopped. Returns what was done."""
    done: list[str] = []
    if not folder.is_dir():
        raise EdgeBackupError(f"备份目录不存在:{folder}", f"no backup folder at {folder}")
    box_src, roster_src = folder / OUTBOX_FILE, folder / ROSTER_FILE
    if not box_src.exists() and not roster_src.exists():
        raise EdgeBackupError(f"目录中没有闸机备份:{folder}", f"no gate backup files in {folder}")
    if box_src.exists():
        payload = _unpack(box_src, "edge-outbox", OUTBOX_SCHEMA, outbox)
        try:
            theirs = chain_state(payload)
            if theirs is None:
                raise EdgeBackupError("备份中没有发件箱", "the backup holds no outbox")
            here = chain_state(outbox)
            if here is None and outbox.exists() and not force:
                raise EdgeBackupError(
                    f"现有发件箱无法读取:{outbox};确认覆盖请加 --force",
                    f"the outbox at {outbox} cannot be read: add --force to replace it",
                )
            problem = outbox_restore_problem(theirs, here, device)
            if problem:
                raise EdgeBackupError(*problem)
            _replace(payload, outbox)
        finally:
            payload.unlink(missing_ok=True)
        ours = here.acked_through if here and here.device_id == device else 0
        acked = max(theirs.acked_through, ours)
        if acked > theirs.acked_through:
            _ack_through(outbox, acked)
        done.append(f"outbox seq 1..{theirs.last_seq}, acked through {acked}")
    if roster_src.exists():
        payload = _unpack(roster_src, "edge-roster", ROSTER_SCHEMA, roster)
        try:
            _replace(payload, roster)
        finally:
            payload.unlink(missing_ok=True)
        done.append("roster cache")
    return done


def _ack_through(path: Path, seq: int) -> None:
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "UPDATE event SET status = 'acked' WHERE seq <= ? AND status IN ('ready', 'sending')",
            (seq,),
        )
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('acked_through', ?) ON CONFLICT(key) DO "
            "UPDATE SET value = excluded.value",
            (str(seq),),
        )
        conn.execute("COMMIT")
    finally:
        conn.close()
