"""The worker-month evidence pack over real gates: two gates' Outboxes seal checkpoints, their
SyncClients upload through the app, the server issues its digests, and the pack is built from
the database. Then the database is tampered with as whoever runs the server could, the pack is
built again, and the standalone verifier (models/pack_verifier.py) names the check that fails.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from edge.decision import Attempt
from edge.outbox import CheckpointPolicy, Outbox
from edge.sync import SyncClient
from models import checkpoint as model_cp
from models import pack_verifier
from models.device_auth import key_fingerprint, new_private_key, public_key_hex
from models.enums import CredentialKind, DenyReason, Direction, GateMode, GateResult, Role
from models.gate_event import GateEvent, canonical_bytes, chain_hash
from models.ids import mask_id_number
from server.anchors import digest as digests
from server.anchors import server_key
from server.anchors.models import DailyDigest
from server.auth.models import AuditLog, User
from server.config import Settings
from server.evidence_pack.build import build_pack
from server.ingest import evidence
from server.ingest.models import ChainBreak, GateCheckpoint, GateEventRow
from server.registry import service as registry_service
from server.registry.models import Device, Project, Worker
from server.reports import evidence_pdf, evidence_xlsx
from tests.factories import (
    login,
    make_assignment,
    make_device,
    make_project,
    make_user,
    make_worker,
)
from tests.support.pdf_text import pdf_lines

ZONE = ZoneInfo("Asia/Shanghai")
PERIOD = "2026-05"
DAYS = [dt.date(2026, 4, 30), *(dt.date(2026, 5, d) for d in (4, 5, 6)), dt.date(2026, 6, 1)]
BUILT = dt.datetime(2026, 6, 3, 9, tzinfo=ZONE)


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE)


@dataclass
class Gate:
    device: Device
    key: Ed25519PrivateKey
    outbox: Outbox
    sync: SyncClient


@dataclass
class Site:
    project: Project
    a: Worker
    b: Worker
    c: Worker
    admin: User
    gates: dict[Direction, Gate]
    attempts: dict[Direction, list[Attempt]]


def _provision(
    client: TestClient, session: Session, device: Device, admin: User, at: dt.datetime
) -> Ed25519PrivateKey:
    code, _ = registry_service.issue_provisioning_code(session, admin, device)
    session.commit()
    key = new_private_key()
    r = client.post(
        "/api/v1/edge/provision", json={"code": code, "public_key": public_key_hex(key)}
    )
    assert r.status_code == 200, r.text
    session.expire_all()
    for row in session.scalars(
        select(AuditLog).where(AuditLog.entity == "device", AuditLog.entity_id == device.id)
    ):
        if row.at > at:  # only the rows written just now (real time): the gate set up at `at`
            row.at = at
    session.commit()
    return key


def _attempt(w: Worker, when: dt.datetime, direction: Direction, ok: bool = True) -> Attempt:
    return Attempt(
        at=when,
        direction=direction,
        mode=GateMode.CARD_ONLY,
        result=GateResult.GRANTED if ok else GateResult.REFUSED,
        reason=None if ok else DenyReason.NOT_ON_ROSTER,
        credential=CredentialKind.ID_CARD,
        credential_ref=mask_id_number(w.id_number),
        worker_id=w.id,
    )


def _outbox(path: Path, device: Device, key: Ed25519PrivateKey) -> Outbox:
    return Outbox(
        path, device_id=device.code, key=key, checkpoints=CheckpointPolicy(zone=ZONE, every_n=500)
    )


def _upload(gate: Gate, monkeypatch: pytest.MonkeyPatch, received: dt.datetime) -> None:
    monkeypatch.setattr("server.ingest.router.utcnow", lambda: received.astimezone(dt.UTC))
    events = gate.outbox.pending(1000)
    if events:
        ack = gate.sync.upload(events)
        assert ack.errors == []
        gate.outbox.ack_through(ack.highest_contiguous_seq)


def _day(site: Site, day: dt.date) -> None:
    """A and B in and out; C refused at the IN gate on May 5."""
    plan = {
        Direction.IN: [_attempt(site.a, local(day, 8), Direction.IN)]
        + [_attempt(site.b, local(day, 8, 1), Direction.IN)]
        + ([_attempt(site.c, local(day, 8, 2), Direction.IN, ok=False)] if day.day == 5 else []),
        Direction.OUT: [
            _attempt(site.a, local(day, 17), Direction.OUT),
            _attempt(site.b, local(day, 17, 1), Direction.OUT),
        ],
    }
    for direction, attempts in plan.items():
        for attempt in attempts:
            site.gates[direction].outbox.append(attempt)
            site.attempts[direction].append(attempt)


def _seal(site: Site, monkeypatch: pytest.MonkeyPatch, day: dt.date) -> None:
    """The gates' day ends (their uploader's tick after midnight) and they upload."""
    after = local(day + dt.timedelta(days=1), 1)
    for gate in site.gates.values():
        gate.outbox.checkpoint_if_day_over(after)
        _upload(gate, monkeypatch, after)


def _rekey(client: TestClient, session: Session, site: Site, tmp_path: Path) -> None:
    """The OUT gate's key replaced on the morning of May 6; its outbox (and seq) go on."""
    gate = site.gates[Direction.OUT]
    gate.outbox.close()
    gate.sync.close()
    key = _provision(client, session, gate.device, site.admin, local(dt.date(2026, 5, 6), 7))
    sync = SyncClient(
        "http://testserver", device_code=gate.device.code, key=key, transport=client._transport
    )
    site.gates[Direction.OUT] = Gate(
        gate.device, key, _outbox(tmp_path / f"{Direction.OUT}.db", gate.device, key), sync
    )


