"""Paged searches: the access event log (AcsEvent) and the person list (UserInfo/Search), pure.

`POST /ISAPI/AccessControl/AcsEvent?format=json` with `{"AcsEventCond": {"searchID",
"searchResultPosition", "maxResults", "major", "minor", "startTime", "endTime", ...}}` answers
`{"AcsEvent": {"searchID", "responseStatusStrg": "OK"|"MORE"|"NO MATCH", "numOfMatches",
"totalMatches", "InfoList": [...]}}`. Terminals cap `maxResults` (commonly 30, some 10/20) and
say so only by returning fewer: page by `searchResultPosition += numOfMatches` while the status is
"MORE", never by the page size asked for. `major` is required by some firmware (0 = all), and
`beginSerialNo`/`endSerialNo` (serial range) and `timeReverseOrder` exist on newer firmware only
[not on every model]. `UserInfo/Search` pages the same way with `UserInfoSearchCond` /
`UserInfoSearch`.
"""

from __future__ import annotations

from pydantic import Field

from terminals.hikvision_isapi.base import IsapiModel, IsapiTime, dumps, unwrap
from terminals.hikvision_isapi.codes import Outcome, classify
from terminals.hikvision_isapi.records import UserInfo

PATH_ACS_EVENT = "/ISAPI/AccessControl/AcsEvent?format=json"
STATUS_MORE = "MORE"
STATUS_OK = "OK"
STATUS_NO_MATCH = "NO MATCH"


class AcsEventCond(IsapiModel):
    search_id: str = Field(alias="searchID", min_length=1)
    position: int = Field(alias="searchResultPosition", ge=0)
    max_results: int = Field(alias="maxResults", ge=1)
    major: int = 0
    minor: int = 0
    start_time: IsapiTime = Field(alias="startTime")
    end_time: IsapiTime = Field(alias="endTime")
    begin_serial_no: int | None = Field(None, alias="beginSerialNo")
    end_serial_no: int | None = Field(None, alias="endSerialNo")
    time_reverse_order: bool | None = Field(None, alias="timeReverseOrder")


class AcsEventInfo(IsapiModel):
    major: int
    minor: int
    time: IsapiTime
    card_no: str | None = Field(None, alias="cardNo")
    card_type: int | None = Field(None, alias="cardType")
    name: str | None = None
    card_reader_no: int | None = Field(None, alias="cardReaderNo")
    door_no: int | None = Field(None, alias="doorNo")
    employee_no: str | None = Field(None, alias="employeeNoString")
    serial_no: int | None = Field(None, alias="serialNo")
    user_type: str | None = Field(None, alias="userType")
    current_verify_mode: str | None = Field(None, alias="currentVerifyMode")
    attendance_status: str | None = Field(None, alias="attendanceStatus")
    mask: str | None = None
    picture_url: str | None = Field(None, alias="pictureURL")

    @property
    def outcome(self) -> Outcome:
        return classify(self.major, self.minor)


class AcsEventResult(IsapiModel):
    search_id: str = Field(alias="searchID")
    status: str = Field(alias="responseStatusStrg")
    num_of_matches: int = Field(alias="numOfMatches", ge=0)
    total_matches: int = Field(alias="totalMatches", ge=0)
    info_list: tuple[AcsEventInfo, ...] = Field((), alias="InfoList")


class UserInfoSearchCond(IsapiModel):
    search_id: str = Field(alias="searchID", min_length=1)
    position: int = Field(alias="searchResultPosition", ge=0)
    max_results: int = Field(alias="maxResults", ge=1)


class UserInfoSearchResult(IsapiModel):
    search_id: str = Field(alias="searchID")
    status: str = Field(alias="responseStatusStrg")
    num_of_matches: int = Field(alias="numOfMatches", ge=0)
    total_matches: int = Field(alias="totalMatches", ge=0)
    users: tuple[UserInfo, ...] = Field((), alias="UserInfo")


def build_acs_event_cond(cond: AcsEventCond) -> bytes:
    return dumps({"AcsEventCond": cond.wire()})


def parse_acs_event_cond(body: bytes) -> AcsEventCond:
    return unwrap(body, "AcsEventCond", AcsEventCond)


def build_acs_event_result(result: AcsEventResult) -> bytes:
    return dumps({"AcsEvent": result.wire()})


def parse_acs_event_result(body: bytes) -> AcsEventResult:
    return unwrap(body, "AcsEvent", AcsEventResult)


def build_user_search_cond(cond: UserInfoSearchCond) -> bytes:
    return dumps({"UserInfoSearchCond": cond.wire()})


def parse_user_search_cond(body: bytes) -> UserInfoSearchCond:
    return unwrap(body, "UserInfoSearchCond", UserInfoSearchCond)


def build_user_search_result(result: UserInfoSearchResult) -> bytes:
    return dumps({"UserInfoSearch": result.wire()})


def parse_user_search_result(body: bytes) -> UserInfoSearchResult:
    return unwrap(body, "UserInfoSearch", UserInfoSearchResult)
