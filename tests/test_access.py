"""Sign-in end to end: a local OpenID Connect provider, the app with sign-in configured, and
Chromium signing in as staff, board, an unknown person, and not at all."""
from __future__ import annotations

import time

import pytest

from metrics import audit
from apps import SHOTS, download, free_port, left_for_the_provider, settled, streamlit_app
from helpers import copy_db

STAFF, BOARD, STRANGER = "manager@shop.test", "chair@board.test", "someone@elsewhere.test"
UNVERIFIED = "coordinator@shop.test"  # a staff email whose token carries no email_verified claim

# Sign-in runs on the real clock here: the provider in this process, the dashboard, Caddy and
# Chromium must agree on when a token and a cookie were made and expire, and Chromium cannot be
# moved. Nothing in this module depends on the date.
pytestmark = pytest.mark.real_clock


@pytest.fixture(scope="module")
def provider():
    from oidc_provider_mock import User, run_server_in_thread
    users = [User(sub="staff-1", claims={"email": STAFF, "email_verified": True, "name": "Program Manager"}),
             User(sub="board-1", claims={"email": BOARD, "email_verified": True, "name": "Board Chair"}),
             User(sub="other-1", claims={"email": STRANGER, "email_verified": True, "name": "Someone"}),
             User(sub="unverified-1", claims={"email": UNVERIFIED, "name": "Coordinator"})]
    with run_server_in_thread(port=free_port(), user_claims=users) as server:
        yield f"http://localhost:{server.server_port}"


ROLES = f'[staff]\nemails = ["{STAFF}", "{UNVERIFIED}"]\n\n[board]\ndomains = ["board.test"]\n'


