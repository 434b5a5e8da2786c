"""A whole gate end to end: SAM ID-card reader, IC reader and LCUS relay emulated on ptys, a camera
replaying ../shared/testdata/faces, the real server in a subprocess, which goes down mid-run.

right person passes · someone else with that card is refused · unknown cards are refused ·
a worker who left (退场) is refused · a worker who declined face passes only after a confirmer's
IC card (card + manager confirmation) · after the outage every event reaches the server once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from edge_e2e_support import FACES, ServerProc, chain_breaks, seed, server_events

from drivers.base import Frame
from drivers.camera.file_source import FileFrameSource
from drivers.ic_card.emulator import IcCardEmulator
from drivers.relay.emulator import LcusEmulator
from drivers.sam_idcard.emulator import SamIdCardEmulator
from drivers.sam_idcard.records import make_resident_card
from edge.agent import Devices
from edge.cli import assemble, build_devices, read_status
from edge.config import load_config
from edge.outbox import verify_chain
from edge.sync import provision
from models.enums import DenyReason, GateMode, GateResult

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(180),
    pytest.mark.skipif(not FACES.is_dir(), reason="shared/testdata/faces not present"),
]


def wait_for(cond: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.05)


def encode(path: Path) -> list[float]:
    import cv2

    from edge.face import FaceRecognitionMatcher, ProbeStatus

    probe = FaceRecognitionMatcher().probe(cv2.imread(str(path)))
    assert probe.status is ProbeStatus.OK
    assert probe.encoding is not None
    return [float(x) for x in probe.encoding]


def person_folder(tmp: Path, name: str, files: list[str]) -> Path:
    """Symlinks into the shared test data (the photos are never copied)."""
    folder = tmp / "cam" / name
    folder.mkdir(parents=True)
    for f in files:
        (folder / f).symlink_to(FACES / name / f)
    return folder


class SwitchCamera:
    """Real FileFrameSources, one per person; the test chooses who stands at the gate."""

    def __init__(self, sources: dict[str, FileFrameSource]) -> None:
        self.sources = sources
        self.current: str | None = None

    def latest(self) -> Frame | None:
        return None if self.current is None else self.sources[self.current].latest()

    def close(self) -> None:
        for s in self.sources.values():
            s.close()


GATE_YAML = """\
schema_version: 1
device_code: {code}
direction: in
server_url: {url}
data_dir: {data}
devices:
  id_card: {{kind: sam, url: "{sam}", options: {{command_timeout_s: 0.5}}}}
  ic_card: {{kind: serial_uid, url: "{ic}"}}
  relay: {{kind: lcus, url: "{relay}"}}
policy:
  mode: card_and_face
  face_threshold: 0.55
  face_timeout_s: 4.0
  pass_timeout_s: 0.5
sync:
  heartbeat_s: 1.0
  roster_poll_s: 2.0
  idle_poll_s: 0.2
  backoff_base_s: 0.2
  backoff_max_s: 1.0
