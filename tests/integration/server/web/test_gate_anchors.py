"""The gates page shows each gate's key fingerprint and its newest checkpoint (seq, day, what
ingest found: verified / pending / mismatch), readable on a 360 px phone (issue 13)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from models.device_auth import key_fingerprint, new_private_key, public_key_hex
from models.enums import Direction
from server.registry.models import Device
from server.web.i18n import LANG_COOKIE
from tests.factories import make_device
from tests.integration.server.web.anchor_support import add_checkpoint
from tests.integration.server.web.conftest import World
from tests.integration.server.web.helpers import web_login

CSS = Path(__file__).resolve().parents[4] / "server" / "web" / "static" / "sitegate.css"


def _row(html: str, device: Device) -> str:
    row = html[html.index(f'id="gate-{device.id}"') :]
    return row[: row.index("</tr>")]


@pytest.fixture
def sealed(session: Session, world: World) -> tuple[Device, Device]:
    """Project A: an entry gate with two checkpoints (the newest pending), 5 records after
    them; an exit gate with a key and no checkpoint."""
    entry = make_device(session, world.a, Direction.IN)
    entry.public_key = public_key_hex(new_private_key())
    entry.highest_contiguous_seq = 25
    exit_ = make_device(session, world.a, Direction.OUT)
    exit_.public_key = public_key_hex(new_private_key())
    session.flush()
    add_checkpoint(session, entry, seq=11, from_seq=1, day="2026-03-09", status="verified")
    add_checkpoint(session, entry, seq=20, from_seq=12, day="2026-03-10", status="pending")
    session.commit()
    return entry, exit_


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_fingerprint_and_last_checkpoint_per_gate(
    client: TestClient, world: World, sealed: tuple[Device, Device], lang: str
) -> None:
    entry, exit_ = sealed
    client.cookies.set(LANG_COOKIE, lang)
    web_login(client, world.manager_a)
    html = client.get(f"/site/{world.a.id}/gates").text
    row = _row(html, entry)
    assert f'<code class="fp" id="fp-{entry.id}">{key_fingerprint(entry.public_key or "")}<' in row
    cp = re.search(rf'<div class="gate-checkpoint" id="cp-{entry.id}">(.*?)</div>', row, re.S)
    assert cp
    if lang == "zh":
        assert "最后检查点 #20 · 2026-03-10" in cp.group(1)
        assert "待核验" in cp.group(1)
        assert "未封存记录 5 条" in cp.group(1)
    else:
        assert "last checkpoint #20 · 2026-03-10" in cp.group(1)
        assert "pending" in cp.group(1)
        assert "5 records not yet sealed" in cp.group(1)
    none = _row(html, exit_)
    assert ("尚无检查点" if lang == "zh" else "no checkpoint yet") in none
    assert key_fingerprint(exit_.public_key or "") in none
    assert ("考勤表" if lang == "zh" else "team leader signs") in html  # where else it is shown


def test_a_mismatch_shows_as_such_to_the_inspector(
    client: TestClient, session: Session, world: World, sealed: tuple[Device, Device]
) -> None:
    entry, _ = sealed
    add_checkpoint(session, entry, seq=26, from_seq=21, day="2026-03-11", status="mismatch")
    session.commit()
    web_login(client, world.inspector_a)
    row = _row(client.get(f"/inspect/{world.a.id}/gates").text, entry)
    assert "最后检查点 #26 · 2026-03-11" in row
    assert '<span class="cp-mismatch dot-off">不符</span>' in row


def test_readable_at_360_px(
    client: TestClient, world: World, sealed: tuple[Device, Device]
) -> None:
    """The table scrolls inside its .table-wrap; the fingerprint breaks anywhere and the
    checkpoint line wraps (the appended CSS), so neither widens the page."""
    web_login(client, world.manager_a)
    html = client.get(f"/site/{world.a.id}/gates").text
    assert '<div class="card table-wrap">\n<table id="gates">' in html
    css = CSS.read_text(encoding="utf-8")
    ours = css[css.index("/* --- i13-anchors --- */") :]
    assert "#gates code.fp" in ours
    assert "overflow-wrap: anywhere" in ours
    assert "#gates .gate-checkpoint" in ours
