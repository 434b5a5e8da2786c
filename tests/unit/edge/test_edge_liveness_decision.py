"""The live-person check in the gate decision (GatePolicy.liveness): off, log, require."""

from __future__ import annotations

import datetime as dt

from edge_support import AT, make_context, make_entry

from edge.decision import (
    AwaitConfirmation,
    AwaitFace,
    CardPresented,
    Context,
    Credential,
    FaceObserved,
    Idle,
    Passing,
    Record,
    State,
    Tick,
    Tracking,
    step,
)
from edge.face import FaceOutcome, FaceSample
from models.enums import CredentialKind, DenyReason, GateMode, GateResult, LivenessPolicy
from models.enums import LivenessResult as L
from models.roster import GatePolicy

ENTRIES = [make_entry(i) for i in range(1, 3)]


def ctx(policy: LivenessPolicy, mode: GateMode = GateMode.CARD_AND_FACE) -> Context:
    return make_context(ENTRIES, mode=mode, project=GatePolicy(liveness=policy))


def card(t: float = 0.0) -> CardPresented:
    return CardPresented(
        Credential(CredentialKind.ID_CARD, ENTRIES[0].id_number), t, AT + dt.timedelta(seconds=t)
    )


def face(outcome: FaceOutcome, t: float, live: L | None = None) -> FaceObserved:
    sample = FaceSample(outcome, worker_id=1, distance=0.3, liveness=live)
    return FaceObserved(sample, t, AT + dt.timedelta(seconds=t))


MATCH, MISS = FaceOutcome.MATCH, FaceOutcome.MISMATCH


def run(c: Context, *inputs: CardPresented | FaceObserved) -> tuple[State, list[Record]]:
    state: State = State()
    recs: list[Record] = []
    for inp in inputs:
        state, actions = step(state, inp, c)
        recs += [a for a in actions if isinstance(a, Record)]
    return state, recs


def test_off_grants_on_the_first_match_and_records_nothing_of_liveness() -> None:
    state, recs = run(ctx(LivenessPolicy.OFF), card(), face(MATCH, 0.1))
    assert isinstance(state.phase, Passing)
    assert recs[0].attempt.liveness is None


def test_require_waits_for_the_answer_then_a_matching_frame() -> None:
    c = ctx(LivenessPolicy.REQUIRE)
    state, recs = run(c, card(), face(MATCH, 0.1))
    assert isinstance(state.phase, AwaitFace)  # matched, challenge open: no pass yet
    assert recs == []
    # the answer's own frame (eyes shut, head turned) need not match; the next one must
    state, recs = run(c, card(), face(MATCH, 0.1), face(MISS, 0.5, L.PASSED))
    assert isinstance(state.phase, AwaitFace)
    assert recs == []
    state, recs = run(c, card(), face(MATCH, 0.1), face(MISS, 0.5, L.PASSED), face(MATCH, 0.6))
    assert isinstance(state.phase, Passing)
    (rec,) = recs
    assert (rec.attempt.result, rec.attempt.liveness) == (GateResult.GRANTED, L.PASSED)


def test_require_refuses_a_failed_challenge_and_offers_the_confirmation_lane() -> None:
    c = ctx(LivenessPolicy.REQUIRE)
    state, recs = run(c, card(), face(MATCH, 0.1), face(MATCH, 0.4, L.FAILED))
    assert isinstance(state.phase, AwaitConfirmation)
    (rec,) = recs
    assert rec.attempt.result is GateResult.REFUSED
    assert rec.attempt.reason is DenyReason.LIVENESS_FAILED
    assert rec.attempt.liveness is L.FAILED


