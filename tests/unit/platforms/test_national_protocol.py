"""platforms/national/protocol.py against fixed vectors worked out apart from the code: the
signature with `sha256sum` over the text written by hand, the cipher with `openssl enc
-aes-256-cbc` (key = the secret's bytes, IV = its first 16 characters)."""

from __future__ import annotations

import datetime as dt

import pytest

from platforms.national import protocol as p

SECRET = "0123456789abcdef0123456789abcdef"
PARAMS = {
    "method": "ProjectWorker.Add",
    "version": "1.0",
    "appid": "P0001",
    "format": "json",
    "timestamp": "20261204103000",
    "nonce": "5f3c9a1b",
    "data": '{"idCardNumber":"x"}',
}
# printf '%s' 'appid=p0001&data={"idcardnumber":"x"}&format=json&method=projectworker.add&
#   nonce=5f3c9a1b&timestamp=20261204103000&version=1.0&appsecret=<SECRET>' | sha256sum
SIGN = "813620572b3e3e3dede7a75650e9df4db138cd92fbbc60003a19eac601d757e5"
# printf '%s' 110101199003074477 |
#   openssl enc -aes-256-cbc -K <hex SECRET> -iv <hex SECRET[:16]> -base64
ID_CIPHER = "rb9eaaqoJIEYIvfp1gZsMRCK5g/CBSzeWut9Qfz5Mk8="
CARD_CIPHER = "pXVlMCWD/Tl4hK/3nzDpVXFRaI8osAeQiiGC5Kk3dp8="


def test_the_signature_vector() -> None:
    assert p.sign(PARAMS, SECRET) == SIGN
    assert p.verify({**PARAMS, "sign": SIGN}, SECRET)
    assert p.verify({**PARAMS, "sign": SIGN.upper()}, SECRET)
    assert not p.verify({**PARAMS, "nonce": "5f3c9a1c", "sign": SIGN}, SECRET)
    assert not p.verify({**PARAMS, "sign": SIGN}, SECRET[::-1])


def test_the_cipher_vectors() -> None:
    assert p.encrypt("110101199003074477", SECRET) == ID_CIPHER
    assert p.encrypt("6222020200112233445", SECRET) == CARD_CIPHER
    assert p.decrypt(ID_CIPHER, SECRET) == "110101199003074477"


def test_a_wrong_secret_or_damaged_text_is_a_clear_error() -> None:
    with pytest.raises(p.PlatformProtocolError, match="32 字节"):
        p.encrypt("x", "short")
    with pytest.raises(p.PlatformProtocolError, match="无法解密"):
        p.decrypt(ID_CIPHER, "f" * 32)
    with pytest.raises(p.PlatformProtocolError, match="无法解密"):
        p.decrypt("不是base64", SECRET)


def test_a_request_is_signed_over_every_field() -> None:
    at = dt.datetime(2026, 12, 4, 2, 30, tzinfo=dt.UTC)  # 10:30 in Beijing
    form = p.request_form(
        "ProjectWorker.Add", {"idCardNumber": "x"}, appid="P0001", appsecret=SECRET, at=at,
        nonce="5f3c9a1b",
    )  # fmt: skip
    assert form == {**PARAMS, "sign": SIGN}


def test_answers() -> None:
    ok = p.parse_answer(b'{"code":0,"message":"","data":{"requestSerialCode":"R1"}}')
    assert (ok.ok, ok.request_serial_code) == (True, "R1")
    limited = p.parse_answer('{"code":"-5","message":"\\u8c03\\u7528\\u8fc7\\u4e8e\\u9891\\u7e41"}')
    assert (limited.code, limited.retryable, limited.message) == (-5, True, "调用过于频繁")
    assert not p.parse_answer('{"code":-2,"message":"sign"}').retryable
    with pytest.raises(p.PlatformProtocolError):
        p.parse_answer("<html>502</html>")
    with pytest.raises(p.PlatformProtocolError):
        p.parse_answer('{"message":"no code"}')
