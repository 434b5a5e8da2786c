"""The per-project checklist (issue 16, "the five systems") as pure functions over plain data.

The regulators check on every project: 实名制 with the platform uploads, the wage account
(专户, with its 三方协议), 总包代发, the wage deposit (工资保证金), the rights notice board
(维权公示), the labour officer, and labour contracts, bank cards and safety training of the
workers on site. Each check is one `Item`; a failing item has the level its setting gives
(red / orange / yellow, or `off`: not checked on this project). The project's level is its
worst item's. Defaults and why: docs/checklist.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from models.enums import WarningLevel
from server.notice.rules import NoticeFields


class Severity(StrEnum):
    """What a failing item counts as (a setting per item)."""

    RED = "red"
    ORANGE = "orange"
    YELLOW = "yellow"
    OFF = "off"  # not checked on this project


RANK = {WarningLevel.GREEN: 0, WarningLevel.YELLOW: 1, WarningLevel.ORANGE: 2, WarningLevel.RED: 3}


class Code(StrEnum):
    """The items, in the order a page lists items of the same level."""

    WAGE_ACCOUNT = "wage_account"
    TRIPARTITE = "tripartite"
    DEPOSIT = "deposit"
    DISBURSEMENT = "disbursement"
    LABOUR_OFFICER = "labour_officer"
    NOTICE_BOARD = "notice_board"
    PLATFORM_ACCOUNT = "platform_account"
    PLATFORM_UPLOADS = "platform_uploads"
    CONTRACT = "contract"
    BANK_CARD = "bank_card"
    TRAINING = "training"


# Where each item is put right: the site's page (server/web); the checklist page builds links.
FIX_PAGE: dict[Code, str] = {
    Code.WAGE_ACCOUNT: "safeguards#sg-account",
    Code.TRIPARTITE: "safeguards#sg-account",
    Code.DEPOSIT: "safeguards#sg-deposits",
    Code.DISBURSEMENT: "reconciliation",
    Code.LABOUR_OFFICER: "safeguards#sg-officers",
    Code.NOTICE_BOARD: "notice",
    Code.PLATFORM_ACCOUNT: "platform",
    Code.PLATFORM_UPLOADS: "platform",
    Code.CONTRACT: "workers?status=active&contract=no",
    Code.BANK_CARD: "workers?status=active",
    Code.TRAINING: "workers?status=active&training=no",
}

TITLE: dict[Code, tuple[str, str]] = {
    Code.WAGE_ACCOUNT: ("农民工工资专用账户", "Dedicated wage account"),
    Code.TRIPARTITE: ("专户三方协议", "Wage account tripartite agreement"),
    Code.DEPOSIT: ("工资保证金", "Wage deposit"),
    Code.DISBURSEMENT: ("总包代发", "Paid by the general contractor"),
    Code.LABOUR_OFFICER: ("劳资专管员", "Labour officer"),
    Code.NOTICE_BOARD: ("维权信息告示牌", "Rights notice board"),
    Code.PLATFORM_ACCOUNT: ("实名制平台账号", "Real-name platform account"),
    Code.PLATFORM_UPLOADS: ("实名制平台上传", "Real-name platform uploads"),
    Code.CONTRACT: ("劳动合同", "Labour contracts"),
    Code.BANK_CARD: ("工资卡", "Wage bank cards"),
    Code.TRAINING: ("安全教育", "Safety training"),
}

# A board is "there" when a worker can read from it whom to ask, what the minimum is, when pay
# comes and where to complain (条例 第三十四条). 12333 and 12348 are printed anyway, so the
# local inspection number is the one complaint line a site must fill in.
NOTICE_REQUIRED: tuple[tuple[str, str, str], ...] = (
    ("officer_name", "劳资专管员", "wage officer"),
    ("officer_phone", "劳资专管员电话", "officer's phone"),
    ("min_wage", "最低工资标准", "minimum wage"),
    ("pay_day", "工资支付日", "pay day"),
    ("inspection_phone", "劳动保障监察电话", "labour inspection phone"),
)


def notice_missing(board: NoticeFields) -> tuple[str, ...]:
    """The required lines of the board not filled in (keys of NOTICE_REQUIRED)."""
    filled = {
        "officer_name": bool(board.officer_name.strip()),
        "officer_phone": bool(board.officer_phone.strip()),
        "min_wage": board.min_wage_month_fen is not None or board.min_wage_hour_fen is not None,
        "pay_day": board.pay_day is not None,
        "inspection_phone": bool(board.inspection_phone.strip()),
    }
    return tuple(key for key, _, _ in NOTICE_REQUIRED if not filled[key])


@dataclass(frozen=True, slots=True)
class ProjectFacts:
    """What the checklist reads of one project (gathered by server/checklist/service.py)."""

    wage_account: bool = False
    tripartite: bool = False  # the wage account's 三方协议 signed
    deposit: bool = False  # a wage deposit (cash, 保函 or insurance) not released
    labour_officer: bool = False  # a current one
    notice_missing: tuple[str, ...] = tuple(k for k, _, _ in NOTICE_REQUIRED)
    platform_account: bool = False  # an active account on the real-name platform
    platform_problems: int = 0  # uploads blocked, rejected or failing the local check
    disbursement_findings: int = 0  # open findings: paid not to the worker / not from 专户
    on_site: int = 0  # active assignments
    without_contract: int = 0
    without_bank_card: int = 0
    without_training: int = 0


@dataclass(frozen=True, slots=True)
class Thresholds:
    """A share's levels: red above `red_above`, else orange above `orange_above` (0..1)."""

    red_above: Decimal
    orange_above: Decimal


