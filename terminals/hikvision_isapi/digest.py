"""HTTP Digest authentication, server side, as a terminal checks it (RFC 7616 / RFC 2617).

MD5, qop=auth, a realm and an opaque; nonces are `<issued-at hex>.<HMAC>` so any nonce we issued
can be checked without a table, and one older than `nonce_ttl_s` is answered 401 with
`stale=true` (clients then retry with the fresh nonce without asking the user again). The response
hash is recomputed from the password and compared in constant time; the `uri` parameter must be
the request target; a nonce count that does not increase is a replay and refused.

Not implemented: SHA-256 (RFC 7616 allows it; terminals offer MD5), qop=auth-int, MD5-sess,
account lock-out after repeated failures (real firmware locks for ~30 minutes).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Callable
from enum import Enum

_PARAM_RE = re.compile(r'([a-zA-Z0-9_-]+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))')


class DigestResult(Enum):
    OK = "ok"
    MISSING = "missing"
    BAD = "bad"
    STALE = "stale"


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def digest_response(
    username: str,
    realm: str,
    password: str,
    method: str,
    uri: str,
    nonce: str,
    nc: str,
    cnonce: str,
) -> str:
    """The qop=auth `response` value of RFC 2617 section 3.2.2.1."""
    ha1 = _md5(f"{username}:{realm}:{password}")
    ha2 = _md5(f"{method}:{uri}")
    return _md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")


def parse_authorization(header: str) -> dict[str, str] | None:
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "digest":
        return None
    return {m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
            for m in _PARAM_RE.finditer(rest)}  # fmt: skip


class DigestVerifier:
    def __init__(
        self,
        realm: str,
        username: str,
        password: str,
        *,
        nonce_ttl_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.realm = realm
        self.username = username
        self.password = password
        self.nonce_ttl_s = nonce_ttl_s
        self._clock = clock
        self._secret = secrets.token_bytes(16)
        self.opaque = secrets.token_hex(16)
        self._last_nc: dict[str, int] = {}
        self._lock = threading.Lock()

    def _nonce(self, issued: int) -> str:
        stamp = f"{issued:x}"
        mac = hmac.new(self._secret, stamp.encode(), hashlib.sha256).hexdigest()[:32]
        return f"{stamp}.{mac}"

    def challenge(self, *, stale: bool = False) -> str:
        """The WWW-Authenticate value for a 401."""
        nonce = self._nonce(int(self._clock() * 1000))
        value = (
            f'Digest realm="{self.realm}", qop="auth", algorithm=MD5, '
            f'nonce="{nonce}", opaque="{self.opaque}"'
        )
        return value + (", stale=true" if stale else "")

    def verify(self, method: str, uri: str, header: str | None) -> DigestResult:
        if not header:
            return DigestResult.MISSING
        p = parse_authorization(header)
        if p is None:
            return DigestResult.BAD
        nonce = p.get("nonce", "")
        stamp, _, _mac = nonce.partition(".")
        try:
            issued = int(stamp, 16)
        except ValueError:
            return DigestResult.BAD
        if not hmac.compare_digest(nonce, self._nonce(issued)):
            return DigestResult.BAD
        if (
            p.get("username") != self.username
            or p.get("realm") != self.realm
            or p.get("uri") != uri
            or p.get("qop") != "auth"
            or p.get("algorithm", "MD5").upper() != "MD5"
        ):
            return DigestResult.BAD
        nc_text, cnonce = p.get("nc", ""), p.get("cnonce", "")
        try:
            nc = int(nc_text, 16)
        except ValueError:
            return DigestResult.BAD
        expected = digest_response(
            self.username, self.realm, self.password, method, uri, nonce, nc_text, cnonce
        )
        if not hmac.compare_digest(expected, p.get("response", "")):
            return DigestResult.BAD
        # Only a correct hash may learn that its nonce is merely old.
        if self._clock() * 1000 - issued > self.nonce_ttl_s * 1000:
            return DigestResult.STALE
        with self._lock:
            if nc <= self._last_nc.get(nonce, 0):
                return DigestResult.BAD
            self._last_nc[nonce] = nc
            if len(self._last_nc) > 4096:  # forget the oldest nonces; they expire anyway
                for old in list(self._last_nc)[:2048]:
                    del self._last_nc[old]
        return DigestResult.OK
