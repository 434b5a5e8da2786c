"""Deleting or moving a gate's records in the server database is detected (issue 10 item 3).

The gate uploads 20 signed records through the edge API: all worker A's, except seq 5 which is
worker B's. Then someone with database access deletes records, or moves one of A's to B. The
chain check (GET .../devices/{id}/chain) compares the stored rows with what ingest acknowledged,
and A's 考勤凭证 checks each listed record's neighbours and the gate's whole-chain state; every
case is a named problem, never "intact".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from models.enums import CredentialKind, Role
from models.ids import mask_id_number
from server.ingest import evidence as evidence_service
from server.ingest import evidence_chain
from server.ingest import service as ingest_service
from server.ingest.evidence import WorkerEvidence
from server.ingest.models import GateEventRow
from server.registry.models import Project, Worker
from server.reports import evidence as evidence_layout
from server.reports import evidence_pdf, evidence_xlsx, payslip_pdf
from tests.factories import (
    login,
    make_assignment,
    make_device,
    make_project,
    make_user,
    make_worker,
)
from tests.integration.server.ingest.ingest_support import T0, Gate

MONTH = "2026-05"
NOW = T0 + dt.timedelta(days=2)
B_SEQ = 5


@dataclass
class Site:
    project: Project
    a: Worker
    b: Worker
    gate: Gate


@pytest.fixture
def site(client: TestClient, session: Session) -> Site:
    project = make_project(session)
    a, b = make_worker(session, name="王五"), make_worker(session, name="赵六")
    make_assignment(session, project, a)
    make_assignment(session, project, b)
    gate = Gate.provision(client, session, make_device(session, project))
    events = []
    for seq in range(1, 21):
        w = b if seq == B_SEQ else a
        events.append(gate.event(seq, worker_id=w.id, credential_ref=mask_id_number(w.id_number)))
    r = gate.upload(events)
    assert r.status_code == 200, r.text
    assert r.json()["highest_contiguous_seq"] == 20
    return Site(project, a, b, gate)


def _delete(session: Session, site: Site, seqs: list[int]) -> None:
    session.execute(
        delete(GateEventRow).where(
            GateEventRow.device_id == site.gate.device.id, GateEventRow.seq.in_(seqs)
        )
    )
    session.flush()


def _move(session: Session, site: Site, seq: int) -> None:
    session.execute(
        update(GateEventRow)
        .where(GateEventRow.device_id == site.gate.device.id, GateEventRow.seq == seq)
        .values(worker_id=site.b.id)
    )
    session.flush()


def _evidence(session: Session, site: Site, worker: Worker) -> WorkerEvidence:
    session.expire_all()
    return evidence_service.worker_month_evidence(
        session, project_id=site.project.id, worker_id=worker.id, period=MONTH, now=NOW
    )


@dataclass(frozen=True)
class Case:
    tamper: Callable[[Session, Site], None]
    chain_kinds: set[str]  # at least these problems in the chain check
    record_problems: dict[int, str]  # seq -> problem kind on A's listed record
    gate_problems: set[str]  # the gate's whole-chain state in A's evidence
    missing: str = ""  # the seqs the gate's chain state names as missing


CASES = {
    "delete_newest": Case(
        lambda s, site: _delete(s, site, [20]),
        {"missing_after_ack", "tip_mismatch", "count_mismatch"},
        {19: "next_missing"},
        {"missing_after_ack", "tip_mismatch", "count_mismatch", "missing_seqs"},
        "20",
    ),
    "delete_last_10": Case(
        lambda s, site: _delete(s, site, list(range(11, 21))),
        {"missing_after_ack", "tip_mismatch", "count_mismatch"},
        {10: "next_missing"},
        {"missing_after_ack", "tip_mismatch", "count_mismatch", "missing_seqs"},
        "11-20",
    ),
    "delete_all": Case(
        lambda s, site: _delete(s, site, list(range(1, 21))),
        {"missing_after_ack", "tip_mismatch", "count_mismatch"},
        {},
        {"missing_after_ack", "tip_mismatch", "count_mismatch", "missing_seqs"},
        "1-20",
    ),
    "delete_one_of_a_in_the_middle": Case(
        lambda s, site: _delete(s, site, [12]),
        {"gap", "count_mismatch"},
        {11: "next_missing", 13: "gap"},
        {"count_mismatch", "missing_seqs"},
        "12",
    ),
    "move_one_of_a_to_b": Case(
        lambda s, site: _move(s, site, 12),
        {"bad_hash"},
        {12: "moved_away"},
        set(),
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_chain_check_names_the_tampering(session: Session, site: Site, name: str) -> None:
    assert ingest_service.verify_chain(session, site.gate.device.id).intact
    case = CASES[name]
    case.tamper(session, site)
    report = ingest_service.verify_chain(session, site.gate.device.id)
    assert not report.intact
    assert case.chain_kinds <= {p.kind for p in report.problems}
    assert report.acked_count == 20
    assert report.highest_contiguous_seq == 20
    assert report.acked_tip_hash == site.gate.hashes[20]


@pytest.mark.parametrize("name", list(CASES))
def test_evidence_flags_the_tampering(session: Session, site: Site, name: str) -> None:
    before = _evidence(session, site, site.a)
    assert before.all_ok
    assert before.events_checked == 19
    case = CASES[name]
    case.tamper(session, site)
    ev = _evidence(session, site, site.a)
    assert not ev.all_ok
    by_seq = {e.seq: e for e in ev.events}
    for seq, kind in case.record_problems.items():
        assert kind in {p.kind for p in by_seq[seq].problems}, (seq, by_seq[seq].problems)
        assert not by_seq[seq].ok
    (gate,) = ev.gates
    assert gate.chain is not None
    assert {p.kind for p in gate.chain.problems} == case.gate_problems
    assert gate.chain.intact == (not case.gate_problems)
    missing = [p.got for p in gate.chain.problems if p.kind == "missing_seqs"]
    assert missing == ([case.missing] if case.missing else [])
    assert not gate.all_ok
    assert (gate.chain.acked_count, gate.chain.acked_seq) == (20, 20)


def test_moved_record_is_altered_in_the_other_workers_evidence_too(
    session: Session, site: Site
) -> None:
    _move(session, site, 12)
    moved = {e.seq: e for e in _evidence(session, site, site.a).events}[12]
    assert [p.kind for p in moved.problems] == ["bad_hash", "moved_away"]
    assert moved.problems[1].got == str(site.b.id)
    b = {e.seq: e for e in _evidence(session, site, site.b).events}
    assert set(b) == {B_SEQ, 12}
    assert b[B_SEQ].ok
    assert [p.kind for p in b[12].problems] == ["bad_hash"]


def test_chain_endpoint_reports_deletion_of_everything(
    client: TestClient, session: Session, site: Site
) -> None:
    _delete(session, site, list(range(1, 21)))
    inspector = make_user(session, Role.INSPECTOR, [site.project])
    session.commit()
    url = f"/api/v1/projects/{site.project.id}/devices/{site.gate.device.id}/chain"
    body = client.get(url, headers=login(client, inspector)).json()
    assert body["intact"] is False
    assert body["events"] == 0
    assert (body["acked_count"], body["highest_contiguous_seq"]) == (20, 20)
    problems = {p["kind"]: p for p in body["problems"]}
    assert problems["missing_after_ack"]["got"] == "0"
    assert problems["count_mismatch"]["expected"] == "20"


def test_a_gate_without_this_workers_records_is_still_shown(session: Session, site: Site) -> None:
    # Another project's gate never appears; this project's gates appear even with no record of
    # the worker this month, so deleting all of them cannot make the gate vanish.
    make_device(session, make_project(session))
    _delete(session, site, list(range(1, 21)))
    ev = _evidence(session, site, site.a)
    assert ev.events == ()
    assert [g.code for g in ev.gates] == [site.gate.code]
    assert ev.chains_intact is False


def test_xlsx_and_pdf_show_the_deletion(session: Session, site: Site) -> None:
    _delete(session, site, [20])
    ev = _evidence(session, site, site.a)
    wb = load_workbook(io.BytesIO(evidence_xlsx.evidence_xlsx(ev)))
    sheet = wb[f"闸机 {site.gate.code}"]
    text = "\n".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value)
    assert "acknowledged are no longer stored" in text
    assert "(20)" in text  # the missing seq
    events = wb[evidence_xlsx.EVENTS_SHEET]
    verdicts = [str(c.value) for row in events.iter_rows() for c in row if c.value]
    assert any("next seq is not stored" in v for v in verdicts)
    try:
        font = payslip_pdf.find_cjk_font()
    except payslip_pdf.CjkFontMissingError:
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")
    assert evidence_pdf.evidence_pdf(ev, font=font).startswith(b"%PDF")


def test_face_only_record_moved_away_is_found(session: Session, site: Site) -> None:
    # A face-only record names the worker by worker_id alone (no credential_ref).
    face = site.gate.event(
        21, worker_id=site.a.id, credential=CredentialKind.FACE, credential_ref=None
    )
    assert site.gate.upload([face]).status_code == 200
    _move(session, site, 21)
    ev = _evidence(session, site, site.a)
    moved = {e.seq: e for e in ev.events}[21]
    assert "moved_away" in {p.kind for p in moved.problems}
    assert ev.face_only_checked


def test_too_many_face_only_records_is_said(session: Session, site: Site) -> None:
    face = site.gate.event(
        21, worker_id=site.b.id, credential=CredentialKind.FACE, credential_ref=None
    )
    assert site.gate.upload([face]).status_code == 200
    _, start, end = evidence_service.month_bounds(site.project, MONTH)
    check = evidence_chain.moved_away(
        session,
        project_id=site.project.id,
        worker=site.a,
        start=start,
        end=end,
        codes={site.gate.device.id: site.gate.code},
        face_only_budget=0,
    )
    assert (check.rows, check.face_only_checked, check.face_only_records) == ([], False, 1)
    ev = dataclasses.replace(_evidence(session, site, site.a), face_only_checked=False)
    zh, en = evidence_layout.statement(ev)
    assert "未逐条核对" in zh
    assert "too many to re-check" in en
