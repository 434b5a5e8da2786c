"""A gate whose clock is off, against the real server in a subprocess over real HTTP (issue 10
item 4): the gate's clock is 1 hour or 1 day ahead or behind; after one device.stale answer the
edge corrects its request timestamps (never its recorded event times) and uploads and heartbeats
succeed; the gates page shows the skew and the 考勤凭证 flags every record."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from edge_e2e_support import ServerProc, seed

from edge.decision import Attempt
from edge.outbox import Outbox
from edge.roster_cache import RosterCache
from edge.sync import SyncClient, SyncWorker, provision
from models.device_auth import new_private_key
from models.enums import CredentialKind, Direction, GateMode, GateResult, Role
from models.ids import mask_id_number
from soak.skew import CountingTransport

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

HOUR, DAY = 3600, 86400
SKEWS = {
    HOUR: ("闸机时钟偏差 1 小时(快)", "gate clock off by 1 hour (ahead)"),
    -HOUR: ("闸机时钟偏差 1 小时(慢)", "gate clock off by 1 hour (behind)"),
    DAY: ("闸机时钟偏差 1 天(快)", "gate clock off by 1 day (ahead)"),
    -DAY: ("闸机时钟偏差 1 天(慢)", "gate clock off by 1 day (behind)"),
}


def _manager(db_url: str, project_ids: list[int]) -> str:
    from sqlalchemy.orm import Session

    from server.db.session import make_engine
    from server.registry.models import Project
    from tests.factories import make_user

    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            projects = [session.get(Project, pid) for pid in project_ids]
            user = make_user(session, Role.SITE_MANAGER, [p for p in projects if p])
            session.commit()
            return user.username
    finally:
        engine.dispose()


def _web(url: str, username: str) -> httpx.Client:
    from tests.factories import PASSWORD

    web = httpx.Client(base_url=url, timeout=10.0)
    page = web.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    r = web.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert r.status_code in (200, 303), r.text
    return web


def test_skewed_gates_upload_and_are_flagged(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'server.sqlite3'}"
    sites = {
        skew: seed(db_url, [("w", f"工人{i}", None, [], False)]) for i, skew in enumerate(SKEWS)
    }
    username = _manager(db_url, [s.project_id for s in sites.values()])
    server = ServerProc(db_url)
    server.start()
    recorded: dict[int, list[dt.datetime]] = {}
    try:
        for skew, site in sites.items():
            key = new_private_key()
            provision(server.url, site.provisioning_code, key)
            transport = CountingTransport()
            client = SyncClient(
                server.url,
                device_code=site.device_code,
                key=key,
                transport=transport,
                clock=lambda s=skew: time.time() + s,
            )
            gate_dir = tmp_path / f"gate{skew}"
            outbox = Outbox(gate_dir / "outbox.sqlite3", device_id=site.device_code, key=key)
            roster = RosterCache(gate_dir / "roster.sqlite3", key=b"k" * 32)
            try:
                sync = SyncWorker(client, outbox, roster)
                person = site.people["w"]
                times = []
                for _ in range(2):
                    when = client.local_now()
                    outbox.append(
                        Attempt(
                            at=when,
                            direction=Direction.IN,
                            mode=GateMode.CARD_ONLY,
                            result=GateResult.GRANTED,
                            credential=CredentialKind.ID_CARD,
                            credential_ref=mask_id_number(person.id_number),
                            worker_id=person.worker_id,
                        )
                    )
                    times.append(when)
                recorded[skew] = times
                assert sync.flush_events() == 2
                sync.send_heartbeat()
                assert transport.statuses == [401, 200, 200], skew
                assert client.clock_offset_s == pytest.approx(-skew, abs=5)
                assert outbox.stats().depth == 0
            finally:
                client.close()
                outbox.close()
                roster.close()

        web = _web(server.url, username)
        try:
            for skew, site in sites.items():
                zh, _en = SKEWS[skew]
                page = web.get(f"/site/{site.project_id}/gates").text
                assert zh in page, skew
                first = recorded[skew][0].astimezone(ZoneInfo("Asia/Shanghai"))
                r = web.get(
                    f"/api/v1/projects/{site.project_id}/workers/"
                    f"{site.people['w'].worker_id}/evidence",
                    params={"month": f"{first.year:04d}-{first.month:02d}"},
                )
                assert r.status_code == 200, r.text
                events = r.json()["events"]
                month_times = [
                    t for t in recorded[skew] if t.astimezone(first.tzinfo).month == first.month
                ]
                assert len(events) == len(month_times)
                for event, when in zip(events, month_times, strict=True):
                    # The record keeps the gate's own clock, to the microsecond.
                    assert dt.datetime.fromisoformat(event["device_time"]) == when
                    assert event["ok"] is True
                    (warning,) = event["warnings"]
                    assert warning["kind"] == "clock_skew"
                    assert int(warning["got"]) == pytest.approx(skew, abs=5)
        finally:
            web.close()
    finally:
        server.stop()
