"""Form fields -> typed values with clear bilingual messages, collected rather than raised.

A form is checked field by field so the page can list every problem at once, each naming the
field as the form labels it. Domain checks (ID number, mobile, bank card) reuse models.ids.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import TypeVar

from models.errors import ContractError
from models.ids import parse_bank_card, parse_id_number, parse_mobile
from models.money import yuan_to_fen
from server.web.i18n import Lang, translate

T = TypeVar("T")

# Names end up in pages, XLSX exports and gate configs: no invisible control characters.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class FormErrors:
    def __init__(self, lang: Lang) -> None:
        self.lang = lang
        self.messages: list[str] = []

    def __bool__(self) -> bool:
        return bool(self.messages)

    def add(self, key: str, **kw: object) -> None:
        self.messages.append(translate(key, self.lang, **kw))

    def add_text(self, zh: str, en: str) -> None:
        self.messages.append(en if self.lang == "en" else zh)

    def label(self, key: str) -> str:
        return translate(key, self.lang)

    def required(self, value: str, label_key: str) -> str:
        value = value.strip()
        if not value:
            self.add("common.field_required", field=self.label(label_key))
        return value

    def text(
        self,
        value: str,
        label_key: str,
        *,
        max_len: int,
        required: bool = False,
        pattern: re.Pattern[str] | None = None,
        pattern_key: str = "form.choice_invalid",
    ) -> str | None:
        """A stripped text field within `max_len`, without control characters, and matching
        `pattern` when given (else `pattern_key`'s message); None when it is not acceptable."""
        value = value.strip()
        if not value:
            if required:
                self.add("common.field_required", field=self.label(label_key))
                return None
            return value
        if len(value) > max_len:
            self.add("form.too_long", field=self.label(label_key), n=max_len)
            return None
        if _CONTROL.search(value):
            self.add("form.control_chars", field=self.label(label_key))
            return None
        if pattern is not None and not pattern.fullmatch(value):
            self.add(pattern_key, field=self.label(label_key))
            return None
        return value

    def date(self, value: str, label_key: str, *, required: bool = False) -> dt.date | None:
        value = value.strip()
        if not value:
            if required:
                self.add("common.field_required", field=self.label(label_key))
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.add("form.date_invalid", field=self.label(label_key))
            return None

    def time(self, value: str, label_key: str) -> dt.time | None:
        value = value.strip()
        if not value:
            self.add("common.field_required", field=self.label(label_key))
            return None
        try:
            return dt.time.fromisoformat(value)
        except ValueError:
            self.add("form.time_invalid", field=self.label(label_key))
            return None

    def money(self, value: str, label_key: str) -> int | None:
        value = value.strip()
        if not value:
            return 0
        try:
            fen = yuan_to_fen(value)
        except ContractError:
            self.add("form.money_invalid", field=self.label(label_key))
            return None
        if fen < 0:
            self.add("form.money_invalid", field=self.label(label_key))
            return None
        return fen

    def contract(self, value: str, parse: Callable[[str], str], key: str) -> str | None:
        value = value.strip()
        if not value:
            return None
        try:
            return parse(value)
        except ContractError as exc:
            self.add(key, detail=exc.message_en if self.lang == "en" else exc.message_zh)
            return None

    def id_number(self, value: str) -> str | None:
        if not value.strip():
            self.add("common.field_required", field=self.label("common.id_number"))
            return None
        return self.contract(value, parse_id_number, "form.id_number_invalid")

    def phone(self, value: str) -> str | None:
        return self.contract(value, parse_mobile, "form.phone_invalid")

    def bank_card(self, value: str) -> str | None:
        return self.contract(value.replace(" ", ""), parse_bank_card, "form.card_invalid")

    def choice(self, value: str, allowed: dict[str, T], label_key: str) -> T | None:
        if value not in allowed:
            self.add("form.choice_invalid", field=self.label(label_key))
            return None
        return allowed[value]

    def optional_int(self, value: str, label_key: str) -> int | None:
        value = value.strip()
        if not value:
            return None
        if not value.isdigit():
            self.add("form.choice_invalid", field=self.label(label_key))
            return None
        return int(value)
