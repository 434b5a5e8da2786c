"""The RTSP camera emulator against raw sockets, OpenCV's FFmpeg backend and the CLI.

Frames go photo -> JPEG -> RTP/JPEG over RTSP-interleaved TCP -> FFmpeg -> BGR, so these tests
prove the `rtsp://` path of `OpenCvFrameSource` end to end. The emulator runs at 50 fps because
FFmpeg probes ~20 frames before `open` returns (0.4 s here, 2 s at 10 fps).
"""

from __future__ import annotations

import json
import socket
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
from typer.testing import CliRunner

from drivers.camera.opencv_source import OpenCvFrameSource, open_capture
from drivers.camera.rtsp_emulator import RtspCameraEmulator
from drivers.cli import app
from drivers.errors import DevicePortError
from tests.support.drivers import FACES, needs_faces

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(30), needs_faces]
PHOTO = FACES / "Tony_Blair" / "Tony_Blair_0001.jpg"
OTHER = FACES / "George_W_Bush" / "George_W_Bush_0001.jpg"
FPS = 50
TIMEOUT_MS = 2000  # OpenCV open/read timeouts: a broken server fails a test instead of hanging it


def _photo(path: Path) -> np.ndarray:
    import cv2

    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert image is not None
    h, w = image.shape[:2]
    return np.asarray(image[: h - h % 8, : w - w % 8], dtype=np.int16)  # the emulator's crop


def _source(url: str) -> OpenCvFrameSource:
    return OpenCvFrameSource(url, backoff_initial_s=0.1, backoff_max_s=0.4,
                             open_timeout_ms=TIMEOUT_MS, read_timeout_ms=TIMEOUT_MS)


def _mean_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


