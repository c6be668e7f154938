#!/usr/bin/env python
"""Fuzz the release engine as staff really feed it: a whole small program loaded a month at a time
(a file per log type and month, loaded early in the next month, now and then a month late), some
months' files loaded again later as corrected copies (a referral's status updated, a row dropped,
a category changed), and releases on random days and hours in between (program.py's days).

The attacker keeps every cell External was given (program.collect_day: `etl summary --json` of
every offered and allowed period, every table at three grains) and knows, for each release, which
version of each month's file was in force (a generous attacker: the load dates are on the
dashboard). A month's counts are variables of that version: unchanged months are one variable
across releases, a corrected month is new variables. Counts that also depend on earlier months'
files (new people, kinds of contact, guest nights, exits) are variables of all of those
versions. Then one linear program per family and fiscal year, as test_disclosure_audit's
_audit_family (every breakdown adds up to its month), must leave every `<10` at least 3 values.
People counts and rates are left out (fuzz.py's attackers do people across corrections).

usage: monthly.py [-v] SEED [SEED...]     (env ENGINE= as fuzz.py)
One line per seed: `SEED clean ...`, `SEED PIN <n> <first 3>` or `SEED ERROR <what>`.
"""
from __future__ import annotations

import datetime as dt
import random
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _env import WORK  # noqa: E402  (sets up the engine's path and environment)

import time_machine  # noqa: E402

import program  # noqa: E402  (tests/fuzz/program.py)
import small_program  # noqa: E402
import test_disclosure_audit as da  # noqa: E402
from etl.load import load  # noqa: E402
from helpers import write_rows  # noqa: E402
from shop import periods  # noqa: E402

DATE_FIELD = {"outreach": "contact_date", "bad_dates": "report_date", "referrals": "referral_date",
              "friday_network": "session_date", "suite_stays": "check_in", "suite_requests": "request_date",
              "supplies": "dist_date", "education": "session_date"}
FAMILY_LOG = {"contacts": "outreach", "new_people": "outreach", "services": "outreach", "referrals": "referrals",
              "stays": "suite_stays", "nights": "suite_stays", "exits": "suite_stays",
              "requests": "suite_requests", "attendance": "friday_network", "bad_dates": "bad_dates"}
OWN = {"contacts", "services", "referrals", "stays", "requests", "attendance", "bad_dates"}   # a month's own file
CUMULATIVE_DIMS = {("contacts", "kind")}   # new or returning: every earlier month's file too
CHANGES = {"referrals": ("status", ["made", "attended", "declined"]), "outreach": ("contact_mode", small_program.MODES),
           "friday_network": ("attendee_group", ["alumni", "indoor", "outdoor"]),
           "bad_dates": ("incident_type", small_program.TYPES), "suite_requests": ("outcome", ["admitted", "full"])}


def _month(d) -> dt.date:
    return (d if isinstance(d, dt.date) else dt.date.fromisoformat(d)).replace(day=1)