@pytest.fixture(scope="module")
def signed_app(provider, demo_db, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("auth")
    db = tmp / "shop.duckdb"
    copy_db(demo_db, db)
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
    roles.write_text(ROLES)
    for f in (secrets, roles):  # refused otherwise: others could read the cookie secret or edit the roles
        f.chmod(0o600)
    with streamlit_app(db, "--server.address", "127.0.0.1", "--secrets.files", str(secrets), port=port,
                       env_extra={"SHOP_ROLES_FILE": str(roles)}):
        yield f"http://localhost:{port}", db, roles


def sign_in(browser, url, sub, expect="[data-testid=stMetric]"):
    ctx = browser.new_context(viewport={"width": 1500, "height": 1000})
    page = ctx.new_page()
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector(f"button[value='{sub}']", timeout=90000)
    page.click(f"button[value='{sub}']")
    page.wait_for_url(url + "/**", timeout=90000)
    page.wait_for_selector("h1", timeout=90000)
    page.wait_for_selector(expect, timeout=90000)
    settled(page)
    return ctx, page


@pytest.fixture(scope="module")
def key_a_module_fixture_sees():
    import os
    return os.environ.get("SHOP_HASH_KEY")


def test_a_dashboard_a_module_fixture_starts_has_the_test_key(key_a_module_fixture_sees):
    """signed_app's dashboard inherits os.environ as it is when the module starts, before any
    test's own settings: it had the key only when its worker had built the shared demo itself,
    and beside test_browser_access (the other worker first) it showed "the database's key is
    missing" instead of a page (conftest._test_key_for_the_session)."""
    from conftest import TEST_KEY
    assert key_a_module_fixture_sees == TEST_KEY


def test_not_signed_in_sees_the_sign_in_page_only(signed_app, browser):
    url, _, _ = signed_app
    page = browser.new_page()
    for path in ("", "outreach", "reports?from=2025-04-01&to=2026-03-31"):
        page.goto(f"{url}/{path}", wait_until="domcontentloaded")
        page.wait_for_selector("h1", timeout=90000)
        settled(page)
        assert page.get_by_role("button", name="Sign in").count() == 1
        assert page.locator("[data-testid=stMetric]").count() == 0
        assert page.locator(".js-plotly-plot").count() == 0
    page.close()


def test_staff_signs_in_and_gets_the_staff_view(signed_app, browser):
    url, db, _ = signed_app
    ctx, page = sign_in(browser, url, "staff-1")
    assert page.locator("[data-testid=stMetric]").count() >= 4
    page.get_by_text("Staff (exact, confidential)").click()
    page.wait_for_selector("text=Staff view: exact figures", timeout=90000)
    assert page.get_by_text(f"Signed in as {STAFF} (staff)").count() == 1
    page.get_by_role("link", name="Reports").click()
    page.wait_for_selector("text=Make the grant workbook", timeout=90000)
    page.get_by_role("button", name="Make the grant workbook").click()
    page.wait_for_selector("text=Download Grant workbook", timeout=90000)
    page.screenshot(path=str(SHOTS / "auth_staff_reports.png"), full_page=True)
    assert page.get_by_role("link", name="Audit log").count() == 1
    page.get_by_role("link", name="Outreach").click()
    page.wait_for_selector("text=Table:", timeout=90000)
    settled(page)
    page.get_by_text("Table:").first.click()
    button = page.get_by_role("button", name="Download this table (CSV)").first
    button.wait_for(state="visible", timeout=90000)
    settled(page)  # the positive sign that no rerun is under way to replace the button's file
    assert download(page, button).suggested_filename.endswith(".csv")
    ctx.close()
    log = audit.read(db)
    assert ((log.user_email == STAFF) & (log.event == "sign_in") & (log.role == "staff")).any()
    csv = log[(log.user_email == STAFF) & (log.event == "download")]
    assert csv.detail.str.contains("csv, exact").any() and csv.client.notna().all()
    exports = log[(log.user_email == STAFF) & (log.event == "export")]
    assert exports["detail"].str.contains("exact").any()


def test_board_gets_no_staff_view_whatever_it_tries(signed_app, browser):
    url, db, _ = signed_app
    ctx, page = sign_in(browser, url, "board-1")
    page.wait_for_selector("[data-testid=stMetric]", timeout=90000)
    assert page.locator("[data-testid=stMetric]").count() >= 4
    assert page.get_by_text("Staff (exact, confidential)").count() == 0
    assert page.get_by_text("External view").count() >= 1
    # a crafted URL: a custom day range, an audience parameter, the audit page
    page.goto(f"{url}/reports?from=2025-04-03&to=2025-04-09&audience=staff&staff=1", wait_until="domcontentloaded")
    page.wait_for_selector("text=whole months only", timeout=90000)
    settled(page)
    assert page.get_by_text("Staff view: exact figures").count() == 0
    assert page.get_by_text("whole months only").count() >= 1
    page.get_by_role("button", name="Make the grant workbook").click()
    page.wait_for_selector("text=Download Grant workbook", timeout=90000)
    page.goto(f"{url}/audit", wait_until="domcontentloaded")
    page.wait_for_selector("text=The audit log is for program staff only", timeout=90000)
    assert page.locator("[data-testid=stDataFrame]").count() == 0
    page.screenshot(path=str(SHOTS / "auth_board.png"), full_page=True)
    ctx.close()
    log = audit.read(db)
    assert ((log.user_email == BOARD) & (log.event == "sign_in") & (log.role == "board")).any()
    exports = log[(log.user_email == BOARD) & (log.event == "export")]
    assert len(exports) >= 1 and not exports["detail"].str.contains("exact").any()
    views = log[(log.user_email == BOARD) & (log.event == "page_view")]
    assert len(views) >= 1 and not views["detail"].str.contains("exact").any()
    # the attempt at /audit is a refusal, not an Overview view
    assert ((log.user_email == BOARD) & (log.event == "refused") & (log.page == "audit")).any()


def test_unknown_person_sees_no_access(signed_app, browser):
    url, db, _ = signed_app
    ctx, page = sign_in(browser, url, "other-1", expect="text=No access")
    assert page.get_by_text("No access").count() >= 1
    assert page.locator("[data-testid=stMetric]").count() == 0
    assert page.locator("[data-testid=stSidebarNav]").count() == 0
    ctx.close()
    log = audit.read(db)
    assert ((log.user_email == STRANGER) & (log.event == "refused")).any()


def test_non_loopback_address_without_sign_in_serves_no_data(demo_db, tmp_path, browser):
    db = tmp_path / "x.duckdb"
    copy_db(demo_db, db)
    with streamlit_app(db, "--server.address", "0.0.0.0") as port:
        url = f"http://127.0.0.1:{port}"
        page = browser.new_page()
        for path in ("", "outreach", "reports"):
            page.goto(f"{url}/{path}", wait_until="domcontentloaded")
            page.get_by_text("This dashboard is not served here").first.wait_for(timeout=90000)  # ui/server.py's page
            assert page.locator("[data-testid=stMetric]").count() == 0
            assert page.locator(".js-plotly-plot").count() == 0
        page.close()
    log = audit.read(db)
    assert ((log["event"] == "refused") & log.detail.str.contains("served on a network address")).any()


def test_a_token_without_email_verified_gets_no_role_unless_the_roles_file_says_so(signed_app, browser):
    url, db, roles = signed_app
    ctx, page = sign_in(browser, url, "unverified-1", expect="text=No access")
    assert page.get_by_text("No access").count() >= 1
    assert page.locator("[data-testid=stMetric]").count() == 0
    try:
        roles.write_text(ROLES + "\n[sign_in]\nprovider_sends_email_verified = false\n")
        page.reload(wait_until="domcontentloaded")
        page.wait_for_selector("[data-testid=stMetric]", timeout=90000)
        assert page.get_by_text(f"Signed in as {UNVERIFIED} (staff)").count() == 1
    finally:
        roles.write_text(ROLES)
    ctx.close()
    log = audit.read(db)
    assert ((log.user_email == UNVERIFIED) & (log.event == "refused")).any()


def test_a_sign_in_older_than_the_limit_signs_in_again(signed_app, browser):
    url, db, roles = signed_app
    ctx, page = sign_in(browser, url, "board-1")
    assert page.locator("[data-testid=stMetric]").count() >= 4
    try:
        roles.write_text(ROLES + "\n[sign_in]\nmax_session_hours = 0.0005\n")  # 1.8 seconds
        deadline = time.monotonic() + 60
        while True:  # reload until the page asks again: the positive sign that the limit has passed
            page.reload(wait_until="domcontentloaded")
            page.wait_for_selector("h1", timeout=90000)
            settled(page)
            if page.get_by_text("Please sign in again").count() or time.monotonic() > deadline:
                break
        page.wait_for_selector("text=Please sign in again", timeout=1000)
        assert page.locator("[data-testid=stMetric]").count() == 0
    finally:
        roles.write_text(ROLES)
    ctx.close()


def test_a_cookie_copied_before_sign_out_is_refused_afterwards(signed_app, browser):
    url, db, _ = signed_app
    ctx, page = sign_in(browser, url, "staff-1")
    assert page.locator("[data-testid=stMetric]").count() >= 4
    stolen = ctx.cookies()
    page.get_by_role("button", name="Sign out").click()
    left_for_the_provider(page)
    ctx.close()
    thief = browser.new_context()
    thief.add_cookies(stolen)
    page = thief.new_page()
    for path in ("", "audit"):
        page.goto(f"{url}/{path}", wait_until="domcontentloaded")
        page.wait_for_selector("text=This sign-in has ended", timeout=90000)
        page.get_by_role("button", name="Sign in").wait_for(timeout=90000)
        page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=90000)
        assert page.locator("[data-testid=stMetric]").count() == 0
        assert page.locator("[data-testid=stDataFrame]").count() == 0
    thief.close()
    log = audit.read(db)
    assert ((log.user_email == STAFF) & (log.event == "sign_out")).any()
    assert ((log.user_email == STAFF) & (log.event == "refused")).any()


