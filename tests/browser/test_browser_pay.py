"""On a 360 px phone: the site manager imports the bank's 代发 result for March and runs the
month's reconciliation from the page, and sees what it found. (January: a month no other
browser test corrects, since importing or reconciling a month closes it to 补卡 without a second
approval.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from server.payroll.disbursement import DisbursementBatch, DisbursementLine, disbursement_xlsx
from server.payroll.parsers import CANONICAL
from tests.browser.conftest import Browser
from tests.browser.seed import NAMES
from tests.factories import make_id_number
from tests.support.bank_result import fill_status

pytestmark = pytest.mark.browser

PHONE = 360


def _phone(browser: Browser) -> None:
    browser.driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": PHONE, "height": 780, "deviceScaleFactor": 1, "mobile": True},
    )


def _fits(browser: Browser) -> None:
    """Nothing wider than the phone: wide tables scroll inside their own box."""
    width = int(browser.driver.execute_script("return document.documentElement.scrollWidth"))
    assert width <= PHONE, f"the page is {width} px wide on a {PHONE} px screen"


def test_site_manager_imports_the_bank_result_and_reconciles_on_a_phone(
    browser: Browser, tmp_path: Path
) -> None:
    site = browser.site.data
    # 张伟 (the seed's first worker, card 62170000 + 0…0), matched by card as banks without an
    # ID column do; not 王芳, whose own pay pages the worker's browser test reads.
    paid_name, paid_card = NAMES[0], f"62170000{0:011d}"
    lines = (
        DisbursementLine(
            row_no=1, name=paid_name, id_number=None, bank_card=paid_card,
            bank_name="中国建设银行", net_fen=3000_00, period="2026-01",
        ),
        DisbursementLine(  # paid to someone nobody registered on the project
            row_no=2, name="陌生收款人", id_number=make_id_number(),
            bank_card="6217000000000000777", bank_name="中国建设银行", net_fen=500_00,
            period="2026-01",
        ),
    )  # fmt: skip
    batch = DisbursementBatch(
        site.project.code, site.project.name, "北京城建安居建设有限公司",
        site.project.wage_account_no, site.project.wage_account_bank, "2026-01", lines,
    )  # fmt: skip
    result = tmp_path / "2026-01-代发结果.xlsx"
    result.write_bytes(fill_status(disbursement_xlsx(batch), "xlsx", CANONICAL, batch))

    _phone(browser)
    try:
        browser.sign_in("zhang.manager")
        browser.click("nav-payroll")
        _fits(browser)
        browser.driver.find_element(By.ID, "payroll-file").send_keys(str(result))
        browser.click("payroll-submit")
        assert "已导入 2 行(匹配工人 1 行" in browser.text("import-done")
        assert "2026-01-代发结果.xlsx" in browser.text("payroll-imports")
        _fits(browser)
        browser.shot("site_manager-payroll-phone", width=PHONE, mobile=True)
        _phone(browser)  # the screenshot resets the emulated screen

        browser.click("reconcile-2026-01")
        assert browser.driver.find_elements(By.ID, "not-reconciled")
        browser.click("run-recon")
        assert "核对完成" in browser.text("run-done")
        findings = browser.text("findings")
        assert "收款人未登记" in findings  # the kind in words (UNKNOWN_PAYEE)
        assert "陌生收款人" in findings
        assert "红色" in browser.text("recon-level")
        assert "核对日期 2026-03-18" in browser.text("as-of-note")
        assert paid_name in browser.text("recon")
        _fits(browser)
        browser.shot("site_manager-reconciliation-phone", width=PHONE, mobile=True)
    finally:
        browser.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
