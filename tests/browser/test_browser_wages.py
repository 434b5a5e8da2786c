"""The month's 工资支付表 in a real browser: the site manager builds February's sheet of a firm
and sends it (desktop); on a 360 px phone one worker confirms their line and another disputes
theirs; the manager resolves the dispute and locks the sheet with a reason for the lines still
unanswered. Each step is checked by what the page then says (states, amounts)."""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select

from tests.browser.conftest import Browser

pytestmark = pytest.mark.browser

PHONE = 360
FIRM = "河北恒达劳务有限公司"


def _phone(browser: Browser) -> None:
    browser.driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": PHONE, "height": 740, "deviceScaleFactor": 2, "mobile": True},
    )


def _desktop(browser: Browser) -> None:
    browser.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def _fits_the_phone(browser: Browser) -> None:
    """Nothing makes the page itself wider than the phone (tables scroll inside their box)."""
    width = int(browser.driver.execute_script("return document.documentElement.scrollWidth"))
    assert width <= PHONE, width
    assert int(browser.driver.execute_script("return window.innerWidth")) == PHONE


def _cell(browser: Browser, name: str, css: str) -> str:
    """A cell of the worker's row in the sheet's table of lines."""
    link = browser.driver.find_element(By.ID, "lines").find_element(By.LINK_TEXT, name)
    text: str = (
        link.find_element(By.XPATH, "./ancestor::tr").find_element(By.CSS_SELECTOR, css).text
    )
    return text


def _line_net(browser: Browser, name: str) -> str:
    return _cell(browser, name, "td.line-net")


def _line_state(browser: Browser, name: str) -> str:
    return _cell(browser, name, "td.line-state")


def _open_my_line(browser: Browser) -> None:
    browser.open("/me/wages")
    assert "等您确认" in browser.text("waiting")
    _fits_the_phone(browser)
    browser.follow(browser.driver.find_element(By.CSS_SELECTOR, "a.wage-card"))