@dataclass(frozen=True, slots=True)
class ChecklistSettings:
    """The levels (Project.settings["checklist"], server/registry/settings.py ChecklistSection)."""

    wage_account_level: Severity = Severity.RED
    tripartite_level: Severity = Severity.ORANGE
    deposit_level: Severity = Severity.RED
    disbursement_level: Severity = Severity.RED
    labour_officer_level: Severity = Severity.ORANGE
    notice_board_level: Severity = Severity.ORANGE
    platform_account_level: Severity = Severity.RED
    platform_uploads_level: Severity = Severity.ORANGE
    contract_red_above: Decimal = Decimal("0.10")
    contract_orange_above: Decimal = Decimal("0")
    bank_card_red_above: Decimal = Decimal("0.10")
    bank_card_orange_above: Decimal = Decimal("0")
    training_red_above: Decimal = Decimal("0")
    training_orange_above: Decimal = Decimal("0")

    def thresholds(self, code: Code) -> Thresholds:
        return Thresholds(
            getattr(self, f"{code.value}_red_above"), getattr(self, f"{code.value}_orange_above")
        )


@dataclass(frozen=True, slots=True)
class Item:
    """One check: `ok`, the level (green when ok or not checked), the figure behind it and the
    state in both languages. `checked` False: the project's settings turned the item off."""

    code: Code
    ok: bool
    level: WarningLevel
    figure: str
    text_zh: str
    text_en: str
    checked: bool = True

    @property
    def title_zh(self) -> str:
        return TITLE[self.code][0]

    @property
    def title_en(self) -> str:
        return TITLE[self.code][1]

    @property
    def fix(self) -> str:
        return FIX_PAGE[self.code]


def _level(severity: Severity) -> WarningLevel:
    return WarningLevel(severity.value)


def _flag(
    code: Code, ok: bool, severity: Severity, figure: str, yes: tuple[str, str], no: tuple[str, str]
) -> Item:
    if severity is Severity.OFF:
        return Item(code, True, WarningLevel.GREEN, figure, "不检查(项目设置)", "not checked "
                    "(project settings)", checked=False)  # fmt: skip
    if ok:
        return Item(code, True, WarningLevel.GREEN, figure, *yes)
    return Item(code, False, _level(severity), figure, *no)


def share_level(missing: int, total: int, limits: Thresholds) -> WarningLevel:
    """Red when the share missing is above `red_above`, orange above `orange_above`; nobody on
    site, or nobody missing, is green. Exact fractions: 1 of 10 is 10 %, not above it."""
    if total <= 0 or missing <= 0:
        return WarningLevel.GREEN
    share = Decimal(missing) / Decimal(total)
    if share > limits.red_above:
        return WarningLevel.RED
    if share > limits.orange_above:
        return WarningLevel.ORANGE
    return WarningLevel.GREEN


def _percent(missing: int, total: int) -> str:
    if total <= 0:
        return "0/0"
    pct = (Decimal(100 * missing) / Decimal(total)).quantize(Decimal("0.1"))
    return f"{missing}/{total} ({pct.normalize():f} %)"


