"""Activation codes as pure rules: the alphabet a printed slip cannot be misread in, the code's
shape, what a worker may type for it, and when it stops working."""

from __future__ import annotations

import datetime as dt
import random
import secrets

import pytest

from server.auth.rules import (
    CODE_ALPHABET,
    CODE_LENGTH,
    CodeState,
    activation_code_state,
    activation_expires_at,
    format_activation_code,
    new_activation_code,
    normalise_activation_code,
)
from server.config import Settings

T0 = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC)


class TestAlphabet:
    def test_no_symbol_people_misread(self) -> None:
        assert not set(CODE_ALPHABET) & set("0O1IL")
        assert not set(CODE_ALPHABET) & set("0o1il")

    def test_digits_and_capitals_only_each_once(self) -> None:
        assert len(CODE_ALPHABET) == len(set(CODE_ALPHABET)) == 31
        assert CODE_ALPHABET.isalnum()
        assert CODE_ALPHABET.isupper()
        assert set(CODE_ALPHABET) == set("23456789ABCDEFGHJKMNPQRSTUVWXYZ")

    def test_eight_symbols_give_enough_codes_to_resist_guessing(self) -> None:
        assert CODE_LENGTH == 8
        assert len(CODE_ALPHABET) ** CODE_LENGTH > 8 * 10**11


class TestNewCode:
    def test_eight_symbols_of_the_alphabet(self) -> None:
        for _ in range(200):
            code = new_activation_code(secrets.randbelow)
            assert len(code) == CODE_LENGTH
            assert set(code) <= set(CODE_ALPHABET)

    def test_every_symbol_is_drawn(self) -> None:
        rng = random.Random(11)
        seen = "".join(new_activation_code(rng.randrange) for _ in range(200))
        assert set(seen) == set(CODE_ALPHABET)

    def test_codes_differ(self) -> None:
        codes = {new_activation_code(secrets.randbelow) for _ in range(1000)}
        assert len(codes) == 1000


class TestFormat:
    def test_two_groups_of_four(self) -> None:
        assert format_activation_code("ABCDEFGH") == "ABCD-EFGH"

    @pytest.mark.parametrize(
        "typed",
        [
            "ABCD-EFGH",
            "abcd-efgh",
            "ABCDEFGH",
            " abcd efgh ",
            "ABCD–EFGH",
            "ABCD－EFGH",
            "AB CD EF GH",
            "ＡＢＣＤ－ＥＦＧＨ",  # a Chinese input method's full-width letters
        ],
    )
    def test_what_a_worker_types_is_read_back(self, typed: str) -> None:
        assert normalise_activation_code(typed) == "ABCDEFGH"

    def test_a_formatted_code_reads_back_as_itself(self) -> None:
        code = new_activation_code(secrets.randbelow)
        assert normalise_activation_code(format_activation_code(code)) == code

    @pytest.mark.parametrize(
        "typed", ["", "ABCD-EFG", "ABCD-EFGHJ", "ABCD-EFG0", "ABCD-EFGO", "ABCD-EFG1", "ABCDEFGI",
                  "ABCDEFGL", "ABCD/EFG", "激活码激活码激活码"],
    )  # fmt: skip
    def test_what_cannot_be_a_code(self, typed: str) -> None:
        assert normalise_activation_code(typed) is None


class TestExpiry:
    def test_fourteen_days_by_default(self) -> None:
        assert Settings(secret_key="x", template_key="y").activation_code_days == 14
        assert activation_expires_at(T0, valid_days=14) == T0 + dt.timedelta(days=14)

    def test_live_until_the_expiry_instant(self) -> None:
        expires = activation_expires_at(T0, valid_days=14)

        def state(now: dt.datetime) -> CodeState:
            return activation_code_state(expires_at=expires, used_at=None, voided_at=None, now=now)

        assert state(T0) is CodeState.LIVE
        assert state(expires - dt.timedelta(seconds=1)) is CodeState.LIVE
        assert state(expires) is CodeState.EXPIRED
        assert state(expires + dt.timedelta(days=300)) is CodeState.EXPIRED

    def test_used_and_voided_come_before_expiry(self) -> None:
        expires = T0 + dt.timedelta(days=14)
        late = expires + dt.timedelta(days=1)
        used = activation_code_state(expires_at=expires, used_at=T0, voided_at=None, now=late)
        assert used is CodeState.USED
        voided = activation_code_state(expires_at=expires, used_at=None, voided_at=T0, now=T0)
        assert voided is CodeState.VOIDED
        both = activation_code_state(expires_at=expires, used_at=T0, voided_at=T0, now=T0)
        assert both is CodeState.USED

    @pytest.mark.parametrize("days", [0, 91])
    def test_the_setting_is_bounded(self, days: int) -> None:
        with pytest.raises(ValueError, match="activation_code_days"):
            Settings(secret_key="x", template_key="y", activation_code_days=days)
