"""Prometheus metrics for `/metrics` (prometheus_client, text exposition format).

Two sources:
- In-process instruments: request latency (`sitegate_http_request_duration_seconds`, labelled
  with the route template, never the raw path, so ids do not explode the series) and import
  durations (`sitegate_import_duration_seconds{kind, phase}` for roster, payroll and statement
  imports, parse and store apart).
- Read from the database at each scrape (`GateCollector`), since the database is the one truth
  every server process shares: records stored per gate (`sitegate_ingest_records_total`, a
  counter from device.acked_count: rate() of it is the ingest rate), lag per gate (now − the
  device time of its newest in-order record), the queue depth each gate last reported, and chain
  breaks recorded per gate. One grouped query each, whatever the number of gates.

Several worker processes: when PROMETHEUS_MULTIPROC_DIR is set (an empty folder, before the
processes start), prometheus_client keeps the in-process instruments in files there and
`exposition()` sums them over the processes (multiprocess mode); the database figures are the
same from every process. Clearing the folder at deploy is left to the --workers slice.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import time
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

from prometheus_client import REGISTRY, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, sessionmaker

from server.ingest.models import ChainBreak, GateEventRow
from server.registry.models import Device, Project

P = ParamSpec("P")
R = TypeVar("R")

REQUEST_SECONDS = Histogram(
    "sitegate_http_request_duration_seconds",
    "HTTP request latency by route template",
    ("method", "route", "status"),
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
IMPORT_SECONDS = Histogram(
    "sitegate_import_duration_seconds",
    "Roster, payroll and bank statement import durations",
    ("kind", "phase"),
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    REQUEST_SECONDS.labels(method, route, str(status)).observe(seconds)


def timed_import(kind: str, phase: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Time the decorated import step, whether it succeeds or refuses the file."""

    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def timed(*args: P.args, **kwargs: P.kwargs) -> R:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                IMPORT_SECONDS.labels(kind, phase).observe(time.perf_counter() - started)

        return timed

    return wrap


class GateCollector(Collector):
    """Per-gate figures read from the database when Prometheus scrapes."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def collect(self) -> Iterator[Metric]:
        labels = ("project", "gate")
        records = CounterMetricFamily(
            "sitegate_ingest_records", "Gate records stored by ingest, all time", labels=labels
        )
        lag = GaugeMetricFamily(
            "sitegate_gate_lag_seconds",
            "Now minus the device time of the gate's newest in-order record",
            labels=labels,
        )
        depth = GaugeMetricFamily(
            "sitegate_gate_queue_depth", "Records waiting in the gate's outbox (its last report)",
            labels=labels,
        )  # fmt: skip
        breaks = GaugeMetricFamily(
            "sitegate_chain_breaks", "Hash-chain problems recorded for the gate", labels=labels
        )
        now = dt.datetime.now(dt.UTC)
        with self.sessions() as session:
            gates = session.execute(
                select(
                    Project.code, Device.id, Device.code, Device.acked_count,
                    Device.queue_depth, GateEventRow.device_time,
                )
                .join(Project, Project.id == Device.project_id)
                .outerjoin(
                    GateEventRow,
                    and_(
                        GateEventRow.device_id == Device.id,
                        GateEventRow.seq == Device.highest_contiguous_seq,
                    ),
                )
                .where(Device.kind != "enrollment")
            ).all()  # fmt: skip
            broken = dict(
                session.execute(
                    select(ChainBreak.device_id, func.count()).group_by(ChainBreak.device_id)
                ).all()
            )
        for project, device_id, gate, acked, queue, last in gates:
            key = [project, gate]
            records.add_metric(key, float(acked or 0))
            depth.add_metric(key, float(queue or 0))
            breaks.add_metric(key, float(broken.get(device_id, 0)))
            if last is not None:
                lag.add_metric(key, max(0.0, (now - last).total_seconds()))
        yield from (records, lag, depth, breaks)


def _registries(sessions: sessionmaker[Session]) -> list[CollectorRegistry]:
    process: CollectorRegistry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        process = CollectorRegistry()
        MultiProcessCollector(process)  # type: ignore[no-untyped-call]  # untyped upstream
    database = CollectorRegistry(auto_describe=False)  # no describe: registering runs no query
    database.register(GateCollector(sessions))
    return [process, database]


def exposition(sessions: sessionmaker[Session]) -> bytes:
    """The whole scrape: in-process instruments (summed over processes in multiprocess mode)
    and the database figures."""
    return b"".join(generate_latest(registry) for registry in _registries(sessions))
