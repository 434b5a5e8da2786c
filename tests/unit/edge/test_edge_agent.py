"""The agent's wiring with in-test devices: record before relay, no record → no relay."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from edge_support import FakeCamera, FakeIcReader, FakeMatcher, FakeRelay, make_entry

from edge.agent import Devices, GateAgent
from edge.config import GateSettings
from edge.outbox import Outbox
from edge.roster_cache import RosterCache
from models.enums import DenyReason, Direction, GateMode, GateResult
from models.gate_event import GateEvent
from models.roster import GatePolicy
from models.sync import RosterDelta


def wait_for(cond: Callable[[], bool], timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)


@pytest.fixture
def rig(
    tmp_path: Path,
) -> Iterator[tuple[GateAgent, FakeIcReader, FakeRelay, FakeCamera, list[str]]]:
    roster = RosterCache(tmp_path / "r.sqlite3", key=os.urandom(32))
    roster.apply(
        RosterDelta(
            project_id=7,
            version=1,
            since_version=0,
            full=True,
            entries=[make_entry(1), make_entry(2)],
            policy=GatePolicy(anti_passback=False),
        )
    )
    outbox = Outbox(tmp_path / "o.sqlite3", device_id="GATE-A-IN")
    reader, relay, camera = FakeIcReader(), FakeRelay(), FakeCamera()
    seen: list[str] = []

    def before_pulse(event: GateEvent) -> None:
        # Another connection must already see the row: it is committed before the relay moves.
        conn = sqlite3.connect(outbox.path)
        row = conn.execute(
            "SELECT result FROM event WHERE event_id = ?", (str(event.event_id),)
        ).fetchone()
        conn.close()
        seen.append(row[0] if row else "MISSING")

    agent = GateAgent(
        direction=Direction.IN,
        gate=GateSettings(mode=GateMode.CARD_AND_FACE, face_timeout_s=1.0, pass_timeout_s=0.2),
        devices=Devices(ic_reader=reader, relay=relay, camera=camera),
        outbox=outbox,
        roster=roster,
        matcher=FakeMatcher(),
        before_pulse=before_pulse,
    )
    agent.start()
    yield agent, reader, relay, camera, seen
    agent.stop()
    outbox.close()
    roster.close()


def events(agent: GateAgent) -> list[GateEvent]:
    return agent.outbox.events()


class TestGateAgent:
    def test_right_person_then_wrong_person(self, rig) -> None:  # type: ignore[no-untyped-def]
        agent, reader, relay, camera, seen = rig
        camera.person = 1
        reader.uids.put("a1b2c301")
        wait_for(lambda: len(relay.pulses) == 1)
        assert seen == ["granted"]
        ev = events(agent)[0]
        assert (ev.result, ev.worker_id, ev.mode) == (GateResult.GRANTED, 1, GateMode.CARD_AND_FACE)
        assert ev.face_score == 0.0
        time.sleep(0.3)  # passage timeout
        camera.person = 2  # someone else holding worker 1's card
        reader.uids.put("A1B2C301")
        wait_for(lambda: len(events(agent)) == 2)
        ev = events(agent)[1]
        assert (ev.result, ev.reason) == (GateResult.REFUSED, DenyReason.FACE_MISMATCH)
        assert len(relay.pulses) == 1

    def test_unknown_card_and_nobody_at_camera(self, rig) -> None:  # type: ignore[no-untyped-def]
        agent, reader, relay, _camera, _ = rig
        reader.uids.put("DEADBEEF")
        wait_for(lambda: len(events(agent)) == 1)
        assert events(agent)[0].reason is DenyReason.UNKNOWN_CREDENTIAL
        reader.uids.put("A1B2C302")  # camera sees nobody → no face at the timeout
        wait_for(lambda: len(events(agent)) == 2, timeout=3.0)
        assert events(agent)[1].reason is DenyReason.NO_FACE
        assert relay.pulses == []

    def test_outbox_failure_keeps_gate_shut(self, rig) -> None:  # type: ignore[no-untyped-def]
        agent, reader, relay, camera, _ = rig

        def broken(_: object) -> GateEvent:
            raise sqlite3.OperationalError("disk I/O error")

        agent.outbox.append = broken  # type: ignore[method-assign]
        camera.person = 1
        reader.uids.put("A1B2C301")
        wait_for(lambda: agent.health.outbox == "fault")
        time.sleep(0.2)
        assert relay.pulses == []
