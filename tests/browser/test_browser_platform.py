"""The site manager on a 360 px phone: "did the project's data reach the platform, and what do I
have to fix?" The seeded project has reported through the real upload run: the counts say what
went; the worker with a trade the platform does not know and the item the platform refused are
named with the reason in its words; pressing "upload now" sends nothing twice (what is left
waits for a fix). The inspector reads the same page without the button."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import Browser

pytestmark = pytest.mark.browser

WIDTH = 360


def _phone(browser: Browser) -> None:
    browser.driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": WIDTH, "height": 740, "deviceScaleFactor": 1, "mobile": True},
    )


def _fits(browser: Browser) -> None:
    scroll, inner = browser.driver.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll <= inner == WIDTH, f"{browser.driver.current_url}: {scroll} px on {inner}"


def test_the_manager_reads_what_went_and_what_to_fix(browser: Browser) -> None:
    pid = browser.site.data.project.id
    try:
        browser.sign_in("zhang.manager")
        browser.open(f"/site/{pid}/platform")
        browser.shot("site_platform")
        _phone(browser)
        browser.open(f"/site/{pid}/platform")
        _fits(browser)
        counts = browser.text("platform-counts")
        assert "人员" in counts
        assert "考勤" in counts
        uploaded = browser.driver.find_element(By.CSS_SELECTOR, "#count-worker .uploaded").text
        assert int(uploaded) > 20  # most of the 30 workers went
        problems = browser.text("platform-problems")
        assert "工种代码 宇航员 不在平台代码表中" in problems  # held back, with the reason
        assert "平台校验未通过" in problems  # refused by the platform, in its words
        browser.click("platform-sync")
        ran = browser.text("platform-ran")
        # everything that can go went; the rest waits for a fix, so nothing is sent again
        assert "本次发送 0 项" in ran
        _fits(browser)
    finally:
        browser.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_the_inspector_reads_it_without_the_button(browser: Browser) -> None:
    pid = browser.site.data.project.id
    try:
        _phone(browser)
        browser.sign_in("li.inspector")
        browser.open(f"/inspect/{pid}/platform")
        _fits(browser)
        assert "平台校验未通过" in browser.text("platform-problems")
        assert not browser.driver.find_elements(By.ID, "platform-sync")
    finally:
        browser.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
