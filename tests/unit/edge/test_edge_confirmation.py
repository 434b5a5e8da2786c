"""Card + manager confirmation (RULES.md 3): the legal alternative to face, as a decision table."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from edge_support import AT, make_context, make_entry

from edge.decision import (
    AwaitConfirmation,
    AwaitFace,
    CardPresented,
    Context,
    Credential,
    FaceObserved,
    Idle,
    OpenRelay,
    Passing,
    Record,
    Show,
    State,
    Tick,
    face_job,
    step,
)
from edge.face import FaceOutcome, FaceSample
from edge.roster_cache import RosterSnapshot
from models.enums import DENY_REASON_TEXT, CredentialKind, DenyReason, GateMode, GateResult
from models.roster import Confirmer, GatePolicy, split_confirmed_ref

MANAGER_UID = "0A0B0C0D"
BOSS = Confirmer(confirmer_id=7, card_uid=MANAGER_UID, name="王经理", user_id=3)
# A foreman who is also worker 6 on the roster, with the same card for both.
FOREMAN = Confirmer(confirmer_id=8, card_uid="A1B2C306", name="李工长")

ENTRIES = [
    make_entry(1),
    make_entry(2),
    make_entry(5, face_opt_out=True, face_templates=[]),
    make_entry(6, face_opt_out=True, face_templates=[]),
]
OPTED_OUT_UID = "A1B2C305"


def context(policy: GatePolicy | None = None, **gate_kw: object) -> Context:
    base = make_context(ENTRIES, project=policy, **gate_kw)  # type: ignore[arg-type]
    roster = RosterSnapshot(
        ENTRIES, version=1, project_id=7, policy=base.project, confirmers=[BOSS, FOREMAN]
    )
    return replace(base, roster=roster)


CTX = context()
TIMEOUT = CTX.project.confirmation_timeout_s


def at(t: float) -> dt.datetime:
    return AT + dt.timedelta(seconds=t)


def ic(uid: str, t: float = 0.0) -> CardPresented:
    return CardPresented(Credential(CredentialKind.IC_CARD, uid), t, at(t))


def id_card(worker: int, t: float = 0.0) -> CardPresented:
    entry = next(e for e in ENTRIES if e.worker_id == worker)
    return CardPresented(Credential(CredentialKind.ID_CARD, entry.id_number), t, at(t))


def records(actions: list[object]) -> list[Record]:
    return [a for a in actions if isinstance(a, Record)]


def shows(actions: list[object]) -> list[str]:
    return [a.text_en for a in actions if isinstance(a, Show)]


def awaiting(ctx: Context = CTX) -> State:
    state, actions = step(State(), ic(OPTED_OUT_UID), ctx)
    assert isinstance(state.phase, AwaitConfirmation)
    assert records(actions) == []
    return state


class TestOptedOutWorker:
    def test_waits_for_a_confirmer_with_a_prompt(self) -> None:
        state, actions = step(State(), ic(OPTED_OUT_UID), CTX)
        assert isinstance(state.phase, AwaitConfirmation)
        assert state.phase.deadline == TIMEOUT
        assert not state.phase.recorded
        assert [type(a) for a in actions] == [Show]
        assert face_job(state, CTX) is None  # no camera work while a manager is awaited

    def test_confirmer_card_grants_record_before_relay_naming_confirmer(self) -> None:
        state, actions = step(awaiting(), ic(MANAGER_UID, 12.0), CTX)
        assert isinstance(state.phase, Passing)
        kinds = [type(a) for a in actions]
        assert kinds.index(Record) < kinds.index(OpenRelay)
        attempt = records(actions)[0].attempt
        assert (attempt.result, attempt.mode) == (GateResult.GRANTED, GateMode.CARD_CONFIRMED)
        assert attempt.credential is CredentialKind.MANUAL
        assert attempt.worker_id == 5
        assert attempt.at == at(12.0)
        assert attempt.face_score is None
        assert attempt.credential_ref == f"{OPTED_OUT_UID}|by:7:{MANAGER_UID}"
        assert split_confirmed_ref(attempt.credential_ref) == (OPTED_OUT_UID, 7, MANAGER_UID)
        assert state.last_grant[5] == at(12.0)  # anti-passback knows the confirmed pass

    def test_id_card_holder_is_confirmed_with_masked_reference(self) -> None:
        state, _ = step(State(), id_card(5), CTX)
        _, actions = step(state, ic(MANAGER_UID, 1.0), CTX)
        ref = records(actions)[0].attempt.credential_ref
        assert ref is not None
        worker_ref, confirmer_id, _uid = split_confirmed_ref(ref)
        assert "*" in worker_ref
        assert confirmer_id == 7
        assert len(ref) <= 64

    def test_timeout_refuses_with_reason(self) -> None:
        state = awaiting()
        state, actions = step(state, Tick(TIMEOUT - 0.1, at(TIMEOUT - 0.1)), CTX)
        assert actions == []
        state, actions = step(state, Tick(TIMEOUT, at(TIMEOUT)), CTX)
        assert isinstance(state.phase, Idle)
        (rec,) = records(actions)
        assert (rec.attempt.result, rec.attempt.reason) == (
            GateResult.REFUSED,
            DenyReason.CONFIRMATION_TIMEOUT,
        )
        assert rec.attempt.mode is GateMode.CARD_CONFIRMED
        assert rec.attempt.worker_id == 5
        assert rec.attempt.credential_ref == OPTED_OUT_UID
        assert not any(isinstance(a, OpenRelay) for a in actions)
        assert shows(actions) == [DENY_REASON_TEXT[DenyReason.CONFIRMATION_TIMEOUT][1]]

    def test_unknown_card_is_not_a_confirmer(self) -> None:
        state, actions = step(awaiting(), ic("DEADBEEF", 3.0), CTX)
        assert isinstance(state.phase, Idle)
        (rec,) = records(actions)  # one record, naming the card that was offered
        assert rec.attempt.reason is DenyReason.NOT_A_CONFIRMER
        assert rec.attempt.worker_id == 5
        assert rec.attempt.credential_ref == f"{OPTED_OUT_UID}|by::DEADBEEF"
        assert not any(isinstance(a, OpenRelay) for a in actions)

    def test_other_workers_card_is_not_a_confirmer_and_starts_their_own_attempt(self) -> None:
        state, actions = step(awaiting(), ic("A1B2C302", 3.0), CTX)
        (rec,) = records(actions)
        assert (rec.attempt.worker_id, rec.attempt.reason) == (5, DenyReason.NOT_A_CONFIRMER)
        assert not any(isinstance(a, OpenRelay) for a in actions)
        # Worker 2 is checked like anyone else: face first, never waved through by the machine.
        assert isinstance(state.phase, AwaitFace)
        assert state.phase.entry.worker_id == 2

    def test_same_worker_again_keeps_waiting(self) -> None:
        state, actions = step(awaiting(), ic(OPTED_OUT_UID, 20.0), CTX)
        assert records(actions) == []
        assert isinstance(state.phase, AwaitConfirmation)
        assert state.phase.deadline == 20.0 + TIMEOUT

    def test_confirmer_cannot_confirm_themselves(self) -> None:
        state, _ = step(State(), id_card(6), CTX)
        assert isinstance(state.phase, AwaitConfirmation)
        state, actions = step(state, ic(FOREMAN.card_uid, 2.0), CTX)
        assert isinstance(state.phase, Idle)
        (rec,) = records(actions)
        assert rec.attempt.reason is DenyReason.SELF_CONFIRMATION
        assert rec.attempt.credential_ref is not None
        assert split_confirmed_ref(rec.attempt.credential_ref)[1:] == (8, FOREMAN.card_uid)
        assert not any(isinstance(a, OpenRelay) for a in actions)

    def test_foreman_confirms_someone_else(self) -> None:
        _, actions = step(awaiting(), ic(FOREMAN.card_uid, 2.0), CTX)
        attempt = records(actions)[0].attempt
        assert (attempt.result, attempt.worker_id) == (GateResult.GRANTED, 5)

    def test_policy_refusal_comes_first(self) -> None:
        blocked = ENTRIES[2].model_copy(update={"blocklisted": True})
        ctx = replace(
            CTX,
            roster=RosterSnapshot([blocked], policy=CTX.project, confirmers=[BOSS]),
        )
        state, actions = step(State(), ic(OPTED_OUT_UID), ctx)
        assert isinstance(state.phase, Idle)
        assert records(actions)[0].attempt.reason is DenyReason.BLOCKLISTED

    def test_policy_off_keeps_card_only(self) -> None:
        off = context(GatePolicy(manager_confirmation=False))
        state, actions = step(State(), ic(OPTED_OUT_UID), off)
        assert isinstance(state.phase, Passing)
        attempt = records(actions)[0].attempt
        assert (attempt.result, attempt.mode) == (GateResult.GRANTED, GateMode.CARD_ONLY)
        assert attempt.credential_ref == OPTED_OUT_UID

    def test_card_only_gate_and_camera_down_stay_card_only(self) -> None:
        for ctx in (context(mode=GateMode.CARD_ONLY), replace(CTX, camera_ok=False)):
            _, actions = step(State(), ic(OPTED_OUT_UID), ctx)
            assert records(actions)[0].attempt.mode is GateMode.CARD_ONLY


class TestConfirmerCardAlone:
    def test_idle_confirmer_card_opens_nothing_and_records_nothing(self) -> None:
        state, actions = step(State(), ic(MANAGER_UID), CTX)
        assert isinstance(state.phase, Idle)
        assert records(actions) == []
        assert shows(actions) == ["nobody is waiting for a confirmation"]

    def test_confirmer_who_is_a_worker_passes_as_a_worker(self) -> None:
        state, _ = step(State(), ic(FOREMAN.card_uid), CTX)
        assert isinstance(state.phase, AwaitConfirmation)  # worker 6 declined face himself

    def test_confirmer_card_during_face_check_changes_nothing(self) -> None:
        state, _ = step(State(), ic("A1B2C301"), CTX)
        after, actions = step(state, ic(MANAGER_UID, 0.5), CTX)
        assert after == state
        assert records(actions) == []


MISS1 = FaceSample(FaceOutcome.MISMATCH, worker_id=1, distance=0.72)


def face_refused(ctx: Context = CTX) -> tuple[State, list[object]]:
    state, _ = step(State(), ic("A1B2C301"), ctx)
    actions: list[object] = []
    for i in range(3):
        state, more = step(state, FaceObserved(MISS1, 0.1 * (i + 1), at(0.1 * (i + 1))), ctx)
        actions.extend(more)
    return state, actions


class TestAfterFaceRefusal:
    def test_refusal_recorded_then_confirmation_offered(self) -> None:
        state, actions = face_refused()
        (rec,) = records(actions)
        assert (rec.attempt.reason, rec.attempt.mode) == (
            DenyReason.FACE_MISMATCH,
            GateMode.CARD_AND_FACE,
        )
        assert isinstance(state.phase, AwaitConfirmation)
        assert state.phase.recorded
        assert shows(actions)[-1] == "a confirmer must present their card"

    def test_confirmer_grants(self) -> None:
        state, _ = face_refused()
        state, actions = step(state, ic(MANAGER_UID, 5.0), CTX)
        assert isinstance(state.phase, Passing)
        kinds = [type(a) for a in actions]
        assert kinds.index(Record) < kinds.index(OpenRelay)
        attempt = records(actions)[0].attempt
        assert (attempt.mode, attempt.worker_id) == (GateMode.CARD_CONFIRMED, 1)
        assert attempt.credential_ref == f"A1B2C301|by:7:{MANAGER_UID}"

    def test_timeout_adds_no_second_record(self) -> None:
        state, _ = face_refused()
        state, actions = step(state, Tick(0.3 + TIMEOUT, at(0.3 + TIMEOUT)), CTX)
        assert isinstance(state.phase, Idle)
        assert records(actions) == []
        assert shows(actions) == [DENY_REASON_TEXT[DenyReason.CONFIRMATION_TIMEOUT][1]]

    def test_any_other_card_is_a_fresh_attempt(self) -> None:
        state, _ = face_refused()
        # The same worker tries the face again…
        again, actions = step(state, ic("A1B2C301", 2.0), CTX)
        assert records(actions) == []
        assert isinstance(again.phase, AwaitFace)
        # …an unknown card is recorded as what it is.
        _, actions = step(state, ic("DEADBEEF", 2.0), CTX)
        (rec,) = records(actions)
        assert (rec.attempt.reason, rec.attempt.worker_id) == (
            DenyReason.UNKNOWN_CREDENTIAL,
            None,
        )

    def test_policy_can_make_face_refusal_final(self) -> None:
        for policy in (
            GatePolicy(confirm_after_face_refusal=False),
            GatePolicy(manager_confirmation=False),
        ):
            state, actions = face_refused(context(policy))
            assert isinstance(state.phase, Idle)
            assert len(records(actions)) == 1

    def test_new_card_during_face_check_offers_no_confirmation(self) -> None:
        state, _ = step(State(), ic("A1B2C301"), CTX)
        state, actions = step(state, ic("A1B2C302", 1.0), CTX)
        assert records(actions)[0].attempt.reason is DenyReason.FACE_TIMEOUT
        assert isinstance(state.phase, AwaitFace)
        assert state.phase.entry.worker_id == 2
