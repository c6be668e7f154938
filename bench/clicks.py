"""Sidebar clicks in Chromium on a loaded database: from the click to the last chart drawn.

`python -m bench.clicks DB` starts the dashboard on DB (as `make run` does, on 127.0.0.1), opens
it in Debian's Chromium (Playwright, headless) right after the load, and times:
- the first External page: the Overview opened in a new browser, the dashboard having served
  nothing yet (it builds the year's released tables and writes the release ledger); and again in
  a browser that has opened the dashboard before (its code cached, as a returning reader's is),
  the dashboard having served nothing of this load (`returning`);
- every page of the sidebar, clicked in turn, for the External audience and then the staff view:
  the first click on a page (its figures not yet cached for that audience) and a second round.
A click ends when the new page's title is shown, its script has run to the end and every plotly
chart has drawn its axes (the browser tests' positive signs, tests/apps.py). Prints JSON.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
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


@contextlib.contextmanager
def _serving(db: Path, port: int):
    """The dashboard on db at 127.0.0.1:port (as `make run` starts it), until the block ends."""
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
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def _copy(db: Path, to: Path) -> Path:
    """A copy of a loaded database as the load left it: its key and the tables the load prepared
    beside it (valid for a copy with the same file time); nothing served from it yet."""
    for q in to.parent.glob(to.name + "*"):
        shutil.rmtree(q) if q.is_dir() else q.unlink()
    shutil.copy2(db, to)
    kept = Path(str(db) + ".release")
    if kept.is_dir():
        Path(str(to) + ".release").mkdir(mode=0o700)
        for q in kept.glob("*.json"):
            shutil.copy2(q, Path(str(to) + ".release") / q.name)
    if Path(str(db) + ".key").exists():
        shutil.copyfile(str(db) + ".key", str(to) + ".key")
    return to


def _first_page(page, url: str) -> float:
    t = time.perf_counter()
    page.goto(url, wait_until="domcontentloaded")
    _settled(page, PAGES["Overview"])
    return round(time.perf_counter() - t, 3)


def returning(db: Path, browser_args=ARGS) -> float:
    """The first External page after a load in a browser that has opened the dashboard before
    (as a manager's or a board member's own browser has, month after month): the browser has
    the dashboard's code in its cache; the dashboard has served nothing of this load yet. The
    browser opens the Overview of a copy of db first (the last month's visit), then the
    dashboard is started on another copy, as a load leaves it, at the same address."""
    from playwright.sync_api import sync_playwright
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        before, after = _copy(db, Path(tmp) / "before.duckdb"), _copy(db, Path(tmp) / "after.duckdb")
        with sync_playwright() as p:
            ctx = p.chromium.launch_persistent_context(Path(tmp) / "profile", executable_path=CHROMIUM, headless=True,
                                                       args=browser_args, viewport={"width": 1400, "height": 900})
            try:
                with _serving(before, port) as url:
                    page = ctx.new_page()
                    _first_page(page, url)
                    page.close()
                with _serving(after, port) as url:
                    page = ctx.new_page()
                    return _first_page(page, url)
            finally:
                ctx.close()


def measure(db: Path) -> dict:
    from playwright.sync_api import sync_playwright
    from ui import access
    out: dict = {"first_external_page_returning_s": returning(db)}
    with tempfile.TemporaryDirectory() as tmp, _serving(served := _copy(db, Path(tmp) / "new.duckdb"),
                                                        free_port()) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
        out["first_external_page_s"] = _first_page(page, url)
        out["external"] = _rounds(page, PAGES)
        page.context.close()
        page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
        page.goto(f"{url}/?token={access.install_token(served)}", wait_until="domcontentloaded")
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


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.clicks", description=__doc__.split("\n")[0])
    ap.add_argument("db", type=Path, help="a loaded database")
    args = ap.parse_args(argv)
    print(json.dumps(measure(args.db.resolve())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
