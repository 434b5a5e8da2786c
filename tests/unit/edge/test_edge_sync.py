from __future__ import annotations

import datetime as dt
import os
import random
from pathlib import Path

import httpx
import pytest
from edge_support import AT, FakeServer, make_entry

from edge.decision import Attempt
from edge.outbox import Outbox, verify_chain
from edge.roster_cache import RosterCache, roster_key
from edge.sync import Backoff, SyncClient, SyncError, SyncWorker, classify
from models.device_auth import new_private_key
from models.enums import AssignmentStatus, CredentialKind, Direction, GateMode, GateResult
from models.roster import GatePolicy
from models.sync import RosterDelta


def attempt(i: int) -> Attempt:
    return Attempt(
        at=AT + dt.timedelta(seconds=i),
        direction=Direction.IN,
        mode=GateMode.CARD_ONLY,
        result=GateResult.GRANTED,
        credential=CredentialKind.IC_CARD,
        credential_ref="A1B2C3D4",
        worker_id=1,
    )


@pytest.fixture
def parts(tmp_path: Path):  # type: ignore[no-untyped-def]
    key = new_private_key()
    server = FakeServer([make_entry(1), make_entry(2)])
    client = SyncClient(
        "http://gate.test", device_code="GATE-A-IN", key=key, transport=server.transport
    )
    outbox = Outbox(tmp_path / "o.sqlite3", device_id="GATE-A-IN", key=key)
    roster = RosterCache(tmp_path / "r.sqlite3", key=os.urandom(32))
    worker = SyncWorker(
        client,
        outbox,
        roster,
        batch_size=4,
        backoff=Backoff(0.01, 0.05, random.Random(1)),
        operator_retry_s=0.05,
    )
    yield server, outbox, roster, worker
    worker.stop()
    client.close()
    outbox.close()
    roster.close()


class TestUpload:
    def test_batches_exactly_once_through_outage(self, parts) -> None:  # type: ignore[no-untyped-def]
        server, outbox, _, worker = parts
        for i in range(10):
            outbox.append(attempt(i))
        server.down = True
        delay = worker.cycle()
        assert 0 < delay <= 0.05
        assert worker.status.last_error is not None
        assert outbox.stats().depth == 10
        server.down = False
        assert worker.cycle() == worker.idle_poll_s
        assert sorted(server.events) == list(range(1, 11))
        assert outbox.stats().depth == 0
        assert server.duplicates_total == 0
        events = [outbox.events()[i] for i in range(10)]
        assert verify_chain(events) == []

    def test_resend_after_lost_ack_is_duplicate_only(self, parts) -> None:  # type: ignore[no-untyped-def]
        server, outbox, _, worker = parts
        for i in range(3):
            outbox.append(attempt(i))
        worker.flush_events()
        outbox.reopen_above(0)  # as if the ack never reached us
        worker.flush_events()
        assert server.inserted_total == 3
        assert server.duplicates_total == 3

    def test_server_lost_data_gets_resent(self, parts) -> None:  # type: ignore[no-untyped-def]
        server, outbox, _, worker = parts
        for i in range(6):
            outbox.append(attempt(i))
        worker.flush_events()
        for seq in (5, 6):  # restored backup: the server lost the tail
            del server.events[seq]
        outbox.append(attempt(7))
        worker.flush_events()
        assert sorted(server.events) == list(range(1, 8))

    def test_409_needs_operator(self, parts) -> None:  # type: ignore[no-untyped-def]
        server, outbox, _, worker = parts
        outbox.append(attempt(1))
        server.status_override = 409
        assert worker.cycle() == 0.05
        assert worker.status.needs_operator
        server.status_override = None
        worker.cycle()
        assert not worker.status.needs_operator

    def test_401_retried_once_then_operator(self, parts) -> None:  # type: ignore[no-untyped-def]
        server, outbox, _, worker = parts
        outbox.append(attempt(1))
        server.status_override = 401
        worker.cycle()
        assert worker.status.needs_operator
        assert server.requests.count(("POST", "/api/v1/edge/events")) == 2

    def test_ack_tip_not_ours_needs_operator(self, parts) -> None:  # type: ignore[no-untyped-def]
        server, outbox, _, worker = parts
        outbox.append(attempt(1))
        worker.flush_events()
        assert outbox.stats().acked_through == 1
        outbox.append(attempt(2))
        server.tip_override = "ff" * 32  # the server answers for a record this gate never made
        assert worker.cycle() == worker.operator_retry_s
        assert worker.status.needs_operator
        assert "chain.tip_mismatch" in (worker.status.last_error or "")
        assert outbox.stats().acked_through == 1  # seq 2 is not taken as held
        server.tip_override = None
        worker.cycle()
        assert not worker.status.needs_operator
        assert outbox.stats().acked_through == 2

    def test_background_thread_uploads_and_stops(self, parts) -> None:  # type: ignore[no-untyped-def]
        server, outbox, _, worker = parts
        worker.start()
        outbox.append(attempt(1))
        worker.wake()
        for _ in range(200):
            if server.events:
                break
            import time

            time.sleep(0.01)
        worker.stop()
        assert 1 in server.events


