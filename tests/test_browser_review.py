"""A real browser opens /review on the demo in both audiences and on an empty database."""
from __future__ import annotations

import pytest

from apps import SHOTS, app_with_token, settled, streamlit_app

TOKENS: dict = {}


@pytest.fixture(scope="module")
def app(demo_db):
    with app_with_token(demo_db) as (url, token):
        TOKENS[url] = token
        yield url


def open_review(browser, url, name, query=""):
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(f"{url}/review{query}", wait_until="domcontentloaded")
    page.wait_for_selector("h1:has-text('Monthly review')", timeout=90000)
    settled(page)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    return page


def test_review_in_both_audiences(app, browser):
    page = open_review(browser, app, "review_external")
    assert page.locator("[data-testid=stException]").count() == 0
    assert "Monthly review" in page.locator("[data-testid=stSidebarNav]").inner_text()
    body = page.locator("[data-testid=stMain]").inner_text()
    for heading in ("1. What changed since the last load", "2. What looks wrong", "3. What it takes to hit the targets"):
        assert heading in body
    assert "External view" in body and "more guests than the suite has units" not in body  # staff only
    assert "run on exact rows" in body
    assert "Naloxone kits:" in body and " row " not in body and "guests for" not in body
    assert "a month needed" in body or "reached" in body
    external_tables = page.locator("[data-testid=stDataFrame]").count()
    page.close()

    page = open_review(browser, app, "review_external_with_token", f"?token={TOKENS[app]}")
    page.get_by_text("Staff (exact, confidential)").click()
    page.wait_for_selector("text=Staff view: exact figures", timeout=90000)
    settled(page)
    page.screenshot(path=str(SHOTS / "review_staff.png"), full_page=True)
    assert page.locator("[data-testid=stException]").count() == 0
    # staff see each rule's flagged rows as a table (file and row to fix); External sees months only
    assert page.locator("[data-testid=stDataFrame]").count() > external_tables
    assert "more guests than the suite has units" in page.locator("[data-testid=stMain]").inner_text()
    assert "staff" not in page.url.lower()

    link = page.get_by_role("link", name="Safe Suite page").first
    assert link.get_attribute("href").endswith("/safe_suite")
    page.close()


def test_review_on_an_empty_database(tmp_path, browser):
    with streamlit_app(tmp_path / "none.duckdb", "--server.address", "127.0.0.1") as port:
        page = open_review(browser, f"http://127.0.0.1:{port}", "review_empty")
        assert page.locator("[data-testid=stException]").count() == 0
        assert page.get_by_text("No data loaded yet").count() >= 1
        assert page.get_by_text("2. What looks wrong").count() == 0
        page.close()
