"""PURE gate decision state machine: `step(state, input, ctx) -> (state, actions)`.

No I/O and no clock reads: every input carries the monotonic time `t` (deadlines) and the wall
time `at` (what is recorded). The agent runs the actions in order; a `Record` is always emitted
before the `OpenRelay` of the same attempt, and the agent opens the relay only when the record
was committed (RULES.md: nobody passes without a record).

    credential → roster lookup → policy → anti-passback → face (1:1) → Record → OpenRelay → Passing
    face only: 1:N samples → consensus → roster entry → policy → … same tail
    face declined, or 1:1 refused (policy) → AwaitConfirmation → confirmer's IC card → same tail

The confirmation (RULES.md 3, the legally required alternative to face) is the worker's card plus
a confirmer's IC card within `confirmation_timeout_s`; the record's mode is `card_confirmed` and
its `credential_ref` names the confirmer (models.roster.confirmed_ref). Card-only gates and the
camera-down fallback are not the worker's choice and keep deciding on the card alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol, TypeGuard

from edge import policy as gate_policy
from edge.config import GateSettings, Thresholds
from edge.face import FaceOutcome, FaceSample, best_distance, consensus, timeout_reason
from models.enums import (
    DENY_REASON_TEXT,
    CredentialKind,
    DenyReason,
    Direction,
    GateMode,
    GateResult,
    LivenessPolicy,
    LivenessResult,
    RecordPurpose,
)
from models.errors import ContractError
from models.ids import mask_id_number, parse_id_number
from models.roster import Confirmer, GatePolicy, RosterEntry, confirmed_ref

# --- context ----------------------------------------------------------------------------------


class RosterView(Protocol):
    def by_id_number(self, id_number: str) -> RosterEntry | None: ...

    def by_card_uid(self, uid: str) -> RosterEntry | None: ...

    def by_worker_id(self, worker_id: int) -> RosterEntry | None: ...

    def confirmer_by_card_uid(self, uid: str) -> Confirmer | None: ...


@dataclass(frozen=True, slots=True)
class Context:
    """What the machine reads but never changes: roster, policies, the gate, device health."""

    roster: RosterView
    project: GatePolicy
    gate: GateSettings
    thresholds: Thresholds
    direction: Direction
    today: dt.date
    camera_ok: bool = True


# --- inputs -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Credential:
    kind: CredentialKind  # ID_CARD or IC_CARD
    value: str  # full ID number or canonical UID; only `ref` is ever recorded
    card_valid_to: dt.date | None = None  # read off the ID card itself

    @property
    def ref(self) -> str:
        return mask_id_number(self.value) if self.kind is CredentialKind.ID_CARD else self.value


@dataclass(frozen=True, slots=True)
class CardPresented:
    credential: Credential
    t: float
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class FaceObserved:
    sample: FaceSample
    t: float
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class DoorPassed:
    t: float
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class Tick:
    t: float
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class PulseFailed:
    """The relay pulse of a granted, recorded attempt was dropped (queue full) or failed (relay
    error or timeout): nobody passed. `granted` is that attempt; `seq` its record's seq."""

    granted: Attempt
    seq: int
    t: float
    at: dt.datetime


Input = CardPresented | FaceObserved | DoorPassed | PulseFailed | Tick

# --- actions ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attempt:
    """One decision, as the outbox records it."""

    at: dt.datetime
    direction: Direction
    mode: GateMode
    result: GateResult
    credential: CredentialKind | None = None
    credential_ref: str | None = None
    worker_id: int | None = None
    reason: DenyReason | None = None
    face_score: float | None = None
    voids_seq: int | None = None  # a "not passed" follow-up: the granted record's seq
    # Not a pass attempt (edge/wage_confirm.py: a worker confirming a wage line, whose
    # shown_hash is subject_hash); the gate's own decisions leave both None.
    purpose: RecordPurpose | None = None
    subject_hash: str | None = None
    liveness: LivenessResult | None = None  # the live-person check, where the project has one


@dataclass(frozen=True, slots=True)
class Record:
    attempt: Attempt


@dataclass(frozen=True, slots=True)
class OpenRelay:
    pulse_ms: int


@dataclass(frozen=True, slots=True)
class Show:
    text_zh: str
    text_en: str


Action = Record | OpenRelay | Show

