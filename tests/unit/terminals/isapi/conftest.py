"""ISAPI terminal tests: the leak check, a started emulator, a client on it, and a test-only
listening host that parses pushes with parse_event_multipart (as the server adapter will)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from terminals.hikvision_isapi.client import IsapiClient
from terminals.hikvision_isapi.emulator import IsapiTerminalEmulator
from terminals.hikvision_isapi.errors import IsapiProtocolError
from terminals.hikvision_isapi.events import AcsEventPush, parse_event_multipart
from tests.support.drivers import _no_leaks

__all__ = ["_no_leaks"]


@dataclass
class Receiver:
    url: str
    events: list[AcsEventPush] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def serials(self) -> list[int]:
        with self.lock:
            return [e.acs.serial_no for e in self.events if e.acs and e.acs.serial_no is not None]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    box: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                event = parse_event_multipart(self.headers.get("Content-Type", ""), body)
            except IsapiProtocolError as exc:
                with box[0].lock:
                    box[0].errors.append(exc.message_en)
                self.send_response(400)
            else:
                with box[0].lock:
                    box[0].events.append(event)
                self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = False
    box.append(Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/isapi/events"))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="test-receiver")
    thread.start()
    try:
        yield box[0]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def emulator() -> Iterator[IsapiTerminalEmulator]:
    with IsapiTerminalEmulator() as emu:
        yield emu


@pytest.fixture
def client(emulator: IsapiTerminalEmulator) -> Iterator[IsapiClient]:
    with IsapiClient(emulator.base_url, emulator.username, emulator.password, timeout=5) as c:
        yield c
