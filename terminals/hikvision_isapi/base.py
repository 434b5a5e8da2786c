"""Shared pieces of the ISAPI models: the pydantic base (camelCase wire names as aliases), the two
time types ISAPI uses, and JSON encoding/decoding that turns every failure into IsapiProtocolError.

Times: events and searches carry ISO 8601 with the terminal's offset (`2026-12-03T08:01:02+08:00`);
a naive event time is refused rather than guessed. User validity (`Valid.beginTime`) is local time
without an offset, because `timeType` is "local".
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, NaiveDatetime, PlainSerializer
from pydantic import ValidationError as PydanticValidationError

from terminals.hikvision_isapi.errors import IsapiProtocolError


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds")  # "+08:00", never pydantic's "Z"


IsapiTime = Annotated[AwareDatetime, PlainSerializer(_iso, return_type=str)]
LocalTime = Annotated[NaiveDatetime, PlainSerializer(_iso, return_type=str)]


class IsapiModel(BaseModel):
    """Frozen; Python names snake_case, wire names in aliases; unknown wire keys ignored (firmware
    adds fields), absent optional ones left out when dumping."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


M = TypeVar("M", bound=IsapiModel)


def dumps(payload: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON (Chinese names as UTF-8, not \\u escapes), keys in model order."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def loads(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IsapiProtocolError(
            "isapi.bad_json", f"JSON 无法解析：{exc}", f"JSON does not parse: {exc}"
        ) from exc
    if not isinstance(value, dict):
        raise IsapiProtocolError(
            "isapi.bad_json", "JSON 顶层不是对象", "JSON top level is not an object"
        )
    return value


def validate(model: type[M], data: Any, where: str) -> M:
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or where
        raise IsapiProtocolError(
            "isapi.bad_field",
            f"{where} 字段错误：{loc}（{first['msg']}）",
            f"{where}: bad field {loc} ({first['msg']})",
        ) from exc


def unwrap(body: bytes, root: str, model: type[M]) -> M:
    """`{"<root>": {...}}` -> model, e.g. unwrap(b, "UserInfo", UserInfo)."""
    data = loads(body)
    if root not in data:
        raise IsapiProtocolError(
            "isapi.missing_root", f"JSON 缺少 {root} 节点", f"JSON has no {root} element"
        )
    return validate(model, data[root], root)
