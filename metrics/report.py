"""What a grant report holds, computed once for the workbook, the deck, the CSV and the page.

`build` gathers the Summary (every indicator with previous period, change, target and
definition), the funder's tables by month and quarter with totals, targets, annotations and
notes; every figure comes from `metrics.release`, so it is the dashboard's.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import pandas as pd

from shop import periods, settings
from shop.periods import Period
from . import charts, db, indicators, release, series, targets
from .indicators import REGISTRY

# (sheet, table title, measure, grain): the tables a funder asks for
TABLES = [
    ("Outreach", "Outreach contacts by mode", "contacts_by_mode", "month"),
    ("Outreach", "Services delivered", "services_by_type", "month"),
    ("Supplies", "Supply units by item", "units_by_item", "month"),
    ("Supplies", "Supply units by channel", "units_by_channel", "month"),
    ("Referrals", "Referrals by status", "referrals_by_status", "month"),
    ("Referrals", "Referrals by type", "referrals_by_type", "quarter"),
    ("Safe Suite", "Guest nights", "nights_by_period", "month"),
    ("Safe Suite", "Requests by outcome", "requests_by_outcome", "month"),
    ("Friday Network", "Friday attendance by group", "attendance_by_group", "month"),
    ("Bad dates", "Bad date reports by broad type", "reports_by_type", "quarter"),
    ("Education", "Education sessions by topic", "sessions_by_topic", "month"),
    ("Education", "Education attendees by audience", "attendees_by_audience", "month"),
]
SHEETS = ["Outreach", "Supplies", "Referrals", "Safe Suite", "Friday Network", "Bad dates", "Education"]
HEADLINES = {  # the headline figures of each service (deck): its own, never padded
    "Outreach": ["outreach.contacts", "outreach.people", "outreach.new_people"],
    "Supplies": ["supplies.units", "supplies.naloxone_kits", "supplies.online_units"],
    "Referrals": ["referrals.made", "referrals.attended", "referrals.completion_rate"],
    "Safe Suite": ["suite.guest_nights", "suite.occupancy_rate", "suite.turnaways_full"],
    "Friday Network": ["friday.sessions", "friday.attendance", "friday.avg_attendance"],
    "Bad dates": ["bad_dates.reports", "bad_dates.reported_to_police"],
    "Education": ["education.sessions", "education.attendees"],
}
SCOPE = {"Outreach": "outreach", "Supplies": "supplies", "Referrals": "referrals", "Safe Suite": "safe_suite",
         "Friday Network": "friday_network", "Bad dates": "bad_dates", "Education": "education"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Table:
    sheet: str
    title: str
    measure: str
    frame: pd.DataFrame             # rows: month / quarter subtotal / Total; values int or '<10' / 'x'
    unit: str
    definition: str
    drawn: object = None            # charts.Drawable: what the deck and the workbook draw (the honest rule)


@dataclass
class Report:
    period: Period
    previous: Period
    suppressed: bool
    made_at: dt.datetime
    summary: list[dict]
    tables: list[Table]
    targets: pd.DataFrame
    annotations: list[dict]
    batches: list[dict]
    freshness: str
    figures: dict = field(default_factory=dict)
    events: list = field(default_factory=list)   # (month, Friday special event): text from a log
    review: list = field(default_factory=list)   # the monthly review as released rows (metrics/review.py)
    demo: bool = False                            # built from the demo's synthetic logs: said on every page
    headline: str = ""                            # the one sentence: targets, then outreach on a year earlier

    @property
    def audience(self) -> str:
        """The audience and period mark every page, slide and printed sheet carries."""
        who = "CONFIDENTIAL: exact figures, SHOP program staff only" if self.confidential else \
            "EXTERNAL: small counts suppressed"
        return ("DEMO DATA (synthetic) · " if self.demo else "") + f"{who} · {self.period}"

    @property
    def confidential(self) -> bool:
        return not self.suppressed


def safe_text(v):
    """Text from a log can never run as a formula in a spreadsheet."""
    if isinstance(v, str) and v.startswith(FORMULA_START):
        return "'" + v
    return v


def _breakdowns(measure: str, period: Period, suppressed: bool, path, today: dt.date):
    """get(grain) -> release.Breakdown of the measure, each grain asked of the engine once (a
    report's table and its chart read the same months, quarters and year)."""
    got: dict = {}

    def get(grain: str):
        if grain not in got:
            try:
                got[grain] = release.breakdown(measure, period, grain, suppressed, path, today)
            except release.NotExternal as exc:
                got[grain] = exc
        if isinstance(got[grain], release.NotExternal):
            raise got[grain]
        return got[grain]
    return get


def hierarchy(measure: str, period: Period, suppressed: bool, grain: str, path=None,
              today: dt.date | None = None, get=None) -> tuple[pd.DataFrame, list]:
    """(months with quarter subtotals and a total, or quarters and a total; merged categories),
    every figure from the release engine: the same cells as the dashboard's tables. `get`: a
    _breakdowns() to share with the table's chart."""
    get = get or _breakdowns(measure, period, suppressed, path, today or settings.today())
    try:
        months = get(grain)
        quarters = get("quarter") if grain == "month" else None
    except release.NotExternal:
        return pd.DataFrame(), []
    if months.table.empty:
        return pd.DataFrame(), months.merged
    cols = list(months.table.columns)
    rows, labels = [], []
    body = months.table.drop(index="Total")
    q_rows = quarters.table.drop(index="Total") if quarters is not None else None
    done = set()
    for b, vals in body.iterrows():
        d = pd.Timestamp(b).date()
        label = f"{d:%b %Y}" if grain == "month" else periods.quarter_label(d)
        rows.append(list(vals))
        labels.append(label)
        if q_rows is not None:
            q = periods.fiscal_quarter(d)
            last = min(q.end, period.end)
            if periods.month_end(d) == last and q.label not in done:
                key = pd.Timestamp(max(q.start, period.start))
                if key in q_rows.index:
                    rows.append([q_rows.at[key, c] if c in q_rows.columns else 0 for c in cols])
                    labels.append(f"{q.label} total")
                done.add(q.label)
    rows.append(list(months.table.loc["Total"]))
    labels.append("Total")
    return pd.DataFrame(rows, index=labels, columns=cols, dtype=object), months.merged


def build(period: Period, suppressed: bool, path=None, today: dt.date | None = None) -> Report:
    """Everything a report holds for the period, as this audience may see it (NotExternal when
    suppressed and the period is not an External one)."""
    today = today or settings.today()
    path = path or db.db_path()
    has = db.has_data(path)
    now_r = release.figures(period, suppressed, path, today)
    prev_p, _ = release.comparisons(period, today, suppressed)
    try:
        prev_r = release.figures(prev_p, suppressed, path, today) if prev_p else {}
    except release.NotExternal:
        prev_r = {}
    fy = periods.fiscal_year(periods.fy_start_year(period.start))
    tg = {}
    if has and (period.start, period.end) == (fy.start, fy.end):
        df = db.query("select indicator, target from core.targets where fiscal_year = $fy", {"fy": fy.label}, path)
        tg = dict(zip(df["indicator"], df["target"]))
    summary = []
    for i, ind in REGISTRY.items():
        v, p = now_r.get(i), prev_r.get(i)
        if ind.unit not in ("rate", "average"):  # blank is not zero, in exports too
            v = indicators.NOT_RECORDED if v is None else v
            p = indicators.NOT_RECORDED if p is None else p
        change = None
        if isinstance(v, (int, float)) and isinstance(p, (int, float)):
            change = round(v - p, 3) if ind.unit in ("rate", "average", "hours") else v - p
        summary.append({"indicator": i, "label": ind.label, "value": v, "previous period": p, "change": change,
                        "target": tg.get(i), "definition": ind.definition})
    tables = []
    for sheet, title, measure, grain in TABLES:
        m = series.MEASURES[measure]
        get = _breakdowns(measure, period, suppressed, path, today)
        frame, merged = hierarchy(measure, period, suppressed, grain, path, today, get) if has else (pd.DataFrame(), [])
        definition = m.definition
        if merged:
            definition += f" Merged into 'all others' for privacy: {', '.join(merged)}."
        if measure.startswith("reports_") and suppressed:
            definition += " Bad date reports: whole fiscal quarters and years only."
        tables.append(Table(sheet, title, measure, frame, m.unit, definition,
                            charts.choose(get, grain, suppressed) if has else None))
    ann, batches, fresh, events = [], [], "no data loaded", []
    if has:
        events = release.events(period, suppressed, path)
        ann = release.annotations(period, suppressed, path)
        b = db.query("""select batch_id, file_name, sheet, log_type, content_sha256, rows_loaded, loaded_at
                        from meta.batches where status = 'in_force' order by batch_id""", {}, path)
        batches = b.to_dict("records")
        fresh = f"last load {pd.Timestamp(b['loaded_at'].max()):%Y-%m-%d %H:%M}" if len(b) else fresh
    prog = targets.progress(period.start, today, suppressed, path=path) if has else pd.DataFrame()
    from .review import released_rows
    from .quality import status
    return Report(period, prev_p or period, suppressed, settings.now(), summary, tables, prog,
                  ann, batches, fresh, now_r, events, released_rows(path, suppressed, today, period.end),
                  status(path)["demo"], targets.headline(prog, now_r, prev_r, charts.period_name(prev_p) if prev_p else None))


def notes(r: Report) -> list[tuple[str, str]]:
    out = [("Report", "SHOP (Social and Health Options for Persons in Sex Work), ASK Wellness Society"),
           ("Period", f"{r.period} ({r.period.start} to {r.period.end})"),
           ("Compared with", f"{r.previous} ({r.previous.start} to {r.previous.end})"),
           ("Audience", "EXACT FIGURES - CONFIDENTIAL, program staff only" if r.confidential
            else "External: small counts suppressed"),
           ("Suppression", release.footnote()),
           ("Data freshness", r.freshness),
           ("Made", f"{r.made_at:%Y-%m-%d %H:%M} by python -m etl export / the reports page"),
           ("Batches included", f"{len(r.batches)} files in force")]
    # File and sheet names are staff's own words and can name a person: exact copies only.
    for b in (r.batches if r.confidential else []):
        sheet = f" [{b['sheet']}]" if b["sheet"] else ""
        out.append(("", f"{b['file_name']}{sheet}: {b['log_type']}, {b['rows_loaded']} rows, sha256 {b['content_sha256'][:12]}"))
    for a in r.annotations:
        end = a["end_date"] if a["end_date"] is not None and not pd.isna(a["end_date"]) else a["start_date"]
        out.append(("Program note", f"{pd.Timestamp(a['start_date']):%Y-%m-%d} to {pd.Timestamp(end):%Y-%m-%d} "
                                    f"({a['scope']}): {a['note']}"))
    return out


def frozen_payload(r: Report) -> tuple[str, str]:
    batches = [{"file": b["file_name"], "sheet": b["sheet"], "sha256": b["content_sha256"]} for b in r.batches]
    return json.dumps(batches), json.dumps(r.figures)
