"""Enrollment station: best face of several real frames, consent respected, queued when offline."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from edge_support import FakeServer

from drivers.camera.file_source import FileFrameSource
from drivers.sam_idcard.records import IdCardRecord, make_resident_card
from edge.enrollment import PHOTO_MAX_BYTES, EnrollmentError, capture_best_face, enroll, photo_jpeg
from edge.face import FaceRecognitionMatcher
from edge.outbox import Outbox
from edge.roster_cache import RosterCache
from edge.sync import SyncClient, SyncWorker
from models.device_auth import new_private_key

FACES = Path(__file__).resolve().parents[3].parent / "shared" / "testdata" / "faces"
pytestmark = pytest.mark.skipif(not FACES.is_dir(), reason="shared/testdata/faces not present")
CARD = make_resident_card("张三", "110101199003071233")


class OneCard:
    def __init__(self, record: IdCardRecord | None) -> None:
        self.record = record

    def read_card(self, timeout_s: float) -> IdCardRecord | None:
        return self.record

    def close(self) -> None:
        pass


@pytest.fixture
def camera(tmp_path: Path) -> Iterator[FileFrameSource]:
    folder = tmp_path / "cam"
    folder.mkdir()
    for f in sorted((FACES / "Gerhard_Schroeder").iterdir())[:4]:
        (folder / f.name).symlink_to(f)
    src = FileFrameSource(folder, fps=20)
    yield src
    src.close()


@pytest.fixture
def parts(tmp_path: Path) -> Iterator[tuple[FakeServer, SyncClient, Outbox, SyncWorker]]:
    server = FakeServer()
    key = new_private_key()
    client = SyncClient("http://x", device_code="ENROL-1", key=key, transport=server.transport)
    outbox = Outbox(tmp_path / "o.sqlite3", device_id="ENROL-1", key=key)
    roster = RosterCache(tmp_path / "r.sqlite3", key=os.urandom(32))
    yield server, client, outbox, SyncWorker(client, outbox, roster)
    client.close()
    outbox.close()
    roster.close()


MATCHER = FaceRecognitionMatcher()


class TestEnroll:
    def test_with_consent_sends_best_template(self, camera, parts) -> None:  # type: ignore[no-untyped-def]
        server, client, outbox, _ = parts
        result = enroll(
            id_reader=OneCard(CARD),
            camera=camera,
            matcher=MATCHER,
            consent=True,
            client=client,
            outbox=outbox,
            phone="13800138000",
        )
        assert result.response is not None
        sent = server.enrollments[0]
        assert sent["face_consent"] is True
        assert len(sent["face_template"]) == 128
        assert (sent["id_number"], sent["gender"], sent["nation"]) == (CARD.id_number, "M", "汉")
        # the frame the template came from, as the JPEG a face terminal enrols from
        import base64

        photo = base64.b64decode(sent["face_photo"])
        assert photo.startswith(b"\xff\xd8")
        assert len(photo) <= PHOTO_MAX_BYTES

    def test_without_consent_no_template_and_queued_offline(self, parts) -> None:  # type: ignore[no-untyped-def]
        server, client, outbox, worker = parts
        server.down = True
        result = enroll(
            id_reader=OneCard(CARD),
            camera=None,
            matcher=None,
            consent=False,
            client=client,
            outbox=outbox,
        )
        assert result.response is None
        assert result.queued_id is not None
        assert outbox.stats().enrollments_pending == 1
        server.down = False
        worker.flush_enrollments()
        assert outbox.stats().enrollments_pending == 0
        assert server.enrollments[0]["face_template"] is None
        assert server.enrollments[0]["face_photo"] is None
        assert server.enrollments[0]["face_consent"] is False

    def test_no_card(self, parts) -> None:  # type: ignore[no-untyped-def]
        _, client, outbox, _ = parts
        with pytest.raises(EnrollmentError, match="no ID card"):
            enroll(
                id_reader=OneCard(None),
                camera=None,
                matcher=None,
                consent=False,
                client=client,
                outbox=outbox,
                card_timeout_s=0.1,
            )


def test_a_big_frame_becomes_a_small_jpeg() -> None:
    import numpy as np

    rng = np.random.default_rng(7)
    noisy = rng.integers(0, 256, (1944, 2592, 3), dtype=np.uint8)  # 5 MP of noise: worst case
    photo = photo_jpeg(noisy)
    assert photo is not None
    assert photo.startswith(b"\xff\xd8")
    assert len(photo) <= PHOTO_MAX_BYTES


class TestCapture:
    def test_no_face_in_view(self) -> None:
        import numpy as np

        from drivers.base import Frame

        class Blank:
            n = 0

            def latest(self) -> Frame:
                self.n += 1
                return Frame(np.full((240, 320, 3), 120, np.uint8), float(self.n), self.n)

            def close(self) -> None:
                pass

        with pytest.raises(EnrollmentError, match="no face detected"):
            capture_best_face(Blank(), MATCHER, frames=3)
