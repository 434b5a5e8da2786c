from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from edge_support import AT

from edge.decision import Attempt
from edge.outbox import Outbox, OutboxError, verify_chain
from models.device_auth import new_private_key, public_key_hex, verify_event_signature
from models.enums import CredentialKind, DenyReason, Direction, GateMode, GateResult
from models.gate_event import GENESIS_HASH


def attempt(i: int, result: GateResult = GateResult.GRANTED) -> Attempt:
    return Attempt(
        at=AT + dt.timedelta(seconds=i),
        direction=Direction.IN,
        mode=GateMode.CARD_AND_FACE,
        result=result,
        credential=CredentialKind.IC_CARD,
        credential_ref=f"A1B2C3{i:02X}",
        worker_id=i % 3 + 1,
        reason=None if result is GateResult.GRANTED else DenyReason.FACE_MISMATCH,
        face_score=0.3123456,
    )


@pytest.fixture
def outbox(tmp_path: Path):  # type: ignore[no-untyped-def]
    box = Outbox(tmp_path / "outbox.sqlite3", device_id="GATE-A-IN", key=new_private_key())
    yield box
    box.close()


class TestAppend:
    def test_chain_and_signature(self, tmp_path: Path) -> None:
        key = new_private_key()
        with Outbox(tmp_path / "o.sqlite3", device_id="GATE-A-IN", key=key) as box:
            events = [box.append(attempt(i)) for i in range(5)]
        assert [e.seq for e in events] == [1, 2, 3, 4, 5]
        assert events[0].prev_hash == GENESIS_HASH
        assert verify_chain(events) == []
        assert events[0].face_score == 0.3123
        assert verify_event_signature(public_key_hex(key), events[2].hash, events[2].signature)

    def test_chain_continues_after_reopen_and_prune(self, tmp_path: Path) -> None:
        path = tmp_path / "o.sqlite3"
        with Outbox(path, device_id="GATE-A-IN") as box:
            first = [box.append(attempt(i)) for i in range(3)]
            box.ack_through(3)
            assert box.prune(dt.datetime.now(dt.UTC) + dt.timedelta(days=1)) == 3
        with Outbox(path, device_id="GATE-A-IN") as box:
            nxt = box.append(attempt(9))
        assert (nxt.seq, nxt.prev_hash) == (4, first[-1].hash)

    def test_wal_and_full_sync(self, outbox: Outbox) -> None:
        conn = sqlite3.connect(outbox.path)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        conn.close()
        assert outbox._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL

    def test_other_device_refused(self, tmp_path: Path) -> None:
        Outbox(tmp_path / "o.sqlite3", device_id="GATE-A-IN").close()
        with pytest.raises(OutboxError):
            Outbox(tmp_path / "o.sqlite3", device_id="GATE-B-OUT")

    def test_committed_row_visible_to_another_connection(self, outbox: Outbox) -> None:
        event = outbox.append(attempt(1))
        conn = sqlite3.connect(outbox.path)
        row = conn.execute("SELECT event_id FROM event WHERE seq = 1").fetchone()
        conn.close()
        assert row[0] == str(event.event_id)


class TestStates:
    def test_ready_sending_acked(self, outbox: Outbox) -> None:
        for i in range(6):
            outbox.append(attempt(i))
        batch = outbox.pending(4)
        assert [e.seq for e in batch] == [1, 2, 3, 4]
        outbox.mark_sending(1, 4)
        assert outbox.ack_through(2) == 2
        stats = outbox.stats()
        assert (stats.depth, stats.acked_through, stats.last_seq) == (4, 2, 6)
        assert [e.seq for e in outbox.pending(10)] == [3, 4, 5, 6]

    def test_sending_reset_on_restart(self, tmp_path: Path) -> None:
        path = tmp_path / "o.sqlite3"
        with Outbox(path, device_id="G") as box:
            box.append(attempt(1))
            box.mark_sending(1, 1)
        with Outbox(path, device_id="G") as box:
            status = box._conn.execute("SELECT status FROM event").fetchone()[0]
            assert status == "ready"

    def test_reopen_above(self, outbox: Outbox) -> None:
        for i in range(4):
            outbox.append(attempt(i))
        outbox.ack_through(4)
        assert outbox.stats().depth == 0
        assert outbox.reopen_above(2) == 2
        assert [e.seq for e in outbox.pending(10)] == [3, 4]
        assert outbox.stats().acked_through == 2

    def test_recent_grants(self, outbox: Outbox) -> None:
        outbox.append(attempt(1))
        outbox.append(attempt(4, GateResult.REFUSED))
        grants = outbox.recent_grants(AT - dt.timedelta(minutes=5))
        assert grants == {2: AT + dt.timedelta(seconds=1)}

    def test_enrollment_queue(self, outbox: Outbox) -> None:
        row = outbox.queue_enrollment('{"x": 1}')
        assert outbox.pending_enrollments() == [(row, '{"x": 1}')]
        outbox.finish_enrollment(row)
        assert outbox.pending_enrollments() == []


class TestVerifyChain:
    def test_detects_gap_and_tamper(self, outbox: Outbox) -> None:
        events = [outbox.append(attempt(i)) for i in range(4)]
        assert verify_chain([events[0], events[2]])
        tampered = events[1].model_copy(update={"worker_id": 99})
        problems = verify_chain([events[0], tampered, events[2]])
        assert any("hash does not match" in p for p in problems)
