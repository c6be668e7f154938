"""Shared fixtures: a demo database built from synthetic logs with a fixed seed."""
from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from etl import demo  # noqa: E402
from etl.load import load  # noqa: E402

TEST_KEY = "test-key-not-secret-0123456789abcdef"
SEED = 7


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch):
    """Every test starts with a known key and no stray settings from the developer's shell."""
    for var in ("SHOP_DB", "SHOP_SUPPRESS_K", "SHOP_FISCAL_START_MONTH", "SHOP_SUITE_UNITS", "SHOP_MAX_FILE_MB"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("SHOP_HASH_KEY", TEST_KEY)


@pytest.fixture(scope="session")
def demo_records():
    return demo.generate(seed=SEED, years=2, today=dt.date.today())


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory, demo_records):
    """A real DuckDB file loaded from the demo's files, as staff would load them."""
    folder = tmp_path_factory.mktemp("demo")
    os.environ["SHOP_HASH_KEY"] = TEST_KEY
    demo.write_files(demo_records, folder / "logs")
    db = folder / "shop.duckdb"
    outcomes = load([folder / "logs"], db, say=lambda *_: None)
    assert all(o.status == "loaded" for o in outcomes), [(o.label, o.status, o.reason) for o in outcomes]
    return db


def good(records, log_type):
    return [r for r in records.get(log_type, []) if not r.get("bad")]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        yield b
        b.close()


# A demo for a fixed day, for tests that set the clock instead of reading it: three days into
# December 2026 (an unfinished month for the staff view; FY2025-26 over, FY2026-27 under way).
DAY = dt.date(2026, 12, 3)


def pin_clock(mp, day: dt.date = DAY) -> None:
    """Set shop.settings' clock to noon in Kamloops on `day`."""
    from shop import settings
    noon = dt.datetime(day.year, day.month, day.day, 20, 0, tzinfo=dt.timezone.utc)
    mp.setattr(settings, "_utcnow", lambda: noon)


@pytest.fixture(scope="session")
def day_demo_db(tmp_path_factory):
    """The demo's logs for DAY (two fiscal years), loaded as staff would load them."""
    with pytest.MonkeyPatch.context() as mp:
        pin_clock(mp)
        mp.setenv("SHOP_HASH_KEY", TEST_KEY)
        folder = tmp_path_factory.mktemp("day_demo")
        demo.write_files(demo.generate(seed=SEED, years=2, today=DAY), folder / "logs")
        path = folder / "shop.duckdb"
        outcomes = load([folder / "logs"], path, say=lambda *_: None)
        assert all(o.status == "loaded" for o in outcomes), [(o.label, o.status, o.reason) for o in outcomes]
    return path
