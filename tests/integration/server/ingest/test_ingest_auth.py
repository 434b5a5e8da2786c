"""Provisioning with a one-time code, and the signed-request checks."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.device_auth import new_private_key, public_key_hex, sign_request
from server.auth.models import AuditLog
from server.registry.models import Device, Project
from tests.factories import make_device
from tests.integration.server.ingest.ingest_support import Gate, set_code

HEARTBEAT = "/api/v1/edge/heartbeat"
BEAT = b'{"device_time":"2026-05-01T08:00:00Z","queue_depth":0,"last_seq":0,"roster_version":0}'


def _provision(client: TestClient, code: str, key_hex: str) -> tuple[int, dict[str, object]]:
    r = client.post("/api/v1/edge/provision", json={"code": code, "public_key": key_hex})
    return r.status_code, r.json()


class TestProvision:
    def test_code_typed_as_shown_matches(
        self, client: TestClient, session: Session, project: Project
    ) -> None:
        device = make_device(session, project)
        set_code(session, device, "ABCD-EFGH-JKLM")
        session.commit()
        status, _ = _provision(client, "abcd efgh-jklm", public_key_hex(new_private_key()))
        assert status == 200

    def test_code_is_one_time(self, client: TestClient, session: Session, project: Project) -> None:
        device = make_device(session, project)
        set_code(session, device, "ABC-123-XYZ")
        session.commit()
        key = public_key_hex(new_private_key())
        status, body = _provision(client, "ABC-123-XYZ", key)
        assert status == 200
        assert body == {
            "device_id": device.code,
            "project_id": project.id,
            "direction": device.direction.value,
        }
        session.refresh(device)
        assert device.public_key == key
        assert device.provisioning_code_hash is None
        status, body = _provision(client, "ABC-123-XYZ", key)
        assert status == 401
        assert body["code"] == "device.bad_provisioning_code"
        assert body["message_zh"].startswith("开通码无效")

    def test_expired_and_unknown_codes(
        self, client: TestClient, session: Session, project: Project
    ) -> None:
        device = make_device(session, project)
        set_code(session, device, "OLD-CODE-1", valid_s=-1)
        session.commit()
        key = public_key_hex(new_private_key())
        assert _provision(client, "OLD-CODE-1", key)[0] == 401
        assert _provision(client, "NEVER-ISSUED", key)[0] == 401

    def test_reprovisioning_replaces_key_and_is_audited(
        self, client: TestClient, session: Session, gate: Gate
    ) -> None:
        old = public_key_hex(gate.key)
        set_code(session, gate.device, "SECOND-CODE")
        session.commit()
        new = public_key_hex(new_private_key())
        assert _provision(client, "SECOND-CODE", new)[0] == 200
        session.refresh(gate.device)
        assert gate.device.public_key == new
        audit = session.scalars(
            select(AuditLog).where(AuditLog.entity == "device", AuditLog.action == "reprovision")
        ).one()
        assert audit.detail["old_public_key"] == old
        assert gate.post(HEARTBEAT, BEAT).status_code == 401  # the old key is no longer valid


class TestSignedRequests:
    def test_good_signature(self, gate: Gate) -> None:
        assert gate.post(HEARTBEAT, BEAT).status_code == 200

    def test_bad_signature(self, client: TestClient, gate: Gate) -> None:
        headers = gate.headers("POST", HEARTBEAT, BEAT)
        tampered = BEAT.replace(b'"queue_depth":0', b'"queue_depth":9')
        r = client.post(HEARTBEAT, content=tampered, headers=headers)
        assert r.status_code == 401
        assert r.json()["code"] == "device.bad_signature"

    def test_signed_by_another_key(self, client: TestClient, gate: Gate) -> None:
        headers = sign_request(
            new_private_key(), gate.code, "POST", HEARTBEAT, BEAT, int(time.time())
        )
        r = client.post(HEARTBEAT, content=BEAT, headers=headers)
        assert r.json()["code"] == "device.bad_signature"

    def test_stale_timestamp(self, client: TestClient, gate: Gate) -> None:
        for skew in (-301, 301):
            headers = gate.headers("POST", HEARTBEAT, BEAT, timestamp=int(time.time()) + skew)
            r = client.post(HEARTBEAT, content=BEAT, headers=headers)
            assert r.status_code == 401
            assert r.json()["code"] == "device.stale"

    def test_replayed_nonce(self, client: TestClient, gate: Gate) -> None:
        headers = gate.headers("POST", HEARTBEAT, BEAT)
        assert client.post(HEARTBEAT, content=BEAT, headers=headers).status_code == 200
        r = client.post(HEARTBEAT, content=BEAT, headers=headers)
        assert r.status_code == 401
        assert r.json()["code"] == "device.replay"

    def test_unknown_inactive_and_unprovisioned_devices(
        self, client: TestClient, session: Session, project: Project, gate: Gate
    ) -> None:
        key = new_private_key()
        now = int(time.time())
        r = client.post(
            HEARTBEAT,
            content=BEAT,
            headers=sign_request(key, "NO-SUCH", "POST", HEARTBEAT, BEAT, now),
        )
        assert r.json()["code"] == "device.unknown"
        fresh = make_device(session, project)  # never provisioned: no public key
        session.commit()
        r = client.post(
            HEARTBEAT,
            content=BEAT,
            headers=sign_request(key, fresh.code, "POST", HEARTBEAT, BEAT, now),
        )
        assert r.status_code == 401
        gate.device.active = False
        session.commit()
        assert gate.post(HEARTBEAT, BEAT).status_code == 401

    def test_missing_headers(self, client: TestClient) -> None:
        r = client.post(HEARTBEAT, content=BEAT)
        assert r.status_code == 401
        assert r.json()["code"] == "device.unsigned"

    def test_query_is_not_signed_but_echoed(self, gate: Gate) -> None:
        # The path is signed without its query; the reply echoes `since` for the edge to check.
        r = gate.get("/api/v1/edge/roster", {"since": 0})
        assert r.status_code == 200
        assert r.json()["since_version"] == 0

    def test_device_row_unchanged_by_failed_auth(
        self, client: TestClient, session: Session, gate: Gate
    ) -> None:
        client.post(HEARTBEAT, content=BEAT, headers={"X-SiteGate-Device": gate.code})
        device = session.get(Device, gate.device.id)
        assert device is not None
        session.refresh(device)
        assert device.last_seen_at is None