# --- states -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Idle:
    pass


@dataclass(frozen=True, slots=True)
class AwaitFace:
    """Card accepted by policy; waiting for the live face to match the card holder (1:1)."""

    credential: Credential
    entry: RosterEntry
    deadline: float
    samples: tuple[FaceSample, ...] = ()


@dataclass(frozen=True, slots=True)
class AwaitConfirmation:
    """The worker passed every rule but the face: waiting for a confirmer's IC card.

    `recorded`: the attempt is already on record (a refused face check); ending unconfirmed then
    adds no second refusal, and any other card simply starts a fresh attempt.
    """

    credential: Credential
    entry: RosterEntry
    deadline: float
    recorded: bool = False


@dataclass(frozen=True, slots=True)
class Tracking:
    """Face-only: someone is in front of the camera; collecting 1:N samples."""

    last_face_t: float
    samples: tuple[FaceSample, ...] = ()


@dataclass(frozen=True, slots=True)
class Passing:
    worker_id: int | None
    deadline: float


@dataclass(frozen=True, slots=True)
class Cooldown:
    """Face-only after a refusal: do not refuse the same stranger every frame."""

    until: float


Phase = Idle | AwaitFace | AwaitConfirmation | Tracking | Passing | Cooldown


@dataclass(frozen=True, slots=True)
class State:
    phase: Phase = field(default_factory=Idle)
    # Anti-passback memory: worker id → wall time of the last grant at this gate.
    last_grant: Mapping[int, dt.datetime] = field(default_factory=dict)


Step = tuple[State, list[Action]]

# --- face job (what the face worker should be doing right now) ---------------------------------


@dataclass(frozen=True, slots=True)
class VerifyJob:
    worker_id: int
    templates: tuple[tuple[float, ...], ...]


@dataclass(frozen=True, slots=True)
class IdentifyJob:
    pass


FaceJob = VerifyJob | IdentifyJob


def face_job(state: State, ctx: Context) -> FaceJob | None:
    phase = state.phase
    if isinstance(phase, AwaitFace):
        return VerifyJob(phase.entry.worker_id, tuple(tuple(t) for t in phase.entry.face_templates))
    if ctx.gate.mode is GateMode.FACE_ONLY and ctx.camera_ok and isinstance(phase, Idle | Tracking):
        return IdentifyJob()
    return None


# --- the machine ------------------------------------------------------------------------------


def step(state: State, inp: Input, ctx: Context) -> Step:
    if isinstance(inp, CardPresented):
        return _on_card(state, inp, ctx)
    if isinstance(inp, FaceObserved):
        return _on_face(state, inp, ctx)
    if isinstance(inp, DoorPassed):
        if isinstance(state.phase, Passing):
            return replace(state, phase=Idle()), []
        return state, []
    if isinstance(inp, PulseFailed):
        return _on_pulse_failed(state, inp)
    return _on_tick(state, inp, ctx)


RELAY_FAILED_SHOW = Show("闸门未打开,请重新刷卡", "the gate did not open; please try again")


def _on_pulse_failed(state: State, inp: PulseFailed) -> Step:
    """A granted pass that did not happen is followed by a record saying so (never silently),
    for the same person and credential, naming the granted record. The grant no longer counts
    for anti-passback, so the worker can simply try again."""
    g = inp.granted
    follow_up = replace(
        g,
        at=inp.at,
        result=GateResult.REFUSED,
        reason=DenyReason.RELAY_FAILED,
        face_score=None,
        voids_seq=inp.seq,
    )
    last_grant = dict(state.last_grant)
    if g.worker_id is not None and last_grant.get(g.worker_id) == g.at:
        del last_grant[g.worker_id]
    phase = state.phase
    if isinstance(phase, Passing) and phase.worker_id == g.worker_id:
        phase = Idle()
    return State(phase, last_grant), [Record(follow_up), RELAY_FAILED_SHOW]


PROMPT_CONFIRM = Show("请管理人员刷卡确认", "a confirmer must present their card")
NOTHING_TO_CONFIRM = Show("当前没有待确认的通行", "nobody is waiting for a confirmation")