@pytest.fixture
def site(
    request: pytest.FixtureRequest,
    client: TestClient,
    session: Session,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Site]:
    rekey = getattr(request, "param", None) == "rekey"
    project = make_project(session, name="证据包项目", timezone="Asia/Shanghai")
    a, b, c = (make_worker(session, name=n) for n in ("王五", "赵六", "钱七"))
    for w in (a, b, c):
        make_assignment(session, project, w)
    admin = make_user(session, Role.ADMIN)
    gates = {}
    for direction in (Direction.IN, Direction.OUT):
        device = make_device(session, project, direction)
        key = _provision(client, session, device, admin, local(dt.date(2026, 4, 29), 7))
        sync = SyncClient(
            "http://testserver", device_code=device.code, key=key, transport=client._transport
        )
        gates[direction] = Gate(
            device, key, _outbox(tmp_path / f"{direction}.db", device, key), sync
        )
    s = Site(project, a, b, c, admin, gates, {Direction.IN: [], Direction.OUT: []})
    for day in DAYS:
        if rekey and day == dt.date(2026, 5, 6):
            _rekey(client, session, s, tmp_path)
        _day(s, day)
        _seal(s, monkeypatch, day)
    yield s
    for gate in s.gates.values():
        gate.sync.close()
        gate.outbox.close()


def _pack(session: Session, settings: Settings, site: Site, worker: Worker) -> bytes:
    session.expire_all()
    data, _ = build_pack(
        session,
        settings,
        project_id=site.project.id,
        worker_id=worker.id,
        period=PERIOD,
        now=BUILT.astimezone(dt.UTC),
    )
    session.commit()
    return data


def _files(pack: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(pack)) as z:
        return {n: z.read(n) for n in z.namelist()}


def _failed(report: pack_verifier.Report) -> set[str]:
    return {c.name for c in report.failed()}


def _fingerprints(site: Site) -> dict[str, str]:
    return {g.device.code: key_fingerprint(public_key_hex(g.key)) for g in site.gates.values()}


def _rows(session: Session, site: Site, worker: Worker) -> list[GateEventRow]:
    """The worker's May records at both gates, by time."""
    start, end = local(dt.date(2026, 5, 1), 0), local(dt.date(2026, 6, 1), 0)
    return list(
        session.scalars(
            select(GateEventRow)
            .where(GateEventRow.project_id == site.project.id, GateEventRow.worker_id == worker.id)
            .where(GateEventRow.device_time >= start, GateEventRow.device_time < end)
            .order_by(GateEventRow.device_time)
        )
    )


# --- the honest pack -----------------------------------------------------------------------


