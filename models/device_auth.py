"""Device authentication: each gate PC holds an Ed25519 key made at provisioning.

A request is signed over METHOD, path, timestamp, nonce and the body's SHA-256; the server keeps
only the public key, checks a freshness window and refuses a nonce it has seen. Each event's hash is
signed too, so a stored event can later be shown to come from that gate unaltered.
"""

from __future__ import annotations

import hashlib
import secrets

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

HEADER_DEVICE = "X-SiteGate-Device"
HEADER_TIMESTAMP = "X-SiteGate-Timestamp"
HEADER_NONCE = "X-SiteGate-Nonce"
HEADER_SIGNATURE = "X-SiteGate-Signature"
# On a 401 device.stale answer: the server's clock (UNIX seconds), for the gate to correct by.
HEADER_SERVER_TIME = "X-SiteGate-Server-Time"
FRESHNESS_S = 300


def signing_message(method: str, path: str, timestamp: int, nonce: str, body: bytes) -> bytes:
    digest = hashlib.sha256(body).hexdigest()
    return f"{method.upper()}\n{path}\n{timestamp}\n{nonce}\n{digest}".encode()


def new_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def load_private_key(raw: bytes) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(raw)


def public_key_hex(key: Ed25519PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        .hex()
    )


def sign_request(
    key: Ed25519PrivateKey, device_code: str, method: str, path: str, body: bytes, timestamp: int
) -> dict[str, str]:
    nonce = secrets.token_hex(16)
    sig = key.sign(signing_message(method, path, timestamp, nonce, body)).hex()
    return {
        HEADER_DEVICE: device_code,
        HEADER_TIMESTAMP: str(timestamp),
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: sig,
    }


def sign_event_hash(key: Ed25519PrivateKey, event_hash: str) -> str:
    return key.sign(bytes.fromhex(event_hash)).hex()


def load_public_key(public_key_hex_: str) -> Ed25519PublicKey | None:
    """Parse once, verify many times (ingest checks whole batches under one key)."""
    try:
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex_))
    except ValueError:
        return None


def verify_with(public_key: Ed25519PublicKey, signature_hex: str, message: bytes) -> bool:
    try:
        public_key.verify(bytes.fromhex(signature_hex), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def verify(public_key_hex_: str, signature_hex: str, message: bytes) -> bool:
    try:
        pub = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex_))
        pub.verify(bytes.fromhex(signature_hex), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def key_fingerprint(public_key_hex_: str) -> str:
    """SHA-256 of the raw 32-byte key, first 16 hex: short enough to read out over a phone,
    shown by the gate itself and printed on the reports that others keep."""
    try:
        raw = bytes.fromhex(public_key_hex_)
    except ValueError:
        raw = public_key_hex_.encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def verify_event_signature(public_key_hex_: str, event_hash: str, signature_hex: str) -> bool:
    return verify(public_key_hex_, signature_hex, bytes.fromhex(event_hash))
