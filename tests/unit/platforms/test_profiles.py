"""Platform profiles (platforms/national/profiles.yaml) and the 广州 variant's algorithms against
vectors from outside the code: its standard's published sample ciphertext (DES-ECB, key = the
access key's first 8 bytes, PKCS#5, hex, `des:`), recomputed with `openssl enc -des-ecb
-provider legacy`, and its MD5 signature with `md5sum`."""

from __future__ import annotations

import pytest

from platforms.national import protocol as p
from platforms.national.profile import UnknownProfileError, load, names

# 广州市建设领域管理应用信息平台 建筑工人实名制数据接口标准 §2.2: access key and the sample
# ciphertext of a (masked) ID number. Its first block is DES("51130119"), its last DES("111" +
# five bytes of padding); the middle block, the masked digits, is not needed and not recovered.
GZ_KEY = "8c2da4c769828fcfa77aedb690999cf9"
GZ_SAMPLE = "des:80cfe03525bb2b8d43d62ff369e95334cd1facfe4bbb800c"
PARAMS = {
    "method": "ProjectWorker.Add",
    "version": "1.0",
    "appid": "P0001",
    "format": "json",
    "timestamp": "20261204103000",
    "nonce": "5f3c9a1b",
    "data": '{"idCardNumber":"x"}',
}
# printf '%s' 'appid=P0001&data={"idCardNumber":"x"}&format=json&method=ProjectWorker.Add&
#   nonce=5f3c9a1b&timestamp=20261204103000&version=1.0<GZ_KEY>' | md5sum
GZ_SIGN = "85d5cd96970dcb93fb070178b6ae3d26"


def test_the_national_profile_comes_first_and_a_second_is_real() -> None:
    assert names()[:2] == ["national", "guangzhou"]
    national, gz = load("national"), load("guangzhou")
    assert national.sign_scheme != gz.sign_scheme
    assert national.cipher != gz.cipher
    assert "teamSysNo" in gz.encrypted
    assert "teamSysNo" not in national.encrypted
    assert national.takes("payroll")
    assert not gz.takes("payroll")
    assert national.corp_types["009"] == "总承包单位"
    assert len(national.corp_types) == 12
    assert national.trade_code("钢筋工") == "020" == national.trade_code("020")
    assert national.trade_code("不存在的工种") is None
    assert national.trade_code("瓦工") == "010"  # a site's word for 砌筑工
    assert national.trade_code("水电工") is None  # ambiguous: the site chooses
    with pytest.raises(UnknownProfileError, match="未知的平台配置"):
        load("atlantis")


def test_the_guangzhou_cipher_matches_its_published_sample() -> None:
    first, last = GZ_SAMPLE[4:20], GZ_SAMPLE[-16:]
    assert p.des_encrypt("51130119", GZ_KEY) == "des:" + first + "bafe0d6cac821f3f"
    assert p.des_encrypt("111", GZ_KEY) == "des:" + last  # the padded last block
    assert p.des_decrypt(p.des_encrypt("440308199901101512", GZ_KEY), GZ_KEY) == (
        "440308199901101512"
    )
    with pytest.raises(p.PlatformProtocolError, match="无法解密"):
        p.des_decrypt("no-prefix", GZ_KEY)
    with pytest.raises(p.PlatformProtocolError, match="8 字节"):
        p.des_encrypt("x", "short")


def test_the_guangzhou_signature_vector() -> None:
    gz = load("guangzhou")
    assert gz.sign(PARAMS, GZ_KEY) == GZ_SIGN
    assert gz.verify({**PARAMS, "sign": GZ_SIGN.upper()}, GZ_KEY)
    assert not gz.verify({**PARAMS, "sign": GZ_SIGN}, GZ_KEY[::-1])
    assert not load("national").verify({**PARAMS, "sign": GZ_SIGN}, GZ_KEY)
    form = p.request_form(
        "Team.Add", {"a": 1}, appid="P0001", appsecret=GZ_KEY, at=p.dt.datetime.now(p.CHINA),
        sign_scheme=gz.sign_scheme, extra={"corpsign": "x"},
    )  # fmt: skip
    assert form["corpsign"] == "x"  # a profile's extra fields are signed with the rest
    assert gz.verify(form, GZ_KEY)


def test_a_secret_is_checked_against_its_profile() -> None:
    load("guangzhou").check_secret(GZ_KEY)
    load("national").check_secret("0123456789abcdef0123456789abcdef")
    with pytest.raises(p.PlatformProtocolError, match="32 字节"):
        load("national").check_secret("0123456789abcdef")
    with pytest.raises(p.PlatformProtocolError, match="8 字节"):
        load("guangzhou").check_secret("short")
