"""The inspector's month page: each gate's chain status for the month from the checkpoints
ingest already checked (verified / pending / mismatch, the last sealed seq, the records not yet
sealed) — no signature re-verified and no checkpoint re-checked on a view (issue 13)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from models.device_auth import key_fingerprint, new_private_key, public_key_hex
from server.ingest import checkpoints
from server.ingest import service as ingest_service
from server.web.i18n import LANG_COOKIE
from tests.integration.server.web.anchor_support import add_checkpoint
from tests.integration.server.web.helpers import web_login
from tests.integration.server.web.inspect_support import PERIOD, RedMonth, red_month, table_rows


@pytest.fixture
def month(session: Session) -> RedMonth:
    """The IN gate: one checkpoint last month, two verified and one pending this month, its
    16 records sealed to #14; the OUT gate: one checkpoint this month that did not match."""
    m = red_month(session)
    gin, gout = m.gates
    gin.public_key = public_key_hex(new_private_key())
    gin.highest_contiguous_seq = 16
    gout.highest_contiguous_seq = 3
    session.flush()
    add_checkpoint(session, gin, seq=4, from_seq=1, day="2026-01-31", status="verified")
    add_checkpoint(session, gin, seq=8, from_seq=5, day=f"{PERIOD}-02", status="verified")
    add_checkpoint(session, gin, seq=12, from_seq=9, day=f"{PERIOD}-03", status="verified")
    add_checkpoint(session, gin, seq=14, from_seq=13, day=f"{PERIOD}-04", status="pending")
    add_checkpoint(session, gout, seq=3, from_seq=1, day=f"{PERIOD}-03", status="mismatch")
    session.commit()
    return m


def _refuse(*_a: object, **_k: object) -> None:
    raise AssertionError("re-verification on a page view")


def _cells(client: TestClient, m: RedMonth) -> dict[str, list[str]]:
    html = client.get(f"/inspect/{m.project.id}/{PERIOD}").text
    return {r.attrs["data-code"]: r.cells for r in table_rows(html, "chain-states")}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_status_per_gate_from_the_checkpoints(
    client: TestClient, month: RedMonth, monkeypatch: pytest.MonkeyPatch, lang: str
) -> None:
    monkeypatch.setattr(ingest_service, "verify_chain", _refuse)
    monkeypatch.setattr(checkpoints, "check_pending", _refuse)
    client.cookies.set(LANG_COOKIE, lang)
    web_login(client, month.inspector)
    cells = _cells(client, month)
    gin, gout = month.gates
    seal_in, status_in = cells[gin.code][3], cells[gin.code][4]
    seal_out, status_out = cells[gout.code][3], cells[gout.code][4]
    fp = key_fingerprint(gin.public_key or "")
    if lang == "zh":
        assert "已核验 2 · 待核验 1 · 不符 0" in seal_in  # last month's is not counted
        assert "已封存至 #13" in seal_in
        assert "最后检查点 #14 · 2026-02-04" in seal_in
        assert "未封存记录 2 条" in seal_in
        assert f"密钥指纹 {fp}" in seal_in
        assert "完整" in status_in
        assert "已核验 0 · 待核验 0 · 不符 1" in seal_out
        assert "✘" in status_out
        assert "本月 1 个检查点与库中记录不符" in status_out
    else:
        assert "verified 2 · pending 1 · mismatch 0" in seal_in
        assert "sealed through #13" in seal_in
        assert "2 records not yet sealed" in seal_in
        assert "verified 0 · pending 0 · mismatch 1" in seal_out
        assert "1 checkpoints of the month do not match the stored records" in status_out


def test_a_month_without_checkpoints_says_so(
    client: TestClient, month: RedMonth, session: Session
) -> None:
    web_login(client, month.inspector)
    html = client.get(f"/inspect/{month.project.id}/2026-01").text
    rows = {r.attrs["data-code"]: r.cells for r in table_rows(html, "chain-states")}
    gin, gout = month.gates
    assert "已核验 1 · 待核验 0 · 不符 0" in rows[gin.code][3]
    assert "本月无检查点" in rows[gout.code][3]
    assert "未封存记录 0 条" in rows[gout.code][3]  # sealed since, by February's


def test_the_table_fits_a_phone(client: TestClient, month: RedMonth) -> None:
    """360 px: the chain table scrolls inside its .table-wrap; a fingerprint breaks anywhere
    (the appended CSS) and the status lines wrap."""
    web_login(client, month.inspector)
    html = client.get(f"/inspect/{month.project.id}/{PERIOD}").text
    assert '<div class="table-wrap"><table id="chain-states">' in html
    assert '<td class="wrap chain-checkpoints">' in html
