"""The 现场 board in a browser, on a laptop (1366x768) and a phone (360x740): it lists by name
who is on site (as the rosters service reads the seed), opens the other lists from the KPI
tabs, and is never wider than the screen."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import Browser
from tests.browser.seed import NOW

pytestmark = pytest.mark.browser

SIZES = [(1366, 768, False), (360, 740, True)]


def _day_board(browser: Browser) -> tuple[list[str], list[str]]:
    """(on site now, left today) by name, from the rosters service over the seeded database."""
    from sqlalchemy.orm import Session

    from server.db.session import make_engine
    from server.rosters import service as roster_service

    engine = make_engine(browser.site.database_url)
    try:
        with Session(engine) as session:
            project = browser.site.data.project
            day = NOW.astimezone(roster_service.project_settings(project).zone).date()
            board = roster_service.daily(session, project_id=project.id, day=day, now=NOW)
            left = [p.worker.name for p in board.present if p.last_out and not p.on_site]
            return [p.worker.name for p in board.on_site], left
    finally:
        engine.dispose()


@pytest.fixture
def sized(browser: Browser, request: pytest.FixtureRequest) -> Iterator[tuple[Browser, int]]:
    width, height, mobile = request.param
    browser.driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
    )
    try:
        yield browser, width
    finally:
        browser.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def _fits(browser: Browser, screen: int) -> None:
    """No wider than the window; on a phone the layout viewport grows to fit what overflows,
    so innerWidth alone would pass a page that spills: the screen's own width is checked too."""
    scroll, inner = browser.driver.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert int(inner) <= screen, f"the layout grew to {inner} px on a {screen} px screen"
    assert int(scroll) <= int(inner), f"the page is {scroll} px wide on a {inner} px screen"


@pytest.mark.parametrize("sized", SIZES, indirect=True, ids=["laptop", "phone"])
def test_the_board_names_who_is_on_site_and_fits(sized: tuple[Browser, int]) -> None:
    browser, screen = sized
    on_site, left = _day_board(browser)
    assert on_site, "the seed has people inside at 15:30"
    assert left, "the seed has people who left at lunch"
    browser.sign_in("zhang.manager")
    pid = browser.site.data.project.id
    browser.open(f"/site/{pid}/now")
    listed = browser.text("list-on_site")
    for name in on_site:
        assert name in listed
    for name in left:
        assert name not in listed  # left at lunch: not on site
    assert int(browser.text("headcount")) == len(on_site)
    _fits(browser, screen)
    # The gate silent for two hours is named on top.
    assert "2号门" in browser.text("gate-problems")
    # The 离场 tab opens the list of those who left, by name.
    browser.follow(browser.driver.find_element(By.ID, "tab-left"))
    departed = browser.text("list-left")
    for name in left:
        assert name in departed
    _fits(browser, screen)
    # The 异常 tab: refusals with the reason in words.
    browser.follow(browser.driver.find_element(By.ID, "tab-anomalies"))
    assert "人证不符" in browser.text("refusals")
    _fits(browser, screen)
    browser.shot(f"site_manager-board-{screen}", width=screen, mobile=screen < 700)


@pytest.mark.parametrize("sized", SIZES, indirect=True, ids=["laptop", "phone"])
def test_the_workers_list_fits(sized: tuple[Browser, int]) -> None:
    browser, screen = sized
    browser.sign_in("zhang.manager")
    browser.open(f"/site/{browser.site.data.project.id}/workers")
    assert "共 " in browser.text("workers-total")
    assert browser.driver.find_elements(By.CSS_SELECTOR, "#workers input[name=worker_id]")
    _fits(browser, screen)
    browser.shot(f"site_manager-workers-{screen}", width=screen, mobile=screen < 700)


def test_batch_entry_asks_first_and_names_who_cannot(browser: Browser) -> None:
    """The checkboxes and buttons post the batch; the confirmation page names each worker and,
    since the seed's workers have all entered already, why none can enter again (nothing is
    changed: the live site is shared by the other browser tests)."""
    browser.sign_in("zhang.manager")
    browser.open(f"/site/{browser.site.data.project.id}/workers")
    boxes = browser.driver.find_elements(By.CSS_SELECTOR, "#workers input[name=worker_id]")[:2]
    names = [b.find_element(By.XPATH, "../following-sibling::td[1]/a").text for b in boxes]
    for box in boxes:
        box.click()
    browser.click("batch-enter")
    listed = browser.text("batch-list")
    for name in names:
        assert name in listed
    assert listed.count("该工人已进场") == 2
    assert not browser.driver.find_elements(By.ID, "batch-confirm")
