"""Checkpoint rows as ingest leaves them (gate_checkpoint), for the pages that read them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from models.device_auth import key_fingerprint
from server.ingest.models import GateCheckpoint
from server.registry.models import Device


def add_checkpoint(
    session: Session,
    device: Device,
    *,
    seq: int,
    from_seq: int,
    day: str,
    status: str,
    records_root: str = "ab" * 32,
) -> GateCheckpoint:
    row = GateCheckpoint(
        device_id=device.id,
        project_id=device.project_id,
        seq=seq,
        from_seq=from_seq,
        to_seq=seq - 1,
        count=seq - from_seq,
        day=day,
        reason="day_end",
        tip_hash="cd" * 32,
        records_root=records_root,
        workers_root="ef" * 32,
        prev_checkpoint_hash="0" * 64,
        hash=f"{seq:064x}",
        key_fingerprint=key_fingerprint(device.public_key or ""),
        status=status,
        problems=[],
        received_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
    )
    session.add(row)
    session.flush()
    return row
