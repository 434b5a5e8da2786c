"""Schemathesis hooks for the signed gate endpoints: each generated request is signed with a
provisioned gate's key, as the gate would sign it, so the fuzzing reaches past the signature
check into ingest. Loaded by `SCHEMATHESIS_HOOKS=soak.fuzz_hooks` (soak/fuzz.py sets it with
SOAK_DEVICE_CODE and SOAK_DEVICE_KEY)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import schemathesis

from models.device_auth import load_private_key, sign_request


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    code, key_path = os.environ.get("SOAK_DEVICE_CODE"), os.environ.get("SOAK_DEVICE_KEY")
    if not code or not key_path or not case.path.startswith("/api/v1/edge/"):
        return
    if "json" in kwargs:  # sign exactly the bytes that go on the wire
        kwargs["data"] = json.dumps(kwargs.pop("json")).encode()
        kwargs.setdefault("headers", {})["Content-Type"] = "application/json"
    body = kwargs.get("data") or b""
    if isinstance(body, str):
        body = body.encode()
    key = load_private_key(Path(key_path).read_bytes())
    headers = sign_request(key, code, case.method.upper(), case.path, body, int(time.time()))
    kwargs.setdefault("headers", {}).update(headers)
