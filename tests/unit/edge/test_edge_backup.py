"""Gate backup and restore: a live copy of the outbox is one consistent chain, and restoring it
neither drops nor resends a record."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from test_edge_outbox import attempt

from edge import backup as eb
from edge.outbox import Outbox, verify_chain
from models import backup as bf
from models.device_auth import new_private_key

DEVICE = "GATE-A-IN"


def _fill(path: Path, n: int, acked: int) -> None:
    with Outbox(path, device_id=DEVICE, key=new_private_key()) as box:
        for i in range(n):
            box.append(attempt(i))
        box.ack_through(acked)


def test_live_backup_is_one_consistent_chain(tmp_path: Path) -> None:
    src = tmp_path / "gate" / "outbox.sqlite3"
    box = Outbox(src, device_id=DEVICE, key=new_private_key())
    stop = threading.Event()

    def append_forever() -> None:
        i = 0
        while not stop.is_set():
            box.append(attempt(i))
            i += 1

    writer = threading.Thread(target=append_forever, name="outbox-writer")
    writer.start()
    try:
        while box.stats().last_seq < 50:
            pass
        eb.backup(src, tmp_path / "gate" / "roster.sqlite3", tmp_path / "bak", DEVICE)
    finally:
        stop.set()
        writer.join()
    written = box.stats().last_seq
    box.close()
    restored = tmp_path / "new" / "outbox.sqlite3"
    eb.restore(tmp_path / "bak", restored, tmp_path / "new" / "roster.sqlite3", DEVICE, force=False)
    with Outbox(restored, device_id=DEVICE) as copy:
        events = list(copy.iter_events())
        head = copy.stats().last_seq
    assert events, "the copy holds records"
    assert [e.seq for e in events] == list(range(1, head + 1))  # a prefix, no gap
    assert verify_chain(events) == []
    assert head <= written


def test_restore_keeps_statuses_and_the_higher_ack(tmp_path: Path) -> None:
    src = tmp_path / "gate" / "outbox.sqlite3"
    _fill(src, 10, acked=4)
    eb.backup(src, tmp_path / "gate" / "roster.sqlite3", tmp_path / "bak", DEVICE)
    with Outbox(src, device_id=DEVICE) as box:
        box.ack_through(7)  # the server acknowledged more after the backup was made
    eb.restore(tmp_path / "bak", src, tmp_path / "gate" / "roster.sqlite3", DEVICE, force=False)
    with Outbox(src, device_id=DEVICE) as box:
        pending = [e.seq for e in box.pending(100)]
        stats = box.stats()
    assert pending == [8, 9, 10]  # 1..7 are not sent again, 8..10 not dropped
    assert (stats.last_seq, stats.acked_through) == (10, 7)


def test_restore_refuses_to_drop_newer_records(tmp_path: Path) -> None:
    src = tmp_path / "gate" / "outbox.sqlite3"
    _fill(src, 3, acked=0)
    eb.backup(src, tmp_path / "gate" / "roster.sqlite3", tmp_path / "bak", DEVICE)
    with Outbox(src, device_id=DEVICE, key=new_private_key()) as box:
        box.append(attempt(5))
    with pytest.raises(eb.EdgeBackupError) as err:
        eb.restore(tmp_path / "bak", src, tmp_path / "r.sqlite3", DEVICE, force=True)
    assert "drop 1 records" in err.value.message_en
    with Outbox(src, device_id=DEVICE) as box:
        assert box.stats().last_seq == 4  # untouched


def test_restore_refuses_another_gates_backup(tmp_path: Path) -> None:
    src = tmp_path / "gate" / "outbox.sqlite3"
    _fill(src, 2, acked=0)
    eb.backup(src, tmp_path / "gate" / "roster.sqlite3", tmp_path / "bak", DEVICE)
    with pytest.raises(eb.EdgeBackupError, match="GATE-B"):
        eb.restore(tmp_path / "bak", tmp_path / "o.sqlite3", tmp_path / "r.sqlite3", "GATE-B",
                   force=False)  # fmt: skip


def test_damaged_backup_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    src = tmp_path / "gate" / "outbox.sqlite3"
    _fill(src, 2, acked=0)
    eb.backup(src, tmp_path / "gate" / "roster.sqlite3", tmp_path / "bak", DEVICE)
    file = tmp_path / "bak" / eb.OUTBOX_FILE
    data = bytearray(file.read_bytes())
    data[-100] ^= 0xFF
    file.write_bytes(bytes(data))
    target = tmp_path / "new" / "outbox.sqlite3"
    with pytest.raises(bf.BackupFileError, match="sha256"):
        eb.restore(tmp_path / "bak", target, tmp_path / "new" / "r.sqlite3", DEVICE, force=False)
    assert not target.exists()


def test_roster_cache_round_trip(tmp_path: Path) -> None:
    from edge.roster_cache import RosterCache
    from models.roster import GatePolicy
    from models.sync import RosterDelta

    key = b"k" * 32
    roster = tmp_path / "gate" / "roster.sqlite3"
    cache = RosterCache(roster, key=key)
    cache.apply(RosterDelta(project_id=1, version=3, since_version=0, full=True, entries=[],
                            removed=[], policy=GatePolicy()))  # fmt: skip
    cache.close()
    eb.backup(tmp_path / "none", roster, tmp_path / "bak", DEVICE)
    assert not (tmp_path / "bak" / eb.OUTBOX_FILE).exists()
    new = tmp_path / "new" / "roster.sqlite3"
    eb.restore(tmp_path / "bak", tmp_path / "new" / "o.sqlite3", new, DEVICE, force=False)
    again = RosterCache(new, key=key)
    try:
        assert again.version == 3
    finally:
        again.close()


def test_cli_backup_restore_and_bad_input(tmp_path: Path) -> None:
    from test_edge_cli import write_config
    from typer.testing import CliRunner

    from edge.cli import app
    from edge.config import load_config

    runner = CliRunner()
    config = write_config(tmp_path)
    cfg = load_config(config)
    _fill(cfg.outbox_path, 3, acked=1)
    ok = runner.invoke(app, ["backup", "-c", str(config), "--to", str(tmp_path / "bak")])
    assert ok.exit_code == 0, ok.output
    assert eb.OUTBOX_FILE in ok.output
    cfg.outbox_path.unlink()
    back = runner.invoke(app, ["restore", "-c", str(config), str(tmp_path / "bak")])
    assert back.exit_code == 0, back.output
    assert "seq 1..3, acked through 1" in back.output
    missing = runner.invoke(app, ["restore", "-c", str(config), str(tmp_path / "nope")])
    assert missing.exit_code == 1
    assert "no backup folder" in missing.output
    assert "Traceback" not in missing.output
