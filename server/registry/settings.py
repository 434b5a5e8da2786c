"""A project's settings: every RULES.md threshold, with its default, bounds and zh/en label.

Four sections, stored as overrides only (a field absent from the JSON is at its default, so a
changed default reaches every project that never set it):

- `gate_policy`    -> `Project.gate_policy`, sent to the gates as models.roster.GatePolicy;
- `roster`         -> `Project.settings["roster"]`, read by server.rosters (RosterSettings);
- `reconciliation` -> `Project.settings["reconciliation"]`, read by server.payroll (ReconSettings);
- `checklist`      -> `Project.settings["checklist"]`, read by server.checklist (ChecklistSettings).

The time zone and the pay day are project fields (`PATCH /projects/{id}`), shown here read-only.

The section models are strict (`extra="forbid"`): they check what a person types. The gates'
wire model (models.roster.GatePolicy) ignores unknown fields instead, for older gates.
"""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, ClassVar

import annotated_types as at
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    field_serializer,
)

from models.enums import LivenessPolicy
from models.roster import GatePolicy
from server.checklist.rules import Severity
from server.errors import ValidationFailedError
from server.registry.models import Project

Scalar = bool | int | float | str | None


def _f(
    default: Any,
    zh: str,
    en: str,
    *,
    unit: str = "",
    help_zh: str = "",
    help_en: str = "",
    percent: bool = False,
    **bounds: Any,
) -> Any:
    """A settings field: its RULES.md default, its bounds, its zh/en label (and unit), one
    line of help in a site manager's words, and whether the page shows it as a percentage."""
    return Field(
        default,
        title=f"{zh} / {en}",
        json_schema_extra={
            "label_zh": zh, "label_en": en, "unit": unit, "help_zh": help_zh,
            "help_en": help_en, "percent": percent,
        },
        **bounds,
    )  # fmt: skip


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)

    key: ClassVar[str]
    label_zh: ClassVar[str]
    label_en: ClassVar[str]

    def problems(self) -> list[tuple[str, str, str]]:
        """Checks across fields: (field, zh, en) each."""
        return []


class GatePolicySettings(_Section):
    """The gate decision (RULES.md "Gate decision"); becomes models.roster.GatePolicy."""

    key = "gate_policy"
    label_zh = "闸机通行规则"
    label_en = "Gate policy"

    require_contract: bool = _f(
        True,
        "须已录入劳动合同",
        "Labour contract required",
        help_zh="未录入劳动合同签订日期的工人不能进场",
        help_en="Workers without a recorded labour contract are refused at the gate",
    )
    require_safety_training: bool = _f(
        True,
        "须已完成安全培训",
        "Safety training required",
        help_zh="未录入安全教育日期的工人不能进场",
        help_en="Workers without recorded safety training are refused at the gate",
    )
    anti_passback: bool = _f(
        True,
        "防反潜回(已在场不可再进)",
        "Anti-passback",
        help_zh="已在场的人不能再次刷卡进场,防止一卡多人",
        help_en="Someone already inside cannot pass IN again, so one card cannot let two people in",
    )
    max_age_male: int = _f(
        60,
        "男性年龄上限(0 为不限)",
        "Max age, men (0: none)",
        unit="岁/y",
        ge=0,
        le=100,
        help_zh="超过此年龄的男性工人不能进场",
        help_en="Men older than this are refused at the gate",
    )
    max_age_female: int = _f(
        50,
        "女性年龄上限(0 为不限)",
        "Max age, women (0: none)",
        unit="岁/y",
        ge=0,
        le=100,
        help_zh="超过此年龄的女性工人不能进场",
        help_en="Women older than this are refused at the gate",
    )
    min_age: int = _f(
        18,
        "最低年龄",
        "Minimum age",
        unit="岁/y",
        ge=16,
        le=70,
        help_zh="未满此年龄的人不能进场",
        help_en="Anyone younger than this is refused at the gate",
    )
    face_threshold: float = _f(
        0.55,
        "人脸比对阈值(距离上限)",
        "Face match threshold (max distance)",
        gt=0,
        lt=1.5,
        help_zh="数值越小越严格:人脸差距超过此值即不通过",
        help_en="Smaller is stricter: a face further than this from the enrolled one is refused",
    )
    face_threshold_1n: float = _f(
        0.52,
        "只刷脸(1:N)识别阈值(距离上限)",
        "Face-only (1:N) threshold (max distance)",
        gt=0,
        lt=1.5,
        help_zh="只刷脸时比对全体工人,须比刷证(1:1)更严格,以免认错人",
        help_en="Face only searches every worker: keep it stricter than the card + face check, "
        "so nobody is taken for someone else",
    )
    face_margin: float = _f(
        0.06,
        "1:N 最佳与次佳的差距",
        "1:N margin best vs second",
        ge=0,
        le=1,
        help_zh="只刷脸时,最像的人须比第二像的人明显更像",
        help_en="Face only: the best match must beat the second best by this much",
    )
    manager_confirmation: bool = _f(
        True,
        "刷卡+管理人员确认作为替代方式",
        "Card + manager confirmation as the alternative",
        help_zh="不愿或无法刷脸的工人,刷卡后由现场确认人确认放行",
        help_en="Workers who cannot or will not use the face check pass with their card "
        "and a gate confirmer's OK",
    )
    confirm_after_face_refusal: bool = _f(
        True,
        "人脸未通过时可由管理人员确认",
        "Confirmation after a refused face",
        help_zh="人脸未通过时,现场确认人可以确认放行",
        help_en="When the face check fails, a gate confirmer may still let the worker through",
    )
    confirmation_timeout_s: float = _f(
        30.0,
        "等待确认的时限",
        "Confirmation timeout",
        unit="s",
        gt=0,
        le=300,
        help_zh="等待现场确认人确认的最长时间",
        help_en="How long the gate waits for a confirmer",
    )
    liveness: LivenessPolicy = _f(
        LivenessPolicy.OFF,
        "活体检测(防照片、屏幕)",
        "Live-person check (photos, screens)",
        help_zh="off 关闭;log 随机要求眨眼或转头并记入记录,不拦人;require 须通过才放行,"
        "未通过可刷卡由确认人确认",
        help_en="off; log: a random blink or head-turn prompt, the result sealed in the record, "
        "nobody refused; require: a face pass needs it, else card + a confirmer",
    )


