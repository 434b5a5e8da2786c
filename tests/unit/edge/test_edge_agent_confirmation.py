"""Confirmers through the roster cache and the running agent: kept on disk, sealed, and an
opted-out worker's card opens the gate only after a confirmer's card."""

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
from edge.roster_cache import RosterCache, roster_key
from models.enums import CredentialKind, DenyReason, Direction, GateMode, GateResult
from models.roster import Confirmer, GatePolicy
from models.sync import RosterDelta

BOSS = Confirmer(confirmer_id=7, card_uid="0A0B0C0D", name="王经理", user_id=3)


def delta(version: int, confirmers: list[Confirmer], **policy: object) -> RosterDelta:
    return RosterDelta(
        project_id=7,
        version=version,
        since_version=0 if version == 1 else version - 1,
        full=version == 1,
        entries=[make_entry(5, face_opt_out=True, face_templates=[])] if version == 1 else [],
        policy=GatePolicy(**policy),  # type: ignore[arg-type]
        confirmers=confirmers,
    )


def wait_for(cond: Callable[[], bool], timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)


class TestRosterCacheConfirmers:
    def test_persisted_sealed_and_replaced_by_each_download(self, tmp_path: Path) -> None:
        key = roster_key(os.urandom(32))
        cache = RosterCache(tmp_path / "r.sqlite3", key=key)
        cache.apply(delta(1, [BOSS]))
        assert cache.snapshot.confirmer_by_card_uid("0a0b0c0d") == BOSS
        cache.close()
        raw = (tmp_path / "r.sqlite3").read_bytes()
        assert "王经理".encode() not in raw
        assert b"0A0B0C0D" not in raw
        again = RosterCache(tmp_path / "r.sqlite3", key=key)
        assert again.snapshot.confirmer_by_card_uid("0A0B0C0D") == BOSS
        # A delta carries the whole list: a deactivated confirmer is gone at once.
        again.apply(delta(2, []))
        assert again.snapshot.confirmer_by_card_uid("0A0B0C0D") is None
        assert again.snapshot.by_card_uid("A1B2C305") is not None  # entries kept
        again.close()

    def test_cache_written_before_confirmers_existed_loads(self, tmp_path: Path) -> None:
        key = os.urandom(32)
        cache = RosterCache(tmp_path / "r.sqlite3", key=key)
        cache.apply(delta(1, [BOSS]))
        cache.close()
        conn = sqlite3.connect(tmp_path / "r.sqlite3")
        conn.execute("DROP TABLE roster_confirmers")
        conn.commit()
        conn.close()
        old = RosterCache(tmp_path / "r.sqlite3", key=key)
        assert old.snapshot.confirmers == {}
        assert old.version == 1
        old.close()


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[tuple[GateAgent, FakeIcReader, FakeRelay]]:
    roster = RosterCache(tmp_path / "r.sqlite3", key=os.urandom(32))
    roster.apply(delta(1, [BOSS], confirmation_timeout_s=0.5))
    outbox = Outbox(tmp_path / "o.sqlite3", device_id="GATE-A-IN")
    reader, relay = FakeIcReader(), FakeRelay()
    agent = GateAgent(
        direction=Direction.IN,
        gate=GateSettings(mode=GateMode.CARD_AND_FACE, pass_timeout_s=0.2),
        # A working camera: without one the gate falls back to the card alone (not the
        # worker's choice), which is not what is tested here.
        devices=Devices(ic_reader=reader, relay=relay, camera=FakeCamera()),
        outbox=outbox,
        roster=roster,
        matcher=FakeMatcher(),
    )
    agent.start()
    yield agent, reader, relay
    agent.stop()
    outbox.close()
    roster.close()


class TestAgentConfirmation:
    def test_opted_out_worker_passes_only_after_confirmer_card(self, rig) -> None:  # type: ignore[no-untyped-def]
        agent, reader, relay = rig
        shown: list[str] = []
        agent.on_show = lambda zh, en: shown.append(en)
        reader.uids.put("A1B2C305")
        wait_for(lambda: "a confirmer must present their card" in shown)
        time.sleep(0.1)
        assert agent.outbox.events() == []
        assert relay.pulses == []
        reader.uids.put("0A:0B:0C:0D")  # readers may separate bytes: canonicalised by the agent
        wait_for(lambda: len(relay.pulses) == 1)
        (ev,) = agent.outbox.events()
        assert (ev.result, ev.mode, ev.credential) == (
            GateResult.GRANTED,
            GateMode.CARD_CONFIRMED,
            CredentialKind.MANUAL,
        )
        assert ev.credential_ref == "A1B2C305|by:7:0A0B0C0D"

    def test_unconfirmed_worker_refused_after_timeout(self, rig) -> None:  # type: ignore[no-untyped-def]
        agent, reader, relay = rig
        reader.uids.put("A1B2C305")
        wait_for(lambda: len(agent.outbox.events()) == 1, timeout=3.0)
        (ev,) = agent.outbox.events()
        assert (ev.result, ev.reason) == (GateResult.REFUSED, DenyReason.CONFIRMATION_TIMEOUT)
        assert relay.pulses == []
