"""Wage confirmation station (the enrollment station, or a kiosk): a worker confirms their wage
line (工资支付表 row) with their ID card and their face, or their ID card and a confirmer's IC
card where they declined face recognition. The confirmation is a signed record in this device's
hash chain (purpose wage_confirm, subject_hash = the line's shown_hash), appended to the outbox
like any gate record and uploaded by sync; the server then confirms the line it names.

    ID card → the worker's open lines from the server → who is it: face 1:1 against the
    worker's own templates, or a confirmer's card → each line shown → "confirm" → record → upload

Decisions:

* The lines come from the server (POST /api/v1/edge/wage-lines, signed), with the worker's face
  templates (only with recorded consent, for this worker only) and the project's confirmers: a
  station needs no roster of its own, and an enrollment station has none. Once fetched, nothing
  needs the server: the record waits in the outbox and confirms when it reaches the server, if
  the line has not changed meanwhile (else the line's history shows it came and did not take).
* Who the worker is is checked BEFORE any line is shown: a found ID card shows nobody's pay.
* Each line is shown only if its shown form re-hashes to its shown_hash
  (models.wage_line.shown_digest): what the worker reads is what the record names.
* A failed identity check is recorded too (refused, with the reason, no subject): someone tried
  to answer for this card. A station always wants the second factor, whatever the project's
  gate policy says about card-only passes: a wage confirmation on a card alone is no evidence.
* No policy of the gate applies (contract, safety training, left the project): a worker who left
  still confirms their last months.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from edge.config import thresholds
from edge.decision import Attempt
from edge.face import (
    FaceSample,
    Verdict,
    as_vector,
    best_distance,
    consensus,
    sample_from_probe,
    timeout_reason,
    verify,
)
from models.enums import (
    DENY_REASON_TEXT,
    CredentialKind,
    DenyReason,
    Direction,
    GateMode,
    GateResult,
    RecordPurpose,
)
from models.ids import mask_id_number, normalise_card_uid
from models.money import format_yuan
from models.roster import Confirmer, confirmed_ref
from models.wage_line import WageLineOffer, WageLinesResponse

if TYPE_CHECKING:
    from drivers.base import FrameSource, IcCardReader, IdCardReader
    from edge.config import GateSettings
    from edge.face import FaceMatcher
    from edge.outbox import Outbox
    from edge.sync import SyncClient
    from models.gate_event import GateEvent


class WageConfirmError(Exception):
    code = "edge.wage_confirm"

    def __init__(self, message_zh: str, message_en: str) -> None:
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(f"{message_zh} / {message_en}")


class StationUI(Protocol):
    """The station's screen and its two buttons (tests script it)."""

    def show(self, zh: str, en: str) -> None:
        """A prompt or a message, Chinese first."""
        ...

    def ask_confirm(self, offer: WageLineOffer, text: str) -> bool:
        """Show the line (`text`, Chinese first) and wait: True = confirm, False = not now."""
        ...


# --- what the worker reads (PURE) -------------------------------------------------------------


def _yuan(fen: Any) -> str:
    return f"¥{format_yuan(int(fen))}"