class RosterSection(_Section):
    """Attendance (RULES.md "Attendance"); becomes server.rosters.rules.RosterSettings."""

    key = "roster"
    label_zh = "考勤规则"
    label_en = "Attendance"

    dedupe_window_s: int = _f(
        60,
        "同向重复打卡合并时间窗",
        "Repeat punches merged within",
        unit="s",
        ge=0,
        le=3600,
        help_zh="同一人同方向在此时间内多次刷卡只算一次",
        help_en="Repeat taps in the same direction within this time count once",
    )
    full_day_hours: float = _f(
        4.0,
        "计一天所需在场时长",
        "Hours on site for a day",
        unit="h",
        gt=0,
        le=24,
        help_zh="当天在场达到此时长计一天",
        help_en="Hours on site that count as a full day",
    )
    half_day_hours: float = _f(
        2.0,
        "计半天所需在场时长",
        "Hours on site for a half day",
        unit="h",
        gt=0,
        le=24,
        help_zh="当天在场达到此时长计半天",
        help_en="Hours on site that count as half a day",
    )
    auto_close_at: dt.time = _f(
        dt.time(20, 0),
        "缺少出场记录时的自动结束时刻",
        "Auto-close time of a missing OUT",
        help_zh="忘记刷卡出场时,按此时刻结束当天",
        help_en="A day without an OUT ends at this time",
    )
    night_shift_hours: float = _f(
        12.0,
        "夜班缺少出场时按进场后计",
        "Night shift missing OUT closes after",
        unit="h",
        gt=0,
        le=24,
        help_zh="夜班忘记刷卡出场时,按进场后此时长结束",
        help_en="A night shift without an OUT ends this long after the IN",
    )
    night_shift_from: dt.time = _f(
        dt.time(18, 0),
        "夜班进场时间起",
        "Night shift INs from",
        help_zh="此时刻之后进场算夜班",
        help_en="INs from this time count as night shift",
    )
    night_shift_until: dt.time = _f(
        dt.time(5, 0),
        "夜班进场时间止",
        "Night shift INs until",
        help_zh="此时刻之前进场也算夜班",
        help_en="INs before this time count as night shift too",
    )
    max_session_hours: float = _f(
        16.0,
        "单次在场最长时长",
        "Longest session",
        unit="h",
        gt=0,
        le=48,
        help_zh="超过此时长的进出不配对,记为考勤异常",
        help_en="An IN and OUT further apart than this are not paired (an anomaly)",
    )

    @field_serializer("auto_close_at", "night_shift_from", "night_shift_until", when_used="json")
    def _hh_mm(self, value: dt.time) -> str:
        return value.strftime("%H:%M")

    def problems(self) -> list[tuple[str, str, str]]:
        out = []
        if self.half_day_hours > self.full_day_hours:
            out.append(
                ("half_day_hours", "不能大于计一天的时长", "may not exceed the full day's hours")
            )
        if self.night_shift_hours > self.max_session_hours:
            out.append(
                (
                    "night_shift_hours",
                    "不能大于单次在场最长时长",
                    "may not exceed the longest session",
                )
            )
        return out


