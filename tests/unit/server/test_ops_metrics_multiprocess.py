"""Several server processes: with PROMETHEUS_MULTIPROC_DIR set, each process's request and
import observations land in that folder and one scrape sums them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

OBSERVE = (
    "from server.ops import metrics;"
    "metrics.observe_request('GET', '/api/v1/projects/{project_id}', 200, 0.02)"
)


def test_two_processes_are_summed(tmp_path: Path) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", OBSERVE], env=env, check=True, timeout=120)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(tmp_path))  # type: ignore[no-untyped-call]
    text = generate_latest(registry).decode()
    line = next(
        row
        for row in text.splitlines()
        if row.startswith("sitegate_http_request_duration_seconds_count")
        and 'route="/api/v1/projects/{project_id}"' in row
    )
    assert float(line.rsplit(" ", 1)[1]) == 2.0
