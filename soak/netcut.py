"""Network cuts mid-upload: a loopback TCP proxy between gate and server resets connections
after a random number of bytes, in either direction (a request half sent, an answer half
received). The gate keeps uploading through it; every event must be stored exactly once."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import socket
import struct
import threading
import time

from edge.sync import SyncError
from soak.context import Context
from soak.gate import SoakGate, compare, seed_gate_world
from soak.procs import ServerProc, database
from soak.result import CheckResult

T0 = dt.datetime(2026, 11, 3, 6, 30, tzinfo=dt.UTC)


class CuttingProxy:
    """Forwards 127.0.0.1:<port> to the server; every connection is cut (TCP RST, both sides)
    after a random number of bytes in one direction: soon with probability `cut_p`, else later."""

    def __init__(self, upstream_port: int, rng: random.Random, cut_p: float = 0.7) -> None:
        self.upstream_port = upstream_port
        self.rng = rng
        self.cut_p = cut_p
        self.cuts = 0
        self.connections = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._accept = threading.Thread(target=self._serve, name="soak-proxy", daemon=True)

    def __enter__(self) -> CuttingProxy:
        self._accept.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._listener.close()
        self._accept.join(5)
        for t in self._threads:
            t.join(5)

    def _serve(self) -> None:
        self._listener.settimeout(0.2)
        while not self._stop.is_set():
            try:
                down, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            t = threading.Thread(target=self._connection, args=(down,), name="soak-proxy-conn")
            t.start()
            self._threads = [x for x in self._threads if x.is_alive()] + [t]

    def _connection(self, down: socket.socket) -> None:
        with self._lock:
            self.connections += 1
            # Every connection is cut in the end; most soon, inside the first few requests
            # (tens of KB each way up, the small acks down), some only after many.
            soon = self.rng.random() < self.cut_p
            which = self.rng.choice(("up", "down"))
            scale = (40_000 if which == "up" else 600) * (1 if soon else 10)
            budget = self.rng.randrange(1, scale)
        try:
            up = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
        except OSError:
            _reset(down)
            return
        state = {"left": budget, "done": False}
        pumps = [
            threading.Thread(target=self._pump, args=(down, up, which == "up", state)),
            threading.Thread(target=self._pump, args=(up, down, which == "down", state)),
        ]
        for p in pumps:
            p.start()
        for p in pumps:
            p.join(60)
        for s in (down, up):
            s.close()

    def _pump(
        self, src: socket.socket, dst: socket.socket, counted: bool, state: dict[str, object]
    ) -> None:
        try:
            src.settimeout(0.5)
        except OSError:  # the other direction already cut (closed) this connection
            return
        while not self._stop.is_set() and not state["done"]:
            try:
                data = src.recv(16384)
            except TimeoutError:
                continue
            except OSError:
                break
            if not data:
                break
            left = int(state["left"])  # type: ignore[call-overload]
            if counted and left >= 0 and len(data) >= left:
                with contextlib.suppress(OSError):
                    dst.sendall(data[:left])
                with self._lock:
                    self.cuts += 1
                state["done"] = True
                _reset(src)
                _reset(dst)
                return
            if counted and left >= 0:
                state["left"] = left - len(data)
            try:
                dst.sendall(data)
            except OSError:
                break
        state["done"] = True
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)


def _reset(s: socket.socket) -> None:
    """Close with RST rather than FIN: the peer sees the connection torn, as on a cut link."""
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    except OSError:
        pass


def run(ctx: Context) -> list[CheckResult]:
    events = ctx.size(600, 20000)
    results = []
    for backend in ctx.backends:
        started = time.monotonic()
        res = CheckResult("network cuts mid-upload", backend=backend)
        with database(backend, ctx.workdir, ctx.pg_url) as db_url:
            seeded = seed_gate_world(db_url)
            server = ServerProc(db_url, log=ctx.workdir / f"netcut-{backend}.log")
            server.start()
            try:
                with CuttingProxy(server.port, ctx.rng) as proxy:
                    gate = SoakGate.provision(
                        seeded,
                        f"http://127.0.0.1:{proxy.port}",
                        ctx.workdir / f"netcut-{backend}",
                        provision_url=server.url,
                    )
                    gate.worker.batch_size = 25  # many requests, so many chances to cut
                    gate.append(events, ctx.rng, T0)
                    errors = []
                    deadline = time.monotonic() + ctx.size(120, 900)
                    while gate.outbox.stats().depth and time.monotonic() < deadline:
                        try:
                            gate.worker.flush_events()
                        except SyncError as exc:
                            if not exc.retryable:
                                errors.append(str(exc))
                                break
                    tally = compare(gate, db_url)
                    gate.close()
            finally:
                server.stop()
        # A cut must not look like a server fault: no traceback in the server's log.
        res.server_errors = server.log.read_text(errors="replace").count("Traceback")
        res.cycles = proxy.cuts
        res.cases = proxy.connections
        res.lost = tally.lost + tally.breaks + len(errors)
        res.duplicates = tally.duplicates
        res.notes.append(
            f"{proxy.connections} connections, {proxy.cuts} cut; {tally.held} events, "
            f"{tally.stored} stored" + (f"; errors {errors[:2]}" if errors else "")
        )
        res.seconds = time.monotonic() - started
        results.append(res)
    return results