_Share = Annotated[Decimal, at.Ge(0), at.Le(1), Field(decimal_places=4)]
# Its own type: a `le=` on the field would lose to the share's Le(1) (the last bound wins).
_Tolerance = Annotated[Decimal, at.Ge(0), at.Le(Decimal("0.5")), Field(decimal_places=4)]


class ReconciliationSection(_Section):
    """Reconciliation (RULES.md "Reconciliation"); becomes reconciliation.rules.ReconSettings."""

    key = "reconciliation"
    label_zh = "工资核对规则"
    label_en = "Reconciliation"

    underpaid_tolerance: _Tolerance = _f(
        Decimal("0.05"),
        "少发容差(实发低于应发的比例)",
        "Underpaid tolerance (share of expected)",
        help_zh="实发比应发少于此比例不算少发(如四舍五入)",
        help_en="Paid short by less than this is not reported (rounding and the like)",
        percent=True,
    )
    underpaid_red_below: _Share = _f(
        Decimal("0.50"),
        "实发低于应发此比例为红色",
        "Red when paid below this share of expected",
        help_zh="实发不到应发的此比例为红色预警",
        help_en="Red warning when paid less than this share of what is due",
        percent=True,
    )
    unpaid_red_after_days: int = _f(
        30,
        "欠薪超过发薪日此天数为红色",
        "Unpaid: red after days past pay day",
        unit="天/d",
        ge=0,
        le=365,
        help_zh="发薪日后超过此天数仍未发放为红色预警",
        help_en="Red warning when still unpaid this many days after the pay day",
    )
    unpaid_red_share: _Share = _f(
        Decimal("0.20"),
        "欠薪人数超过此比例为红色",
        "Unpaid: red above this share of workers",
        help_zh="未发工资的人数超过此比例为红色预警",
        help_en="Red warning when more than this share of the workers is unpaid",
        percent=True,
    )
    confirmed_red_below: _Share = _f(
        Decimal("0.50"),
        "实发低于本人确认金额此比例为红色",
        "Red when paid below this share of the confirmed net",
        help_zh="实发不到工人本人确认金额的此比例为红色预警",
        help_en="Red warning when paid less than this share of what the worker confirmed",
        percent=True,
    )
    require_wage_sheet: bool = _f(
        True,
        "发薪日后须有工资支付表(否则黄色预警)",
        "A wage sheet is required after the pay day (else yellow)",
        help_zh="发薪日后工人没有工资支付表时给黄色预警",
        help_en="Yellow warning when a worker has no wage sheet line after the pay day",
    )

    @field_serializer(
        "underpaid_tolerance",
        "underpaid_red_below",
        "unpaid_red_share",
        "confirmed_red_below",
        when_used="json",
    )
    def _number(self, value: Decimal) -> float:
        return float(value)  # at most 4 decimal places: exact enough, and a number in JSON


def _level(default: Severity, zh: str, en: str, help_zh: str, help_en: str) -> Any:
    return _f(
        default, zh, en,
        help_zh=f"{help_zh}。填 red 红、orange 橙、yellow 黄,或 off 不检查",
        help_en=f"{help_en}. Type red, orange, yellow, or off (not checked)",
    )  # fmt: skip


