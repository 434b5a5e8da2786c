"""IsapiClient against the emulated terminal: identity, person/card/face sync, errors."""

from __future__ import annotations

import socket

import httpx
import pytest

from terminals.hikvision_isapi import records
from terminals.hikvision_isapi.client import IsapiClient
from terminals.hikvision_isapi.emulator import IsapiTerminalEmulator
from terminals.hikvision_isapi.errors import IsapiError, IsapiOfflineError

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8 + b"\xff\xd9"


class TestDeviceInfo:
    def test_identity(self, emulator: IsapiTerminalEmulator, client: IsapiClient) -> None:
        info = client.device_info()
        assert (info.model, info.serial_number, info.firmware_version) == (
            emulator.model,
            emulator.serial_number,
            emulator.firmware_version,
        )


class TestPersonSync:
    def test_user_card_face_then_search(
        self, emulator: IsapiTerminalEmulator, client: IsapiClient
    ) -> None:
        client.set_user("1001", "张三")
        client.set_card("1001", "3735928559")
        client.set_face("1001", JPEG)
        client.set_user("1002", "李四")
        users = {u.employee_no: u for u in client.search_users()}
        assert set(users) == {"1001", "1002"}
        assert (users["1001"].name, users["1001"].num_of_card, users["1001"].num_of_face) == (
            "张三",
            1,
            1,
        )
        assert (users["1002"].num_of_card, users["1002"].num_of_face) == (0, 0)
        assert emulator.state.faces["1001"] == JPEG
        assert emulator.state.cards == {"3735928559": "1001"}

    def test_set_user_twice_replaces(self, client: IsapiClient) -> None:
        client.set_user("1001", "张三")
        client.set_user("1001", "张三丰")
        assert [u.name for u in client.search_users()] == ["张三丰"]

    def test_delete_removes_card_and_face(
        self, emulator: IsapiTerminalEmulator, client: IsapiClient
    ) -> None:
        client.set_user("1001", "张三")
        client.set_card("1001", "42")
        client.set_face("1001", JPEG)
        client.delete_user("1001")
        assert client.search_users() == []
        assert (emulator.state.cards, emulator.state.faces) == ({}, {})
        refused = emulator.present(card_no="42").acs
        assert refused is not None
        assert refused.minor == 0x09

    def test_delete_face_only(self, emulator: IsapiTerminalEmulator, client: IsapiClient) -> None:
        client.set_user("1001", "张三")
        client.set_face("1001", JPEG)
        client.delete_face("1001")
        assert [u.num_of_face for u in client.search_users()] == [0]

    def test_search_pages_past_the_cap(
        self, emulator: IsapiTerminalEmulator, client: IsapiClient
    ) -> None:
        emulator.max_results_cap = 7
        for i in range(45):
            client.set_user(f"{i:04d}", f"工人{i}")
        found = client.search_users(page_size=30)
        assert [u.employee_no for u in found] == [f"{i:04d}" for i in range(45)]


class TestErrors:
    def test_rejected_face_upload(
        self, emulator: IsapiTerminalEmulator, client: IsapiClient
    ) -> None:
        client.set_user("1001", "张三")
        emulator.reject = lambda op, emp: (
            records.invalid_content("faceDataPictureNotDetected", "no face in picture")
            if op == "face_upload" and emp == "1001"
            else None
        )
        with pytest.raises(IsapiError) as err:
            client.set_face("1001", JPEG)
        e = err.value
        assert (e.http_status, e.status_code, e.sub_status_code) == (
            400,
            6,
            "faceDataPictureNotDetected",
        )
        assert e.error_msg == "no face in picture"
        assert "no face in picture" in e.message_en
        assert "终端拒绝请求" in e.message_zh
        assert "1001" not in emulator.state.faces

    def test_rejected_user_setup(
        self, emulator: IsapiTerminalEmulator, client: IsapiClient
    ) -> None:
        emulator.reject = lambda op, emp: (
            records.invalid_operation("userExceedLimit") if op == "user_setup" else None
        )
        with pytest.raises(IsapiError) as err:
            client.set_user("1001", "张三")
        assert (err.value.status_code, err.value.sub_status_code) == (4, "userExceedLimit")
        assert emulator.state.users == {}

    def test_card_for_unknown_person(self, client: IsapiClient) -> None:
        with pytest.raises(IsapiError) as err:
            client.set_card("9999", "1")
        assert err.value.sub_status_code == "employeeNoNotExist"

    def test_card_of_another_person(self, client: IsapiClient) -> None:
        client.set_user("1", "a")
        client.set_user("2", "b")
        client.set_card("1", "77")
        with pytest.raises(IsapiError, match="cardNoAlreadyExist"):
            client.set_card("2", "77")

    def test_face_that_is_not_a_jpeg(self, client: IsapiClient) -> None:
        client.set_user("1", "a")
        with pytest.raises(IsapiError) as err:
            client.set_face("1", b"GIF89a")
        assert err.value.status_code == 6

    def test_oversize_upload_refused(
        self, emulator: IsapiTerminalEmulator, client: IsapiClient
    ) -> None:
        client.set_user("1", "a")
        emulator.max_body_bytes = 1024
        with pytest.raises(IsapiError) as err:
            client.set_face("1", JPEG)
        assert (err.value.http_status, err.value.status_code) == (413, 6)
        assert emulator.state.faces == {}

    def test_bad_json_answers_invalid_content(self, emulator: IsapiTerminalEmulator) -> None:
        auth = httpx.DigestAuth(emulator.username, emulator.password)
        with httpx.Client(base_url=emulator.base_url, auth=auth) as raw:
            answer = raw.put(records.PATH_USER_SETUP, content=b'{"UserInfo": {')
            unknown = raw.get("/ISAPI/AccessControl/Nothing")
        status = records.parse_response_status(answer.content)
        assert (answer.status_code, status.status_code, status.sub_status_code) == (
            400,
            6,
            "badJsonFormat",
        )
        assert unknown.status_code == 404
        assert records.parse_response_status(unknown.content).status_code == 4

    def test_offline_terminal(self) -> None:
        with socket.socket() as s:  # a port nobody listens on
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        with (
            IsapiClient(f"http://127.0.0.1:{port}", "admin", "x", timeout=2) as c,
            pytest.raises(IsapiOfflineError) as err,
        ):
            c.device_info()
        assert "终端无法连接" in err.value.message_zh
        assert "ConnectError" in err.value.message_en


class TestHttpHost:
    def test_set_http_host(self, emulator: IsapiTerminalEmulator, client: IsapiClient) -> None:
        client.set_http_host("http://127.0.0.1:9/isapi/events")
        assert emulator.http_host is not None
        assert emulator.http_host.target == "http://127.0.0.1:9/isapi/events"
        assert emulator.http_host.parameter_format == "JSON"
