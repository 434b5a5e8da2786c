"""A gate whose clock is off still uploads (issue 10 item 4).

The real edge SyncClient/SyncWorker and Outbox talk to the real server app (the TestClient's
in-process transport, on the test's database). The gate's clock is set 1 hour or 1 day ahead or
behind: the first request gets 401 device.stale carrying the server's time, the client corrects
its request timestamps by the measured offset and retries once; uploads and heartbeats then
succeed, recorded event times stay the gate's own clock, the gates page shows the skew and the
考勤凭证 flags each record.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from edge.decision import Attempt
from edge.outbox import Outbox
from edge.roster_cache import RosterCache
from edge.sync import CLOCK_OFFSET_META, SyncClient, SyncWorker
from models.device_auth import HEADER_SERVER_TIME
from models.enums import CredentialKind, Direction, GateMode, GateResult, Role
from models.ids import mask_id_number
from server.ingest import evidence as evidence_service
from server.ingest.models import GateEventRow
from server.registry.models import Device, Project, Worker
from server.reports import evidence as evidence_layout
from server.reports import evidence_xlsx
from server.web.i18n import LANG_COOKIE
from tests.factories import make_assignment, make_device, make_project, make_user, make_worker
from tests.integration.server.ingest.ingest_support import Gate
from tests.integration.server.web.helpers import web_login

HOUR, DAY = 3600, 86400
SKEWS = {"+1h": HOUR, "-1h": -HOUR, "+1d": DAY, "-1d": -DAY}
WORDS = {
    HOUR: ("闸机时钟偏差 1 小时(快)", "gate clock off by 1 hour (ahead)"),
    -HOUR: ("闸机时钟偏差 1 小时(慢)", "gate clock off by 1 hour (behind)"),
    DAY: ("闸机时钟偏差 1 天(快)", "gate clock off by 1 day (ahead)"),
    -DAY: ("闸机时钟偏差 1 天(慢)", "gate clock off by 1 day (behind)"),
}


class Counting(httpx.BaseTransport):
    """The TestClient's transport, counting the answers by status."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.statuses: list[int] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        self.statuses.append(response.status_code)
        return response


@dataclass
class Edge:
    skew: int
    gate: Gate
    worker: Worker
    project: Project
    transport: Counting
    client: SyncClient
    outbox: Outbox
    roster: RosterCache
    sync: SyncWorker

    def gate_now(self) -> dt.datetime:
        return self.client.local_now()

    def record(self, n: int) -> list[dt.datetime]:
        times = []
        for _ in range(n):
            at = self.gate_now()
            self.outbox.append(
                Attempt(
                    at=at,
                    direction=Direction.IN,
                    mode=GateMode.CARD_ONLY,
                    result=GateResult.GRANTED,
                    credential=CredentialKind.ID_CARD,
                    credential_ref=mask_id_number(self.worker.id_number),
                    worker_id=self.worker.id,
                )
            )
            times.append(at)
        return times


def _edge(
    gate: Gate, tmp_path: Path, skew: int, counting: Counting
) -> tuple[SyncClient, Outbox, RosterCache, SyncWorker]:
    sync_client = SyncClient(
        "http://testserver",
        device_code=gate.code,
        key=gate.key,
        transport=counting,
        clock=lambda: time.time() + skew,
    )
    outbox = Outbox(tmp_path / "outbox.sqlite3", device_id=gate.code, key=gate.key)
    roster = RosterCache(tmp_path / "roster.sqlite3", key=os.urandom(32))
    return sync_client, outbox, roster, SyncWorker(sync_client, outbox, roster)


@pytest.fixture(params=list(SKEWS), ids=list(SKEWS))
def edge(
    request: pytest.FixtureRequest, client: TestClient, session: Session, tmp_path: Path
) -> Iterator[Edge]:
    skew = SKEWS[request.param]
    project = make_project(session)
    worker = make_worker(session, name="王五")
    make_assignment(session, project, worker)
    gate = Gate.provision(client, session, make_device(session, project))
    # The app's own transport (private, but it is exactly what TestClient sends through).
    counting = Counting(client._transport)
    sync_client, outbox, roster, sync = _edge(gate, tmp_path, skew, counting)
    yield Edge(skew, gate, worker, project, counting, sync_client, outbox, roster, sync)
    sync.stop()
    sync_client.close()
    outbox.close()
    roster.close()


