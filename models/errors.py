"""A validation problem carries a Chinese and an English message; the UI shows Chinese first."""

from __future__ import annotations


class ContractError(ValueError):
    """A value broke one of the shared contracts (ID number, credit code, phone, card...)."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(f"{message_zh} / {message_en}")
