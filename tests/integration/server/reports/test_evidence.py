"""考勤凭证: a worker's month of gate records, re-verified from the stored columns, as JSON, XLSX
and PDF, with the pay slip's scope. Events are signed by a real gate key (ingest_support.Gate)
and uploaded through the edge API, then tampered with directly in the database."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.device_auth import new_private_key, public_key_hex, sign_event_hash
from models.enums import CredentialKind, DenyReason, Direction, GateMode, GateResult, Role
from models.roster import confirmed_ref
from server.auth.models import AuditLog, User
from server.errors import NotFoundError
from server.ingest import evidence as evidence_service
from server.ingest.evidence import WorkerEvidence
from server.ingest.models import GateEventRow
from server.registry.models import Device, GateConfirmer, Project, Worker
from server.reports import evidence_pdf, evidence_xlsx, payslip_pdf
from server.rosters.models import AttendanceCorrection
from server.web.downloads import XLSX
from tests.factories import (
    login,
    make_assignment,
    make_device,
    make_project,
    make_user,
    make_worker,
)
from tests.integration.server.ingest.ingest_support import Gate

MONTH = "2026-05"  # ingest_support.T0 is 2026-05-01 07:30 UTC: 15:30 in Shanghai
NOW = dt.datetime(2026, 6, 2, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def project(session: Session) -> Project:
    return make_project(session, region="北京")


@pytest.fixture
def worker(session: Session, project: Project) -> Worker:
    w = make_worker(session, name="王五")
    make_assignment(session, project, w)
    return w


@pytest.fixture
def gate(client: TestClient, session: Session, project: Project) -> Gate:
    device = make_device(session, project)
    device.name = "东门"
    return Gate.provision(client, session, device)


def _upload(gate: Gate, worker: Worker, seqs: list[int], **fields: Any) -> None:
    events = [gate.event(seq, worker_id=worker.id, **fields) for seq in seqs]
    r = gate.upload(events)
    assert r.status_code == 200, r.text


def _evidence(session: Session, project: Project, worker: Worker) -> WorkerEvidence:
    session.expire_all()
    return evidence_service.worker_month_evidence(
        session, project_id=project.id, worker_id=worker.id, period=MONTH, now=NOW
    )


def _fingerprint(key_hex: str) -> str:
    return hashlib.sha256(bytes.fromhex(key_hex)).hexdigest()[:16]


class TestVerification:
    def test_clean_month_is_all_ok(
        self, session: Session, project: Project, worker: Worker, gate: Gate
    ) -> None:
        _upload(gate, worker, [1, 2, 3])
        ev = _evidence(session, project, worker)
        assert [e.seq for e in ev.events] == [1, 2, 3]
        assert ev.all_ok
        assert (ev.events_checked, ev.events_ok) == (3, 3)
        assert all(e.hash_ok and e.signature_ok and e.link_ok for e in ev.events)
        first = ev.events[0]
        assert first.device_time == dt.datetime(2026, 5, 1, 15, 31, tzinfo=first.device_time.tzinfo)
        assert str(first.device_time.utcoffset()) == "8:00:00"
        assert first.gate_code == gate.code
        assert first.gate_name == "东门"
        # Anyone can redo the hash from the canonical text printed in the export.
        body = bytes.fromhex(first.prev_hash) + first.canonical.encode()
        assert hashlib.sha256(body).hexdigest() == first.hash
        (summary,) = ev.gates
        assert summary.all_ok
        assert summary.events_checked == 3
        assert summary.chain_breaks == ()
        (key,) = summary.keys
        assert key.public_key == public_key_hex(gate.key)
        assert key.fingerprint == _fingerprint(key.public_key)

    def test_only_this_worker_and_month(
        self, session: Session, project: Project, worker: Worker, gate: Gate
    ) -> None:
        other = make_worker(session, name="赵六")
        make_assignment(session, project, other)
        _upload(gate, worker, [1])
        _upload(gate, other, [2])
        june = dt.datetime(2026, 6, 1, 0, 0, tzinfo=dt.UTC)  # 08:00 on 1 June in Shanghai
        _upload(gate, worker, [3], device_time=june)
        ev = _evidence(session, project, worker)
        assert [e.seq for e in ev.events] == [1]
        assert ev.all_ok

    @pytest.mark.parametrize(
        "change",
        [
            {"result": GateResult.REFUSED},
            {"device_time": dt.datetime(2026, 5, 1, 6, 0, tzinfo=dt.UTC)},
        ],
        ids=["result", "device_time"],
    )
    def test_tampered_row_fails_with_the_reason(
        self,
        session: Session,
        project: Project,
        worker: Worker,
        gate: Gate,
        change: dict[str, object],
    ) -> None:
        _upload(gate, worker, [1, 2, 3])
        device_id = gate.device.id
        session.execute(
            update(GateEventRow)
            .where(GateEventRow.device_id == device_id, GateEventRow.seq == 2)
            .values(**change)
        )
        session.flush()
        ev = _evidence(session, project, worker)
        by_seq = {e.seq: e for e in ev.events}
        assert not by_seq[2].ok
        assert not by_seq[2].hash_ok
        assert [p.kind for p in by_seq[2].problems] == ["bad_hash"]
        assert "被修改" in by_seq[2].problems[0].message_zh
        assert "altered" in by_seq[2].problems[0].message_en
        assert by_seq[1].ok
        assert by_seq[3].ok  # its link is to the stored hash, which was not touched
        assert not ev.all_ok
        assert ev.gates[0].failed_seqs == (2,)

    def test_signature_by_another_key_fails(
        self, session: Session, project: Project, worker: Worker, gate: Gate
    ) -> None:
        _upload(gate, worker, [1, 2])
        row = session.scalar(
            select(GateEventRow).where(
                GateEventRow.device_id == gate.device.id, GateEventRow.seq == 2
            )
        )
        assert row is not None
        row.signature = sign_event_hash(new_private_key(), row.hash)
        session.flush()
        ev = _evidence(session, project, worker)
        bad = ev.events[1]
        assert bad.hash_ok
        assert bad.link_ok
        assert not bad.signature_ok
        assert [p.kind for p in bad.problems] == ["bad_signature"]
        assert ev.gates[0].failed_seqs == (2,)

    def test_missing_seq_is_a_link_failure(
        self, session: Session, project: Project, worker: Worker, gate: Gate
    ) -> None:
        gate.event(3)  # made (so seq 4 links to it) but never uploaded
        _upload(gate, worker, [1, 2])
        _upload(gate, worker, [4])
        ev = _evidence(session, project, worker)
        by_seq = {e.seq: e for e in ev.events}
        assert set(by_seq) == {1, 2, 4}
        assert by_seq[4].hash_ok
        assert by_seq[4].signature_ok
        assert not by_seq[4].link_ok
        assert [p.kind for p in by_seq[4].problems] == ["gap"]
        # Both sides of the hole: seq 2's successor is missing although seq 4 was received.
        assert [p.kind for p in by_seq[2].problems] == ["next_missing"]
        assert ev.gates[0].failed_seqs == (2, 4)

    def test_chain_break_recorded_at_ingest_is_listed(
        self, session: Session, project: Project, worker: Worker, gate: Gate
    ) -> None:
        _upload(gate, worker, [1, 2])
        _upload(gate, worker, [3], prev_hash="ab" * 32)  # stored, chain_ok=False, break recorded
        ev = _evidence(session, project, worker)
        assert [p.kind for p in ev.events[2].problems] == ["prev_mismatch"]
        (summary,) = ev.gates
        assert [(b.seq, b.kind) for b in summary.chain_breaks] == [(3, "prev_mismatch")]

    def test_reprovisioned_gate_old_records_verify_with_the_old_key(
        self,
        client: TestClient,
        session: Session,
        project: Project,
        worker: Worker,
        gate: Gate,
    ) -> None:
        _upload(gate, worker, [1, 2])
        old_key = public_key_hex(gate.key)
        again = Gate.provision(client, session, gate.device)
        again.hashes = gate.hashes  # the same chain continues under the new key
        _upload(again, worker, [3, 4])
        ev = _evidence(session, project, worker)
        assert ev.all_ok, [(e.seq, e.problems) for e in ev.events]
        fingerprints = {e.seq: e.key_fingerprint for e in ev.events}
        assert fingerprints[1] == fingerprints[2] == _fingerprint(old_key)
        assert fingerprints[3] == fingerprints[4] == _fingerprint(public_key_hex(again.key))
        keys = ev.gates[0].keys
        assert [k.public_key for k in keys] == [old_key, public_key_hex(again.key)]
        assert keys[0].valid_to is not None
        assert keys[1].valid_to is None

    def test_new_key_does_not_vouch_for_a_record_received_under_the_old_one(
        self,
        client: TestClient,
        session: Session,
        project: Project,
        worker: Worker,
        gate: Gate,
    ) -> None:
        _upload(gate, worker, [1])
        again = Gate.provision(client, session, gate.device)
        row = session.scalar(select(GateEventRow).where(GateEventRow.device_id == gate.device.id))
        assert row is not None
        row.signature = sign_event_hash(again.key, row.hash)  # re-signed after the fact
        session.flush()
        ev = _evidence(session, project, worker)
        assert [p.kind for p in ev.events[0].problems] == ["other_key"]

    def test_refusals_confirmer_and_corrections(
        self, session: Session, project: Project, worker: Worker, gate: Gate
    ) -> None:
        confirmer = GateConfirmer(project_id=project.id, card_uid="A1B2C3D4", name="李班长")
        session.add(confirmer)
        session.flush()
        gate.device.direction = Direction.IN
        _upload(gate, worker, [1], result=GateResult.REFUSED, reason=DenyReason.FACE_MISMATCH)
        _upload(
            gate,
            worker,
            [2],
            mode=GateMode.CARD_CONFIRMED,
            credential=CredentialKind.IC_CARD,
            credential_ref=confirmed_ref("C0FFEE01", confirmer.id, "A1B2C3D4"),
            face_score=None,
        )
        author = make_user(session, Role.SITE_MANAGER, [project])
        session.add(
            AttendanceCorrection(
                project_id=project.id,
                worker_id=worker.id,
                at=dt.datetime(2026, 5, 3, 1, 0, tzinfo=dt.UTC),
                direction=Direction.OUT,
                reason="闸机断电",
                author_user_id=author.id,
            )
        )
        session.flush()
        ev = _evidence(session, project, worker)
        refused, confirmed = ev.events
        assert refused.result == GateResult.REFUSED
        assert refused.reason_zh == "人证不符"
        assert refused.reason_en == "face does not match"
        assert confirmed.mode == GateMode.CARD_CONFIRMED
        assert confirmed.confirmer_name == "李班长"
        assert ev.all_ok
        (correction,) = ev.corrections
        assert correction.reason == "闸机断电"
        assert correction.author == (author.full_name or author.username)
        assert correction.at.hour == 9  # local time

    def test_a_worker_not_on_the_project_is_404(self, session: Session, project: Project) -> None:
        stranger = make_worker(session, name="路人")
        with pytest.raises(NotFoundError):
            evidence_service.worker_month_evidence(
                session, project_id=project.id, worker_id=stranger.id, period=MONTH, now=NOW
            )


class TestExports:
    def test_xlsx_cells(
        self, session: Session, project: Project, worker: Worker, gate: Gate
    ) -> None:
        _upload(gate, worker, [1, 2])
        session.execute(
            update(GateEventRow)
            .where(GateEventRow.device_id == gate.device.id, GateEventRow.seq == 2)
            .values(result=GateResult.REFUSED)
        )
        ev = _evidence(session, project, worker)
        wb = load_workbook(io.BytesIO(evidence_xlsx.evidence_xlsx(ev)))
        assert wb.sheetnames[:2] == [evidence_xlsx.SUMMARY_SHEET, evidence_xlsx.EVENTS_SHEET]
        assert evidence_xlsx.HOW_SHEET in wb.sheetnames
        summary = wb[evidence_xlsx.SUMMARY_SHEET]
        assert summary["A1"].value == "考勤凭证 / Attendance evidence"
        assert summary["B5"].value == ev.id_number_masked
        assert "*" in ev.id_number_masked
        events = wb[evidence_xlsx.EVENTS_SHEET]
        header = [c.value for c in events[1]]
        check = header.index("验证\nVerification") + 1
        assert events.cell(row=2, column=check).value.startswith("通过 OK")
        assert events.cell(row=3, column=check).value.startswith("未通过 FAILED")
        assert "altered" in events.cell(row=3, column=check).value
        canonical = header.index("规范文本\nCanonical bytes") + 1
        assert events.cell(row=2, column=canonical).value == ev.events[0].canonical
        gate_sheet = wb[f"闸机 {gate.code}"]
        assert gate_sheet["B1"].value == gate.code
        assert gate_sheet["A8"].value == _fingerprint(public_key_hex(gate.key))
        assert gate_sheet["B8"].value == public_key_hex(gate.key)
        how = wb[evidence_xlsx.HOW_SHEET]
        text = " ".join(str(c.value) for row in how.iter_rows() for c in row)
        assert "SHA-256" in text
        assert "Ed25519" in text

    def test_pdf(self, session: Session, project: Project, worker: Worker, gate: Gate) -> None:
        try:
            font = payslip_pdf.find_cjk_font()
        except payslip_pdf.CjkFontMissingError:
            pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")
        _upload(gate, worker, [1, 2, 3])
        body = evidence_pdf.evidence_pdf(_evidence(session, project, worker), font=font)
        assert body.startswith(b"%PDF")
        assert "考勤凭证".encode("utf-16-be").hex().upper().encode() in body.upper()


@pytest.fixture
def people(session: Session, project: Project, worker: Worker) -> dict[str, User]:
    elsewhere = make_project(session, region="上海")
    colleague = make_worker(session, name="同事")
    make_assignment(session, project, colleague)
    return {
        "admin": make_user(session, Role.ADMIN),
        "manager": make_user(session, Role.SITE_MANAGER, [project]),
        "manager_elsewhere": make_user(session, Role.SITE_MANAGER, [elsewhere]),
        "inspector": make_user(session, Role.INSPECTOR, [project]),
        "inspector_region": make_user(session, Role.INSPECTOR, region="北京"),
        "inspector_elsewhere": make_user(session, Role.INSPECTOR, region="上海"),
        "self": make_user(session, Role.WORKER, worker=worker),
        "colleague": make_user(session, Role.WORKER, worker=colleague),
    }


class TestApi:
    @pytest.mark.parametrize(
        ("who", "status"),
        [
            ("admin", 200),
            ("manager", 200),
            ("manager_elsewhere", 404),
            ("inspector", 200),
            ("inspector_region", 200),
            ("inspector_elsewhere", 404),
            ("self", 200),
            ("colleague", 404),
        ],
    )
    def test_scope(
        self,
        client: TestClient,
        session: Session,
        project: Project,
        worker: Worker,
        gate: Gate,
        people: dict[str, User],
        who: str,
        status: int,
    ) -> None:
        session.commit()
        _upload(gate, worker, [1])
        url = f"/api/v1/projects/{project.id}/workers/{worker.id}/evidence"
        h = login(client, people[who])
        for suffix in ("", ".xlsx"):
            r = client.get(url + suffix, params={"month": MONTH}, headers=h)
            assert r.status_code == status, r.text
        if status == 404:
            assert "考勤凭证" in r.json()["message_zh"]
            return
        views = session.scalars(
            select(AuditLog)
            .where(AuditLog.action == "view_evidence", AuditLog.user_id == people[who].id)
            .order_by(AuditLog.id)  # PostgreSQL returns rows in no set order without it
        ).all()
        assert [v.detail["format"] for v in views] == ["json", "xlsx"]
        assert all(v.entity_id == worker.id and v.project_id == project.id for v in views)

    def test_the_workers_copy_withholds_the_confirmers_card(
        self,
        client: TestClient,
        session: Session,
        project: Project,
        worker: Worker,
        gate: Gate,
        people: dict[str, User],
    ) -> None:
        """An IC card UID is easily cloned: a worker's own copy keeps the checks' outcome of a
        confirmed pass but not its canonical text, which names the confirmer's card."""
        confirmer = GateConfirmer(project_id=project.id, card_uid="A1B2C3D4", name="李班长")
        session.add(confirmer)
        session.flush()
        _upload(gate, worker, [1])
        _upload(
            gate,
            worker,
            [2],
            mode=GateMode.CARD_CONFIRMED,
            credential=CredentialKind.IC_CARD,
            credential_ref=confirmed_ref("C0FFEE01", confirmer.id, "A1B2C3D4"),
            face_score=None,
        )
        session.commit()
        url = f"/api/v1/projects/{project.id}/workers/{worker.id}/evidence"
        own = client.get(url, params={"month": MONTH}, headers=login(client, people["self"]))
        assert own.status_code == 200, own.text
        plain, confirmed = own.json()["events"]
        assert "A1B2C3D4" not in own.text
        assert confirmed["canonical"] == evidence_service.CONFIRMER_CARD_WITHHELD
        assert confirmed["ok"] is True
        assert confirmed["confirmer_name"] == "李班长"
        assert plain["canonical"].startswith("{")  # ordinary records stay re-verifiable
        xlsx = client.get(
            url + ".xlsx", params={"month": MONTH}, headers=login(client, people["self"])
        )
        book = load_workbook(io.BytesIO(xlsx.content))
        cells = [str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row]
        assert any("李班长" in c for c in cells)
        assert not any("A1B2C3D4" in c for c in cells)
        inspector = client.get(
            url, params={"month": MONTH}, headers=login(client, people["inspector"])
        )
        assert "A1B2C3D4" in inspector.json()["events"][1]["canonical"]

    def test_json_pdf_and_errors(
        self,
        client: TestClient,
        session: Session,
        project: Project,
        worker: Worker,
        gate: Gate,
        people: dict[str, User],
    ) -> None:
        session.commit()
        _upload(gate, worker, [1, 2])
        url = f"/api/v1/projects/{project.id}/workers/{worker.id}/evidence"
        h = login(client, people["self"])
        r = client.get(url, params={"month": MONTH}, headers=h)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["all_ok"] is True
        assert body["period"] == MONTH
        assert [e["seq"] for e in body["events"]] == [1, 2]
        assert body["gates"][0]["keys"][0]["fingerprint"] == _fingerprint(public_key_hex(gate.key))
        assert "id_number" not in body
        assert "*" in body["id_number_masked"]

        r = client.get(url + ".xlsx", params={"month": MONTH}, headers=h)
        assert r.headers["content-type"] == XLSX
        assert "no-store" in r.headers["cache-control"]
        try:
            payslip_pdf.find_cjk_font()
        except payslip_pdf.CjkFontMissingError:
            pass
        else:
            r = client.get(url + ".pdf", params={"month": MONTH}, headers=h)
            assert r.status_code == 200
            assert r.content.startswith(b"%PDF")

        assert client.get(url, params={"month": "2026-13"}, headers=h).status_code == 422
        assert client.get(url, headers=h).status_code == 422
        assert client.get(url, params={"month": MONTH}).status_code == 401
        missing = f"/api/v1/projects/{project.id}/workers/999999/evidence"
        admin = login(client, people["admin"])
        assert client.get(missing, params={"month": MONTH}, headers=admin).status_code == 404
        nowhere = f"/api/v1/projects/999999/workers/{worker.id}/evidence"
        assert client.get(nowhere, params={"month": MONTH}, headers=admin).status_code == 404


def test_device_model_is_unchanged_by_evidence(session: Session, project: Project) -> None:
    # key_history of a gate never provisioned through the API: no key, no spans, no error.
    device = make_device(session, project)
    assert evidence_service.key_history(session, device) == []
    device.public_key = public_key_hex(new_private_key())
    spans = evidence_service.key_history(session, device)
    assert [s.public_key for s in spans] == [device.public_key]
    assert isinstance(session.get(Device, device.id), Device)
