"""The worker on a 360 px phone: "was I paid in full, and who do I call?"

赵磊 was paid ¥3,000 for February against the days he worked: his pay card says 少发 with the
amount, in view without scrolling sideways; the header names him (his account carries only
the role as its name); his days show when he came and went; the notice board the site manager
fills in shows every number as a `tel:` link; his objection reaches the manager.
"""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By

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


def _right_edge(browser: Browser, element_id: str) -> float:
    edge: float = browser.driver.execute_script(
        "return document.getElementById(arguments[0]).getBoundingClientRect().right", element_id
    )
    return edge


def test_worker_sees_the_shortfall_and_whom_to_call(browser: Browser) -> None:
    site = browser.site.data
    assert site.short_worker is not None
    pid, name = site.project.id, site.short_worker.name
    try:
        _phone(browser)
        # The site manager fills in the notice board first.
        browser.sign_in("zhang.manager")
        browser.open(f"/site/{pid}/notice")
        for field, value in (
            ("officer_name", "李专管"), ("officer_phone", "139 1111 2222"),
            ("min_wage_month", "2420"), ("min_wage_hour", "26.4"),
            ("inspection_phone", "010-12333000"), ("housing_phone", "010-55597000"),
            ("arbitration_phone", "010-89150000"),
        ):  # fmt: skip
            box = browser.driver.find_element(By.ID, f"notice-{field}")
            box.clear()
            box.send_keys(value)
        browser.click("notice-save")
        assert "告示牌已保存" in browser.page_text()

        browser.sign_in("zhao.worker")
        assert browser.text("who") == f"{name} · 工人"

        browser.open("/me/pay")
        card_id = f"pay-{pid}-2026-02"
        card = browser.text(card_id)
        assert "少发" in card
        short = browser.driver.find_element(By.ID, f"shortfall-{pid}-2026-02")
        m = re.search(r"少发 ¥([\d,]+\.\d\d)", short.text)
        assert m, short.text
        amount = m.group(1)
        assert amount != "0.00"
        assert "应发 ¥" in short.text
        assert "实发 ¥3,000.00" in short.text
        # red, and inside the screen
        colour = short.value_of_css_property("color")
        assert colour.startswith("rgba(165, 14, 14") or colour.startswith("rgb(165, 14, 14")
        assert _right_edge(browser, card_id) <= WIDTH
        assert _right_edge(browser, f"shortfall-{pid}-2026-02") <= WIDTH
        slip = browser.driver.find_element(By.CSS_SELECTOR, f"#{card_id} a.slip-link")
        assert slip.rect["x"] + slip.rect["width"] <= WIDTH
        _no_sideways_scroll(browser)
        browser.shot("worker-phone-pay", width=WIDTH, mobile=True)
        _phone(browser)  # the shot leaves the emulation

        # Yesterday's first IN and last OUT.
        browser.open("/me/")
        row = browser.text("times-2026-03-17")
        assert len(re.findall(r"\b\d\d:\d\d\b", row)) == 2, row
        _no_sideways_scroll(browser)

        # He objects to February's pay; the manager sees it.
        browser.open("/me/pay")
        # a month picker: set as the picker would (typing into it follows the locale)
        browser.driver.execute_script(
            "document.getElementById('objection-period').value = '2026-02'"
        )
        browser.driver.find_element(By.ID, "objection-text").send_keys("二月工资少发")
        browser.click("objection-submit")
        assert "二月工资少发" in browser.text("my-objections")
        _no_sideways_scroll(browser)

        browser.open("/me/notice")
        links = browser.driver.find_elements(By.CSS_SELECTOR, f"#notice-board-{pid} a.tel")
        hrefs = [a.get_attribute("href") for a in links]
        assert hrefs == [
            "tel:13911112222", "tel:01012333000", "tel:01055597000", "tel:12333",
            "tel:01089150000", "tel:12348",
        ]  # fmt: skip
        _no_sideways_scroll(browser)
        browser.shot("worker-phone-notice", width=WIDTH, mobile=True)
        _phone(browser)

        browser.sign_in("zhang.manager")
        browser.open(f"/site/{pid}/objections")
        assert name in browser.text("objections")
        assert "二月工资少发" in browser.text("objections")
        form = browser.driver.find_element(By.CSS_SELECTOR, "#objections form.reply-form")
        assert form.rect["x"] + form.rect["width"] <= WIDTH
    finally:
        browser.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
