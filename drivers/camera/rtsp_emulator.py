"""An IP camera on loopback: RTSP 1.0 (RFC 2326) serving RTP/JPEG (RFC 2435) over interleaved TCP.

Software is pointed at it exactly like a gate camera, e.g.
`rtsp://admin:pass@127.0.0.1:8554/Streaming/Channels/101`, and opens it through OpenCV's FFmpeg
backend, the same `OpenCvFrameSource` code path as on site. Frames come from `open_capture(...,
loop=True)` like the MJPEG emulator's (an image folder, one image or a video file).

Emulated: OPTIONS, DESCRIBE (SDP with one JPEG video track), SETUP, PLAY, TEARDOWN, GET_PARAMETER
keep-alive; CSeq echo, Session ids with a timeout; optional Basic auth answered with 401 and
WWW-Authenticate like a camera with a password; 404 for a wrong stream path; SETUP asking only for
UDP gets 461 Unsupported Transport, so a client that tries UDP first falls back to TCP. Faults:
`drop_clients()` cuts every connection (network blip), and closing then starting an emulator on
the same port is a camera reboot.

Not emulated: H.264/H.265 (what real cameras send; needs an encoder we do not ship), RTP over UDP
or multicast, Digest auth (most Hikvision/Dahua firmware default), RTCP sender reports, PAUSE,
seeking, ONVIF discovery. Frames are cropped to a multiple of 8 pixels (RFC 2435 sizes are in
8-pixel units) and scaled down to fit 2040 pixels.
"""

from __future__ import annotations

import base64
import contextlib
import hmac
import logging
import secrets
import select
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote, urlsplit

from drivers.camera import rtp_jpeg
from drivers.camera.opencv_source import open_capture
from drivers.errors import FrameError

log = logging.getLogger(__name__)

DEFAULT_STREAM_PATH = "/Streaming/Channels/101"  # Hikvision channel 1 main stream
TRACK_CONTROL = "trackID=1"
RTSP_VERSION = "RTSP/1.0"
PUBLIC_METHODS = "OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER"
MAX_REQUEST_BYTES = 16_384  # a request header larger than this is not an RTSP client
REASONS = {
    200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
    454: "Session Not Found", 455: "Method Not Valid in This State",
    461: "Unsupported Transport", 501: "Not Implemented", 505: "RTSP Version not supported",
}  # fmt: skip


@dataclass(frozen=True)
class RtspRequest:
    method: str
    url: str
    version: str
    headers: dict[str, str]  # keys lower-cased
    body: bytes = b""


def split_message(buf: bytes | bytearray) -> tuple[int, RtspRequest | bytes | None]:
    """Next message from a client: (used, request | interleaved packet | None).

    used == 0 means more bytes are needed. A client on TCP interleaves its RTCP receiver reports
    ("$" frames) with RTSP requests on the same connection. A request line that cannot be parsed
    comes back as a request with method "" (answered 400).
    """
    if not buf:
        return 0, None
    if buf[0] == rtp_jpeg.INTERLEAVED_MAGIC:
        if len(buf) < 4:
            return 0, None
        used = 4 + int.from_bytes(buf[2:4], "big")
        return (used, bytes(buf[4:used])) if len(buf) >= used else (0, None)
    end = bytes(buf[:MAX_REQUEST_BYTES]).find(b"\r\n\r\n")
    if end < 0:
        if len(buf) >= MAX_REQUEST_BYTES:
            raise ValueError("request header too large")
        return 0, None
    lines = bytes(buf[:end]).decode("utf-8", "replace").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    used = end + 4 + length
    if len(buf) < used:
        return 0, None
    parts = lines[0].split()
    method, url, version = parts if len(parts) == 3 else ("", "", "")
    return used, RtspRequest(method, url, version, headers, bytes(buf[end + 4 : used]))


@dataclass
class _Frame:
    seq: int
    captured: float  # time.monotonic() when read from the source
    jpeg: rtp_jpeg.JpegScan


