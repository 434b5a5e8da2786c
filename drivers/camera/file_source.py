"""The tests' camera: a folder of images (or one image) replayed at a fixed rate.

Frames come out as BGR uint8 like any OpenCV camera, so face matching and snapshots run the same
code path against ../shared/testdata images as against a live gate camera.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from drivers.camera.opencv_source import LatestFrameGrabber, open_capture
from drivers.errors import DevicePortError

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp"})


class ImageFolderCapture:
    """Capture over image files in name order; read() returns None at the end unless `loop`."""

    def __init__(self, path: str | Path, *, fps: float = 10.0, loop: bool = True) -> None:
        p = Path(path)
        files = sorted(f for f in p.rglob("*") if f.suffix.lower() in IMAGE_SUFFIXES) \
            if p.is_dir() else [p]
        if not files or not files[0].exists():
            raise DevicePortError(f"没有图像文件: {p}", f"no image files in {p}",
                                  code="camera.open_failed")
        self.files = files
        self.loop = loop
        self._period = 1.0 / fps if fps > 0 else 0.0
        self._next = time.monotonic()
        self._i = 0

    def read(self) -> npt.NDArray[np.uint8] | None:
        import cv2

        if self._i >= len(self.files):
            if not self.loop:
                return None
            self._i = 0
        delay = self._next - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self._next = max(self._next + self._period, time.monotonic() - self._period)
        path = self.files[self._i]
        self._i += 1
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        return None if image is None else np.asarray(image, dtype=np.uint8)

    def release(self) -> None:
        """Nothing held open between reads."""


class FileFrameSource(LatestFrameGrabber):
    """FrameSource over a video file, an image, or a folder of images."""

    def __init__(self, path: str | Path, *, fps: float = 10.0, loop: bool = True,
                 backoff_initial_s: float = 0.2, **kwargs: Any) -> None:
        self.path = Path(path)
        super().__init__(
            lambda: open_capture(str(path), fps=fps, loop=loop),
            backoff_initial_s=backoff_initial_s, name=self.path.name, **kwargs,
        )
