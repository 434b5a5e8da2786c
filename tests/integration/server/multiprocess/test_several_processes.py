"""`sitegate server --workers 2`, and two single-worker servers on one database: what a user or a
gate does on one process holds on the next, whichever serves it (issue 17)."""

from __future__ import annotations

import os
import re
import signal
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from models.device_auth import new_private_key, public_key_hex
from models.gate_event import GateEvent
from models.sync import EventBatch
from server.anchors import digest
from server.anchors.models import DailyDigest
from server.db.session import make_engine
from server.ingest import service as ingest_service
from server.ingest.models import GateEventRow
from server.reconciliation.models import Finding, ReconMonthState
from server.registry.models import Device
from tests.factories import make_device
from tests.integration.server.ingest.ingest_support import Gate, set_code
from tests.integration.server.multiprocess.mp_support import (
    ISSUER_LEADS,
    PASSWORD,
    POSTGRES_ONLY,
    Server,
    World,
)
from tests.support.payroll_month import csv_bytes, line

pytestmark = POSTGRES_ONLY

EVENTS = "/api/v1/edge/events"
PERIOD = "2026-10"


def token(url: str, username: str, password: str = PASSWORD) -> httpx.Response:
    return httpx.post(
        f"{url}/api/v1/auth/token", data={"username": username, "password": password}, timeout=30
    )


def bearer(url: str, username: str) -> dict[str, str]:
    r = token(url, username)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def in_parallel(*calls: Callable[[], httpx.Response]) -> list[httpx.Response]:
    """Start the calls together (a barrier), each on its own thread; their answers in order."""
    barrier = threading.Barrier(len(calls))

    def go(call: Callable[[], httpx.Response]) -> httpx.Response:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(go, calls))


def provision(world: World, url: str, n: int) -> list[Gate]:
    """n new gates of the month's project, provisioned through the server at `url`."""
    engine = make_engine(world.url)
    codes: list[tuple[Device, str]] = []
    with Session(engine, expire_on_commit=False) as s:
        for _ in range(n):
            device = make_device(s, world.month.project)
            code = f"code-{uuid.uuid4().hex[:12]}"
            set_code(s, device, code)
            codes.append((device, code))
        s.commit()
    engine.dispose()
    gates = []
    for device, code in codes:
        key = new_private_key()
        r = httpx.post(
            f"{url}/api/v1/edge/provision",
            json={"code": code, "public_key": public_key_hex(key)},
            timeout=30,
        )
        assert r.status_code == 200, r.text
        gates.append(Gate(httpx.Client(base_url=url), device, key))  # type: ignore[arg-type]
    return gates


def send(url: str, gate: Gate, events: list[GateEvent]) -> httpx.Response:
    """One signed upload to the server at `url`, on a new connection (any worker may take it)."""
    body = EventBatch(events=events).model_dump_json().encode()
    headers = gate.headers("POST", EVENTS, body)
    return httpx.post(f"{url}{EVENTS}", content=body, headers=headers, timeout=60)


def pids_seen(data_dir: Path, server: Server) -> set[int]:
    """The worker pids with metrics files in this start's folder: each served a request."""
    folder = data_dir / "metrics" / str(server.proc.pid)
    found = (re.search(r"_(\d+)\.db$", p.name) for p in folder.glob("*.db"))
    return {int(m.group(1)) for m in found if m}


# --- sign-in sessions and the throttle ----------------------------------------------------------


class TestSignIn:
    def test_a_session_holds_on_every_worker(self, two_workers: Server, data_dir: Path) -> None:
        headers = bearer(two_workers.url, "boss")

        def me(_: int) -> int:
            return httpx.get(f"{two_workers.url}/api/v1/auth/me", headers=headers).status_code

        with ThreadPoolExecutor(6) as pool:
            codes = list(pool.map(me, range(120)))
        assert codes == [200] * 120
        # both workers answered some of them (each keeps its own metrics file)
        assert len(two_workers.worker_pids()) == 2
        assert pids_seen(data_dir, two_workers) == two_workers.worker_pids()

    def test_signed_in_on_one_server_signed_out_on_the_other(
        self, pair: tuple[Server, Server]
    ) -> None:
        a, b = pair
        headers = bearer(a.url, "boss")
        assert httpx.get(f"{b.url}/api/v1/auth/me", headers=headers).json()["username"] == "boss"
        assert httpx.post(f"{b.url}/api/v1/auth/logout", headers=headers).status_code == 204
        assert httpx.get(f"{a.url}/api/v1/auth/me", headers=headers).status_code == 401

    def test_failed_sign_ins_count_across_processes(self, pair: tuple[Server, Server]) -> None:
        a, b = pair
        # login_max_failures is 5: three here and two there lock the account from this address
        codes = [token(s.url, "locked", "wrong").status_code for s in (a, b, a, b)]
        assert codes == [401] * 4
        assert token(a.url, "locked", "wrong").status_code in (401, 429)
        refused = token(b.url, "locked")  # the right password, on the other process
        assert refused.status_code == 429, refused.text
        assert "Retry-After" in refused.headers


