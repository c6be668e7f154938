"""Canonical log files at scale with a fixed seed: ten fiscal years, one CSV per log type and year."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from shop import contract as C, periods, settings

SHARE = {"outreach": 0.60, "supplies": 0.30, "friday_network": 0.10,  # the 3M / 1.5M / 0.5M at 5M
         "referrals": 0.02, "suite_requests": 0.004, "suite_stays": 0.002, "bad_dates": 0.001, "education": 0.0004}


def _codes(rng, n):
    letters = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ"))
    a = letters[rng.integers(0, len(letters), (n, 3))]
    d = rng.integers(0, 100, n)
    return np.array([f"{x[0]}{x[1]}{y:02d}{x[2]}" for x, y in zip(a, d)])


def generate(total_rows: int, folder: Path, seed: int = 42, years: int = 10, today: dt.date | None = None) -> list[Path]:
    today = today or settings.today()
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    last_fy = periods.fy_start_year(today) - 1
    fys = [periods.fiscal_year(y) for y in range(last_fy - years + 1, last_fy + 1)]
    people = _people(rng, total_rows)
    con = duckdb.connect()
    out = []
    for name, share in SHARE.items():
        n_year = max(10, int(total_rows * share / years))
        for fy in fys:
            p = folder / f"{name}_{fy.label}.csv"
            _write(con, rng, people, name, fy.start, fy.days, n_year, today, p)
            out.append(p)
    return out


def generate_month(total_rows: int, folder: Path, seed: int = 7, years: int = 10,
                   today: dt.date | None = None) -> list[Path]:
    """One month of files (one per log type) as a program adds them to a database of `total_rows`
    over `years`: the first month of this fiscal year, which the yearly files do not cover."""
    today = today or settings.today()
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    start = periods.fiscal_year(periods.fy_start_year(today)).start
    end = min((start.replace(day=28) + dt.timedelta(days=4)).replace(day=1), today)
    people = _people(np.random.default_rng(42), total_rows)  # the same people as the years before
    con = duckdb.connect()
    out = []
    for name, share in SHARE.items():
        p = folder / f"{name}_{start:%Y-%m}.csv"
        _write(con, rng, people, name, start, (end - start).days, max(5, int(total_rows * share / years / 12)), today, p)
        out.append(p)
    return out


def _people(rng, total_rows: int):
    return np.unique(_codes(rng, max(2000, total_rows // 250)))


def _write(con, rng, people, name: str, start: dt.date, days: int, n_year: int, today: dt.date, p: Path) -> None:
    """n_year rows of log type `name` dated from start over `days` days, as a CSV at p."""
    lt = C.LOG_TYPES[name]
    days = np.datetime64(start) + rng.integers(0, max(days, 1), n_year).astype("timedelta64[D]")
    if name in ("friday_network",):  # Fridays only
        days = days - ((days.astype("datetime64[D]").view("int64") - 1) % 7).astype("timedelta64[D]")
        days = np.maximum(days, np.datetime64(start))
    days.sort()
    cols = {}
    for f in lt.fields:
        if f.kind == C.DATE:
            if f.name in ("check_out", "status_date"):
                v = days + rng.integers(1, 10, n_year).astype("timedelta64[D]")
                v = np.minimum(v, np.datetime64(today - dt.timedelta(days=1)))
            elif f.name == "incident_date":
                v = days - rng.integers(0, 3, n_year).astype("timedelta64[D]")
            else:
                v = days
            cols[f.name] = pa.array(np.datetime_as_string(v, unit="D"))
        elif f.kind == C.CODE:
            codes = people[rng.integers(0, len(people), n_year)].astype(object)
            if not f.required:
                codes[rng.random(n_year) < 0.15] = None
            cols[f.name] = pa.array(codes, pa.string())
        elif f.kind == C.ENUM:
            cols[f.name] = pa.array(np.array(f.values)[rng.integers(0, len(f.values), n_year)])
        elif f.kind == C.MULTI:
            a = np.array(f.values)[rng.integers(0, len(f.values), n_year)]
            b = np.array(f.values)[rng.integers(0, len(f.values), n_year)]
            cols[f.name] = pa.array(np.char.add(np.char.add(a, ";"), b))
        elif f.kind == C.YESNO:
            cols[f.name] = pa.array(np.where(rng.random(n_year) < 0.3, "yes", "no"))
        elif f.kind in (C.INT, C.NUMBER):
            lo, hi = int(f.lo or 0), int(min(f.hi or 100, 120))
            cols[f.name] = pa.array(rng.integers(max(lo, 1), hi, n_year).astype(str))
        else:
            cols[f.name] = pa.array(np.where(rng.random(n_year) < 0.1, "Street nurse visit", None), pa.string())
    if name == "suite_stays":  # one stay per (client, check-in)
        tbl = pa.table(cols)
        con.register("t", tbl)
        tbl = con.sql("select * from t qualify row_number() over (partition by client_code, check_in) = 1").to_arrow_table()
        con.unregister("t")
    else:
        tbl = pa.table(cols)
    con.register("t", tbl)
    con.execute(f"copy t to '{p}' (header, delimiter ',')")
    con.unregister("t")
