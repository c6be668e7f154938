"""Shared fixtures: the tests' clock (see clock.py) and a demo database built from synthetic logs
with a fixed seed, once per day for the session."""
from __future__ import annotations

import datetime as dt
import fcntl
import os
import pickle
import sys
from pathlib import Path

import pytest
import time_machine

ROOT = Path(__file__).resolve().parents[1]


def docs_text() -> str:
    """The README and every page of docs/, joined: the documentation the parity tests check."""
    return "\n".join(p.read_text() for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))])
sys.path.insert(0, str(ROOT))

import clock as test_clock  # noqa: E402
from etl import demo  # noqa: E402
from etl.load import load  # noqa: E402

pytest_plugins = ["reader_probe"]  # the second reader pass of `make test` (see reader_probe.py)

# The property tests (hypothesis) draw the same examples on every run, so a run passes or fails by
# the code alone, never by the draw (CI would otherwise reject good work by luck, or let a bug
# through by luck); `SHOP_HYPOTHESIS=explore make test` draws new ones, to look for more.
import hypothesis  # noqa: E402

hypothesis.settings.register_profile("fixed", derandomize=True, database=None)
hypothesis.settings.register_profile("explore", derandomize=False)
hypothesis.settings.load_profile(os.environ.get("SHOP_HYPOTHESIS", "fixed"))


def _scan_installed_components_once() -> None:
    """Every `AppTest` scans each installed package's metadata for Streamlit components (0.08 s a
    run here, 30 s of the suite's CPU). The packages installed do not change while the tests run,
    so the workers scan once and hand each AppTest the same answer (none: the dashboard has no
    custom components). The dashboards the tests start as processes scan as they would in use."""
    import functools
    from streamlit.components.v2 import manifest_scanner
    if not hasattr(manifest_scanner.scan_component_manifests, "cache_info"):
        manifest_scanner.scan_component_manifests = functools.lru_cache(maxsize=1)(
            manifest_scanner.scan_component_manifests)


_scan_installed_components_once()

TEST_KEY = "test-key-not-secret-0123456789abcdef"
SEED = 7


@pytest.fixture(scope="session", autouse=True)
def _test_key_for_the_session():
    """The test key in the process's environment before any module's fixture runs: a dashboard or
    CLI a module-scoped fixture starts (tests/apps.py) inherits os.environ as it is then, and each
    test's own setting (_isolated_env) is undone after it. Without this a module's first dashboard
    had the key only if its worker had built the shared demo itself (_shared_demo set it then): with
    the other worker first, test_access's signed-in dashboard found no key and showed no page."""
    saved = os.environ.get("SHOP_HASH_KEY")
    os.environ["SHOP_HASH_KEY"] = TEST_KEY
    yield
    if saved is None:
        os.environ.pop("SHOP_HASH_KEY", None)
    else:
        os.environ["SHOP_HASH_KEY"] = saved


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch):
    """Every test starts with a known key and no stray settings from the developer's shell."""
    for var in ("SHOP_DB", "SHOP_SUPPRESS_K", "SHOP_FISCAL_START_MONTH", "SHOP_SUITE_UNITS", "SHOP_MAX_FILE_MB",
                "SHOP_TIMEZONE"):
        # set, then deleted: the monkeypatch records the value before the test (or its absence),
        # so a test that sets one of these directly (os.environ[...] = ...) has it undone at its
        # end too; delenv alone records nothing when the variable was absent, and the value then
        # stayed in the worker for the next modules' fixtures (a dashboard they start inherits it)
        monkeypatch.setenv(var, "")
        monkeypatch.delenv(var)
    monkeypatch.setenv("SHOP_HASH_KEY", TEST_KEY)
    # A load prepares the External view's tables (cli._prepare_external): a second or more per load,
    # for nothing in a test about the load itself. The tests of preparing turn it on.
    monkeypatch.setenv("SHOP_PREPARE_EXTERNAL", "0")
    # every row of the release engine's tables must be true of the data (protect._true_of_the_data)
    monkeypatch.setenv("SHOP_CHECK_ROWS", "1")


@pytest.fixture(scope="module")
def instant(request):
    """The UTC instant a test runs at: clock.TEST_NOW, or each of clock.INSTANTS for a test (or a
    module, `pytestmark = ...`) marked `clock.each_instant()` or `clock.on_days(...)`."""
    return getattr(request, "param", test_clock.TEST_NOW)


@pytest.fixture(scope="module")
def today(instant):
    """Kamloops's date at the module's instant: the day expectations are computed for."""
    return test_clock.day_of(instant)


def pytest_configure(config):
    config.addinivalue_line("markers", "real_clock: the module runs on the machine's clock, not the tests' "
                                       "(sign-in: the provider, the dashboard, Caddy and Chromium must agree on "
                                       "when a token or cookie was made; nothing there depends on the date)")


