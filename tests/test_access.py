"""Sign-in end to end: a local OpenID Connect provider, the app with sign-in configured, and
Chromium signing in as staff, board, an unknown person, and not at all."""
from __future__ import annotations

import shutil

import pytest

from metrics import audit
from apps import SHOTS, free_port, streamlit_app

STAFF, BOARD, STRANGER = "manager@shop.test", "chair@board.test", "someone@elsewhere.test"


@pytest.fixture(scope="module")
def provider():
    from oidc_provider_mock import User, run_server_in_thread
    users = [User(sub="staff-1", claims={"email": STAFF, "email_verified": True, "name": "Program Manager"}),
             User(sub="board-1", claims={"email": BOARD, "email_verified": True, "name": "Board Chair"}),
             User(sub="other-1", claims={"email": STRANGER, "email_verified": True, "name": "Someone"})]
    with run_server_in_thread(port=free_port(), user_claims=users) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="module")
def signed_app(provider, demo_db, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("auth")
    db = tmp / "shop.duckdb"
    shutil.copyfile(demo_db, db)
    port = free_port()
    secrets = tmp / "secrets.toml"
    secrets.write_text(f'''[auth]
redirect_uri = "http://localhost:{port}/oauth2callback"
cookie_secret = "test-cookie-secret-not-for-production-0123456789"
client_id = "shop-dashboard"
client_secret = "test-client-secret"
server_metadata_url = "{provider}/.well-known/openid-configuration"
''')
    roles = tmp / "roles.toml"
    roles.write_text(f'[staff]\nemails = ["{STAFF}"]\n\n[board]\ndomains = ["board.test"]\n')
    with streamlit_app(db, "--server.address", "127.0.0.1", "--secrets.files", str(secrets), port=port,
                       env_extra={"SHOP_ROLES_FILE": str(roles)}):
        yield f"http://localhost:{port}", db


def sign_in(browser, url, sub):
    ctx = browser.new_context(viewport={"width": 1500, "height": 1000})
    page = ctx.new_page()
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector(f"button[value='{sub}']", timeout=30000)
    page.click(f"button[value='{sub}']")
    page.wait_for_url(url + "/**", timeout=30000)
    page.wait_for_selector("h1", timeout=30000)
    page.wait_for_timeout(2500)
    if page.get_by_text("no access", exact=False).count() == 0:  # a busy machine: the tiles come after the title
        page.wait_for_selector("[data-testid=stMetric]", timeout=30000)
    return ctx, page


def test_not_signed_in_sees_the_sign_in_page_only(signed_app, browser):
    url, _ = signed_app
    page = browser.new_page()
    for path in ("", "outreach", "reports?from=2025-04-01&to=2026-03-31"):
        page.goto(f"{url}/{path}", wait_until="domcontentloaded")
        page.wait_for_selector("h1", timeout=30000)
        page.wait_for_timeout(1500)
        assert page.get_by_role("button", name="Sign in").count() == 1
        assert page.locator("[data-testid=stMetric]").count() == 0
        assert page.locator(".js-plotly-plot").count() == 0
    page.close()


def test_staff_signs_in_and_gets_the_staff_view(signed_app, browser):
    url, db = signed_app
    ctx, page = sign_in(browser, url, "staff-1")
    assert page.locator("[data-testid=stMetric]").count() >= 4
    page.get_by_text("Staff (exact, confidential)").click()
    page.wait_for_timeout(1500)
    assert page.get_by_text("Staff view: exact figures").count() >= 1
    assert page.get_by_text(f"Signed in as {STAFF} (staff)").count() == 1
    page.get_by_role("link", name="Reports").click()
    page.wait_for_timeout(2500)
    page.get_by_role("button", name="Make the grant workbook").click()
    page.wait_for_selector("text=Download Grant workbook", timeout=60000)
    page.screenshot(path=str(SHOTS / "auth_staff_reports.png"), full_page=True)
    assert page.get_by_role("link", name="Audit log").count() == 1
    ctx.close()
    log = audit.read(db)
    assert ((log.user_email == STAFF) & (log.event == "sign_in") & (log.role == "staff")).any()
    exports = log[(log.user_email == STAFF) & (log.event == "export")]
    assert exports["detail"].str.contains("exact").any()


def test_board_gets_no_staff_view_whatever_it_tries(signed_app, browser):
    url, db = signed_app
    ctx, page = sign_in(browser, url, "board-1")
    assert page.locator("[data-testid=stMetric]").count() >= 4
    assert page.get_by_text("Staff (exact, confidential)").count() == 0
    assert page.get_by_text("External view").count() >= 1
    # a crafted URL: a custom day range, an audience parameter, the audit page
    page.goto(f"{url}/reports?from=2025-04-03&to=2025-04-09&audience=staff&staff=1", wait_until="domcontentloaded")
    page.wait_for_selector("h1", timeout=30000)
    page.wait_for_timeout(2500)
    assert page.get_by_text("Staff view: exact figures").count() == 0
    assert page.get_by_text("whole months only").count() >= 1
    page.get_by_role("button", name="Make the grant workbook").click()
    page.wait_for_selector("text=Download Grant workbook", timeout=60000)
    page.goto(f"{url}/audit", wait_until="domcontentloaded")
    page.wait_for_timeout(2500)
    assert page.get_by_text("Audit log").count() == 0 or page.get_by_text("staff only").count() >= 1
    page.screenshot(path=str(SHOTS / "auth_board.png"), full_page=True)
    ctx.close()
    log = audit.read(db)
    assert ((log.user_email == BOARD) & (log.event == "sign_in") & (log.role == "board")).any()
    exports = log[(log.user_email == BOARD) & (log.event == "export")]
    assert len(exports) >= 1 and not exports["detail"].str.contains("exact").any()
    views = log[(log.user_email == BOARD) & (log.event == "page_view")]
    assert len(views) >= 1 and not views["detail"].str.contains("exact").any()


def test_unknown_person_sees_no_access(signed_app, browser):
    url, db = signed_app
    ctx, page = sign_in(browser, url, "other-1")
    assert page.get_by_text("No access").count() >= 1
    assert page.locator("[data-testid=stMetric]").count() == 0
    assert page.locator("[data-testid=stSidebarNav]").count() == 0
    ctx.close()
    log = audit.read(db)
    assert ((log.user_email == STRANGER) & (log.event == "refused")).any()


def test_non_loopback_address_without_sign_in_serves_no_data(demo_db, tmp_path, browser):
    db = tmp_path / "x.duckdb"
    shutil.copyfile(demo_db, db)
    with streamlit_app(db, "--server.address", "0.0.0.0") as port:
        url = f"http://127.0.0.1:{port}"
        page = browser.new_page()
        for path in ("", "outreach", "reports"):
            page.goto(f"{url}/{path}", wait_until="domcontentloaded")
            page.wait_for_selector("h1", timeout=30000)
            page.wait_for_timeout(1500)
            assert page.get_by_text("Sign-in is not configured").count() >= 1
            assert page.locator("[data-testid=stMetric]").count() == 0
            assert page.locator(".js-plotly-plot").count() == 0
        page.close()
    assert (audit.read(db)["event"] == "refused").any()
