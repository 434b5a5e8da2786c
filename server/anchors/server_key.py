"""The server's own Ed25519 key: it signs the daily digests and every evidence pack's manifest.

Its fingerprint is printed on every report, so a copy kept outside the server says which key
signed it. By default the key is derived from SITEGATE_SECRET_KEY (random in production, checked
at start), so nothing more has to be kept; SITEGATE_SIGNING_KEY_FILE (a file holding 32 random
bytes as hex, `sitegate admin generate-keys` writes one) pins it apart from the secret.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from models.device_auth import key_fingerprint, public_key_hex
from server.config import Settings
from server.errors import SiteGateError

_DERIVE = b"sitegate/server-signing-key/1\x00"


@lru_cache(maxsize=8)
def _derived(secret: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(_DERIVE + secret.encode()).digest())


@lru_cache(maxsize=8)
def _from_file(path: str) -> Ed25519PrivateKey:
    try:
        raw = bytes.fromhex(Path(path).read_text(encoding="ascii").strip())
        return Ed25519PrivateKey.from_private_bytes(raw)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise SiteGateError(
            f"服务器签名密钥文件 {path} 无法读取(须为 32 字节的十六进制)",
            f"server signing key file {path} cannot be read (must be 32 bytes as hex): {exc}",
        ) from None


def signing_key(settings: Settings) -> Ed25519PrivateKey:
    if settings.signing_key_file:
        return _from_file(settings.signing_key_file)
    return _derived(settings.secret_key)


def public_key(settings: Settings) -> str:
    return public_key_hex(signing_key(settings))


def fingerprint(settings: Settings) -> str:
    return key_fingerprint(public_key(settings))
