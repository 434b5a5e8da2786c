"""A Hikvision access-control face terminal (DS-K1T... series) on loopback, speaking ISAPI.

Software is pointed at it exactly like a terminal on site: `IsapiClient(emu.base_url, emu.username,
emu.password)`, Digest-authenticated, and it pushes events to the listening host set through
`httpHosts`, as multipart with an `event_log` JSON part.

Emulated (all under real Digest auth: MD5, qop=auth, expiring nonces, the hash verified):
`GET /ISAPI/System/deviceInfo`; `PUT .../UserInfo/SetUp`, `POST .../UserInfo/Record`,
`PUT .../UserInfo/Delete` (cards and face deleted with the person), `POST .../UserInfo/Search`;
`PUT .../CardInfo/SetUp`; `POST /ISAPI/Intelligent/FDLib/FaceDataRecord` (the JPEG kept) and
`PUT .../FDSearch/Delete`; `POST /ISAPI/AccessControl/AcsEvent` (paged, capped like a terminal);
`GET`/`PUT /ISAPI/Event/notification/httpHosts[/1]`. Errors answer a JSON ResponseStatus: HTTP
400 with statusCode 6 for bad JSON ("badJsonFormat") or a bad field ("badJsonContent") and for
refusals ("employeeNoNotExist", "cardNoAlreadyExist"); 404 with 4 "notSupport" for an unknown
path; 413 for a body over `max_body_bytes`, refused before it is read. `heartbeat()` pushes a
`heartBeat` event.
`present(...)` is a person at the reader: the terminal decides locally (see device.py), logs the
event with the next serial number and pushes it.

Fault knobs (attributes, change them at any time): `offline` (nothing is pushed; events only
accumulate in the log, the backlog a server must pull), `drop_push(serial) -> bool` (that serial
is never pushed: a gap), `duplicate_push(serial) -> bool` (pushed twice), `clock_skew` (the
terminal's clock is off by this much; event times carry it), `reject(operation, employee_no) ->
ResponseStatus | None` (answer that error to "user_setup" / "card_setup" / "face_upload"),
`max_results_cap` (searches return at most this many per page, 30 by default).

Not emulated: the alertStream long-poll, event pictures by URL (`pictureURL`), re-sending a push
that failed (firmware differs; the pull is the back-fill path), XML variants of the JSON calls,
fingerprints, door rights/plans/validity checks, remote door control, account lock-out, HTTPS,
keep-alive (each answer closes the connection, HTTP/1.0 style). Pushes are made synchronously
inside `present()`, so tests need no waiting.

Sources: ../shared/design/PROTOCOLS.md section 5.2; Hikvision's HCNetSDK constant tables (as in
the SDK's Java/C# demo headers) for event codes; the request bodies and answers used by many
public integrations of DS-K1T terminals (UserInfo/SetUp and Delete, CardInfo, FaceDataRecord
multipart, FDSearch/Delete with an FPID value list, HttpHostNotification XML, receivers parsing
the `event_log` part, a field report of the `Picture` part header). Each protocol module's
docstring says which details are unsure.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

import httpx

from terminals.hikvision_isapi import device_xml, events, records, search
from terminals.hikvision_isapi.device import DeviceState
from terminals.hikvision_isapi.device_xml import DeviceInfo, HttpHost
from terminals.hikvision_isapi.digest import DigestResult, DigestVerifier
from terminals.hikvision_isapi.errors import IsapiProtocolError
from terminals.hikvision_isapi.events import AcsEventPush
from terminals.hikvision_isapi.multipart import DEFAULT_MAX_BODY_BYTES
from terminals.hikvision_isapi.records import ResponseStatus

log = logging.getLogger(__name__)

Rejecter = Callable[[str, str], ResponseStatus | None]
SerialPredicate = Callable[[int], bool]


class IsapiTerminalEmulator:
    def __init__(
        self,
        *,
        username: str = "admin",
        password: str = "Sitegate12345",  # noqa: S107 - an emulator's default
        model: str = "DS-K1T671M",
        serial_number: str = "DS-K1T671M20260101V030200ENQ00000001",
        firmware_version: str = "V3.2.30 build 220304",
        nonce_ttl_s: float = 300.0,
        max_results_cap: int = 30,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        self.username = username
        self.password = password
        self.model = model
        self.serial_number = serial_number
        self.firmware_version = firmware_version
        self.max_body_bytes = max_body_bytes
        self.digest = DigestVerifier(model, username, password, nonce_ttl_s=nonce_ttl_s)
        self.state = DeviceState(device_name=model, max_results_cap=max_results_cap)
        self.http_host: HttpHost | None = None
        self.offline = False
        self.drop_push: SerialPredicate | None = None
        self.duplicate_push: SerialPredicate | None = None
        self.clock_skew = timedelta(0)
        self.reject: Rejecter | None = None
        self.pushed: list[
            tuple[int, int | str]
        ] = []  # (serial or 0 for heartbeats, HTTP status or error)
        self._pusher: httpx.Client | None = None
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def max_results_cap(self) -> int:
        """Most results a search page returns, whatever maxResults asks (settable)."""
        return self.state.max_results_cap

    @max_results_cap.setter
    def max_results_cap(self, value: int) -> None:
        self.state.max_results_cap = value

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("emulator not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> Self:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = False
        server.block_on_close = True  # close() joins every request thread
        self._server = server
        self.state.port_no = int(server.server_address[1])
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name="isapi-emulator"
        )  # a short poll so close() returns at once
        self._thread.start()
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._pusher is not None:
            self._pusher.close()
            self._pusher = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- the person at the reader --------------------------------------------------------------

    def now(self) -> datetime:
        """The terminal's clock: true time plus `clock_skew`."""
        return datetime.now(self.state.tz) + self.clock_skew

    def present(
        self,
        employee_no: str | None = None,
        card_no: str | None = None,
        face: bool = True,
        at: datetime | None = None,
        *,
        door_no: int = 1,
        picture: bytes | None = None,
    ) -> AcsEventPush:
        """Someone shows a face (or a card) at `at` (true time; the log gets it plus the skew).
        Returns the logged event, after pushing it unless offline."""
        if card_no is None and not face:
            raise ValueError("present() needs a face or a card")
        when = (at if at is not None else datetime.now(self.state.tz)) + self.clock_skew
        minor, user, mode = self.state.decide(employee_no, card_no, face)
        event = self.state.append_event(
            minor,
            when,
            user=user,
            card_no=card_no,
            verify_mode=mode,
            door_no=door_no,
            pictures=1 if picture is not None else 0,
        )
        if picture is not None:
            event = event.model_copy(update={"picture": picture})
        self._push(event)
        return event

    def heartbeat(self) -> None:
        """Push a `heartBeat` event, as terminals do every `heartbeat` seconds (not logged)."""
        beat = AcsEventPush(
            ip_address=self.state.ip_address, port_no=self.state.port_no, protocol="HTTP",
            mac_address=self.state.mac_address, channel_id=1, date_time=self.now().replace(
                microsecond=0), active_post_count=1, event_type=events.EVENT_TYPE_HEARTBEAT,
            event_state="active", event_description="heartBeat",
        )  # fmt: skip
        self._post(0, beat, 1)

    @property
    def events(self) -> list[AcsEventPush]:
        with self.state.lock:
            return list(self.state.events)

    def _push(self, event: AcsEventPush) -> None:
        serial = event.acs.serial_no if event.acs is not None else None
        if serial is None:
            return
        if self.drop_push is not None and self.drop_push(serial):
            return
        times = 2 if self.duplicate_push is not None and self.duplicate_push(serial) else 1
        self._post(serial, event, times)

    def _post(self, serial: int, event: AcsEventPush, times: int) -> None:
        if self.offline or self.http_host is None:
            return
        if self._pusher is None:
            self._pusher = httpx.Client(timeout=5.0)
        for _ in range(times):
            boundary = "MIME_boundary_" + secrets.token_hex(8)
            ctype, body = events.build_event_multipart(event, event.picture, boundary)
            try:
                answer = self._pusher.post(
                    self.http_host.target, content=body, headers={"Content-Type": ctype}
                )
                self.pushed.append((serial, answer.status_code))
            except httpx.HTTPError as exc:  # the listening host is down: the event stays logged
                self.pushed.append((serial, repr(exc)))
                log.info("isapi emulator push failed serial=%s error=%r", serial, exc)

    # -- request handling (called from server threads) -----------------------------------------

    def handle(self, method: str, target: str, ctype: str, body: bytes) -> tuple[int, str, bytes]:
        path = urlsplit(target).path
        try:
            return self._route(method, path, ctype, body)
        except IsapiProtocolError as exc:
            sub = "badJsonFormat" if exc.code == "isapi.bad_json" else "badJsonContent"
            return _json(records.invalid_content(sub, exc.message_en))

    def _route(self, method: str, path: str, ctype: str, body: bytes) -> tuple[int, str, bytes]:
        st = self.state
        if (method, path) == ("GET", device_xml.PATH_DEVICE_INFO):
            info = DeviceInfo(
                device_name=st.device_name, model=self.model, serial_number=self.serial_number,
                firmware_version=self.firmware_version, mac_address=st.mac_address,
                device_type="ACS",
            )  # fmt: skip
            return 200, "application/xml", device_xml.build_device_info(info)
        if path in (device_xml.PATH_HTTP_HOSTS, device_xml.PATH_HTTP_HOSTS + "/1"):
            if method == "PUT":
                self.http_host = device_xml.parse_http_host(body)
                return 200, "application/xml", device_xml.build_xml_status(records.OK_STATUS)
            if method == "GET" and self.http_host is not None:
                return 200, "application/xml", device_xml.build_http_host(self.http_host)
        if method == "PUT" and path == "/ISAPI/AccessControl/UserInfo/SetUp":
            user = records.parse_user_setup(body)
            return _json(self._rejected("user_setup", user.employee_no) or st.set_user(user))
        if method == "POST" and path == "/ISAPI/AccessControl/UserInfo/Record":
            user = records.parse_user_setup(body)
            rejected = self._rejected("user_setup", user.employee_no)
            return _json(rejected or st.set_user(user, add_only=True))
        if method == "PUT" and path == "/ISAPI/AccessControl/UserInfo/Delete":
            return _json(st.delete_users(records.parse_user_delete(body)))
        if method == "POST" and path == "/ISAPI/AccessControl/UserInfo/Search":
            users = st.search_users(search.parse_user_search_cond(body))
            return 200, "application/json", search.build_user_search_result(users)
        if method == "PUT" and path == "/ISAPI/AccessControl/CardInfo/SetUp":
            card = records.parse_card_setup(body)
            return _json(self._rejected("card_setup", card.employee_no) or st.set_card(card))
        if method == "POST" and path == "/ISAPI/Intelligent/FDLib/FaceDataRecord":
            record, jpeg = records.parse_face_multipart(ctype, body, max_bytes=self.max_body_bytes)
            rejected = self._rejected("face_upload", record.fpid)
            return _json(rejected or st.set_face(record, jpeg))
        if method == "PUT" and path == "/ISAPI/Intelligent/FDLib/FDSearch/Delete":
            return _json(st.delete_faces(records.parse_face_delete(body)))
        if method == "POST" and path == "/ISAPI/AccessControl/AcsEvent":
            found = st.search_events(search.parse_acs_event_cond(body))
            return 200, "application/json", search.build_acs_event_result(found)
        return _json(records.invalid_operation("notSupport"), http=404)

    def _rejected(self, operation: str, employee_no: str) -> ResponseStatus | None:
        return self.reject(operation, employee_no) if self.reject is not None else None