def test_a_sign_out_at_the_auth_logout_address_is_recorded_and_ends_the_cookie(signed_app, browser):
    """Streamlit's own /auth/logout (typed, or a link) signs out as the button does."""
    url, db, _ = signed_app
    ctx, page = sign_in(browser, url, "board-1")
    stolen = ctx.cookies()
    before = ((audit.read(db).user_email == BOARD) & (audit.read(db).event == "sign_out")).sum()
    page.goto(f"{url}/auth/logout", wait_until="domcontentloaded")
    left_for_the_provider(page)
    ctx.close()
    log = audit.read(db)
    outs = log[(log.user_email == BOARD) & (log.event == "sign_out")]
    assert len(outs) == before + 1 and (outs.role == "board").all() and outs.client.notna().all()
    thief = browser.new_context()
    thief.add_cookies(stolen)
    page = thief.new_page()
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector("text=This sign-in has ended", timeout=45000)
    assert page.locator("[data-testid=stMetric]").count() == 0
    thief.close()


def test_the_sign_out_button_is_recorded_once(signed_app, browser):
    url, db, _ = signed_app
    ctx, page = sign_in(browser, url, "board-1")
    before = ((audit.read(db).user_email == BOARD) & (audit.read(db).event == "sign_out")).sum()
    page.get_by_role("button", name="Sign out").click()
    left_for_the_provider(page)
    ctx.close()
    log = audit.read(db)
    assert ((log.user_email == BOARD) & (log.event == "sign_out")).sum() == before + 1


