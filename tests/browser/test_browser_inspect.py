"""Inspector's main path: projects with levels, the reconciliation month, a worker drill-down,
waiving a finding with a comment, gate chains."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import Browser

pytestmark = pytest.mark.browser


def test_inspector_path(browser: Browser) -> None:
    site = browser.site.data
    pid = site.project.id
    browser.sign_in("li.inspector")
    assert browser.driver.current_url.endswith("/inspect/")
    projects = browser.text("projects")
    assert site.project.name in projects
    assert "别处项目" not in projects  # another region: out of scope
    browser.shot("inspector-projects")

    browser.click(f"lv-{pid}-2026-02")
    table = browser.text("recon")
    assert "未发放" in table  # the unpaid worker
    assert "少发" in table
    assert "完整" in browser.text("chains")
    assert browser.driver.find_elements(By.CSS_SELECTOR, "figure.chart rect.bar")
    browser.shot("inspector-project-month")

    # Waiving asks first; cancelling sends nothing.
    form = browser.driver.find_elements(By.CSS_SELECTOR, "form.finding-form")[0]
    open_before = len(browser.driver.find_elements(By.CSS_SELECTOR, "form.finding-form"))
    question = browser.confirm(
        form.find_element(By.CSS_SELECTOR, "button.finding-waive"), accept=False
    )
    assert "确认豁免" in question
    assert len(browser.driver.find_elements(By.CSS_SELECTOR, "form.finding-form")) == open_before
    # Waiving without a comment is refused with the service's message; with one it is recorded.
    browser.confirm(form.find_element(By.CSS_SELECTOR, "button.finding-waive"))
    assert "必须填写处理说明" in browser.text("form-errors")
    form = browser.driver.find_elements(By.CSS_SELECTOR, "form.finding-form")[0]
    form.find_element(By.CSS_SELECTOR, "input.finding-comment").send_keys("已核实,系银行系统延迟")
    browser.confirm(form.find_element(By.CSS_SELECTOR, "button.finding-waive"))
    assert "已保存" in browser.page_text()
    assert "已核实" in browser.text("stored-findings")
    assert len(browser.driver.find_elements(By.CSS_SELECTOR, "form.finding-form")) == (
        open_before - 1
    )

    browser.follow(browser.driver.find_element(By.LINK_TEXT, "李强"))  # unpaid
    assert browser.text("day-grid")
    assert "*" in browser.text("id-number")
    assert "未发放" in browser.page_text()
    pdf = browser.driver.find_element(By.ID, "payslip-pdf").get_attribute("href")
    assert pdf
    assert pdf.endswith("/payslip.pdf")
    browser.shot("inspector-worker-month")