def test_pack_holds_the_month_and_verifies(
    session: Session, settings: Settings, site: Site
) -> None:
    pack = _pack(session, settings, site, site.a)
    files = _files(pack)
    assert {"manifest.json", "records.json", "checkpoints.json", "proofs.json", "keys.json"} <= set(
        files
    )
    assert {"wage.json", "verify_pack.py", "README.txt"} <= set(files)
    records = json.loads(files["records.json"])
    # A's 6 passes of May, and the days sealed by the boundary checkpoints (Apr 30, Jun 1)
    assert sum(r["in_period"] for r in records) == 6
    assert len(records) == 10
    assert {r["worker_id"] for r in records} == {site.a.id}
    checkpoints = json.loads(files["checkpoints.json"])
    assert len(checkpoints) == 2 * len(DAYS)  # each gate: Apr 30, May 4, 5, 6, Jun 1
    digests = sorted(n for n in files if n.startswith("digests/"))
    assert digests[0] == "digests/2026-05-01.json"  # Apr 30 sealed at 01:00 on May 1
    assert digests[-1] == "digests/2026-06-02.json"
    manifest = json.loads(files["manifest.json"])
    body = json.loads(manifest["body"])
    assert body["server_key"]["fingerprint"] == server_key.fingerprint(settings)
    assert body["worker"]["id"] == site.a.id
    assert site.a.id_number not in files["records.json"].decode()  # masked, as the gate signs it

    report = pack_verifier.verify(pack)
    assert report.failed() == []
    assert report.verdict == "VALID_UNANCHORED"
    anchored = pack_verifier.verify(pack, gate_keys=_fingerprints(site))
    assert anchored.verdict == "VALID", [c for c in anchored.checks if not c.ok]
    names = {c.name for c in anchored.checks}
    assert {"record.hash", "record.signature", "record.inclusion", "worker.leaf"} <= names
    assert {"checkpoint.chain", "anchor.digest", "anchor.gate_key", "manifest.files"} <= names


def test_a_worker_without_records_gets_absence_proofs(
    session: Session, settings: Settings, site: Site
) -> None:
    pack = _pack(session, settings, site, site.c)  # C: one refusal at the IN gate, May 5
    records = json.loads(_files(pack)["records.json"])
    assert [(r["result"], r["in_period"]) for r in records] == [("refused", True)]
    proofs = json.loads(_files(pack)["proofs.json"])
    kinds = [p["kind"] for p in proofs["workers"]]
    assert kinds.count("inclusion") == 1
    assert kinds.count("absence") == len(kinds) - 1
    assert pack_verifier.verify(pack, gate_keys=_fingerprints(site)).verdict == "VALID"


# --- tampering in the database ---------------------------------------------------------------


def test_a_flipped_byte_is_caught(session: Session, settings: Settings, site: Site) -> None:
    row = _rows(session, site, site.a)[2]
    row.credential_ref = (row.credential_ref or "")[:-1] + "X"
    session.commit()
    report = pack_verifier.verify(_pack(session, settings, site, site.a))
    assert report.verdict == "INVALID"
    assert "record.hash" in _failed(report)


@pytest.mark.parametrize("which", ["first", "middle", "last", "all"])
def test_a_deleted_record_is_caught(
    session: Session, settings: Settings, site: Site, which: str
) -> None:
    rows = _rows(session, site, site.a)
    chosen = {"first": rows[:1], "middle": rows[2:3], "last": rows[-1:], "all": rows}[which]
    for row in chosen:
        session.delete(row)
    session.commit()
    report = pack_verifier.verify(_pack(session, settings, site, site.a))
    assert report.verdict == "INVALID"
    assert "worker.leaf" in _failed(report)


def test_a_record_moved_to_another_worker_is_caught(
    session: Session, settings: Settings, site: Site
) -> None:
    row = _rows(session, site, site.a)[1]
    row.worker_id = site.b.id
    session.commit()
    # missing from A's pack, and in B's it no longer hashes
    assert "worker.leaf" in _failed(pack_verifier.verify(_pack(session, settings, site, site.a)))
    assert "record.hash" in _failed(pack_verifier.verify(_pack(session, settings, site, site.b)))
    # re-hashed too: the gate's signature does not cover it
    fields = {c: getattr(row, c) for c in GateEvent.model_fields if hasattr(row, c)}
    fields["device_id"] = session.get(Device, row.device_id).code  # type: ignore[union-attr]
    row.hash = chain_hash(row.prev_hash, canonical_bytes(fields))
    session.commit()
    report = pack_verifier.verify(_pack(session, settings, site, site.b))
    assert "record.signature" in _failed(report)


def test_reordered_records_are_caught(session: Session, settings: Settings, site: Site) -> None:
    first, second = _rows(session, site, site.a)[0:3:2]  # May 4 and May 5, at the IN gate
    first.device_time, second.device_time = second.device_time, first.device_time
    session.commit()
    report = pack_verifier.verify(_pack(session, settings, site, site.a))
    assert report.verdict == "INVALID"
    assert "record.hash" in _failed(report)