def _on_card(state: State, inp: CardPresented, ctx: Context) -> Step:
    actions: list[Action] = []
    phase = state.phase
    cred = inp.credential
    confirmer = _confirmer(cred, ctx)
    if isinstance(phase, AwaitConfirmation):
        if confirmer is not None:
            return _confirm(state, phase, inp, ctx, confirmer)
        entry = _lookup(cred, ctx)
        if entry is not None and entry.worker_id == phase.entry.worker_id and not phase.recorded:
            # The same worker presented again: keep waiting, from now.
            deadline = inp.t + ctx.project.confirmation_timeout_s
            return replace(state, phase=replace(phase, deadline=deadline)), [PROMPT_CONFIRM]
        if phase.recorded:
            state = replace(state, phase=Idle())  # the offer lapses; the card is a new attempt
        else:
            state, actions = _refuse_confirmation(
                state, phase, inp.at, ctx, DenyReason.NOT_A_CONFIRMER, presented=cred
            )
            if entry is None:
                return state, actions  # that record already names the card: nothing else to do
    elif isinstance(phase, AwaitFace):
        if confirmer is not None and _lookup(cred, ctx) is None:
            return state, [NOTHING_TO_CONFIRM]  # the face check is still running
        # A new card while the last holder's face was pending: that attempt ends as refused.
        state, actions = _refuse_face(
            state, phase, inp, ctx, DenyReason.FACE_TIMEOUT, offer_confirmation=False
        )
    entry = _lookup(cred, ctx)
    if entry is None and confirmer is not None:
        return state, [*actions, NOTHING_TO_CONFIRM]  # a confirmer's card is no pass by itself
    if entry is None:
        unknown = (
            DenyReason.NOT_ON_ROSTER
            if cred.kind is CredentialKind.ID_CARD and _valid_id(cred.value)
            else DenyReason.UNKNOWN_CREDENTIAL
        )
        new, more = _refuse(state, ctx, inp.at, _mode_for_card(ctx), cred, None, unknown)
        return new, actions + more
    reason = gate_policy.check_entry(
        entry, ctx.project, ctx.today, card_valid_to=cred.card_valid_to
    )
    if reason is None and _passback(state, entry.worker_id, inp.at, ctx):
        reason = DenyReason.ANTI_PASSBACK
    if reason is not None:
        new, more = _refuse(state, ctx, inp.at, _mode_for_card(ctx), cred, entry.worker_id, reason)
        return new, actions + more
    if _card_only(entry, ctx):
        new, more = _grant(state, ctx, inp, GateMode.CARD_ONLY, cred, entry.worker_id, None)
        return new, actions + more
    if _face_declined(entry):
        # Only reached with manager confirmation on (else _card_only): the card waits for one.
        deadline = inp.t + ctx.project.confirmation_timeout_s
        actions.append(PROMPT_CONFIRM)
        return replace(state, phase=AwaitConfirmation(cred, entry, deadline)), actions
    deadline = inp.t + ctx.gate.face_timeout_s
    actions.append(Show("请看摄像头", "please look at the camera"))
    return replace(state, phase=AwaitFace(cred, entry, deadline)), actions


