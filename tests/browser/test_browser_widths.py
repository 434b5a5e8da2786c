"""Every page fits a phone: each role's pages, reached by following the links a person can
click from their landing page, at a 360 px viewport in Chinese and in English, are no wider
than the viewport (document scroll width <= inner width). Wide tables scroll inside their own
box (.table-wrap); the page itself never scrolls sideways.

The crawl follows same-origin GET links only (no downloads, no API, no sign-out), breadth
first, so a page added to the navigation is walked without being listed here."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from urllib.parse import urldefrag, urlparse

import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import Browser

pytestmark = pytest.mark.browser

PHONE = 360
# Enough to reach every kind of page from each landing page (on the seed: manager 20 kinds,
# inspector 8, worker 7, admin more than 20); the crawl takes ~0.3 s a page.
PAGES_PER_ROLE = {"zhang.manager": 45, "li.inspector": 25, "wang.worker": 15, "zhao.admin": 45}
# Files, the API, and links that change the session rather than show a page.
SKIP = re.compile(r"\.(xlsx|csv|pdf|zip|json|png|svg)$|^/(api|static|docs|lang|logout)\b")
# One page per kind is enough: /site/1/workers/17 and /site/1/workers/18 are the same template.
_IDS = re.compile(r"/\d[\d-]*")


@pytest.fixture
def phone(browser: Browser) -> Iterator[Browser]:
    browser.driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": PHONE, "height": 740, "deviceScaleFactor": 2, "mobile": True},
    )
    try:
        yield browser
    finally:
        browser.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        browser.open("/lang/zh?next=/login")


def _links(browser: Browser) -> list[str]:
    base = urlparse(browser.site.url)
    found: list[str] = []
    for a in browser.driver.find_elements(By.CSS_SELECTOR, "a[href]"):
        href = a.get_attribute("href") or ""
        if a.get_dom_attribute("download") is not None:
            continue
        url = urlparse(urldefrag(href)[0])
        if url.scheme not in ("http", "https") or url.netloc != base.netloc:
            continue
        path = url.path + (f"?{url.query}" if url.query else "")
        if not SKIP.search(url.path):
            found.append(path)
    return found


def _overflow(browser: Browser) -> int:
    """How many CSS pixels the document is wider than the phone (0 when it fits). Against the
    phone's width, not innerWidth: a mobile browser widens its layout viewport to fit a page
    that overflows (zooming out), so innerWidth grows with the overflow it should reveal."""
    width: int = browser.driver.execute_script(
        "return Math.max(document.documentElement.scrollWidth, window.innerWidth);"
    )
    return max(0, width - PHONE)


def _crawl(browser: Browser, start: str, limit: int) -> dict[str, int]:
    seen_kinds: set[str] = set()
    queue: deque[str] = deque([start])
    widths: dict[str, int] = {}
    while queue and len(widths) < limit:
        path = queue.popleft()
        kind = _IDS.sub("/N", path.split("?")[0])
        if path in widths or kind in seen_kinds:
            continue
        seen_kinds.add(kind)
        browser.open(path)
        widths[path] = _overflow(browser)
        queue.extend(p for p in _links(browser) if p not in widths)
    return widths


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("username", list(PAGES_PER_ROLE))
def test_no_page_is_wider_than_a_phone(phone: Browser, username: str, lang: str) -> None:
    phone.sign_in(username)
    phone.open(f"/lang/{lang}?next=/")
    widths = _crawl(phone, "/", PAGES_PER_ROLE[username])
    assert len(widths) >= 6, f"the crawl reached only {sorted(widths)}"
    too_wide = {path: px for path, px in widths.items() if px > 0}
    assert not too_wide, f"wider than {PHONE} px by (px): {too_wide}"
