"""Targets against actuals for a fiscal year, pro-rated while the year is under way."""
from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from shop import periods
from . import db, indicators, release, suppress
from .indicators import REGISTRY


def actuals_period(day: dt.date, today: dt.date, suppressed: bool) -> tuple[periods.Period | None, float]:
    """(the period the actuals cover, the share of the year it is) for the fiscal year containing `day`.
    Staff: to today. Outside the staff view: whole months that have ended, never the current month."""
    fy = periods.fiscal_year(periods.fy_start_year(day))
    if not suppressed:
        end = min(fy.end, today)
        if end < fy.start:
            return None, 0.0
        return periods.Period(fy.start, end), ((end - fy.start).days + 1) / fy.days
    m = release.months_done(fy.start.year, today)
    if m == 0:
        return None, 0.0
    p = fy if m == 12 else release.ytd(today)
    return p, m / 12


def progress(day: dt.date, today: dt.date, suppressed: bool, path=None, figures=None) -> pd.DataFrame:
    """One row per target of the fiscal year containing `day`; `figures(period)` may supply
    (cached) figures as this audience sees them, else they come from the release engine."""
    fy = periods.fiscal_year(periods.fy_start_year(day))
    if not db.has_data(path):
        return pd.DataFrame()
    tg = db.query("select indicator, target from core.targets where fiscal_year = $fy order by indicator",
                  {"fy": fy.label}, path)
    if tg.empty:
        return pd.DataFrame()
    span, share = actuals_period(day, today, suppressed)
    if span is None:
        return pd.DataFrame()
    actual = figures(span) if figures else release.figures(span, suppressed, path, today)
    closed = span.end >= fy.end  # the year is over: a target was met or missed, not "on track"
    flagged = review_flags(span, today, suppressed, path)
    rows = []
    for r in tg.itertuples():
        ind = REGISTRY.get(r.indicator)
        if ind is None:
            continue
        a = actual.get(r.indicator)
        if ind.is_rate:  # a rate or an average is not pro-rated: 60 % is 60 % all year
            expected = round(float(r.target) * (100 if ind.unit == "rate" else 1), 1) / (100 if ind.unit == "rate" else 1)
        else:  # whole units, rounded up: on track means at least the figure shown as expected
            expected = math.ceil(r.target * share - 1e-9)
        on_track = None if isinstance(a, str) or a is None else a >= expected
        band = suppress.rounded_bounds(a)   # a people count shown rounded: decided when its whole band is
        if band is not None and (band[0] >= expected or band[1] < expected):
            on_track = band[0] >= expected
        if on_track is None:
            status = "–"
        elif closed:
            status = "met" if on_track else f"missed: {indicators.fmt(ind, r.target - a)} short" if band is None \
                else "missed"
        else:
            status = "on track" if on_track else "behind"
        rows.append({"indicator": ind.label, "target": r.target, "expected to date": expected, "actual": a,
                     "progress": None if on_track is None or band is not None or not r.target else a / r.target,
                     "status": status, "flag": flag_text(flagged.get(ind.id)), "id": ind.id})
    return pd.DataFrame(rows)


def review_flags(period: periods.Period, today: dt.date, suppressed: bool, path=None) -> dict:
    """{indicator id: [months]} of the monthly figures inside `period` that the monthly review flags as
    outside their usual range. Outside the staff view, as the review shows it there: whole months that
    have ended, and no bad date reports by month."""
    from . import review
    if not db.has_data(path):
        return {}
    out: dict = {}
    for f in review.range_flags(path, today):
        ind = REGISTRY.get(f["item"])
        if ind is None or not period.start <= f["month"] <= period.end:
            continue
        if suppressed and (f["month"] >= today.replace(day=1) or not review.external_finding(f)):
            continue
        out.setdefault(ind.id, []).append(f"{f['month']:%b %Y}")
    return out


def flag_text(months) -> str:
    return f"review flags {', '.join(months)}" if months else ""


def display(progress: pd.DataFrame) -> pd.DataFrame:
    """The progress table as text for a page or a slide: 6,000 / 3,288 / 52 % of target / on track."""
    if progress.empty:
        return progress
    out = []
    for r in progress.to_dict("records"):
        ind = REGISTRY[r["id"]]
        share = r["progress"]
        out.append({"indicator": r["indicator"], "target": indicators.fmt(ind, r["target"]),
                    "expected to date": indicators.fmt(ind, r["expected to date"]),
                    "actual": indicators.fmt(ind, r["actual"]),
                    "progress": "–" if share is None or pd.isna(share) else f"{share * 100:.0f} % of target",
                    "status": r["status"] + (f" ({r['flag']})" if r.get("flag") else "")})
    return pd.DataFrame(out)


def headline(progress: pd.DataFrame, now: dict, before: dict, base_name: str | None) -> str:
    """One sentence that answers "how are we doing?": the targets, then outreach on a year earlier.
    e.g. "6 of 7 targets on track; education sessions behind. Outreach contacts up 2 % on FY2024-25." """
    parts = []
    if not progress.empty:
        known = progress[progress["status"] != "–"]
        closed = known["status"].str.startswith(("met", "missed")).any()
        good = known["status"].isin(["met"] if closed else ["on track"])
        bad = [f"{r['indicator'][:1].lower()}{r['indicator'][1:]} {r['status'].replace(':', ',')}" if closed else
               f"{r['indicator'][:1].lower()}{r['indicator'][1:]} behind" for r in known[~good].to_dict("records")]
        head = f"{int(good.sum())} of {len(progress)} targets {'met' if closed else 'on track'}"
        parts.append(head + ("; " + "; ".join(bad) if bad else "") + ".")
    a, b = now.get("outreach.contacts"), before.get("outreach.contacts")
    if base_name and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (a, b)) and b:
        change = round((a - b) / b * 100)
        parts.append(f"Outreach contacts {'up' if change > 0 else 'down' if change < 0 else 'level'}"
                     f"{f' {abs(change)} %' if change else ''} on {base_name}.")
    return " ".join(parts)
