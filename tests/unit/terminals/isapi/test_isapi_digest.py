"""Digest auth as the emulated terminal checks it: the RFC vector, real hashes over HTTP, and
refusals for a wrong password, a tampered hash, a replayed nonce count, another URI, an old nonce.
"""

from __future__ import annotations

import httpx
import pytest

from terminals.hikvision_isapi.client import IsapiClient
from terminals.hikvision_isapi.digest import (
    DigestResult,
    DigestVerifier,
    digest_response,
    parse_authorization,
)
from terminals.hikvision_isapi.emulator import IsapiTerminalEmulator
from terminals.hikvision_isapi.errors import IsapiAuthError

URI = "/ISAPI/System/deviceInfo"


def _authorization(challenge: str, user: str, password: str, *, uri: str = URI, nc: int = 1,
                   response: str | None = None) -> str:  # fmt: skip
    c = parse_authorization(challenge)
    assert c is not None
    nc_text = f"{nc:08x}"
    value = response or digest_response(
        user, c["realm"], password, "GET", uri, c["nonce"], nc_text, "0a4f113b"
    )
    return (
        f'Digest username="{user}", realm="{c["realm"]}", nonce="{c["nonce"]}", uri="{uri}", '
        f'algorithm=MD5, qop=auth, nc={nc_text}, cnonce="0a4f113b", response="{value}", '
        f'opaque="{c["opaque"]}"'
    )


def _challenge(emu: IsapiTerminalEmulator) -> str:
    answer = httpx.get(emu.base_url + URI)
    assert answer.status_code == 401
    return answer.headers["WWW-Authenticate"]


class TestDigestResponse:
    def test_rfc2617_vector(self) -> None:
        # RFC 2617 section 3.5 example.
        value = digest_response(
            "Mufasa", "testrealm@host.com", "Circle Of Life", "GET", "/dir/index.html",
            "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001", "0a4f113b",
        )  # fmt: skip
        assert value == "6629fae49393a05397450978507c4ef1"


class TestEmulatorDigest:
    def test_no_credentials_gets_challenge(self, emulator: IsapiTerminalEmulator) -> None:
        c = parse_authorization(_challenge(emulator))
        assert c is not None
        assert (c["realm"], c["qop"], c["algorithm"]) == (emulator.model, "auth", "MD5")
        assert c["nonce"]

    def test_wrong_password_is_an_auth_error(self, emulator: IsapiTerminalEmulator) -> None:
        with (
            IsapiClient(emulator.base_url, emulator.username, "wrong") as bad,
            pytest.raises(IsapiAuthError) as err,
        ):
            bad.device_info()
        assert err.value.http_status == 401
        assert "Digest" in err.value.message_en

    def test_correct_client_passes(self, client: IsapiClient) -> None:
        assert client.device_info().model == "DS-K1T671M"

    def test_hand_made_header_passes_and_tampered_one_fails(
        self, emulator: IsapiTerminalEmulator
    ) -> None:
        challenge = _challenge(emulator)
        good = _authorization(challenge, emulator.username, emulator.password)
        assert (
            httpx.get(emulator.base_url + URI, headers={"Authorization": good}).status_code == 200
        )
        right = parse_authorization(good)
        assert right is not None
        flipped = right["response"][:-1] + ("0" if right["response"][-1] != "0" else "1")
        tampered = _authorization(challenge, emulator.username, emulator.password, nc=2,
                                  response=flipped)  # fmt: skip
        answer = httpx.get(emulator.base_url + URI, headers={"Authorization": tampered})
        assert answer.status_code == 401
        assert "stale" not in answer.headers["WWW-Authenticate"]

    def test_replayed_nonce_count_refused(self, emulator: IsapiTerminalEmulator) -> None:
        header = _authorization(_challenge(emulator), emulator.username, emulator.password)
        first = httpx.get(emulator.base_url + URI, headers={"Authorization": header})
        again = httpx.get(emulator.base_url + URI, headers={"Authorization": header})
        assert (first.status_code, again.status_code) == (200, 401)

    def test_hash_for_another_uri_refused(self, emulator: IsapiTerminalEmulator) -> None:
        header = _authorization(
            _challenge(emulator), emulator.username, emulator.password, uri="/ISAPI/other"
        )
        answer = httpx.get(emulator.base_url + URI, headers={"Authorization": header})
        assert answer.status_code == 401

    def test_forged_nonce_refused(self, emulator: IsapiTerminalEmulator) -> None:
        challenge = _challenge(emulator).replace('nonce="', 'nonce="1')
        header = _authorization(challenge, emulator.username, emulator.password)
        answer = httpx.get(emulator.base_url + URI, headers={"Authorization": header})
        assert answer.status_code == 401


class TestNonceExpiry:
    def test_stale_only_for_a_correct_hash(self) -> None:
        now = [1000.0]
        verifier = DigestVerifier("r", "admin", "pw", nonce_ttl_s=60, clock=lambda: now[0])
        challenge = verifier.challenge()
        good = _authorization(challenge, "admin", "pw")
        wrong = _authorization(challenge, "admin", "nope", nc=2)
        now[0] += 61
        assert verifier.verify("GET", URI, wrong) is DigestResult.BAD
        assert verifier.verify("GET", URI, good) is DigestResult.STALE
        assert "stale=true" in verifier.challenge(stale=True)
        assert verifier.verify("GET", URI, None) is DigestResult.MISSING

    def test_client_recovers_from_an_expired_nonce(self, emulator: IsapiTerminalEmulator) -> None:
        now = [0.0]
        emulator.digest = DigestVerifier(
            emulator.model, emulator.username, emulator.password, nonce_ttl_s=60,
            clock=lambda: now[0],
        )  # fmt: skip
        with IsapiClient(emulator.base_url, emulator.username, emulator.password) as c:
            first = c.device_info()
            now[0] += 3600  # the cached nonce is now stale; httpx retries with the new one
            assert c.device_info() == first