# The modules that take longest, in worker seconds on 2 cores (`make test`'s first pass of
# 2026-12-05: browser_room 134 s, browser_access 102, review 102, release_over_time 85, pages 77,
# access 74, disclosure_audit 65, browser 62, month_patterns 46, indicators 40). `make test` hands
# whole modules to its two workers in the order collected (--no-loadscope-reorder), so these go
# first, longest first, and the short ones fill in at the end: a long module begun last kept one
# worker busy half a minute after the other had finished.
LONGEST_FIRST = ["test_browser_room.py", "test_release_over_time.py", "test_browser_access.py", "test_review.py",
                 "test_pages.py", "test_access.py", "test_disclosure_audit.py", "test_browser.py",
                 "test_release_month_patterns.py", "test_indicators.py"]


def pytest_collection_modifyitems(items):
    """The longest modules first (LONGEST_FIRST); each module's tests keep their order. With
    SHOP_MODULE_ORDER_SEED set, the modules in an order drawn from it instead: which modules run
    beside which on the two workers, and which worker builds the shared demo, then change, and a
    test that passes only beside some modules shows (test_access beside test_browser_access did)."""
    seed = os.environ.get("SHOP_MODULE_ORDER_SEED")
    if seed:
        import random
        names = sorted({item.path.name for item in items})
        random.Random(int(seed)).shuffle(names)
        rank = {name: i for i, name in enumerate(names)}
    else:
        rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing test's report carries the logs of the dashboards it ran against (tests/apps.py)."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and "apps" in sys.modules:
        for title, text in sys.modules["apps"].log_tails():
            report.sections.append((title, text))


@pytest.fixture(scope="module", autouse=True)
def _module_clock(instant, request):
    """The module's own fixtures (a dashboard, a database) are made at its instant too."""
    if request.node.get_closest_marker("real_clock"):
        yield
        return
    with time_machine.travel(instant, tick=True):
        yield


@pytest.fixture(autouse=True)
def clock(instant, request):
    """Every test runs at its instant (ticking from there). A test that takes this fixture gets
    time-machine's traveller (`clock.move_to(...)`, `clock.shift(...)`); the name then hides the
    tests' clock module inside that test (import its names: `from clock import TEST_TODAY`).
    A module marked `real_clock` keeps the machine's clock (and gets None)."""
    if request.node.get_closest_marker("real_clock"):
        yield None
        return
    with time_machine.travel(instant, tick=True) as traveller:
        yield traveller


@pytest.fixture(scope="session")
def demo_on(tmp_path_factory):
    """demo_on(day) -> (records, db): the demo program's logs up to `day`, loaded into a real
    DuckDB file as staff would load them (the load stamped on that day), built once a session.
    Parallel workers (pytest-xdist) build each day's once between them and each takes its own
    copy (helpers.copy_db: same file time, so its released tables stay warm; its own ledger)."""
    built = {}

    def make(day):
        if day not in built:
            shared = _shared_demo(tmp_path_factory, day)
            mine = tmp_path_factory.mktemp(f"demo-{day}")
            from helpers import copy_db
            db = copy_db(shared / "shop.duckdb", mine / "shop.duckdb")
            with open(shared / "records.pickle", "rb") as fh:
                records = pickle.load(fh)
            built[day] = records, db
        return built[day]
    return make


def _shared_demo(tmp_path_factory, day) -> Path:
    """The folder holding `day`'s demo database (with its released tables warm) and its records,
    built by whichever worker asks first, under a lock, in the run's common temporary folder."""
    base = tmp_path_factory.getbasetemp()
    common = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = common / f"shared-demo-{day}"
    folder.mkdir(exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "done").exists():
            records = demo.generate(seed=SEED, years=2, today=day)
            demo.write_files(records, folder / "logs")
            db = folder / "shop.duckdb"
            import reader_probe  # registered above as a plugin
            with time_machine.travel(_instant_on(day), tick=True), reader_probe.quiet():
                outcomes = load([folder / "logs"], db, say=lambda *_: None)
            assert all(o.status == "loaded" for o in outcomes), [(o.label, o.status, o.reason) for o in outcomes]
            _released_ahead(db, day)
            with open(folder / "records.pickle", "wb") as fh:
                pickle.dump(records, fh)
            (folder / "done").touch()
    return folder


def _released_ahead(db, day) -> None:
    """Build the released tables of the years the External view opens on (this fiscal year and
    the last) once, beside the database: every dashboard, CLI and copy (helpers.copy_db) of it
    then starts warm instead of building them again (seconds each on two cores)."""
    from metrics import release
    from shop import periods
    with time_machine.travel(_instant_on(day), tick=True):
        fy = periods.fy_start_year(day)
        for year in (fy - 1, fy):
            release.year(year, db, day)


def _instant_on(day):
    """An instant on Kamloops's `day`: one of the chosen instants if it falls on that day, else noon."""
    for i in [test_clock.TEST_NOW, *test_clock.INSTANTS.values()]:
        if test_clock.day_of(i) == day:
            return i
    return dt.datetime.combine(day, dt.time(12), test_clock.KAMLOOPS)


@pytest.fixture(scope="module")
def demo_records(demo_on, today):
    return demo_on(today)[0]


@pytest.fixture(scope="module")
def demo_db(demo_on, today):
    """A real DuckDB file loaded from the demo's files up to the module's today."""
    return demo_on(today)[1]


def good(records, log_type):
    return [r for r in records.get(log_type, []) if not r.get("bad")]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (no browser download). It keeps the real clock
    (only Python processes get the tests' clock); cookies are given lifetimes, not dates."""
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