def line_text(offer: WageLineOffer) -> str:
    """The line as the station shows it, from the hashed form only, Chinese first."""
    s = offer.shown
    kind_zh, kind_en = offer.wage_kind_text
    state_zh, state_en = offer.state_text
    rate = f" {_yuan(s.get('rate_fen', 0))}" if s.get("rate_fen") else ""
    out = [
        f"{s.get('period', offer.period)} 工资单 / wage line — {s.get('company', '')}",
        f"项目 / project: {s.get('project', '')}",
        f"姓名 / name: {s.get('name', '')}   身份证 / ID: {s.get('id_number', '')}",
        f"状态 / state: {state_zh} / {state_en}   版本 / version: {s.get('version', '')}",
        f"出勤 / days: {s.get('days', '0')} 天 days   工时 / hours: {s.get('hours', '0')}",
        f"计薪 / wage terms: {kind_zh} / {kind_en}{rate}",
        f"应发基本 / base pay: {_yuan(s.get('base_fen', 0))}",
    ]
    items: Sequence[dict[str, Any]] = s.get("items") or []
    for i, item in enumerate(items):
        category = str(item.get("category", ""))
        label = offer.item_labels[i] if i < len(offer.item_labels) else None
        zh, en = (label.zh, label.en) if label else (category, category)
        sign = "−" if label is not None and label.deduction else "+"
        piece = ""
        if item.get("quantity") is not None and item.get("unit_price_fen") is not None:
            price = _yuan(item["unit_price_fen"])
            piece = f" ({item['quantity']} {item.get('unit', '')} × {price})"
        out.append(
            f"  {zh} / {en}: {item.get('reason', '')}{piece} {sign}{_yuan(item['amount_fen'])}"
        )
    out += [
        f"应发合计 / gross: {_yuan(s.get('gross_fen', 0))}",
        f"扣款合计 / deductions: {_yuan(s.get('deductions_fen', 0))}",
        f"实发金额 / net pay: {_yuan(s.get('net_fen', 0))}",
        "收款卡 / paid into: " + " ".join(x for x in (s.get("bank"), s.get("bank_card")) if x),
    ]
    if s.get("payer_account"):
        out.append(f"付款账户 / paid from: {s['payer_account']}")
    if offer.state == "disputed":
        out.append(
            "您对此工资单提出过异议;确认即表示接受本版本 / you disputed this line: "
            "confirming accepts this version"
        )
    if offer.stale:
        out.append(
            "注意:本月考勤已变动,工资单可能更新 / NOTE: the month's attendance changed since; "
            "the line may be updated"
        )
    out.append(f"哈希 / hash: {offer.shown_hash}")
    return "\n".join(out)


@dataclass(frozen=True, slots=True)
class Identity:
    """How the station knows who confirms: recorded with every confirmation."""

    mode: GateMode
    credential: CredentialKind
    credential_ref: str
    face_score: float | None = None


def confirmer_check(
    uid: str, confirmers: Sequence[Confirmer], own_cards: Sequence[str]
) -> tuple[Confirmer | None, DenyReason | None]:
    """The card offered as confirmation: a confirmer of the project, and not the worker's own."""
    found = next((c for c in confirmers if c.card_uid.upper() == uid.upper()), None)
    if found is None:
        return None, DenyReason.NOT_A_CONFIRMER
    if uid.upper() in {c.upper() for c in own_cards}:
        return found, DenyReason.SELF_CONFIRMATION
    return found, None


def record_attempt(
    *,
    at: dt.datetime,
    direction: Direction,
    identity: Identity,
    worker_id: int,
    subject_hash: str | None,
    result: GateResult = GateResult.GRANTED,
    reason: DenyReason | None = None,
) -> Attempt:
    """The outbox's attempt for a station act: never a pass (purpose wage_confirm)."""
    return Attempt(
        at=at,
        direction=direction,
        mode=identity.mode,
        result=result,
        credential=identity.credential,
        credential_ref=identity.credential_ref,
        worker_id=worker_id,
        reason=reason,
        face_score=identity.face_score,
        purpose=RecordPurpose.WAGE_CONFIRM,
        subject_hash=subject_hash,
    )


# --- the devices ------------------------------------------------------------------------------


