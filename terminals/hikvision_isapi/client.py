"""A synchronous ISAPI client for Hikvision access-control terminals, over httpx with Digest.

What a gate server needs from a terminal: who it is (`device_info`), the persons it should know
(`set_user`, `set_card`, `set_face`, `delete_user`, `search_users`), its event log for back-fill
(`iter_events`) and where to push live events (`set_http_host`). Every failure is one of:
`IsapiAuthError` (401 after the Digest exchange), `IsapiOfflineError` (no connection, timeout),
`IsapiError` (the terminal answered an error ResponseStatus; its statusCode/subStatusCode kept),
or `IsapiProtocolError` (the answer is not ISAPI).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from datetime import datetime
from types import TracebackType
from typing import Self

import httpx

from terminals.hikvision_isapi import device_xml, records, search
from terminals.hikvision_isapi.codes import MAJOR_EVENT, MINOR_ALL
from terminals.hikvision_isapi.device_xml import DeviceInfo
from terminals.hikvision_isapi.errors import (
    IsapiAuthError,
    IsapiError,
    IsapiOfflineError,
    IsapiProtocolError,
)
from terminals.hikvision_isapi.records import CardInfo, FaceDataRecord, ResponseStatus, UserInfo
from terminals.hikvision_isapi.search import AcsEventCond, AcsEventInfo, UserInfoSearchCond

JSON = "application/json"
# Far enough for a site's life; terminals want both ends of a validity period.
DEFAULT_VALID_FROM = datetime(2020, 1, 1)  # noqa: DTZ001 - ISAPI validity is local time
DEFAULT_VALID_TO = datetime(2037, 12, 31, 23, 59, 59)  # noqa: DTZ001 - likewise


class IsapiClient:
    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url,
            auth=httpx.DigestAuth(username, password),
            timeout=timeout,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- transport -----------------------------------------------------------------------------

    def _send(
        self, method: str, path: str, body: bytes | None, ctype: str | None
    ) -> httpx.Response:
        headers = {"Content-Type": ctype} if ctype else {}
        try:
            response = self._http.request(method, path, content=body, headers=headers)
        except httpx.TransportError as exc:  # connect, read, timeouts, resets
            raise IsapiOfflineError(
                f"终端无法连接：{self.base_url}（{type(exc).__name__}）",
                f"terminal unreachable: {self.base_url} ({type(exc).__name__})",
            ) from exc
        if response.status_code == 401:
            raise IsapiAuthError(
                "终端拒绝了用户名或密码（Digest 认证失败）",
                "the terminal refused the user name or password (Digest auth failed)",
                http_status=401,
            )
        return response

    def _status_call(self, method: str, path: str, body: bytes, ctype: str = JSON) -> None:
        """A call that answers only a ResponseStatus; raises IsapiError unless statusCode 1."""
        response = self._send(method, path, body, ctype)
        xml = "xml" in response.headers.get("Content-Type", "")
        try:
            status = (
                device_xml.parse_xml_status(response.content)
                if xml
                else records.parse_response_status(response.content)
            )
        except IsapiProtocolError:
            if response.is_success:
                raise
            raise _http_error(response) from None
        if not status.ok:
            raise _status_error(status, response.status_code)

    def _json_call(self, path: str, body: bytes) -> bytes:
        """A POST answering a JSON document on success and a ResponseStatus on failure."""
        response = self._send("POST", path, body, JSON)
        if not response.is_success:
            try:
                status = records.parse_response_status(response.content)
            except IsapiProtocolError:
                raise _http_error(response) from None
            raise _status_error(status, response.status_code)
        return response.content

    # -- API -----------------------------------------------------------------------------------

    def device_info(self) -> DeviceInfo:
        response = self._send("GET", device_xml.PATH_DEVICE_INFO, None, None)
        if not response.is_success:
            raise _http_error(response)
        return device_xml.parse_device_info(response.content)

    def set_user(
        self,
        employee_no: str,
        name: str,
        *,
        valid_from: datetime = DEFAULT_VALID_FROM,
        valid_to: datetime = DEFAULT_VALID_TO,
        door_no: int = 1,
    ) -> None:
        """Add or replace a person (UserInfo/SetUp). Validity times are the terminal's local
        time, naive."""
        user = records.user_info(employee_no, name, begin=valid_from, end=valid_to, door_no=door_no)
        self._status_call("PUT", records.PATH_USER_SETUP, records.build_user_setup(user))

    def set_card(self, employee_no: str, card_no: str, *, card_type: str = "normalCard") -> None:
        card = CardInfo(employee_no=employee_no, card_no=card_no, card_type=card_type)
        self._status_call("PUT", records.PATH_CARD_SETUP, records.build_card_setup(card))

    def set_face(self, employee_no: str, jpeg: bytes) -> None:
        """Enroll (or replace) the person's face photo; the terminal extracts the model itself
        and refuses a photo it finds no face in."""
        boundary = "----sitegate" + secrets.token_hex(12)
        ctype, body = records.build_face_multipart(FaceDataRecord(fpid=employee_no), jpeg, boundary)
        self._status_call("POST", records.PATH_FACE_RECORD, body, ctype)

    def delete_face(self, employee_no: str) -> None:
        body = records.build_face_delete([employee_no])
        self._status_call("PUT", records.PATH_FACE_DELETE, body)

    def delete_user(self, employee_no: str) -> None:
        """Remove a person; the terminal deletes their cards and face with them."""
        body = records.build_user_delete([employee_no])
        self._status_call("PUT", records.PATH_USER_DELETE, body)

    def search_users(self, *, page_size: int = 30) -> list[UserInfo]:
        """Every person on the terminal, with `num_of_card`/`num_of_face` as it reports them."""
        found: list[UserInfo] = []
        search_id = uuid.uuid4().hex
        while True:
            cond = UserInfoSearchCond(
                search_id=search_id, position=len(found), max_results=page_size
            )
            body = self._json_call(records.PATH_USER_SEARCH, search.build_user_search_cond(cond))
            page = search.parse_user_search_result(body)
            found.extend(page.users)
            if page.status != search.STATUS_MORE or page.num_of_matches == 0:
                return found

    def iter_events(
        self,
        start: datetime,
        end: datetime,
        *,
        page_size: int = 30,
        begin_serial: int | None = None,
        major: int = MAJOR_EVENT,
        minor: int = MINOR_ALL,
    ) -> Iterator[AcsEventInfo]:
        """The terminal's access events with `start <= time <= end` (aware datetimes), oldest
        first, paged by what the terminal actually returns (it may cap `page_size`).
        `begin_serial` narrows to serials >= it (newer firmware only)."""
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("iter_events 需要带时区的时间 / iter_events needs aware datetimes")
        search_id = uuid.uuid4().hex
        position = 0
        while True:
            cond = AcsEventCond(
                search_id=search_id, position=position, max_results=page_size, major=major,
                minor=minor, start_time=start, end_time=end, begin_serial_no=begin_serial,
            )  # fmt: skip
            body = self._json_call(search.PATH_ACS_EVENT, search.build_acs_event_cond(cond))
            page = search.parse_acs_event_result(body)
            yield from page.info_list
            position += page.num_of_matches
            if page.status != search.STATUS_MORE or page.num_of_matches == 0:
                return

    def set_http_host(self, url: str, *, host_id: int = 1) -> None:
        """Make the terminal push events (JSON) to `url`, e.g. http://10.0.0.5:8080/isapi/events."""
        host = device_xml.http_host_for(url, host_id)
        self._status_call(
            "PUT",
            f"{device_xml.PATH_HTTP_HOSTS}/{host_id}",
            device_xml.build_http_host(host),
            "application/xml",
        )


def _status_error(status: ResponseStatus, http_status: int) -> IsapiError:
    detail = status.error_msg or status.sub_status_code
    return IsapiError(
        f"终端拒绝请求：{status.status_string}（{detail}）",
        f"the terminal refused the request: {status.status_string} ({detail})",
        http_status=http_status,
        status_code=status.status_code,
        status_string=status.status_string,
        sub_status_code=status.sub_status_code,
        error_code=status.error_code,
        error_msg=status.error_msg,
    )


def _http_error(response: httpx.Response) -> IsapiError:
    return IsapiError(
        f"终端返回 HTTP {response.status_code}",
        f"the terminal answered HTTP {response.status_code}",
        http_status=response.status_code,
    )
