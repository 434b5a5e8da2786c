"""Heartbeat, roster download by version, enrollment, and the stored chain re-verified."""

from __future__ import annotations

import datetime as dt
import uuid

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.enums import AssignmentStatus, Role
from models.sync import EnrollmentRequest, Heartbeat
from server.config import Settings
from server.ingest import service as ingest_service
from server.ingest.models import GateEventRow
from server.registry import face_templates, versioning
from server.registry.models import Assignment, CardBinding, FaceTemplate, Project, Worker
from tests.factories import (
    login,
    make_assignment,
    make_company,
    make_id_number,
    make_project,
    make_user,
    make_worker,
)
from tests.integration.server.ingest.ingest_support import Gate

ROSTER = "/api/v1/edge/roster"
TEMPLATE = [0.01 * i for i in range(128)]


class TestHeartbeat:
    def test_skew_and_status_recorded(self, session: Session, project: Project, gate: Gate) -> None:
        project.roster_version = 7
        session.commit()
        ahead = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=90)
        beat = Heartbeat(device_time=ahead, queue_depth=12, last_seq=40, roster_version=5)
        r = gate.post("/api/v1/edge/heartbeat", beat)
        assert r.status_code == 200, r.text
        ack = r.json()
        assert 89_000 <= ack["clock_skew_ms"] <= 91_000
        assert ack["roster_version"] == 7
        session.refresh(gate.device)
        assert gate.device.queue_depth == 12
        assert gate.device.roster_version_seen == 5
        assert gate.device.clock_skew_ms == ack["clock_skew_ms"]
        assert gate.device.last_seen_at is not None
        assert gate.device.health["relay"] == "unknown"


def _roster(gate: Gate, since: int) -> dict:  # type: ignore[type-arg]
    r = gate.get(ROSTER, {"since": since})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


class TestRoster:
    def _setup(
        self, session: Session, settings: Settings, project: Project
    ) -> tuple[Assignment, Assignment, Assignment]:
        self.uid = uuid.uuid4().hex[:8].upper()
        company = make_company(session, project)
        consenting = make_worker(session, "李四", face_consent=True)
        face_templates.add_template(session, settings, consenting, TEMPLATE, "test")
        refusing = make_worker(session, "王五", face_consent=False)
        left = make_worker(session, "赵六", face_consent=True)
        face_templates.add_template(session, settings, left, TEMPLATE, "test")
        a1 = make_assignment(session, project, consenting, company)
        a2 = make_assignment(session, project, refusing, company, face_opt_out=True)
        a3 = make_assignment(
            session, project, left, status=AssignmentStatus.LEFT, left_on=dt.date(2026, 4, 30)
        )
        session.add(CardBinding(assignment_id=a1.id, uid=self.uid))
        versioning.bump(session, project.id, [a1.id, a2.id, a3.id])
        project.gate_policy = {"anti_passback": False, "max_age_male": 55}
        session.commit()
        return a1, a2, a3

    def test_full_roster(
        self, session: Session, settings: Settings, project: Project, gate: Gate
    ) -> None:
        a1, a2, a3 = self._setup(session, settings, project)
        delta = _roster(gate, 0)
        assert delta["full"] is True
        assert delta["version"] == 1
        assert delta["removed"] == []
        assert delta["policy"]["anti_passback"] is False
        assert delta["policy"]["max_age_male"] == 55
        assert delta["policy"]["timezone"] == "Asia/Shanghai"
        by_id = {e["assignment_id"]: e for e in delta["entries"]}
        assert set(by_id) == {a1.id, a2.id, a3.id}
        assert by_id[a1.id]["card_uids"] == [self.uid]
        assert by_id[a1.id]["face_templates"][0][:3] == TEMPLATE[:3]
        assert by_id[a1.id]["face_opt_out"] is False
        assert by_id[a1.id]["company"].startswith("测试建筑公司")
        assert by_id[a2.id]["face_templates"] == []  # no consent, no template
        assert by_id[a2.id]["face_opt_out"] is True
        # A left worker is sent with status LEFT (the gate refuses with LEFT), never a template.
        assert by_id[a3.id]["status"] == "left"
        assert by_id[a3.id]["face_templates"] == []

    def test_incremental_and_ahead(
        self, session: Session, settings: Settings, project: Project, gate: Gate
    ) -> None:
        a1, _, _ = self._setup(session, settings, project)
        assert _roster(gate, 1)["entries"] == []
        a1.status = AssignmentStatus.LEFT
        versioning.bump(session, project.id, [a1.id])
        session.commit()
        delta = _roster(gate, 1)
        assert (delta["full"], delta["version"], delta["since_version"]) == (False, 2, 1)
        assert [e["assignment_id"] for e in delta["entries"]] == [a1.id]
        assert delta["entries"][0]["status"] == "left"
        assert delta["entries"][0]["face_templates"] == []
        # A gate ahead of the server (restored backup) gets everything.
        assert _roster(gate, 99)["full"] is True

    def test_only_the_gates_own_project(
        self, session: Session, settings: Settings, project: Project, gate: Gate
    ) -> None:
        other = make_project(session)
        make_assignment(session, other, make_worker(session))
        versioning.bump(session, other.id)
        session.commit()
        assert _roster(gate, 0)["entries"] == []
        assert _roster(gate, 0)["project_id"] == project.id


