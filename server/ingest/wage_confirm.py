"""Wage confirmations at a station: a worker confirms their wage line (工资支付表 row) at a device
of the project, as a signed record in that device's hash chain (purpose wage_confirm, subject_hash
the line's shown_hash). The record is evidence of the same strength as the gate's passes.

Two halves:

* `offers`: what the station shows. The worker's lines awaiting an answer (awaiting or disputed,
  on a sheet that is sent) on the device's own project, each with exactly what the worker is
  shown (the canonical form the line's hash covers) and the means to check the worker: their
  face templates (only with recorded consent, for this worker only), their own cards, the
  project's confirmers. Each read is audited (`wages.station_lines`: device, worker, lines).
* `apply`: on ingest, a stored wage_confirm record that is granted, names a worker and a hash,
  and links to its chain, confirms the worker's current line with that shown_hash through
  server.wages.confirm (confirmed_via "device", with the device code and seq).

Decisions (the edge and the site office code against them):

* Only records ingest newly stored are applied, in the same unit of work: a re-upload is a
  duplicate and applies nothing twice.
* The record must name the line's worker twice over: its worker_id, and its credential_ref (the
  masked ID number or a card of theirs, before any "|by:" confirmer part). A station cannot
  confirm another worker's line with my card.
* A record that confirms nothing stays in the chain as evidence, and says so: where a line of
  the worker on the project was shown with that hash (the line changed since, the sheet locked,
  it was confirmed already, or the record's link is broken), the line's history gets a
  `not_applied` event naming the device, seq, cause and both hashes; where no line of the worker
  ever had that hash, an audit entry `wages.device_confirm_unmatched` and a warning in the log.
  Either way the manager sees a station confirmation that did not take, and why.
* Attendance never counts these records (rosters filter `purpose IS NULL`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import AssignmentStatus, GateMode, GateResult, RecordPurpose
from models.errors import ContractError
from models.gate_event import GateEvent
from models.ids import mask_id_number, parse_id_number
from models.roster import GatePolicy, split_confirmed_ref
from models.wage_line import ItemLabel, WageLineOffer, WageLinesRequest, WageLinesResponse
from server.auth.service import audit
from server.config import Settings
from server.errors import NotFoundError, SiteGateError, ValidationFailedError
from server.ingest import evidence_chain, repository
from server.registry import face_templates
from server.registry import service as registry_service
from server.registry.models import Assignment, Device, Worker
from server.wages import confirm as wage_confirm
from server.wages import rules as wage_rules
from server.wages import sheets as wage_sheets
from server.wages.models import WageLine, WageLineEvent, WageSheet

log = logging.getLogger(__name__)

NOT_APPLIED = "not_applied"  # WageLineEvent.action of a station record that confirmed nothing
OPEN_STATES = (wage_rules.LineState.AWAITING.value, wage_rules.LineState.DISPUTED.value)

# DeviceProof.credential: how the station checked the worker.
CREDENTIAL = {GateMode.CARD_AND_FACE: "id_card+face", GateMode.CARD_CONFIRMED: "card+confirmer"}


class Outcome(StrEnum):
    CONFIRMED = "confirmed"
    ALREADY_CONFIRMED = "already_confirmed"  # this version was confirmed before (phone, …)
    LINE_CHANGED = "line_changed"  # the line was shown with this hash, it has changed since
    NOT_OPEN = "not_open"  # the sheet is locked or paid, or the line is no longer open
    CHAIN_BROKEN = "chain_broken"  # the record does not link to its predecessor
    NOT_THE_WORKER = "not_the_worker"  # the credential does not name the line's worker
    NO_LINE = "no_line"  # no line of this worker on the project ever had this hash


OUTCOME_TEXT: dict[Outcome, tuple[str, str]] = {
    Outcome.CONFIRMED: ("已在站点确认", "confirmed at a station"),
    Outcome.ALREADY_CONFIRMED: (
        "该版本已确认过,本站点记录作为补充凭证保存",
        "this version was confirmed already; the station record is kept as further evidence",
    ),
    Outcome.LINE_CHANGED: (
        "站点确认的是旧版本工资单,工资单已更新,未生效",
        "the station confirmed an earlier version; the line has changed since: not applied",
    ),
    Outcome.NOT_OPEN: (
        "工资表已锁定或该行已不可确认,站点确认未生效",
        "the sheet is locked or the line is no longer open: the station confirmation not applied",
    ),
    Outcome.CHAIN_BROKEN: (
        "该站点记录与设备哈希链不衔接,未生效",
        "the station record does not link into the device's hash chain: not applied",
    ),
    Outcome.NOT_THE_WORKER: (
        "站点记录的证件不是本人的,未生效",
        "the credential on the station record is not this worker's: not applied",
    ),
    Outcome.NO_LINE: (
        "没有与站点记录哈希相符的工资单",
        "no wage line of the worker was ever shown with the station record's hash",
    ),
}


# --- what the station shows -------------------------------------------------------------------


def _field_error(message_zh: str, message_en: str) -> ValidationFailedError:
    return ValidationFailedError(
        f"请求数据有误:id_number:{message_zh}",
        f"invalid request data: id_number: {message_en}",
        detail=[{"field": "id_number", "message": message_en, "type": "value_error"}],
    )


def _assignments(session: Session, project_id: int, worker_id: int) -> list[Assignment]:
    """The worker's assignments on the project, the most current first (active, pending, left):
    a worker who left still confirms their last months."""
    rank = {AssignmentStatus.ACTIVE: 0, AssignmentStatus.PENDING: 1, AssignmentStatus.LEFT: 2}
    rows = session.scalars(
        select(Assignment).where(
            Assignment.project_id == project_id, Assignment.worker_id == worker_id
        )
    )
    return sorted(rows, key=lambda a: (rank.get(a.status, 3), -a.id))


def open_lines(session: Session, project_id: int, worker_id: int) -> list[WageLine]:
    """The worker's lines awaiting an answer on sheets sent to them, oldest month first."""
    return list(
        session.scalars(
            select(WageLine)
            .join(WageSheet, WageSheet.id == WageLine.sheet_id)
            .where(
                WageLine.project_id == project_id,
                WageLine.worker_id == worker_id,
                WageLine.state.in_(OPEN_STATES),
                WageSheet.state == wage_rules.SheetState.SENT.value,
            )
            .order_by(WageLine.period, WageLine.id)
        )
    )


