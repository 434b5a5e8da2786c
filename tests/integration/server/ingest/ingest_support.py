"""A gate as the server sees it: an Ed25519 key, signed requests, sealed and signed events."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy.orm import Session

from models.device_auth import new_private_key, public_key_hex, sign_event_hash, sign_request
from models.enums import CredentialKind, Direction, GateMode, GateResult
from models.gate_event import GENESIS_HASH, GateEvent, GateEventBody, seal
from models.sync import EventBatch
from server.registry import service as registry_service
from server.registry.models import Device

T0 = dt.datetime(2026, 5, 1, 7, 30, tzinfo=dt.UTC)


def set_code(session: Session, device: Device, code: str, valid_s: int = 3600) -> None:
    # Stored exactly as the registry stores a code it issues.
    device.provisioning_code_hash = registry_service.provisioning_code_hash(code)
    device.provisioning_expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=valid_s)
    session.flush()


class Gate:
    """One provisioned device with its private key; builds its own hash chain."""

    def __init__(self, client: TestClient, device: Device, key: Ed25519PrivateKey) -> None:
        self.client = client
        self.device = device
        self.code = device.code
        self.key = key
        self.hashes: dict[int, str] = {0: GENESIS_HASH}

    @classmethod
    def provision(cls, client: TestClient, session: Session, device: Device) -> Gate:
        code = f"code-{uuid.uuid4().hex[:12]}"
        set_code(session, device, code)
        session.commit()
        key = new_private_key()
        r = client.post(
            "/api/v1/edge/provision", json={"code": code, "public_key": public_key_hex(key)}
        )
        assert r.status_code == 200, r.text
        return cls(client, device, key)

    # --- requests -----------------------------------------------------------------------------

    def headers(
        self, method: str, path: str, body: bytes, *, timestamp: int | None = None
    ) -> dict[str, str]:
        ts = int(time.time()) if timestamp is None else timestamp
        headers = sign_request(self.key, self.code, method, path, body, ts)
        headers["Content-Type"] = "application/json"
        return headers

    def post(self, path: str, payload: BaseModel | dict[str, Any] | bytes) -> httpx.Response:
        if isinstance(payload, BaseModel):
            body = payload.model_dump_json().encode()
        elif isinstance(payload, bytes):
            body = payload
        else:
            body = EventBatch.model_validate(payload).model_dump_json().encode()
        return self.client.post(path, content=body, headers=self.headers("POST", path, body))

    def get(self, path: str, params: dict[str, Any] | None = None) -> httpx.Response:
        return self.client.get(path, params=params, headers=self.headers("GET", path, b""))

    def upload(self, events: list[GateEvent]) -> httpx.Response:
        return self.post("/api/v1/edge/events", EventBatch(events=events))

    # --- events -------------------------------------------------------------------------------

    def event(
        self,
        seq: int,
        *,
        prev_hash: str | None = None,
        key: Ed25519PrivateKey | None = None,
        device_code: str | None = None,
        **fields: Any,
    ) -> GateEvent:
        """A sealed, signed event; prev_hash defaults to this gate's hash of seq-1."""
        prev = prev_hash if prev_hash is not None else self.hashes.get(seq - 1, GENESIS_HASH)
        values: dict[str, Any] = {
            "event_id": uuid.uuid4(),
            "device_id": device_code or self.code,
            "seq": seq,
            "device_time": T0 + dt.timedelta(minutes=seq),
            "direction": Direction.IN,
            "mode": GateMode.CARD_AND_FACE,
            "credential": CredentialKind.ID_CARD,
            "credential_ref": "110101********1234",
            "worker_id": 7,
            "result": GateResult.GRANTED,
            "face_score": 0.41234,
            "prev_hash": prev,
        }
        values.update(fields)
        sealed = seal(GateEventBody(**values))
        signed = sealed.model_copy(
            update={"signature": sign_event_hash(key or self.key, sealed.hash)}
        )
        self.hashes[seq] = signed.hash
        return signed

    def chain(self, first: int, last: int) -> list[GateEvent]:
        return [self.event(seq) for seq in range(first, last + 1)]