class RawRtspClient:
    """Speaks RTSP by hand, to check the server's answers byte for byte."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=3)
        self.cseq = 0
        self.buf = b""
        self.packets: list[tuple[int, bytes]] = []  # interleaved (channel, packet) seen so far

    def _fill(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("server closed the connection")
        self.buf += data

    def _take_interleaved(self) -> bool:
        if not self.buf.startswith(b"$"):
            return False
        while len(self.buf) < 4:
            self._fill()
        length = struct.unpack_from(">H", self.buf, 2)[0]
        while len(self.buf) < 4 + length:
            self._fill()
        self.packets.append((self.buf[1], self.buf[4 : 4 + length]))
        self.buf = self.buf[4 + length :]
        return True

    def send_raw(self, data: bytes) -> tuple[int, dict[str, str], bytes]:
        self.sock.sendall(data)
        while True:
            while self._take_interleaved():
                pass
            end = self.buf.find(b"\r\n\r\n")
            if end >= 0 and not self.buf.startswith(b"$"):
                break
            self._fill()
        head, self.buf = self.buf[:end].decode(), self.buf[end + 4 :]
        lines = head.split("\r\n")
        headers = {k.strip().lower(): v.strip()
                   for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(self.buf) < length:
            self._fill()
        body, self.buf = self.buf[:length], self.buf[length:]
        return int(lines[0].split()[1]), headers, body

    def request(self, method: str, url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
        self.cseq += 1
        lines = [f"{method} {url} RTSP/1.0", f"CSeq: {self.cseq}"]
        lines += [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
        status, got, body = self.send_raw(("\r\n".join(lines) + "\r\n\r\n").encode())
        assert got.get("cseq") == str(self.cseq)
        return status, got, body

    def drain(self) -> None:
        """Read until the server closes the connection (ConnectionError)."""
        while True:
            self._fill()

    def next_packet(self) -> tuple[int, bytes]:
        while not self.packets:
            if not self._take_interleaved():
                self._fill()
        return self.packets.pop(0)

    def play(self, url: str) -> tuple[str, int]:
        status, headers, _ = self.request("SETUP", f"{url}/trackID=1",
                                          Transport="RTP/AVP/TCP;unicast;interleaved=0-1")
        assert status == 200
        session = headers["session"].split(";")[0]
        status, headers, _ = self.request("PLAY", url, Session=session)
        assert status == 200
        return session, int(headers["rtp-info"].split("seq=")[1].split(";")[0])

    def close(self, *, reset: bool = False) -> None:
        if reset:  # RST instead of FIN: the way a crashed or unplugged client disappears
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


@pytest.fixture
def camera() -> Iterator[RtspCameraEmulator]:
    with RtspCameraEmulator(PHOTO, fps=FPS) as emu:
        yield emu


class TestRtspDialogue:
    def test_a_whole_session_by_hand(self, camera: RtspCameraEmulator) -> None:
        url = camera.url
        client = RawRtspClient(url)
        try:
            status, headers, _ = client.request("OPTIONS", url)
            assert status == 200
            assert "GET_PARAMETER" in headers["public"]
            assert client.request("DESCRIBE", url.replace("101", "999"))[0] == 404
            status, headers, sdp = client.request("DESCRIBE", url, Accept="application/sdp")
            assert status == 200
            assert headers["content-type"] == "application/sdp"
            assert headers["content-base"] == url + "/"
            assert b"m=video 0 RTP/AVP 26\r\n" in sdp
            assert b"a=control:trackID=1\r\n" in sdp
            assert client.request("PLAY", url)[0] == 455  # no SETUP yet
            udp = "RTP/AVP;unicast;client_port=5000-5001"
            assert client.request("SETUP", f"{url}/trackID=1", Transport=udp)[0] == 461
            status, headers, _ = client.request(
                "SETUP", f"{url}/trackID=1", Transport="RTP/AVP/TCP;unicast;interleaved=0-1"
            )
            assert status == 200
            assert headers["transport"].startswith("RTP/AVP/TCP;unicast;interleaved=0-1")
            session = headers["session"].split(";")[0]
            assert headers["session"].endswith(";timeout=60")
            assert client.request("GET_PARAMETER", url, Session="NOPE")[0] == 454
            status, headers, _ = client.request("PLAY", url, Session=session)
            assert status == 200
            first_seq = int(headers["rtp-info"].split("seq=")[1].split(";")[0])

            frame: list[bytes] = []
            while True:
                channel, packet = client.next_packet()
                assert channel == 0
                assert packet[0] == 0x80  # V=2
                assert packet[1] & 0x7F == 26
                frame.append(packet)
                if packet[1] & 0x80:  # marker: last packet of the frame
                    break
            assert struct.unpack_from(">H", frame[0], 2)[0] == first_seq
            assert len({p[4:8] for p in frame}) == 1  # one timestamp per frame
            assert frame[0][12 + 4 : 12 + 8] == bytes([1, 255, 31, 31])  # 4:2:0, Q, 248x248
            assert all(len(p) <= 12 + 1400 for p in frame)

            # keep-alive while streaming: the answer arrives between RTP packets
            assert client.request("GET_PARAMETER", url, Session=session)[0] == 200
            assert client.request("TEARDOWN", url, Session=session)[0] == 200
            assert client.send_raw(b"OPTIONS * RTSP/1.0\r\n\r\n")[0] == 400  # no CSeq
            assert client.request("PAUSE", url, Session=session)[0] == 454  # torn down
        finally:
            client.close()
        assert "DESCRIBE 404" in camera.requests

    def test_abrupt_disconnects_leave_the_server_serving(self, camera: RtspCameraEmulator) -> None:
        half = RawRtspClient(camera.url)
        half.sock.sendall(b"DESCRIBE rtsp://127.0.0.1/ RTSP/1.0\r\nCSe")
        half.close(reset=True)
        playing = RawRtspClient(camera.url)
        playing.play(camera.url)
        playing.next_packet()
        playing.close(reset=True)  # mid-stream, unread packets in flight
        flood = RawRtspClient(camera.url)
        flood.sock.sendall(b"X" * 20_000)  # not RTSP: dropped
        with pytest.raises((ConnectionError, OSError)):
            flood.send_raw(b"")
        flood.close()

        with _source(camera.url) as source:
            assert source.wait_frame(5.0) is not None

    def test_drop_clients_cuts_playing_streams(self, camera: RtspCameraEmulator) -> None:
        client = RawRtspClient(camera.url)
        try:
            client.play(camera.url)
            client.next_packet()
            camera.drop_clients()
            with pytest.raises(ConnectionError):
                client.drain()
        finally:
            client.close()


class TestOpenCvOverRtsp:
    def test_frames_are_the_photo(self, camera: RtspCameraEmulator) -> None:
        with _source(camera.url) as source:
            frame = source.wait_frame(5.0)
        assert frame is not None
        photo = _photo(PHOTO)
        assert frame.image.shape == photo.shape == (248, 248, 3)
        assert _mean_abs_diff(frame.image, photo) < 4  # JPEG q85 noise only
        assert _mean_abs_diff(frame.image, _photo(OTHER)) > 20  # a different face is far off

    def test_basic_auth(self) -> None:
        with RtspCameraEmulator(PHOTO, fps=FPS, user="admin", password="Sg#2024:x") as camera:
            assert "admin:Sg%232024%3Ax@" in camera.url
            with _source(camera.url) as source:
                assert source.wait_frame(5.0) is not None
            assert camera.requests[:3] == ["OPTIONS 200", "DESCRIBE 401", "DESCRIBE 200"]
            host = camera.url.split("@", 1)[1]
            for url in (f"rtsp://{host}", f"rtsp://admin:wrong@{host}"):
                with pytest.raises(DevicePortError) as info:
                    open_capture(url, open_timeout_ms=TIMEOUT_MS, read_timeout_ms=TIMEOUT_MS)
                assert info.value.code == "camera.open_failed"
            assert camera.requests[-1] == "DESCRIBE 401"

    def test_udp_first_client_falls_back_to_tcp(
        self, camera: RtspCameraEmulator, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;udp+tcp")
        cap = open_capture(camera.url, open_timeout_ms=TIMEOUT_MS,
                           read_timeout_ms=TIMEOUT_MS)
        try:
            assert cap.read() is not None
        finally:
            cap.release()
        assert camera.requests[2:4] == ["SETUP 461", "SETUP 200"]

    def test_reconnects_after_the_camera_restarts_on_its_port(self) -> None:
        first = RtspCameraEmulator(PHOTO, fps=FPS).start()
        port = first.port
        with _source(first.url) as source:
            try:
                before = source.wait_frame(5.0)
                assert before is not None
            finally:
                first.close()  # the camera reboots: connections cut, port refuses
            deadline = time.monotonic() + 5
            while source.last_error is None and time.monotonic() < deadline:
                time.sleep(0.02)
            assert source.last_error is not None  # the grabber saw the stream end
            time.sleep(0.3)  # a few refused reconnects while the camera is down
            stalled = source.latest()
            assert stalled is not None
            with RtspCameraEmulator(PHOTO, fps=FPS, port=port) as second:
                after = source.wait_frame(8.0, newer_than=stalled.seq)
                assert after is not None
                assert "PLAY 200" in second.requests  # the new frame came from the new camera
            assert source.reconnects >= 2


class TestRtspCli:
    runner = CliRunner()

    def test_probe_snapshot(self, camera: RtspCameraEmulator, tmp_path: Path) -> None:
        snap = tmp_path / "snap.jpg"
        result = self.runner.invoke(
            app, ["probe", "camera", "--url", camera.url, "--snapshot", str(snap),
                  "--timeout", "8"]
        )
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["width"] == 248
        assert snap.stat().st_size > 1000

    def test_emulate_prints_the_rtsp_url(self) -> None:
        result = self.runner.invoke(
            app, ["emulate", "camera", "--source", str(PHOTO), "--protocol", "rtsp",
                  "--user", "admin", "--password", "pw", "--seconds", "0.2"]
        )
        assert result.exit_code == 0, result.output
        url = result.stdout.splitlines()[0]
        assert url.startswith("rtsp://admin:pw@127.0.0.1:")
        assert url.endswith("/Streaming/Channels/101")

    def test_password_without_user_is_refused(self) -> None:
        result = self.runner.invoke(
            app, ["emulate", "camera", "--source", str(PHOTO), "--protocol", "rtsp",
                  "--password", "pw", "--seconds", "0.2"]
        )
        assert result.exit_code == 2
