"""Accounts in a real browser: an admin creates a site manager and resets and deactivates it
(confirm dialogs); the new manager signs in with the temporary password, is sent to change it,
sees the mismatch message, and changes it."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.browser.conftest import Browser

NEW_PASSWORD = "Sun-manager-2026!"


def test_admin_creates_resets_and_deactivates_a_user(browser: Browser) -> None:
    site = browser.site.data
    browser.sign_in("zhao.admin")
    browser.open("/admin/users")
    assert "zhang.manager" in browser.text("users")
    browser.shot("admin-users")

    browser.click("new-user")
    browser.driver.find_element(By.ID, "u-username").send_keys("sun.manager")
    browser.driver.find_element(By.ID, "u-full-name").send_keys("孙经理")
    Select(browser.driver.find_element(By.ID, "u-role")).select_by_value("site_manager")
    Select(browser.driver.find_element(By.ID, "u-projects")).select_by_value(str(site.project.id))
    browser.click("u-submit")
    first = browser.text("temp-password").strip()
    assert len(first) >= 10
    assert browser.driver.find_elements(By.ID, "temp-once")
    browser.shot("admin-user-created")

    # Reset: asks first; a dismissed dialog changes nothing, an accepted one shows a new password.
    browser.click("back-to-user")
    question = browser.confirm(browser.driver.find_element(By.ID, "u-reset-password"), accept=False)
    assert "sun.manager" in question
    assert browser.driver.find_elements(By.ID, "u-reset-password")  # still on the form
    browser.confirm(browser.driver.find_element(By.ID, "u-reset-password"))
    temporary = browser.text("temp-password").strip()
    assert temporary != first

    # Deactivate (asks first), then activate again (no question).
    browser.click("back-to-user")
    active = browser.text("u-status")
    browser.confirm(browser.driver.find_element(By.ID, "u-toggle-active"))
    assert browser.text("u-status") != active
    browser.click("u-toggle-active")
    assert browser.text("u-status") == active

    # The new manager: the temporary password leads to the forced change.
    browser.sign_in("sun.manager", temporary)
    assert "/account/password" in browser.driver.current_url
    assert browser.driver.find_elements(By.ID, "must-change")
    browser.driver.find_element(By.ID, "current-password").send_keys(temporary)
    browser.driver.find_element(By.ID, "new-password").send_keys(NEW_PASSWORD)
    browser.driver.find_element(By.ID, "repeat-password").send_keys(NEW_PASSWORD + "x")
    browser.click("password-submit")
    assert "两次输入的新密码不一致" in browser.page_text()
    browser.shot("account-password")
    browser.driver.find_element(By.ID, "current-password").send_keys(temporary)
    browser.driver.find_element(By.ID, "new-password").send_keys(NEW_PASSWORD)
    browser.driver.find_element(By.ID, "repeat-password").send_keys(NEW_PASSWORD)
    browser.click("password-submit")
    assert "两次输入的新密码不一致" not in browser.page_text()
    assert not browser.driver.find_elements(By.ID, "must-change")

    # And the manager works normally with the new password.
    browser.sign_in("sun.manager", NEW_PASSWORD)
    browser.open(f"/site/{site.project.id}/now")
    assert "/account/password" not in browser.driver.current_url
