"""Duplicate, reordered and replayed batches against a real server: a batch sent twice, later
batches before earlier ones, events shuffled inside a batch, the very same signed request
replayed (same nonce), and one replayed after the freshness window. Every event must be stored
exactly once, every replay refused, and no answer may be a 5xx."""

from __future__ import annotations

import datetime as dt
import time

import httpx

from edge.sync import EVENTS_PATH
from models.device_auth import load_private_key, sign_request
from models.gate_event import GateEvent
from models.sync import EventBatch
from soak.context import Context
from soak.gate import SoakGate, compare, seed_gate_world
from soak.procs import ServerProc, database
from soak.result import CheckResult

T0 = dt.datetime(2026, 11, 4, 6, 30, tzinfo=dt.UTC)


class _Sender:
    def __init__(self, gate: SoakGate, base_url: str) -> None:
        self.device = gate.seeded.device_code
        self.key = load_private_key((gate.data / "device.key").read_bytes())
        self.http = httpx.Client(base_url=base_url, timeout=30)
        self.requests = 0
        self.server_errors = 0

    def signed(
        self, events: list[GateEvent], *, at: int | None = None
    ) -> tuple[bytes, dict[str, str]]:
        body = EventBatch(events=events).model_dump_json().encode()
        headers = sign_request(
            self.key, self.device, "POST", EVENTS_PATH, body, at or int(time.time())
        )
        headers["Content-Type"] = "application/json"
        return body, headers

    def post(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        r = self.http.post(EVENTS_PATH, content=body, headers=headers)
        self.requests += 1
        self.server_errors += r.status_code >= 500
        return r

    def send(self, events: list[GateEvent]) -> httpx.Response:
        return self.post(*self.signed(events))


def run(ctx: Context) -> list[CheckResult]:
    rounds = ctx.size(2, 40)
    results = []
    for backend in ctx.backends:
        started = time.monotonic()
        res = CheckResult("duplicate / reordered / replayed batches", backend=backend, cycles=0)
        refused, replays = 0, 0
        with database(backend, ctx.workdir, ctx.pg_url) as db_url:
            seeded = seed_gate_world(db_url)
            server = ServerProc(db_url, log=ctx.workdir / f"replay-{backend}.log")
            server.start()
            gate = SoakGate.provision(seeded, server.url, ctx.workdir / f"replay-{backend}")
            sender = _Sender(gate, server.url)
            try:
                for r in range(rounds):
                    before = gate.outbox.stats().last_seq
                    gate.append(300, ctx.rng, T0 + dt.timedelta(hours=r))
                    events = gate.outbox.events(after_seq=before, limit=300)
                    a, b, c = events[:100], events[100:200], events[200:]
                    sender.send(c)  # a later batch first: stored, not yet contiguous
                    shuffled = list(b)
                    ctx.rng.shuffle(shuffled)
                    sender.send(shuffled)  # the gap's events, out of order inside the batch
                    body, headers = sender.signed(a)
                    sender.post(body, headers)
                    sender.send(a)  # the same batch again, freshly signed: all duplicates
                    sender.send(events)  # everything once more
                    replays += 2
                    refused += sender.post(body, headers).status_code == 401  # same nonce
                    old_body, old_headers = sender.signed(a, at=int(time.time()) - 3600)
                    refused += sender.post(old_body, old_headers).status_code == 401  # stale
                    res.cycles = (res.cycles or 0) + 1
                gate.worker.flush_events()  # the gate itself: the server has it all already
                tally = compare(gate, db_url)
            finally:
                sender.http.close()
                gate.close()
                server.stop()
        res.cases = sender.requests
        res.server_errors = sender.server_errors
        res.lost = tally.lost + tally.breaks
        res.duplicates = tally.duplicates
        res.tampered, res.detected = replays, refused
        res.notes.append(
            f"{tally.held} events, {tally.stored} stored, {refused}/{replays} replays refused, "
            f"{tally.breaks} chain breaks"
        )
        res.seconds = time.monotonic() - started
        results.append(res)
    return results
