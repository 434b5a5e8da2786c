"""The site's wage-protection page at a desk (1366×768) and on a phone (360×740): the manager
records the wage account through the form, the page answers with it (the number in full, the
tripartite date), and nothing is wider than the screen (tables scroll in their own box)."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import Browser

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("width", "height", "mobile"), [(1366, 768, False), (360, 740, True)])
def test_record_the_wage_account_and_read_it_back(
    browser: Browser, width: int, height: int, mobile: bool
) -> None:
    pid = browser.site.data.project.id
    browser.sign_in("zhang.manager")
    browser.driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
    )
    try:
        browser.open(f"/site/{pid}/safeguards")
        # The seed's own account: the project's number, which other browser tests read, stays.
        account = browser.site.data.project.wage_account_no
        bank = browser.site.data.project.wage_account_bank
        for name, value in (
            ("bank_name", bank), ("account_no", account), ("account_name", f"专户{width}"),
        ):  # fmt: skip
            box = browser.driver.find_element(By.ID, f"sg-account-{name}")
            box.clear()
            box.send_keys(value)
        browser.driver.execute_script(
            "document.getElementById('sg-account-tripartite_signed_on').value = '2026-01-10';"
        )
        browser.click("sg-account-save")
        assert browser.text("sg-account-no") == account
        assert browser.text("sg-tripartite") == "2026-01-10"
        assert "专用账户已保存" in browser.page_text()
        scroll = int(browser.driver.execute_script("return document.documentElement.scrollWidth"))
        assert scroll <= width, f"the page is {scroll} px wide on a {width} px screen"
    finally:
        browser.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
