"""Golden request/answer bodies for person sync, searches, XML calls and event codes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from terminals.hikvision_isapi import protocol as p
from terminals.hikvision_isapi.errors import IsapiProtocolError

CST = timezone(timedelta(hours=8))
JAN_1 = datetime(2026, 1, 1)  # noqa: DTZ001 - ISAPI validity is naive local time
DEC_31 = datetime(2026, 12, 31, 23, 59, 59)  # noqa: DTZ001 - likewise


class TestUserSync:
    def test_user_setup_golden(self) -> None:
        user = p.user_info("1001", "张三", begin=JAN_1, end=DEC_31)
        body = p.build_user_setup(user)
        assert (
            body
            == (
                '{"UserInfo":{"employeeNo":"1001","name":"张三","userType":"normal",'
                '"Valid":{"enable":true,"beginTime":"2026-01-01T00:00:00",'
                '"endTime":"2026-12-31T23:59:59","timeType":"local"},"doorRight":"1",'
                '"RightPlan":[{"doorNo":1,"planTemplateNo":"1"}]}}'
            ).encode()
        )
        assert p.parse_user_setup(body) == user

    def test_user_delete_golden(self) -> None:
        body = p.build_user_delete(["1001", "1002"])
        assert (
            body == b'{"UserInfoDelCond":{"EmployeeNoList":'
            b'[{"employeeNo":"1001"},{"employeeNo":"1002"}]}}'
        )
        assert p.parse_user_delete(body) == ["1001", "1002"]

    def test_card_setup_golden(self) -> None:
        body = p.build_card_setup(p.CardInfo(employee_no="1001", card_no="3735928559"))
        assert (
            body
            == b'{"CardInfo":{"employeeNo":"1001","cardNo":"3735928559","cardType":"normalCard"}}'
        )

    def test_face_multipart_golden(self) -> None:
        ctype, body = p.build_face_multipart(p.FaceDataRecord(fpid="1001"), b"\xff\xd8J", "B")
        meta = b'{"faceLibType":"blackFD","FDID":"1","FPID":"1001"}'
        assert ctype == "multipart/form-data; boundary=B"
        assert body == (
            b'--B\r\nContent-Disposition: form-data; name="FaceDataRecord"\r\n'
            b"Content-Type: application/json\r\nContent-Length: 50\r\n\r\n" + meta + b"\r\n"
            b'--B\r\nContent-Disposition: form-data; name="img"; filename="face.jpg"\r\n'
            b"Content-Type: image/jpeg\r\nContent-Length: 3\r\n\r\n\xff\xd8J\r\n--B--\r\n"
        )
        record, jpeg = p.parse_face_multipart(ctype, body)
        assert (record.fpid, record.fdid, record.face_lib_type, jpeg) == (
            "1001",
            "1",
            "blackFD",
            b"\xff\xd8J",
        )

    def test_face_upload_without_image_refused(self) -> None:
        ctype, body = p.build_face_multipart(p.FaceDataRecord(fpid="1"), b"x", "B")
        with pytest.raises(IsapiProtocolError, match="JPEG part"):
            p.parse_face_multipart(ctype, body.replace(b"image/jpeg", b"text/plain"))

    def test_face_delete_golden(self) -> None:
        body = p.build_face_delete(["1001"])
        assert body == b'{"FPID":[{"value":"1001"}]}'
        assert p.parse_face_delete(body) == ["1001"]

    @pytest.mark.parametrize(
        "body",
        [b'{"UserInfoDelCond":{}}', b'{"UserInfoDelCond":{"EmployeeNoList":[{"employeeNo":7}]}}'],
    )
    def test_bad_delete_cond(self, body: bytes) -> None:
        with pytest.raises(IsapiProtocolError, match="EmployeeNoList"):
            p.parse_user_delete(body)

    def test_missing_root_and_missing_field(self) -> None:
        with pytest.raises(IsapiProtocolError, match="no UserInfo element"):
            p.parse_user_setup(b'{"User":{}}')
        with pytest.raises(IsapiProtocolError, match="employeeNo") as err:
            p.parse_user_setup(b'{"UserInfo":{"name":"x"}}')
        assert err.value.code == "isapi.bad_field"


class TestResponseStatus:
    def test_ok_golden(self) -> None:
        assert (
            p.build_response_status(p.OK_STATUS)
            == b'{"statusCode":1,"statusString":"OK","subStatusCode":"ok"}'
        )

    def test_error_forms(self) -> None:
        wrapped = b'{"ResponseStatus":{"requestURL":"/ISAPI/x","statusCode":6,"statusString":"Invalid Content","subStatusCode":"employeeNoAlreadyExist","errorCode":1610637344,"errorMsg":"employeeNo"}}'  # noqa: E501
        status = p.parse_response_status(wrapped)
        assert not status.ok
        assert (status.status_code, status.sub_status_code, status.error_code) == (
            6,
            "employeeNoAlreadyExist",
            1610637344,
        )
        bare = p.parse_response_status(p.build_response_status(p.invalid_operation("notSupport")))
        assert (bare.status_code, bare.status_string, bare.sub_status_code) == (
            4,
            "Invalid Operation",
            "notSupport",
        )

    def test_xml_status(self) -> None:
        xml = p.build_xml_status(p.invalid_content("badXmlContent"))
        status = p.parse_xml_status(xml)
        assert (status.status_code, status.sub_status_code) == (6, "badXmlContent")


class TestAcsEventSearch:
    def test_cond_golden(self) -> None:
        cond = p.AcsEventCond(
            search_id="s1", position=30, max_results=30, major=5, minor=0,
            start_time=datetime(2026, 12, 3, tzinfo=CST),
            end_time=datetime(2026, 12, 3, 23, 59, 59, tzinfo=CST), begin_serial_no=100,
        )  # fmt: skip
        body = p.build_acs_event_cond(cond)
        assert body == (
            b'{"AcsEventCond":{"searchID":"s1","searchResultPosition":30,"maxResults":30,'
            b'"major":5,"minor":0,"startTime":"2026-12-03T00:00:00+08:00",'
            b'"endTime":"2026-12-03T23:59:59+08:00","beginSerialNo":100}}'
        )
        assert p.parse_acs_event_cond(body) == cond

    def test_result_parse(self) -> None:
        body = (
            b'{"AcsEvent":{"searchID":"s1","responseStatusStrg":"MORE","numOfMatches":1,'
            b'"totalMatches":2,"InfoList":[{"major":5,"minor":76,"time":"2026-12-03T08:01:02+08:00",'
            b'"cardNo":"","name":"","employeeNoString":"","serialNo":9,"currentVerifyMode":"face",'
            b'"pictureURL":"http://10.0.0.9/pic?x","unknownField":1}]}}'
        )
        result = p.parse_acs_event_result(body)
        assert (result.status, result.num_of_matches, result.total_matches) == ("MORE", 1, 2)
        info = result.info_list[0]
        assert (info.minor, info.serial_no, info.outcome) == (76, 9, p.Outcome.REFUSED)
        assert p.parse_acs_event_result(p.build_acs_event_result(result)) == result

    def test_no_match_has_no_info_list(self) -> None:
        body = b'{"AcsEvent":{"searchID":"s","responseStatusStrg":"NO MATCH","numOfMatches":0,"totalMatches":0}}'  # noqa: E501
        assert p.parse_acs_event_result(body).info_list == ()

    def test_user_search_round_trip(self) -> None:
        cond = p.UserInfoSearchCond(search_id="u", position=0, max_results=30)
        assert (
            p.build_user_search_cond(cond)
            == b'{"UserInfoSearchCond":{"searchID":"u","searchResultPosition":0,"maxResults":30}}'
        )
        body = b'{"UserInfoSearch":{"searchID":"u","responseStatusStrg":"OK","numOfMatches":1,"totalMatches":1,"UserInfo":[{"employeeNo":"7","name":"Li","userType":"normal","numOfCard":1,"numOfFace":0}]}}'  # noqa: E501
        user = p.parse_user_search_result(body).users[0]
        assert (user.employee_no, user.num_of_card, user.num_of_face) == ("7", 1, 0)


class TestXml:
    def test_device_info_parse_with_old_namespace(self) -> None:
        xml = (
            b'<?xml version="1.0" encoding="UTF-8"?><DeviceInfo version="2.0" '
            b'xmlns="http://www.hikvision.com/ver20/XMLSchema"><deviceName>Access Controller'
            b"</deviceName><model>DS-K1T341AM</model><serialNumber>DS-K1T341AM20210101AAWR1</serialNumber>"
            b"<firmwareVersion>V3.2.30</firmwareVersion><deviceType>ACS</deviceType></DeviceInfo>"
        )
        info = p.parse_device_info(xml)
        assert (info.model, info.serial_number, info.firmware_version) == (
            "DS-K1T341AM",
            "DS-K1T341AM20210101AAWR1",
            "V3.2.30",
        )

    def test_device_info_missing_serial(self) -> None:
        with pytest.raises(IsapiProtocolError, match="serialNumber"):
            p.parse_device_info(b"<DeviceInfo><model>x</model></DeviceInfo>")
        with pytest.raises(IsapiProtocolError, match="does not parse"):
            p.parse_device_info(b"<DeviceInfo>")

    def test_http_host_golden(self) -> None:
        host = p.http_host_for("http://10.0.0.5:8080/isapi/events")
        assert p.build_http_host(host) == (
            b'<?xml version="1.0" encoding="UTF-8"?>\n<HttpHostNotification version="2.0" '
            b'xmlns="http://www.isapi.org/ver20/XMLSchema"><id>1</id><url>/isapi/events</url>'
            b"<protocolType>HTTP</protocolType><parameterFormatType>JSON</parameterFormatType>"
            b"<addressingFormatType>ipaddress</addressingFormatType><ipAddress>10.0.0.5</ipAddress>"
            b"<portNo>8080</portNo><httpAuthenticationMethod>none</httpAuthenticationMethod>"
            b"</HttpHostNotification>\n"
        )
        assert p.parse_http_host(p.build_http_host(host)) == host
        assert host.target == "http://10.0.0.5:8080/isapi/events"

    def test_http_host_refuses_https(self) -> None:
        with pytest.raises(IsapiProtocolError, match="http://host:port/path"):
            p.http_host_for("https://x/y")


class TestCodes:
    @pytest.mark.parametrize(
        ("major", "minor", "outcome"),
        [(5, 0x01, "pass"), (5, 0x4B, "pass"), (5, 0x4D, "pass"), (5, 0x3C, "pass"),
         (5, 0x4C, "refused"), (5, 0x09, "refused"), (5, 0x06, "refused"), (5, 0x50, "refused"),
         (5, 0x15, "other"), (5, 0x16, "other"), (5, 0x999, "other"), (3, 0x400, "other"),
         (2, 0x01, "other")],
    )  # fmt: skip
    def test_classify(self, major: int, minor: int, outcome: str) -> None:
        assert p.classify(major, minor).value == outcome

    def test_values_and_labels(self) -> None:
        assert (p.EventMinor.FACE_VERIFY_PASS, p.EventMinor.FACE_VERIFY_FAIL) == (75, 76)
        assert p.EventMinor.FACE_VERIFY_PASS.label_zh == "人脸认证通过"
        assert p.EventMinor.INVALID_CARD.label_zh == "无此卡号"
        assert p.EventMinor.PEOPLE_AND_ID_CARD_COMPARE_FAIL == 0x70
        assert all(m.label_zh for m in p.EventMinor)

    def test_verify_modes(self) -> None:
        assert p.verify_mode("cardOrFace") is p.VerifyMode.CARD_OR_FACE
        assert p.verify_mode("faceOrfaceAndCard") is p.VerifyMode.FACE_OR_FACE_AND_CARD
        assert p.verify_mode("someNewMode") is None
