"""A granted attempt whose relay pulse is dropped (queue full under fast taps) or fails (relay
error or timeout) is followed in the outbox chain by a refused `relay_failed` record naming it
(issue 10 item 10): never silently."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from edge_support import FakeIcReader, FakeRelay, make_context, make_entry

from edge import decision
from edge.agent import Devices, GateAgent
from edge.config import GateSettings
from edge.decision import Attempt, Passing, PulseFailed, State
from edge.outbox import Outbox, verify_chain
from edge.roster_cache import RosterCache
from models.enums import CredentialKind, DenyReason, Direction, GateMode, GateResult
from models.gate_event import GateEvent
from models.roster import GatePolicy
from models.sync import RosterDelta

UID = "A1B2C301"


def wait_for(cond: Callable[[], bool], timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)


class BrokenRelay(FakeRelay):
    """A relay board that does not answer: every pulse times out."""

    def pulse(self, ms: int) -> None:
        raise TimeoutError("relay did not acknowledge the pulse")


class StuckRelay(FakeRelay):
    """A relay whose first pulse hangs until released: the pulse queue fills behind it."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def pulse(self, ms: int) -> None:
        self.release.wait(10.0)
        super().pulse(ms)


def _agent(
    tmp_path: Path, relay: FakeRelay, *, anti_passback: bool
) -> tuple[GateAgent, FakeIcReader]:
    roster = RosterCache(tmp_path / "r.sqlite3", key=os.urandom(32))
    roster.apply(
        RosterDelta(
            project_id=7,
            version=1,
            since_version=0,
            full=True,
            entries=[make_entry(1)],
            policy=GatePolicy(anti_passback=anti_passback),
        )
    )
    reader = FakeIcReader()
    agent = GateAgent(
        direction=Direction.IN,
        gate=GateSettings(mode=GateMode.CARD_ONLY, pass_timeout_s=0.2),
        devices=Devices(ic_reader=reader, relay=relay),
        outbox=Outbox(tmp_path / "o.sqlite3", device_id="GATE-A-IN"),
        roster=roster,
    )
    return agent, reader


@pytest.fixture
def closing() -> Iterator[list[GateAgent]]:
    agents: list[GateAgent] = []
    yield agents
    for agent in agents:
        agent.stop()
        agent.outbox.close()
        agent.roster.close()


def _follow_ups(events: list[GateEvent]) -> list[GateEvent]:
    return [e for e in events if e.reason is DenyReason.RELAY_FAILED]


def _assert_follows_its_grant(events: list[GateEvent], follow_up: GateEvent) -> None:
    by_seq = {e.seq: e for e in events}
    granted = by_seq[follow_up.voids_seq or 0]
    assert granted.result is GateResult.GRANTED
    assert follow_up.result is GateResult.REFUSED
    assert follow_up.seq > granted.seq
    assert (follow_up.worker_id, follow_up.credential, follow_up.credential_ref) == (
        granted.worker_id,
        granted.credential,
        granted.credential_ref,
    )
    assert (follow_up.direction, follow_up.mode) == (granted.direction, granted.mode)
    assert follow_up.device_time >= granted.device_time


def test_failed_relay_is_followed_by_a_not_passed_record(
    tmp_path: Path, closing: list[GateAgent]
) -> None:
    agent, reader = _agent(tmp_path, BrokenRelay(), anti_passback=True)
    closing.append(agent)
    shown: list[str] = []
    agent.on_show = lambda zh, en: shown.append(en)
    agent.start()
    reader.uids.put(UID)
    wait_for(lambda: len(agent.outbox.events()) == 2)
    granted, follow_up = agent.outbox.events()
    assert granted.result is GateResult.GRANTED
    assert follow_up.voids_seq == granted.seq == 1
    _assert_follows_its_grant([granted, follow_up], follow_up)
    assert verify_chain(agent.outbox.events()) == []
    assert agent.health.relay == "fault"
    wait_for(lambda: "the gate did not open; please try again" in shown)
    # The pass did not happen: anti-passback does not refuse the worker's next try.
    reader.uids.put(UID)
    wait_for(lambda: len(agent.outbox.events()) == 4)
    third = agent.outbox.events()[2]
    assert (third.result, third.reason) == (GateResult.GRANTED, None)
    # After a restart the outbox's memory agrees: the voided grants do not count.
    since = granted.device_time.replace(year=granted.device_time.year - 1)
    assert agent.outbox.recent_grants(since) == {}


def test_dropped_pulses_under_fast_taps_are_recorded(
    tmp_path: Path, closing: list[GateAgent]
) -> None:
    relay = StuckRelay()
    agent, reader = _agent(tmp_path, relay, anti_passback=False)
    closing.append(agent)
    agent.start()
    taps = 20  # 1 pulse in the relay, 16 queued, the rest dropped
    for _ in range(taps):
        reader.uids.put(UID)
    wait_for(lambda: len([e for e in agent.outbox.events() if e.reason is None]) == taps)
    wait_for(lambda: len(_follow_ups(agent.outbox.events())) == taps - 17)
    relay.release.set()
    wait_for(lambda: len(relay.pulses) == 17)
    events = agent.outbox.events()
    follow_ups = _follow_ups(events)
    assert len(follow_ups) == taps - 17
    for f in follow_ups:
        _assert_follows_its_grant(events, f)
        # Recorded on the decision thread right after its grant: the very next record.
        assert f.seq == (f.voids_seq or 0) + 1
    assert len({f.voids_seq for f in follow_ups}) == len(follow_ups)
    assert verify_chain(events) == []


def test_pulse_failed_step_is_pure() -> None:
    import datetime as dt

    at = dt.datetime(2026, 5, 1, 7, 30, tzinfo=dt.UTC)
    granted = Attempt(
        at=at,
        direction=Direction.OUT,
        mode=GateMode.CARD_AND_FACE,
        result=GateResult.GRANTED,
        credential=CredentialKind.ID_CARD,
        credential_ref="110101********1234",
        worker_id=9,
        face_score=0.31,
    )
    state = State(Passing(9, 10.0), {9: at, 4: at})
    later = at + dt.timedelta(seconds=1)
    ctx = make_context([make_entry(9)])
    new, actions = decision.step(state, PulseFailed(granted, 41, 1.0, later), ctx)
    assert new.phase == decision.Idle()
    assert dict(new.last_grant) == {4: at}
    record = actions[0]
    assert isinstance(record, decision.Record)
    assert record.attempt == Attempt(
        at=later,
        direction=Direction.OUT,
        mode=GateMode.CARD_AND_FACE,
        result=GateResult.REFUSED,
        credential=CredentialKind.ID_CARD,
        credential_ref="110101********1234",
        worker_id=9,
        reason=DenyReason.RELAY_FAILED,
        voids_seq=41,
    )