@dataclass
class _Client:
    """One RTSP connection and its (at most one) session."""

    conn: socket.socket
    session: str | None = None
    channel: int = 0
    playing: bool = False
    ssrc: int = field(default_factory=lambda: secrets.randbits(32))
    rtp_seq: int = field(default_factory=lambda: secrets.randbits(16))
    rtp_base: int = field(default_factory=lambda: secrets.randbits(32))
    started: float = 0.0
    last_seen: float = field(default_factory=time.monotonic)
    sent_frame: int = 0

    def rtp_time(self, at: float) -> int:
        return (self.rtp_base + round((at - self.started) * rtp_jpeg.RTP_CLOCK_HZ)) & 0xFFFFFFFF


class RtspCameraEmulator:
    """Serves `source` at `url` until closed. One frame feed, any number of clients."""

    def __init__(
        self,
        source: str | Path,
        *,
        fps: float = 10.0,
        host: str = "127.0.0.1",
        port: int = 0,
        path: str = DEFAULT_STREAM_PATH,
        user: str | None = None,
        password: str | None = None,
        quality: int = 85,
        max_payload: int = rtp_jpeg.DEFAULT_MAX_PAYLOAD,
        session_timeout_s: int = 60,
    ) -> None:
        self.source = Path(source)
        self.fps = fps
        self.stream_path = path if path.startswith("/") else f"/{path}"
        self.user = user
        self.password = password
        self.quality = quality
        self.max_payload = max_payload
        self.session_timeout_s = session_timeout_s
        self._capture: Any = open_capture(str(self.source), fps=fps, loop=True)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._frame: _Frame | None = None
        self._clients: dict[socket.socket, threading.Thread] = {}
        self._threads: list[threading.Thread] = []
        self._listener = socket.create_server((host, port))  # SO_REUSEADDR: restart on the port
        self.requests: list[str] = []  # "METHOD status", for tests and the curious

    # --- addresses --------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    @property
    def url(self) -> str:
        """The camera URL to configure, with the credentials if the camera has any."""
        host = self._listener.getsockname()[0]
        auth = ""
        if self.user is not None:
            auth = f"{quote(self.user, safe='')}:{quote(self.password or '', safe='')}@"
        return f"rtsp://{auth}{host}:{self.port}{self.stream_path}"

    @property
    def path(self) -> str:
        """Where to point software, as the pty emulators' `path` (here: the stream URL)."""
        return self.url

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> Self:
        if not self._threads:
            for target, name in ((self._feed, "rtsp-feed"), (self._accept, "rtsp-accept")):
                thread = threading.Thread(target=target, name=name, daemon=True)
                thread.start()
                self._threads.append(thread)
        return self

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()
        self._listener.close()
        self.drop_clients()
        release = getattr(self._capture, "release", None)
        if release is not None:
            release()

    def drop_clients(self) -> None:
        """Fault: cut every client connection at once, as a network blip or reboot would."""
        with self._lock:
            clients = list(self._clients.items())
        for conn, _ in clients:
            with contextlib.suppress(OSError):  # already gone
                conn.shutdown(socket.SHUT_RDWR)  # wakes the client's thread, which closes it
        for _, thread in clients:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- frame feed -------------------------------------------------------------------------

    def _feed(self) -> None:
        seq = 0
        while not self._stop.is_set():
            image = self._capture.read()  # paces itself to `fps`
            if image is None:
                self._stop.wait(0.1)
                continue
            try:
                jpeg = rtp_jpeg.parse_jpeg(encode_frame(image, quality=self.quality))
            except FrameError as exc:
                log.warning("camera emulator skips a frame: %s", exc)
                continue
            seq += 1
            with self._lock:
                self._frame = _Frame(seq, time.monotonic(), jpeg)

    # --- connections ------------------------------------------------------------------------

    def _accept(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._listener], [], [], 0.1)
            if not ready:
                continue
            try:
                conn, _ = self._listener.accept()
            except OSError:
                continue  # the client gave up between select and accept
            conn.settimeout(5.0)  # a client that stops reading is dropped, not waited for
            thread = threading.Thread(target=self._serve, args=(conn,), name="rtsp-client",
                                      daemon=True)
            with self._lock:
                self._clients[conn] = thread
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        client = _Client(conn)
        buf = bytearray()
        try:
            while not self._stop.is_set():
                # poll for new frames while playing, at twice the frame rate (10 ms at most)
                wait = min(0.01, 0.5 / self.fps) if client.playing else 0.2
                ready, _, _ = select.select([conn], [], [], wait)
                if ready:
                    data = conn.recv(65536)
                    if not data:
                        break  # client closed
                    client.last_seen = time.monotonic()
                    buf += data
                    while True:
                        used, message = split_message(buf)
                        if not used:
                            break
                        del buf[:used]
                        if isinstance(message, RtspRequest):
                            conn.sendall(self._answer(client, message))
                        # bytes: the client's RTCP receiver report; its arrival is the keep-alive
                if time.monotonic() - client.last_seen > self.session_timeout_s:
                    break  # session expired, as a camera frees it (RFC 2326 §12.37)
                if client.playing:
                    self._send_frame(client)
        except (OSError, ValueError) as exc:
            log.debug("rtsp client dropped: %s", exc)  # abrupt disconnects end only this client
        finally:
            with self._lock:
                self._clients.pop(conn, None)
            conn.close()

    def _send_frame(self, client: _Client) -> None:
        with self._lock:
            frame = self._frame
        if frame is None or frame.seq <= client.sent_frame:
            return
        client.sent_frame = frame.seq
        payloads = rtp_jpeg.jpeg_payloads(frame.jpeg, max_payload=self.max_payload)
        timestamp = client.rtp_time(frame.captured)
        packets = []
        for k, payload in enumerate(payloads):
            packet = rtp_jpeg.rtp_packet(payload, seq=client.rtp_seq, timestamp=timestamp,
                                         ssrc=client.ssrc, marker=k == len(payloads) - 1)
            client.rtp_seq = (client.rtp_seq + 1) & 0xFFFF
            packets.append(rtp_jpeg.interleaved(client.channel, packet))
        client.conn.sendall(b"".join(packets))

    # --- RTSP methods -----------------------------------------------------------------------

    def _answer(self, client: _Client, req: RtspRequest) -> bytes:
        cseq = req.headers.get("cseq")
        headers: dict[str, str]
        if not req.method or cseq is None:
            status, headers, body = 400, {}, b""
        elif req.version != RTSP_VERSION:
            status, headers, body = 505, {}, b""
        elif req.method != "OPTIONS" and not self._authorized(req):
            status, headers, body = 401, {"WWW-Authenticate": 'Basic realm="SiteGate camera"'}, b""
        else:
            status, headers, body = self._dispatch(client, req)
        self.requests.append(f"{req.method} {status}")
        lines = [f"{RTSP_VERSION} {status} {REASONS[status]}"]
        if cseq is not None:
            lines.append(f"CSeq: {cseq}")
        lines.append("Server: SiteGate RTSP camera emulator")
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if body:
            lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    def _authorized(self, req: RtspRequest) -> bool:
        if self.user is None:
            return True
        scheme, _, token = req.headers.get("authorization", "").partition(" ")
        expected = base64.b64encode(f"{self.user}:{self.password or ''}".encode()).decode()
        return scheme.lower() == "basic" and hmac.compare_digest(token.strip(), expected)

    def _on_stream(self, url: str, *, track: bool) -> bool:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        path = path.rstrip("/")
        base = self.stream_path.rstrip("/")
        if path == base:
            return True
        return track and path in {f"{base}/{TRACK_CONTROL}", f"{base}{TRACK_CONTROL}"}

    def _dispatch(self, client: _Client, req: RtspRequest) -> tuple[int, dict[str, str], bytes]:
        sid = req.headers.get("session", "").split(";")[0].strip()
        if sid and sid != client.session:
            return 454, {}, b""
        if req.method == "OPTIONS":
            return 200, {"Public": PUBLIC_METHODS}, b""
        if req.method == "DESCRIBE":
            if not self._on_stream(req.url, track=False):
                return 404, {}, b""
            base = req.url.rstrip("/") + "/"
            return 200, {"Content-Type": "application/sdp", "Content-Base": base}, self._sdp()
        if req.method == "SETUP":
            if not self._on_stream(req.url, track=True):
                return 404, {}, b""
            channel = tcp_interleaved_channel(req.headers.get("transport", ""))
            if channel is None:
                return 461, {}, b""
            client.session = client.session or secrets.token_hex(8).upper()
            client.channel = channel
            transport = (f"RTP/AVP/TCP;unicast;interleaved={channel}-{channel + 1};"
                         f"ssrc={client.ssrc:08X}")
            return 200, {"Transport": transport, "Session": self._session(client)}, b""
        if req.method in {"PLAY", "TEARDOWN", "GET_PARAMETER"} and client.session is None:
            return (455 if req.method == "PLAY" else 454), {}, b""
        if req.method == "PLAY":
            if not client.playing:
                client.started = time.monotonic()
                client.playing = True
            info = f"url={req.url.rstrip('/')}/{TRACK_CONTROL};seq={client.rtp_seq};" \
                   f"rtptime={client.rtp_time(time.monotonic())}"
            return 200, {"Session": self._session(client), "Range": "npt=0.000-",
                         "RTP-Info": info}, b""
        if req.method == "TEARDOWN":
            client.playing = False
            client.session = None
            return 200, {}, b""
        if req.method == "GET_PARAMETER":
            return 200, {"Session": self._session(client)}, b""
        return 501, {"Public": PUBLIC_METHODS}, b""

    def _session(self, client: _Client) -> str:
        return f"{client.session};timeout={self.session_timeout_s}"

    def _sdp(self) -> bytes:
        session_id = secrets.randbits(31)
        lines = [
            "v=0",
            f"o=- {session_id} 1 IN IP4 {self._listener.getsockname()[0]}",
            "s=SiteGate RTSP camera emulator",
            "c=IN IP4 0.0.0.0",
            "t=0 0",
            "a=control:*",
            f"m=video 0 RTP/AVP {rtp_jpeg.PAYLOAD_TYPE_JPEG}",
            f"a=rtpmap:{rtp_jpeg.PAYLOAD_TYPE_JPEG} JPEG/{rtp_jpeg.RTP_CLOCK_HZ}",
            f"a=framerate:{self.fps:g}",
            f"a=control:{TRACK_CONTROL}",
        ]
        return ("\r\n".join(lines) + "\r\n").encode()


