"""Frame sources: image folder, video file, newest-frame grabber and reconnect with backoff."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import numpy as np
import pytest

from drivers.camera.file_source import FileFrameSource, ImageFolderCapture
from drivers.camera.opencv_source import LatestFrameGrabber, OpenCvFrameSource, open_capture
from drivers.errors import DevicePortError

FACES = Path(__file__).resolve().parents[5] / "shared" / "testdata" / "faces"
needs_faces = pytest.mark.skipif(not FACES.is_dir(), reason="shared testdata not present")


class _FakeCapture:
    def __init__(self, frames: int) -> None:
        self.left = frames

    def read(self) -> np.ndarray | None:
        time.sleep(0.005)
        if self.left == 0:
            return None
        self.left -= 1
        return np.zeros((4, 4, 3), dtype=np.uint8)

    def release(self) -> None:
        pass


class TestImageFolderCapture:
    @needs_faces
    def test_reads_bgr_images_in_order_and_loops(self) -> None:
        cap = ImageFolderCapture(FACES / "Tony_Blair", fps=0, loop=True)
        n = len(cap.files)
        images = [cap.read() for _ in range(n + 1)]
        assert all(i is not None and i.ndim == 3 and i.shape[2] == 3 for i in images)
        assert images[0] is not None
        assert images[n] is not None
        assert np.array_equal(images[0], images[n])

    def test_no_images(self, tmp_path: Path) -> None:
        with pytest.raises(DevicePortError) as info:
            ImageFolderCapture(tmp_path)
        assert info.value.code == "camera.open_failed"


class TestOpenCapture:
    @pytest.mark.parametrize("url", ["", "  "])
    def test_empty_url_is_refused(
        self, url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import cv2

        cv2.imwrite(str(tmp_path / "a.jpg"), np.zeros((8, 8, 3), np.uint8))
        monkeypatch.chdir(tmp_path)  # an image in the working directory must not be picked up
        with pytest.raises(DevicePortError) as info:
            open_capture(url)
        assert info.value.code == "camera.open_failed"

    def test_missing_video(self, tmp_path: Path) -> None:
        with pytest.raises(DevicePortError):
            open_capture(str(tmp_path / "nope.mp4"))

    def test_video_file(self, tmp_path: Path) -> None:
        import cv2

        path = tmp_path / "clip.avi"
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 50, (64, 48))
        for i in range(10):
            writer.write(np.full((48, 64, 3), i * 20, dtype=np.uint8))
        writer.release()
        cap = open_capture(str(path))
        frames = [cap.read() for _ in range(11)]
        cap.release()
        assert all(f is not None and f.shape == (48, 64, 3) for f in frames[:10])
        assert frames[10] is None  # end of file


class TestLatestFrameGrabber:
    def test_hands_out_the_newest_frame(self) -> None:
        with LatestFrameGrabber(lambda: _FakeCapture(10_000)) as grab:
            first = grab.wait_frame(2.0)
            assert first is not None
            time.sleep(0.05)
            later = grab.latest()
            assert later is not None
            assert later.seq > first.seq + 3
            assert later.ts > first.ts

    def test_reconnects_with_backoff_after_drops(self) -> None:
        calls: list[float] = []

        def factory() -> _FakeCapture:
            calls.append(time.monotonic())
            if len(calls) <= 3:
                raise OSError("camera unplugged")
            return _FakeCapture(3)  # stream drops after 3 frames each time

        with LatestFrameGrabber(factory, backoff_initial_s=0.02, backoff_max_s=0.08) as grab:
            assert grab.wait_frame(2.0, newer_than=4) is not None
        assert grab.reconnects >= 4
        gaps = [b - a for a, b in itertools.pairwise(calls[:4])]
        assert gaps[0] >= 0.02
        assert gaps[1] >= 0.04  # doubled
        assert gaps[2] >= 0.08  # capped

    def test_close_is_prompt_even_while_backing_off(self) -> None:
        def factory() -> _FakeCapture:
            raise OSError("no camera")

        grab = LatestFrameGrabber(factory, backoff_initial_s=30)
        time.sleep(0.05)
        t0 = time.monotonic()
        grab.close()
        assert time.monotonic() - t0 < 1
        assert grab.latest() is None
        assert grab.last_error == "no camera"


class TestFileFrameSource:
    @needs_faces
    def test_folder_as_camera(self) -> None:
        with FileFrameSource(FACES / "Tony_Blair", fps=50) as src:
            frame = src.wait_frame(3.0)
        assert frame is not None
        assert frame.image.dtype == np.uint8
        assert frame.image.shape[2] == 3

    @needs_faces
    def test_opencv_source_accepts_a_path(self) -> None:
        with OpenCvFrameSource(str(FACES / "Tony_Blair"), fps=50) as src:
            assert src.wait_frame(3.0) is not None
