"""Several people at once through the proxy: 10 Chromium sessions (staff and board mixed) signed in
through Caddy, each clicking from page to page for a minute. Reports errors, page times (p50, p95,
max: from the click to the page's last element, the app idle again) and the app's peak memory
(resident, sampled every 0.2 s). `make bench-serve`; too slow and too heavy for `make test`.
Writes bench/serve_results.json."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# the link in the sidebar -> the page's title
PAGES = {"Overview": "SHOP at a glance", "Outreach": "Outreach", "Supplies": "Harm-reduction supplies",
         "Referrals": "Referrals", "Safe Suite": "Safe Suite", "Friday Network": "Friday Afternoon Network",
         "Bad dates": "Bad date reports", "Education": "Community education", "Data quality": "Data quality",
         "Definitions": "Definitions"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(int(x.split()[1]) for x in f if x.startswith("VmRSS")) / 1024
    except (OSError, StopIteration):
        return 0.0


async def settle(page, timeout_ms: int = 30000) -> None:
    await page.wait_for_selector("h1", timeout=timeout_ms)
    await page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')",
                                 timeout=timeout_ms)


async def session(browser, stack, sub: str, staff: bool, seconds: float, times: list, errors: list, seed: int,
                  seen: set):
    ctx = await browser.new_context(viewport={"width": 1400, "height": 900})
    page = await ctx.new_page()
    page.on("pageerror", lambda exc: errors.append(f"{sub}: page error {str(exc)[:120]}"))
    try:
        await page.goto(stack.url, wait_until="domcontentloaded")
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_selector(f"button[value='{sub}']", timeout=60000)
        await page.click(f"button[value='{sub}']")
        await page.wait_for_selector("[data-testid=stMetric]", timeout=90000)
        await settle(page, 60000)
        if staff:
            await page.get_by_text("Staff (exact, confidential)").click()
            await page.wait_for_selector("text=Staff view: exact figures", timeout=60000)
            await settle(page, 60000)
    except Exception as exc:  # noqa: BLE001 - every failure is a finding, counted and reported
        errors.append(f"{sub}: sign-in {type(exc).__name__}: {str(exc)[:160]}")
        await ctx.close()
        return
    end, i = time.monotonic() + seconds, seed
    while time.monotonic() < end:
        name = list(PAGES)[i % len(PAGES)]
        i += 3
        t = time.perf_counter()
        try:
            await page.get_by_role("link", name=name, exact=True).first.click()
            await page.wait_for_selector(f"h1:has-text('{PAGES[name]}')", timeout=30000)
            await settle(page)
            # first: nobody with this audience had opened the page yet (its figures not cached)
            times.append((time.perf_counter() - t, (staff, name) in seen))
            seen.add((staff, name))
            if await page.locator("[data-testid=stException]").count():
                errors.append(f"{sub}: an exception on {name}")
        except Exception as exc:  # noqa: BLE001
            errors.append(f"{sub}: {name} {type(exc).__name__}: {str(exc)[:160]}")
        await asyncio.sleep(0.5)  # a person reads a little before the next click
    await ctx.close()


async def drive(stack, users: int, seconds: float) -> tuple[list, list]:
    from playwright.async_api import async_playwright
    times, errors, seen = [], [], set()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", *stack.chromium_args()])
        await asyncio.gather(*[session(browser, stack, "staff-1" if k % 2 == 0 else "board-1", k % 2 == 0,
                                       seconds, times, errors, k, seen) for k in range(users)])
        await browser.close()
    return times, errors


def spread(times: list[float]) -> dict:
    if not times:
        return {"n": 0}
    times = sorted(times)
    return {"n": len(times), "p50": round(statistics.median(times), 2),
            "p95": round(times[max(0, int(round(0.95 * len(times))) - 1)], 2), "max": round(times[-1], 2)}


def main(argv: list[str] | None = None) -> int:
    import logging
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the mock provider's request lines
    from oidc_provider_mock import run_server_in_thread

    from deploy import serve
    ap = argparse.ArgumentParser(prog="python -m bench.serve", description=__doc__.split("\n")[0])
    ap.add_argument("--users", type=int, default=10, help="browser sessions at once (half staff, half board)")
    ap.add_argument("--seconds", type=float, default=60, help="how long each session clicks through pages")
    args = ap.parse_args(argv)
    if not shutil.which("caddy"):
        print("caddy is missing: apt-get install caddy", file=sys.stderr)
        return 1
    state = Path(tempfile.mkdtemp(prefix="shop-bench-serve-"))
    db = state / "shop.duckdb"
    os.environ.setdefault("SHOP_HASH_KEY", "bench-key-not-secret-0123456789abcdef")
    subprocess.run([sys.executable, "-m", "etl", "demo", "--db", str(db)], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    site = f"https://dashboard.shop.test:{free_port()}"
    with run_server_in_thread(port=free_port(), user_claims=serve.mock_users()) as srv:
        secrets_file, roles = serve.mock_sign_in(state, site, f"http://localhost:{srv.server_port}")
        with serve.stack(db, state, site, free_port(), free_port(), secrets_file, roles) as stack:
            peak, stop = [rss_mb(stack.app_pid)], threading.Event()

            def sample():
                while not stop.wait(0.2):
                    peak.append(rss_mb(stack.app_pid))

            threading.Thread(target=sample, daemon=True).start()
            t, cpu0 = time.monotonic(), cpu_s(stack.app_pid)
            times, errors = asyncio.run(drive(stack, args.users, args.seconds))
            wall, app_cpu = time.monotonic() - t, cpu_s(stack.app_pid) - cpu0
            stop.set()
    shutil.rmtree(state, ignore_errors=True)
    p95 = spread([t for t, _ in times]).get("p95")
    out = {"users": args.users, "seconds": args.seconds, "wall_s": round(wall, 1), "pages": len(times),
           "errors": len(errors), "error_examples": errors[:5], "page_s": spread([t for t, _ in times]),
           "page_s_revisited": spread([t for t, again in times if again]),
           "page_s_first": spread([t for t, again in times if not again]),
           "app_peak_mb": round(max(peak)), "app_cpu_s": round(app_cpu, 1), "cpus": os.cpu_count(),
           "load_average_after": round(os.getloadavg()[0], 1)}
    (ROOT / "bench" / "serve_results.json").write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out, indent=1))
    ok = not errors and (p95 or 99) <= 1.5 and max(peak) <= 600
    print("within the targets (no error, p95 <= 1.5 s, app <= 600 MB)" if ok else "OUTSIDE the targets")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
