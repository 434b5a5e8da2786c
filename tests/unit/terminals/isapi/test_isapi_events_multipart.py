"""Event push: golden multipart bytes, parsing of every accepted form, clear errors otherwise."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from terminals.hikvision_isapi.codes import Outcome
from terminals.hikvision_isapi.errors import IsapiProtocolError
from terminals.hikvision_isapi.events import (
    AccessControllerEvent,
    AcsEventPush,
    build_event_multipart,
    parse_event_multipart,
)

CST = timezone(timedelta(hours=8))
EVENT_JSON = (
    '{"ipAddress":"192.168.1.64","portNo":80,"protocol":"HTTP","macAddress":"44:47:cc:00:00:01",'
    '"channelID":1,"dateTime":"2026-12-03T08:01:02+08:00","activePostCount":1,'
    '"eventType":"AccessControllerEvent","eventState":"active",'
    '"eventDescription":"Access Controller Event","AccessControllerEvent":{"deviceName":"Gate A",'
    '"majorEventType":5,"subEventType":75,"name":"张三","cardReaderNo":1,"doorNo":1,"verifyNo":0,'
    '"employeeNoString":"1001","serialNo":42,"frontSerialNo":41,"userType":"normal",'
    '"currentVerifyMode":"cardOrFace","attendanceStatus":"checkIn","mask":"no","picturesNumber":1}}'
).encode()
JPEG = b"\xff\xd8\xff\xe0fake-jpeg\xff\xd9"


def _event() -> AcsEventPush:
    return AcsEventPush(
        ip_address="192.168.1.64", port_no=80, protocol="HTTP", mac_address="44:47:cc:00:00:01",
        channel_id=1, date_time=datetime(2026, 12, 3, 8, 1, 2, tzinfo=CST), active_post_count=1,
        event_type="AccessControllerEvent", event_state="active",
        event_description="Access Controller Event",
        acs=AccessControllerEvent(
            device_name="Gate A", major=5, minor=75, name="张三", card_reader_no=1, door_no=1,
            verify_no=0, employee_no="1001", serial_no=42, front_serial_no=41, user_type="normal",
            current_verify_mode="cardOrFace", attendance_status="checkIn", mask="no",
            pictures_number=1,
        ),
    )  # fmt: skip


def _golden(boundary: str = "MIME_boundary") -> bytes:
    return (
        b"--MIME_boundary\r\n"
        b'Content-Disposition: form-data; name="event_log"\r\n'
        b"Content-Type: application/json\r\n"
        + f"Content-Length: {len(EVENT_JSON)}\r\n\r\n".encode()
        + EVENT_JSON
        + b"\r\n--MIME_boundary\r\n"
        b'Content-Disposition: form-data; name="Picture"; filename="Picture.jpg"\r\n'
        b"Content-Type: image/jpeg\r\n"
        b"Content-Length: 15\r\n\r\n" + JPEG + b"\r\n--MIME_boundary--\r\n"
    ).replace(b"MIME_boundary", boundary.encode())


class TestBuildEventMultipart:
    def test_golden_bytes(self) -> None:
        ctype, body = build_event_multipart(_event(), JPEG, "MIME_boundary")
        assert ctype == "multipart/form-data; boundary=MIME_boundary"
        assert body == _golden()

    def test_without_picture_has_one_part(self) -> None:
        _, body = build_event_multipart(_event(), None, "b0")
        assert body.count(b"--b0\r\n") == 1
        assert body.endswith(b"}\r\n--b0--\r\n")


class TestParseEventMultipart:
    def test_golden_round_trip(self) -> None:
        event = parse_event_multipart("multipart/form-data; boundary=MIME_boundary", _golden())
        assert event.picture == JPEG
        assert event.model_copy(update={"picture": None}) == _event()
        assert event.acs is not None
        assert (event.acs.employee_no, event.acs.minor, event.acs.serial_no) == ("1001", 75, 42)
        assert event.acs.outcome is Outcome.PASS
        assert event.date_time.utcoffset() == timedelta(hours=8)
        assert not event.is_heartbeat

    def test_alert_stream_part_name_and_quoted_boundary(self) -> None:
        body = _golden("xyz").replace(b'name="event_log"', b'name="AccessControllerEvent";')
        event = parse_event_multipart('multipart/mixed; boundary="xyz"', b"\r\n" + body)
        assert event.acs is not None
        assert event.acs.serial_no == 42

    def test_bare_json_body(self) -> None:
        event = parse_event_multipart("application/json; charset=UTF-8", EVENT_JSON)
        assert event.picture is None
        assert event.acs is not None
        assert event.acs.name == "张三"

    def test_heartbeat(self) -> None:
        beat = b'{"ipAddress":"10.0.0.9","dateTime":"2026-12-03T08:00:00+08:00","eventType":"heartBeat","eventState":"active"}'  # noqa: E501
        event = parse_event_multipart("application/json", beat)
        assert event.is_heartbeat
        assert event.acs is None

    def test_unknown_keys_are_ignored(self) -> None:
        body = EVENT_JSON.replace(b'"mask":"no"', b'"mask":"no","currTemperature":36.5')
        event = parse_event_multipart("application/json", body)
        assert event.acs is not None
        assert event.acs.mask == "no"

    def test_oversize_refused_before_parsing(self) -> None:
        # Not even multipart: a parser that looked first would complain about the boundary.
        with pytest.raises(IsapiProtocolError) as err:
            parse_event_multipart("text/garbage", b"x" * 1025, max_bytes=1024)
        assert err.value.code == "isapi.body_too_large"
        assert "1025" in err.value.message_zh
        assert "limit 1024" in err.value.message_en

    def test_default_cap_is_2_mib(self) -> None:
        body = _golden().replace(JPEG, b"\xff\xd8" + b"\0" * (2 * 1024 * 1024))
        with pytest.raises(IsapiProtocolError, match="too large"):
            parse_event_multipart("multipart/form-data; boundary=MIME_boundary", body)

    @pytest.mark.parametrize(
        ("ctype", "body", "code", "fragment"),
        [
            ("multipart/form-data", _golden(), "isapi.not_multipart", "boundary"),
            ("multipart/form-data; boundary=other", _golden(), "isapi.bad_multipart", "not found"),
            ("multipart/form-data; boundary=MIME_boundary", _golden()[:-22], "isapi.bad_multipart",
             "closing"),
            ("multipart/form-data; boundary=MIME_boundary",
             _golden().replace(b"json\r\nContent", b"json\r\nbroken header\r\nContent"),
             "isapi.bad_multipart", "header line"),
            ("multipart/form-data; boundary=MIME_boundary",
             _golden().replace(b'name="event_log"', b'name="other"').replace(
                 b"application/json", b"text/plain"), "isapi.no_event_part", "event_log"),
            ("multipart/form-data; boundary=MIME_boundary",
             _golden().replace(b'"serialNo":42', b'"serialNo":42,'), "isapi.bad_json", "parse"),
            ("application/json", b"[1, 2]", "isapi.bad_json", "not an object"),
            ("application/json", EVENT_JSON.replace(b'"subEventType":75', b'"subEventType":"x"'),
             "isapi.bad_field", "subEventType"),
            ("application/json", EVENT_JSON.replace(b"+08:00", b""), "isapi.bad_field",
             "dateTime"),
        ],
        ids=["no-boundary", "wrong-boundary", "truncated", "bad-header", "no-event-part",
             "bad-json", "json-array", "bad-minor", "naive-time"],
    )  # fmt: skip
    def test_malformed_input_has_clear_errors(
        self, ctype: str, body: bytes, code: str, fragment: str
    ) -> None:
        with pytest.raises(IsapiProtocolError) as err:
            parse_event_multipart(ctype, body)
        assert err.value.code == code
        assert fragment in err.value.message_en
        assert err.value.message_zh
