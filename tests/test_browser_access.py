"""The app without sign-in, attacked from a browser: a foreign name for 127.0.0.1 (DNS rebinding),
a reverse proxy, another local web page, a cookie-less client probing /media/, and the
per-install token that alone opens the staff view."""
from __future__ import annotations

import base64
import contextlib
import http.server
import re
import shutil
import threading
import time
import urllib.error
import urllib.request

import pytest

from apps import CHROMIUM, SHOTS, download, free_port, rerun_shows, settled, streamlit_app
from metrics import audit
from helpers import copy_db

FOREIGN = "dashboard.example.org"


@pytest.fixture(scope="module")
def local_app(demo_db, tmp_path_factory):
    """The app as `make run` starts it (the committed config), with its install token."""
    db = tmp_path_factory.mktemp("local") / "shop.duckdb"
    copy_db(demo_db, db)
    token = install_token(db)
    with streamlit_app(db, "--server.address", "127.0.0.1") as port:
        yield port, db, token


@pytest.fixture(scope="module")
def any_host_app(demo_db, tmp_path_factory):
    """The same app with the Host allow-list opened, as a reverse proxy set-up would need it."""
    db = tmp_path_factory.mktemp("anyhost") / "shop.duckdb"
    copy_db(demo_db, db)
    token = install_token(db)
    with streamlit_app(db, "--server.address", "127.0.0.1", "--server.allowedHosts", "*") as port:
        yield port, db, token