class ChecklistSection(_Section):
    """The per-project checklist (docs/checklist.md); becomes checklist.rules.ChecklistSettings.
    A failing item has its level; a share of the workers on site is red above one threshold
    and orange above the other."""

    key = "checklist"
    label_zh = "检查清单"
    label_en = "Checklist"

    wage_account_level: Severity = _level(
        Severity.RED, "未开设工资专用账户", "No wage account",
        "项目没有录入农民工工资专用账户时的预警级别",
        "Warning level when no wage account is recorded",
    )  # fmt: skip
    tripartite_level: Severity = _level(
        Severity.ORANGE, "未签专户三方协议", "No tripartite agreement",
        "专户未录入三方协议签订日期时的预警级别",
        "Warning level when the account's tripartite agreement is not recorded",
    )  # fmt: skip
    deposit_level: Severity = _level(
        Severity.RED, "未存储工资保证金", "No wage deposit",
        "没有未退还的工资保证金时的预警级别", "Warning level when no wage deposit is lodged",
    )  # fmt: skip
    disbursement_level: Severity = _level(
        Severity.RED, "总包代发问题", "Not paid by the general contractor",
        "有未处理的“未发到本人卡”或“未从专户支付”预警时的级别",
        "Warning level while findings of wages not paid to the worker's card or not from the "
        "wage account are open",
    )  # fmt: skip
    labour_officer_level: Severity = _level(
        Severity.ORANGE, "未配备劳资专管员", "No labour officer",
        "没有在任的劳资专管员时的预警级别", "Warning level when no labour officer is appointed",
    )  # fmt: skip
    notice_board_level: Severity = _level(
        Severity.ORANGE, "维权告示牌不全", "Notice board incomplete",
        "维权信息告示牌缺少必填内容时的预警级别",
        "Warning level when the rights notice board lacks a required line",
    )  # fmt: skip
    platform_account_level: Severity = _level(
        Severity.RED, "未配置实名制平台", "No platform account",
        "没有配置实名制平台账号(无法上传)时的预警级别",
        "Warning level when no real-name platform account is set up (nothing is uploaded)",
    )  # fmt: skip
    platform_uploads_level: Severity = _level(
        Severity.ORANGE, "平台上传被拒", "Platform uploads refused",
        "有上传被平台拒绝、退回或未通过本地检查时的预警级别",
        "Warning level while uploads are refused, rejected or fail the local check",
    )  # fmt: skip
    contract_red_above: _Share = _f(
        Decimal("0.10"), "无劳动合同人数超过此比例为红色", "No contract: red above",
        help_zh="在场工人中未录入劳动合同的比例超过此值为红色",
        help_en="Red when more than this share of the workers on site has no contract",
        percent=True,
    )  # fmt: skip
    contract_orange_above: _Share = _f(
        Decimal("0"), "无劳动合同人数超过此比例为橙色", "No contract: orange above",
        help_zh="超过此比例(0 即有一人)为橙色", help_en="Orange above this share (0: anyone)",
        percent=True,
    )  # fmt: skip
    bank_card_red_above: _Share = _f(
        Decimal("0.10"), "无工资卡人数超过此比例为红色", "No bank card: red above",
        help_zh="在场工人中未登记本人工资卡的比例超过此值为红色",
        help_en="Red when more than this share of the workers on site has no bank card",
        percent=True,
    )  # fmt: skip
    bank_card_orange_above: _Share = _f(
        Decimal("0"), "无工资卡人数超过此比例为橙色", "No bank card: orange above",
        help_zh="超过此比例(0 即有一人)为橙色", help_en="Orange above this share (0: anyone)",
        percent=True,
    )  # fmt: skip
    training_red_above: _Share = _f(
        Decimal("0"), "未安全教育人数超过此比例为红色", "No safety training: red above",
        help_zh="在场工人中未录入安全教育的比例超过此值为红色(0 即有一人)",
        help_en="Red when more than this share of the workers on site is untrained (0: anyone)",
        percent=True,
    )  # fmt: skip
    training_orange_above: _Share = _f(
        Decimal("0"), "未安全教育人数超过此比例为橙色", "No safety training: orange above",
        help_zh="超过此比例(0 即有一人)为橙色", help_en="Orange above this share (0: anyone)",
        percent=True,
    )  # fmt: skip

    @field_serializer(
        "contract_red_above", "contract_orange_above", "bank_card_red_above",
        "bank_card_orange_above", "training_red_above", "training_orange_above",
        when_used="json",
    )  # fmt: skip
    def _number(self, value: Decimal) -> float:
        return float(value)

    def problems(self) -> list[tuple[str, str, str]]:
        return [
            (f"{what}_orange_above", "不能大于红色的比例", "may not exceed the red share")
            for what in ("contract", "bank_card", "training")
            if getattr(self, f"{what}_orange_above") > getattr(self, f"{what}_red_above")
        ]


