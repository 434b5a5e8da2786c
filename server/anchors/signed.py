"""Signed files (docs/evidence_format.md): a JSON body, as exact text, with the server's
Ed25519 signature over its UTF-8 bytes. Daily digests and pack manifests are written this way,
so a reader checks them with the public key alone."""

from __future__ import annotations

import json
from typing import Any

from models.device_auth import public_key_hex
from server.anchors import server_key
from server.config import Settings

FORMAT = "sitegate.signed/1"


def canonical_text(body: dict[str, Any]) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def signed_file(settings: Settings, body: dict[str, Any]) -> tuple[str, bytes]:
    """(the body text, the signed file's bytes)."""
    key = server_key.signing_key(settings)
    text = canonical_text(body)
    return text, wrapper_bytes(public_key_hex(key), text, key.sign(text.encode("utf-8")).hex())


def wrapper_bytes(public_key: str, text: str, signature: str) -> bytes:
    """The signed file around a body text already signed: the same bytes every time, so a
    stored body and signature give back exactly the file first handed out."""
    wrapper = {"format": FORMAT, "public_key": public_key, "body": text, "signature": signature}
    return json.dumps(wrapper, ensure_ascii=False, indent=1).encode("utf-8")
