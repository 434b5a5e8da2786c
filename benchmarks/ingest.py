"""Ingest throughput: batched (1,000 events per request) against one request per event, on
SQLite and PostgreSQL, in one run, through the real app served by uvicorn on loopback.

    uv run python benchmarks/ingest.py [--events 20000] [--single 1000] [--devices 2] [--workers 2]

Each backend gets a fresh database (SQLite temp file; PostgreSQL database `sitegate_bench` on
127.0.0.1:5432, user postgres). Devices are provisioned with a real one-time code and every event
is pre-sealed and pre-signed, so the timed part is what the server does: request signature,
nonce, parse, per-event hash and Ed25519 signature, chain check, bulk insert, cursor update.
Batched uploads run one thread per device (each device uploads its batches in order, as a gate
does); the server runs `--workers` uvicorn processes, since a real server receives many gates.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from models.device_auth import (  # noqa: E402
    new_private_key,
    public_key_hex,
    sign_event_hash,
    sign_request,
)
from models.enums import CredentialKind, Direction, GateMode, GateResult  # noqa: E402
from models.gate_event import GENESIS_HASH, GateEvent, GateEventBody, seal  # noqa: E402
from models.sync import EventBatch  # noqa: E402
from server.db import migrate  # noqa: E402
from server.db.session import make_engine, make_sessionmaker, unit_of_work  # noqa: E402
from server.registry import service as registry_service  # noqa: E402
from server.registry.models import Device, Project  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_BENCH = "postgresql://postgres@127.0.0.1:5432/sitegate_bench"
EVENTS_PATH = "/api/v1/edge/events"
T0 = dt.datetime(2026, 5, 1, 7, 0, tzinfo=dt.UTC)


@dataclass
class BenchDevice:
    code: str
    key: Ed25519PrivateKey


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def fresh_database(backend: str, tmp: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp / 'bench.sqlite3'}"
    admin = make_engine(PG_ADMIN)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text('DROP DATABASE IF EXISTS "sitegate_bench" WITH (FORCE)'))
        conn.execute(text('CREATE DATABASE "sitegate_bench"'))
    admin.dispose()
    return PG_BENCH


def make_devices(url: str, count: int) -> list[tuple[str, str]]:
    """A project and `count` devices, each with a one-time provisioning code."""
    engine = make_engine(url)
    out = []
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            project = Project(code=f"BENCH-{uuid.uuid4().hex[:6]}", name="压测项目")
            session.add(project)
            session.flush()
            for n in range(count):
                code = f"bench-{uuid.uuid4().hex}"
                device = Device(
                    code=f"GATE-BENCH-{n}",
                    project_id=project.id,
                    direction=Direction.IN,
                    provisioning_code_hash=registry_service.provisioning_code_hash(code),
                    provisioning_expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1),
                )
                session.add(device)
                out.append((device.code, code))
    finally:
        engine.dispose()
    return out


@contextlib.contextmanager
def serve(
    url: str, workers: int, *, every_signature: bool = False
) -> Iterator[tuple[list[str], list[int]]]:
    """`workers` single-process uvicorn servers on their own ports, as behind a load balancer.

    Not `uvicorn --workers N`: its supervisor pre-binds the socket without IPPROTO_TCP, so the
    accepted sockets never get TCP_NODELAY and every keep-alive request waits ~43 ms for a
    delayed ACK (Kludex/uvicorn#3149) -- that would measure Nagle, not ingest. `sitegate server`
    runs one process and is not affected.
    """
    env = {
        **os.environ,
        "SITEGATE_DATABASE_URL": url,
        "SITEGATE_ENVIRONMENT": "test",
        "SITEGATE_SECRET_KEY": "bench",
        "SITEGATE_TEMPLATE_KEY": "bench",
        "SITEGATE_INGEST_VERIFY_EVERY_SIGNATURE": "1" if every_signature else "0",
    }
    procs: list[subprocess.Popen[bytes]] = []
    bases: list[str] = []
    try:
        for _ in range(workers):
            port = free_port()
            cmd = [
                sys.executable, "-m", "uvicorn", "server.app:create_app", "--factory",
                "--host", "127.0.0.1", "--port", str(port),
                "--log-level", "warning", "--no-access-log",
            ]  # fmt: skip
            procs.append(subprocess.Popen(cmd, cwd=REPO, env=env))
            bases.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 90
        for base, proc in zip(bases, procs, strict=True):
            while True:
                try:
                    if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("server did not start")
                time.sleep(0.2)
        yield bases, [p.pid for p in procs]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def cpu_s(pids: list[int]) -> float:
    return sum(tree_cpu_s(p) for p in pids)


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of a process and its children, from /proc (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    with contextlib.suppress(OSError):
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    for p in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def provision(base: str, device_code: str, code: str) -> BenchDevice:
    key = new_private_key()
    r = httpx.post(
        f"{base}/api/v1/edge/provision", json={"code": code, "public_key": public_key_hex(key)}
    )
    r.raise_for_status()
    assert r.json()["device_id"] == device_code
    return BenchDevice(device_code, key)


def signed_events(device: BenchDevice, first: int, count: int, prev: str) -> list[GateEvent]:
    out = []
    for seq in range(first, first + count):
        body = GateEventBody(
            event_id=uuid.uuid4(),
            device_id=device.code,
            seq=seq,
            device_time=T0 + dt.timedelta(seconds=seq),
            direction=Direction.IN,
            mode=GateMode.CARD_AND_FACE,
            credential=CredentialKind.ID_CARD,
            credential_ref="110101********1234",
            worker_id=seq % 500 + 1,
            result=GateResult.GRANTED,
            face_score=0.4123,
            prev_hash=prev,
        )
        sealed = seal(body)
        event = sealed.model_copy(update={"signature": sign_event_hash(device.key, sealed.hash)})
        out.append(event)
        prev = event.hash
    return out


def client(base: str, timeout: float) -> httpx.Client:
    # TCP_NODELAY: httpx writes headers and body separately; Nagle + delayed ACK adds 40 ms.
    transport = httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
    return httpx.Client(base_url=base, timeout=timeout, transport=transport)


def upload(http: httpx.Client, device: BenchDevice, bodies: list[bytes], last_seq: int) -> None:
    high = 0
    for body in bodies:
        headers = sign_request(device.key, device.code, "POST", EVENTS_PATH, body, int(time.time()))
        headers["Content-Type"] = "application/json"
        r = http.post(EVENTS_PATH, content=body, headers=headers)
        if r.status_code != 200:
            raise RuntimeError(f"{r.status_code}: {r.text[:300]}")
        high = r.json()["highest_contiguous_seq"]
    if high != last_seq:
        raise RuntimeError(f"{device.code}: acked {high}, expected {last_seq}")


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        url = fresh_database(backend, Path(tmp))
        migrate.upgrade(url)
        codes = make_devices(url, args.devices + 1)
        with serve(url, args.workers, every_signature=args.verify_every_signature) as (
            bases,
            pids,
        ):
            base = bases[0]
            devices = [provision(base, dcode, code) for dcode, code in codes]
            single_dev, batch_devs = devices[0], devices[1:]

            # One request per event (a single gate, as an edge without batching would send).
            single = [
                EventBatch(events=[e]).model_dump_json().encode()
                for e in signed_events(single_dev, 1, args.single, GENESIS_HASH)
            ]
            with client(base, 60) as http:
                start, cpu = time.perf_counter(), cpu_s(pids)
                upload(http, single_dev, single, args.single)
                one_rate = args.single / (time.perf_counter() - start)
                one_cpu = args.single / max(cpu_s(pids) - cpu, 1e-9)

            # Batched: 1,000 per request, one thread per gate.
            per_device = args.events // len(batch_devs)
            plans = []
            for dev in batch_devs:
                events = signed_events(dev, 1, per_device, GENESIS_HASH)
                bodies = [
                    EventBatch(events=events[i : i + 1000]).model_dump_json().encode()
                    for i in range(0, per_device, 1000)
                ]
                plans.append((dev, bodies))
            failures: list[BaseException] = []

            def worker(dev: BenchDevice, bodies: list[bytes], base: str) -> None:
                try:
                    with client(base, 120) as http:
                        upload(http, dev, bodies, per_device)
                except BaseException as exc:
                    failures.append(exc)

            threads = [
                threading.Thread(target=worker, args=(*plan, bases[i % len(bases)]))
                for i, plan in enumerate(plans)
            ]
            start, cpu = time.perf_counter(), cpu_s(pids)
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            batch_rate = per_device * len(batch_devs) / (time.perf_counter() - start)
            batch_cpu = per_device * len(batch_devs) / max(cpu_s(pids) - cpu, 1e-9)
            if failures:
                raise failures[0]
    return {
        "one_per_request": one_rate,
        "batched": batch_rate,
        "one_cpu": one_cpu,
        "batched_cpu": batch_cpu,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000, help="batched events in total")
    parser.add_argument("--single", type=int, default=1_000, help="events sent one per request")
    parser.add_argument("--devices", type=int, default=2, help="gates uploading batches at once")
    parser.add_argument("--workers", type=int, default=2, help="single-process servers")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--verify-every-signature",
        action="store_true",
        help="check every event's signature at ingest (default: one per contiguous run)",
    )
    args = parser.parse_args()
    print(
        f"ingest benchmark: {args.events} events batched (1000/request, {args.devices} gates "
        f"at once), {args.single} events one per request; {args.workers} server processes; "
        f"signatures checked: {'every event' if args.verify_every_signature else 'per run'}; "
        f"{os.cpu_count()} CPUs"
    )
    load = os.getloadavg()[0]
    print(f"load average before: {load:.1f} (other work on the machine skews wall time)")
    print(
        f"{'backend':<12}{'batched ev/s':>14}{'1/request ev/s':>16}{'ratio':>8}"
        f"{'batched ev/app-CPU-s':>22}{'1/request ev/app-CPU-s':>24}"
    )
    for backend in args.backends.split(","):
        r = run_backend(backend, args)
        ratio = r["batched"] / r["one_per_request"]
        print(
            f"{backend:<12}{r['batched']:>14,.0f}{r['one_per_request']:>16,.0f}{ratio:>7.1f}x"
            f"{r['batched_cpu']:>22,.0f}{r['one_cpu']:>24,.0f}"
        )


if __name__ == "__main__":
    main()
