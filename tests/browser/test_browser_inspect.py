"""Inspector's main path: projects with levels, the reconciliation month, a worker drill-down,
waiving a finding with a comment, gate chains."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.expected_conditions import alert_is_present
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import Browser

pytestmark = pytest.mark.browser


def _waive_in_place(browser: Browser, form: WebElement) -> None:
    """Click 豁免 and accept its question; the answer comes without a new page."""
    form.find_element(By.CSS_SELECTOR, "button.finding-waive").click()
    alert = WebDriverWait(browser.driver, 10).until(alert_is_present())
    assert alert
    alert.accept()


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
    assert "完整" in browser.text("chain-states")  # from ingest's acknowledgements
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
    # Waiving without a comment is refused with the service's message beside the form; with one
    # it is recorded, and the row changes in place (sitegate.js: no reload, the same spot).
    row_id = form.find_element(By.XPATH, "./ancestor::tr").get_attribute("id")
    _waive_in_place(browser, form)
    note = form.find_element(By.CSS_SELECTOR, ".finding-note")
    WebDriverWait(browser.driver, 10).until(lambda _d: "必须填写处理说明" in note.text)
    form.find_element(By.CSS_SELECTOR, "input.finding-comment").send_keys("已核实,系银行系统延迟")
    _waive_in_place(browser, form)
    row = browser.driver.find_element(By.ID, row_id)
    WebDriverWait(browser.driver, 10).until(lambda _d: "已处理" in row.text)
    assert "已豁免" in row.text
    assert "已核实" in row.text
    assert len(browser.driver.find_elements(By.CSS_SELECTOR, "form.finding-form")) == (
        open_before - 1
    )

    browser.follow(browser.driver.find_element(By.LINK_TEXT, "李强"))  # unpaid
    assert browser.text("day-grid")
    assert "*" in browser.text("id-number")
    assert "未发工资" in browser.text("worker-status")  # the finding is the status
    assert "未发工资" in browser.text("worker-blocking")
    pdf = browser.driver.find_element(By.ID, "payslip-pdf").get_attribute("href")
    assert pdf
    assert pdf.endswith("/payslip.pdf")
    browser.shot("inspector-worker-month")