def _on_face(state: State, inp: FaceObserved, ctx: Context) -> Step:
    phase = state.phase
    gate = ctx.gate
    if isinstance(phase, AwaitFace):
        samples = (*phase.samples, inp.sample)
        verdict = consensus(samples, min_faces=gate.min_faces, max_failures=gate.max_face_failures)
        if verdict.kind == "match":
            live = _liveness_after_match(samples, ctx)
            if isinstance(live, _Pending):
                return replace(state, phase=replace(phase, samples=samples)), []
            return _face_matched(state, phase, inp, ctx, verdict.distance, live)
        if verdict.kind == "refuse":
            assert verdict.reason is not None  # noqa: S101 - consensus always gives one
            return _refuse_face(state, phase, inp, ctx, verdict.reason)
        return replace(state, phase=replace(phase, samples=samples)), []
    if gate.mode is not GateMode.FACE_ONLY or not isinstance(phase, Idle | Tracking):
        return state, []  # stray sample from a frame taken before the phase changed
    if isinstance(phase, Idle):
        if inp.sample.outcome is FaceOutcome.NO_FACE:
            return state, []
        phase = Tracking(last_face_t=inp.t)
    last_face_t = phase.last_face_t if inp.sample.outcome is FaceOutcome.NO_FACE else inp.t
    samples = (*phase.samples, inp.sample)
    verdict = consensus(samples, min_faces=gate.min_faces, max_failures=gate.max_face_failures)
    if verdict.kind == "match":
        assert verdict.worker_id is not None  # noqa: S101
        entry = ctx.roster.by_worker_id(verdict.worker_id)
        if entry is None:  # template without roster entry: treat as a stranger
            return _refuse_face_only(state, ctx, inp, None, DenyReason.NOT_ON_ROSTER, None)
        reason = gate_policy.check_entry(entry, ctx.project, ctx.today)
        if reason is None and _passback(state, entry.worker_id, inp.at, ctx):
            reason = DenyReason.ANTI_PASSBACK
        if reason is not None:
            return _refuse_face_only(state, ctx, inp, entry.worker_id, reason, verdict.distance)
        live = _liveness_after_match(samples, ctx)
        if isinstance(live, _Pending):
            return replace(state, phase=Tracking(last_face_t, samples)), []
        if _refused_by(live, ctx):
            return _refuse_face_only(
                state, ctx, inp, entry.worker_id, _LIVENESS_REASON[live], verdict.distance, live
            )
        return _grant(
            state,
            ctx,
            inp,
            GateMode.FACE_ONLY,
            None,
            entry.worker_id,
            verdict.distance,
            liveness=live,
        )
    if verdict.kind == "refuse":
        assert verdict.reason is not None  # noqa: S101
        return _refuse_face_only(state, ctx, inp, None, verdict.reason, verdict.distance)
    return replace(state, phase=Tracking(last_face_t, samples)), []


def _on_tick(state: State, inp: Tick, ctx: Context) -> Step:
    phase = state.phase
    if isinstance(phase, AwaitFace):
        if not ctx.camera_ok and ctx.gate.card_only_fallback:
            # The camera died while we waited: the card alone decides, recorded as card_only.
            return _grant(
                state, ctx, inp, GateMode.CARD_ONLY, phase.credential, phase.entry.worker_id, None
            )
        if inp.t >= phase.deadline:
            return _face_deadline(state, phase, inp, ctx)
    elif isinstance(phase, AwaitConfirmation):
        if inp.t >= phase.deadline:
            if phase.recorded:
                zh, en = DENY_REASON_TEXT[DenyReason.CONFIRMATION_TIMEOUT]
                return replace(state, phase=Idle()), [Show(zh, en)]
            return _refuse_confirmation(state, phase, inp.at, ctx, DenyReason.CONFIRMATION_TIMEOUT)
    elif isinstance(phase, Tracking):
        if inp.t - phase.last_face_t >= ctx.gate.face_forget_s:
            return replace(state, phase=Idle()), []
    elif isinstance(phase, Passing | Cooldown):
        end = phase.deadline if isinstance(phase, Passing) else phase.until
        if inp.t >= end:
            return replace(state, phase=Idle()), []
    return state, []


# --- helpers ----------------------------------------------------------------------------------


class _Pending:
    """The face matched; the live-person challenge is still open."""


_PENDING = _Pending()
_Refusing = Literal[LivenessResult.FAILED, LivenessResult.TIMEOUT]
_LIVENESS_REASON: dict[LivenessResult, DenyReason] = {
    LivenessResult.FAILED: DenyReason.LIVENESS_FAILED,
    LivenessResult.TIMEOUT: DenyReason.LIVENESS_TIMEOUT,
}


def _liveness_after_match(
    samples: Sequence[FaceSample], ctx: Context
) -> LivenessResult | _Pending | None:
    """What the record says of liveness once the face matched: None when the project does not
    check; else the challenge's result. PASSED counts only once a matching frame follows the
    answer, so the face that answered is the face that matched (a photo cannot match while a
    live stranger answers); FAILED and TIMEOUT decide at once."""
    if ctx.project.liveness is LivenessPolicy.OFF:
        return None
    for k, sample in enumerate(samples):
        if sample.liveness is None:
            continue
        if sample.liveness is not LivenessResult.PASSED:
            return sample.liveness
        if any(s.outcome is FaceOutcome.MATCH for s in samples[k + 1 :]):
            return LivenessResult.PASSED
        return _PENDING
    return _PENDING