# ---------------------------------------------------------------- without a browser

@pytest.mark.parametrize("headers, ok", [
    ({"host": "127.0.0.1:8501", "origin": "http://127.0.0.1:8501"}, True),
    ({"host": "localhost:8501", "origin": "http://localhost:8501"}, True),
    ({"host": "[::1]:8501", "origin": "http://[::1]:8501"}, True),
    ({"host": "dashboard.example.org:8501", "origin": "http://dashboard.example.org:8501"}, False),  # rebinding
    ({"host": "127.0.0.1:9999", "origin": "http://127.0.0.1:9999"}, False),             # another port
    ({"host": "localhost:8501", "origin": "http://localhost:3000"}, False),             # another local page
    ({"host": "localhost:8501", "origin": "null"}, False),
    ({"host": "localhost:8501"}, False),                                                # no Origin at all
    ({"host": "127.0.0.1:8501", "origin": "http://127.0.0.1:8501", "x-forwarded-for": "203.0.113.9"}, False),
    ({"host": "127.0.0.1:8501", "origin": "http://127.0.0.1:8501", "x-real-ip": "203.0.113.9"}, False),
    ({"host": "127.0.0.1:8501", "origin": "http://127.0.0.1:8501", "forwarded": "for=203.0.113.9"}, False),
    ({"host": "127.0.0.1:8501", "origin": "http://127.0.0.1:8501", "x-forwarded-proto": "https"}, False),
    ({"host": "127.0.0.1:8501", "origin": "http://127.0.0.1:8501", "via": "1.1 nginx"}, False),
    ({"host": "127.0.0.1.example.org:8501", "origin": "http://127.0.0.1.example.org:8501"}, False),
    ({"host": "localhost@evil:8501", "origin": "http://localhost@evil:8501"}, False),
    *(({"host": "127.0.0.1:8501", "origin": "http://127.0.0.1:8501", h: v}, False) for h, v in [
        ("x-original-url", "/outreach"), ("x-forwarded", "for=203.0.113.9"), ("forwarded-for", "203.0.113.9"),
        ("x-originating-ip", "203.0.113.9"), ("x-remote-addr", "203.0.113.9"),
        ("tailscale-user-login", "someone@example.org")]),
])
def test_only_a_browser_on_this_computer_at_its_own_address_passes(headers, ok):
    from ui.access import request_problem
    assert (request_problem(headers, 8501) is None) == ok


def test_the_audit_log_fails_closed(demo_db, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest
    from conftest import ROOT
    from ui.frame import STAFF as STAFF_VIEW
    db = tmp_path / "shop.duckdb"
    copy_db(demo_db, db)
    audit.path_for(db).mkdir()  # the log cannot be written
    with pytest.raises(audit.AuditError):
        audit.record("someone", "staff", "page_view", database=db)
    monkeypatch.setenv("SHOP_DB", str(db))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.session_state["audience"] = STAFF_VIEW
    at.run()
    assert not at.exception
    assert any("staff view is refused" in e.value for e in at.error)
    assert len(at.metric) == 0


def test_a_sign_out_waits_for_a_reader_in_another_process_and_is_written_whole(tmp_path):
    """The sign-out's two rows (the identity's time, the log row) are one write: a reader holding
    the file in another process (a CLI reading the log) delays it, and it is then written whole."""
    import subprocess
    import sys
    db = tmp_path / "shop.duckdb"
    audit.record("someone", "staff", "page_view", database=db)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import duckdb, sys, time; con = duckdb.connect(sys.argv[1], read_only=True); "
        "print('holding', flush=True); time.sleep(3); con.close()"), str(audit.path_for(db))],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "holding"
    audit.record_sign_out("issuer|staff-1", STAFF, "staff", client="127.0.0.1", database=db)
    holder.wait(timeout=30)
    log = audit.read(db)
    assert ((log.user_email == STAFF) & (log.event == "sign_out") & (log.role == "staff")).sum() == 1
    assert audit.signed_out_at("issuer|staff-1", database=db) is not None


