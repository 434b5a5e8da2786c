"""server/terminals/receipt.py: what a terminal decided is stored once, chained, signed with the
server's key for that terminal, checkpointed like a gate's, and says it was sealed by the server."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.enums import (
    AssignmentStatus,
    CredentialKind,
    Direction,
    GateMode,
    GateResult,
    RecordPurpose,
    WarningLevel,
)
from server.config import Settings
from server.ingest import service as ingest_service
from server.ingest.models import GateCheckpoint, GateEventRow
from server.reconciliation.models import Finding
from server.registry import face_templates
from server.registry.models import CardBinding, Device, Project
from server.terminals import commands, policy_check, receipt, service
from tests.factories import make_assignment, make_project, make_worker

T0 = dt.datetime(2026, 11, 3, 0, 30, tzinfo=dt.UTC)  # 08:30 in Shanghai


@pytest.fixture
def terminal(session: Session, settings: Settings) -> tuple[Project, Device]:
    project = make_project(session)
    device = service.add_terminal(
        session, settings, None, project, code="ZK-IN-1", vendor="zkteco",
        serial_number="CKJX200160001", direction=Direction.IN,
    )  # fmt: skip
    service.approve(session, settings, None, device, now=T0)
    return project, device


def _passes(worker_id: int, n: int, start: dt.datetime = T0) -> list[receipt.Received]:
    return [
        receipt.Received(
            ref=f"line-{start.isoformat()}-{i}",
            at=start + dt.timedelta(seconds=i),
            result=GateResult.GRANTED,
            mode=GateMode.FACE_ONLY,
            credential=CredentialKind.FACE,
            worker_id=worker_id,
        )
        for i in range(n)
    ]


def test_stored_once_chained_and_checkpointed(
    session: Session, settings: Settings, terminal: tuple[Project, Device]
) -> None:
    project, device = terminal
    worker = make_worker(session)
    make_assignment(session, project, worker)
    items = _passes(worker.id, 1200)
    first = receipt.receive(session, settings, device, items[:700], now=T0)
    again = receipt.receive(session, settings, device, items, now=T0)  # a re-send, and more
    assert (first.stored, first.duplicates, first.checkpoints) == (700, 0, 1)
    assert (again.stored, again.duplicates, again.checkpoints) == (500, 700, 1)
    rows = session.scalars(
        select(GateEventRow).where(GateEventRow.device_id == device.id).order_by(GateEventRow.seq)
    ).all()
    attempts = [r for r in rows if r.purpose is None]
    assert len(attempts) == 1200
    assert all(
        r.terminal_ref and r.terminal_ref.startswith("zkteco:CKJX200160001:") for r in attempts
    )
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    # every stored record re-hashes and verifies under the key on the device row
    report = ingest_service.verify_chain(session, device.id)
    assert report.intact, report.problems[:3]
    checkpoints = session.scalars(
        select(GateCheckpoint).where(GateCheckpoint.device_id == device.id)
    ).all()
    assert [c.status for c in checkpoints] == ["verified", "verified"]
    assert sum(1 for r in rows if r.purpose == RecordPurpose.CHECKPOINT) == 2


def test_a_new_day_seals_the_last(
    session: Session, settings: Settings, terminal: tuple[Project, Device]
) -> None:
    project, device = terminal
    worker = make_worker(session)
    make_assignment(session, project, worker)
    receipt.receive(session, settings, device, _passes(worker.id, 3), now=T0)
    next_day = T0 + dt.timedelta(days=1)
    got = receipt.receive(session, settings, device, _passes(worker.id, 2, next_day), now=next_day)
    assert got.checkpoints == 1
    cp = session.scalars(select(GateCheckpoint).where(GateCheckpoint.device_id == device.id)).one()
    assert (cp.from_seq, cp.to_seq, cp.day, cp.reason) == (1, 3, "2026-11-03", "day_end")
    later = next_day + dt.timedelta(days=1)
    assert receipt.seal_day_ends(session, settings, device, now=later) == 1
    assert session.scalar(select(func.count()).select_from(GateCheckpoint)) == 2


def test_the_key_is_the_servers_not_a_gates(settings: Settings) -> None:
    one = receipt.receipt_public_key(settings, "ZK-IN-1")
    assert one == receipt.receipt_public_key(settings, "ZK-IN-1")
    assert one != receipt.receipt_public_key(settings, "ZK-IN-2")


def test_records_before_approval_are_refused(session: Session, settings: Settings) -> None:
    project = make_project(session)
    service.add_terminal(
        session, settings, None, project, code="HK-1", vendor="hikvision",
        serial_number="DS-K1T671-0001", direction=Direction.OUT,
        url="http://10.0.0.5", username="admin", password="pw",
    )  # fmt: skip
    with pytest.raises(service.TerminalRefusedError) as refused:
        service.accepting(session, "hikvision", "DS-K1T671-0001", now=T0)
    assert refused.value.code == "terminal.not_approved"
    with pytest.raises(service.TerminalRefusedError) as unknown:
        service.accepting(session, "hikvision", "NOPE-0001", now=T0)
    assert unknown.value.code == "terminal.unknown"


def test_a_pass_the_policy_refuses_becomes_a_finding(
    session: Session, settings: Settings, terminal: tuple[Project, Device]
) -> None:
    project, device = terminal
    gone, fine = make_worker(session, "王五"), make_worker(session, "赵六")
    make_assignment(
        session, project, gone, status=AssignmentStatus.LEFT, left_on=dt.date(2026, 10, 1)
    )
    make_assignment(session, project, fine)
    items = [*_passes(gone.id, 1), *_passes(fine.id, 1, T0 + dt.timedelta(minutes=1))]
    stranger = receipt.Received(
        ref="stranger", at=T0, result=GateResult.GRANTED, mode=GateMode.CARD_ONLY,
        credential=CredentialKind.IC_CARD, credential_ref="99999",
    )  # fmt: skip
    got = receipt.receive(session, settings, device, [*items, stranger], now=T0)
    assert got.findings == 2
    found = session.scalars(
        select(Finding).where(Finding.kind == policy_check.FINDING_KIND).order_by(Finding.id)
    ).all()
    assert [(f.level, f.evidence["reason"]) for f in found] == [
        (WarningLevel.RED, "left"),
        (WarningLevel.RED, "not_on_roster"),
    ]
    assert "ZK-IN-1" in found[0].message_zh
    assert "已退场" in found[0].message_zh
    receipt.receive(session, settings, device, [*items, stranger], now=T0)  # a re-send
    assert len(session.scalars(select(Finding)).all()) == 2


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00face\xff\xd9"


def test_roster_to_terminal_commands(
    session: Session, settings: Settings, terminal: tuple[Project, Device]
) -> None:
    project, device = terminal
    face = make_worker(session, "刷脸", face_consent=True)
    card_only = make_worker(session, "刷卡")
    a_face = make_assignment(session, project, face)
    a_card = make_assignment(session, project, card_only)
    session.add(CardBinding(assignment_id=a_card.id, uid="0012345678"))
    session.add(CardBinding(assignment_id=a_face.id, uid="0087654321"))
    face_templates.set_photo(session, settings, face, JPEG)
    first = commands.sync(session, settings, device, now=T0)
    assert (first.upserts, first.deletes) == (2, 0)
    assert commands.sync(session, settings, device, now=T0).upserts == 0  # already queued
    sent = commands.next_commands(session, device, now=T0)
    assert {(c.pin, c.payload["access"]) for c in sent} == {
        (str(face.id), "face"),
        (str(card_only.id), "card"),
    }
    for c in sent:
        commands.confirm(session, device, c.id, ok=True, return_code=0, now=T0)
    assert commands.status(session, [device.id])[device.id].users == 2
    # the card holder leaves: removed, shown pending until the terminal confirms
    a_card.status = AssignmentStatus.LEFT
    session.flush()
    assert commands.sync(session, settings, device, now=T0).deletes == 1
    assert commands.status(session, [device.id])[device.id].removals_pending == 1
    (delete,) = commands.next_commands(session, device, now=T0)
    assert (delete.action, delete.reason) == ("delete", "left")
    commands.confirm(session, device, delete.id, ok=True, return_code=0, now=T0)
    state = commands.status(session, [device.id])[device.id]
    assert (state.users, state.removals_pending, state.pending) == (1, 0, 0)
    # consent withdrawn: the picture goes, and the worker is pushed again as card-only
    face_templates.set_consent(session, face, False)
    again = commands.sync(session, settings, device, now=T0)
    assert again.upserts == 1
    (change,) = commands.next_commands(session, device, now=T0)
    assert change.payload["access"] == "card"


def test_the_workers_evidence_verifies_and_says_server_sealed(
    session: Session, settings: Settings, terminal: tuple[Project, Device]
) -> None:
    from server.ingest import evidence

    project, device = terminal
    worker = make_worker(session)
    make_assignment(session, project, worker)
    receipt.receive(session, settings, device, _passes(worker.id, 3), now=T0)
    ev = evidence.worker_month_evidence(
        session, project_id=project.id, worker_id=worker.id, period="2026-11", now=T0
    )
    assert ev.events_checked == 3
    assert ev.events_ok == 3  # re-hashed and verified with the key on the device row
    for e in ev.events:
        assert "terminal_ref" in e.canonical
        assert [w.kind for w in e.warnings] == ["server_sealed"]
        assert "非设备签名" in e.warnings[0].message_zh


def test_the_evidence_pack_checks_and_names_the_server_as_sealer(
    session: Session, settings: Settings, terminal: tuple[Project, Device]
) -> None:
    import io
    import json
    import zipfile

    from models import pack_verifier
    from server.evidence_pack.build import build_pack

    project, device = terminal
    worker = make_worker(session)
    make_assignment(session, project, worker)
    receipt.receive(session, settings, device, _passes(worker.id, 3), now=T0)
    receipt.seal_day_ends(session, settings, device, now=T0 + dt.timedelta(days=1))
    data, _name = build_pack(
        session, settings, project_id=project.id, worker_id=worker.id, period="2026-11",
        now=T0 + dt.timedelta(days=30),
    )  # fmt: skip
    report = pack_verifier.verify(data)
    failed = [c for c in report.checks if not c.ok]
    assert report.verdict == "VALID_UNANCHORED", failed
    sealed = [c for c in report.checks if c.name == "records.server_sealed"]
    assert [c.subject for c in sealed] == ["ZK-IN-1"]
    assert "非设备签名" in sealed[0].message_zh
    # the terminal's key fingerprint does not anchor the pack: the server holds that key
    anchored = pack_verifier.verify(data, gate_keys={"ZK-IN-1": device.public_key or ""})
    assert anchored.verdict == "VALID_UNANCHORED"
    keys = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("keys.json"))
    assert keys["gates"][0]["sealed_by"].startswith("server")


def test_the_signed_attendance_sheet_says_the_terminal_is_server_sealed(
    session: Session, settings: Settings, terminal: tuple[Project, Device]
) -> None:
    from server.ingest import checkpoints
    from server.reports import roster_xlsx

    project, _device = terminal
    (anchor,) = checkpoints.month_anchors(session, project.id, "2026-11")
    assert anchor.server_sealed
    (line,) = roster_xlsx.gate_lines([anchor])
    assert "ZK-IN-1" in line
    assert "非设备签名" in line


def test_a_refused_picture_is_not_pushed_again_but_a_refused_removal_is(
    session: Session, settings: Settings, terminal: tuple[Project, Device]
) -> None:
    project, device = terminal
    worker = make_worker(session, "刷脸", face_consent=True)
    assignment = make_assignment(session, project, worker)
    face_templates.set_photo(session, settings, worker, JPEG)
    commands.sync(session, settings, device, now=T0)
    (push,) = commands.next_commands(session, device, now=T0)
    commands.confirm(session, device, push.id, ok=False, return_code=6, now=T0)
    assert commands.sync(session, settings, device, now=T0).upserts == 0  # same picture: no
    assert commands.status(session, [device.id])[device.id].failed == 1
    face_templates.set_photo(session, settings, worker, JPEG + b"\x00")  # a new picture: yes
    assert commands.sync(session, settings, device, now=T0).upserts == 1
    (again,) = commands.next_commands(session, device, now=T0)
    commands.confirm(session, device, again.id, ok=True, return_code=0, now=T0)
    assert commands.status(session, [device.id])[device.id].failed == 0  # fixed: history
    assignment.status = AssignmentStatus.LEFT
    session.flush()
    commands.sync(session, settings, device, now=T0)
    (removal,) = commands.next_commands(session, device, now=T0)
    commands.confirm(session, device, removal.id, ok=False, return_code=-1, now=T0)
    assert commands.sync(session, settings, device, now=T0).deletes == 1  # tried again


def test_a_reset_terminal_numbering_again_loses_nothing(
    session: Session, settings: Settings, terminal: tuple[Project, Device]
) -> None:
    project, device = terminal
    worker = make_worker(session)
    make_assignment(session, project, worker)

    def numbered(n: int, at: dt.datetime) -> receipt.Received:
        return receipt.Received(
            ref=str(n), at=at, result=GateResult.GRANTED, mode=GateMode.FACE_ONLY,
            credential=CredentialKind.FACE, worker_id=worker.id,
        )  # fmt: skip

    before = [numbered(n, T0 + dt.timedelta(minutes=n)) for n in (1, 2)]
    after = [numbered(n, T0 + dt.timedelta(days=2, minutes=n)) for n in (1, 2)]  # log cleared
    assert receipt.receive(session, settings, device, before, now=T0).stored == 2
    got = receipt.receive(session, settings, device, after, now=T0 + dt.timedelta(days=2))
    assert (got.stored, got.duplicates, got.reused) == (2, 0, 2)
    resent = receipt.receive(session, settings, device, after, now=T0 + dt.timedelta(days=2))
    assert (resent.stored, resent.duplicates, resent.reused) == (0, 2, 0)
    (finding,) = session.scalars(
        select(Finding).where(Finding.kind == policy_check.REUSED_KIND)
    ).all()
    assert finding.level is WarningLevel.YELLOW
    assert "重复使用" in finding.message_zh
