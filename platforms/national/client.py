"""A client of a real-name platform's OpenAPI (httpx): one signed form POST per call, signed
as its profile says."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from platforms.national import protocol as p
from platforms.national.profile import Profile, load


class PlatformUnreachableError(Exception):
    """No answer at all (network, DNS, 5xx page): the call is to be retried later."""


class PlatformClient:
    def __init__(
        self,
        base_url: str,
        appid: str,
        appsecret: str,
        *,
        clock: Callable[[], dt.datetime] | None = None,
        timeout: float = 15.0,
        transport: httpx.BaseTransport | None = None,
        profile: Profile | None = None,
    ) -> None:
        self.appid = appid
        self.appsecret = appsecret
        self.profile = profile or load()
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._http = httpx.Client(base_url=base_url, timeout=timeout, transport=transport)

    def call(self, method: str, data: Mapping[str, Any]) -> p.Answer:
        form = p.request_form(
            method,
            data,
            appid=self.appid,
            appsecret=self.appsecret,
            at=self._clock(),
            sign_scheme=self.profile.sign_scheme,
            extra=self.profile.extra,
        )
        try:
            r = self._http.post("", data=form)
        except httpx.HTTPError as exc:
            raise PlatformUnreachableError(str(exc)) from None
        if r.status_code >= 500:
            raise PlatformUnreachableError(f"HTTP {r.status_code}")
        return p.parse_answer(r.content)

    def poll(self, request_serial_code: str) -> p.Answer:
        return self.call(self.profile.query, {"requestSerialCode": request_serial_code})

    def encrypt(self, plain: str) -> str:
        return self.profile.encrypt(plain, self.appsecret)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PlatformClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
