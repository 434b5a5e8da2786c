"""The pure ISAPI protocol layer in one import, for the server-side adapter and the tests.

No I/O here or in the modules it gathers: `events` (pushed events, multipart), `codes` (event
codes and their outcome), `records` (person/card/face sync, ResponseStatus), `search` (AcsEvent and
UserInfo paging), `device_xml` (deviceInfo, httpHosts), `multipart`. Sources for each format are
in those modules' docstrings.
"""

from __future__ import annotations

from terminals.hikvision_isapi.codes import (
    MAJOR_EVENT,
    MAJOR_OPERATION,
    MINOR_REMOTE_OPEN_DOOR,
    EventMinor,
    Outcome,
    VerifyMode,
    classify,
    verify_mode,
)
from terminals.hikvision_isapi.device_xml import (
    DeviceInfo,
    HttpHost,
    build_device_info,
    build_http_host,
    build_xml_status,
    http_host_for,
    parse_device_info,
    parse_http_host,
    parse_xml_status,
)
from terminals.hikvision_isapi.errors import IsapiProtocolError
from terminals.hikvision_isapi.events import (
    EVENT_TYPE_ACS,
    EVENT_TYPE_HEARTBEAT,
    AccessControllerEvent,
    AcsEventPush,
    build_event_multipart,
    event_json,
    parse_event_json,
    parse_event_multipart,
)
from terminals.hikvision_isapi.multipart import DEFAULT_MAX_BODY_BYTES
from terminals.hikvision_isapi.records import (
    OK_STATUS,
    CardInfo,
    FaceDataRecord,
    ResponseStatus,
    RightPlan,
    UserInfo,
    Valid,
    build_card_setup,
    build_face_delete,
    build_face_multipart,
    build_response_status,
    build_user_delete,
    build_user_setup,
    invalid_content,
    invalid_operation,
    parse_card_setup,
    parse_face_delete,
    parse_face_multipart,
    parse_response_status,
    parse_user_delete,
    parse_user_setup,
    user_info,
)
from terminals.hikvision_isapi.search import (
    AcsEventCond,
    AcsEventInfo,
    AcsEventResult,
    UserInfoSearchCond,
    UserInfoSearchResult,
    build_acs_event_cond,
    build_acs_event_result,
    build_user_search_cond,
    build_user_search_result,
    parse_acs_event_cond,
    parse_acs_event_result,
    parse_user_search_cond,
    parse_user_search_result,
)

__all__ = [
    "DEFAULT_MAX_BODY_BYTES", "EVENT_TYPE_ACS", "EVENT_TYPE_HEARTBEAT", "MAJOR_EVENT",
    "MAJOR_OPERATION", "MINOR_REMOTE_OPEN_DOOR", "OK_STATUS", "AccessControllerEvent",
    "AcsEventCond", "AcsEventInfo", "AcsEventPush", "AcsEventResult", "CardInfo", "DeviceInfo",
    "EventMinor", "FaceDataRecord", "HttpHost", "IsapiProtocolError", "Outcome", "ResponseStatus",
    "RightPlan", "UserInfo", "UserInfoSearchCond", "UserInfoSearchResult", "Valid", "VerifyMode",
    "build_acs_event_cond", "build_acs_event_result", "build_card_setup", "build_device_info",
    "build_event_multipart", "build_face_delete", "build_face_multipart", "build_http_host",
    "build_response_status", "build_user_delete", "build_user_search_cond",
    "build_user_search_result", "build_user_setup", "build_xml_status", "classify", "event_json",
    "http_host_for", "invalid_content", "invalid_operation", "parse_acs_event_cond",
    "parse_acs_event_result", "parse_card_setup", "parse_device_info", "parse_event_json",
    "parse_event_multipart", "parse_face_delete", "parse_face_multipart", "parse_http_host",
    "parse_response_status", "parse_user_delete", "parse_user_search_cond",
    "parse_user_search_result", "parse_user_setup", "parse_xml_status", "user_info",
    "verify_mode",
]  # fmt: skip
