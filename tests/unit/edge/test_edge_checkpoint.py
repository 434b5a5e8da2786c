"""The outbox seals device-signed checkpoints into its own chain: at the end of the local day
and every N records; a checkpoint adds up from the rows it covers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from edge_support import AT

from edge.decision import Attempt
from edge.outbox import CheckpointPolicy, Outbox, verify_chain
from models import checkpoint as cp
from models.device_auth import new_private_key, public_key_hex, verify_event_signature
from models.enums import CredentialKind, Direction, GateMode, GateResult, RecordPurpose
from models.gate_event import GENESIS_HASH

CST = dt.timezone(dt.timedelta(hours=8))


def attempt(at: dt.datetime, worker: int | None) -> Attempt:
    return Attempt(
        at=at,
        direction=Direction.IN,
        mode=GateMode.CARD_AND_FACE,
        result=GateResult.GRANTED,
        credential=CredentialKind.IC_CARD,
        credential_ref="A1B2C3D4",
        worker_id=worker,
    )


def test_every_n_and_day_end(tmp_path: Path) -> None:
    key = new_private_key()
    policy = CheckpointPolicy(zone=CST, every_n=4)
    day1 = dt.datetime(2026, 3, 17, 9, 0, tzinfo=CST)
    with Outbox(tmp_path / "o.sqlite3", device_id="G", key=key, checkpoints=policy) as box:
        for i in range(6):
            box.append(attempt(day1 + dt.timedelta(minutes=i), i % 2 + 1))
        # the next morning: the first record closes yesterday first
        box.append(attempt(day1 + dt.timedelta(days=1), 1))
        events = list(box.iter_events())
        assert verify_chain(events) == []
        cps = [e for e in events if e.purpose is RecordPurpose.CHECKPOINT]
        assert [
            (c.seq, c.checkpoint.from_seq, c.checkpoint.to_seq) for c in cps if c.checkpoint
        ] == [
            (5, 1, 4),
            (8, 6, 7),
        ]
        first, second = (c.checkpoint for c in cps)
        assert first is not None
        assert second is not None
        assert first.reason is cp.CheckpointReason.EVERY_N
        assert second.reason is cp.CheckpointReason.DAY_END
        assert second.day == "2026-03-17"
        assert first.prev_checkpoint_hash == GENESIS_HASH
        assert second.prev_checkpoint_hash == cps[0].hash
        assert first.tip_hash == events[3].hash == cps[0].prev_hash
        for c in cps:
            assert c.worker_id is None
            assert verify_event_signature(public_key_hex(key), c.hash, c.signature)
        rows = [(e.seq, e.hash, e.worker_id) for e in events[:4]]
        assert cp.problems(first, rows) == []
        # a record moved to another worker no longer adds up
        moved = [rows[0], (rows[1][0], rows[1][1], 7), *rows[2:]]
        assert [p[0] for p in cp.problems(first, moved)] == ["workers_root", "workers"]
        assert [p[0] for p in cp.problems(first, rows[:3])] == ["count"]
        assert box.checkpoint_status() == (8, cps[1].hash, 1)


def test_uploader_tick_closes_the_day_once(tmp_path: Path) -> None:
    policy = CheckpointPolicy(zone=CST, every_n=500)
    with Outbox(tmp_path / "o.sqlite3", device_id="G", checkpoints=policy) as box:
        box.append(attempt(AT, 1))
        assert box.checkpoint_if_day_over(AT + dt.timedelta(minutes=5)) is None
        made = box.checkpoint_if_day_over(AT + dt.timedelta(days=1))
        assert made is not None
        assert made.checkpoint is not None
        assert box.checkpoint_if_day_over(AT + dt.timedelta(days=2)) is None  # nothing new


def test_prune_keeps_rows_after_the_last_checkpoint(tmp_path: Path) -> None:
    policy = CheckpointPolicy(zone=CST, every_n=3)
    with Outbox(tmp_path / "o.sqlite3", device_id="G", checkpoints=policy) as box:
        for i in range(5):
            box.append(attempt(AT + dt.timedelta(seconds=i), 1))
        box.ack_through(6)
        box.prune(dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
        assert [e.seq for e in box.iter_events()] == [5, 6]
        made = box.checkpoint_now(AT + dt.timedelta(seconds=9))
        assert made is not None
        assert made.checkpoint is not None
        assert (made.checkpoint.from_seq, made.checkpoint.to_seq) == (5, 6)


def test_without_policy_no_checkpoint_is_made(tmp_path: Path) -> None:
    with Outbox(tmp_path / "o.sqlite3", device_id="G") as box:
        for i in range(3):
            box.append(attempt(AT + dt.timedelta(days=i), None))
        assert all(e.purpose is None for e in box.iter_events())