# --- gates -----------------------------------------------------------------------------------


class TestGates:
    def test_twenty_gates_upload_at_once_through_three_servers(
        self, world: World, two_workers: Server, pair: tuple[Server, Server]
    ) -> None:
        urls = [two_workers.url, pair[0].url, pair[1].url]
        gates = provision(world, urls[0], 20)

        def run(index: int) -> list[int]:
            gate = gates[index]
            acks = []
            for batch in range(5):
                events = gate.chain(batch * 10 + 1, batch * 10 + 10)
                r = send(urls[(index + batch) % 3], gate, events)
                assert r.status_code == 200, r.text
                acks.append(r.json()["highest_contiguous_seq"])
            return acks

        with ThreadPoolExecutor(20) as pool:
            acks = list(pool.map(run, range(20)))
        assert acks == [[10, 20, 30, 40, 50]] * 20
        engine = make_engine(world.url)
        with Session(engine) as s:
            for gate in gates:
                stored = s.scalar(
                    select(func.count(func.distinct(GateEventRow.seq))).where(
                        GateEventRow.device_id == gate.device.id
                    )
                )
                rows = s.scalar(
                    select(func.count()).where(GateEventRow.device_id == gate.device.id)
                )
                assert (stored, rows) == (50, 50)
                report = ingest_service.verify_chain(s, gate.device.id)
                assert report.intact, report.problems
                assert report.highest_contiguous_seq == 50
        engine.dispose()
        for gate in gates:
            gate.client.close()

    def test_the_same_batch_to_two_processes_at_once_is_stored_once(
        self, world: World, pair: tuple[Server, Server]
    ) -> None:
        a, b = pair
        (gate,) = provision(world, a.url, 1)
        for batch in range(6):
            events = gate.chain(batch * 10 + 1, batch * 10 + 10)
            answers = in_parallel(
                lambda: send(a.url, gate, events),  # noqa: B023 - called before the loop moves on
                lambda: send(b.url, gate, events),  # noqa: B023
            )
            assert [r.status_code for r in answers] == [200, 200], [r.text for r in answers]
            acks = [r.json() for r in answers]
            assert sorted((x["inserted"], x["duplicates"]) for x in acks) == [(0, 10), (10, 0)]
            assert {x["highest_contiguous_seq"] for x in acks} == {batch * 10 + 10}
        engine = make_engine(world.url)
        with Session(engine) as s:
            rows = s.scalar(select(func.count()).where(GateEventRow.device_id == gate.device.id))
            assert rows == 60
            assert ingest_service.verify_chain(s, gate.device.id).intact
        engine.dispose()
        gate.client.close()

    def test_a_replayed_nonce_is_refused_by_whichever_process_sees_it_second(
        self, world: World, pair: tuple[Server, Server]
    ) -> None:
        a, b = pair
        (gate,) = provision(world, a.url, 1)

        def post(url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
            return httpx.post(f"{url}{EVENTS}", content=body, headers=headers, timeout=60)

        body = EventBatch(events=gate.chain(1, 3)).model_dump_json().encode()
        headers = gate.headers("POST", EVENTS, body)
        assert post(a.url, body, headers).status_code == 200
        again = post(b.url, body, headers)
        assert again.status_code == 401
        assert again.json()["code"] == "device.replay"
        for first in range(4, 40, 3):  # and sent to both at the same moment: one wins
            body = EventBatch(events=gate.chain(first, first + 2)).model_dump_json().encode()
            headers = gate.headers("POST", EVENTS, body)
            answers = in_parallel(
                lambda: post(a.url, body, headers),  # noqa: B023 - called before the loop moves on
                lambda: post(b.url, body, headers),  # noqa: B023
            )
            assert sorted(r.status_code for r in answers) == [200, 401], [r.text for r in answers]
            assert [r.json()["code"] for r in answers if r.status_code == 401] == ["device.replay"]
        gate.client.close()


# --- a reconciliation run racing a 代发 import ------------------------------------------------


class TestReconciliationRacesImport:
    """Invariant: a run and an import of one project take turns (both lock the project row), so
    afterwards either the run saw the whole import and the month is current (running it again
    changes nothing), or the run came first and the import marked the month stale; one finding
    per key and one month-state row, whichever order it was."""

    def test_every_race_ends_in_a_serial_order(
        self, world: World, pair: tuple[Server, Server]
    ) -> None:
        a, b = pair
        month = world.month
        project_id = month.project.id
        base = f"/api/v1/projects/{project_id}"
        run_url = f"{a.url}{base}/reconciliation/{PERIOD}/run?today=2026-11-20"
        state_url = f"{a.url}{base}/reconciliation/{PERIOD}?today=2026-11-20"
        runner, importer = bearer(a.url, "boss"), bearer(b.url, "importer")
        assert httpx.post(run_url, headers=runner, timeout=60).status_code == 200
        worker = month.workers["B"]  # unpaid so far: each file pays B a little more
        orders = []
        for round_no in range(6):
            paid = f"{100 + round_no}.00"
            data = csv_bytes([line(worker.name, worker.id_number, worker.bank_card or "", paid)])

            def run() -> httpx.Response:
                return httpx.post(run_url, headers=runner, timeout=60)

            def upload(data: bytes = data, n: int = round_no) -> httpx.Response:
                return httpx.post(
                    f"{b.url}{base}/payroll/imports",
                    headers=importer,
                    files={"file": (f"b-{n}.csv", data, "text/csv")},
                    timeout=60,
                )

            ran, imported = in_parallel(run, upload)
            assert ran.status_code == 200, ran.text
            assert imported.status_code == 201, imported.text
            state = httpx.get(state_url, headers=runner, timeout=60).json()
            again = httpx.post(run_url, headers=runner, timeout=60).json()
            changed = again["raised"] + again["updated"] + again["reopened"] + again["gone"]
            if state["stale"]:
                orders.append("run, then import")
                assert changed > 0  # the import did change what the run had stored
            else:
                orders.append("import, then run")
                assert changed == 0, again  # the run had seen all of the import
        engine = make_engine(world.url)
        with Session(engine) as s:
            doubled = s.execute(
                select(Finding.key, func.count())
                .where(Finding.project_id == project_id, Finding.period == PERIOD)
                .group_by(Finding.key)
                .having(func.count() > 1)
            ).all()
            assert doubled == []
            states = s.scalar(
                select(func.count()).where(
                    ReconMonthState.project_id == project_id, ReconMonthState.period == PERIOD
                )
            )
            assert states == 1
        engine.dispose()
        print(orders)  # noqa: T201 - which orders the races took, for -s


# --- the work that runs once ------------------------------------------------------------------


class TestOnce:
    def test_the_digest_issuer_runs_in_one_worker(self, world: World, two_workers: Server) -> None:
        engine = make_engine(world.url)
        project_id = world.month.project.id
        deadline = time.monotonic() + 60
        days: list[DailyDigest] = []
        with Session(engine) as s:
            while time.monotonic() < deadline:
                days = list(
                    s.scalars(
                        select(DailyDigest)
                        .where(DailyDigest.project_id == project_id)
                        .order_by(DailyDigest.day)
                    )
                )
                if len(days) >= 9:  # from ten days ago through yesterday
                    break
                s.rollback()
                time.sleep(0.5)
            holders = s.execute(
                text(
                    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                    " AND classid = 0 AND objid = :k"
                ),
                {"k": digest.ISSUER_LOCK_KEY},
            ).all()
        engine.dispose()
        assert len(holders) == 1  # one database session of one worker holds the lead
        assert len(days) >= 9
        leaders = set(ISSUER_LEADS.findall(two_workers.log()))
        assert len(leaders) == 1, two_workers.log()
        assert {int(p) for p in leaders} <= two_workers.worker_pids()
        prev = digest.GENESIS
        for row in days:  # one chain, each day once
            assert row.prev_sha256 == prev
            prev = row.sha256
        assert len({row.day for row in days}) == len(days)

    def test_metrics_sum_both_workers(self, two_workers: Server, data_dir: Path) -> None:
        pattern = re.compile(
            r'^sitegate_http_request_duration_seconds_count\{method="GET",'
            r'route="/api/v1/health",status="200"\} (\S+)$',
            re.MULTILINE,
        )

        def count() -> float:
            body = httpx.get(f"{two_workers.url}/metrics", timeout=30).text
            found = pattern.search(body)
            return float(found.group(1)) if found else 0.0

        before = count()

        def health(_: int) -> int:
            return httpx.get(f"{two_workers.url}/api/v1/health", timeout=30).status_code

        with ThreadPoolExecutor(6) as pool:
            assert set(pool.map(health, range(90))) == {200}
        assert count() - before == 90  # one scrape, both workers' requests
        assert pids_seen(data_dir, two_workers) == two_workers.worker_pids()


@pytest.fixture(autouse=True)
def _fresh_throttle(world: World) -> None:
    """The sign-in tests share one address: no test starts blocked by another's failures."""
    engine = make_engine(world.url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM auth_throttle"))
    engine.dispose()


class TestAWorkerDies:
    """Last in the module: it kills a worker of the shared --workers 2 server."""

    def test_a_new_worker_starts_and_the_lead_moves(self, two_workers: Server) -> None:
        (leader,) = {int(p) for p in ISSUER_LEADS.findall(two_workers.log())}
        assert leader in two_workers.worker_pids()
        os.kill(leader, signal.SIGKILL)  # a worker of the server this test started
        deadline = time.monotonic() + 90
        leaders: set[int] = {leader}
        while time.monotonic() < deadline:
            leaders = {int(p) for p in ISSUER_LEADS.findall(two_workers.log())}
            if len(leaders) == 2 and len(two_workers.worker_pids()) == 3:
                break
            time.sleep(0.5)
        assert len(two_workers.worker_pids()) == 3, two_workers.log()  # the supervisor's new one
        assert len(leaders - {leader}) == 1, two_workers.log()  # another leads now
        assert f"server worker {leader} died" in two_workers.log()
        codes = {httpx.get(f"{two_workers.url}/api/v1/health").status_code for _ in range(20)}
        assert codes == {200}