def test_wage_sheet_month(browser: Browser) -> None:
    site = browser.site.data
    assert site.colleague is not None
    pid = site.project.id
    _desktop(browser)

    # The manager builds February's sheet of the firm, from the navigation, and sends it.
    browser.sign_in("zhang.manager")
    browser.click("nav-wages")
    Select(browser.driver.find_element(By.ID, "build-firm")).select_by_visible_text(FIRM)
    browser.driver.execute_script("document.getElementById('build-period').value = '2026-02'")
    browser.click("build-submit")
    assert "编制中" in browser.text("sheet-state")
    assert "工资表已生成" in browser.page_text()
    lines = browser.text("lines")
    assert "E+" not in lines  # days as written on a sheet: 20, not 2E+1
    assert site.worker.name in lines
    assert site.colleague.name in lines
    sheet_url = browser.driver.current_url.split("?")[0]
    assert re.search(rf"/site/{pid}/wages/\d+$", sheet_url)
    net_colleague = _line_net(browser, site.colleague.name)
    net_worker = _line_net(browser, site.worker.name)
    assert re.fullmatch(r"[\d,]+\.\d\d", net_colleague)
    count = len(browser.driver.find_elements(By.CSS_SELECTOR, "#lines tr.line-draft"))
    assert count >= 10
    browser.shot("wages-sheet-draft")
    question = browser.confirm(browser.driver.find_element(By.ID, "send"))
    assert "确认发送" in question
    assert "待工人确认" in browser.text("sheet-state")
    assert "待确认" in _line_state(browser, site.colleague.name)

    # 张伟 confirms on the phone: the card shows the same net as the manager's sheet.
    _phone(browser)
    browser.sign_in("zhang.worker")
    _open_my_line(browser)
    assert browser.text("my-net") == f"¥{net_colleague}"
    assert "待确认" in browser.text("my-state")
    assert browser.driver.find_elements(By.CSS_SELECTOR, "#my-day-grid .d.c-full")
    _fits_the_phone(browser)
    browser.click("confirm")
    assert "您已确认本月工资单" in browser.page_text()
    assert "已确认" in browser.text("my-state")
    assert "手机" in browser.text("my-confirmed")
    assert not browser.driver.find_elements(By.ID, "confirm")
    _fits_the_phone(browser)
    browser.shot("wages-worker-confirmed-phone", width=PHONE, mobile=True)

    # 王芳 disputes on the phone: the days and amount she claims, and why.
    _phone(browser)
    browser.sign_in("wang.worker")
    _open_my_line(browser)
    assert browser.text("my-net") == f"¥{net_worker}"
    browser.driver.find_element(By.ID, "open-dispute").click()
    browser.driver.find_element(By.ID, "claimed-days").send_keys("24")
    browser.driver.find_element(By.ID, "claimed-amount").send_keys("8000")
    browser.driver.find_element(By.ID, "dispute-comment").send_keys("2 月 25 日至 28 日也在岗")
    _fits_the_phone(browser)
    browser.shot("wages-worker-dispute-phone", width=PHONE, mobile=True)
    _phone(browser)
    browser.click("dispute-submit")
    assert "您的异议已提交" in browser.page_text()
    assert "有异议" in browser.text("my-state")
    assert "2 月 25 日至 28 日也在岗" in browser.text("history")
    assert "24" in browser.text("history")
    _fits_the_phone(browser)

    # Back at the desk: the dispute is first on the sheet; resolved with a comment; locked.
    _desktop(browser)
    browser.sign_in("zhang.manager")
    browser.driver.get(sheet_url)
    disputes = browser.text("disputes")
    assert site.worker.name in disputes
    assert "2 月 25 日至 28 日也在岗" in disputes
    assert "8,000.00" in disputes
    assert "已确认" in _line_state(browser, site.colleague.name)
    assert "手机" in _line_state(browser, site.colleague.name)
    assert "有异议" in _line_state(browser, site.worker.name)
    browser.shot("wages-sheet-disputed")
    form = browser.driver.find_element(By.CSS_SELECTOR, "form.resolve-form")
    form.find_element(By.TAG_NAME, "textarea").send_keys("闸机记录 2 月 21 日后无进出,维持原数")
    browser.follow(form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert "异议已处理" in browser.page_text()
    assert not browser.driver.find_elements(By.ID, "disputes")
    assert "异议已处理" in _line_state(browser, site.worker.name)
    unsettled = count - 2
    assert f"还有 {unsettled} 行未确认" in browser.text("lock-check")
    browser.driver.find_element(By.ID, "lock-reason").send_keys("其余工人已电话确认,已返乡")
    question = browser.confirm(browser.driver.find_element(By.ID, "lock"))
    assert "确认锁定" in question
    assert "已锁定" in browser.text("sheet-state")
    assert "其余工人已电话确认" in browser.text("lock-reason-shown")
    assert browser.text("net-total") == browser.text("lines-net-total")
    pdf = browser.driver.find_element(By.ID, "sheet-pdf").get_attribute("href")
    assert pdf
    assert pdf.endswith(".pdf")
    browser.shot("wages-sheet-locked")
    # The manager's pages work on a phone too: the tables scroll inside their cards.
    _phone(browser)
    browser.driver.get(sheet_url)
    _fits_the_phone(browser)
    browser.follow(
        browser.driver.find_element(By.ID, "lines").find_element(By.LINK_TEXT, site.worker.name)
    )
    assert "异议已处理" in browser.text("line-state")
    assert "维持原数" in browser.text("history")
    _fits_the_phone(browser)
    browser.shot("wages-line-phone", width=PHONE, mobile=True)

    # The worker's line now says so, and offers nothing to answer.
    _phone(browser)
    browser.sign_in("wang.worker")
    browser.open("/me/wages")
    browser.follow(browser.driver.find_element(By.CSS_SELECTOR, "a.wage-card"))
    assert "异议已处理" in browser.text("my-state")
    assert "维持原数" in browser.text("history")
    assert browser.driver.find_elements(By.ID, "answered-locked")
    _desktop(browser)