def _enrollment(id_number: str, consent: bool, template: list[float] | None) -> EnrollmentRequest:
    return EnrollmentRequest(
        name="孙七",
        id_number=id_number,
        gender="M",
        birth_date=dt.date(1985, 6, 1),
        face_consent=consent,
        face_template=template,
        enrolled_at=dt.datetime.now(dt.UTC),
    )


class TestEnrollment:
    def test_with_consent(self, session: Session, project: Project, gate: Gate) -> None:
        id_number = make_id_number()
        r = gate.post("/api/v1/edge/enrollments", _enrollment(id_number, True, TEMPLATE))
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["created"] is True
        worker = session.get(Worker, body["worker_id"])
        assert worker is not None
        session.refresh(worker)
        assert worker.face_consent is True
        assert worker.face_consent_at is not None
        templates = session.scalars(
            select(FaceTemplate).where(FaceTemplate.worker_id == worker.id)
        ).all()
        assert len(templates) == 1
        assignment = session.get(Assignment, body["assignment_id"])
        assert assignment is not None
        session.refresh(assignment)
        assert assignment.status == AssignmentStatus.PENDING
        session.refresh(project)
        assert assignment.roster_version == project.roster_version >= 1
        # Sent again (a retry): nothing new is created, no second template.
        again = gate.post("/api/v1/edge/enrollments", _enrollment(id_number, True, TEMPLATE))
        assert again.json() == {**body, "created": False}
        assert (
            len(
                session.scalars(
                    select(FaceTemplate).where(FaceTemplate.worker_id == worker.id)
                ).all()
            )
            == 1
        )

    def test_a_foreigners_card_enrols_with_its_type(self, session: Session, gate: Gate) -> None:
        from models.ids import IdType

        body = _enrollment("911840198808080012", False, None).model_copy(
            update={"id_card_type": IdType.FOREIGN_PERMANENT, "birth_date": dt.date(1988, 8, 8)}
        )
        r = gate.post("/api/v1/edge/enrollments", body)
        assert r.status_code == 200, r.text
        worker = session.get(Worker, r.json()["worker_id"])
        assert worker is not None
        session.refresh(worker)
        assert (worker.id_card_type, worker.gender) == ("FP", "M")
        # A number that does not fit the type the card claims is refused on the field.
        wrong = body.model_copy(update={"id_number": make_id_number()})
        refused = gate.post("/api/v1/edge/enrollments", wrong)
        assert refused.status_code == 422
        assert "id_number" in refused.text

    def test_without_consent(self, session: Session, gate: Gate) -> None:
        r = gate.post("/api/v1/edge/enrollments", _enrollment(make_id_number(), False, None))
        assert r.status_code == 200, r.text
        worker = session.get(Worker, r.json()["worker_id"])
        assert worker is not None
        session.refresh(worker)
        assert worker.face_consent is False
        refused = gate.post(
            "/api/v1/edge/enrollments", _enrollment(make_id_number(), False, TEMPLATE)
        )
        assert refused.status_code == 409
        assert refused.json()["code"] == "face.no_consent"

    def test_the_captured_picture_is_kept_for_the_face_terminals(
        self, session: Session, settings: Settings, gate: Gate
    ) -> None:
        import base64

        from server.registry import face_templates

        jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00face\xff\xd9"
        body = _enrollment(make_id_number(), True, TEMPLATE).model_copy(
            update={"face_photo": base64.b64encode(jpeg).decode()}
        )
        r = gate.post("/api/v1/edge/enrollments", body)
        assert r.status_code == 200, r.text
        assert face_templates.photo_for(session, settings, r.json()["worker_id"]) == jpeg
        without = body.model_copy(update={"id_number": make_id_number(), "face_consent": False,
                                          "face_template": None})  # fmt: skip
        refused = gate.post("/api/v1/edge/enrollments", without)
        assert refused.status_code == 409
        assert refused.json()["code"] == "face.no_consent"
        not_b64 = body.model_copy(update={"face_photo": "这不是图片"})
        bad = gate.post("/api/v1/edge/enrollments", not_b64)
        assert bad.status_code == 422
        assert bad.json()["detail"][0]["field"] == "face_photo"
        png = body.model_copy(update={"face_photo": base64.b64encode(b"\x89PNG").decode()})
        assert gate.post("/api/v1/edge/enrollments", png).status_code == 422

    def test_bad_id_number_names_the_field(self, gate: Gate) -> None:
        r = gate.post("/api/v1/edge/enrollments", _enrollment("110101198506010000", False, None))
        assert r.status_code == 422
        assert r.json()["detail"][0]["field"] == "id_number"