def encode_frame(image: Any, *, quality: int = 85) -> bytes:
    """A BGR frame as a JPEG that RFC 2435 can carry: baseline 4:2:0, standard Huffman tables,
    no restart markers, sides in whole 8-pixel units and at most 2040 pixels."""
    import cv2

    h, w = image.shape[:2]
    scale = min(1.0, rtp_jpeg.MAX_DIMENSION_PX / max(h, w))
    if scale < 1.0:
        image = cv2.resize(image, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA)
        h, w = image.shape[:2]
    image = image[: h - h % 8, : w - w % 8]  # crop, so the receiver decodes exactly this size
    params = [cv2.IMWRITE_JPEG_QUALITY, quality, cv2.IMWRITE_JPEG_OPTIMIZE, 0,
              cv2.IMWRITE_JPEG_PROGRESSIVE, 0, cv2.IMWRITE_JPEG_RST_INTERVAL, 0,
              cv2.IMWRITE_JPEG_SAMPLING_FACTOR, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_420]
    ok, buf = cv2.imencode(".jpg", image, params)
    if not ok:
        raise FrameError("JPEG 编码失败", "JPEG encoding failed", code="camera.bad_jpeg")
    return bytes(buf)


def tcp_interleaved_channel(transport: str) -> int | None:
    """The interleaved RTP channel of the first RTP/AVP/TCP spec offered; None if none is TCP."""
    for spec in transport.split(","):
        params = [p.strip() for p in spec.split(";")]
        if params[0].upper() != "RTP/AVP/TCP":
            continue
        for p in params[1:]:
            if p.startswith("interleaved="):
                first = p.split("=", 1)[1].split("-")[0]
                return int(first) if first.isdigit() and int(first) < 255 else None
        return 0
    return None
