"""Starting the dashboard for browser tests: one way, shared by the browser and sign-in tests."""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

# The positive signs that a page has finished (SETTLED, DRAWN) and a free port are the benchmark's
# too (it times clicks by the same signs): defined once, in bench/clicks.py.
from bench.clicks import DRAWN, SETTLED, free_port  # noqa: F401
from clock import faked_env
from conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "screenshots"

# The logs of the dashboards running now (port -> file), which conftest's report hook adds to a
# failing test's report: what the server said (a traceback, a refused write) is then in CI's output.
LIVE_LOGS: dict[int, object] = {}


def log_tails(limit: int = 4000) -> list[tuple[str, str]]:
    """(title, last `limit` characters) of each running dashboard's log."""
    out = []
    for port, log in list(LIVE_LOGS.items()):
        try:  # read without moving the offset the dashboard writes at (the two share it)
            size = os.fstat(log.fileno()).st_size
            text = os.pread(log.fileno(), limit, max(0, size - limit)).decode(errors="replace")
        except (OSError, ValueError):
            continue
        out.append((f"dashboard on port {port}: its log", text or "(empty)"))
    return out


def tab(context):
    """The context's one tab, which each visit navigates (a new address typed in the same tab: a
    new document and a new Streamlit session, the context's cookies and cache kept). Its renderer
    keeps Streamlit's compiled code, as a board member's tab does from page to page: a new tab per
    visit started a renderer and compiled it all again, about 1.5 s of CPU a visit on 2 cores.
    `page.requests` lists the URLs requested since the caller last cleared it."""
    page = getattr(context, "_shop_tab", None)
    if page is None or page.is_closed():
        page = context.new_page()
        page.requests = []
        page.on("request", lambda r: page.requests.append(r.url))
        context._shop_tab = page
    return page


def settled(page, timeout: int = 90_000):
    """Wait until the page shows the end of its run (SETTLED), then for layout (DRAWN)."""
    page.wait_for_function(SETTLED, timeout=timeout)
    page.evaluate(DRAWN)


def left_for_the_provider(page, timeout: int = 90_000):
    """The positive sign that a sign-out is done: the dashboard records it (the cookie's identity
    and the log row, in one write) before it sends the browser to the provider's end of session."""
    page.wait_for_url("**/oauth2/end_session**", timeout=timeout)


def rerun_shows(page, text: str, timeout: int = 90_000):
    """After a click that reruns the page: wait for `text` (the positive sign of the new run), then settle."""
    page.get_by_text(text).first.wait_for(timeout=timeout)
    settled(page, timeout)


# Streamlit shows a failed download (its deferred file not made) under the button for 5 seconds
# and drops it: kept here as it appears, so a download that never comes fails saying why.
_KEEP_DOWNLOAD_ERRORS = """() => {
  window.__downloadErrors = window.__downloadErrors || [];
  if (window.__downloadObserver) return;
  window.__downloadObserver = new MutationObserver(() => {
    for (const e of document.querySelectorAll('[data-testid=stDownloadButtonError]'))
      if (!window.__downloadErrors.includes(e.innerText)) window.__downloadErrors.push(e.innerText);
  });
  window.__downloadObserver.observe(document.body, {childList: true, subtree: true, characterData: true});
}"""


def download(page, button, timeout: int = 90_000):
    """Click `button` (a locator) and return Playwright's Download; if none comes, fail with what
    the page said under the button (the dashboard's log is added to the report by conftest). A
    failed download ends the wait at once: the page's error is as positive a sign as the file."""
    page.evaluate(_KEEP_DOWNLOAD_ERRORS)
    came: list = []

    def arrived(d):
        came.append(d)
    page.on("download", arrived)
    try:
        button.click()
        deadline = time.monotonic() + timeout / 1000
        again = time.monotonic() + 20   # KNOWN, not understood: under load a click very rarely gives
        while not came:                 # neither file nor error (CI, stop 31; fresh clone 01:52): once more
            if again and time.monotonic() > again:
                again = None
                print("download: the click gave neither a file nor an error in 20 s; clicking once more")
                button.click()
            said = page.evaluate("() => window.__downloadErrors")
            if said:
                raise AssertionError(f"no download: the page said {said}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no download within {timeout / 1000:.0f} s of the click; the page said nothing")
            page.wait_for_timeout(100)  # lets Playwright deliver the download event while polling
        return came[0]
    finally:
        page.remove_listener("download", arrived)


@contextlib.contextmanager
def streamlit_app(db, *args, port: int | None = None, env_extra=None):
    """Run dashboard.py on `port` (or a free one) with SHOP_DB=db, its clock at the test's (tests/child_clock);
    yields the port once healthy."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (the CI script does)")
    port = port or free_port()
    env = faked_env(dict(os.environ, SHOP_DB=str(db), **(env_extra or {})))
    # Its output goes to a file, never to a pipe nobody reads: a full pipe would stop the dashboard.
    log = tempfile.TemporaryFile()
    # as make run and the systemd unit start it: dashboard.py with ui.server's refusals in front
    proc = subprocess.Popen([sys.executable, "-m", "ui.server", "--server.port", str(port), *args], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90  # a loaded machine starts Streamlit slowly
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
            break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                proc.wait(10)
                log.seek(0)
                pytest.fail("the dashboard did not start: " + log.read().decode(errors="replace")[-3000:])
            time.sleep(0.25)  # polling the health check: the positive sign is its answer
    LIVE_LOGS[port] = log
    try:
        yield port
    finally:
        LIVE_LOGS.pop(port, None)
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()


@contextlib.contextmanager
def app_with_token(db):
    """The dashboard on loopback, as (url, install token): the staff view there needs the token,
    as `make run` prints it in its link."""
    from ui import access
    with streamlit_app(db, "--server.address", "127.0.0.1") as port:
        yield f"http://127.0.0.1:{port}", access.install_token(db)
