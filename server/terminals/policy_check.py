"""The project's gate policy, re-checked on the server for every pass a face terminal granted.

A terminal decides from the users it holds, which may be stale (a removal not yet confirmed, a
terminal offline when a worker left) or never knew the project's rules (contract, training,
age). Each granted attempt is checked with the same entry rules the edge gate applies
(models.gate_rules.check_entry) as of its local day; a pass the policy would have refused
becomes a finding, red when the person should not have been on site at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from models.enums import DENY_REASON_TEXT, DenyReason, GateResult, WarningLevel
from models.gate_event import GateEvent
from models.gate_rules import check_entry
from server.config import Settings
from server.ingest import repository as ingest_repository
from server.ingest import service as ingest_service
from server.registry.models import Device

FINDING_KIND = "TERMINAL_POLICY"
_RED = {DenyReason.NOT_ON_ROSTER, DenyReason.LEFT, DenyReason.BLOCKLISTED, DenyReason.NOT_ENTERED}


def recheck(
    session: Session, settings: Settings, device: Device, events: Sequence[GateEvent]
) -> int:
    """Raise a finding for each granted pass the policy refuses; returns how many."""
    granted = [e for e in events if e.result is GateResult.GRANTED and e.purpose is None]
    if not granted:
        return 0
    project = ingest_repository.project(session, device.project_id)
    zone = ZoneInfo(project.timezone)
    policy = ingest_service.gate_policy(project)
    ids = sorted({e.worker_id for e in granted if e.worker_id is not None})
    entries = {
        e.worker_id: e
        for e in ingest_service.roster_entries(
            session, settings, project.id, worker_ids=ids, with_templates=False
        )
    }
    refused: list[tuple[GateEvent, DenyReason]] = []
    for event in granted:
        entry = entries.get(event.worker_id) if event.worker_id is not None else None
        day = event.device_time.astimezone(zone).date()
        reason = DenyReason.NOT_ON_ROSTER if entry is None else check_entry(entry, policy, day)
        if reason is not None:
            refused.append((event, reason))
    keyed = {f"{FINDING_KIND}:device:{device.id}:seq:{e.seq}": (e, r) for e, r in refused}
    existing = ingest_repository.existing_finding_keys(session, project.id, list(keyed))
    for key, (event, reason) in keyed.items():
        if key in existing:
            continue
        zh, en = DENY_REASON_TEXT[reason]
        at = event.device_time.astimezone(zone)
        who = f"工人 {event.worker_id}" if event.worker_id is not None else "未知人员"
        who_en = f"worker {event.worker_id}" if event.worker_id is not None else "an unknown person"
        ingest_repository.add_finding(
            session,
            project_id=project.id,
            period=at.strftime("%Y-%m"),
            kind=FINDING_KIND,
            level=WarningLevel.RED if reason in _RED else WarningLevel.ORANGE,
            key=key,
            device_id=device.id,
            message_zh=f"人脸终端 {device.code} 于 {at:%m-%d %H:%M} 放行了{who},"
            f"而项目闸机规则应拒绝:{zh}",
            message_en=f"face terminal {device.code} let {who_en} through at {at:%m-%d %H:%M} "
            f"although the project's gate policy refuses: {en}",
            evidence={
                "seq": event.seq,
                "worker_id": event.worker_id,
                "reason": reason.value,
                "terminal_ref": event.terminal_ref,
                "at": at.isoformat(),
            },
        )
    return len(keyed) - len(existing)


REUSED_KIND = "TERMINAL_NUMBERS_REUSED"


def numbers_reused(session: Session, device: Device, n: int, *, now: dt.datetime) -> None:
    """A terminal numbered records again from an earlier number (its event log was cleared,
    reset or replaced): nothing is lost, but missing numbers can no longer be told apart from a
    reset, so the site should know. One finding per terminal and day."""
    project = ingest_repository.project(session, device.project_id)
    day = now.astimezone(ZoneInfo(project.timezone)).date()
    key = f"{REUSED_KIND}:device:{device.id}:{day.isoformat()}"
    if ingest_repository.existing_finding_keys(session, project.id, [key]):
        return
    ingest_repository.add_finding(
        session,
        project_id=project.id,
        period=day.strftime("%Y-%m"),
        kind=REUSED_KIND,
        level=WarningLevel.YELLOW,
        key=key,
        device_id=device.id,
        message_zh=f"人脸终端 {device.code} 重复使用了已有的记录号({n} 条,终端日志可能被清空或"
        "重置):记录已全部保存,但此后的漏传无法再按记录号判断,请核对终端",
        message_en=f"face terminal {device.code} reused record numbers ({n} records; its log "
        "was probably cleared or reset): every record is kept, but from now on a missing "
        "record can no longer be told by its number; check the terminal",
        evidence={"records": n, "day": day.isoformat()},
    )
