"""The national platform's OpenAPI framing, as issue 16 gives it.

One `application/x-www-form-urlencoded` POST per call with `method`, `version=1.0`, `appid` (the
project's code), `format=json`, `timestamp=yyyyMMddHHmmss`, `nonce`, `data` (JSON text) and
`sign`:

    sign = SHA-256 hex( lower( k1=v1&k2=v2&… over the sorted parameters, sign left out )
                        + "&appsecret=" + appsecret )

ID and bank-card numbers inside `data` are encrypted with AES-256-CBC: the key is the app
secret's 32 bytes, the IV its first 16 characters, PKCS#7 padding, Base64 text.

Provinces differ (profile.py, profiles.yaml): the signature may be MD5 over the same sorted text
with the secret appended (`md5-append`, 广州), the cipher DES-ECB in hex with a `des:` prefix
(`des-ecb-hex`, 广州). Both are here beside the national ones, picked by name.

Result codes: 0 ok, -1 bad parameters, -2 bad signature, -3 no permission, -4 IP refused,
-5 rate limited, 9999 platform error. A write answers a `requestSerialCode`, polled with
`AsyncHandleResult.Query` until the platform has handled it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

VERSION = "1.0"
FORMAT = "json"
CHINA = dt.timezone(dt.timedelta(hours=8))  # the platform's timestamps are Beijing time
SECRET_BYTES = 32  # AES-256


class PlatformProtocolError(ValueError):
    """A message that does not follow the conventions (either side), in the user's words."""

    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__(f"{message_zh} / {message_en}")
        self.message_zh = message_zh
        self.message_en = message_en


class ResultCode(IntEnum):
    OK = 0
    BAD_PARAMETERS = -1
    BAD_SIGNATURE = -2
    NO_PERMISSION = -3
    IP_REFUSED = -4
    RATE_LIMITED = -5
    PLATFORM_ERROR = 9999


RESULT_TEXT: dict[ResultCode, tuple[str, str]] = {
    ResultCode.OK: ("成功", "ok"),
    ResultCode.BAD_PARAMETERS: ("参数错误", "bad parameters"),
    ResultCode.BAD_SIGNATURE: ("签名错误", "bad signature"),
    ResultCode.NO_PERMISSION: ("无权限", "no permission"),
    ResultCode.IP_REFUSED: ("IP 不在白名单", "IP address refused"),
    ResultCode.RATE_LIMITED: ("调用过于频繁", "rate limited"),
    ResultCode.PLATFORM_ERROR: ("平台内部错误", "platform error"),
}
# Worth sending again later as they are (the rest need a change first).
RETRYABLE = frozenset({ResultCode.RATE_LIMITED, ResultCode.PLATFORM_ERROR})


def signing_text(params: Mapping[str, str], appsecret: str) -> str:
    body = "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "sign")
    return f"{body.lower()}&appsecret={appsecret}"


def sign(params: Mapping[str, str], appsecret: str) -> str:
    return hashlib.sha256(signing_text(params, appsecret).encode("utf-8")).hexdigest()


def sign_md5_append(params: Mapping[str, str], appsecret: str) -> str:
    """广州's rule: the sorted `k=v&…` (case kept) with the secret appended directly, MD5 hex."""
    body = "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "sign")
    return hashlib.md5((body + appsecret).encode("utf-8"), usedforsecurity=False).hexdigest()


SIGNERS: dict[str, Callable[[Mapping[str, str], str], str]] = {
    "sha256-lower-appsecret": sign,
    "md5-append": sign_md5_append,
}


def verify(
    params: Mapping[str, str], appsecret: str, scheme: str = "sha256-lower-appsecret"
) -> bool:
    given = params.get("sign", "")
    return secrets.compare_digest(given.lower(), SIGNERS[scheme](params, appsecret))


def _cipher(appsecret: str) -> Cipher[modes.CBC]:
    key = appsecret.encode("utf-8")
    if len(key) != SECRET_BYTES:
        raise PlatformProtocolError(
            f"平台密钥须为 {SECRET_BYTES} 字节(AES-256),现为 {len(key)} 字节",
            f"the app secret must be {SECRET_BYTES} bytes (AES-256), not {len(key)}",
        )
    return Cipher(algorithms.AES(key), modes.CBC(key[:16]))


def encrypt(plain: str, appsecret: str) -> str:
    """An ID or bank-card number as the platform wants it inside `data`."""
    padder = padding.PKCS7(128).padder()
    data = padder.update(plain.encode("utf-8")) + padder.finalize()
    enc = _cipher(appsecret).encryptor()
    return base64.b64encode(enc.update(data) + enc.finalize()).decode("ascii")