SECTIONS: tuple[type[_Section], ...] = (
    GatePolicySettings,
    RosterSection,
    ReconciliationSection,
    ChecklistSection,
)
BY_KEY: dict[str, type[_Section]] = {s.key: s for s in SECTIONS}


# --- the PATCH body: per section, every field optional; `null` resets it to its default --------


def _patch_model(section: type[_Section]) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for name, info in section.model_fields.items():
        inner: Any = info.annotation
        if info.metadata:  # the bounds travel with the type, so they apply to non-null values
            inner = operator.getitem(Annotated, (inner, *info.metadata))
        fields[name] = (inner | None, Field(None, title=info.title))
    model: type[BaseModel] = create_model(
        f"{section.__name__}Patch",
        __config__=ConfigDict(extra="forbid"),
        **fields,
    )
    return model


GatePolicyPatch = _patch_model(GatePolicySettings)
RosterPatch = _patch_model(RosterSection)
ReconciliationPatch = _patch_model(ReconciliationSection)
ChecklistPatch = _patch_model(ChecklistSection)


class SettingsPatch(BaseModel):
    """`{"gate_policy": {"face_threshold": 0.45, "anti_passback": null}, "roster": {...}}`:
    absent fields stay, `null` resets a field to its default."""

    model_config = ConfigDict(extra="forbid")

    gate_policy: GatePolicyPatch | None = None  # type: ignore[valid-type]
    roster: RosterPatch | None = None  # type: ignore[valid-type]
    reconciliation: ReconciliationPatch | None = None  # type: ignore[valid-type]
    checklist: ChecklistPatch | None = None  # type: ignore[valid-type]


_ZH = {
    "extra_forbidden": "未知设置项",
    "enum": "须为 {expected} 之一",
    "missing": "缺少此项",
    "greater_than": "须大于 {gt}",
    "greater_than_equal": "须不小于 {ge}",
    "less_than": "须小于 {lt}",
    "less_than_equal": "须不大于 {le}",
    "bool_parsing": "须为 true 或 false",
    "bool_type": "须为 true 或 false",
    "int_parsing": "须为整数",
    "int_type": "须为整数",
    "int_from_float": "须为整数",
    "float_parsing": "须为数字",
    "float_type": "须为数字",
    "decimal_parsing": "须为数字",
    "decimal_type": "须为数字",
    "decimal_max_places": "最多 {decimal_places} 位小数",
    "time_parsing": "须为时刻,如 20:00",
    "time_type": "须为时刻,如 20:00",
    "model_type": "须为一组设置(JSON 对象)",
    "dict_type": "须为一组设置(JSON 对象)",
}


def _message(err: Any) -> tuple[str, str]:
    en = "unknown setting" if err["type"] == "extra_forbidden" else str(err["msg"])
    template = _ZH.get(err["type"], "取值无效")
    try:
        zh = template.format(**err.get("ctx", {}))
    except (KeyError, IndexError):
        zh = "取值无效"
    return zh, en


def field_errors(exc: ValidationError, prefix: str = "") -> ValidationFailedError:
    """A pydantic error as the API's 422, each problem named `section.field`, zh and en."""
    detail = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"])
        if prefix:
            field = f"{prefix}.{field}" if field else prefix
        zh, en = _message(err)
        detail.append({"field": field, "message": en, "message_zh": zh, "type": err["type"]})
    return _failed(detail)


def _failed(detail: list[dict[str, str]]) -> ValidationFailedError:
    names = ", ".join(d["field"] for d in detail[:5])
    return ValidationFailedError(
        f"项目设置有误:{names}", f"invalid project settings: {names}", detail=detail
    )


