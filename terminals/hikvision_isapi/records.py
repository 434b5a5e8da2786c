"""Person sync requests and the ResponseStatus answer, pure builders and parsers.

Paths (all with `?format=json`, Digest auth):
- `PUT  /ISAPI/AccessControl/UserInfo/SetUp` `{"UserInfo": {...}}`: add or replace a person.
  Firmware before ~2020 lacks SetUp and has only `POST .../UserInfo/Record` (add; answers
  `employeeNoAlreadyExist` for a known one) and `PUT .../UserInfo/Modify`.
- `PUT  /ISAPI/AccessControl/UserInfo/Delete` `{"UserInfoDelCond": {"EmployeeNoList":
  [{"employeeNo": ...}]}}`; terminals drop the person's cards and face with it.
- `PUT  /ISAPI/AccessControl/CardInfo/SetUp` `{"CardInfo": {"employeeNo", "cardNo",
  "cardType": "normalCard"}}` (older: `POST .../CardInfo/Record`).
- `POST /ISAPI/Intelligent/FDLib/FaceDataRecord` multipart: JSON part `FaceDataRecord`
  `{"faceLibType": "blackFD", "FDID": "1", "FPID": <employeeNo>}` and the JPEG part. Sources
  disagree on the JPEG part's name (`img`, `FaceImage`, `face_image`); `img` is the commonest,
  so we send it and accept any image part when parsing. "blackFD" is, despite the name, the
  terminal's ordinary list of enrolled faces.
- `PUT  /ISAPI/Intelligent/FDLib/FDSearch/Delete?FDID=1&faceLibType=blackFD`
  `{"FPID": [{"value": <employeeNo>}]}`.

Every call answers a `ResponseStatus`: `{"statusCode": 1, "statusString": "OK", "subStatusCode":
"ok"}` on success; errors come with HTTP 400/403 and e.g. statusCode 4 "Invalid Operation" or 6
"Invalid Content" plus `subStatusCode` ("badJsonFormat", "badJsonContent",
"employeeNoAlreadyExist", "employeeNoNotExist", "cardNoAlreadyExist", "MessageParametersLack")
and, on newer firmware, a numeric `errorCode` and `errorMsg`.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from terminals.hikvision_isapi import multipart
from terminals.hikvision_isapi.base import IsapiModel, LocalTime, dumps, loads, unwrap, validate
from terminals.hikvision_isapi.errors import IsapiProtocolError
from terminals.hikvision_isapi.multipart import DEFAULT_MAX_BODY_BYTES, Part

PATH_USER_SETUP = "/ISAPI/AccessControl/UserInfo/SetUp?format=json"
PATH_USER_RECORD = "/ISAPI/AccessControl/UserInfo/Record?format=json"
PATH_USER_DELETE = "/ISAPI/AccessControl/UserInfo/Delete?format=json"
PATH_USER_SEARCH = "/ISAPI/AccessControl/UserInfo/Search?format=json"
PATH_CARD_SETUP = "/ISAPI/AccessControl/CardInfo/SetUp?format=json"
PATH_FACE_RECORD = "/ISAPI/Intelligent/FDLib/FaceDataRecord?format=json"
FACE_LIB_TYPE = "blackFD"
FDID = "1"
PATH_FACE_DELETE = (
    f"/ISAPI/Intelligent/FDLib/FDSearch/Delete?format=json&FDID={FDID}&faceLibType={FACE_LIB_TYPE}"
)
FACE_IMAGE_PART = "img"

STATUS_OK = 1
STATUS_INVALID_OPERATION = 4
STATUS_INVALID_CONTENT = 6


class Valid(IsapiModel):
    enable: bool = True
    begin_time: LocalTime = Field(alias="beginTime")
    end_time: LocalTime = Field(alias="endTime")
    time_type: str = Field("local", alias="timeType")


class RightPlan(IsapiModel):
    door_no: int = Field(1, alias="doorNo")
    plan_template_no: str = Field("1", alias="planTemplateNo")


class UserInfo(IsapiModel):
    employee_no: str = Field(alias="employeeNo", min_length=1, max_length=32)
    name: str | None = None
    user_type: str = Field("normal", alias="userType")
    valid: Valid | None = Field(None, alias="Valid")
    door_right: str | None = Field("1", alias="doorRight")
    right_plan: tuple[RightPlan, ...] | None = Field((RightPlan(),), alias="RightPlan")
    # Only in search answers: what the terminal holds for the person.
    num_of_card: int | None = Field(None, alias="numOfCard")
    num_of_face: int | None = Field(None, alias="numOfFace")


class CardInfo(IsapiModel):
    employee_no: str = Field(alias="employeeNo", min_length=1, max_length=32)
    card_no: str = Field(alias="cardNo", min_length=1, max_length=32)
    card_type: str = Field("normalCard", alias="cardType")


class FaceDataRecord(IsapiModel):
    face_lib_type: str = Field(FACE_LIB_TYPE, alias="faceLibType")
    fdid: str = Field(FDID, alias="FDID")
    fpid: str = Field(alias="FPID", min_length=1)


class ResponseStatus(IsapiModel):
    request_url: str | None = Field(None, alias="requestURL")
    status_code: int = Field(alias="statusCode")
    status_string: str = Field(alias="statusString")
    sub_status_code: str = Field(alias="subStatusCode")
    error_code: int | None = Field(None, alias="errorCode")
    error_msg: str | None = Field(None, alias="errorMsg")

    @property
    def ok(self) -> bool:
        return self.status_code == STATUS_OK


OK_STATUS = ResponseStatus(status_code=STATUS_OK, status_string="OK", sub_status_code="ok")


def invalid_content(sub_status: str, error_msg: str | None = None) -> ResponseStatus:
    return ResponseStatus(
        status_code=STATUS_INVALID_CONTENT,
        status_string="Invalid Content",
        sub_status_code=sub_status,
        error_msg=error_msg,
    )


def invalid_operation(sub_status: str, error_msg: str | None = None) -> ResponseStatus:
    return ResponseStatus(
        status_code=STATUS_INVALID_OPERATION,
        status_string="Invalid Operation",
        sub_status_code=sub_status,
        error_msg=error_msg,
    )


def user_info(
    employee_no: str,
    name: str,
    *,
    begin: datetime,
    end: datetime,
    door_no: int = 1,
    enable: bool = True,
) -> UserInfo:
    return UserInfo(
        employee_no=employee_no,
        name=name,
        valid=Valid(enable=enable, begin_time=begin, end_time=end),
        door_right=str(door_no),
        right_plan=(RightPlan(door_no=door_no),),
    )


def build_user_setup(user: UserInfo) -> bytes:
    return dumps({"UserInfo": user.wire()})


def parse_user_setup(body: bytes) -> UserInfo:
    return unwrap(body, "UserInfo", UserInfo)


def build_user_delete(employee_nos: list[str]) -> bytes:
    return dumps({"UserInfoDelCond": {"EmployeeNoList": [{"employeeNo": e} for e in employee_nos]}})


def parse_user_delete(body: bytes) -> list[str]:
    cond = loads(body).get("UserInfoDelCond")
    items = cond.get("EmployeeNoList") if isinstance(cond, dict) else None
    if not isinstance(items, list) or not all(
        isinstance(i, dict) and isinstance(i.get("employeeNo"), str) for i in items
    ):
        raise IsapiProtocolError(
            "isapi.bad_field",
            "UserInfoDelCond.EmployeeNoList 缺失或格式错误",
            "UserInfoDelCond.EmployeeNoList missing or malformed",
        )
    return [str(i["employeeNo"]) for i in items]


def build_card_setup(card: CardInfo) -> bytes:
    return dumps({"CardInfo": card.wire()})


def parse_card_setup(body: bytes) -> CardInfo:
    return unwrap(body, "CardInfo", CardInfo)


def build_face_multipart(record: FaceDataRecord, jpeg: bytes, boundary: str) -> tuple[str, bytes]:
    return multipart.build_multipart(
        [
            Part("FaceDataRecord", "application/json", dumps(record.wire())),
            Part(FACE_IMAGE_PART, "image/jpeg", jpeg, filename="face.jpg"),
        ],
        boundary,
    )


def parse_face_multipart(
    content_type: str, body: bytes, *, max_bytes: int = DEFAULT_MAX_BODY_BYTES
) -> tuple[FaceDataRecord, bytes]:
    parts = multipart.parse_multipart(content_type, body, max_bytes=max_bytes)
    meta = next((p for p in parts if p.name == "FaceDataRecord"), None)
    image = next(
        (p for p in parts if p is not meta and (p.content_type or "").startswith("image/")), None
    )
    if meta is None or image is None:
        raise IsapiProtocolError(
            "isapi.bad_face_upload",
            "人脸上传需要 FaceDataRecord 分段和一张 JPEG 图片",
            "a face upload needs a FaceDataRecord part and a JPEG part",
        )
    return validate(FaceDataRecord, loads(meta.data), "FaceDataRecord"), image.data


def build_face_delete(employee_nos: list[str]) -> bytes:
    return dumps({"FPID": [{"value": e} for e in employee_nos]})


def parse_face_delete(body: bytes) -> list[str]:
    items = loads(body).get("FPID")
    if not isinstance(items, list) or not all(
        isinstance(i, dict) and isinstance(i.get("value"), str) for i in items
    ):
        raise IsapiProtocolError(
            "isapi.bad_field", "FPID 列表缺失或格式错误", "FPID list missing or malformed"
        )
    return [str(i["value"]) for i in items]


def build_response_status(status: ResponseStatus) -> bytes:
    return dumps(status.wire())


def parse_response_status(body: bytes) -> ResponseStatus:
    """A JSON ResponseStatus, bare or wrapped in `{"ResponseStatus": ...}` (both are seen)."""
    data = loads(body)
    inner = data.get("ResponseStatus", data)
    return validate(ResponseStatus, inner, "ResponseStatus")
