"""A real browser (Playwright driving Debian's Chromium) opens every page of the running app."""
from __future__ import annotations

import contextlib
import datetime as dt
import re
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from apps import SHOTS, rerun_shows, settled, streamlit_app, tab
from clock import faked_env
from conftest import ROOT
from helpers import copy_db

SERVICE_PAGES = ["outreach", "supplies", "referrals", "safe_suite", "friday_network", "bad_dates", "education"]
OTHER_PAGES = ["", "data_quality", "definitions", "reports"]


@pytest.fixture(scope="module")
def app(demo_db, tmp_path_factory):
    db = tmp_path_factory.mktemp("browser") / "shop.duckdb"
    copy_db(demo_db, db)
    with running_app(db) as url:
        yield url


def token_for(url: str) -> str:
    """The install token of the app at `url` (the staff view on loopback needs it, as `make run` prints)."""
    import urllib.parse
    from ui import access
    return access.install_token(DBS[urllib.parse.urlsplit(url).port])


DBS: dict = {}


@contextlib.contextmanager
def running_app(db):
    with streamlit_app(db, "--server.address", "127.0.0.1") as port:
        DBS[port] = db
        yield f"http://127.0.0.1:{port}"


def open_page(browser, url, path, name, context=None):
    """The page, settled and photographed: in `context`'s tab when given (apps.tab), else in a new context."""
    page = tab(context) if context else browser.new_page()
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.goto(f"{url}/{path}", wait_until="domcontentloaded")
    page.wait_for_selector("h1", timeout=90000)
    settled(page)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    return page


@pytest.fixture(scope="module")
def external_visits(browser):
    """One browser context for the pages' visits without the token, as one board member's browser:
    a visit after the first reads Streamlit's code from its cache (a new context parsed it all
    again, 0.8 s of CPU a visit). The first visit of a new browser has its own test below."""
    ctx = browser.new_context()
    yield ctx
    ctx.close()


@pytest.mark.parametrize("path", SERVICE_PAGES + OTHER_PAGES)
def test_every_page_opens_without_exception(app, browser, external_visits, path):
    page = open_page(browser, app, path, path or "overview", context=external_visits)
    assert page.locator("[data-testid=stException]").count() == 0
    # the navigation is the app's own (st.navigation), even on a first visit straight to a page
    nav = page.locator("[data-testid=stSidebarNav]").inner_text()
    assert "Safe Suite" in nav and "Friday Network" in nav
    assert "Data quality" not in nav and "Audit log" not in nav   # staff-only pages: not in an External menu
    if path in SERVICE_PAGES:
        page.wait_for_selector(".js-plotly-plot", timeout=90000)
        assert page.locator(".js-plotly-plot").count() >= 1
    assert page.get_by_text("External view").count() >= 1


# Every change of the app's run state, from the page's first moment (the app element is made later)
_RUN_STATES = """
window.__runStates = [];
new MutationObserver(() => {
  const app = document.querySelector('[data-testid=stApp]');
  const state = app && app.getAttribute('data-test-script-state');
  if (state && state !== window.__runStates[window.__runStates.length - 1]) window.__runStates.push(state);
}).observe(document, {subtree: true, childList: true, attributes: true, attributeFilter: ['data-test-script-state']});
"""


def test_a_first_visit_straight_to_a_page_runs_once_and_settles_drawn(demo_db, tmp_path, browser):
    """The tests' positive sign (apps.settled) and the server's first visit. A new server's first
    visit straight to /outreach ran the page twice, with a finished, empty run between (the run
    state said done while nothing was drawn); and after a run ends a new browser still draws each
    element's component seconds later, skeletons meanwhile. settled() must mean the page as seen."""
    db = copy_db(demo_db, tmp_path / "shop.duckdb")
    with running_app(db) as url:
        page = browser.new_page()  # a new context: nothing of Streamlit's code cached
        page.add_init_script(_RUN_STATES)
        page.goto(f"{url}/outreach", wait_until="domcontentloaded")
        page.wait_for_selector("[data-testid=stApp]", timeout=90000)
        settled(page)
        states = page.evaluate("() => window.__runStates")
        # the Outreach page's five tiles: contacts, people, new people, anonymous contacts, support hours
        tiles, skeletons = (page.locator("[data-testid=stMetric]").count(),
                            page.locator("[data-testid=stSkeleton]").count())
        page.close()
    assert states.count("running") == 1, states
    assert skeletons == 0 and tiles == 5, (tiles, skeletons)


def test_period_survives_a_page_change_and_the_staff_view_is_not_in_the_url(app, browser):
    page = open_page(browser, app, f"outreach?from=2025-04-01&to=2025-06-30&token={token_for(app)}",
                     "outreach_quarter")
    assert "from=2025-04-01" in page.url and "to=2025-06-30" in page.url and "token" not in page.url
    page.get_by_text("Staff (exact, confidential)").click()
    rerun_shows(page, "Staff view: exact figures")
    page.get_by_role("link", name="Supplies").click()
    page.wait_for_selector("h1:has-text('supplies')", timeout=90000)
    page.wait_for_url(re.compile(r"supplies\?.*from="), timeout=90000)  # the period written back
    settled(page)
    assert "from=2025-04-01" in page.url and "to=2025-06-30" in page.url
    assert "audience" not in page.url.lower() and "staff" not in page.url.lower()
    assert page.get_by_text("Staff view: exact figures").count() >= 1
    page.screenshot(path=str(SHOTS / "supplies_staff.png"), full_page=True)
    page.close()


def test_a_load_beside_the_open_dashboard_shows_on_the_next_click(tmp_path, browser, demo_db, today):
    from shop import periods
    db = tmp_path / "live.duckdb"
    copy_db(demo_db, db)
    fy = periods.fiscal_year(periods.fy_start_year(today) - 1)
    with running_app(db) as url:
        page = open_page(browser, url, f"education?from={fy.start}&to={fy.end}", "education_before")
        tile = page.locator("[data-testid=stMetric]").filter(has_text="Education sessions")
        before = int(tile.locator("[data-testid=stMetricValue]").inner_text().replace(",", ""))
        f = tmp_path / "education_late.csv"
        f.write_text("session_date,audience,topic,attendees\n" + "".join(
            f"{fy.start + dt.timedelta(days=30 + i)},police,human_trafficking,20\n" for i in range(3)))
        out = subprocess.run([sys.executable, "-m", "etl", "load", str(f), "--db", str(db)], cwd=ROOT,
                             capture_output=True, text=True, timeout=120, env=faked_env())
        assert out.returncode == 0 and "lock" not in (out.stdout + out.stderr).lower(), out.stdout + out.stderr
        page.get_by_text("Quarter", exact=True).click()  # any interaction reruns the page
        expect(tile.locator("[data-testid=stMetricValue]")).to_have_text(f"{before + 3:,}", timeout=90000)
        after = int(tile.locator("[data-testid=stMetricValue]").inner_text().replace(",", ""))
        assert after == before + 3
        page.screenshot(path=str(SHOTS / "education_after_load.png"), full_page=True)
        page.close()
