"""POST /api/v1/edge/events: idempotent batches, the contiguous ack, and the hash chain."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.device_auth import new_private_key
from models.sync import EventBatch
from server.ingest.models import ChainBreak, GateEventRow
from server.reconciliation.models import Finding
from server.registry.models import Device, Project
from tests.factories import make_device
from tests.integration.server.ingest.ingest_support import Gate


def _ack(gate: Gate, events: list) -> dict:  # type: ignore[type-arg]
    r = gate.upload(events)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _count(session: Session, device: Device) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(GateEventRow)
            .where(GateEventRow.device_id == device.id)
        )
        or 0
    )


def _breaks(session: Session, device: Device) -> list[tuple[int, str]]:
    rows = session.scalars(select(ChainBreak).where(ChainBreak.device_id == device.id))
    return sorted((b.seq, b.kind) for b in rows)


def _findings(session: Session, project: Project) -> list[Finding]:
    return list(session.scalars(select(Finding).where(Finding.project_id == project.id)))


class TestIdempotentBatches:
    def test_first_batch(self, session: Session, gate: Gate) -> None:
        ack = _ack(gate, gate.chain(1, 5))
        assert ack == {
            "inserted": 5,
            "duplicates": 0,
            "highest_contiguous_seq": 5,
            "tip_hash": gate.hashes[5],
            "chain_breaks": 0,
            "errors": [],
        }
        session.refresh(gate.device)
        assert gate.device.highest_contiguous_seq == 5
        assert gate.device.chain_tip_hash == gate.hashes[5]
        assert gate.device.acked_count == 5
        assert gate.device.last_event_at is not None
        stored = session.scalars(
            select(GateEventRow).where(
                GateEventRow.device_id == gate.device.id, GateEventRow.seq == 3
            )
        ).one()
        assert stored.chain_ok
        assert stored.project_id == gate.device.project_id

    def test_same_batch_twice(self, session: Session, gate: Gate) -> None:
        events = gate.chain(1, 4)
        _ack(gate, events)
        again = _ack(gate, events)
        assert again["inserted"] == 0
        assert again["duplicates"] == 4
        assert again["highest_contiguous_seq"] == 4
        assert _count(session, gate.device) == 4

    def test_overlapping_resend(self, session: Session, gate: Gate) -> None:
        events = gate.chain(1, 6)
        _ack(gate, events[:4])
        ack = _ack(gate, events[2:])
        assert (ack["inserted"], ack["duplicates"], ack["highest_contiguous_seq"]) == (2, 2, 6)

    def test_same_uuid_other_seq_never_stored_twice(self, session: Session, gate: Gate) -> None:
        first = gate.chain(1, 1)[0]
        _ack(gate, [first])
        clash = gate.event(2, event_id=first.event_id)
        ack = _ack(gate, [clash])
        assert ack["inserted"] == 0
        assert ack["errors"][0]["code"] == "event.duplicate_event_id"
        assert ack["highest_contiguous_seq"] == 1
        assert _count(session, gate.device) == 1

    def test_duplicate_inside_one_batch(self, session: Session, gate: Gate) -> None:
        events = gate.chain(1, 3)
        ack = _ack(gate, [*events, events[1]])
        assert (ack["inserted"], ack["duplicates"]) == (3, 1)


class TestGaps:
    def test_gap_then_fill(self, session: Session, gate: Gate) -> None:
        e1, e2, e3, e4 = gate.chain(1, 4)
        ack = _ack(gate, [e1, e2, e4])
        assert ack["highest_contiguous_seq"] == 2
        assert ack["inserted"] == 3
        ack = _ack(gate, [e3])
        assert ack["highest_contiguous_seq"] == 4
        assert ack["chain_breaks"] == 0
        session.refresh(gate.device)
        assert gate.device.chain_tip_hash == e4.hash

    def test_fill_joins_a_long_stored_run(self, session: Session, gate: Gate) -> None:
        events = gate.chain(1, 1200)
        _ack(gate, events[:1])
        _ack(gate, events[2:1000])
        _ack(gate, events[1000:])
        ack = _ack(gate, events[1:2])
        assert ack["highest_contiguous_seq"] == 1200

    def test_nothing_before_seq_one(self, gate: Gate) -> None:
        gate.chain(1, 2)
        ack = _ack(gate, [gate.event(3)])
        assert ack["highest_contiguous_seq"] == 0


class TestChain:
    def test_prev_mismatch_is_stored_and_raised(
        self, session: Session, project: Project, gate: Gate
    ) -> None:
        e1, e2 = gate.chain(1, 2)
        bad = gate.event(3, prev_hash="ab" * 32)
        ack = _ack(gate, [e1, e2, bad])
        assert ack["inserted"] == 3
        assert ack["chain_breaks"] == 1
        assert ack["highest_contiguous_seq"] == 3  # stored, so acknowledged: never dropped
        row = session.scalars(select(GateEventRow).where(GateEventRow.event_id == bad.event_id))
        assert row.one().chain_ok is False
        assert _breaks(session, gate.device) == [(3, "prev_mismatch")]
        (finding,) = _findings(session, project)
        assert finding.kind == "CHAIN_BREAK"
        assert finding.level == "red"
        assert finding.period == "2026-05"
        assert finding.device_id == gate.device.id
        assert finding.message_zh.startswith(f"闸机 {gate.code} 第 3 条记录")
        # Re-sending the broken event raises nothing twice.
        again = _ack(gate, [bad])
        assert again["duplicates"] == 1
        assert len(_findings(session, project)) == 1

    def test_break_found_when_the_gap_fills(self, session: Session, gate: Gate) -> None:
        e1, e2 = gate.chain(1, 2)
        e3 = gate.event(3, prev_hash="cd" * 32)  # seq 3 does not follow seq 2
        _ack(gate, [e1, e3])
        ack = _ack(gate, [e2])
        assert ack["chain_breaks"] == 1
        assert _breaks(session, gate.device) == [(3, "prev_mismatch")]
        row = session.scalars(
            select(GateEventRow).where(
                GateEventRow.device_id == gate.device.id, GateEventRow.seq == 3
            )
        ).one()
        session.refresh(row)
        assert row.chain_ok is False

    def test_first_event_must_start_from_genesis(self, session: Session, gate: Gate) -> None:
        ack = _ack(gate, [gate.event(1, prev_hash="ef" * 32)])
        assert ack["chain_breaks"] == 1

    def test_fork_is_refused_and_raised(
        self, session: Session, project: Project, gate: Gate
    ) -> None:
        e1, e2 = gate.chain(1, 2)
        _ack(gate, [e1, e2])
        other = gate.event(2, prev_hash=e1.hash, result="refused", reason="left")
        ack = _ack(gate, [other])
        assert ack["inserted"] == 0
        assert ack["errors"] == [
            {"index": 0, "code": "event.fork", "message": ack["errors"][0]["message"]}
        ]
        assert _breaks(session, gate.device) == [(2, "fork")]
        stored = session.scalars(
            select(GateEventRow.hash).where(
                GateEventRow.device_id == gate.device.id, GateEventRow.seq == 2
            )
        ).one()
        assert stored == e2.hash
        assert len(_findings(session, project)) == 1

    def test_bad_signature_is_not_stored(self, session: Session, gate: Gate) -> None:
        e1 = gate.event(1)
        forged = gate.event(2, key=new_private_key())
        ack = _ack(gate, [e1, forged])
        assert ack["inserted"] == 1
        assert ack["highest_contiguous_seq"] == 1
        assert ack["errors"][0]["index"] == 1
        assert ack["errors"][0]["code"] == "event.bad_signature"
        assert _breaks(session, gate.device) == [(2, "bad_signature")]
        assert _count(session, gate.device) == 1

    def test_altered_body_is_bad_hash(self, session: Session, gate: Gate) -> None:
        e1 = gate.event(1)
        altered = e1.model_copy(update={"worker_id": 99})
        ack = _ack(gate, [altered])
        assert ack["errors"][0]["code"] == "event.bad_hash"
        assert _count(session, gate.device) == 0

    def test_event_of_another_device_is_refused(
        self, client: TestClient, session: Session, project: Project, gate: Gate
    ) -> None:
        other = Gate.provision(client, session, make_device(session, project))
        theirs = other.event(1)  # signed by the other gate, carried by this one
        ack = _ack(gate, [gate.event(1), theirs])
        assert ack["inserted"] == 1
        assert ack["errors"][0]["index"] == 1
        assert ack["errors"][0]["code"] == "event.wrong_device"
        # Claiming to be the other device but signed with this gate's key: bad signature.
        spoofed = gate.event(2, device_code=other.code)
        r = other.upload([spoofed])
        assert r.json()["errors"][0]["code"] == "event.bad_signature"


class TestLimits:
    def test_1001_events_is_422(self, gate: Gate) -> None:
        events = gate.chain(1, 2)
        body = EventBatch.model_construct(events=events * 501).model_dump_json().encode()
        r = gate.post("/api/v1/edge/events", body)
        assert r.status_code == 422
        assert r.json()["detail"][0]["field"] == "events"

    def test_1000_events_in_one_request(self, gate: Gate) -> None:
        ack = _ack(gate, gate.chain(1, 1000))
        assert ack["highest_contiguous_seq"] == 1000

    def test_malformed_json_is_422_not_500(self, gate: Gate) -> None:
        r = gate.post("/api/v1/edge/events", b"{not json")
        assert r.status_code == 422

    def test_unsigned_batch_is_401(self, client: TestClient, gate: Gate) -> None:
        r = client.post("/api/v1/edge/events", json={"events": []})
        assert r.status_code == 401
