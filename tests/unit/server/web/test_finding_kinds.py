"""Every kind of finding the reconciliation can raise has words in both languages."""

from __future__ import annotations

import re

import pytest

from server.reconciliation.rules import FindingKind
from server.reconciliation.service import CHAIN_BREAK
from server.web.i18n import MESSAGES, kind_label

KINDS = [k.value for k in FindingKind] + [CHAIN_BREAK]
CJK = re.compile(r"[\u4e00-\u9fff]")


class TestKindLabel:
    @pytest.mark.parametrize("kind", KINDS)
    def test_every_kind_has_words(self, kind: str) -> None:
        zh, en = MESSAGES[f"kind.{kind}"]
        assert CJK.search(zh), zh
        assert en
        assert not CJK.search(en), en
        assert kind_label(kind, "zh") == zh
        assert kind_label(kind, "en") == en
        assert kind not in (zh, en)  # words, not the code

    def test_every_kind_is_walked(self) -> None:
        assert len(KINDS) == len(set(KINDS)) >= 16

    def test_an_unknown_kind_shows_its_code(self) -> None:
        assert kind_label("NEW_KIND", "zh") == "NEW_KIND"
