"""Sidebar clicks in Chromium on a loaded database: from the click to the last chart drawn.

`python -m bench.clicks DB` starts the dashboard on DB (as `make run` does, on 127.0.0.1), opens
it in Debian's Chromium (Playwright, headless) right after the load, and times:
- the first External page: the Overview opened in a new browser, the dashboard having served
  nothing yet (it builds the year's released tables and writes the release ledger);
- every page of the sidebar, clicked in turn, for the External audience and then the staff view:
  the first click on a page (its figures not yet cached for that audience) and a second round.
A click ends when the new page's title is shown, its script has run to the end and every plotly
chart has drawn its axes (the browser tests' positive signs, tests/apps.py). Prints JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
# the link in the sidebar -> the page's title (h1)
PAGES = {"Overview": "SHOP at a glance", "Outreach": "Outreach", "Supplies": "Harm-reduction supplies",
         "Referrals": "Referrals", "Safe Suite": "Safe Suite", "Friday Network": "Friday Afternoon Network",
         "Bad dates": "Bad date reports", "Education": "Community education", "Monthly review": "Monthly review",
         "Reports": "Reports", "Definitions": "Definitions"}
STAFF_ONLY = {"Data quality": "Data quality", "Audit log": "Audit log"}   # in the Staff audience's menu only
# Positive signs that a page has finished, instead of a pause (the browser tests use them too,
# tests/apps.py): its script has run to the end over a live connection, nothing is stale or still
# running, no element still waits for its code (Streamlit draws a skeleton, stSkeleton, until an
# element's lazily loaded component arrives: on a first visit that is seconds after the run ends,
# so a count or a click made then sees part of the page), every plotly chart has drawn its axes;
# then two animation frames, for layout.
SETTLED = """() => {
  const app = document.querySelector('[data-testid=stApp]');
  return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
    && app.getAttribute('data-test-connection-state') === 'CONNECTED'
    && !document.querySelector('[data-testid=stStatusWidget]') && !document.querySelector('[data-stale=true]')
    && !document.querySelector('[data-testid=stSkeleton]')
    && [...document.querySelectorAll('.js-plotly-plot')].every(p => p.querySelector('.main-svg'));
}"""
DRAWN = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))"
TIMEOUT_MS = 120_000


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _settled(page, title: str) -> None:
    page.wait_for_selector(f"h1:has-text('{title}')", timeout=TIMEOUT_MS)
    page.wait_for_function(SETTLED, timeout=TIMEOUT_MS)
    page.evaluate(DRAWN)


def _click(page, link: str, title: str) -> float:
    t = time.perf_counter()
    page.locator("[data-testid=stSidebarNav]").get_by_role("link", name=link, exact=True).first.click()
    _settled(page, title)
    took = time.perf_counter() - t
    if page.locator("[data-testid=stException]").count():
        raise SystemExit(f"an exception on {link}")
    return round(took, 3)


def _rounds(page, pages: dict) -> dict:
    out = {}
    for rnd in ("first", "again"):
        for link, title in pages.items():
            out.setdefault(link, {})[rnd] = _click(page, link, title)
    return out


def measure(db: Path) -> dict:
    from playwright.sync_api import sync_playwright
    from ui import access
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([sys.executable, "-m", "ui.server", "--server.port", str(port), "--server.address",
                             "127.0.0.1"], cwd=ROOT,
                            env=dict(os.environ, SHOP_DB=str(db)), stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    log.seek(0)
                    raise SystemExit("the dashboard did not start: " + log.read().decode(errors="replace")[-2000:])
                time.sleep(0.25)
        out: dict = {}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
            t = time.perf_counter()
            page.goto(url, wait_until="domcontentloaded")
            _settled(page, PAGES["Overview"])
            out["first_external_page_s"] = round(time.perf_counter() - t, 3)
            out["external"] = _rounds(page, PAGES)
            page.context.close()
            page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
            page.goto(f"{url}/?token={access.install_token(db)}", wait_until="domcontentloaded")
            _settled(page, PAGES["Overview"])
            page.get_by_text("Staff (exact, confidential)").click()
            page.get_by_text("Staff view: exact figures").first.wait_for(timeout=TIMEOUT_MS)
            page.wait_for_function(SETTLED, timeout=TIMEOUT_MS)
            out["staff"] = _rounds(page, PAGES | STAFF_ONLY)
            browser.close()
        for aud in ("external", "staff"):
            for rnd in ("first", "again"):
                worst = max(out[aud].items(), key=lambda kv: kv[1][rnd])
                out[f"{aud}_{rnd}_max_s"] = worst[1][rnd]
                out[f"{aud}_{rnd}_max_page"] = worst[0]
        return out
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.clicks", description=__doc__.split("\n")[0])
    ap.add_argument("db", type=Path, help="a loaded database")
    args = ap.parse_args(argv)
    print(json.dumps(measure(args.db.resolve())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
