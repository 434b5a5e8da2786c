"""The inspector's question, "why is this project red?", answered in the first finding row at a
desk (1366×768) and on a phone (360×740): the red finding, its kind in words, the worker's name
linked to the worker's page, and no page wider than the screen."""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import Browser
from tests.browser.seed import NAMES

pytestmark = pytest.mark.browser


def _viewport(browser: Browser, width: int, height: int, mobile: bool) -> None:
    browser.driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
    )


@pytest.mark.parametrize(("width", "height", "mobile"), [(1366, 768, False), (360, 740, True)])
def test_first_finding_row_is_the_red_one_with_the_worker(
    browser: Browser, width: int, height: int, mobile: bool
) -> None:
    pid = browser.site.data.project.id
    browser.sign_in("li.inspector")
    _viewport(browser, width, height, mobile)
    try:
        browser.open(f"/inspect/{pid}/2026-02")
        rows = browser.driver.find_elements(By.CSS_SELECTOR, "#stored-findings tr[data-level]")
        assert rows, "no findings"
        first = rows[0]
        assert first.get_attribute("data-level") == "red"
        kind = first.find_element(By.CSS_SELECTOR, ".finding-kind").text
        assert re.search(r"[\u4e00-\u9fff]", kind), kind  # in words,
        assert not re.search(r"[A-Z_]{4,}", kind), kind  # not the code
        link = first.find_element(By.CSS_SELECTOR, ".finding-worker a.worker-link")
        assert link.text in NAMES
        assert re.search(rf"/inspect/{pid}/2026-02/workers/\d+$", link.get_attribute("href") or "")
        assert first.find_element(By.CSS_SELECTOR, ".finding-why").text  # one line of why
        # The findings come first: the first row is on the first screen, above the table.
        top = int(
            browser.driver.execute_script("return arguments[0].getBoundingClientRect().top", first)
        )
        assert top < height, f"the first finding starts at {top} px"
        order = browser.driver.execute_script(
            "return [document.getElementById('stored-findings'), document.getElementById('recon')]"
            ".map(function (e) { return e.getBoundingClientRect().top; });"
        )
        assert order[0] < order[1]
        width_now = int(
            browser.driver.execute_script("return document.documentElement.scrollWidth")
        )
        inner = int(browser.driver.execute_script("return window.innerWidth"))
        assert width_now <= inner, f"the page is {width_now} px wide on a {inner} px screen"
        # The worker's page it links to answers with the same finding, never "paid in full".
        name = link.text
        browser.follow(link)
        assert name in browser.driver.find_element(By.TAG_NAME, "h1").text
        assert "已足额发放" not in browser.text("worker-status")
        width_now = int(
            browser.driver.execute_script("return document.documentElement.scrollWidth")
        )
        assert width_now <= inner
    finally:
        browser.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
