"""The agent asks each face attempt's live-person challenge and seals the answer in the record."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from edge_support import FakeCamera, FakeIcReader, FakeMatcher, FakeRelay, make_entry
from test_liveness import face

from edge.agent import Devices, GateAgent
from edge.config import GateSettings
from edge.outbox import Outbox
from edge.roster_cache import RosterCache
from models.enums import DenyReason, Direction, GateMode, GateResult, LivenessPolicy
from models.enums import LivenessResult as L
from models.roster import GatePolicy
from models.sync import RosterDelta

Points = list[tuple[float, float]]


def wait_for(cond: Callable[[], bool], timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)


class Landmarks:
    """The 68 points the camera 'sees', frame by frame: a script, then its last frame again."""

    def __init__(self) -> None:
        self.script: list[Points] = []
        self.calls = 0

    def __call__(self, image_rgb: Any, box: tuple[int, int, int, int]) -> Points:
        self.calls += 1
        if len(self.script) > 1:
            return self.script.pop(0)
        return self.script[0] if self.script else face()


@pytest.fixture
def gate(
    tmp_path: Path,
) -> Iterator[tuple[GateAgent, FakeIcReader, FakeRelay, Landmarks, list[str]]]:
    roster = RosterCache(tmp_path / "r.sqlite3", key=os.urandom(32))
    policy = GatePolicy(anti_passback=False, liveness=LivenessPolicy.REQUIRE)
    roster.apply(
        RosterDelta(
            project_id=7,
            version=1,
            since_version=0,
            full=True,
            entries=[make_entry(1)],
            policy=policy,
        )
    )
    outbox = Outbox(tmp_path / "o.sqlite3", device_id="GATE-A-IN")
    reader, relay, camera = FakeIcReader(), FakeRelay(), FakeCamera()
    camera.person = 1
    shown: list[str] = []
    marks = Landmarks()
    agent = GateAgent(
        direction=Direction.IN,
        gate=GateSettings(
            mode=GateMode.CARD_AND_FACE,
            face_timeout_s=3.0,
            liveness_timeout_s=0.6,
            pass_timeout_s=0.2,
        ),
        devices=Devices(ic_reader=reader, relay=relay, camera=camera),
        outbox=outbox,
        roster=roster,
        matcher=FakeMatcher(),
        on_show=lambda zh, en: shown.append(zh),
        landmarks=marks,
        rng=random.Random(1),  # seed 1: the first challenge is a blink
    )
    agent.start()
    yield agent, reader, relay, marks, shown
    agent.stop()
    outbox.close()
    roster.close()


def test_a_blink_after_the_prompt_opens_the_gate_and_is_sealed(gate: Any) -> None:
    agent, reader, relay, marks, shown = gate
    opened, shut = face(), face(eyes_open=0.1)
    marks.script = [opened] * 4 + [shut] * 2 + [opened]
    reader.uids.put("a1b2c301")
    wait_for(lambda: len(relay.pulses) == 1)
    ev = agent.outbox.events()[0]
    assert (ev.result, ev.worker_id, ev.liveness) == (GateResult.GRANTED, 1, L.PASSED)
    assert "请眨眼" in shown
    assert marks.calls >= 8  # the answer, then a matching frame after it


def test_a_still_picture_is_refused_and_offered_the_confirmation_lane(gate: Any) -> None:
    agent, reader, relay, marks, shown = gate
    marks.script = [face()]  # the same open eyes, frame after frame
    reader.uids.put("a1b2c301")
    wait_for(lambda: len(agent.outbox.events()) == 1)
    ev = agent.outbox.events()[0]
    assert (ev.result, ev.reason, ev.liveness) == (
        GateResult.REFUSED,
        DenyReason.LIVENESS_TIMEOUT,
        L.TIMEOUT,
    )
    assert relay.pulses == []
    assert "请管理人员刷卡确认" in shown
