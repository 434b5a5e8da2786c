"""The wage confirmation station end to end: SAM ID-card reader and IC reader emulated on ptys, a
camera replaying ../shared/testdata/faces, the real server in a subprocess with a sent October
wage sheet.

布什 confirms his line with card + face through `sitegate edge wage-confirm` · 赖斯, who declined
face recognition, confirms with her card + a confirmer's card, while the server is down: the
record waits in the outbox and confirms when it is uploaded · each server line then shows
confirmed_via=device with the station's code and seq · the station's chain check passes, and
neither worker gained a day from it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from edge_e2e_support import FACES, ServerProc, seed
from test_edge_gate_e2e import GATE_YAML, add_confirmer, encode, person_folder
from typer.testing import CliRunner

from drivers.ic_card.emulator import IcCardEmulator
from drivers.sam_idcard.emulator import SamIdCardEmulator
from drivers.sam_idcard.records import make_resident_card
from edge.cli import app, build_devices, load_or_create_key
from edge.config import load_config
from edge.outbox import Outbox, verify_chain
from edge.roster_cache import RosterCache, roster_key
from edge.sync import SyncClient, SyncWorker, provision
from edge.wage_confirm import Station
from models.device_auth import private_key_bytes
from models.enums import GateMode, RecordPurpose
from models.wage_line import WageLineOffer

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(240),
    pytest.mark.skipif(not FACES.is_dir(), reason="shared/testdata/faces not present"),
]

BUSH = "George_W_Bush"
STATION_YAML = GATE_YAML.replace('  relay: {{kind: lcus, url: "{relay}"}}\n', "").replace(
    "devices:\n",
    'devices:\n  camera: {{kind: files, url: "{camera}", options: {{fps: 8}}}}\n',
)


def sent_sheet(db_url: str, project_id: int) -> int:
    """Three October days for everyone on the project (through another gate), then the
    company's sheet built and sent: what the workers now see on their phones."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from server.db.session import make_engine
    from server.registry.models import Assignment, Project, Worker
    from server.wages import sheets
    from tests.factories import make_device
    from tests.support.payroll_month import attend, october

    engine = make_engine(db_url)
    try:
        with Session(engine) as s:
            project = s.get(Project, project_id)
            assert project is not None
            turnstile = make_device(s, project)
            assignments = list(
                s.scalars(select(Assignment).where(Assignment.project_id == project_id))
            )
            for a in assignments:
                worker = s.get(Worker, a.worker_id)
                assert worker is not None
                attend(s, project, turnstile, worker, october(3))
            company_id = assignments[0].company_id
            assert company_id is not None
            sheet = sheets.build_sheet(
                s, project_id=project_id, company_id=company_id, period="2026-10", user=None
            )
            sheets.send_sheet(s, sheet, user=None)
            s.commit()
            return sheet.id
    finally:
        engine.dispose()


def server_state(db_url: str, device_pk: int, project_id: int) -> dict[str, Any]:
    """The lines as the server holds them, the station's chain check, and the month's days."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from server.db.session import make_engine
    from server.ingest import service as ingest_service
    from server.rosters import service as roster_service
    from server.wages.models import WageLine

    engine = make_engine(db_url)
    try:
        with Session(engine) as s:
            lines = {
                line.worker_id: (
                    line.state,
                    line.confirmed_via,
                    line.confirmed_device,
                    line.confirmed_seq,
                )
                for line in s.scalars(select(WageLine).where(WageLine.project_id == project_id))
            }
            report = ingest_service.verify_chain(s, device_pk)
            month = roster_service.load_month(s, project_id=project_id, period="2026-10")
            days = {r.worker_id: r.month.attended_days for r in month.rows}
            return {"lines": lines, "chain": report, "days": days}
    finally:
        engine.dispose()


class ScriptedUI:
    """The station's screen: taps the confirmer's card when asked for it; says yes; can pull the
    server's plug while the line is on screen."""

    def __init__(self, ic: IcCardEmulator, confirmer_uid: str, on_ask: Any = None) -> None:
        self.ic = ic
        self.confirmer_uid = confirmer_uid
        self.on_ask = on_ask
        self.messages: list[str] = []

    def show(self, zh: str, en: str) -> None:
        self.messages.append(f"{zh} / {en}")
        if zh == "请确认人刷卡":
            self.ic.tap(self.confirmer_uid)

    def ask_confirm(self, offer: WageLineOffer, text: str) -> bool:
        self.messages.append(text)
        if self.on_ask is not None:
            self.on_ask()
        return True


@pytest.fixture
def emulators() -> Iterator[tuple[SamIdCardEmulator, IcCardEmulator]]:
    with SamIdCardEmulator() as sam, IcCardEmulator() as ic:
        yield sam, ic