def test_a_forged_checkpoint_is_caught(session: Session, settings: Settings, site: Site) -> None:
    """A record deleted and the checkpoint over its day rewritten to add up without it."""
    victim = _rows(session, site, site.a)[2]
    device_id, seq = victim.device_id, victim.seq
    cp = session.scalars(
        select(GateCheckpoint).where(
            GateCheckpoint.device_id == device_id,
            GateCheckpoint.from_seq <= seq,
            GateCheckpoint.to_seq >= seq,
        )
    ).one()
    session.delete(victim)
    cp_row = session.scalars(
        select(GateEventRow).where(GateEventRow.device_id == device_id, GateEventRow.seq == cp.seq)
    ).one()
    body = dict(cp_row.checkpoint or {})
    left = [
        (s, h, w)
        for s, h, w in session.execute(
            select(GateEventRow.seq, GateEventRow.hash, GateEventRow.worker_id)
            .where(GateEventRow.device_id == device_id)
            .where(GateEventRow.seq.between(cp.from_seq, cp.to_seq))
            .order_by(GateEventRow.seq)
        ).all()
    ]
    forged = model_cp.build(
        [(i + cp.from_seq, h, w) for i, (_, h, w) in enumerate(left)],
        prev_checkpoint_hash=body["prev_checkpoint_hash"],
        day=body["day"],
        reason=model_cp.CheckpointReason(body["reason"]),
    )
    cp_row.checkpoint = forged.fields()
    session.commit()
    report = pack_verifier.verify(_pack(session, settings, site, site.a))
    assert report.verdict == "INVALID"
    failed = report.failed()
    assert "record.hash" in {c.name for c in failed} or "record.signature" in {
        c.name for c in failed
    }
    assert any(f"#{cp.seq}" in c.subject for c in failed)


