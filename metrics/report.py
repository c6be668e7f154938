"""What a grant report holds, computed once for the workbook, the deck, the CSV and the page.

`build` gathers the Summary (every indicator with previous period, change, target and
definition), the funder's tables by month and quarter with totals (suppressed with
complementary suppression across month -> quarter -> total), targets, annotations and notes.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import pandas as pd

from . import db, indicators, periods, series, suppress, targets
from .indicators import REGISTRY
from .periods import Period

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
HEADLINES = {  # three headline figures per service (deck)
    "Outreach": ["outreach.contacts", "outreach.people", "outreach.new_people"],
    "Supplies": ["supplies.units", "supplies.naloxone_kits", "supplies.online_units"],
    "Referrals": ["referrals.made", "referrals.attended", "referrals.completion_rate"],
    "Safe Suite": ["suite.guest_nights", "suite.occupancy_rate", "suite.turnaways_full"],
    "Friday Network": ["friday.sessions", "friday.attendance", "friday.avg_attendance"],
    "Bad dates": ["bad_dates.reports", "bad_dates.reported_to_police", "program.people"],
    "Education": ["education.sessions", "education.attendees", "program.people"],
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

    @property
    def confidential(self) -> bool:
        return not self.suppressed


def safe_text(v):
    """Text from a log can never run as a formula in a spreadsheet."""
    if isinstance(v, str) and v.startswith(FORMULA_START):
        return "'" + v
    return v


def hierarchy(long: pd.DataFrame, period: Period, disclosive: bool, suppressed: bool, grain: str) -> pd.DataFrame:
    """Months with quarter subtotals and a total (or quarters and a total), suppressed together."""
    k = suppress.threshold()
    if long.empty:
        return pd.DataFrame()
    wide = long.pivot_table(index="bucket", columns="category", values="value", aggfunc="sum", fill_value=0)
    wide.columns = [str(c) for c in wide.columns]
    if suppressed and disclosive:
        wide = series.fold_small(wide, k)
    wide["Total"] = wide.sum(axis=1)
    cols = list(wide.columns)
    rows, groups_rows, order = {}, [], []
    buckets = sorted(pd.Timestamp(b).date() for b in wide.index)
    quarters: dict[str, list[str]] = {}
    for b in buckets:
        label = f"{b:%b %Y}" if grain == "month" else periods.quarter_label(b)
        rows[label] = wide.loc[pd.Timestamp(b)]
        q = periods.quarter_label(b)
        quarters.setdefault(q, []).append(label)
        order.append(label)
    final = []
    if grain == "month":
        for q, months in quarters.items():
            rows[f"{q} total"] = sum(rows[m] for m in months)
            final += months + [f"{q} total"]
            groups_rows.append(months + [f"{q} total"])
        rows["Total"] = sum(rows[f"{q} total"] for q in quarters)
        groups_rows.append([f"{q} total" for q in quarters] + ["Total"])
    else:
        final = order
        rows["Total"] = sum(rows[q] for q in order)
        groups_rows.append(order + ["Total"])
    final.append("Total")
    cells = {(r, c): int(rows[r][c]) for r in final for c in cols}
    groups = [[(r, c) for c in cols] for r in final]                      # each row with its total
    groups += [[(r, c) for r in g] for g in groups_rows for c in cols]     # months -> quarter -> total
    out = suppress.complementary(cells, groups, k) if (suppressed and disclosive) else cells
    return pd.DataFrame([[out[(r, c)] for c in cols] for r in final], index=final, columns=cols, dtype=object)


def build(period: Period, suppressed: bool, path=None, today: dt.date | None = None) -> Report:
    today = today or dt.date.today()
    path = path or db.db_path()
    has = db.has_data(path)
    exact = indicators.compute(period, path, today) if has else indicators.empty_figures()
    prev_p = periods.previous(period)
    prev = indicators.compute(prev_p, path, today) if has else indicators.empty_figures()
    now_r, prev_r = indicators.present(exact, suppressed), indicators.present(prev, suppressed)
    fy = periods.fiscal_year(periods.fy_start_year(period.start))
    tg = {}
    if has and (period.start, period.end) == (fy.start, fy.end):
        df = db.query("select indicator, target from core.targets where fiscal_year = $fy", {"fy": fy.label}, path)
        tg = dict(zip(df["indicator"], df["target"]))
    summary = []
    for i, ind in REGISTRY.items():
        v, p = now_r[i], prev_r[i]
        change = None
        if isinstance(v, (int, float)) and isinstance(p, (int, float)):
            change = round(v - p, 3) if ind.unit in ("rate", "average", "hours") else v - p
        summary.append({"indicator": i, "label": ind.label, "value": v, "previous period": p, "change": change,
                        "target": tg.get(i), "definition": ind.definition})
    tables = []
    for sheet, title, measure, grain in TABLES:
        m = series.MEASURES[measure]
        long = series.breakdown(measure, period, grain, path, today) if has else pd.DataFrame()
        frame = hierarchy(long, period, m.disclosive, suppressed, grain) if not long.empty else pd.DataFrame()
        tables.append(Table(sheet, title, measure, frame, m.unit, m.definition))
    ann, batches, fresh, events = [], [], "no data loaded", []
    if has:
        ev = db.query("""select distinct strftime(date_trunc('month', session_date), '%b %Y') as month, event,
                                date_trunc('month', session_date) as m
                         from core.friday_network where session_date between $from and $to and event is not null
                         order by m, event""", {"from": period.start, "to": period.end}, path)
        events = list(zip(ev["month"], ev["event"]))
        a = db.query("""select start_date, end_date, scope, note from core.annotations
                        where start_date <= $to and coalesce(end_date, start_date) >= $from order by start_date""",
                     {"from": period.start, "to": period.end}, path)
        ann = a.to_dict("records")
        b = db.query("""select batch_id, file_name, sheet, log_type, content_sha256, rows_loaded, loaded_at
                        from meta.batches where status = 'in_force' order by batch_id""", {}, path)
        batches = b.to_dict("records")
        fresh = f"last load {pd.Timestamp(b['loaded_at'].max()):%Y-%m-%d %H:%M}" if len(b) else fresh
    prog = targets.progress(period.start, today, suppressed, path=path) if has else pd.DataFrame()
    from .review import released_rows
    return Report(period, prev_p, suppressed, dt.datetime.now().replace(microsecond=0), summary, tables, prog,
                  ann, batches, fresh, now_r, events, released_rows(path, suppressed, today, period.end))


def notes(r: Report) -> list[tuple[str, str]]:
    out = [("Report", "SHOP (Social and Health Options for Persons in Sex Work), ASK Wellness Society"),
           ("Period", f"{r.period} ({r.period.start} to {r.period.end})"),
           ("Compared with", f"{r.previous} ({r.previous.start} to {r.previous.end})"),
           ("Audience", "EXACT FIGURES - CONFIDENTIAL, program staff only" if r.confidential
            else "External: small counts suppressed"),
           ("Suppression", suppress.footnote()),
           ("Data freshness", r.freshness),
           ("Made", f"{r.made_at:%Y-%m-%d %H:%M} by python -m etl export / the reports page"),
           ("Batches included", f"{len(r.batches)} files in force")]
    for b in r.batches:
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