def test_require_times_out_a_matched_face_that_never_answers() -> None:
    c = ctx(LivenessPolicy.REQUIRE)
    deadline = c.gate.face_timeout_s
    state, recs = run(c, card(), face(MATCH, 0.1), face(MATCH, 0.3))
    state, actions = step(state, Tick(deadline + 0.1, AT), c)
    (rec,) = [a for a in actions if isinstance(a, Record)]
    assert rec.attempt.reason is DenyReason.LIVENESS_TIMEOUT
    assert rec.attempt.liveness is L.TIMEOUT
    assert isinstance(state.phase, AwaitConfirmation)
    # the tracker's own timeout decides the same way, before the card + face deadline
    _, recs = run(c, card(), face(MATCH, 0.1), face(MATCH, 2.1, L.TIMEOUT))
    assert recs[0].attempt.reason is DenyReason.LIVENESS_TIMEOUT


def test_a_face_that_never_matched_keeps_its_own_reason() -> None:
    c = ctx(LivenessPolicy.REQUIRE)
    deadline = c.gate.face_timeout_s
    state, _ = run(c, card(), face(FaceOutcome.NO_FACE, 0.1, L.PASSED))
    state, actions = step(state, Tick(deadline + 0.1, AT), c)
    (rec,) = [a for a in actions if isinstance(a, Record)]
    assert rec.attempt.reason is DenyReason.NO_FACE
    assert rec.attempt.liveness is None


def test_log_never_refuses_but_seals_the_result() -> None:
    c = ctx(LivenessPolicy.LOG)
    for live in (L.FAILED, L.TIMEOUT):
        state, recs = run(c, card(), face(MATCH, 0.1), face(MATCH, 0.5, live))
        assert isinstance(state.phase, Passing)
        assert (recs[0].attempt.result, recs[0].attempt.liveness) == (GateResult.GRANTED, live)
    state, recs = run(c, card(), face(MATCH, 0.1), face(MATCH, 0.5, L.PASSED), face(MATCH, 0.6))
    assert recs[0].attempt.liveness is L.PASSED
    # log mode at the card + face deadline: granted, sealed as a timeout
    state, _ = run(c, card(), face(MATCH, 0.1))
    state, actions = step(state, Tick(c.gate.face_timeout_s + 1, AT), c)
    (rec,) = [a for a in actions if isinstance(a, Record)]
    assert (rec.attempt.result, rec.attempt.liveness) == (GateResult.GRANTED, L.TIMEOUT)


def test_face_only_waits_for_the_challenge_too() -> None:
    c = ctx(LivenessPolicy.REQUIRE, GateMode.FACE_ONLY)
    state, recs = run(c, face(MATCH, 0.1))
    assert isinstance(state.phase, Tracking)
    assert recs == []
    state, recs = run(c, face(MATCH, 0.1), face(MATCH, 0.4, L.PASSED), face(MATCH, 0.5))
    assert isinstance(state.phase, Passing)
    assert recs[0].attempt.liveness is L.PASSED
    state, recs = run(c, face(MATCH, 0.1), face(MATCH, 0.4, L.FAILED))
    assert recs[0].attempt.reason is DenyReason.LIVENESS_FAILED
    assert not isinstance(state.phase, Passing | Idle)  # cooldown, not a pass


def test_the_record_seals_liveness_in_its_hash() -> None:
    from models.gate_event import GENESIS_HASH, GateEventBody, seal, verify_hash

    body = GateEventBody.model_validate(
        {
            "event_id": "7b0e7c8e-4c8a-4b7e-9d55-4c0a1f0b9e11",
            "device_id": "GATE-A-IN",
            "seq": 1,
            "device_time": AT,
            "direction": "in",
            "mode": "card_and_face",
            "result": "granted",
            "liveness": "passed",
            "prev_hash": GENESIS_HASH,
        }
    )
    event = seal(body)
    assert b'"liveness":"passed"' in body.canonical_bytes()
    assert verify_hash(event)
    assert not verify_hash(event.model_copy(update={"liveness": L.FAILED}))
    # a record without the check keeps the canonical form it had before the field existed
    plain = body.model_copy(update={"liveness": None})
    assert b"liveness" not in plain.canonical_bytes()
