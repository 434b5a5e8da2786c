"""The words for each choice a person makes on a form and a file may carry: one table per enum.

A form shows `labels` (Chinese first, English); every importer reads a cell through `parse`,
which accepts those same labels, the enum's own value, the two labels together as the exports
print them ("成功 success", "按日计薪 / daily rate") and the other words files commonly use
(`aliases`). So what a page offers is always what an import accepts.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Generic, TypeVar

from models.enums import WageKind
from server.payroll.parsers.row import TransferStatus

E = TypeVar("E", bound=Enum)


def normalise(text: str) -> str:
    """Full-width to half-width, lower case, one space between words, no brackets' spaces."""
    text = unicodedata.normalize("NFKC", text).strip().lower()
    return re.sub(r"\s+", " ", text)


@dataclass(frozen=True)
class Vocabulary(Generic[E]):
    labels: Mapping[E, tuple[str, str]]  # (zh, en): what forms and pages show
    aliases: Mapping[E, tuple[str, ...]] = field(default_factory=dict)

    def zh(self, value: E) -> str:
        return self.labels[value][0]

    def en(self, value: E) -> str:
        return self.labels[value][1]

    def words(self) -> dict[str, E]:
        """Every accepted word, normalised, and what it means."""
        out: dict[str, E] = {}
        for value, (zh, en) in self.labels.items():
            for word in (
                str(value.value), zh, en, f"{zh} {en}", f"{zh} / {en}", f"{zh}/{en}",
                *self.aliases.get(value, ()),
            ):  # fmt: skip
                out[normalise(word)] = value
        return out

    def parse(self, text: str) -> E | None:
        return self.words().get(normalise(text))

    def choices_zh(self) -> str:
        return "、".join(zh for zh, _ in self.labels.values())

    def choices_en(self) -> str:
        return ", ".join(en for _, en in self.labels.values())


WAGE_KIND: Vocabulary[WageKind] = Vocabulary(
    labels={
        WageKind.DAILY: ("按日计薪", "daily rate"),
        WageKind.MONTHLY: ("按月计薪", "monthly wage"),
        WageKind.PIECE: ("计件", "piece rate"),
    },
    aliases={
        WageKind.DAILY: ("日薪", "按日", "点工", "计日", "日工资", "day", "daily", "日薪 daily"),
        WageKind.MONTHLY: ("月薪", "按月", "月工资", "month", "monthly", "月薪 monthly"),
        WageKind.PIECE: ("计件工资", "包工", "piece", "piecework", "计件 piece"),
    },
)

TRANSFER_STATUS: Vocabulary[TransferStatus] = Vocabulary(
    labels={
        TransferStatus.SUCCESS: ("成功", "paid"),
        TransferStatus.FAILED: ("失败", "failed"),
        TransferStatus.RETURNED: ("退汇", "returned"),
    },
    aliases={
        TransferStatus.SUCCESS: ("success", "成功 success", "交易成功", "已成功", "处理成功", "ok"),
        TransferStatus.FAILED: ("交易失败", "处理失败", "failure", "fail"),
        TransferStatus.RETURNED: ("退票", "已退回", "退回", "refunded"),
    },
)
