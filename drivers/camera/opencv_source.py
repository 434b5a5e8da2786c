"""Cameras over OpenCV, behind one FrameSource: USB index, RTSP URL, video file or image folder.

A background grabber reads continuously and keeps only the newest frame (FFmpeg ignores
CAP_PROP_BUFFERSIZE, so a 1-slot buffer in a thread is the reliable way to avoid lag), and
reconnects with exponential backoff when the stream drops. The capture is constructed inside
the grabber thread so a dead RTSP host never blocks the caller. cv2 is imported lazily.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from drivers.base import Frame, _Closeable
from drivers.errors import DevicePortError

log = logging.getLogger(__name__)

# videoio.hpp: open-only params, FFmpeg/GStreamer. Integers because older wheels lack the names.
CAP_PROP_OPEN_TIMEOUT_MSEC = 53
CAP_PROP_READ_TIMEOUT_MSEC = 54
CAP_PROP_BUFFERSIZE = 38

Image = npt.NDArray[np.uint8]


class Capture(Protocol):
    """One open stream. read() returns None when the stream failed or ended."""

    def read(self) -> Image | None: ...

    def release(self) -> None: ...


class CvCapture:
    """cv2.VideoCapture adapter."""

    def __init__(self, cap: Any, *, pace_fps: float | None = None) -> None:
        self._cap = cap
        self._period = 1.0 / pace_fps if pace_fps else 0.0
        self._next = time.monotonic()

    def read(self) -> Image | None:
        if self._period:  # a file would otherwise be decoded as fast as the CPU allows
            delay = self._next - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self._next = max(self._next + self._period, time.monotonic() - self._period)
        ok, image = self._cap.read()
        return image if ok and image is not None else None

    def release(self) -> None:
        self._cap.release()


def open_capture(
    url: str | int,
    *,
    open_timeout_ms: int = 5000,
    read_timeout_ms: int = 5000,
    width: int | None = None,
    height: int | None = None,
    fps: float = 10.0,
    loop: bool = True,
) -> Capture:
    """Open any supported camera URL; raises DevicePortError if it cannot be opened.

    - 0, "0", "usb:0", "/dev/video0", "/dev/v4l/by-id/..." : USB camera (V4L2 on Linux)
    - "rtsp://..." / "http://..." : network stream through FFmpeg, TCP, with timeouts
    - a directory or image file : image folder (drivers.camera.file_source)
    - any other path : video file, paced to its own frame rate
    """
    import cv2

    text = str(url).strip()
    if not text:
        # Path("") is ".": an empty URL (an unset variable) would quietly replay whatever
        # images sit in the working directory instead of failing.
        raise DevicePortError("未指定摄像头地址", "no camera URL given", code="camera.open_failed")
    m = re.fullmatch(r"(?:usb:)?(\d+)", text)
    if m or text.startswith("/dev/video") or text.startswith("/dev/v4l/"):
        target: int | str = int(m[1]) if m else text
        backend = cv2.CAP_V4L2 if os.name == "posix" else cv2.CAP_DSHOW
        cap = cv2.VideoCapture(target, backend)
        cap.set(CAP_PROP_BUFFERSIZE, 1)
        if width and height:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        return _checked(cap, text)
    if "://" in text:
        # TCP avoids UDP smearing on busy site networks; respect an operator's own setting.
        os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;tcp")
        params = [CAP_PROP_OPEN_TIMEOUT_MSEC, open_timeout_ms,
                  CAP_PROP_READ_TIMEOUT_MSEC, read_timeout_ms]
        return _checked(cv2.VideoCapture(text, cv2.CAP_FFMPEG, params), _redact(text))
    path = Path(text)
    from drivers.camera.file_source import IMAGE_SUFFIXES, ImageFolderCapture

    if path.is_dir() or path.suffix.lower() in IMAGE_SUFFIXES:
        return ImageFolderCapture(path, fps=fps, loop=loop)
    if not path.exists():
        raise DevicePortError(f"视频文件不存在: {path}", f"video file not found: {path}",
                              code="camera.open_failed")
    cap = cv2.VideoCapture(str(path))
    file_fps = cap.get(cv2.CAP_PROP_FPS) or fps
    return _checked(cap, text, pace_fps=file_fps)


def _redact(url: str) -> str:
    return re.sub(r"//[^/@]*@", "//***@", url)


def _checked(cap: Any, label: str, *, pace_fps: float | None = None) -> Capture:
    if not cap.isOpened():
        cap.release()
        raise DevicePortError(f"无法打开摄像头 {label}", f"cannot open camera {label}",
                              code="camera.open_failed")
    return CvCapture(cap, pace_fps=pace_fps)


class LatestFrameGrabber(_Closeable):
    """FrameSource over any Capture factory: newest frame only, reconnect with backoff."""

    def __init__(
        self,
        factory: Callable[[], Capture],
        *,
        backoff_initial_s: float = 1.0,
        backoff_max_s: float = 30.0,
        name: str = "camera",
    ) -> None:
        self._factory = factory
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self._lock = threading.Lock()
        self._latest: Frame | None = None
        self._new = threading.Condition(self._lock)
        self._stop = threading.Event()
        self.frames = 0
        self.reconnects = 0
        self.last_error: str | None = None
        self._thread = threading.Thread(target=self._run, name=f"grab-{name}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        backoff = self.backoff_initial_s
        while not self._stop.is_set():
            try:
                cap = self._factory()
            except Exception as exc:
                self.last_error = str(exc)
                log.warning("camera open failed, retry in %.1fs: %s", backoff, exc)
            else:
                try:
                    while not self._stop.is_set():
                        image = cap.read()
                        if image is None:
                            self.last_error = "stream ended or read failed"
                            break
                        backoff = self.backoff_initial_s  # a good frame resets the backoff
                        with self._new:
                            self.frames += 1
                            self._latest = Frame(image, time.monotonic(), self.frames)
                            self._new.notify_all()
                finally:
                    cap.release()
            if self._stop.wait(backoff):
                break
            self.reconnects += 1
            backoff = min(backoff * 2, self.backoff_max_s)

    def latest(self) -> Frame | None:
        with self._lock:
            return self._latest

    def wait_frame(self, timeout_s: float, *, newer_than: int = 0) -> Frame | None:
        """Block until a frame with seq > `newer_than` exists (probe / snapshot use)."""
        deadline = time.monotonic() + timeout_s
        with self._new:
            while self._latest is None or self._latest.seq <= newer_than:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._new.wait(remaining)
            return self._latest

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


class OpenCvFrameSource(LatestFrameGrabber):
    """`OpenCvFrameSource("rtsp://user:pass@ip:554/Streaming/Channels/102")`, "usb:0", a file."""

    def __init__(self, url: str | int, *, backoff_initial_s: float = 1.0,
                 backoff_max_s: float = 30.0, **capture_kwargs: Any) -> None:
        self.url = url
        super().__init__(
            lambda: open_capture(url, **capture_kwargs),
            backoff_initial_s=backoff_initial_s, backoff_max_s=backoff_max_s,
            name=_redact(str(url)),
        )
