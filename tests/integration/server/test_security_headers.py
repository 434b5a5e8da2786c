"""Security headers on every answer, HSTS only in production, and API docs that need no
internet (issue 10.9)."""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.config import Settings

TEMPLATES = Path(__file__).parents[3] / "server" / "web" / "templates"


def _prod(**extra: object) -> Iterator[TestClient]:
    settings = Settings(
        environment="production",
        database_url="sqlite://",
        secret_key=base64.b64encode(secrets.token_bytes(32)).decode(),
        template_key=secrets.token_hex(32),
        **extra,  # type: ignore[arg-type]
    )
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def prod() -> Iterator[TestClient]:
    yield from _prod()


def _assert_hardened(r: object) -> None:
    headers = r.headers  # type: ignore[attr-defined]
    csp = headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["referrer-policy"] == "same-origin"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"


class TestHeaders:
    @pytest.mark.parametrize(
        "path", ["/login", "/api/v1/health", "/static/sitegate.css", "/api/v1/nope", "/site/"]
    )
    def test_every_kind_of_answer_carries_them(self, client: TestClient, path: str) -> None:
        r = client.get(path, follow_redirects=False)
        _assert_hardened(r)
        assert "strict-transport-security" not in r.headers  # not outside production

    def test_pages_allow_no_inline_script_or_style(self, client: TestClient) -> None:
        csp = client.get("/login").headers["content-security-policy"]
        assert "unsafe-inline" not in csp
        assert "script-src 'self';" in csp

    def test_an_oversized_body_is_refused_with_them(self, client: TestClient) -> None:
        r = client.post("/api/v1/auth/token", content=b"x" * (9 * 1024 * 1024))
        assert r.status_code == 413
        _assert_hardened(r)

    def test_production_adds_hsts(self, prod: TestClient) -> None:
        r = prod.get("/api/v1/health")
        _assert_hardened(r)
        assert r.headers["strict-transport-security"].startswith("max-age=31536000")


class TestTemplates:
    def test_no_template_has_inline_script_style_or_handlers(self) -> None:
        offending = []
        for path in TEMPLATES.rglob("*.html"):
            text = path.read_text(encoding="utf-8")
            for pattern in (r'\sstyle="', r"<script(?![^>]*\ssrc=)", r"<style", r"\son[a-z]+="):
                if re.search(pattern, text):
                    offending.append(f"{path.name}: {pattern}")
        assert offending == []


class TestDocs:
    @pytest.mark.parametrize("path", ["/docs", "/redoc"])
    def test_docs_load_only_local_assets(self, prod: TestClient, path: str) -> None:
        r = prod.get(path)
        assert r.status_code == 200
        urls = re.findall(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""", r.text)
        assert urls, r.text
        assert [u for u in urls if u.startswith(("http:", "https:", "//"))] == []
        for url in urls:
            if url.startswith("/docs/assets/"):
                assert prod.get(url).status_code == 200, url
        assert "unsafe-inline" in r.headers["content-security-policy"]  # Swagger's own script

    def test_docs_can_be_switched_off(self) -> None:
        for c in _prod(api_docs=False):
            assert c.get("/docs").status_code == 404
            assert c.get("/openapi.json").status_code == 404
            assert c.get("/api/v1/health").status_code == 200