def timeline(seed: int) -> dict:
    base = program.timeline(seed)
    rng = random.Random(seed * 7919 + 1)
    recs = small_program.records(base["data_day"], base["records_seed"])
    by = defaultdict(list)   # (log, month) -> rows
    for log, rows in recs.items():
        for r in rows:
            by[(log, _month(r[DATE_FIELD[log]]))].append(r)
    data_month = base["data_day"].replace(day=1)
    loads = []   # (day, log, month, rows)
    for (log, m), rows in sorted(by.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if m >= data_month:
            continue
        nxt = periods.add_months(m, 2 if rng.random() < 0.12 else 1)
        day = nxt.replace(day=rng.randint(1, 10))
        if log == "suite_stays":   # loaded once its guests have left (an open stay's nights move with the day)
            outs = [r["check_out"] for r in rows if isinstance(r["check_out"], dt.date)]
            day = max([day] + [o + dt.timedelta(days=1) for o in outs])
        if day > base["data_day"]:
            continue
        loads.append((day, log, m, rows))
        if log in CHANGES and rng.random() < 0.2:   # corrected later
            later = day + dt.timedelta(days=rng.randint(3, 120))
            if later <= base["data_day"]:
                field, values = CHANGES[log]
                fixed = [dict(r) for r in rows]
                if len(fixed) > 1 and rng.random() < 0.4:
                    fixed.pop(rng.randrange(len(fixed)))
                else:
                    r = rng.choice(fixed)
                    r[field] = rng.choice([v for v in values if v != r[field]])
                loads.append((later, log, m, fixed))
    loads.sort(key=lambda x: (x[0], x[1], x[2]))
    return dict(base, loads=loads)


class Versioned(da.Attacker):
    """da.Attacker whose cells carry the version of each month they cover (`sig`)."""

    def __init__(self):
        super().__init__()
        self.ver: dict = defaultdict(int)   # (log, month index) -> times loaded

    def sig(self, fam: str, dim, m: int):
        log = FAMILY_LOG.get(fam)
        if log is None:
            raise AssertionError(f"a family the fuzzer does not know: {fam}")
        if fam in OWN and (fam, dim) not in CUMULATIVE_DIMS:
            return self.ver[(log, m)]
        return tuple(self.ver[(log, j)] for j in range(m - 30, m + 1))

    def see(self, key, start, end, value):
        if key[0] != "cell":
            return
        k = key + (da.month_index(start), da.month_index(end))
        super().see(key, start, end, value)
        vals = self.obs.pop(k, None)
        if vals:
            self.obs[k + (tuple(self.sig(key[1], key[2], m) for m in range(k[4], k[5] + 1)),)] |= vals


def _own(fam: str, dim, s):
    """The month's total's version, from a breakdown's."""
    return s if fam in OWN and (fam, dim) not in CUMULATIVE_DIMS else (s[-1] if fam in OWN else s)


def audit(att: Versioned) -> list[str]:
    problems = []
    for key, vals in att.obs.items():
        if any(not isinstance(v, str) and 1 <= v <= da.K - 1 for v in vals):
            problems.append(f"a small count released as a number: {key[:6]} {vals}")
    for fam, fy in sorted({(k[1], da.fy_of(k[4])) for k in att.obs}):
        keys = [k for k in att.obs if k[1] == fam and da.fy_of(k[4]) == fy]
        cats = da.family_categories(att, keys, fam, fy)
        var: dict = {}

        def v(*name):
            return var.setdefault(name, len(var))
        rows, exprs, shown = [], {}, set()
        for k in keys:
            _, _, d, c, a, b, sig = k
            members = c[1:] if isinstance(c, tuple) else [c]
            coef = {}
            for m, s in zip(range(a, b + 1), sig):
                if d is None:
                    coef[v("T", m, s)] = 1.0
                else:
                    shown.add((d, m, s))
                    for cm in members:
                        coef[v(d, cm, m, s)] = 1.0
            exprs[k] = coef
            rows += [(coef, *da._bounds(x)) for x in att.obs[k]]
        for d, m, s in shown:   # every breakdown of a month adds up to its month (of the same version)
            coef = {v(d, c, m, s): 1.0 for c in cats[d]}
            coef[v("T", m, _own(fam, d, s))] = -1.0
            rows.append((coef, 0.0, 0.0))
        h = da._lp(len(var))
        for coef, lo, hi in rows:
            da._row(h, coef, lo, hi)
        problems += da._pinned(att, h, keys, exprs)
    return problems



def run_seed(seed: int, verbose: bool = False) -> str:
    tl = timeline(seed)
    releases = list(tl["days"])
    if verbose:
        print(f"# seed {seed}: records seed {tl['records_seed']}, data to {tl['data_day']}, {len(tl['loads'])} loads "
              f"({sum(1 for i, x in enumerate(tl['loads']) if any(y[1:3] == x[1:3] for y in tl['loads'][:i]))} "
              "corrected), releases: " + ", ".join(f"{d} {h:02d}:{mi:02d}" for d, (h, mi) in releases), flush=True)
    folder = Path(tempfile.mkdtemp(dir=WORK))
    db = folder / "shop.duckdb"
    att = Versioned()
    events = [(d, (8, 0), "load", x) for (d, *x) in tl["loads"]] + [(d, hm, "release", None) for d, hm in releases]
    events.sort(key=lambda e: (e[0], e[1]))
    try:
        first = True
        asked = 0
        for day, hm, what, x in events:
            with time_machine.travel(program.instant(day, hm), tick=True):
                if what == "load":
                    log, m, rows = x
                    rows = [{k: (val.isoformat() if isinstance(val, dt.date) else val) for k, val in r.items()}
                            for r in rows]
                    files = [write_rows(folder / "logs" / f"{log}_{m:%Y-%m}.csv", log, rows)]
                    if first:
                        fy = periods.fy_label(periods.fy_start_year(tl["data_day"]))
                        files.append(write_rows(folder / "logs" / "targets.csv", "targets",
                                                [{"fiscal_year": fy, "indicator": "outreach.contacts", "target": "40"}]))
                        first = False
                    out = load(files, db, say=lambda *_: None)
                    bad = [(o.label, o.status, o.reason) for o in out if o.status not in ("loaded", "replaced")]
                    if bad:
                        raise AssertionError(f"load: {bad}")
                    att.ver[(log, da.month_index(m))] += 1
                elif db.exists():
                    asked += program.collect_day(att, db, day)
        problems = audit(att)
    except Exception as e:  # noqa: BLE001
        return program.error_line(seed, e, verbose)
    return program.result_line(seed, problems, sum(da.SMALL in vals for vals in att.obs.values()), asked, verbose)


if __name__ == "__main__":
    program.main(sys.argv[1:], run_seed)