@pytest.fixture(scope="module")
def rebinding_browser(browser):
    """Chromium that resolves an attacker's name to 127.0.0.1, as DNS rebinding makes it."""
    b = browser.browser_type.launch(executable_path=CHROMIUM, args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", f"--host-resolver-rules=MAP {FOREIGN} 127.0.0.1"])
    yield b
    b.close()


def install_token(db) -> str:
    """The per-install token as an install keeps it: `<db>.token`, owner-only."""
    import os
    p = db.with_name(db.name + ".token")
    if not p.exists():
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write("test-install-token-" + os.urandom(8).hex() + "\n")
    return p.read_text().strip()


def settle(page, url, expect: str | None = None):
    """Open `url` and wait until the app has answered: `expect` shown (required), or the script done."""
    page.goto(url, wait_until="domcontentloaded")
    if expect:
        page.wait_for_selector(expect if expect.startswith("[") else f"text={expect}", timeout=90000)
    else:
        page.wait_for_selector("h1", timeout=90000)
    settled(page)


def figures_shown(page) -> int:
    return (page.locator("[data-testid=stMetric]").count() + page.locator(".js-plotly-plot").count()
            + page.locator("[data-testid=stDataFrame]").count())


REFUSED = "This dashboard is not served here"


def refused_at_once(page, url) -> None:
    """The refused page (ui/server.py) at once: its text is in the first answer itself (403, plain
    HTML, no script or websocket to wait for), not a page that never loads. Timing it (under a
    second when the machine is quiet) is left to the eye: a loaded machine's renderer may not be."""
    answer = page.goto(url, wait_until="commit", timeout=30000)
    assert answer.status == 403
    assert REFUSED in answer.text() and "<script" not in answer.text().lower()
    page.get_by_text(REFUSED).wait_for(timeout=30000)
    assert page.get_by_text("Serving it to colleagues and the board").count() == 1
    assert "duckdb" not in page.content().lower() and "/tmp" not in page.content()


@pytest.mark.parametrize("which", ["committed config", "any host allowed"])
def test_a_foreign_name_for_127_0_0_1_gets_no_figure(request, rebinding_browser, which):
    port, db, token = request.getfixturevalue("local_app" if which == "committed config" else "any_host_app")
    page = rebinding_browser.new_page()
    for path in (f"?token={token}", "outreach", "data_quality", "audit"):
        refused_at_once(page, f"http://{FOREIGN}:{port}/{path}")
        assert figures_shown(page) == 0, path
        assert page.get_by_text("Staff view: exact figures").count() == 0
    page.screenshot(path=str(SHOTS / f"rebinding_{which.replace(' ', '_')}.png"), full_page=True)
    # the control: the same browser at the app's own address is served (so the zeros above are refusals)
    page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded")
    page.wait_for_selector("[data-testid=stMetric]", timeout=90000)
    page.close()
    log = audit.read(db)
    said = "another name or port" if which == "any host allowed" else "a name this server does not serve"
    assert ((log.event == "refused") & log.detail.str.contains(said)).any()


@pytest.mark.parametrize("headers", [{"X-Forwarded-For": "203.0.113.9"}, {"X-Real-IP": "203.0.113.9"},
                                     {"X-Original-URL": "/outreach"}, {"Tailscale-User-Login": "someone@example.org"},
                                     {"Forwarded": "for=203.0.113.9;proto=https"},
                                     {"X-Forwarded-Host": FOREIGN, "X-Forwarded-Proto": "https"}])
def test_a_request_through_a_proxy_gets_no_figure(any_host_app, rebinding_browser, headers):
    port, db, token = any_host_app
    views_before = (audit.read(db).event == "page_view").sum()
    for host in ("127.0.0.1", FOREIGN):  # a proxy that keeps the Host, and one that passes the public name
        ctx = rebinding_browser.new_context(extra_http_headers=headers)
        page = ctx.new_page()
        for path in (f"?token={token}", "audit"):
            refused_at_once(page, f"http://{host}:{port}/{path}")
            assert figures_shown(page) == 0, (host, path)
        ctx.close()
    log = audit.read(db)
    refused = log[log.event == "refused"]
    assert refused.detail.str.contains("through a proxy").any()
    assert (refused.user_email == "(anonymous)").all() and (log.event == "page_view").sum() == views_before
    if "X-Forwarded-For" in headers:  # what the client says about itself is not its address, nor copied
        assert refused.client.fillna("").str.contains("from an untrusted client, ignored").any()
        assert not log.client.fillna("").str.contains("203.0.113.9").any()


ATTACK = """<!doctype html><title>some other local app</title><script>
window.got = []; window.done = false;
const ws = new WebSocket("ws://localhost:%(port)d/_stcore/stream", ["streamlit"]);
ws.binaryType = "arraybuffer";
ws.onopen = () => ws.send(Uint8Array.from(atob("%(msg)s"), c => c.charCodeAt(0)));
ws.onmessage = (e) => { let s = ""; new Uint8Array(e.data).forEach(b => s += String.fromCharCode(b));
                        window.got.push(btoa(s)); };
ws.onclose = () => { window.done = true; };
</script>"""


@contextlib.contextmanager
def attacker_site(html: str):
    """Another local web server (some other app on this computer) serving the attacker's page."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield srv.server_address[1]
    finally:
        srv.shutdown()


def test_another_local_page_cannot_read_the_dashboard(local_app, browser):
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    port, _, _ = local_app
    msg = BackMsg()
    msg.rerun_script.query_string = ""
    html = ATTACK % {"port": port, "msg": base64.b64encode(msg.SerializeToString()).decode()}
    def decoded(got):
        out = []
        for b in got:
            f = ForwardMsg()
            f.ParseFromString(base64.b64decode(b))
            out.append(f)
        return out

    def run_ended(msgs):  # the positive sign: the run the page asked for has ended (not for a rerun)
        return any(f.WhichOneof("type") == "script_finished" and f.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN
                   for f in msgs)

    with attacker_site(html) as other:
        page = browser.new_page()
        page.goto(f"http://localhost:{other}/", wait_until="domcontentloaded")
        deadline = time.monotonic() + 60
        while not (page.evaluate("() => window.done") or run_ended(decoded(page.evaluate("() => window.got")))):
            assert time.monotonic() < deadline, "the websocket neither closed nor ended a run in 60 s"
            page.wait_for_timeout(100)  # polling for the sign above
        got = page.evaluate("() => window.got")
        page.close()
    kinds, texts = [], []
    for f in decoded(got):
        if f.WhichOneof("type") == "delta" and f.delta.WhichOneof("type") == "new_element":
            el = f.delta.new_element
            kinds.append(el.WhichOneof("type"))
            if kinds[-1] in ("markdown", "heading", "alert"):
                texts.append(getattr(el, kinds[-1]).body)
    assert got, "the websocket answered nothing at all: the test would prove nothing"
    assert not {"metric", "plotly_chart", "arrow_data_frame", "download_button"} & set(kinds), kinds
    assert any("Sign-in is not configured" in t for t in texts), texts


def test_a_local_visitor_without_the_token_gets_the_external_view_only(local_app, browser):
    port, _, _ = local_app
    page = browser.new_page()
    settle(page, f"http://127.0.0.1:{port}/outreach?token=not-the-token", expect="[data-testid=stMetric]")
    # the positive sign of the whole page: its tiles drawn (one tile seen settled once, under load)
    page.wait_for_function("() => document.querySelectorAll('[data-testid=stMetric]').length >= 2", timeout=90000)
    settled(page)
    assert page.get_by_text("External view").count() >= 1
    assert page.get_by_text("Staff (exact, confidential)").count() == 0
    assert "token" not in page.url
    settle(page, f"http://127.0.0.1:{port}/audit", expect="for program staff only")
    assert page.locator("[data-testid=stDataFrame]").count() == 0
    page.close()


def test_the_token_link_opens_the_staff_view_and_leaves_the_address_bar(local_app, browser):
    port, db, token = local_app
    assert (db.with_name(db.name + ".token").stat().st_mode & 0o777) == 0o600
    page = browser.new_page()
    settle(page, f"http://127.0.0.1:{port}/?token={token}", expect="Staff (exact, confidential)")
    assert "token" not in page.url
    # a staff account opens on the External audience (safe in front of a room): the staff-only
    # pages are not in its menu until the Staff audience is chosen
    nav = page.locator("[data-testid=stSidebarNav]")
    assert "Data quality" not in nav.inner_text() and "Audit log" not in nav.inner_text()
    page.get_by_text("Staff (exact, confidential)").click()
    rerun_shows(page, "Staff view: exact figures")
    assert page.get_by_text("Staff view: exact figures").count() >= 1
    nav.get_by_role("link", name="Audit log").wait_for(timeout=90000)
    assert "Data quality" in nav.inner_text()
    page.close()
    assert token not in audit.path_for(db).read_bytes().decode("latin-1")
    log = audit.read(db)
    assert (log.user_email == "local user").any() and (log.client == "127.0.0.1").any()


def _media(port: int, data: bytes, name: str) -> int:
    """What a cookie-less client gets for the /media/ id Streamlit would give (data, csv, name)."""
    from streamlit.runtime.memory_media_file_storage import _calculate_file_id
    url = f"http://127.0.0.1:{port}/media/{_calculate_file_id(data, 'text/csv', name)}.csv"
    try:
        return urllib.request.urlopen(url, timeout=5).status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_download_links_cannot_be_reconstructed_from_their_content(local_app, browser):
    """The oracle attack: list the candidate exact CSVs of a table and probe their /media/ ids."""
    port, db, token = local_app
    page = browser.new_page(accept_downloads=True)
    settle(page, f"http://127.0.0.1:{port}/safe_suite?token={token}", expect="Staff (exact, confidential)")
    page.get_by_text("Staff (exact, confidential)").click()
    rerun_shows(page, "Staff view: exact figures")
    page.get_by_text("Table: guest nights by month").click()
    page.get_by_role("button", name="Download this table (CSV)").first.wait_for(timeout=90000)
    settled(page)  # the positive sign that no rerun is under way to replace the button's file
    got = download(page, page.get_by_role("button", name="Download this table (CSV)").first)
    served, data = got.suggested_filename, open(got.path(), "rb").read()
    assert "_EXACT" in served and data.count(b"\n") >= 3
    base = re.sub(r"_[0-9a-f]{16}(\.csv)$", r"\1", served)
    # the attacker knows the exact content (the best a list of candidates can do) and the page's naming
    candidates = [data, data.replace(b"\r\n", b"\n"), data.rstrip(b"\n")]
    for candidate in candidates:
        for name in (base, base.replace("_EXACT", ""), served.replace(served[-20:-4], "0" * 16)):
            assert _media(port, candidate, name) == 404, name
    assert base != served, "the served name carries no random part"
    # while the staff member still has the page open: a suppressed (external) table, which a board
    # member could list exactly, is not reachable either
    page.get_by_text("External (suppressed)").click()
    rerun_shows(page, "External view")
    page.close()
    log = audit.read(db)
    downloads = log[log.event == "download"]
    assert downloads.detail.str.contains("exact").any() and (downloads.client == "127.0.0.1").any()


def test_metrics_endpoint_is_closed(local_app, browser):
    port, _, _ = local_app
    page = browser.new_page()
    settle(page, f"http://127.0.0.1:{port}/")
    page.close()
    try:  # 404 from ui.server in front; an app started by plain streamlit run empties it instead
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/metrics", timeout=5).read().decode()
    except urllib.error.HTTPError as exc:
        assert exc.code == 404
        body = ""
    assert "session" not in body and "cache" not in body, body[:300]


def _recording_browser(tmp_path) -> dict:
    """A BROWSER command (Python's webbrowser obeys it) that keeps its arguments and the file it was given."""
    rec = tmp_path / "browser"
    rec.mkdir()
    script = rec / "browser.sh"
    script.write_text(f"""#!/bin/sh
printf '%s\\n' "$@" > {rec}/argv
f=$(printf '%s' "$1" | sed 's|^file://||')
cp "$f" {rec}/page.html 2>/dev/null
stat -c %a "$f" > {rec}/mode.part 2>/dev/null
mv {rec}/mode.part {rec}/mode
""")  # `mode` appears whole, last: the test's positive sign that the browser is done
    script.chmod(0o700)
    return {"BROWSER": f"{script} %s", "DISPLAY": ":99", "_dir": str(rec)}


def _handshake(port: int, origin: str) -> int:
    """The status of a websocket handshake to the dashboard from `origin`."""
    import http.client
    import os
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/_stcore/stream", headers={
        "Host": f"127.0.0.1:{port}", "Origin": origin, "Upgrade": "websocket", "Connection": "Upgrade",
        "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(), "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Protocol": "streamlit"})
    status = c.getresponse().status
    c.close()
    return status


def test_make_run_prints_the_token_link_and_serves_no_metrics_from_the_start(demo_db, tmp_path, browser):
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path
    from conftest import ROOT
    db = tmp_path / "shop.duckdb"
    copy_db(demo_db, db)
    old = install_token(db)  # a token from an earlier run, perhaps in the browser's history
    (ROOT / "data").chmod(0o755)  # as a checkout leaves it
    port = free_port()
    rec = _recording_browser(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "ui.access", "--port", str(port)], cwd=ROOT,
                            env=dict(os.environ, SHOP_DB=str(db), **{k: v for k, v in rec.items() if k != "_dir"}),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        link, deadline = None, time.time() + 120
        while link is None and time.time() < deadline:
            line = proc.stdout.readline()
            m = re.search(r"(http://127\.0\.0\.1:\d+/\?token=\S+)", line)
            link = m.group(1) if m else None
        assert link, "make run printed no link"
        # the rest of its output is read (and dropped), so that a full pipe never stops the dashboard
        threading.Thread(target=proc.stdout.read, daemon=True).start()
        tok = db.with_name(db.name + ".token")
        new = tok.read_text().strip()
        assert link.endswith("token=" + new) and tok.stat().st_mode & 0o777 == 0o600
        assert new != old  # each make run draws a new token: an old link no longer opens the staff view
        assert (ROOT / "data").stat().st_mode & 0o077 == 0
        try:  # before anyone has opened the dashboard
            status = urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/metrics", timeout=5).status
        except urllib.error.HTTPError as exc:
            status = exc.code
        assert status == 404
        # the browser was started without the link on its command line (which `ps` shows to all)
        argv = Path(rec["_dir"], "argv")
        deadline = time.monotonic() + 60  # a loaded machine starts the browser script slowly
        while not Path(rec["_dir"], "mode").exists() and time.monotonic() < deadline:
            time.sleep(0.25)  # polling for the positive sign: `mode`, written whole, last
        assert argv.exists(), "the browser was not opened"
        assert new not in argv.read_text() and link in Path(rec["_dir"], "page.html").read_text()
        assert Path(rec["_dir"], "mode").read_text().strip() == "600"
        # [::1], where a localhost link may go, is held by this process and sends on to 127.0.0.1
        try:
            urllib.request.build_opener(NoRedirect).open(f"http://[::1]:{port}/outreach", timeout=5)
            moved = None
        except urllib.error.HTTPError as exc:
            moved = (exc.code, exc.headers.get("Location"))
        assert moved == (307, f"http://127.0.0.1:{port}/outreach")
        # a websocket Streamlit refuses at its handshake is audited, with the connection's address
        assert _handshake(port, "http://evil.example") == 403
        page = browser.new_page()
        settle(page, link, expect="Staff (exact, confidential)")
        assert "token" not in page.url
        page.get_by_text("Staff (exact, confidential)").click()
        rerun_shows(page, "Staff view: exact figures")
        assert page.get_by_text("Staff view: exact figures").count() >= 1
        page.close()
        settle(browser.new_page(), f"http://127.0.0.1:{port}/?token={old}", expect="External view")
    finally:
        proc.terminate()
        out = proc.communicate(timeout=20)[0]
    assert out.count(link.split("token=")[1]) == 0  # the token is printed once (read above), never logged
    log = audit.read(db)
    refused = log[(log.event == "refused") & log.detail.str.contains("at the connection")]
    assert len(refused) == 1 and (refused.client == "127.0.0.1").all()
    assert not ((log.user_email == "local user") & (log.role == "staff") & log.detail.str.contains("exact")).empty


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


SQUATTER = r"""
import http.server, socket, sys
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        print("GET", self.path, flush=True)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *a):
        pass
class Server(http.server.HTTPServer):
    address_family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
print("listening", flush=True)
Server((sys.argv[1], int(sys.argv[2])), Handler).serve_forever()
"""


@contextlib.contextmanager
def squatter(address: str, port: int):
    """Another account (nobody) listening first at the dashboard's port; yields its request log."""
    import os
    import socket
    import subprocess
    import time
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("acting as another user needs root and setpriv (util-linux)")
    proc = subprocess.Popen(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c",
                             SQUATTER, address, str(port)], cwd="/", stdout=subprocess.PIPE, text=True)
    fam = socket.AF_INET6 if ":" in address else socket.AF_INET
    for _ in range(80):
        with socket.socket(fam) as s:
            if s.connect_ex((address, port)) == 0:
                break
        time.sleep(0.1)
    got: list[str] = []
    try:
        yield got
    finally:
        proc.terminate()
        got.extend(proc.communicate(timeout=10)[0].splitlines())


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
def test_make_run_hands_no_token_to_another_accounts_program_at_its_port(demo_db, tmp_path, address):
    import os
    import subprocess
    import sys
    from pathlib import Path
    from conftest import ROOT
    db = tmp_path / "shop.duckdb"
    copy_db(demo_db, db)
    old = install_token(db)
    port = free_port()
    rec = _recording_browser(tmp_path)
    with squatter(address, port) as got:
        try:
            out = subprocess.run([sys.executable, "-m", "ui.access", "--port", str(port)], cwd=ROOT, timeout=90,
                                 env=dict(os.environ, SHOP_DB=str(db), **{k: v for k, v in rec.items() if k != "_dir"}),
                                 capture_output=True, text=True)
        except subprocess.TimeoutExpired as exc:  # it served: what did it print meanwhile?
            pytest.fail(f"make run started despite the other program: {exc.stdout!r}")
    tokens = {old, db.with_name(db.name + ".token").read_text().strip()}
    assert out.returncode != 0
    assert "another program" in out.stderr and "token=" not in out.stdout + out.stderr
    assert not Path(rec["_dir"], "argv").exists()  # no browser sent there either
    assert got and not [line for line in got if "token" in line or any(t in line for t in tokens)], got


def test_a_new_token_ends_the_staff_view_of_sessions_opened_with_the_old(demo_db, tmp_path, browser):
    from ui.access import rotate_token
    db = tmp_path / "shop.duckdb"
    copy_db(demo_db, db)
    token = install_token(db)
    with streamlit_app(db, "--server.address", "127.0.0.1") as port:
        page = browser.new_page()
        settle(page, f"http://127.0.0.1:{port}/?token={token}", expect="Staff (exact, confidential)")
        page.get_by_text("Staff (exact, confidential)").click()
        page.wait_for_selector("text=Staff view: exact figures", timeout=45000)
        rotate_token(db)
        page.get_by_text("Quarter").first.click()  # any rerun of this session
        page.get_by_text("Staff view: exact figures").wait_for(state="detached", timeout=45000)
        settled(page)
        assert page.get_by_text("Staff view: exact figures").count() == 0
        assert page.get_by_text("Staff (exact, confidential)").count() == 0
        page.close()


def test_the_audit_csv_download_runs_no_formula(local_app, browser):
    import csv
    import io
    port, db, token = local_app
    audit.record('=1+N("x")', None, "refused", "", "@SUM(1)", database=db, client="+1")
    page = browser.new_page(accept_downloads=True)
    settle(page, f"http://127.0.0.1:{port}/audit?token={token}", expect="choose the Staff audience")
    assert page.locator("[data-testid=stDataFrame]").count() == 0   # not in front of a room
    page.get_by_text("Staff (exact, confidential)").click()
    rerun_shows(page, "Download the audit log (CSV)")
    got = download(page, page.get_by_role("button", name="Download the audit log (CSV)"))
    rows = list(csv.reader(io.StringIO(open(got.path(), encoding="utf-8").read())))
    page.close()
    cells = [c for r in rows[1:] for c in r]
    assert """'=1+N("x")""" in cells and "'@SUM(1)" in cells and "'+1" in cells  # the row is there, inert
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")], cells