def test_a_full_rewrite_with_a_new_key_contradicts_the_copies_kept_outside(
    client: TestClient,
    session: Session,
    settings: Settings,
    site: Site,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The IN gate's chain rebuilt from seq 1 without A's May 5 pass, signed with a new key that
    replaces the old one in the device row and the provisioning audit; every digest re-issued
    under the server's own key. The pack is then consistent in itself: only what others keep
    (the fingerprint on the signed 考勤表, archived digests, an earlier pack) can show it."""
    earlier = _pack(session, settings, site, site.a)
    archived = {
        row.day: row
        for row in session.scalars(
            select(DailyDigest).where(DailyDigest.project_id == site.project.id)
        )
    }
    archived_files = {day: digests.digest_file(row) for day, row in archived.items()}
    old_fingerprints = _fingerprints(site)
    gate = site.gates[Direction.IN]
    device = gate.device
    new_key = new_private_key()
    session.execute(delete(GateCheckpoint).where(GateCheckpoint.device_id == device.id))
    session.execute(delete(ChainBreak).where(ChainBreak.device_id == device.id))
    session.execute(delete(GateEventRow).where(GateEventRow.device_id == device.id))
    session.execute(delete(DailyDigest).where(DailyDigest.project_id == site.project.id))
    session.execute(
        update(Device)
        .where(Device.id == device.id)
        .values(
            public_key=public_key_hex(new_key),
            highest_contiguous_seq=0,
            chain_tip_hash=None,
            acked_count=0,
        )
    )
    for audit in session.scalars(
        select(AuditLog).where(AuditLog.entity == "device", AuditLog.entity_id == device.id)
    ):
        if audit.detail and "public_key" in audit.detail:
            audit.detail = {**audit.detail, "public_key": public_key_hex(new_key)}
    session.commit()
    forger = Gate(
        device,
        new_key,
        _outbox(tmp_path / "forged.db", device, new_key),
        SyncClient(
            "http://testserver", device_code=device.code, key=new_key, transport=client._transport
        ),
    )
    dropped = next(
        a for a in site.attempts[Direction.IN] if a.worker_id == site.a.id and a.at.day == 5
    )
    for day in DAYS:
        for attempt in site.attempts[Direction.IN]:
            if attempt.at.date() == day and attempt is not dropped:
                forger.outbox.append(attempt)
        after = local(day + dt.timedelta(days=1), 1)
        forger.outbox.checkpoint_if_day_over(after)
        _upload(forger, monkeypatch, after)
    try:
        rewritten = _pack(session, settings, site, site.a)
        alone = pack_verifier.verify(rewritten)
        # honest about what a pack alone can show: consistent, but not anchored
        assert alone.failed() == []
        assert alone.verdict == "VALID_UNANCHORED"
        by_key = pack_verifier.verify(rewritten, gate_keys=old_fingerprints)
        assert by_key.verdict == "INVALID"
        assert "anchor.gate_key" in _failed(by_key)
        by_digests = pack_verifier.verify(rewritten, digests=archived_files)
        assert by_digests.verdict == "INVALID"
        assert "anchor.archive" in _failed(by_digests)
        by_pack = pack_verifier.verify(rewritten, earlier_packs=[earlier])
        assert by_pack.verdict == "INVALID"
        assert "anchor.archive" in _failed(by_pack)
    finally:
        forger.sync.close()
        forger.outbox.close()


@pytest.mark.parametrize("site", ["rekey"], indirect=True)
def test_a_re_key_named_in_the_digests_verifies_and_one_not_named_does_not(
    session: Session, settings: Settings, site: Site
) -> None:
    """The OUT gate is re-provisioned with a new key on May 6 (an admin's action the digest of
    that day names): its records verify under each key in turn. Hidden from the digests, the
    same change fails key.transition."""
    out = site.gates[Direction.OUT].device.code
    pack = _pack(session, settings, site, site.a)
    gates = json.loads(_files(pack)["keys.json"])["gates"]
    spans = next(g["keys"] for g in gates if g["code"] == out)
    assert len(spans) == 2
    assert spans[0]["to_seq"] + 1 == spans[1]["from_seq"]
    report = pack_verifier.verify(pack)
    assert report.failed() == [], [(c.name, c.subject, c.message_en) for c in report.failed()]
    assert [c.ok for c in report.checks if c.name == "key.transition"]
    session.execute(delete(DailyDigest).where(DailyDigest.project_id == site.project.id))
    session.execute(
        update(AuditLog)
        .where(
            AuditLog.action == "reprovision",
            AuditLog.entity_id == site.gates[Direction.OUT].device.id,
        )
        .values(action="data_fix")
    )
    session.commit()
    hidden = pack_verifier.verify(_pack(session, settings, site, site.a))
    assert "key.transition" in _failed(hidden)


def test_downloads_by_role(client: TestClient, session: Session, site: Site) -> None:
    manager = make_user(session, Role.SITE_MANAGER, [site.project])
    other = make_project(session)
    outsider = make_user(session, Role.SITE_MANAGER, [other])
    session.commit()
    url = f"/api/v1/projects/{site.project.id}/workers/{site.a.id}/evidence.zip"
    r = client.get(url, params={"month": PERIOD}, headers=login(client, manager))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    assert "filename*=UTF-8''" in r.headers["content-disposition"]
    assert "manifest.json" in _files(r.content)
    assert (
        client.get(url, params={"month": PERIOD}, headers=login(client, outsider)).status_code
        == 404
    )
    assert (
        client.get(url, params={"month": "2026-13"}, headers=login(client, manager)).status_code
        == 422
    )
    audit = session.scalars(
        select(AuditLog.detail).where(
            AuditLog.action == "download_evidence_pack", AuditLog.user_id == manager.id
        )
    ).all()
    assert [d["period"] for d in audit] == [PERIOD]


def test_the_kaoqin_pingzheng_prints_the_months_checkpoints(session: Session, site: Site) -> None:
    """The 考勤凭证 (PDF and XLSX) carries each gate's checkpoints over the month: a printed
    copy holds the roots the gate signed."""
    session.expire_all()
    ev = evidence.worker_month_evidence(
        session,
        project_id=site.project.id,
        worker_id=site.a.id,
        period=PERIOD,
        now=BUILT.astimezone(dt.UTC),
    )
    stored = {(r.device_id, r.seq): r.records_root for r in session.scalars(select(GateCheckpoint))}
    for gate in ev.gates:
        assert [s.day for s in gate.seals] == [
            "2026-04-30",
            "2026-05-04",
            "2026-05-05",
            "2026-05-06",
            "2026-06-01",
        ]
        assert all(s.status == "verified" for s in gate.seals)
        assert [s.records_root for s in gate.seals] == [
            stored[(gate.device_id, s.seq)] for s in gate.seals
        ]
    wb = load_workbook(io.BytesIO(evidence_xlsx.evidence_xlsx(ev)))
    cells = {str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row}
    assert all(s.records_root in cells for g in ev.gates for s in g.seals)
    text = "".join(pdf_lines(evidence_pdf.evidence_pdf(ev))).replace(" ", "")
    assert "闸机签名的检查点" in text
    assert ev.gates[0].seals[1].records_root[:16] in text