def test_a_sign_out_that_cannot_be_written_leaves_neither_row(tmp_path, monkeypatch):
    db = tmp_path / "shop.duckdb"
    audit.record("someone", "staff", "page_view", database=db)
    monkeypatch.setattr(audit, "_INSERT", audit._INSERT.replace("meta.audit", "meta.no_such_table"))
    with pytest.raises(audit.AuditError):
        audit.record_sign_out("issuer|staff-1", STAFF, "staff", database=db)
    assert audit.signed_out_at("issuer|staff-1", database=db) is None


def test_data_files_are_owner_only(demo_db, tmp_path):
    from etl.load import load
    from helpers import write_rows, good_row
    db = tmp_path / "shop.duckdb"
    load([write_rows(tmp_path / "education_x.csv", "education", [good_row("education")])], db, say=lambda *_: None)
    audit.record("someone", "staff", "page_view", database=db)
    for f in (db, audit.path_for(db)):
        assert f.stat().st_mode & 0o077 == 0, f


def test_a_clients_clear_cache_message_leaves_the_shared_cache(monkeypatch):
    import streamlit as st
    from streamlit.runtime.app_session import AppSession
    from streamlit.runtime.stats import StatsManager
    from ui.access import close_server
    monkeypatch.setattr(AppSession, "_handle_clear_cache_request", AppSession._handle_clear_cache_request)
    calls = []

    @st.cache_data
    def figure(x):
        calls.append(x)
        return x * 2

    figure(21)
    stats = StatsManager()
    close_server(stats)

    class Session:  # what the handler touches of an AppSession
        def __init__(self):
            self._session_state = {"_local_token_ok": True}

    s = Session()
    AppSession._handle_clear_cache_request(s)
    figure(21)
    assert calls == [21] and s._session_state == {}
    assert stats.registered_families() == [] and stats.get_stats() == {}


def test_a_cli_export_the_audit_log_cannot_record_is_refused(demo_db, tmp_path, capsys):
    from cli import main
    db = tmp_path / "shop.duckdb"
    copy_db(demo_db, db)
    audit.path_for(db).mkdir()
    assert main(["export", "--db", str(db), "--fy", "FY2024-25", "--format", "csv", "--out", str(tmp_path / "o"),
                 "--exact"]) == 1
    assert "audit log" in capsys.readouterr().err
    assert not list((tmp_path / "o").glob("*"))


