"""The tests' one clock: every test runs at a chosen instant, never at the machine's.

The product reads the time only through shop.settings (Kamloops's today, Kamloops's wall clock);
tests move that clock with time-machine, in this process and (through child_clock/sitecustomize.py)
in a CLI or a dashboard started by the test, so an expectation never depends on when the suite is run.

- Every test runs at TEST_NOW (TEST_TODAY in Kamloops) unless its module says otherwise: the
  autouse `clock` fixture in conftest.py travels there, ticking, for the test's duration. Use the
  `today` fixture (or TEST_TODAY) for expectations, never date.today().
- A module whose logic turns on the date runs every test at each of INSTANTS with
      pytestmark = clock.each_instant()
  and gets, per instant, its own `today`, `instant` and demo database (`demo_db`, `demo_records`,
  built once per day for the whole session).
- A test needing one particular moment moves there itself: `clock.move_to(...)` (the fixture
  is time-machine's traveller) or `with time_machine.travel(...)`.
- A process started by a test gets the test's clock through `faked_env()` (apps.streamlit_app
  does it for the dashboard).
"""
from __future__ import annotations

import datetime as dt
import math
import os
from zoneinfo import ZoneInfo

import pytest

KAMLOOPS = ZoneInfo("America/Vancouver")  # shop.settings' default time zone
UTC = dt.timezone.utc

# An ordinary moment: a Wednesday late morning in Kamloops, mid-month, mid-quarter, in standard time.
TEST_NOW = dt.datetime(2026, 11, 18, 19, 0, tzinfo=UTC)
TEST_TODAY = TEST_NOW.astimezone(KAMLOOPS).date()  # 2026-11-18

# Instants chosen to break date logic (UTC; the Kamloops time is in the comment).
INSTANTS = {
    # 17:30 on Thu 3 Dec in Kamloops, already Fri 4 Dec in UTC: a server's today is a day ahead
    "utc-evening": dt.datetime(2026, 12, 4, 1, 30, tzinfo=UTC),
    # 23:30 on 31 March 2027 in Kamloops: the fiscal year's last half hour (UTC is in FY2027-28)
    "fy-turn": dt.datetime(2027, 4, 1, 6, 30, tzinfo=UTC),
    # 00:10 on 1 January 2027: a new month, quarter (Q4) and calendar year, nothing of them done
    "month-first": dt.datetime(2027, 1, 1, 8, 10, tzinfo=UTC),
    # 03:30 PDT on 14 March 2027, just after the clocks jumped from 02:00 to 03:00 (a 23-hour day)
    "dst-march": dt.datetime(2027, 3, 14, 10, 30, tzinfo=UTC),
    # 01:30 PST on 1 November 2026, the second 01:30 of a 25-hour day (clocks fell back at 02:00)
    "dst-november": dt.datetime(2026, 11, 1, 9, 30, tzinfo=UTC),
    # 23:30 on 29 February 2028 in Kamloops, already 1 March in UTC
    "leap-day": dt.datetime(2028, 3, 1, 7, 30, tzinfo=UTC),
}


def day_of(instant: dt.datetime) -> dt.date:
    """Kamloops's date at `instant`."""
    return instant.astimezone(KAMLOOPS).date()


def each_instant():
    """`pytestmark = clock.each_instant()`: the module's tests run once at each of INSTANTS
    (grouped by instant, so module-scoped fixtures are built once per instant)."""
    return pytest.mark.parametrize("instant", list(INSTANTS.values()), ids=list(INSTANTS),
                                   indirect=True, scope="module")


def on_days(*names: str):
    """Like each_instant(), for a chosen few of INSTANTS by name (plus TEST_NOW as "test-now")."""
    chosen = {n: (TEST_NOW if n == "test-now" else INSTANTS[n]) for n in names}
    return pytest.mark.parametrize("instant", list(chosen.values()), ids=list(chosen),
                                   indirect=True, scope="module")


CHILD_CLOCK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "child_clock")


def faked_env(env: dict | None = None) -> dict:
    """`env` (default os.environ) for a child Python process whose clock reads as this test's
    clock: child_clock/sitecustomize.py moves it by the travelled clock's offset from the real one
    (time-machine, ticking). Monotonic clocks stay real, so the child's timeouts are not moved."""
    import time

    from time_machine import escape_hatch
    env = dict(os.environ if env is None else env)
    offset = math.ceil(time.time() - escape_hatch.time.time()) if escape_hatch.is_travelling() else 0  # never behind
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != CHILD_CLOCK]
    if not offset:  # not travelling: the real clock, and nothing loaded
        env.pop("SHOP_TESTS_CLOCK_OFFSET", None)
        if paths:
            env["PYTHONPATH"] = os.pathsep.join(paths)
        else:
            env.pop("PYTHONPATH", None)
        return env
    env["PYTHONPATH"] = os.pathsep.join([CHILD_CLOCK, *paths])
    env["SHOP_TESTS_CLOCK_OFFSET"] = str(offset)
    return env
