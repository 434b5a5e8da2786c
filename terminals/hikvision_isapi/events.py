"""The event a terminal pushes to its HTTP listening host ("alarm host" mode), pure.

Wire form (HTTP listening, `parameterFormatType` JSON): `POST <url>` with
`Content-Type: multipart/form-data; boundary=...`, a part named `event_log` holding the event JSON
and, when the terminal uploads captures (`picturesNumber` >= 1), a part `Picture`
(`filename="Picture.jpg"`, image/jpeg). The part name `event_log` is what independent receivers
of DS-K1T terminals parse; the long-poll alertStream uses `AccessControllerEvent` for the JSON
part, and some firmware posts bare `application/json` with no multipart at all: the parser takes
all three. Heartbeats (`eventType: "heartBeat"`, no `AccessControllerEvent`) arrive the same way.

JSON keys are those of Hikvision's AccessControllerEvent schema: top level `ipAddress`, `portNo`,
`protocol`, `macAddress`, `channelID`, `dateTime`, `activePostCount`, `eventType`, `eventState`,
`eventDescription`; inner `deviceName`, `majorEventType`, `subEventType`, `name`, `cardNo`,
`cardType`, `cardReaderKind`, `cardReaderNo`, `doorNo`, `verifyNo`, `employeeNoString`,
`serialNo`, `frontSerialNo` (the previous event's serial: newer firmware sends it so a receiver
can see a gap without waiting for the next event), `userType`, `currentVerifyMode`,
`attendanceStatus`, `mask`, `pictureURL`, `picturesNumber`. Which optional keys appear varies by
firmware; unknown ones are ignored.
"""

from __future__ import annotations

from pydantic import Field

from terminals.hikvision_isapi import multipart
from terminals.hikvision_isapi.base import IsapiModel, IsapiTime, dumps, loads, validate
from terminals.hikvision_isapi.codes import Outcome, classify
from terminals.hikvision_isapi.errors import IsapiProtocolError
from terminals.hikvision_isapi.multipart import DEFAULT_MAX_BODY_BYTES, Part

EVENT_TYPE_ACS = "AccessControllerEvent"
EVENT_TYPE_HEARTBEAT = "heartBeat"
JSON_PART_NAMES = ("event_log", "AccessControllerEvent")
PICTURE_PART_NAME = "Picture"


class AccessControllerEvent(IsapiModel):
    device_name: str | None = Field(None, alias="deviceName")
    major: int = Field(alias="majorEventType")
    minor: int = Field(alias="subEventType")
    name: str | None = None
    card_no: str | None = Field(None, alias="cardNo")
    card_type: int | None = Field(None, alias="cardType")
    card_reader_kind: int | None = Field(None, alias="cardReaderKind")
    card_reader_no: int | None = Field(None, alias="cardReaderNo")
    door_no: int | None = Field(None, alias="doorNo")
    verify_no: int | None = Field(None, alias="verifyNo")
    employee_no: str | None = Field(None, alias="employeeNoString")
    serial_no: int | None = Field(None, alias="serialNo")
    front_serial_no: int | None = Field(None, alias="frontSerialNo")
    user_type: str | None = Field(None, alias="userType")
    current_verify_mode: str | None = Field(None, alias="currentVerifyMode")
    attendance_status: str | None = Field(None, alias="attendanceStatus")
    mask: str | None = None
    picture_url: str | None = Field(None, alias="pictureURL")
    pictures_number: int | None = Field(None, alias="picturesNumber")

    @property
    def outcome(self) -> Outcome:
        return classify(self.major, self.minor)


class AcsEventPush(IsapiModel):
    ip_address: str | None = Field(None, alias="ipAddress")
    port_no: int | None = Field(None, alias="portNo")
    protocol: str | None = None
    mac_address: str | None = Field(None, alias="macAddress")
    channel_id: int | None = Field(None, alias="channelID")
    date_time: IsapiTime = Field(alias="dateTime")
    active_post_count: int | None = Field(None, alias="activePostCount")
    event_type: str = Field(alias="eventType")
    event_state: str | None = Field(None, alias="eventState")
    event_description: str | None = Field(None, alias="eventDescription")
    acs: AccessControllerEvent | None = Field(None, alias="AccessControllerEvent")
    # The capture JPEG travels in its own part, never in the JSON.
    picture: bytes | None = Field(None, exclude=True, repr=False)

    @property
    def is_heartbeat(self) -> bool:
        return self.event_type == EVENT_TYPE_HEARTBEAT or self.acs is None


def event_json(event: AcsEventPush) -> bytes:
    return dumps(event.wire())


def build_event_multipart(
    event: AcsEventPush, picture: bytes | None, boundary: str
) -> tuple[str, bytes]:
    """(Content-Type, body) exactly as the terminal posts it to the listening host."""
    parts = [Part("event_log", "application/json", event_json(event))]
    if picture is not None:
        parts.append(Part(PICTURE_PART_NAME, "image/jpeg", picture, filename="Picture.jpg"))
    return multipart.build_multipart(parts, boundary)


def parse_event_json(body: bytes) -> AcsEventPush:
    return validate(AcsEventPush, loads(body), "event_log")


def parse_event_multipart(
    content_type: str, body: bytes, *, max_bytes: int = DEFAULT_MAX_BODY_BYTES
) -> AcsEventPush:
    """A pushed event (or heartbeat) from the request's Content-Type and body. The size cap is
    checked first; then multipart or bare JSON; the picture, if any, is in `.picture`."""
    multipart.check_size(body, max_bytes)
    if content_type.split(";", 1)[0].strip().lower() == "application/json":
        return parse_event_json(body)
    parts = multipart.parse_multipart(content_type, body, max_bytes=max_bytes)
    json_part = next((p for p in parts if p.name in JSON_PART_NAMES), None)
    if json_part is None:  # unnamed JSON part: some firmware omits Content-Disposition
        json_part = next(
            (p for p in parts if (p.content_type or "").startswith("application/json")), None
        )
    if json_part is None:
        raise IsapiProtocolError(
            "isapi.no_event_part",
            "multipart 中没有 event_log 事件分段",
            "no event_log part in the multipart body",
        )
    event = parse_event_json(json_part.data)
    images = (p for p in parts if p is not json_part and (p.content_type or "").startswith("image"))
    picture = next((p.data for p in images), None)
    return event.model_copy(update={"picture": picture}) if picture is not None else event