def _refused_by(live: LivenessResult | None, ctx: Context) -> TypeGuard[_Refusing]:
    return live in _LIVENESS_REASON and ctx.project.liveness is LivenessPolicy.REQUIRE


def _face_deadline(state: State, phase: AwaitFace, inp: Tick, ctx: Context) -> Step:
    """Card + face time is up. A face that matched while the challenge stayed open is a
    liveness timeout (granted under `log`, refused under `require`); else the face's reason."""
    gate = ctx.gate
    verdict = consensus(
        phase.samples, min_faces=gate.min_faces, max_failures=gate.max_face_failures
    )
    if verdict.kind != "match" or ctx.project.liveness is LivenessPolicy.OFF:
        return _refuse_face(state, phase, inp, ctx, timeout_reason(phase.samples))
    live = _liveness_after_match(phase.samples, ctx)
    result = LivenessResult.TIMEOUT if isinstance(live, _Pending) or live is None else live
    return _face_matched(state, phase, inp, ctx, verdict.distance, result)


def _face_matched(
    state: State,
    phase: AwaitFace,
    inp: Input,
    ctx: Context,
    distance: float | None,
    live: LivenessResult | None,
) -> Step:
    """The card holder's face matched: granted, unless `require` and the challenge was not
    passed (refused with its reason, the confirmation lane offered)."""
    if _refused_by(live, ctx):
        return _refuse_face(state, phase, inp, ctx, _LIVENESS_REASON[live], liveness=live)
    return _grant(
        state,
        ctx,
        inp,
        GateMode.CARD_AND_FACE,
        phase.credential,
        phase.entry.worker_id,
        distance,
        liveness=live,
    )


def _valid_id(value: str) -> bool:
    try:
        parse_id_number(value)
    except ContractError:
        return False
    return True


def _lookup(cred: Credential, ctx: Context) -> RosterEntry | None:
    if cred.kind is CredentialKind.ID_CARD:
        return ctx.roster.by_id_number(cred.value.strip().upper())
    return ctx.roster.by_card_uid(cred.value)


def _mode_for_card(ctx: Context) -> GateMode:
    if ctx.gate.mode is GateMode.CARD_ONLY:
        return GateMode.CARD_ONLY
    if not ctx.camera_ok and ctx.gate.card_only_fallback:
        return GateMode.CARD_ONLY
    return GateMode.CARD_AND_FACE


def _face_declined(entry: RosterEntry) -> bool:
    """No face check is possible: the worker declined it, or has no enrolled template."""
    return entry.face_opt_out or not entry.face_templates


def _card_only(entry: RosterEntry, ctx: Context) -> bool:
    """Card alone decides: card-only gate, camera down, or a worker without face while the
    project has the manager confirmation switched off."""
    if _mode_for_card(ctx) is GateMode.CARD_ONLY:
        return True
    return _face_declined(entry) and not ctx.project.manager_confirmation


def _confirmer(cred: Credential, ctx: Context) -> Confirmer | None:
    if cred.kind is not CredentialKind.IC_CARD:
        return None  # confirmers are known by their IC card only
    return ctx.roster.confirmer_by_card_uid(cred.value)


def _confirm(
    state: State, phase: AwaitConfirmation, inp: CardPresented, ctx: Context, confirmer: Confirmer
) -> Step:
    own = {uid.upper() for uid in phase.entry.card_uids}
    if confirmer.card_uid.upper() in own:
        # A confirmer who is also this worker cannot vouch for themselves.
        return _refuse_confirmation(
            state, phase, inp.at, ctx, DenyReason.SELF_CONFIRMATION, presented=inp.credential
        )
    ref = confirmed_ref(phase.credential.ref, confirmer.confirmer_id, confirmer.card_uid)
    return _grant(
        state,
        ctx,
        inp,
        GateMode.CARD_CONFIRMED,
        phase.credential,
        phase.entry.worker_id,
        None,
        confirmed_by=ref,
    )


def _refuse_confirmation(
    state: State,
    phase: AwaitConfirmation,
    at: dt.datetime,
    ctx: Context,
    reason: DenyReason,
    presented: Credential | None = None,
) -> Step:
    """The confirmation was not given; the record names the card offered instead, if any."""
    ref = phase.credential.ref
    if presented is not None:
        confirmer = _confirmer(presented, ctx)
        ref = confirmed_ref(ref, confirmer.confirmer_id if confirmer else None, presented.ref)
    return _refuse(
        state,
        ctx,
        at,
        GateMode.CARD_CONFIRMED,
        phase.credential,
        phase.entry.worker_id,
        reason,
        credential_ref=ref,
    )


