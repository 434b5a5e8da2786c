"""The gate decision as a table: inputs in, (state, actions) out; no clock, no devices."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from edge_support import AT, make_context, make_entry

from edge.decision import (
    AwaitConfirmation,
    AwaitFace,
    CardPresented,
    Cooldown,
    Credential,
    DoorPassed,
    FaceObserved,
    IdentifyJob,
    Idle,
    OpenRelay,
    Passing,
    Record,
    State,
    Tick,
    Tracking,
    VerifyJob,
    face_job,
    step,
)
from edge.face import FaceOutcome, FaceSample
from models.enums import AssignmentStatus, CredentialKind, DenyReason, GateMode, GateResult
from models.roster import GatePolicy

ENTRIES = [make_entry(i) for i in range(1, 4)] + [
    make_entry(4, status=AssignmentStatus.LEFT, left_on=dt.date(2026, 2, 1)),
    make_entry(5, face_opt_out=True, face_templates=[]),
]
CTX = make_context(ENTRIES)


def card(worker: int, t: float = 0.0) -> CardPresented:
    entry = next(e for e in ENTRIES if e.worker_id == worker)
    return CardPresented(
        Credential(CredentialKind.ID_CARD, entry.id_number), t, AT + dt.timedelta(seconds=t)
    )


def ic(uid: str, t: float = 0.0) -> CardPresented:
    return CardPresented(Credential(CredentialKind.IC_CARD, uid), t, AT + dt.timedelta(seconds=t))


def face(sample: FaceSample, t: float) -> FaceObserved:
    return FaceObserved(sample, t, AT + dt.timedelta(seconds=t))


def tick(t: float) -> Tick:
    return Tick(t, AT + dt.timedelta(seconds=t))


def records(actions: list[object]) -> list[Record]:
    return [a for a in actions if isinstance(a, Record)]


MATCH1 = FaceSample(FaceOutcome.MATCH, worker_id=1, distance=0.31)
MISS1 = FaceSample(FaceOutcome.MISMATCH, worker_id=1, distance=0.72)


class TestCardAndFace:
    def test_right_person_passes_record_before_relay(self) -> None:
        state, actions = step(State(), card(1), CTX)
        assert isinstance(state.phase, AwaitFace)
        assert records(actions) == []
        job = face_job(state, CTX)
        assert isinstance(job, VerifyJob)
        assert job.worker_id == 1
        state, actions = step(state, face(MATCH1, 0.4), CTX)
        assert isinstance(state.phase, Passing)
        kinds = [type(a) for a in actions]
        assert kinds.index(Record) < kinds.index(OpenRelay)
        attempt = records(actions)[0].attempt
        assert attempt.result is GateResult.GRANTED
        assert attempt.mode is GateMode.CARD_AND_FACE
        assert attempt.worker_id == 1
        assert attempt.face_score == 0.31
        assert attempt.credential_ref is not None
        assert "*" in attempt.credential_ref
        assert attempt.at == AT + dt.timedelta(seconds=0.4)

    def test_other_face_refused_after_failures(self) -> None:
        state, _ = step(State(), card(1), CTX)
        for i in range(2):
            state, actions = step(state, face(MISS1, 0.1 * (i + 1)), CTX)
            assert actions == []
        state, actions = step(state, face(MISS1, 0.3), CTX)
        # Refused and on record at once; a confirmer may still vouch (see test_edge_confirmation).
        assert isinstance(state.phase, AwaitConfirmation)
        assert state.phase.recorded
        (rec,) = records(actions)
        assert rec.attempt.result is GateResult.REFUSED
        assert rec.attempt.reason is DenyReason.FACE_MISMATCH
        assert not any(isinstance(a, OpenRelay) for a in actions)

    def test_face_timeout(self) -> None:
        state, _ = step(State(), card(1), CTX)
        state, actions = step(state, face(FaceSample(FaceOutcome.NO_FACE), 1.0), CTX)
        state, actions = step(state, tick(4.9), CTX)
        assert actions == []
        state, actions = step(state, tick(5.0), CTX)
        assert records(actions)[0].attempt.reason is DenyReason.NO_FACE
        state, _ = step(State(), card(1), CTX)
        _, actions = step(state, tick(6.0), CTX)
        assert records(actions)[0].attempt.reason is DenyReason.FACE_TIMEOUT

    def test_new_card_ends_pending_attempt_on_record(self) -> None:
        state, _ = step(State(), card(1), CTX)
        state, actions = step(state, card(2, 1.0), CTX)
        (rec,) = records(actions)
        assert (rec.attempt.worker_id, rec.attempt.reason) == (1, DenyReason.FACE_TIMEOUT)
        assert isinstance(state.phase, AwaitFace)
        assert state.phase.entry.worker_id == 2

    def test_opt_out_worker_passes_card_only_without_confirmation_policy(self) -> None:
        off = make_context(ENTRIES, project=GatePolicy(manager_confirmation=False))
        _state, actions = step(State(), card(5), off)
        attempt = records(actions)[0].attempt
        assert (attempt.result, attempt.mode) == (GateResult.GRANTED, GateMode.CARD_ONLY)

    def test_camera_down_falls_back_to_card_only(self) -> None:
        down = replace(CTX, camera_ok=False)
        _, actions = step(State(), card(1), down)
        attempt = records(actions)[0].attempt
        assert (attempt.result, attempt.mode) == (GateResult.GRANTED, GateMode.CARD_ONLY)
        # …also when the camera dies while the face is awaited
        state, _ = step(State(), card(2), CTX)
        _, actions = step(state, tick(0.5), down)
        assert records(actions)[0].attempt.mode is GateMode.CARD_ONLY

    def test_camera_down_without_fallback_waits_for_face(self) -> None:
        strict = make_context(ENTRIES, camera_ok=False, card_only_fallback=False)
        state, _actions = step(State(), card(1), strict)
        assert isinstance(state.phase, AwaitFace)


class TestRefusalsBeforeFace:
    def test_unknown_ic_card(self) -> None:
        state, actions = step(State(), ic("DEADBEEF"), CTX)
        attempt = records(actions)[0].attempt
        assert attempt.reason is DenyReason.UNKNOWN_CREDENTIAL
        assert attempt.credential_ref == "DEADBEEF"
        assert isinstance(state.phase, Idle)

    def test_valid_id_not_on_roster(self) -> None:
        stranger = make_entry(77)
        inp = CardPresented(Credential(CredentialKind.ID_CARD, stranger.id_number), 0.0, AT)
        attempt = records(step(State(), inp, CTX)[1])[0].attempt
        assert attempt.reason is DenyReason.NOT_ON_ROSTER
        assert (
            attempt.credential_ref == stranger.id_number[:6] + "********" + stranger.id_number[-4:]
        )

    def test_left_worker(self) -> None:
        attempt = records(step(State(), card(4), CTX)[1])[0].attempt
        assert (attempt.worker_id, attempt.reason) == (4, DenyReason.LEFT)

    def test_ic_card_of_known_worker(self) -> None:
        state, _ = step(State(), ic("a1b2c302"), CTX)
        assert isinstance(state.phase, AwaitFace)
        assert state.phase.entry.worker_id == 2

    def test_expired_card_in_hand(self) -> None:
        entry = ENTRIES[0]
        cred = Credential(CredentialKind.ID_CARD, entry.id_number, dt.date(2026, 1, 1))
        attempt = records(step(State(), CardPresented(cred, 0.0, AT), CTX)[1])[0].attempt
        assert attempt.reason is DenyReason.ID_CARD_EXPIRED


class TestPassingAndPassback:
    def _granted(self) -> State:
        state, _ = step(State(), card(1), CTX)
        state, _ = step(state, face(MATCH1, 0.3), CTX)
        return state

    def test_door_or_timeout_returns_to_idle(self) -> None:
        state = self._granted()
        assert isinstance(step(state, DoorPassed(1.0, AT), CTX)[0].phase, Idle)
        assert isinstance(step(state, tick(1.0), CTX)[0].phase, Passing)
        assert isinstance(step(state, tick(5.3), CTX)[0].phase, Idle)

    def test_anti_passback(self) -> None:
        state, _ = step(self._granted(), tick(10.0), CTX)
        _, actions = step(state, card(1, 60.0), CTX)
        assert records(actions)[0].attempt.reason is DenyReason.ANTI_PASSBACK
        state, _ = step(state, card(1, 400.0), CTX)  # window passed
        assert isinstance(state.phase, AwaitFace)


FACE_CTX = make_context(ENTRIES, mode=GateMode.FACE_ONLY, min_faces=2)


class TestFaceOnly:
    def test_identify_job_only_when_free(self) -> None:
        assert isinstance(face_job(State(), FACE_CTX), IdentifyJob)
        assert face_job(State(Passing(1, 5.0)), FACE_CTX) is None
        assert face_job(State(), replace(FACE_CTX, camera_ok=False)) is None
        assert face_job(State(), CTX) is None

    def test_consensus_then_grant(self) -> None:
        state, actions = step(State(), face(FaceSample(FaceOutcome.NO_FACE), 0.0), FACE_CTX)
        assert isinstance(state.phase, Idle)
        assert actions == []
        state, actions = step(state, face(MATCH1, 0.1), FACE_CTX)
        assert isinstance(state.phase, Tracking)
        assert actions == []
        state, actions = step(state, face(MATCH1, 0.2), FACE_CTX)
        attempt = records(actions)[0].attempt
        assert attempt.mode is GateMode.FACE_ONLY
        assert attempt.credential is CredentialKind.FACE
        assert attempt.credential_ref is None
        assert any(isinstance(a, OpenRelay) for a in actions)

    def test_left_worker_identified_then_refused(self) -> None:
        m4 = FaceSample(FaceOutcome.MATCH, worker_id=4, distance=0.3)
        state, _ = step(State(), face(m4, 0.1), FACE_CTX)
        state, actions = step(state, face(m4, 0.2), FACE_CTX)
        attempt = records(actions)[0].attempt
        assert (attempt.worker_id, attempt.reason) == (4, DenyReason.LEFT)
        assert isinstance(state.phase, Cooldown)
        assert step(state, face(m4, 0.3), FACE_CTX)[1] == []  # no flood of refusals
        assert isinstance(step(state, tick(2.3), FACE_CTX)[0].phase, Idle)

    def test_stranger_refused_once(self) -> None:
        stranger = FaceSample(FaceOutcome.MISMATCH, distance=0.8)
        state = State()
        for t in (0.1, 0.2):
            state, actions = step(state, face(stranger, t), FACE_CTX)
            assert actions == []
        state, actions = step(state, face(stranger, 0.3), FACE_CTX)
        assert records(actions)[0].attempt.reason is DenyReason.FACE_MISMATCH
        assert records(actions)[0].attempt.worker_id is None

    def test_forgets_when_face_leaves(self) -> None:
        state, _ = step(State(), face(MATCH1, 0.1), FACE_CTX)
        state, _ = step(state, face(FaceSample(FaceOutcome.NO_FACE), 0.5), FACE_CTX)
        state, actions = step(state, tick(1.7), FACE_CTX)
        assert isinstance(state.phase, Idle)
        assert actions == []

    def test_card_on_face_only_gate_still_verifies(self) -> None:
        state, _ = step(State(), card(2), FACE_CTX)
        assert isinstance(state.phase, AwaitFace)


class TestCardOnlyGate:
    def test_card_only(self) -> None:
        ctx = make_context(ENTRIES, mode=GateMode.CARD_ONLY)
        _, actions = step(State(), card(1), ctx)
        attempt = records(actions)[0].attempt
        assert (attempt.result, attempt.mode, attempt.face_score) == (
            GateResult.GRANTED,
            GateMode.CARD_ONLY,
            None,
        )