def test_wage_confirmation_station(tmp_path: Path, emulators: Any) -> None:
    sam, ic = emulators
    db_url = f"sqlite:///{tmp_path / 'server.sqlite3'}"
    seeded = seed(
        db_url,
        [
            ("bush", "布什", None, [encode(FACES / BUSH / f"{BUSH}_0001.jpg")], False),
            ("rice", "赖斯", "C0FFEE01", [], False),  # no face consent: card + confirmation
        ],
    )
    add_confirmer(db_url, seeded.project_id, "0A0B0C0D", "王经理")
    sent_sheet(db_url, seeded.project_id)
    people = seeded.people
    server = ServerProc(db_url)
    server.start()
    camera = person_folder(tmp_path, BUSH, [f"{BUSH}_000{i}.jpg" for i in (2, 3, 5, 6)])
    data = tmp_path / "station"
    data.mkdir()
    cfg_path = tmp_path / "station.yaml"
    cfg_path.write_text(
        STATION_YAML.format(
            code=seeded.device_code,
            url=server.url,
            data=data,
            sam=sam.path,
            ic=ic.path,
            camera=camera,
        ),
        encoding="utf-8",
    )
    cfg = load_config(cfg_path)
    key = load_or_create_key(cfg.key_path)
    provision(server.url, seeded.provisioning_code, key)
    try:
        # 1. 布什 at the station, through the CLI: his card, his face, "y".
        sam.present(make_resident_card("布什", people["bush"].id_number))
        started = time.monotonic()
        result = CliRunner().invoke(app, ["wage-confirm", "--config", str(cfg_path)], input="y\n")
        sam.remove()
        assert result.exit_code == 0, result.output
        assert "2026-10 工资单 / wage line" in result.output
        assert "实发金额 / net pay: ¥1,050.00" in result.output
        assert "seq=1" in result.output
        assert "server=confirmed" in result.output
        state = server_state(db_url, seeded.device_pk, seeded.project_id)
        assert state["lines"][people["bush"].worker_id] == (
            "confirmed",
            "device",
            seeded.device_code,
            1,
        )
        assert time.monotonic() - started < 60

        # 2. 赖斯 declined face: her ID card + the confirmer's IC card. The server goes down
        #    while her line is on screen: the record waits in the outbox.
        outbox = Outbox(cfg.outbox_path, device_id=seeded.device_code, key=key)
        roster = RosterCache(cfg.roster_path, key=roster_key(private_key_bytes(key)))
        client = SyncClient(server.url, device_code=seeded.device_code, key=key, timeout_s=3.0)
        sync = SyncWorker(client, outbox, roster)
        devices = build_devices(cfg)
        try:
            assert devices.id_reader is not None
            sam.present(make_resident_card("赖斯", people["rice"].id_number))
            ui = ScriptedUI(ic, "0A0B0C0D", on_ask=server.stop)
            station = Station(
                id_reader=devices.id_reader,
                client=client,
                outbox=outbox,
                ui=ui,
                direction=cfg.direction,
                gate=cfg.policy,
                camera=devices.camera,
                matcher=None,  # never needed: she declined face
                ic_reader=devices.ic_reader,
                upload=sync.flush_events,
            )
            done = station.run()
            sam.remove()
            assert done.identity is not None
            assert done.identity.mode is GateMode.CARD_CONFIRMED
            assert not done.uploaded
            (queued,) = done.confirmed
            assert (queued.seq, queued.applied) == (2, None)
            assert outbox.stats().depth == 1
            assert any("联网后自动上传" in m for m in ui.messages)

            # Back online: the sync uploads it, and then it confirms.
            server.start()
            assert sync.flush_events() == 1
            assert outbox.stats().depth == 0
            local = outbox.events()
        finally:
            devices.close()
            client.close()
            outbox.close()
            roster.close()

        state = server_state(db_url, seeded.device_pk, seeded.project_id)
        assert state["lines"][people["rice"].worker_id] == (
            "confirmed",
            "device",
            seeded.device_code,
            2,
        )
        # The station's chain: both records, re-hashed and verified from what the server holds.
        assert [e.purpose for e in local] == [RecordPurpose.WAGE_CONFIRM] * 2
        assert local[1].credential_ref is not None
        assert local[1].credential_ref.endswith("|by:1:0A0B0C0D")
        assert verify_chain(local) == []
        chain = state["chain"]
        assert (chain.intact, chain.events, chain.highest_contiguous_seq) == (True, 2, 2)
        # Their October is the three days they came, not a day more.
        assert state["days"][people["bush"].worker_id] == 3
        assert state["days"][people["rice"].worker_id] == 3
    finally:
        server.stop()