def _json(status: ResponseStatus, *, http: int | None = None) -> tuple[int, str, bytes]:
    code = http if http is not None else (200 if status.ok else 400)
    return code, "application/json", records.build_response_status(status)


def _handler_for(emulator: IsapiTerminalEmulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "App-webs/"  # what Hikvision firmware's web server calls itself
        sys_version = ""

        def log_message(self, format: str, *args: object) -> None:
            log.debug("isapi emulator %s", format % args)

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > emulator.max_body_bytes:
                too_big = records.invalid_content("badJsonContent", "body too large")  # [unsure]
                self._send(413, "application/json", records.build_response_status(too_big))
                return
            body = self.rfile.read(length) if length else b""
            verdict = emulator.digest.verify(
                self.command, self.path, self.headers.get("Authorization")
            )
            if verdict is not DigestResult.OK:
                challenge = emulator.digest.challenge(stale=verdict is DigestResult.STALE)
                self._send(401, "text/plain", b"Unauthorized", challenge)
                return
            status, ctype, payload = emulator.handle(
                self.command, self.path, self.headers.get("Content-Type", ""), body
            )
            self._send(status, ctype, payload)

        def _send(self, status: int, ctype: str, payload: bytes, challenge: str = "") -> None:
            self.send_response(status, HTTPStatus(status).phrase)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            if challenge:
                self.send_header("WWW-Authenticate", challenge)
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(payload)

        do_GET = do_PUT = do_POST = do_DELETE = _serve

    return Handler
