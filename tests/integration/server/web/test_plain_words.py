"""Loose ends in a site manager's words and without the internet: the gate form speaks of the
gate, not of gate.yaml and firmware_configs; /docs and /redoc load nothing from outside; the
site has an icon, linked from every page and answered at /favicon.ico."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from server.web.i18n import LANG_COOKIE
from tests.integration.server.web.conftest import World
from tests.integration.server.web.helpers import web_login

JARGON = ("gate.yaml", "firmware_configs", "gate_profile", "device_code", "gate profile")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_gate_form_speaks_a_site_managers_words(
    client: TestClient, world: World, lang: str
) -> None:
    web_login(client, world.manager_a)
    client.cookies.set(LANG_COOKIE, lang)
    page = client.get(f"/site/{world.a.id}/gates/new")
    assert page.status_code == 200
    form = re.search(r'<form[^>]*id="gate-form".*?</form>', page.text, re.S)
    assert form
    for word in JARGON:
        assert word not in form.group(), word
    assert ("闸机型号" if lang == "zh" else "Gate model") in form.group()
    assert ("请问安装人员" if lang == "zh" else "ask the installer") in form.group()


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_api_docs_load_nothing_from_the_internet(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200
    assert not re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", r.text, re.I), r.text[:500]
    assets = re.findall(r'(?:src|href)="(/[^"]+)"', r.text)
    assert any(a.endswith(".js") for a in assets)
    for asset in assets:
        if asset == "/openapi.json" or asset.startswith("/docs/assets/"):
            got = client.get(asset)
            assert got.status_code == 200, asset
            assert len(got.content) > 0
    csp = r.headers["content-security-policy"]
    assert "http" not in csp  # nothing outside may load even if a page asked


def test_favicon(client: TestClient) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.content.startswith(b"<svg")
    login = client.get("/login")
    link = re.search(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)">', login.text)
    assert link
    linked = client.get(link.group(1))
    assert linked.status_code == 200
    assert linked.content == icon.content