class TestHeartbeatAndRoster:
    def test_heartbeat_triggers_roster_download(self, parts) -> None:  # type: ignore[no-untyped-def]
        _server, _, roster, worker = parts
        worker.cycle()
        assert roster.version == 3
        assert roster.snapshot.by_card_uid("A1B2C301") is not None
        assert worker.status.clock_skew_ms == 12


class TestRosterCache:
    def _delta(self, version: int, since: int, full: bool, entries, removed=()):  # type: ignore[no-untyped-def]
        return RosterDelta(
            project_id=7,
            version=version,
            since_version=since,
            full=full,
            entries=entries,
            removed=list(removed),
            policy=GatePolicy(),
        )

    def test_incremental_and_persistent(self, tmp_path: Path) -> None:
        key = roster_key(os.urandom(32))
        cache = RosterCache(tmp_path / "r.sqlite3", key=key)
        cache.apply(self._delta(1, 0, True, [make_entry(1), make_entry(2)]))
        left = make_entry(2, status=AssignmentStatus.LEFT)
        cache.apply(self._delta(2, 1, False, [left, make_entry(3)], removed=[1001]))
        with pytest.raises(ValueError, match="does not fit"):
            cache.apply(self._delta(4, 3, False, []))
        cache.close()
        again = RosterCache(tmp_path / "r.sqlite3", key=key)
        snap = again.snapshot
        assert (snap.version, len(snap)) == (2, 2)
        assert snap.by_worker_id(1) is None
        assert snap.by_worker_id(2).status is AssignmentStatus.LEFT  # type: ignore[union-attr]
        assert len(snap.index) == 2
        again.close()

    def test_encrypted_at_rest(self, tmp_path: Path) -> None:
        entry = make_entry(1)
        cache = RosterCache(tmp_path / "r.sqlite3", key=os.urandom(32))
        cache.apply(self._delta(1, 0, True, [entry]))
        cache.close()
        raw = (
            (tmp_path / "r.sqlite3").read_bytes() + (tmp_path / "r.sqlite3-wal").read_bytes()
            if (tmp_path / "r.sqlite3-wal").exists()
            else (tmp_path / "r.sqlite3").read_bytes()
        )
        assert entry.id_number.encode() not in raw

    def test_active_assignment_wins(self, tmp_path: Path) -> None:
        old = make_entry(1, status=AssignmentStatus.LEFT)
        new = make_entry(1, assignment_id=5000)
        cache = RosterCache(tmp_path / "r.sqlite3", key=os.urandom(32))
        cache.apply(self._delta(1, 0, True, [new, old]))
        assert cache.snapshot.by_id_number(new.id_number).assignment_id == 5000  # type: ignore[union-attr]
        cache.close()


class TestClassify:
    @pytest.mark.parametrize(
        ("status", "retryable"),
        [(429, True), (503, True), (401, False), (409, False), (422, False)],
    )
    def test_classes(self, status: int, retryable: bool) -> None:
        err = classify(httpx.Response(status, json={"code": "c", "message_en": "m"}))
        assert isinstance(err, SyncError)
        assert err.retryable is retryable
        assert err.code == "c"

    def test_backoff_grows_and_caps(self) -> None:
        b = Backoff(1.0, 8.0, random.Random(0))
        delays = [b.next() for _ in range(6)]
        assert 0.5 <= delays[0] <= 1.0
        assert all(4.0 <= d <= 8.0 for d in delays[3:])
        b.reset()
        assert b.next() <= 1.0