class TestVerifyChain:
    def test_intact_then_tampered(self, session: Session, gate: Gate) -> None:
        assert gate.upload(gate.chain(1, 20)).status_code == 200
        report = ingest_service.verify_chain(session, gate.device.id)
        assert report.intact
        assert (report.events, report.first_seq, report.last_seq) == (20, 1, 20)
        # Someone with database access changes who passed: the recomputed hash gives it away.
        session.execute(
            update(GateEventRow)
            .where(GateEventRow.device_id == gate.device.id, GateEventRow.seq == 7)
            .values(worker_id=12345)
        )
        session.flush()
        report = ingest_service.verify_chain(session, gate.device.id)
        assert not report.intact
        assert [(p.seq, p.kind) for p in report.problems] == [(7, "bad_hash")]

    def test_rewritten_hash_breaks_signature(self, session: Session, gate: Gate) -> None:
        events = gate.chain(1, 3)
        gate.upload(events)
        session.execute(
            update(GateEventRow)
            .where(GateEventRow.device_id == gate.device.id, GateEventRow.seq == 3)
            .values(hash="00" * 32)
        )
        session.flush()
        kinds = {p.kind for p in ingest_service.verify_chain(session, gate.device.id).problems}
        # Seq 3 is the acknowledged tip: its rewritten hash is no longer the one acknowledged.
        assert kinds == {"bad_hash", "bad_signature", "tip_mismatch"}

    def test_endpoint_scoped_to_people(
        self, client: TestClient, session: Session, project: Project, gate: Gate
    ) -> None:
        gate.upload(gate.chain(1, 3))
        inspector = make_user(session, Role.INSPECTOR, [project])
        stranger = make_user(session, Role.SITE_MANAGER, [make_project(session)])
        session.commit()
        url = f"/api/v1/projects/{project.id}/devices/{gate.device.id}/chain"
        r = client.get(url, headers=login(client, inspector))
        assert r.status_code == 200
        assert r.json()["intact"] is True
        assert r.json()["events"] == 3
        assert client.get(url, headers=login(client, stranger)).status_code == 404
        assert client.get(url).status_code == 401
