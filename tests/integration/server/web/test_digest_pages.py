"""The daily digests on the inspector's month page: why to archive them, the server key's
fingerprint, the latest 14 with their download links; laid out to fit a 360 px phone."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from server.anchors import digest, server_key
from server.auth.models import AuditLog
from server.config import Settings
from server.web.i18n import LANG_COOKIE
from tests.factories import make_device
from tests.integration.server.web.conftest import NOW, PERIOD, World
from tests.integration.server.web.helpers import web_login

CSS = Path(__file__).resolve().parents[4] / "server" / "web" / "static" / "sitegate.css"


def _section(html: str) -> str:
    match = re.search(r'<section class="card digests" id="digests-card">.*?</section>', html, re.S)
    assert match, "no daily digests section"
    return match.group()


def _enrolled(session: Session, settings: Settings, world: World, days_ago: int) -> None:
    """Project A's gate enrolled `days_ago` days before the pages' clock: digests to yesterday."""
    device = make_device(session, world.a)
    session.add(
        AuditLog(
            at=NOW - dt.timedelta(days=days_ago), project_id=world.a.id, action="provision",
            entity="device", entity_id=device.id,
            detail={"code": device.code, "public_key": "cd" * 32, "old_public_key": None},
        )
    )  # fmt: skip
    session.flush()
    digest.issue_through(session, settings, world.a.id, now=NOW)
    session.commit()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_inspector_sees_the_latest_14_with_links_and_why(
    client: TestClient, session: Session, settings: Settings, world: World, lang: str
) -> None:
    _enrolled(session, settings, world, days_ago=20)
    client.cookies.set(LANG_COOKIE, lang)
    web_login(client, world.inspector_a)
    r = client.get(f"/inspect/{world.a.id}/{PERIOD}")
    assert r.status_code == 200, r.text
    section = _section(r.text)
    assert ("每日摘要" if lang == "zh" else "Daily digests") in section
    assert ("存档" if lang == "zh" else "archive") in section  # the plain explanation
    assert f'id="server-key-fp">{server_key.fingerprint(settings)}<' in section
    days = re.findall(r'<tr data-day="(\d{4}-\d{2}-\d{2})">', section)
    yesterday = (NOW.astimezone(digest.project_zone(world.a, settings)).date()) - dt.timedelta(1)
    assert len(days) == 14
    assert days[0] == yesterday.isoformat()
    assert days == sorted(days, reverse=True)
    links = re.findall(r'href="(/api/v1/projects/\d+/digests/[\d-]+)"', section)
    assert links == [f"/api/v1/projects/{world.a.id}/digests/{d}" for d in days]
    # the link downloads with the inspector's page session
    file = client.get(links[0])
    assert file.status_code == 200, file.text
    assert digest.verify_file(file.content)["day"] == days[0]


def test_a_project_without_digests_says_so(client: TestClient, world: World) -> None:
    web_login(client, world.inspector_a)
    section = _section(client.get(f"/inspect/{world.a.id}/{PERIOD}").text)
    assert 'id="no-digests"' in section
    assert 'id="server-key-fp"' in section  # the key to compare with, before the first one


def test_the_section_fits_a_phone(
    client: TestClient, session: Session, settings: Settings, world: World
) -> None:
    """360 px: the list scrolls inside its .table-wrap, hashes are cut to 12 digits (the full
    one in the title) and long codes break anywhere (the appended CSS), the day stays whole."""
    _enrolled(session, settings, world, days_ago=3)
    web_login(client, world.inspector_a)
    section = _section(client.get(f"/inspect/{world.a.id}/{PERIOD}").text)
    assert re.search(r'<div class="table-wrap"><table id="digest-list">', section)
    shown = re.findall(r'<code class="hash" title="([0-9a-f]{64})">([0-9a-f]+)…</code>', section)
    assert shown
    assert all(full.startswith(cut) and len(cut) == 12 for full, cut in shown)
    css = CSS.read_text(encoding="utf-8")
    ours = css[css.index("/* --- i13-digest --- */") :]
    assert ".digests code.fp, .digests code.hash { overflow-wrap: anywhere;" in ours
    assert ".digests td.nowrap { white-space: nowrap; }" in ours