def parse_patch(raw: Any) -> SettingsPatch:
    """A patch from the CLI or a page, refused as the API would refuse it."""
    try:
        return SettingsPatch.model_validate(raw)
    except ValidationError as exc:
        raise field_errors(exc) from None


# --- reading what is stored ---------------------------------------------------------------------


def stored(project: Project, section: str) -> dict[str, Any]:
    """The section's overrides as stored, known fields only (other keys are kept, not shown)."""
    if section == GatePolicySettings.key:
        raw = project.gate_policy or {}
    else:
        raw = (project.settings or {}).get(section) or {}
    known = BY_KEY[section].model_fields
    values = {k: v for k, v in dict(raw).items() if k in known}
    if section == GatePolicySettings.key:
        # Written directly before this contract: None meant "no age limit", which is 0 here.
        for k in ("max_age_male", "max_age_female"):
            if k in values and values[k] is None:
                values[k] = 0
    return values


def effective(project: Project, section: str) -> tuple[_Section, set[str], set[str]]:
    """(the section's values, overridden fields, stored fields that are invalid and so shown at
    their default). A broken stored value never makes the settings unreadable."""
    model = BY_KEY[section]
    values = stored(project, section)
    invalid: set[str] = set()
    for _ in range(2):
        try:
            return model.model_validate(values), set(values), invalid
        except ValidationError as exc:
            bad = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
            invalid |= bad
            values = {k: v for k, v in values.items() if k not in bad}
    return model(), set(), invalid | set(values)


def wire_gate_policy(project: Project) -> GatePolicy:
    """What the gates receive: the effective gate policy, the zone from the project, 0 ages as
    "no limit". Raises ValidationError when a stored value is invalid (the roster download
    refuses then, rather than open the gate on a default the site never chose)."""
    section = GatePolicySettings.model_validate(stored(project, GatePolicySettings.key))
    values = section.model_dump()
    for k in ("max_age_male", "max_age_female"):
        if values[k] == 0:
            values[k] = None
    return GatePolicy(**values, timezone=project.timezone)


# --- what the API, the CLI and the page show ----------------------------------------------------


class SettingOut(BaseModel):
    key: str = Field(description="section.field, as PATCH and the CLI name it")
    section: str
    name: str
    value: Scalar
    default: Scalar
    overridden: bool
    read_only: bool = False
    invalid_stored: bool = Field(default=False, description="stored value refused: default used")
    label_zh: str
    label_en: str
    unit: str = ""
    bounds: str = Field(default="", description="e.g. 0 < x < 1.5")
    help_zh: str = ""
    help_en: str = ""
    percent: bool = Field(default=False, description="a share 0..1 the page shows as a percent")


class SectionOut(BaseModel):
    key: str
    label_zh: str
    label_en: str
    settings: list[SettingOut]


class ProjectSettingsOut(BaseModel):
    project_id: int
    roster_version: int
    sections: list[SectionOut]


def _bounds(metadata: list[Any]) -> str:
    """The tightest bounds among the field's constraints, as `0 < x ≤ 300`."""
    lows: list[tuple[Any, str]] = []
    highs: list[tuple[Any, str]] = []
    for m in metadata:
        if isinstance(m, at.Ge):
            lows.append((m.ge, "≤"))
        elif isinstance(m, at.Gt):
            lows.append((m.gt, "<"))
        elif isinstance(m, at.Le):
            highs.append((m.le, "≤"))
        elif isinstance(m, at.Lt):
            highs.append((m.lt, "<"))
    low = f"{max(lows)[0]} {max(lows)[1]} " if lows else ""
    high = f" {min(highs)[1]} {min(highs)[0]}" if highs else ""
    return f"{low}x{high}" if low or high else ""


def _label(model: type[_Section], name: str) -> dict[str, Any]:
    extra = model.model_fields[name].json_schema_extra
    assert isinstance(extra, dict)  # noqa: S101 - every field is made by _f
    return {
        "label_zh": str(extra["label_zh"]),
        "label_en": str(extra["label_en"]),
        "unit": str(extra["unit"]),
        "help_zh": str(extra["help_zh"]),
        "help_en": str(extra["help_en"]),
        "percent": bool(extra["percent"]),
    }


