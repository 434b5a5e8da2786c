"""A camera emulator: an image folder (or video) served as an MJPEG stream over HTTP on loopback.

Real software is pointed at it exactly like an IP camera's HTTP stream: OpenCV's FFmpeg backend
opens `http://127.0.0.1:PORT/stream.mjpg` through the same `OpenCvFrameSource` code path as an
RTSP URL. Frames come from `ImageFolderCapture`, so the tests' photos and a site's recorded video
replay alike. `drivers.camera.rtsp_emulator` serves the same frames over RTSP, as gate cameras do.
"""

from __future__ import annotations

import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from drivers.camera.opencv_source import open_capture

BOUNDARY = "sitegateframe"
STREAM_PATH = "/stream.mjpg"


class MjpegCameraEmulator:
    """Serves `source` (image folder, image or video file) at `url` until closed."""

    def __init__(
        self, source: str | Path, *, fps: float = 10.0, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.source = Path(source)
        self.fps = fps
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._capture: Any = open_capture(str(self.source), fps=fps, loop=True)
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.split("?")[0] != STREAM_PATH:
                    self.send_error(HTTPStatus.NOT_FOUND)
                    return
                self.send_response(HTTPStatus.OK)
                self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                try:
                    while not emulator._stop.is_set():
                        jpeg = emulator._next_jpeg()
                        if jpeg is None:
                            break
                        self.wfile.write(
                            f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                            f"Content-Length: {len(jpeg)}\r\n\r\n".encode()
                        )
                        self.wfile.write(jpeg + b"\r\n")
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the viewer went away; the camera keeps serving others

            def log_message(self, format: str, *args: Any) -> None:
                pass  # no per-request noise on the installer's console

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else host
        return f"http://{name}:{port}{STREAM_PATH}"

    @property
    def path(self) -> str:
        """Where to point software, as the pty emulators' `path` (here: the stream URL)."""
        return self.url

    def _next_jpeg(self) -> bytes | None:
        import cv2

        with self._lock:  # ImageFolderCapture paces itself to `fps`; one reader at a time
            frame = self._capture.read()
        if frame is None:
            return None
        ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 85])
        return bytes(buf) if ok else None

    def start(self) -> Self:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, name="camera-emulator", daemon=True
            )
            self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()
        release = getattr(self._capture, "release", None)
        if release is not None:
            release()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
