"""Platform profiles (profiles.yaml): how each platform signs, what it encrypts and how, which
uploads it takes, and the code lists the pre-checks use. The national profile comes first."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from platforms.national import protocol as p

DEFAULT = "national"


class UnknownProfileError(p.PlatformProtocolError):
    def __init__(self, name: str) -> None:
        known = ", ".join(names())
        super().__init__(
            f"未知的平台配置 {name}(可选:{known})", f"unknown platform profile {name} ({known})"
        )


@dataclass(frozen=True)
class Profile:
    name: str
    title_zh: str
    title_en: str
    source: str
    sign_scheme: str
    cipher: str
    secret_bytes: int
    encrypted: frozenset[str]
    methods: Mapping[str, str]  # SiteGate's upload kind -> the platform's method
    query: str
    extra: Mapping[str, str]
    corp_types: Mapping[str, str]
    id_types: Mapping[str, str]
    trades: Mapping[str, str]
    attend_types: Mapping[str, str]
    pay_units: Mapping[str, str]
    trade_aliases: Mapping[str, str]
    # the registry's ID type (models.ids.IdType) -> this platform's idCardType, where the
    # registry's own platform code is missing or differs
    id_type_map: Mapping[str, str]

    def check_secret(self, secret: str) -> None:
        size = len(secret.encode("utf-8"))
        exact = self.cipher == "aes256-cbc-b64"
        if size < self.secret_bytes or (exact and size != self.secret_bytes):
            raise p.PlatformProtocolError(
                f"{self.title_zh}的密钥须为 {self.secret_bytes} 字节,现为 {size} 字节",
                f"{self.title_en} needs a {self.secret_bytes}-byte secret, not {size}",
            )

    def encrypt(self, plain: str, secret: str) -> str:
        return p.CIPHERS[self.cipher][0](plain, secret)

    def decrypt(self, text: str, secret: str) -> str:
        return p.CIPHERS[self.cipher][1](text, secret)

    def sign(self, params: Mapping[str, str], secret: str) -> str:
        return p.SIGNERS[self.sign_scheme](params, secret)

    def verify(self, params: Mapping[str, str], secret: str) -> bool:
        return p.verify(params, secret, self.sign_scheme)

    def takes(self, kind: str) -> bool:
        return kind in self.methods

    def trade_code(self, trade: str) -> str | None:
        """A trade as the registry holds it (a name, or already a code) -> the platform's code."""
        text = trade.strip()
        if text in self.trades:
            return text
        for code, name in self.trades.items():
            if name == text:
                return code
        return self.trade_aliases.get(text)


@functools.cache
def _document() -> dict[str, Any]:
    text = resources.files("platforms.national").joinpath("profiles.yaml").read_text("utf-8")
    doc = yaml.safe_load(text)
    assert isinstance(doc, dict)  # noqa: S101 - our own file, checked by the tests
    return doc


def names() -> list[str]:
    return list(_document()["profiles"])


@functools.cache
def load(name: str = DEFAULT) -> Profile:
    doc = _document()
    raw = doc["profiles"].get(name)
    if raw is None:
        raise UnknownProfileError(name)
    codes = {**doc["codes"], **raw.get("codes", {})}
    if raw["sign"] not in p.SIGNERS or raw["cipher"] not in p.CIPHERS:
        raise p.PlatformProtocolError(
            f"平台配置 {name} 的签名或加密方式未知", f"profile {name}: unknown sign or cipher"
        )
    return Profile(
        name=name,
        title_zh=str(raw["title_zh"]),
        title_en=str(raw["title_en"]),
        source=str(raw.get("source", "")),
        sign_scheme=str(raw["sign"]),
        cipher=str(raw["cipher"]),
        secret_bytes=int(raw["secret_bytes"]),
        encrypted=frozenset(raw.get("encrypted", ())),
        methods={str(k): str(v) for k, v in raw["methods"].items()},
        query=str(raw.get("query", "AsyncHandleResult.Query")),
        extra={str(k): str(v) for k, v in (raw.get("extra") or {}).items()},
        corp_types={str(k): str(v) for k, v in codes["corp_types"].items()},
        id_types={str(k): str(v) for k, v in codes["id_types"].items()},
        trades={str(k): str(v) for k, v in codes["trades"].items()},
        attend_types={str(k): str(v) for k, v in codes["attend_types"].items()},
        pay_units={str(k): str(v) for k, v in codes["pay_units"].items()},
        trade_aliases={str(k): str(v) for k, v in codes.get("trade_aliases", {}).items()},
        id_type_map={str(k): str(v) for k, v in (raw.get("id_type_map") or {}).items()},
    )
