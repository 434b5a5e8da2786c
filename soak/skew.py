"""Gates whose clocks are off by ±1 hour and ±1 day upload to a real server: after one
device.stale answer each corrects its request timestamps and keeps going; every record is
stored exactly once with the gate's own time, and the 考勤凭证 flags each one's skew."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

import httpx

from edge.decision import Attempt
from edge.outbox import Outbox
from edge.roster_cache import RosterCache
from edge.sync import SyncClient, SyncWorker, provision
from models.device_auth import new_private_key
from models.enums import CredentialKind, Direction, GateMode, GateResult
from soak.context import Context
from soak.procs import ServerProc, database, server_events
from soak.result import CheckResult
from soak.world import add_admin, admin_client, seed

SKEWS_S = (3600, -3600, 86400, -86400)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _shifted(skew_s: int) -> Callable[[], float]:
    return lambda: time.time() + skew_s


class CountingTransport(httpx.HTTPTransport):
    """Remembers the status of every answer (how many stale answers before it got through)."""

    def __init__(self) -> None:
        super().__init__()
        self.statuses: list[int] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        self.statuses.append(response.status_code)
        return response


def run(ctx: Context) -> list[CheckResult]:
    per_gate = ctx.size(20, 500)
    results = []
    for backend in ctx.backends:
        started = time.monotonic()
        res = CheckResult("gate clocks ±1 h, ±1 day", backend=backend)
        cycles = lost = duplicates = tampered = detected = cases = 0
        problems: list[str] = []
        with database(backend, ctx.workdir, ctx.pg_url) as db_url:
            sites = {s: seed(db_url, [("w", f"工人{s}", None, [], False)]) for s in SKEWS_S}
            add_admin(db_url)
            server = ServerProc(db_url, log=ctx.workdir / f"skew-{backend}.log")
            server.start()
            try:
                http = admin_client(server.url)
                for skew, site in sites.items():
                    key = new_private_key()
                    provision(server.url, site.provisioning_code, key)
                    transport = CountingTransport()
                    client = SyncClient(
                        server.url,
                        device_code=site.device_code,
                        key=key,
                        transport=transport,
                        clock=_shifted(skew),
                    )
                    data = ctx.workdir / f"skew-{backend}-{skew}"
                    outbox = Outbox(data / "outbox.sqlite3", device_id=site.device_code, key=key)
                    roster = RosterCache(data / "roster.sqlite3", key=b"k" * 32)
                    person = site.people["w"]
                    for i in range(per_gate):
                        outbox.append(
                            Attempt(
                                at=client.local_now() - dt.timedelta(seconds=i),
                                direction=Direction.IN if i % 2 else Direction.OUT,
                                mode=GateMode.CARD_ONLY,
                                result=GateResult.GRANTED,
                                credential=CredentialKind.IC_CARD,
                                credential_ref=f"C0{i:06X}",
                                worker_id=person.worker_id,
                            )
                        )
                    sync = SyncWorker(client, outbox, roster, batch_size=50)
                    try:
                        sync.flush_events()
                        sync.send_heartbeat()
                    except Exception as exc:  # a gate that stops uploading fails the check
                        problems.append(f"{skew:+d} s: {exc}")
                    if transport.statuses.count(401) != 1:
                        problems.append(f"{skew:+d} s: answers {transport.statuses[:6]}")
                    events = list(outbox.iter_events())
                    rows = server_events(db_url, site.device_pk)
                    stored = {s: h for s, _, h, _ in rows}
                    duplicates += len(rows) - len(stored)
                    lost += sum(1 for e in events if stored.get(e.seq) != e.hash)
                    cycles += 1
                    months = sorted(
                        {e.device_time.astimezone(SHANGHAI).strftime("%Y-%m") for e in events}
                    )
                    for month in months:
                        r = http.get(
                            f"/api/v1/projects/{site.project_id}/workers/{person.worker_id}/evidence",
                            params={"month": month},
                        )
                        cases += 1
                        if r.status_code != 200:
                            problems.append(f"{skew:+d} s: evidence {r.status_code}")
                            continue
                        for event in r.json()["events"]:
                            tampered += 1
                            kinds = [w["kind"] for w in event["warnings"]]
                            detected += int("clock_skew" in kinds)
                            recorded = next(e for e in events if e.seq == event["seq"])
                            if (
                                dt.datetime.fromisoformat(event["device_time"])
                                != recorded.device_time
                            ):
                                problems.append(f"{skew:+d} s: seq {event['seq']} time changed")
                    client.close()
                    outbox.close()
                    roster.close()
                http.close()
            finally:
                server.stop()
        res.cycles, res.lost, res.duplicates, res.cases = cycles, lost, duplicates, cases
        res.tampered, res.detected = tampered, detected
        res.failures = len(problems)
        res.notes.append(
            f"{len(SKEWS_S)} gates × {per_gate} records; skew flagged on {detected}/{tampered}"
            + (
                f"; {'; '.join(problems[:4])}"
                if problems
                else "; each uploaded after one stale answer"
            )
        )
        res.seconds = time.monotonic() - started
        results.append(res)
    return results
