"""/healthz, /readyz (503 with the reason while migrations are behind) and /metrics after some
ingest and requests: per-gate records, lag, queue depth and chain breaks from the database,
request latency by route template, import durations; /metrics refused without its token."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from models.sync import Heartbeat
from server.app import create_app
from server.config import Settings
from server.db import migrate
from server.db.session import make_engine
from server.errors import SiteGateError
from server.safeguards import service as safeguards_service
from tests.factories import make_device, make_project
from tests.integration.server.ingest.ingest_support import Gate
from tests.integration.server.ops.ops_support import scratch_database

TOKEN = "metrics-test-token"


def _settings(url: str) -> Settings:
    return Settings(
        environment="test",
        database_url=url,
        secret_key="test-secret",
        template_key="tk",
        metrics_token=TOKEN,
    )


@pytest.fixture
def scratch(db_url: str, tmp_path: Path) -> Iterator[str]:
    with scratch_database(db_url, tmp_path, "ops") as url:
        yield url


def _value(text: str, name: str, **labels: str) -> float:
    """The sample `name{labels}` of an exposition (labels in any order), or 0."""
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        got = dict(re.findall(r'(\w+)="([^"]*)"', line[: line.rindex("}")]))
        if all(got.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text


def test_readyz_fails_while_migrations_are_behind(scratch: str) -> None:
    engine = make_engine(scratch)
    try:
        with TestClient(create_app(_settings(scratch), engine=engine)) as client:
            empty = client.get("/readyz")
            assert empty.status_code == 503
            assert "sitegate db upgrade" in empty.json()["reason_en"]
            command.upgrade(migrate.alembic_config(scratch), "0017_platform")
            behind = client.get("/readyz")
            assert behind.status_code == 503
            assert "0017_platform" in behind.json()["reason_en"]
            assert "迁移" in behind.json()["reason_zh"]
            migrate.upgrade(scratch)
            assert client.get("/readyz").json() == {"status": "ready"}
            assert client.get("/healthz").status_code == 200
    finally:
        engine.dispose()


def test_readyz_fails_when_the_database_does_not_answer(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'missing' / 'x.sqlite3'}"
    engine = make_engine(url)
    (tmp_path / "missing").rmdir()  # make_engine made the folder; without it nothing opens
    with TestClient(create_app(_settings(url), engine=engine)) as client:
        r = client.get("/readyz")
    engine.dispose()
    assert r.status_code == 503
    assert "does not answer" in r.json()["reason_en"]


def test_metrics_after_ingest_and_requests(scratch: str) -> None:
    migrate.upgrade(scratch)
    engine = make_engine(scratch)
    try:
        with TestClient(create_app(_settings(scratch), engine=engine)) as client:
            with Session(engine, expire_on_commit=False) as s:
                project = make_project(s)
                gate = Gate.provision(client, s, make_device(s, project))
                project_code = project.code
            assert gate.upload(gate.chain(1, 5)).status_code == 200
            assert gate.upload(gate.chain(6, 8)).status_code == 200
            beat = Heartbeat(
                device_time=dt.datetime.now(dt.UTC), queue_depth=17, last_seq=8, roster_version=0
            )
            assert gate.post("/api/v1/edge/heartbeat", beat).status_code == 200
            bad = gate.event(9, prev_hash="f" * 64)
            assert gate.upload([bad]).status_code == 200
            client.get("/api/v1/projects/123456")  # not signed in: 401, templated route
            with pytest.raises(SiteGateError):
                safeguards_service.parse_statement(b"not a sheet", file_name="s.xlsx")

            assert client.get("/metrics").status_code == 403
            wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 403
            assert wrong.json()["message_zh"]
            r = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    finally:
        engine.dispose()
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    text = r.text
    gate_labels = {"project": project_code, "gate": gate.code}
    assert _value(text, "sitegate_ingest_records_total", **gate_labels) == 9
    assert _value(text, "sitegate_gate_queue_depth", **gate_labels) == 17
    assert _value(text, "sitegate_chain_breaks", **gate_labels) >= 1
    # The gate's records are from T0 (May 2026): its lag is months.
    assert _value(text, "sitegate_gate_lag_seconds", **gate_labels) > 30 * 86400
    assert (
        _value(
            text,
            "sitegate_http_request_duration_seconds_count",
            route="/api/v1/projects/{project_id}",
            status="401",
        )
        >= 1
    )
    assert "/api/v1/projects/123456" not in text  # the raw path is never a label
    assert (
        _value(text, "sitegate_http_request_duration_seconds_count", route="/api/v1/edge/events")
        >= 3
    )
    assert (
        _value(text, "sitegate_import_duration_seconds_count", kind="statement", phase="parse") >= 1
    )


def test_metrics_without_a_token_answer_loopback_only(client: TestClient) -> None:
    # The test client's address is "testclient", not loopback.
    r = client.get("/metrics")
    assert r.status_code == 403
    assert "loopback" in r.json()["message_en"]
