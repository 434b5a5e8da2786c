"""A test-only PUSH server on loopback: the server side of the protocol, written with the codec.

`IclockApp.handle(method, path, params, body) -> (status, text)` is the whole server logic as a
plain function over the request (the shape a real adapter's router would call); `IclockTestServer`
serves it with the standard library's ThreadingHTTPServer on 127.0.0.1, port 0. It keeps what it
received in memory, de-duplicating ATTLOG by (SN, raw line) and counting the duplicates it saw.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self
from urllib.parse import parse_qsl, urlsplit

from terminals.zkteco_push import protocol as zk


def wall(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    """Device-local wall time. The PUSH protocol carries no zone, so these are naive on purpose."""
    return datetime(year, month, day, hour, minute, second)  # noqa: DTZ001


SN = "ZKTEST0001"
NOW = wall(2026, 3, 2, 7, 30, 0)  # the terminals' fixed clock
# Enough of a JPEG for the terminal's header check (SOI, APP0, ..., EOI).
JPEG_A = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00face-a\xff\xd9"
JPEG_B = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00face-b-longer\xff\xd9"


@dataclass
class AttlogPost:
    sn: str
    stamp: str | None
    lines: int
    new: int


@dataclass
class IclockApp:
    """The server logic. Every attribute is what a test looks at or turns."""

    timezone: int = 8
    delay: int = 10
    refuse_uploads: int = 0  # answer the next N table posts with an error text
    force_attlog_stamp: str | None = None  # e.g. "0": ask terminals to upload everything again
    fail_devicecmd: int = 0  # answer the next N result posts with HTTP 500, storing nothing
    raw_command_lines: list[str] = field(default_factory=list)  # sent verbatim after the queue
    registrations: list[zk.IclockQuery] = field(default_factory=list)
    attlog: dict[str, dict[str, zk.AttLogLine]] = field(default_factory=lambda: defaultdict(dict))
    attlog_posts: list[AttlogPost] = field(default_factory=list)
    attlog_errors: list[zk.ZkProtocolError] = field(default_factory=list)
    duplicates: int = 0
    operlog: list[zk.OperLogRecord] = field(default_factory=list)
    stamps: dict[tuple[str, str], str] = field(default_factory=dict)
    queued: dict[str, list[tuple[str, zk.Command]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    issued: dict[str, zk.Command] = field(default_factory=dict)
    results: dict[str, zk.CommandResult] = field(default_factory=dict)
    result_arrived: threading.Event = field(default_factory=threading.Event)
    _next_id: int = 100
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def queue(self, sn: str, command: zk.Command) -> str:
        """Queue a command for terminal `sn`; its CmdID."""
        with self._lock:
            self._next_id += 1
            cmd_id = str(self._next_id)
            self.queued[sn].append((cmd_id, command))
            return cmd_id

    def lines(self, sn: str) -> list[zk.AttLogLine]:
        with self._lock:
            return list(self.attlog[sn].values())

    def handle(self, method: str, path: str, params: dict[str, str], body: str) -> tuple[int, str]:
        try:
            query = zk.parse_query(params)
        except zk.ZkProtocolError as exc:
            return 400, exc.message_en
        with self._lock:
            if path == zk.CDATA_PATH and method == "GET" and query.wants_options:
                return 200, self._options(query)
            if path == zk.CDATA_PATH and method == "POST":
                return 200, self._upload(query, body)
            if path == zk.GETREQUEST_PATH:
                return 200, self._commands(query.sn)
            if path == zk.DEVICECMD_PATH and method == "POST":
                if self.fail_devicecmd:
                    self.fail_devicecmd -= 1
                    return 500, "internal error"
                return 200, self._results(body)
            if path == zk.PING_PATH or path == zk.CDATA_PATH:
                return 200, zk.ok_answer()
        return 404, "not found"

    def _options(self, query: zk.IclockQuery) -> str:
        self.registrations.append(query)
        attlog_stamp = self.force_attlog_stamp or self.stamps.get(
            (query.sn, zk.TABLE_ATTLOG), "None"
        )
        return zk.options_block(
            query.sn,
            attlog_stamp=attlog_stamp,
            operlog_stamp=self.stamps.get((query.sn, zk.TABLE_OPERLOG), "None"),
            delay=self.delay,
            timezone=self.timezone,
            extra={"ServerVer": "2.4.1", "PushProtVer": "2.4.1"},
        )

    def _upload(self, query: zk.IclockQuery, body: str) -> str:
        if self.refuse_uploads:
            self.refuse_uploads -= 1
            return zk.error_answer("database busy, try again")
        if query.stamp is not None and query.table:
            self.stamps[(query.sn, query.table)] = query.stamp
        if query.table == zk.TABLE_ATTLOG:
            parsed = zk.split_attlog(body)
            self.attlog_errors.extend(parsed.errors)
            store = self.attlog[query.sn]
            new = 0
            for line in parsed.lines:
                if line.raw in store:
                    self.duplicates += 1
                else:
                    store[line.raw] = line
                    new += 1
            self.attlog_posts.append(AttlogPost(query.sn, query.stamp, len(parsed.lines), new))
            # Duplicates count as processed: the terminal must not send them again.
            return zk.ok_answer(len(parsed.lines))
        if query.table == zk.TABLE_OPERLOG:
            parsed_ops = zk.split_operlog(body)
            self.operlog.extend(parsed_ops.records)
            return zk.ok_answer(len(parsed_ops.records))
        return zk.ok_answer()

    def _commands(self, sn: str) -> str:
        batch = self.queued.pop(sn, [])
        for cmd_id, command in batch:
            self.issued[cmd_id] = command
        raw, self.raw_command_lines = self.raw_command_lines, []
        if raw:
            return "\n".join([zk.format_commands(batch), *raw] if batch else raw)
        return zk.format_commands(batch)

    def _results(self, body: str) -> str:
        for result in zk.parse_command_results(body):
            self.results[result.cmd_id] = result
            self.issued.pop(result.cmd_id, None)
        self.result_arrived.set()
        return zk.ok_answer()


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _serve(self, method: str) -> None:
        url = urlsplit(self.path)
        params = dict(parse_qsl(url.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8") if length else ""
        status, answer = self.server.app.handle(method, url.path, params, body)
        data = answer.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output clean


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins the request threads: nothing outlives a test
    app: IclockApp


class IclockTestServer:
    def __init__(self, app: IclockApp | None = None) -> None:
        self.app = app or IclockApp()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.app = self.app
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="iclock-test-server"
        )
        self._thread.start()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