"""


def add_confirmer(db_url: str, project_id: int, card_uid: str, name: str) -> None:
    from server.db.session import make_engine, make_sessionmaker, unit_of_work
    from server.registry import service as registry_service
    from server.registry.models import Project
    from server.registry.schemas import GateConfirmerIn

    engine = make_engine(db_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            project = session.get(Project, project_id)
            assert project is not None
            data = GateConfirmerIn(card_uid=card_uid, name=name)
            registry_service.add_confirmer(session, None, project, data=data)
    finally:
        engine.dispose()


@pytest.fixture
def emulators() -> Iterator[tuple[SamIdCardEmulator, IcCardEmulator, LcusEmulator]]:
    with SamIdCardEmulator() as sam, IcCardEmulator() as ic, LcusEmulator() as relay:
        yield sam, ic, relay


def test_gate_end_to_end(tmp_path: Path, emulators: Any) -> None:
    sam, ic, relay = emulators
    bush, blair = "George_W_Bush", "Tony_Blair"
    db_url = f"sqlite:///{tmp_path / 'server.sqlite3'}"
    seeded = seed(
        db_url,
        [
            ("bush", "布什", "A1B2C3D4", [encode(FACES / bush / f"{bush}_0001.jpg")], False),
            ("blair", "布莱尔", None, [encode(FACES / blair / f"{blair}_0001.jpg")], False),
            ("powell", "鲍威尔", None, [], True),
            ("rice", "赖斯", "C0FFEE01", [], False),  # no face consent: card + confirmation
        ],
    )
    add_confirmer(db_url, seeded.project_id, "0A0B0C0D", "王经理")
    server = ServerProc(db_url)
    server.start()
    data = tmp_path / "gate"
    data.mkdir()
    cfg_path = tmp_path / "gate.yaml"
    cfg_path.write_text(
        GATE_YAML.format(
            code=seeded.device_code,
            url=server.url,
            data=data,
            sam=sam.path,
            ic=ic.path,
            relay=relay.path,
        ),
        encoding="utf-8",
    )
    cfg = load_config(cfg_path)
    camera = SwitchCamera(
        {
            bush: FileFrameSource(
                person_folder(tmp_path, bush, [f"{bush}_000{i}.jpg" for i in (2, 3, 5, 6)]), fps=8
            ),
            blair: FileFrameSource(
                person_folder(tmp_path, blair, [f"{blair}_000{i}.jpg" for i in (2, 3, 5)]), fps=8
            ),
        }
    )
    serial = build_devices(cfg)
    devices = Devices(serial.id_reader, serial.ic_reader, serial.relay, camera)
    from edge.cli import load_or_create_key

    provision(server.url, seeded.provisioning_code, load_or_create_key(cfg.key_path))
    rt = assemble(cfg, devices=devices)
    outbox = rt.outbox
    people = seeded.people

    def events() -> list[Any]:
        return outbox.events()

    def id_card(person_key: str, name: str) -> None:
        sam.present(make_resident_card(name, people[person_key].id_number))

    try:
        rt.agent.start()
        wait_for(lambda: rt.roster.version > 0, what="roster download")
        assert rt.roster.snapshot.by_card_uid("A1B2C3D4") is not None

        # 1. Someone else (Blair) with Bush's ID card: refused, the relay never moves.
        camera.current = blair
        id_card("bush", "布什")
        wait_for(lambda: len(events()) == 1, what="mismatch decision")
        sam.remove()
        ev = events()[0]
        assert (ev.result, ev.reason, ev.worker_id) == (
            GateResult.REFUSED,
            DenyReason.FACE_MISMATCH,
            people["bush"].worker_id,
        )
        assert relay.pulses() == []

        wait_for(lambda: outbox.stats().depth == 0, what="first upload")
        # The server goes down; the gate keeps deciding from its cached roster.
        server.stop()

        # 2. The right person (Bush) with his card passes: record first, then the relay pulses.
        camera.current = bush
        id_card("bush", "布什")
        wait_for(lambda: len(events()) == 2, what="grant")
        sam.remove()
        ev = events()[1]
        assert (ev.result, ev.mode, ev.worker_id) == (
            GateResult.GRANTED,
            GateMode.CARD_AND_FACE,
            people["bush"].worker_id,
        )
        assert ev.face_score is not None
        assert ev.face_score <= 0.55
        assert ev.credential_ref is not None
        assert ev.credential_ref != people["bush"].id_number  # masked
        assert len(relay.wait_for_pulses(1, timeout_s=3.0)) == 1
        camera.current = None
        time.sleep(0.6)  # passage timeout

        # 3. Unknown IC card, and an ID card that is not on this project's roster.
        ic.tap("DEADBEEF")
        wait_for(lambda: len(events()) == 3, what="unknown ic card")
        assert events()[2].reason is DenyReason.UNKNOWN_CREDENTIAL
        sam.present(make_resident_card("路人", "11010519491231002X"))
        wait_for(lambda: len(events()) == 4, what="stranger id card")
        sam.remove()
        assert events()[3].reason is DenyReason.NOT_ON_ROSTER

        # 4. Powell has left the project (退场).
        id_card("powell", "鲍威尔")
        wait_for(lambda: len(events()) == 5, what="left worker")
        sam.remove()
        assert (events()[4].reason, events()[4].worker_id) == (
            DenyReason.LEFT,
            people["powell"].worker_id,
        )
        assert len(relay.pulses()) == 1

        # 5. Rice declined face recognition: her card alone opens nothing; the confirmer's card
        #    (from the roster cached before the outage) lets her in, and the record names him.
        ic.tap("C0FFEE01")
        wait_for(
            lambda: type(rt.agent.state.phase).__name__ == "AwaitConfirmation",
            what="awaiting confirmation",
        )
        time.sleep(0.3)
        assert len(events()) == 5
        assert len(relay.pulses()) == 1
        ic.tap("0A0B0C0D")
        wait_for(lambda: len(events()) == 6, what="confirmed grant")
        ev = events()[5]
        assert (ev.result, ev.mode, ev.worker_id) == (
            GateResult.GRANTED,
            GateMode.CARD_CONFIRMED,
            people["rice"].worker_id,
        )
        confirmer = rt.roster.snapshot.confirmer_by_card_uid("0A0B0C0D")
        assert confirmer is not None
        assert ev.credential_ref == f"C0FFEE01|by:{confirmer.confirmer_id}:0A0B0C0D"
        assert len(relay.wait_for_pulses(2, timeout_s=3.0)) == 2
        assert outbox.stats().depth == 5  # nothing reached the server during the outage

        # The server comes back: the backlog goes up exactly once, chain intact.
        server.start()
        wait_for(lambda: outbox.stats().depth == 0, timeout=20.0, what="upload after outage")
        stored = server_events(db_url, seeded.device_pk)
        local = events()
        assert [s for s, *_ in stored] == [1, 2, 3, 4, 5, 6]
        assert [h for _, _, h, _ in stored] == [e.hash for e in local]
        assert all(ok for *_, ok in stored)
        assert chain_breaks(db_url, seeded.device_pk) == 0
        assert verify_chain(local) == []
        status = read_status(cfg)
        assert status["outbox"]["queue_depth"] == 0
        assert status["outbox"]["acked_through"] == 6
        assert status["roster_version"] == rt.roster.version
    finally:
        rt.close()
        server.stop()