def _passback(state: State, worker_id: int, at: dt.datetime, ctx: Context) -> bool:
    return gate_policy.passback_blocked(
        state.last_grant.get(worker_id),
        at,
        enabled=ctx.project.anti_passback,
        window_s=ctx.gate.anti_passback_window_s,
    )


def _grant(
    state: State,
    ctx: Context,
    inp: Input,
    mode: GateMode,
    cred: Credential | None,
    worker_id: int,
    face_score: float | None,
    *,
    confirmed_by: str | None = None,
    liveness: LivenessResult | None = None,
) -> Step:
    """`confirmed_by`: the confirmed attempt's credential_ref; its credential is then MANUAL."""
    credential = cred.kind if cred else CredentialKind.FACE
    credential_ref = cred.ref if cred else None
    if confirmed_by is not None:
        credential, credential_ref = CredentialKind.MANUAL, confirmed_by
    attempt = Attempt(
        at=inp.at,
        direction=ctx.direction,
        mode=mode,
        result=GateResult.GRANTED,
        credential=credential,
        credential_ref=credential_ref,
        worker_id=worker_id,
        face_score=face_score,
        liveness=liveness,
    )
    last_grant = {**state.last_grant, worker_id: inp.at}
    phase = Passing(worker_id, inp.t + ctx.gate.pass_timeout_s)
    actions: list[Action] = [
        Record(attempt),
        OpenRelay(ctx.gate.relay_pulse_ms),
        Show("请通行", "please pass"),
    ]
    return State(phase, last_grant), actions


def _refuse(
    state: State,
    ctx: Context,
    at: dt.datetime,
    mode: GateMode,
    cred: Credential | None,
    worker_id: int | None,
    reason: DenyReason,
    face_score: float | None = None,
    phase: Phase | None = None,
    credential_ref: str | None = None,
    liveness: LivenessResult | None = None,
) -> Step:
    attempt = Attempt(
        at=at,
        direction=ctx.direction,
        mode=mode,
        result=GateResult.REFUSED,
        credential=cred.kind if cred else CredentialKind.FACE,
        credential_ref=credential_ref or (cred.ref if cred else None),
        worker_id=worker_id,
        reason=reason,
        face_score=face_score,
        liveness=liveness,
    )
    zh, en = DENY_REASON_TEXT[reason]
    return replace(state, phase=phase or Idle()), [Record(attempt), Show(zh, en)]


def _refuse_face(
    state: State,
    phase: AwaitFace,
    inp: Input,
    ctx: Context,
    reason: DenyReason,
    *,
    offer_confirmation: bool = True,
    liveness: LivenessResult | None = None,
) -> Step:
    """The refusal is recorded at once; where the project allows, a confirmer may still let the
    card holder in (RULES.md 3: where the face is refused, the alternative applies)."""
    project = ctx.project
    after: Phase | None = None
    if offer_confirmation and project.manager_confirmation and project.confirm_after_face_refusal:
        deadline = inp.t + project.confirmation_timeout_s
        after = AwaitConfirmation(phase.credential, phase.entry, deadline, recorded=True)
    new, actions = _refuse(
        state,
        ctx,
        inp.at,
        GateMode.CARD_AND_FACE,
        phase.credential,
        phase.entry.worker_id,
        reason,
        best_distance(phase.samples),
        phase=after,
        liveness=liveness,
    )
    return new, [*actions, PROMPT_CONFIRM] if after is not None else actions


def _refuse_face_only(
    state: State,
    ctx: Context,
    inp: FaceObserved,
    worker_id: int | None,
    reason: DenyReason,
    face_score: float | None,
    liveness: LivenessResult | None = None,
) -> Step:
    return _refuse(
        state,
        ctx,
        inp.at,
        GateMode.FACE_ONLY,
        None,
        worker_id,
        reason,
        face_score,
        phase=Cooldown(inp.t + ctx.gate.face_only_cooldown_s),
        liveness=liveness,
    )
