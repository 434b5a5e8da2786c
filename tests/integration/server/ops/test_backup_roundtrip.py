"""`sitegate db backup` while a gate uploads through the real ingest path, then restore: the
copy holds a consistent prefix (whole batches, every chain intact, the device's cursor agreeing
with its rows) and the gate's re-sent batches bring the restored database up to date."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.gate_event import GENESIS_HASH
from server.app import create_app
from server.config import Settings
from server.db import migrate
from server.db.session import make_engine, make_sessionmaker
from server.ingest.models import GateEventRow
from server.ops import db_backup
from server.registry.models import Device
from tests.factories import make_device, make_project
from tests.integration.server.ingest.ingest_support import Gate
from tests.integration.server.ops.ops_support import scratch_database

BATCH = 10


def _settings(url: str) -> Settings:
    return Settings(
        environment="test", database_url=url, secret_key="test-secret", template_key="tk"
    )


@pytest.fixture
def source(db_url: str, tmp_path: Path) -> Iterator[str]:
    with scratch_database(db_url, tmp_path, "src") as url:
        migrate.upgrade(url)
        yield url


@pytest.fixture
def target(db_url: str, tmp_path: Path) -> Iterator[str]:
    with scratch_database(db_url, tmp_path, "dst") as url:
        yield url


def _stored(url: str, code: str) -> tuple[list[GateEventRow], Device]:
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as s:
            device = s.scalars(select(Device).where(Device.code == code)).one()
            rows = list(
                s.scalars(
                    select(GateEventRow)
                    .where(GateEventRow.device_id == device.id)
                    .order_by(GateEventRow.seq)
                )
            )
            return rows, device
    finally:
        engine.dispose()


def test_backup_while_a_gate_uploads_then_restore_and_resend(
    source: str, target: str, tmp_path: Path
) -> None:
    engine = make_engine(source)
    with TestClient(create_app(_settings(source), engine=engine)) as client:
        with Session(engine, expire_on_commit=False) as s:
            device = make_device(s, make_project(s))
            gate = Gate.provision(client, s, device)
        batches = [gate.chain(b * BATCH + 1, (b + 1) * BATCH) for b in range(40)]
        sent = 0
        failures: list[str] = []
        started = threading.Event()

        def upload() -> None:
            nonlocal sent
            for batch in batches:
                r = gate.upload(batch)
                if r.status_code != 200 or r.json()["inserted"] != BATCH:
                    failures.append(r.text)
                    return
                sent += 1
                if sent == 5:
                    started.set()

        uploader = threading.Thread(target=upload, name="gate-uploader")
        uploader.start()
        try:
            assert started.wait(60)
            manifest = db_backup.backup(source, tmp_path / "db.sgbackup")
        finally:
            uploader.join()
    engine.dispose()
    assert not failures, failures
    assert manifest.schema == db_backup.head_revisions()

    db_backup.restore(target, tmp_path / "db.sgbackup")
    rows, restored_device = _stored(target, gate.code)
    held = len(rows)
    assert held >= 5 * BATCH, "the backup ran while the upload was under way"
    assert held % BATCH == 0, "no half batch: a batch is one transaction"
    assert [r.seq for r in rows] == list(range(1, held + 1))
    prev = GENESIS_HASH
    for row in rows:
        assert (row.prev_hash, row.chain_ok) == (prev, True)
        prev = row.hash
    assert restored_device.highest_contiguous_seq == held
    assert restored_device.chain_tip_hash == prev

    # The gate goes on against the restored server: everything is re-sent, nothing is lost.
    engine = make_engine(target)
    with TestClient(create_app(_settings(target), engine=engine)) as client:
        gate.client = client
        duplicates = 0
        for batch in batches:
            r = gate.upload(batch)
            assert r.status_code == 200, r.text
            duplicates += r.json()["duplicates"]
    engine.dispose()
    rows, restored_device = _stored(target, gate.code)
    assert duplicates == held
    assert [r.seq for r in rows] == list(range(1, 40 * BATCH + 1))
    assert restored_device.highest_contiguous_seq == 40 * BATCH
