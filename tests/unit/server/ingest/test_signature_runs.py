"""Which events of a batch fail their signature check at ingest (ingest.service._unsigned)."""

from __future__ import annotations

import datetime as dt
import uuid

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from models.device_auth import new_private_key, public_key_hex, sign_event_hash
from models.enums import Direction, GateMode, GateResult
from models.gate_event import GENESIS_HASH, GateEvent, GateEventBody, seal
from server.ingest.service import _unsigned

T0 = dt.datetime(2026, 10, 1, 8, tzinfo=dt.UTC)


def chain(
    key: Ed25519PrivateKey, n: int, *, start: int = 1, prev: str = GENESIS_HASH
) -> list[GateEvent]:
    out = []
    for seq in range(start, start + n):
        body = GateEventBody(
            event_id=uuid.uuid4(),
            device_id="G",
            seq=seq,
            device_time=T0 + dt.timedelta(seconds=seq),
            direction=Direction.IN,
            mode=GateMode.CARD_ONLY,
            result=GateResult.GRANTED,
            prev_hash=prev,
        )
        event = seal(body)
        event = event.model_copy(update={"signature": sign_event_hash(key, event.hash)})
        out.append(event)
        prev = event.hash
    return out


def forged(event: GateEvent, other: Ed25519PrivateKey) -> GateEvent:
    return event.model_copy(update={"signature": sign_event_hash(other, event.hash)})


class TestUnsigned:
    def test_all_good(self) -> None:
        key = new_private_key()
        events = {e.seq: e for e in chain(key, 50)}
        assert _unsigned(events, public_key_hex(key), every=False) == []
        assert _unsigned(events, public_key_hex(key), every=True) == []

    def test_bad_tip_is_named_and_the_rest_pass(self) -> None:
        key, other = new_private_key(), new_private_key()
        events = chain(key, 10)
        events[-1] = forged(events[-1], other)
        assert _unsigned({e.seq: e for e in events}, public_key_hex(key), every=False) == [10]

    def test_bad_middle_passes_through_the_signed_tip_unless_every(self) -> None:
        # The tip's signature covers event 5's body through the chain, so the run is proven;
        # the bad per-event signature is still found by `every` and by verify_chain at rest.
        key, other = new_private_key(), new_private_key()
        events = chain(key, 10)
        events[4] = forged(events[4], other)
        by_seq = {e.seq: e for e in events}
        assert _unsigned(by_seq, public_key_hex(key), every=False) == []
        assert _unsigned(by_seq, public_key_hex(key), every=True) == [5]

    def test_a_broken_link_starts_a_new_run_with_its_own_tip(self) -> None:
        key, other = new_private_key(), new_private_key()
        first = chain(key, 5)
        second = chain(key, 5, start=6, prev="f" * 64)  # does not link to seq 5
        second[-1] = forged(second[-1], other)
        by_seq = {e.seq: e for e in first + second}
        assert _unsigned(by_seq, public_key_hex(key), every=False) == [10]

    def test_a_gap_starts_a_new_run(self) -> None:
        key, other = new_private_key(), new_private_key()
        events = chain(key, 6)
        events[2] = forged(events[2], other)  # seq 3 is the tip of the run 1..3 once 4 is gone
        by_seq = {e.seq: e for e in events if e.seq != 4}
        assert _unsigned(by_seq, public_key_hex(key), every=False) == [3]

    def test_unusable_key_refuses_everything(self) -> None:
        events = {e.seq: e for e in chain(new_private_key(), 3)}
        assert _unsigned(events, "zz", every=False) == [1, 2, 3]