def decrypt(text: str, appsecret: str) -> str:
    try:
        raw = base64.b64decode(text, validate=True)
        dec = _cipher(appsecret).decryptor()
        padded = dec.update(raw) + dec.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        return (unpadder.update(padded) + unpadder.finalize()).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        if isinstance(exc, PlatformProtocolError):
            raise
        raise PlatformProtocolError(
            "加密字段无法解密(密钥不符或内容损坏)",
            "an encrypted field does not decrypt (wrong secret or damaged text)",
        ) from None


DES_PREFIX = "des:"


def _des(appsecret: str) -> Cipher[modes.ECB]:
    # DES with the secret's first 8 bytes, as Java's DESKeySpec takes them; K1=K2=K3 makes
    # TripleDES single DES. Checked against the block the 广州 standard publishes (tests).
    key = appsecret.encode("utf-8")[:8]
    if len(key) != 8:
        raise PlatformProtocolError(
            "平台密钥至少 8 字节(DES)", "the app secret must be at least 8 bytes (DES)"
        )
    return Cipher(TripleDES(key * 3), modes.ECB())  # noqa: S305 - the platform's own rule


def des_encrypt(plain: str, appsecret: str) -> str:
    padder = padding.PKCS7(64).padder()
    data = padder.update(plain.encode("utf-8")) + padder.finalize()
    enc = _des(appsecret).encryptor()
    return DES_PREFIX + (enc.update(data) + enc.finalize()).hex()


def des_decrypt(text: str, appsecret: str) -> str:
    try:
        if not text.startswith(DES_PREFIX):
            raise ValueError(text)
        dec = _des(appsecret).decryptor()
        padded = dec.update(bytes.fromhex(text[len(DES_PREFIX) :])) + dec.finalize()
        unpadder = padding.PKCS7(64).unpadder()
        return (unpadder.update(padded) + unpadder.finalize()).decode("utf-8")
    except (ValueError, UnicodeDecodeError) as exc:
        if isinstance(exc, PlatformProtocolError):
            raise
        raise PlatformProtocolError(
            "加密字段无法解密(密钥不符或内容损坏)",
            "an encrypted field does not decrypt (wrong secret or damaged text)",
        ) from None


CIPHERS: dict[str, tuple[Callable[[str, str], str], Callable[[str, str], str]]] = {
    "aes256-cbc-b64": (encrypt, decrypt),
    "des-ecb-hex": (des_encrypt, des_decrypt),
}


def timestamp(at: dt.datetime) -> str:
    return at.astimezone(CHINA).strftime("%Y%m%d%H%M%S")


def request_form(
    method: str,
    data: Mapping[str, Any],
    *,
    appid: str,
    appsecret: str,
    at: dt.datetime,
    nonce: str | None = None,
    sign_scheme: str = "sha256-lower-appsecret",
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The form fields of one call, signed (a profile's extra fixed fields signed with them)."""
    params = {
        "method": method,
        "version": VERSION,
        "appid": appid,
        "format": FORMAT,
        "timestamp": timestamp(at),
        "nonce": nonce or secrets.token_hex(8),
        "data": json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True),
    }
    params.update(extra or {})
    params["sign"] = SIGNERS[sign_scheme](params, appsecret)
    return params


@dataclass(frozen=True, slots=True)
class Answer:
    code: int
    message: str
    data: Any

    @property
    def ok(self) -> bool:
        return self.code == ResultCode.OK

    @property
    def retryable(self) -> bool:
        return self.code in RETRYABLE

    @property
    def request_serial_code(self) -> str | None:
        if isinstance(self.data, dict):
            value = self.data.get("requestSerialCode")
            return str(value) if value else None
        return None


def parse_answer(body: bytes | str) -> Answer:
    """The platform's JSON answer: `{"code": …, "message": …, "data": …}`."""
    try:
        doc = json.loads(body)
    except ValueError:
        raise PlatformProtocolError(
            "平台的答复不是 JSON", "the platform's answer is not JSON"
        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("code"), int | str):
        raise PlatformProtocolError("平台的答复缺少 code", "the platform's answer has no code")
    try:
        code = int(doc["code"])
    except ValueError:
        raise PlatformProtocolError(
            "平台的答复 code 不是数字", "the answer's code is no number"
        ) from None
    return Answer(code, str(doc.get("message") or ""), doc.get("data"))