def check_face(
    camera: FrameSource,
    matcher: FaceMatcher,
    templates: Sequence[Sequence[float]],
    worker_id: int,
    *,
    threshold: float,
    min_faces: int,
    max_failures: int,
    timeout_s: float,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[Verdict, list[FaceSample]]:
    """1:1 of live frames against the worker's own templates, by the gate's consensus."""
    samples: list[FaceSample] = []
    last: tuple[int, float] | None = None
    deadline = clock() + timeout_s
    while clock() < deadline:
        frame = camera.latest()
        if frame is None or (frame.seq, frame.ts) == last:
            time.sleep(0.02)
            continue
        last = (frame.seq, frame.ts)
        probe = matcher.probe(frame.image)
        sample = sample_from_probe(probe)
        if sample is None:
            assert probe.encoding is not None  # noqa: S101 - an OK probe has one
            sample = verify(as_vector(probe.encoding), templates, worker_id, threshold)
        samples.append(sample)
        verdict = consensus(samples, min_faces=min_faces, max_failures=max_failures)
        if verdict.kind != "pending":
            return verdict, samples
    timed_out = Verdict("refuse", distance=best_distance(samples), reason=timeout_reason(samples))
    return timed_out, samples


def read_confirmer_card(
    reader: IcCardReader, timeout_s: float, clock: Callable[[], float] = time.monotonic
) -> str | None:
    deadline = clock() + timeout_s
    while clock() < deadline:
        uid = reader.read_uid(min(0.3, max(0.01, deadline - clock())))
        if uid:
            try:
                return normalise_card_uid(uid)
            except ValueError:
                continue
    return None


# --- the flow ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Confirmed:
    line_id: int
    period: str
    shown_hash: str
    seq: int  # the record in this device's chain
    event_hash: str
    applied: bool | None = None  # the server confirmed the line (None: not known yet)


@dataclass
class StationResult:
    worker_id: int
    name: str
    id_number_masked: str
    identity: Identity | None = None
    refused: DenyReason | None = None
    confirmed: list[Confirmed] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # line ids the worker did not confirm
    unreadable: list[int] = field(default_factory=list)  # lines whose hash did not check
    uploaded: bool = False


def _reason_error(reason: DenyReason) -> WageConfirmError:
    zh, en = DENY_REASON_TEXT[reason]
    return WageConfirmError(f"身份核验未通过:{zh}", f"identity not verified: {en}")


@dataclass
class Station:
    """One station's devices and links; `run()` serves one worker."""

    id_reader: IdCardReader
    client: SyncClient
    outbox: Outbox
    ui: StationUI
    direction: Direction
    gate: GateSettings
    camera: FrameSource | None = None
    matcher: FaceMatcher | None = None
    ic_reader: IcCardReader | None = None
    upload: Callable[[], object] | None = None  # e.g. SyncWorker.flush_events
    card_timeout_s: float = 30.0
    session_timeout_s: float = 180.0  # identity checked → last "confirm" accepted
    clock: Callable[[], float] = time.monotonic
    now: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))

    def run(self) -> StationResult:
        from edge.sync import SyncError

        self.ui.show("请放置身份证", "place your ID card on the reader")
        card = self.id_reader.read_card(self.card_timeout_s)
        if card is None:
            raise WageConfirmError("未读到身份证", "no ID card was read")
        try:
            offered = self.client.wage_lines(card.id_number)
        except SyncError as exc:
            if exc.status == 404:
                raise WageConfirmError(
                    "您不在本项目的登记名单中", "you are not registered on this project"
                ) from exc
            raise WageConfirmError(
                f"无法取得工资单,请稍后再试:{exc}", f"cannot fetch your wage lines: {exc}"
            ) from exc
        result = StationResult(offered.worker_id, offered.name, offered.id_number_masked)
        if not offered.lines:
            self.ui.show("没有待确认的工资单", "no wage line awaits your answer")
            return result
        identity = self._identify(offered, card.id_number, result)
        result.identity = identity
        verified_at = self.clock()
        for offer in offered.lines:
            if not offer.hash_ok():
                result.unreadable.append(offer.line_id)
                self.ui.show(
                    f"{offer.period} 工资单内容与其哈希不符,不能确认,请联系项目部",
                    f"the {offer.period} line does not match its hash: ask the site office",
                )
                continue
            confirmed = self.ui.ask_confirm(offer, line_text(offer))
            if self.clock() - verified_at > self.session_timeout_s:
                self.ui.show("操作超时,请重新刷身份证", "timed out: present your ID card again")
                break
            if not confirmed:
                result.skipped.append(offer.line_id)
                continue
            event = self._record(offered.worker_id, identity, offer.shown_hash)
            result.confirmed.append(
                Confirmed(offer.line_id, offer.period, offer.shown_hash, event.seq, event.hash)
            )
            self.ui.show(
                f"已记录您对 {offer.period} 工资单的确认(第 {event.seq} 号记录)",
                f"your confirmation of the {offer.period} line is recorded (record {event.seq})",
            )
        if result.confirmed:
            self._send(card.id_number, result)
        return result

    # -- who is it ------------------------------------------------------------------------------

    def _identify(
        self, offered: WageLinesResponse, id_number: str, result: StationResult
    ) -> Identity:
        masked = mask_id_number(id_number)
        policy = offered.policy
        face_possible = (
            not offered.face_opt_out
            and bool(offered.face_templates)
            and self.camera is not None
            and self.matcher is not None
        )
        if face_possible:
            assert self.camera is not None  # noqa: S101 - face_possible
            assert self.matcher is not None  # noqa: S101
            self.ui.show("请看摄像头", "please look at the camera")
            gate = self.gate
            verdict, _ = check_face(
                self.camera,
                self.matcher,
                offered.face_templates,
                offered.worker_id,
                threshold=thresholds(gate, policy).verify,
                min_faces=gate.min_faces,
                max_failures=gate.max_face_failures,
                timeout_s=gate.face_timeout_s,
                clock=self.clock,
            )
            if verdict.kind == "match":
                return Identity(
                    GateMode.CARD_AND_FACE, CredentialKind.ID_CARD, masked, verdict.distance
                )
            reason = verdict.reason or DenyReason.FACE_MISMATCH
            refused = Identity(
                GateMode.CARD_AND_FACE, CredentialKind.ID_CARD, masked, verdict.distance
            )
            self._refuse(offered.worker_id, refused, reason, result)
            if not (
                policy.manager_confirmation
                and policy.confirm_after_face_refusal
                and self.ic_reader is not None
            ):
                raise _reason_error(reason)
            return self._confirmation(offered, masked, result, recorded=True)
        return self._confirmation(offered, masked, result, recorded=False)

    def _confirmation(
        self, offered: WageLinesResponse, masked: str, result: StationResult, *, recorded: bool
    ) -> Identity:
        """Card + a confirmer's IC card (RULES.md 3, the alternative to face)."""
        if self.ic_reader is None:
            raise WageConfirmError(
                "需要确认人刷卡,但本站点没有 IC 卡读卡器",
                "a confirmer's card is needed, but this station has no IC card reader",
            )
        self.ui.show("请确认人刷卡", "a confirmer must present their card")
        uid = read_confirmer_card(
            self.ic_reader, offered.policy.confirmation_timeout_s, clock=self.clock
        )
        if uid is None:
            timeout = DenyReason.CONFIRMATION_TIMEOUT
            if not recorded:  # as at the gate: a refused face check is on record already
                ident = Identity(GateMode.CARD_CONFIRMED, CredentialKind.ID_CARD, masked)
                self._refuse(offered.worker_id, ident, timeout, result)
            result.refused = timeout
            raise _reason_error(timeout)
        confirmer, refusal = confirmer_check(uid, offered.confirmers, offered.card_uids)
        ref = confirmed_ref(masked, confirmer.confirmer_id if confirmer else None, uid)
        if refusal is not None:
            ident = Identity(GateMode.CARD_CONFIRMED, CredentialKind.ID_CARD, ref)
            self._refuse(offered.worker_id, ident, refusal, result)
            raise _reason_error(refusal)
        return Identity(GateMode.CARD_CONFIRMED, CredentialKind.MANUAL, ref)

    # -- records --------------------------------------------------------------------------------

    def _refuse(
        self, worker_id: int, identity: Identity, reason: DenyReason, result: StationResult
    ) -> None:
        result.refused = reason
        self.outbox.append(
            record_attempt(
                at=self.now(),
                direction=self.direction,
                identity=identity,
                worker_id=worker_id,
                subject_hash=None,
                result=GateResult.REFUSED,
                reason=reason,
            )
        )
        zh, en = DENY_REASON_TEXT[reason]
        self.ui.show(zh, en)

    def _record(self, worker_id: int, identity: Identity, shown_hash: str) -> GateEvent:
        try:
            return self.outbox.append(
                record_attempt(
                    at=self.now(),
                    direction=self.direction,
                    identity=identity,
                    worker_id=worker_id,
                    subject_hash=shown_hash,
                )
            )
        except Exception as exc:
            raise WageConfirmError(
                "确认未能保存,请联系项目部", f"the confirmation could not be saved: {exc}"
            ) from exc

    def _send(self, id_number: str, result: StationResult) -> None:
        """Upload now when the server is there; else the outbox keeps the records for sync."""
        from edge.sync import SyncError

        if self.upload is None:
            return
        try:
            self.upload()
            result.uploaded = True
            still_open = {o.line_id for o in self.client.wage_lines(id_number).lines}
        except SyncError:
            self.ui.show(
                "确认已保存,联网后自动上传", "your confirmation is saved and uploads when online"
            )
            return
        result.confirmed = [
            replace(c, applied=c.line_id not in still_open) for c in result.confirmed
        ]
        for c in result.confirmed:
            if c.applied:
                self.ui.show(f"{c.period} 工资单已确认", f"the {c.period} wage line is confirmed")
            else:
                self.ui.show(
                    f"{c.period} 工资单已更新,本次确认未生效,请查看新版本",
                    f"the {c.period} line has changed: this confirmation did not take, "
                    "look at the new version",
                )