def _offer(session: Session, line: WageLine) -> WageLineOffer:
    sheet = session.get(WageSheet, line.sheet_id)
    assert sheet is not None  # noqa: S101 - a foreign key
    items = wage_sheets.rule_items(wage_sheets.items_by_line(session, [line.id]).get(line.id, []))
    shown = wage_sheets.shown(wage_sheets.SheetContext.of(session, sheet), sheet, line, items)
    if wage_rules.line_hash(shown) != line.shown_hash:
        # Sent with another company name or wage account than today's: the station refuses to
        # show it (its own hash check), and the office sends the line again.
        log.warning("wage line %s: shown form no longer hashes to its shown_hash", line.id)
    state = wage_rules.LineState(line.state)
    return WageLineOffer(
        line_id=line.id,
        sheet_id=line.sheet_id,
        period=line.period,
        state=state.value,
        state_text=state.text,
        stale=line.stale,
        shown_hash=line.shown_hash,
        shown=shown.canonical(),
        item_labels=[
            ItemLabel(
                zh=i.category.text[0],
                en=i.category.text[1],
                deduction=i.kind is wage_rules.ItemKind.DEDUCTION,
            )
            for i in items
        ],
        wage_kind_text=wage_sheets.wage_kind_text(line.wage_kind),
    )


def offers(
    session: Session,
    settings: Settings,
    device: Device,
    req: WageLinesRequest,
    *,
    policy: GatePolicy,
) -> WageLinesResponse:
    """The worker read off the ID card at the station, and their open lines on the device's
    project; a worker not on this project is 404 (nothing disclosed)."""
    try:
        id_number = parse_id_number(req.id_number)
    except ContractError as exc:
        raise _field_error(exc.message_zh, exc.message_en) from None
    worker = repository.worker_by_id_number(session, id_number)
    assignments = _assignments(session, device.project_id, worker.id) if worker is not None else []
    if worker is None or not assignments:
        raise NotFoundError("本项目的工人", "worker on this project")
    current = assignments[0]
    templates: list[list[float]] = []
    if worker.face_consent and current.status != AssignmentStatus.LEFT:
        templates = face_templates.templates_for(session, settings, worker.id)
    cards = repository.card_uids_for(session, [a.id for a in assignments])
    lines = [_offer(session, line) for line in open_lines(session, device.project_id, worker.id)]
    # A worker's pay (and template) went to a device: who looked, and when, is on record.
    audit(
        session,
        None,
        "wages.station_lines",
        "worker",
        worker.id,
        project_id=device.project_id,
        detail={"device": device.code, "lines": [o.line_id for o in lines]},
    )
    return WageLinesResponse(
        worker_id=worker.id,
        name=worker.name,
        id_number_masked=mask_id_number(worker.id_number),
        # As the roster decides it, and no template means no face check either.
        face_opt_out=current.face_opt_out or not worker.face_consent or not templates,
        face_templates=templates if not current.face_opt_out else [],
        card_uids=sorted({uid for uids in cards.values() for uid in uids}),
        confirmers=registry_service.confirmers_for_roster(session, device.project_id),
        policy=policy,
        lines=lines,
    )


# --- ingest: applying stored records ----------------------------------------------------------


def applicable(event: GateEvent) -> bool:
    return (
        event.purpose is RecordPurpose.WAGE_CONFIRM
        and event.result is GateResult.GRANTED
        and event.worker_id is not None
        and event.subject_hash is not None
    )


@dataclass(frozen=True, slots=True)
class Applied:
    seq: int
    outcome: Outcome
    line_id: int | None


