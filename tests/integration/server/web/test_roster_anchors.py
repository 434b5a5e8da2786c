"""The monthly 考勤表 downloaded from the site pages and the API prints, per gate of the
project, its key fingerprint and the month's last checkpoint as ingest stored it (issue 13)."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from models.device_auth import key_fingerprint, new_private_key, public_key_hex
from server.ingest import checkpoints
from tests.factories import make_device
from tests.integration.server.web.anchor_support import add_checkpoint
from tests.integration.server.web.conftest import PERIOD, World
from tests.integration.server.web.helpers import web_login


def _seeded(session: Session, world: World) -> tuple[str, str, str]:
    gate = make_device(session, world.a)
    gate.public_key = public_key_hex(new_private_key())
    other = make_device(session, world.b)  # another project's gate: not on A's sheet
    session.flush()
    add_checkpoint(session, gate, seq=5, from_seq=1, day="2026-01-31", status="verified")
    add_checkpoint(
        session, gate, seq=30, from_seq=6, day=f"{PERIOD}-27", status="verified",
        records_root="12" * 32,
    )  # fmt: skip
    add_checkpoint(
        session, gate, seq=40, from_seq=31, day=f"{PERIOD}-28", status="pending",
        records_root="34" * 32,
    )  # fmt: skip
    add_checkpoint(session, gate, seq=50, from_seq=41, day="2026-03-01", status="verified")
    session.commit()
    return gate.code, other.code, key_fingerprint(gate.public_key)


def test_month_anchors_pick_the_months_last_checkpoint(session: Session, world: World) -> None:
    code, _, _ = _seeded(session, world)
    (anchor,) = checkpoints.month_anchors(session, world.a.id, PERIOD)
    assert anchor.code == code
    assert anchor.last is not None
    assert (anchor.last.seq, anchor.last.day, anchor.last.status) == (40, f"{PERIOD}-28", "pending")


def test_the_site_download_prints_the_gate_lines(
    client: TestClient, session: Session, world: World
) -> None:
    code, other, fp = _seeded(session, world)
    web_login(client, world.manager_a)
    r = client.get(f"/site/{world.a.id}/month.xlsx?period={PERIOD}")
    assert r.status_code == 200, r.text
    texts = [
        str(c.value)
        for ws in load_workbook(io.BytesIO(r.content)).worksheets
        for row in ws.iter_rows()
        for c in row
        if c.value is not None
    ]
    line = next(t for t in texts if t.startswith(code))
    assert f"密钥指纹 / key fingerprint: {fp}" in line
    assert f"#40 {PERIOD}-28" in line
    assert f"{'34' * 8}…" in line
    assert not any(t.startswith(other) for t in texts)
