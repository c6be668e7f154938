"""Targets against actuals for a fiscal year, pro-rated while the year is under way."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from . import db, indicators, periods
from .indicators import REGISTRY


def progress(day: dt.date, today: dt.date, suppressed: bool, version: str = "", path=None,
             figures=None) -> pd.DataFrame:
    """One row per target of the fiscal year containing `day`; `figures(period)` may supply
    (cached) exact figures, else they are computed here."""
    fy = periods.fiscal_year(periods.fy_start_year(day))
    if not db.has_data(path):
        return pd.DataFrame()
    tg = db.query("select indicator, target from core.targets where fiscal_year = $fy order by indicator",
                  {"fy": fy.label}, path)
    if tg.empty:
        return pd.DataFrame()
    end = min(fy.end, today)
    if end < fy.start:
        return pd.DataFrame()
    share = ((end - fy.start).days + 1) / fy.days
    fy_to_date = periods.Period(fy.start, end)
    exact = figures(fy_to_date) if figures else indicators.compute(fy_to_date, path, today)
    actual = indicators.present(exact, suppressed)
    rows = []
    for r in tg.itertuples():
        ind = REGISTRY.get(r.indicator)
        if ind is None:
            continue
        a = actual.get(r.indicator)
        expected = r.target * share
        on_track = None if isinstance(a, str) or a is None else a >= expected
        rows.append({"indicator": ind.label, "target": f"{r.target:,.0f}", "expected to date": f"{expected:,.0f}",
                     "actual": indicators.fmt(ind, a),
                     "progress": "–" if on_track is None else f"{a / r.target * 100:.0f} % of target" if r.target else "–",
                     "on track": "–" if on_track is None else ("yes" if on_track else "behind")})
    return pd.DataFrame(rows)