def apply(
    session: Session, device: Device, events: Iterable[GateEvent], linked: Mapping[int, bool]
) -> list[Applied]:
    """Apply the newly stored wage_confirm records of a batch, in seq order. `linked[seq]` is
    False for a record stored with a broken link (prev_hash mismatch)."""
    out = []
    for event in sorted((e for e in events if applicable(e)), key=lambda e: e.seq):
        applied = _apply_one(session, device, event, linked=linked.get(event.seq, True))
        log.info(
            "wage confirmation device=%s seq=%s outcome=%s line=%s",
            device.code,
            event.seq,
            applied.outcome.value,
            applied.line_id,
        )
        out.append(applied)
    return out


def _names_worker(session: Session, worker: Worker, credential_ref: str | None) -> bool:
    if not credential_ref:
        return False
    ref = split_confirmed_ref(credential_ref)[0]
    return ref in evidence_chain.worker_refs(session, worker)


def _apply_one(session: Session, device: Device, event: GateEvent, *, linked: bool) -> Applied:
    assert event.worker_id is not None  # noqa: S101 - applicable()
    assert event.subject_hash is not None  # noqa: S101
    lines = list(
        session.scalars(
            select(WageLine).where(
                WageLine.project_id == device.project_id, WageLine.worker_id == event.worker_id
            )
        )
    )
    line = next((ln for ln in lines if ln.shown_hash == event.subject_hash), None)
    current = line is not None
    if line is None and lines:
        # Shown with this hash once (every version sent has its SEND event)?
        line_id = session.scalar(
            select(WageLineEvent.line_id)
            .where(
                WageLineEvent.line_id.in_([ln.id for ln in lines]),
                WageLineEvent.line_hash == event.subject_hash,
            )
            .limit(1)
        )
        line = next((ln for ln in lines if ln.id == line_id), None)
    if line is None:
        _unmatched(session, device, event)
        return Applied(event.seq, Outcome.NO_LINE, None)
    worker = session.get(Worker, line.worker_id)
    if worker is None or not _names_worker(session, worker, event.credential_ref):
        return _not_applied(session, device, event, line, Outcome.NOT_THE_WORKER)
    if not current:
        return _not_applied(session, device, event, line, Outcome.LINE_CHANGED)
    if not linked:
        return _not_applied(session, device, event, line, Outcome.CHAIN_BROKEN)
    if line.state == wage_rules.LineState.CONFIRMED.value and (
        line.confirmed_hash == event.subject_hash
    ):
        if (line.confirmed_device, line.confirmed_seq) == (device.code, event.seq):
            return Applied(event.seq, Outcome.CONFIRMED, line.id)  # this very record
        return _not_applied(session, device, event, line, Outcome.ALREADY_CONFIRMED)
    proof = wage_confirm.DeviceProof(
        device_code=device.code,
        seq=event.seq,
        event_hash=event.hash,
        credential=CREDENTIAL.get(event.mode, event.mode.value),
        at=event.device_time,
    )
    try:
        # Refuses before it changes anything: a locked or paid sheet, a line in no state to
        # confirm (resolved).
        wage_confirm.confirm(session, line, shown_hash=event.subject_hash, user=None, device=proof)
    except SiteGateError:
        return _not_applied(session, device, event, line, Outcome.NOT_OPEN)
    return Applied(event.seq, Outcome.CONFIRMED, line.id)


def _not_applied(
    session: Session, device: Device, event: GateEvent, line: WageLine, outcome: Outcome
) -> Applied:
    """The record stays in the chain; the line's history says it came and did not take."""
    noted = session.scalar(
        select(WageLineEvent.id).where(
            WageLineEvent.line_id == line.id,
            WageLineEvent.device_code == device.code,
            WageLineEvent.device_seq == event.seq,
        )
    )
    if noted is None:
        zh, en = OUTCOME_TEXT[outcome]
        session.add(
            WageLineEvent(
                line_id=line.id,
                at=event.device_time,
                action=NOT_APPLIED,
                line_hash=event.subject_hash or "",
                via="device",
                device_code=device.code,
                device_seq=event.seq,
                comment=f"{zh} / {en}",
                detail={
                    "cause": outcome.value,
                    "event_hash": event.hash,
                    "current_hash": line.shown_hash,
                    "worker_id": event.worker_id,
                },
            )
        )
        session.flush()
    return Applied(event.seq, outcome, line.id)


def _unmatched(session: Session, device: Device, event: GateEvent) -> None:
    log.warning(
        "wage confirmation matches no line: device=%s seq=%s worker=%s",
        device.code,
        event.seq,
        event.worker_id,
    )
    audit(
        session,
        None,
        "wages.device_confirm_unmatched",
        "device",
        device.id,
        project_id=device.project_id,
        detail={
            "device": device.code,
            "seq": event.seq,
            "worker_id": event.worker_id,
            "subject_hash": event.subject_hash,
            "event_hash": event.hash,
        },
    )