def test_freezing_and_notes_are_logged_and_refused_when_the_log_fails(demo_db, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest
    from conftest import ROOT
    from ui.frame import STAFF as STAFF_VIEW
    from metrics import frozen
    db = tmp_path / "shop.duckdb"
    copy_db(demo_db, db)
    monkeypatch.setenv("SHOP_DB", str(db))

    def reports(label, note):
        at = AppTest.from_file(str(ROOT / "pages" / "reports.py"), default_timeout=120)
        at.session_state["audience"] = STAFF_VIEW
        at.run()
        [t for t in at.text_input if "Freeze" in t.label][0].input(label)
        [b for b in at.button if b.label == "Freeze as submitted"][0].click()
        at.run()
        errors = [e.value for e in at.error]
        [t for t in at.text_input if t.label == "Note"][0].input(note)
        [b for b in at.button if b.label == "Add the note"][0].click()
        at.run()
        assert not at.exception
        return errors + [e.value for e in at.error]

    reports("Grant report (test)", "Suite closed for repairs")
    log = audit.read(db)
    assert (log.event == "freeze").any() and log[log.event == "freeze"].detail.str.contains("Grant report").any()
    assert (log.event == "note").any()
    assert "Suite closed" not in " ".join(log.detail.fillna(""))  # the note's text is not copied into the log
    n = len(frozen.listing(str(db)))
    audit.path_for(db).rename(tmp_path / "moved.duckdb")
    audit.path_for(db).mkdir()  # from here on the log cannot be written
    errors = reports("Another (test)", "Another note")
    assert any("Freezing is refused" in e for e in errors) and any("Adding the note is refused" in e for e in errors)
    assert len(frozen.listing(str(db))) == n


def test_every_download_goes_through_the_one_guard():
    """A bare st.download_button would put a file at a /media/ id anyone can reconstruct."""
    from conftest import ROOT
    files = [ROOT / "dashboard.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]
    bare = [f.name for f in files if f.name != "downloads.py" and "download_button(" in f.read_text()]
    assert bare == []


# ---------------------------------------------------------------- a shared computer (issue 27)

def test_a_file_made_for_the_staff_view_is_dropped_when_the_audience_changes(demo_db, tmp_path, monkeypatch):
    """Staff make the tables, switch to External for the board: the exact zip is no longer offered."""
    from streamlit.testing.v1 import AppTest
    from conftest import ROOT
    from ui.frame import EXTERNAL, STAFF as STAFF_VIEW
    db = tmp_path / "shop.duckdb"
    copy_db(demo_db, db)
    monkeypatch.setenv("SHOP_DB", str(db))
    at = AppTest.from_file(str(ROOT / "pages" / "reports.py"), default_timeout=120)
    at.session_state["audience"] = STAFF_VIEW
    at.run()

    def offered():
        return [e.proto.label for e in at.get("download_button")]

    [b for b in at.button if b.label == "Make the tables"][0].click()
    at.run()
    assert offered() == ["Download Tables (CSV, zipped)"]  # the control: the exact file is offered here
    at.radio(key="audience").set_value(EXTERNAL).run()
    assert not at.exception
    assert any("suppressed for sharing" in m.value for m in at.markdown)
    assert offered() == []
    at.radio(key="audience").set_value(STAFF_VIEW).run()
    assert offered() == []  # dropped, not hidden: switching back does not bring it back


def test_an_audit_cell_a_spreadsheet_would_run_is_made_inert(tmp_path):
    import csv
    import io
    db = tmp_path / "shop.duckdb"
    evil = ['=1+N("x")', "+SUM(A1)", "-2+3", "@cmd", "\t=1", "=HYPERLINK(\"http://x.test\")"]
    for i, v in enumerate(evil):
        audit.record(v, None, "refused", "", v, database=db, client=v)
    audit.record("manager@shop.test", "staff", "page_view", "overview", "2025-04-01 to 2026-03-31, exact",
                 database=db, client="127.0.0.1")
    rows = list(csv.reader(io.StringIO(audit.for_spreadsheet(audit.read(db)).to_csv(index=False))))
    cells = [c for r in rows[1:] for c in r]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t")], cells
    assert cells.count("'" + evil[0]) == 3  # kept, readable, inert (user, detail and client)
    assert "manager@shop.test" in cells and "127.0.0.1" in cells  # ordinary cells untouched


@pytest.mark.parametrize("peer, headers, trusted, want", [
    ("127.0.0.1", {}, set(), "127.0.0.1"),
    # what a client says about itself is never its address, nor copied into the log
    ("127.0.0.1", {"x-forwarded-for": '=1+N("'}, set(), "127.0.0.1 (a forwarding header from an untrusted client, "
                                                        "ignored)"),
    ("127.0.0.1", {"x-forwarded-for": "203.0.113.9"}, set(), "127.0.0.1 (a forwarding header from an untrusted "
                                                            "client, ignored)"),
    ("198.51.100.4", {"x-forwarded-for": "203.0.113.9"}, {"127.0.0.1"}, "198.51.100.4 (a forwarding header from an "
                                                                          "untrusted client, ignored)"),
    # a configured proxy: its own last hop only, and only an address
    ("127.0.0.1", {"x-forwarded-for": "10.9.9.9, 203.0.113.9"}, {"127.0.0.1"}, "127.0.0.1 (forwarded for 203.0.113.9)"),
    ("127.0.0.1", {"x-forwarded-for": '=1+N("'}, {"127.0.0.1"}, "127.0.0.1 (forwarded for an address that is not one)"),
    ('=1+N("', {}, set(), "(unknown)"),
])
def test_the_audit_records_the_connections_address_and_believes_only_a_configured_proxy(peer, headers, trusted,
                                                                                           want):
    from ui.access import audit_address
    assert audit_address(peer, headers, trusted) == want


def test_the_trusted_proxy_comes_from_the_environment_only(monkeypatch):
    from ui.access import trusted_proxies
    monkeypatch.delenv("SHOP_TRUSTED_PROXIES", raising=False)
    assert trusted_proxies() == set()
    monkeypatch.setenv("SHOP_TRUSTED_PROXIES", "127.0.0.1, ::1, not-an-address")
    assert trusted_proxies() == {"127.0.0.1", "::1"}


def test_secrets_and_roles_others_can_read_and_a_weak_cookie_secret_are_refused(tmp_path):
    import secrets as pysecrets
    from ui.access import ROOT as APP_ROOT, secrets_problem
    import tomllib
    good = pysecrets.token_hex(32)
    s, r = tmp_path / "secrets.toml", tmp_path / "roles.toml"
    s.write_text("[auth]\n")
    r.write_text(ROLES)
    for f in (s, r):
        f.chmod(0o600)
    assert secrets_problem([s, tmp_path / "absent.toml"], r, good) is None  # the control
    for f, mode in ((s, 0o644), (s, 0o640), (r, 0o644), (r, 0o620)):
        f.chmod(mode)
        why = secrets_problem([s], r, good)
        assert why and f.name in why and "chmod 600" in why, (f.name, oct(mode))
        f.chmod(0o600)
    placeholder = tomllib.loads((APP_ROOT / ".streamlit" / "secrets.example.toml").read_text())["auth"]["cookie_secret"]
    for weak in (placeholder, "", "short", "x" * 31, "a long random string with spaces in it, long enough"):
        assert secrets_problem([s], r, weak), weak
    assert secrets_problem([s], r, "x" * 32) is None


def test_sign_in_with_the_examples_cookie_secret_shows_no_sign_in(tmp_path, monkeypatch):
    import tomllib
    from streamlit.testing.v1 import AppTest
    from conftest import ROOT
    example = tomllib.loads((ROOT / ".streamlit" / "secrets.example.toml").read_text())["auth"]
    roles = tmp_path / "roles.toml"
    roles.write_text(ROLES)
    roles.chmod(0o600)
    monkeypatch.setenv("SHOP_ROLES_FILE", str(roles))
    monkeypatch.setenv("SHOP_DB", str(tmp_path / "shop.duckdb"))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.secrets["auth"] = dict(example)
    at.run()
    assert not at.exception
    assert at.title and at.title[0].value == "Sign-in is set up unsafely"
    assert not [b for b in at.button if b.label == "Sign in"] and len(at.metric) == 0
    log = audit.read(tmp_path / "shop.duckdb")
    assert (log.event == "refused").any() and log.detail.str.contains("placeholder").any()


def test_rotating_the_token_replaces_it_owner_only(tmp_path):
    from ui.access import install_token, rotate_token, token_path
    db = tmp_path / "shop.duckdb"
    first = install_token(db)
    second = rotate_token(db)
    assert second != first and token_path(db).read_text().strip() == second == install_token(db)
    assert token_path(db).stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == [token_path(db).name]  # no temporary file left


def test_make_run_rotate_token_draws_a_new_one(tmp_path, monkeypatch):
    from ui.access import install_token, main
    db = tmp_path / "shop.duckdb"
    monkeypatch.setenv("SHOP_DB", str(db))
    old = install_token(db)
    assert main(["--rotate-token"]) == 0
    assert install_token(db) != old


def test_the_browser_is_opened_without_the_link_on_its_command_line(tmp_path, monkeypatch):
    """`ps` shows every process's arguments to every account: the browser gets an owner-only file."""
    import webbrowser
    from ui.access import open_browser
    got = []
    monkeypatch.setattr(webbrowser, "open", lambda arg, *a, **k: got.append(arg))  # the browser, not the app
    url = "http://127.0.0.1:8501/?token=s3cret-token-value"
    page = open_browser(url)
    assert len(got) == 1 and "s3cret" not in got[0] and got[0] == page.as_uri()
    assert page.stat().st_mode & 0o777 == 0o600 and page.parent.stat().st_mode & 0o777 == 0o700
    assert url in page.read_text()


def test_a_resumed_session_id_gets_a_new_session():
    """A websocket naming another session's id must not inherit its staff view."""
    from ui.access import no_session_resume

    class Runtime:  # the one method the websocket handler calls on Streamlit's runtime
        def __init__(self):
            self.calls = []

        def connect_session(self, client, user_info, existing_session_id=None, session_id_override=None):
            self.calls.append(existing_session_id)
            return "new"

    rt = Runtime()
    no_session_resume(rt)
    no_session_resume(rt)  # idempotent: harden_server runs once per process, main may too
    assert rt.connect_session(client=None, user_info={}, existing_session_id="a-staff-session") == "new"
    assert rt.calls == [None]


def test_the_data_folders_are_made_owner_only(tmp_path):
    from ui.access import private_folders
    inbox = tmp_path / "data" / "inbox"
    inbox.mkdir(parents=True)
    for d in (inbox, inbox.parent):
        d.chmod(0o755)
    assert sorted(private_folders(tmp_path)) == sorted([inbox.parent, inbox])
    for d in (inbox, inbox.parent):
        assert d.stat().st_mode & 0o777 == 0o700
    assert private_folders(tmp_path) == []