_SHARE_TEXT: dict[Code, tuple[str, str]] = {
    Code.CONTRACT: ("未录入劳动合同", "without a labour contract"),
    Code.BANK_CARD: ("未登记工资卡", "without a wage bank card"),
    Code.TRAINING: ("未完成安全教育", "without safety training"),
}


def _share(code: Code, missing: int, total: int, settings: ChecklistSettings) -> Item:
    figure = _percent(missing, total)
    zh, en = _SHARE_TEXT[code]
    level = share_level(missing, total, settings.thresholds(code))
    if missing == 0:
        return Item(code, True, WarningLevel.GREEN, figure, f"在场 {total} 人全部已录入",
                    f"all {total} on site have it")  # fmt: skip
    return Item(
        code, level is WarningLevel.GREEN, level, figure,
        f"在场 {total} 人中 {missing} 人{zh}", f"{missing} of {total} on site {en}",
    )  # fmt: skip


def evaluate(facts: ProjectFacts, settings: ChecklistSettings) -> list[Item]:
    """Every item of the project: failing ones first, worst level first, then in `Code` order."""
    s = settings
    missing_lines = [zh for key, zh, _ in NOTICE_REQUIRED if key in facts.notice_missing]
    missing_en = [en for key, _, en in NOTICE_REQUIRED if key in facts.notice_missing]
    items = [
        _flag(Code.WAGE_ACCOUNT, facts.wage_account, s.wage_account_level, "",
              ("已开设并录入", "opened and recorded"),
              ("未录入农民工工资专用账户", "no dedicated wage account recorded")),
        _flag(Code.TRIPARTITE, facts.tripartite, s.tripartite_level, "",
              ("已签订", "signed"), ("未录入三方协议签订日期", "no tripartite agreement recorded")),
        _flag(Code.DEPOSIT, facts.deposit, s.deposit_level, "",
              ("已存储(未退还)", "lodged (not released)"),
              ("未存储工资保证金(或已全部退还)", "no wage deposit lodged (or all released)")),
        _flag(Code.DISBURSEMENT, facts.disbursement_findings == 0, s.disbursement_level,
              str(facts.disbursement_findings),
              ("核对未发现代发问题", "no open finding on who paid whom"),
              (f"{facts.disbursement_findings} 条未处理预警:工资未发到本人银行卡或未从专户支付",
               f"{facts.disbursement_findings} open findings: wages not paid to the worker's own "
               "card or not from the wage account")),
        _flag(Code.LABOUR_OFFICER, facts.labour_officer, s.labour_officer_level, "",
              ("已配备", "appointed"), ("未配备劳资专管员", "no labour officer appointed")),
        _flag(Code.NOTICE_BOARD, not facts.notice_missing, s.notice_board_level,
              str(len(facts.notice_missing)),
              ("必填内容已公示", "required lines posted"),
              ("告示牌缺少:" + "、".join(missing_lines),
               "the board lacks: " + ", ".join(missing_en))),
        _flag(Code.PLATFORM_ACCOUNT, facts.platform_account, s.platform_account_level, "",
              ("已配置", "configured"),
              ("未配置实名制平台账号,未按要求上传平台",
               "no real-name platform account: nothing is uploaded as required")),
        _flag(Code.PLATFORM_UPLOADS, facts.platform_problems == 0, s.platform_uploads_level,
              str(facts.platform_problems),
              ("无被拒或未通过的上传", "no upload refused or failing"),
              (f"{facts.platform_problems} 项上传被平台拒绝、退回或未通过本地检查",
               f"{facts.platform_problems} uploads refused, rejected or failing the local check")),
        _share(Code.CONTRACT, facts.without_contract, facts.on_site, s),
        _share(Code.BANK_CARD, facts.without_bank_card, facts.on_site, s),
        _share(Code.TRAINING, facts.without_training, facts.on_site, s),
    ]  # fmt: skip
    order = list(Code)
    return sorted(items, key=lambda i: (i.ok, -RANK[i.level], order.index(i.code)))


def overall(items: list[Item]) -> WarningLevel:
    """The project's level: its worst item's (green when every item is ok)."""
    return max((i.level for i in items), key=RANK.__getitem__, default=WarningLevel.GREEN)


def sort_key(level: WarningLevel, code: str) -> tuple[int, str]:
    """Projects red first, then orange, yellow, green; by project code within a level."""
    return (-RANK[level], code)
