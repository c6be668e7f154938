#!/usr/bin/env python
"""Fuzz the release engine over time on a whole small program (every service, People served across
them), on random days: the other half of fuzz.py, which corrects outreach files on the 5th.

A seed draws a small program (tests/small_program.py: about 30 people, every log type, its own
records seed), the day its data run to (anywhere from April 2026 to June 2027, so the fiscal year
turns at different points of the data), and 4-9 release days before it: any day of a month (the
1st, the last, the 2nd, mid-month, twice in a month), at any hour in Kamloops (just after
midnight, noon, 23:30). The data are loaded once (as tests/test_release_over_time.py does); on each
release day everything the External audience can take away is asked for: `etl summary --json` for
every period offered that day (tests/test_release_over_time.offered, from the contract) and every
period it may choose (test_disclosure_audit.allowed_periods), and every table behind the charts at
the month, quarter and year grains. One attacker keeps all of it: test_disclosure_audit.audit over
time (one linear program per table and fiscal year; stays and nights together) and
test_release_over_time.pattern_audit (distinct people over the release ledger). Both are the tests'
own models, written from the contract, not from the engine.

usage: program.py [-v] SEED [SEED...]
  env ENGINE=/path/to/a/git-archive-copy   import metrics/shop/etl from there (as fuzz.py)

One line per seed: `SEED clean <small counts seen>`, `SEED PIN <n> <first 3 problems>`, or
`SEED ERROR <what>`. With -v, the timeline first and every problem after.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import random
import sys
import tempfile
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _env import ENGINE, WORK  # noqa: E402  (sets up the engine's path and environment)

import time_machine  # noqa: E402

import clock as test_clock  # noqa: E402  (tests/clock.py)
import small_program  # noqa: E402
import test_disclosure_audit as da  # noqa: E402
import test_release_over_time as ot  # noqa: E402
from cli import main as cli_main  # noqa: E402
from metrics import release  # noqa: E402
from shop import periods  # noqa: E402

assert Path(release.__file__).resolve().is_relative_to(Path(ENGINE).resolve()), release.__file__

HOURS = [(0, 10), (9, 0), (12, 0), (17, 30), (23, 30)]   # Kamloops's wall clock on a release day


def timeline(seed: int) -> dict:
    rng = random.Random(seed)
    data_day = dt.date(2026, 4, 1) + dt.timedelta(days=rng.randint(0, 455))
    first = periods.add_months(periods.fiscal_year(periods.fy_start_year(data_day) - 1).start, 1)
    months = []
    m = first
    while m <= data_day:
        months.append(m)
        m = periods.add_months(m, 1)
    days = set()
    for m in rng.sample(months, min(len(months), rng.randint(4, 9))):
        last = periods.month_end(m).day
        for _ in range(2 if rng.random() < 0.15 else 1):   # now and then two releases in a month
            d = m.replace(day=rng.choice([1, 1, 2, 5, rng.randint(3, last - 1), last, last]))
            if d <= data_day:
                days.add(d)
    return {"seed": seed, "records_seed": rng.randrange(10 ** 6), "data_day": data_day,
            "days": [(d, rng.choice(HOURS)) for d in sorted(days)]}


def instant(day: dt.date, hm: tuple[int, int]) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, *hm, tzinfo=test_clock.KAMLOOPS)


def _summary(db: Path, p: periods.Period) -> tuple[int, dict | None]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_main(["summary", "--db", str(db), "--from", p.start.isoformat(), "--to", p.end.isoformat(),
                         "--json"])
    if code != 0:   # a period the engine does not offer: a refusal (2) with nothing on stdout
        if code != 2 or out.getvalue().strip():
            raise AssertionError(f"summary {p.start}..{p.end}: exit {code} {err.getvalue().strip()[:200]}")
        return code, None
    return code, json.loads(out.getvalue())["indicators"]


def collect_day(att: da.Attacker, db: Path, today: dt.date) -> int:
    asked = 0
    chosen = {(p.start, p.end): p for p in [*ot.offered(today), *da.allowed_periods(today)]}
    for p in chosen.values():
        code, figs = _summary(db, p)
        if figs is None:
            continue
        asked += 1
        att.see_indicators(figs, p.start, p.end)
        for measure in da.TABLES:
            for grain in ("month", "quarter", "year"):
                try:
                    br = release.breakdown(measure, p, grain, True, db, today)
                except release.NotExternal:
                    continue
                if not br.table.empty:
                    rows = {label: dict(row.items()) for label, row in br.table.iterrows()}
                    att.see_table(measure, rows, lambda label, p=p, g=grain: da._bucket(label, p, g),
                                  merged=br.merged)
    return asked


def run_seed(seed: int, verbose: bool = False) -> str:
    tl = timeline(seed)
    if verbose:
        print(f"# seed {seed}: records seed {tl['records_seed']}, data to {tl['data_day']}, releases: "
              + ", ".join(f"{d} {h:02d}:{mi:02d}" for d, (h, mi) in tl["days"]), flush=True)
    folder = Path(tempfile.mkdtemp(dir=WORK))
    try:
        with time_machine.travel(instant(tl["data_day"], (12, 0)), tick=True):
            db = small_program.build(folder, tl["data_day"], seed=tl["records_seed"])
        att = da.Attacker()
        asked = 0
        for day, hm in tl["days"]:
            with time_machine.travel(instant(day, hm), tick=True):
                asked += collect_day(att, db, day)
        small = sum(da.SMALL in v for v in att.obs.values())
        problems = da.audit(att, over_time=True, same_day=da.same_day_stays(db))
        problems += ot.pattern_audit(db, tl["data_day"])
    except Exception as e:  # noqa: BLE001
        return error_line(seed, e, verbose)
    return result_line(seed, problems, small, asked, verbose)


def error_line(seed: int, e: Exception, verbose: bool) -> str:
    if verbose:
        traceback.print_exc()
    tb = traceback.extract_tb(e.__traceback__)[-1]
    return f"{seed} ERROR {type(e).__name__} {e!s:.300} @ {Path(tb.filename).name}:{tb.lineno}"


def result_line(seed: int, problems: list[str], small: int, asked: int, verbose: bool) -> str:
    if verbose:
        for p in problems:
            print(f"#   {p}")
    if problems:
        return f"{seed} PIN {len(problems)} {' | '.join(problems[:3])}"
    return f"{seed} clean {small} small counts, {asked} periods answered"


def main(argv: list[str], run=None) -> None:
    verbose = "-v" in argv
    for a in (a for a in argv if a != "-v"):
        print((run or run_seed)(int(a), verbose), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
