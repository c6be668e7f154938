"""One clock: the product reads the time only through shop.settings (Kamloops's today), and the
tests' clock (clock.py) moves it in this process and in a child Python process (time-machine both,
child_clock/sitecustomize.py): the command line and a dashboard at the chosen instants."""
from __future__ import annotations

import ast
import datetime as dt
import re
import subprocess
import sys

import pytest

import clock
from apps import free_port, streamlit_app
from conftest import ROOT
from shop import settings
from helpers import copy_db

PRODUCT = ["dashboard.py", "cli.py", "shop", "etl", "metrics", "ui", "pages", "bench"]
ALLOWED = {"shop/settings.py"}  # the one clock

# Kamloops's date and wall clock at each instant, worked out by hand (not by zoneinfo).
KAMLOOPS_AT = {
    "utc-evening": dt.datetime(2026, 12, 3, 17, 30),
    "fy-turn": dt.datetime(2027, 3, 31, 23, 30),
    "month-first": dt.datetime(2027, 1, 1, 0, 10),
    "dst-march": dt.datetime(2027, 3, 14, 3, 30),
    "dst-november": dt.datetime(2026, 11, 1, 1, 30),
    "leap-day": dt.datetime(2028, 2, 29, 23, 30),
}
NAME = {v: k for k, v in clock.INSTANTS.items()}

# A clock read is a call of one of these on something named like a date or time class.
_MACHINE_DATE = re.compile(r"(^|\.)(date|datetime|Timestamp)$")
_SQL_CLOCK = re.compile(r"\b(current_date|current_timestamp|current_time|localtimestamp|get_current_time|"
                        r"get_current_timestamp)\b|(?<![\w.])(today|now)\(\)", re.I)


def clock_reads(source: str, sql_too: bool = False) -> list[tuple[int, str]]:
    """(line, text) of every read of the machine's date: date.today(), datetime.today(), a
    datetime.now() or Timestamp.now() without a time zone, utcnow(); with sql_too, SQL's
    current_date, now() and the like in string constants (DuckDB's clock is the server's too)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner, attr = ast.unparse(node.func.value), node.func.attr
            if not _MACHINE_DATE.search(owner):
                continue
            naive = not node.args and not any(k.arg == "tz" for k in node.keywords) or \
                (node.args and isinstance(node.args[0], ast.Constant) and node.args[0].value is None)
            if attr in ("today", "utcnow", "utcfromtimestamp") or attr == "now" and naive:
                found.append((node.lineno, ast.unparse(node)))
        elif sql_too and isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:  # Python run in a child process (bench/run.py's scripts)
                inner = clock_reads(node.value, sql_too) if "\n" in node.value else None
            except SyntaxError:
                inner = None
            if inner is not None:
                found += [(node.lineno + line - 1, text) for line, text in inner]
            elif _SQL_CLOCK.search(node.value):
                found.append((node.lineno, node.value[:80]))
    return found


def _files(tops):
    for top in tops:
        p = ROOT / top
        yield from ([p] if p.is_file() else sorted(p.rglob("*.py")))


def test_no_product_module_reads_the_machine_date():
    bad = [f"{f.relative_to(ROOT)}:{line}: {text}" for f in _files(PRODUCT)
           if str(f.relative_to(ROOT)) not in ALLOWED
           for line, text in clock_reads(f.read_text(encoding="utf-8"), sql_too=True)]
    assert not bad, "read the day from shop.settings (today(), now()), not the machine:\n" + "\n".join(bad)


def test_no_test_reads_the_machine_date():
    bad = [f"{f.relative_to(ROOT)}:{line}: {text}" for f in _files(["tests"])
           for line, text in clock_reads(f.read_text(encoding="utf-8"))]
    assert not bad, "a test sets its day (conftest's clock, clock.TEST_TODAY), never the machine's:\n" + "\n".join(bad)


@pytest.mark.parametrize("code", ["dt.date.today()", "date.today()", "datetime.date.today()", "dt.datetime.now()",
                                  "datetime.now()", "datetime.datetime.now(None)", "dt.datetime.utcnow()",
                                  "pd.Timestamp.now()", "pd.Timestamp.today()", "dt.datetime.today()"])
def test_the_search_finds_each_way_of_reading_the_machine_date(code):
    assert clock_reads(f"x = {code}\n") == [(1, code)]


@pytest.mark.parametrize("code", ["dt.datetime.now(dt.timezone.utc)", "datetime.now(tz=ZoneInfo('UTC'))",
                                  "settings.today()", "settings.now()", "time.monotonic()", "periods.month(today)"])
def test_the_search_lets_the_one_clock_and_aware_times_pass(code):
    assert clock_reads(f"x = {code}\n") == []


def test_the_search_finds_sql_and_child_scripts_reading_the_servers_clock():
    assert len(clock_reads('con.execute("select current_date, now()")\n', sql_too=True)) == 1
    assert clock_reads('SCRIPT = """\nimport datetime as dt\nfy = dt.date.today()\n"""\n', sql_too=True) == \
        [(3, "dt.date.today()")]
    assert clock_reads('con.execute("select max(loaded_at) from meta.batches")\n', sql_too=True) == []


def test_every_test_starts_at_test_now():
    assert settings.today() == clock.TEST_TODAY == dt.date(2026, 11, 18)
    assert abs(settings.now() - dt.datetime(2026, 11, 18, 11, 0)) < dt.timedelta(minutes=5)


@clock.each_instant()
def test_the_product_clock_reads_kamloops_at_each_instant(instant, today):
    want = KAMLOOPS_AT[NAME[instant]]
    assert settings.today() == today == want.date()
    assert dt.timedelta(0) <= settings.now() - want < dt.timedelta(minutes=5)  # the clock ticks on


@clock.each_instant()
def test_a_child_process_reads_the_same_clock(instant):
    """A Python process started by the test reads the test's clock (child_clock), without touching it."""
    out = subprocess.run([sys.executable, "-c", "from shop import settings; print(settings.now().isoformat())"],
                         cwd=ROOT, capture_output=True, text=True, env=clock.faked_env(), timeout=60)
    assert out.returncode == 0, out.stderr
    got = dt.datetime.fromisoformat(out.stdout.strip())
    want = KAMLOOPS_AT[NAME[instant]]
    assert dt.timedelta(0) <= got - want < dt.timedelta(minutes=5), (got, want)


# The External view's default period ends with the last month that has ended in Kamloops; on a
# server whose clock says UTC, it would already include March (fy-turn) or February (leap-day).
DEFAULT_END = {"fy-turn": "2027-02-28", "leap-day": "2028-01-31"}


@clock.on_days(*DEFAULT_END)
def test_a_dashboard_process_shows_the_months_ended_in_kamloops(instant, demo_db, browser, tmp_path):
    from playwright.sync_api import expect
    db = tmp_path / "shop.duckdb"
    copy_db(demo_db, db)
    with streamlit_app(db, "--server.address", "127.0.0.1", port=free_port()) as port:
        page = browser.new_page()
        try:
            page.goto(f"http://127.0.0.1:{port}/")
            # the page writes its period into the address once it has rendered
            page.wait_for_url(re.compile(r"[?&]to=\d{4}-\d\d-\d\d"), timeout=90_000)
            expect(page.get_by_text("External view: whole months that have ended").first).to_be_visible(timeout=60_000)
            assert f"to={DEFAULT_END[NAME[instant]]}" in page.url, page.url
        finally:
            page.close()
