"""A complaint's life (欠薪线索): 赵磊 files one on a 360 px phone; 李监察 (also at 360 px) sees
it on the list, takes it, verifies and resolves it with a note; 赵磊 then reads the answer."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.browser.conftest import Browser

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 360, 740


def _phone(browser: Browser) -> None:
    browser.driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": True},
    )


def _no_sideways_scroll(browser: Browser) -> None:
    scroll, inner = browser.driver.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert inner == WIDTH
    assert scroll <= inner, f"{browser.driver.current_url} is {scroll} px wide on {inner} px"


def _inside(browser: Browser, element_id: str) -> None:
    rect = browser.driver.find_element(By.ID, element_id).rect
    assert rect["x"] >= 0, (element_id, rect)
    assert rect["x"] + rect["width"] <= WIDTH, (element_id, rect)


def test_a_complaint_from_the_phone_to_its_answer(browser: Browser) -> None:
    text = "一月二月工资未发,班组长说等工程款"
    try:
        _phone(browser)
        browser.sign_in("zhao.worker")
        browser.open("/me/")
        browser.follow(browser.driver.find_element(By.ID, "complaint-link"))
        assert "反映欠薪" in browser.page_text()
        for field, value in (("periods", "2026-01, 2026-02"), ("amount", "7000"),
                             ("against", "某劳务分包公司"), ("text", text)):  # fmt: skip
            browser.driver.find_element(By.ID, f"complaint-{field}").send_keys(value)
        for element_id in ("complaint-text", "complaint-submit"):
            _inside(browser, element_id)
        browser.click("complaint-submit")
        mine = browser.text("my-complaints")
        assert text in mine
        assert "已接收" in mine
        _no_sideways_scroll(browser)

        # The inspector on a phone too: the list and the complaint's page fit its width.
        browser.sign_in("li.inspector")
        browser.open("/inspect/complaints")
        _no_sideways_scroll(browser)
        row = browser.driver.find_element(
            By.XPATH, "//table[@id='complaints']//tr[contains(., '赵磊')]"
        )
        browser.follow(row.find_element(By.TAG_NAME, "a"))
        assert text in browser.text("complaint-text")
        _no_sideways_scroll(browser)
        _inside(browser, "complaint-save")
        Select(browser.driver.find_element(By.ID, "complaint-owner-select")).select_by_visible_text(
            "李监察"
        )
        Select(browser.driver.find_element(By.ID, "complaint-to")).select_by_value("verifying")
        browser.click("complaint-save")
        assert "核实中" in browser.text("complaint-status")
        assert "李监察" in browser.text("complaint-owner")
        Select(browser.driver.find_element(By.ID, "complaint-to")).select_by_value("resolved")
        browser.driver.find_element(By.ID, "complaint-note").send_keys("已约谈总包,两月工资已补发")
        browser.click("complaint-save")
        assert "已解决" in browser.text("complaint-status")
        history = browser.text("complaint-history")
        assert history.count("状态变更") == 2
        assert "已约谈总包" in history

        _phone(browser)
        browser.sign_in("zhao.worker")
        browser.open("/me/complaints")
        mine = browser.text("my-complaints")
        assert "已解决" in mine
        assert "已约谈总包,两月工资已补发" in mine
        _no_sideways_scroll(browser)
    finally:
        browser.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
