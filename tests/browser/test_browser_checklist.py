"""The checklist in a browser. The site manager reads the project's checklist on a phone
(360×740): the failing items first, each with its level and figure, nothing wider than the
screen, and follows the deposit's "Fix" link to the safeguards page where it is recorded. The
inspector's cross-project view lists the seeded project (red: no deposit) before the second
北京 project (orange: no tripartite agreement), and opens the red one's checklist read-only."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import Browser

pytestmark = pytest.mark.browser


def _width(browser: Browser) -> int:
    return int(browser.driver.execute_script("return document.documentElement.scrollWidth"))


def test_the_manager_reads_the_checklist_on_a_phone_and_follows_a_fix(browser: Browser) -> None:
    pid = browser.site.data.project.id
    browser.sign_in("zhang.manager")
    browser.driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 360, "height": 740, "deviceScaleFactor": 2, "mobile": True},
    )
    try:
        browser.open(f"/site/{pid}/now")
        browser.click("nav-checklist")
        assert browser.driver.current_url.endswith(f"/site/{pid}/checklist")
        assert "红色" in browser.text("cl-level")
        items = browser.driver.find_elements(By.CSS_SELECTOR, "#checklist li")
        levels = [str(li.get_attribute("data-level")) for li in items]
        assert levels[0] == "red"
        order = ["red", "orange", "yellow", "green"]
        assert levels == sorted(levels, key=order.index)
        deposit = browser.driver.find_element(By.ID, "item-deposit")
        assert "failing" in (deposit.get_attribute("class") or "")
        assert "未存储工资保证金" in deposit.text
        # the platform run refused one worker and held one back (seed_platform)
        uploads = browser.driver.find_element(By.ID, "item-platform_uploads")
        assert uploads.get_attribute("data-level") == "orange"
        assert _width(browser) <= 360, f"the page is {_width(browser)} px wide on 360 px"
        browser.shot("checklist-phone", width=360, mobile=True)
        browser.driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": 360, "height": 740, "deviceScaleFactor": 2, "mobile": True},
        )
        browser.click("fix-deposit")
        assert f"/site/{pid}/safeguards" in browser.driver.current_url
        assert browser.driver.find_element(By.ID, "sg-deposits").is_displayed()
    finally:
        browser.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_the_inspector_sees_the_red_project_first(browser: Browser) -> None:
    site = browser.site.data
    browser.sign_in("li.inspector")
    browser.open("/inspect/")
    browser.click("nav-inspect-checklist")
    cards = browser.driver.find_elements(By.CSS_SELECTOR, "#cl-projects section.project-check")
    names = [c.find_element(By.CSS_SELECTOR, "h2").text for c in cards]
    assert len(cards) == 2, names  # the 上海 project is another region's
    assert site.project.name in names[0]
    assert "城北配套学校" in names[1]
    assert [c.get_attribute("data-level") for c in cards] == ["red", "orange"]
    assert "别处项目" not in browser.page_text()
    tripartite = cards[1].find_elements(By.CSS_SELECTOR, "li[data-code]")
    assert [li.get_attribute("data-code") for li in tripartite] == ["tripartite"]
    browser.shot("inspector-checklist")
    browser.click(f"cl-open-{site.project.id}")
    assert browser.driver.current_url.endswith(f"/inspect/{site.project.id}/checklist")
    assert browser.driver.find_elements(By.ID, "item-deposit")
    assert not browser.driver.find_elements(By.ID, "fix-deposit")  # read-only: nothing to fix here