def settings_out(project: Project) -> ProjectSettingsOut:
    sections = []
    for model in SECTIONS:
        values, overridden, invalid = effective(project, model.key)
        shown = values.model_dump(mode="json")
        defaults = model().model_dump(mode="json")
        rows = [
            SettingOut(
                key=f"{model.key}.{name}",
                section=model.key,
                name=name,
                value=shown[name],
                default=defaults[name],
                overridden=name in overridden,
                invalid_stored=name in invalid,
                bounds=_bounds(info.metadata),
                **_label(model, name),
            )
            for name, info in model.model_fields.items()
        ]
        rows.extend(_read_only(project, model.key))
        sections.append(
            SectionOut(
                key=model.key, label_zh=model.label_zh, label_en=model.label_en, settings=rows
            )
        )
    return ProjectSettingsOut(
        project_id=project.id, roster_version=project.roster_version, sections=sections
    )


def _read_only(project: Project, section: str) -> list[SettingOut]:
    """Project fields that act as settings; read-only to the settings PATCH: they change with
    the project (PATCH /projects/{id}); the settings page edits the pay day that way."""
    if section == RosterSection.key:
        return [
            SettingOut(
                key="project.timezone", section=section, name="timezone",
                value=project.timezone, default="Asia/Shanghai",
                overridden=project.timezone != "Asia/Shanghai", read_only=True,
                label_zh="项目时区", label_en="Time zone",
                help_zh="项目所在地的时区,建项目时确定;考勤按此时区划分日期",
                help_en="Where the project is; set when the project was created. Days are "
                "counted in this zone",
            )
        ]  # fmt: skip
    if section == ReconciliationSection.key:
        return [
            SettingOut(
                key="project.pay_day", section=section, name="pay_day",
                value=project.pay_day, default=15, overridden=project.pay_day != 15,
                read_only=True, unit="日/day", bounds="1 ≤ x ≤ 28",
                label_zh="发薪日:次月几日", label_en="Pay day (day of the next month)",
                help_zh="每月工资最迟在次月这一天发放;过了这一天未发即为欠薪",
                help_en="Each month's wages are due by this day of the next month; unpaid "
                "after it is unpaid wages",
            )
        ]  # fmt: skip
    return []


# --- applying a patch -------------------------------------------------------------------------


@dataclass(frozen=True)
class Applied:
    """The new stored overrides per changed section, and {section.field: [old, new]}."""

    overrides: dict[str, dict[str, Any]]
    changes: dict[str, list[Scalar]]


def apply_patch(project: Project, patch: SettingsPatch) -> Applied:
    """Merge the patch into the stored overrides and check the result; raises a 422 naming
    `section.field`. Changes nothing on the project: the service writes `overrides`."""
    overrides: dict[str, dict[str, Any]] = {}
    changes: dict[str, list[Scalar]] = {}
    problems: list[dict[str, str]] = []
    for model in SECTIONS:
        part: BaseModel | None = getattr(patch, model.key)
        if part is None or not part.model_fields_set:
            continue
        before, _, _ = effective(project, model.key)
        raw = (
            dict(project.gate_policy or {})
            if model.key == "gate_policy"
            else dict((project.settings or {}).get(model.key) or {})
        )
        sent = part.model_dump(mode="json", include=part.model_fields_set)
        for name, value in sent.items():
            if value is None:
                raw.pop(name, None)
            else:
                raw[name] = value
        try:
            after = model.model_validate({k: v for k, v in raw.items() if k in model.model_fields})
        except ValidationError as exc:
            problems.extend(field_errors(exc, model.key).detail)
            continue
        problems.extend(
            {"field": f"{model.key}.{name}", "message": en, "message_zh": zh, "type": "value_error"}
            for name, zh, en in after.problems()
        )
        # Stored as JSON the readers parse: times "HH:MM", shares as numbers.
        normal = after.model_dump(mode="json")
        for name in sent:
            if name in raw:
                raw[name] = normal[name]
        if raw != (
            project.gate_policy
            if model.key == "gate_policy"
            else (project.settings or {}).get(model.key)
        ):
            overrides[model.key] = raw
        old, new = before.model_dump(mode="json"), normal
        for name in sent:
            if old[name] != new[name] or (name in raw) != (name in stored(project, model.key)):
                changes[f"{model.key}.{name}"] = [old[name], new[name]]
    if problems:
        raise _failed(problems)
    return Applied(overrides, changes)