def test_upload_and_heartbeat_succeed_after_one_correction(
    session: Session, edge: Edge, tmp_path: Path
) -> None:
    recorded = edge.record(3)
    assert edge.sync.flush_events() == 3
    # One refusal (device.stale), then the corrected retry.
    assert edge.transport.statuses == [401, 200]
    assert edge.client.clock_offset_s == pytest.approx(-edge.skew, abs=5)
    assert float(edge.outbox.get_meta(CLOCK_OFFSET_META) or "nan") == edge.client.clock_offset_s
    edge.sync.send_heartbeat()
    assert edge.transport.statuses == [401, 200, 200]
    assert edge.outbox.stats().depth == 0

    session.expire_all()
    rows = session.scalars(
        select(GateEventRow)
        .where(GateEventRow.device_id == edge.gate.device.id)
        .order_by(GateEventRow.seq)
    ).all()
    # The recorded times are the gate's own clock, unchanged.
    assert [r.device_time for r in rows] == recorded
    assert all(r.clock_skew_s == pytest.approx(edge.skew, abs=5) for r in rows)
    device = session.get(Device, edge.gate.device.id)
    assert device is not None
    assert device.clock_skew_ms == pytest.approx(edge.skew * 1000, abs=5000)
    assert device.clock_skew_at is not None

    # A restart keeps the correction (read back from the outbox): no refusal this time.
    edge.sync.stop()
    edge.client.close()
    edge.outbox.close()
    edge.transport = Counting(edge.transport.inner)
    edge.client = SyncClient(
        "http://testserver",
        device_code=edge.gate.code,
        key=edge.gate.key,
        transport=edge.transport,
        clock=lambda: time.time() + edge.skew,
    )
    edge.outbox = Outbox(tmp_path / "outbox.sqlite3", device_id=edge.gate.code, key=edge.gate.key)
    edge.sync = SyncWorker(edge.client, edge.outbox, edge.roster)
    assert edge.client.clock_offset_s == pytest.approx(-edge.skew, abs=5)
    edge.record(1)
    assert edge.sync.flush_events() == 1
    assert edge.transport.statuses == [200]


def test_gates_page_and_evidence_flag_the_skew(
    client: TestClient, session: Session, edge: Edge
) -> None:
    recorded = edge.record(2)
    edge.sync.flush_events()
    edge.sync.send_heartbeat()
    manager = make_user(session, Role.SITE_MANAGER, [edge.project])
    session.commit()
    web_login(client, manager)
    zh, en = WORDS[edge.skew]
    page = client.get(f"/site/{edge.project.id}/gates").text
    assert zh in page
    assert f'id="skew-{edge.gate.device.id}"' in page
    client.cookies.set(LANG_COOKIE, "en")
    assert en in client.get(f"/site/{edge.project.id}/gates").text

    local = recorded[0].astimezone(ZoneInfo("Asia/Shanghai"))
    session.expire_all()
    ev = evidence_service.worker_month_evidence(
        session,
        project_id=edge.project.id,
        worker_id=edge.worker.id,
        period=f"{local.year:04d}-{local.month:02d}",
        now=dt.datetime.now(dt.UTC),
    )
    mine = [
        e for e in ev.events if e.gate_code == edge.gate.code and e.device_time.month == local.month
    ]
    assert mine
    for e in mine:
        assert e.ok  # a genuine record: every check passes
        (warning,) = e.warnings
        assert warning.kind == "clock_skew"
        assert int(warning.got) == pytest.approx(edge.skew, abs=5)
        assert e.clock_skew_s == pytest.approx(edge.skew, abs=5)
        # As the XLSX and the PDF print it, beside the record's checks.
        assert "recorded time may be shifted" in evidence_layout.verdict(e)
    wb = load_workbook(io.BytesIO(evidence_xlsx.evidence_xlsx(ev)))
    cells = [str(c.value) for row in wb[evidence_xlsx.EVENTS_SHEET].iter_rows() for c in row]
    assert sum("recorded time may be shifted" in v for v in cells) == len(ev.events)


def test_stale_answer_says_the_server_time_and_records_the_skew(
    client: TestClient, session: Session, project: Project
) -> None:
    gate = Gate.provision(client, session, make_device(session, project))
    body = b'{"device_time":"2026-05-01T07:30:00Z","queue_depth":0,"last_seq":0,"roster_version":0}'
    before = time.time()
    path = "/api/v1/edge/heartbeat"
    r = client.post(
        path, content=body, headers=gate.headers("POST", path, body, timestamp=int(before) + HOUR)
    )
    assert r.status_code == 401
    data = r.json()
    assert data["code"] == "device.stale"
    assert before - 1 <= data["server_timestamp"] <= time.time() + 1
    assert dt.datetime.fromisoformat(data["server_time"]).timestamp() == pytest.approx(
        data["server_timestamp"], abs=0.01
    )
    assert float(r.headers[HEADER_SERVER_TIME]) == pytest.approx(data["server_timestamp"], abs=0.01)
    assert r.headers["Date"].endswith("GMT")
    session.expire_all()
    device = session.get(Device, gate.device.id)
    assert device is not None
    assert device.clock_skew_ms == pytest.approx(HOUR * 1000, abs=3000)

    # An unsigned (forged) stale request is refused the same way but records nothing.
    forged = gate.headers("POST", path, body, timestamp=int(time.time()) - DAY)
    forged["X-SiteGate-Signature"] = "00" * 64
    assert client.post(path, content=body, headers=forged).json()["code"] == "device.stale"
    session.expire_all()
    device = session.get(Device, gate.device.id)
    assert device is not None
    assert device.clock_skew_ms == pytest.approx(HOUR * 1000, abs=3000)
