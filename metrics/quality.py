"""Data-quality facts for the data_quality page: batches, freshness, gaps, rejects, blanks."""
from __future__ import annotations

import pandas as pd

from shop.contract import LOG_TYPES
from shop.marts import SERVICE_LOGS  # noqa: F401 (the logs of services, shared with the review)
from shop.schema import SQL_DIR
from shop.periods import Period, add_months

from . import db

# Events that may not happen in a month (DATA-CONTRACT, "A month with no rows"): once the log has
# rows for a later month, a month with none counts 0; the other logs' quiet months stay "not recorded".
EVENT_LOGS = ("bad_dates", "education")


def status(path) -> dict:
    """Schema version, whether anything is loaded, and the last load, in one connection."""
    from pathlib import Path

    from shop.schema import current_version, get_setting
    if not Path(path).exists():
        return {"schema": 0, "has_data": False, "last_load": None, "demo": False}
    with db.connect(path) as con:
        v = current_version(con)
        if not v:
            return {"schema": 0, "has_data": False, "last_load": None, "demo": False}
        n, last = con.execute("select count(*), max(loaded_at) filter (where status = 'in_force') "
                              "from meta.batches").fetchall()[0]
        demo = get_setting(con, "demo") == "synthetic"  # etl.load.DEMO: built by `python -m etl demo`
    return {"schema": v, "has_data": n > 0, "last_load": last, "demo": demo}


def batches(path=None) -> pd.DataFrame:
    """Every batch with its account: rows read = loaded + rejected + skipped."""
    return db.query("""select file_name as file, sheet, log_type, rows_read, rows_loaded, rows_rejected,
                              rows_read - rows_loaded - rows_rejected as rows_skipped, loaded_at, status
                       from meta.batches order by batch_id desc""", {}, path)


def overlaps(path=None) -> pd.DataFrame:
    """Pairs of files in force of one log type that share dates: their rows may be counted twice."""
    return db.query((SQL_DIR / "overlaps.sql").read_text(), {}, path)


def freshness(path=None) -> pd.DataFrame:
    """Per log type: the latest date logged and when it was last loaded."""
    parts = []
    for name in SERVICE_LOGS:
        col = LOG_TYPES[name].date_field.name
        parts.append(f"select '{name}' as log_type, max({col}) as latest_date, count(*) as rows from core.{name}")
    df = db.query(" union all ".join(parts), {}, path)
    loads = db.query("select log_type, max(loaded_at) as last_loaded from meta.batches "
                     "where status = 'in_force' group by log_type", {}, path)
    return df.merge(loads, on="log_type", how="left")


def missing_months(period: Period, path=None) -> pd.DataFrame:
    """Months of the period (up to its end) in which a service log has no rows at all (a month of
    bad dates or education with none, before a month that has some, counts 0 and is not listed)."""
    months = []
    d = period.start.replace(day=1)
    while d <= period.end:
        months.append(d)
        d = add_months(d, 1)
    parts = []
    for name in SERVICE_LOGS:
        col = LOG_TYPES[name].date_field.name
        parts.append(f"select distinct '{name}' as log_type, date_trunc('month', {col})::date as month "
                     f"from core.{name} where {col} between $from and $to")
    have = db.query(" union all ".join(parts), {"from": period.start, "to": period.end}, path)
    present = {(r.log_type, pd.Timestamp(r.month).date()) for r in have.itertuples()}
    # a quiet month of an event log before its latest month with rows counts 0: it is not missing
    latest = db.query(" union all ".join(
        f"select '{n}' as log_type, date_trunc('month', max({LOG_TYPES[n].date_field.name}))::date as month "
        f"from core.{n}" for n in EVENT_LOGS), {}, path)
    quiet_before = {r.log_type: pd.Timestamp(r.month).date() for r in latest.itertuples() if not pd.isna(r.month)}
    rows = [{"log type": n, "month": f"{m:%b %Y}"} for n in SERVICE_LOGS for m in months
            if (n, m) not in present and not (n in quiet_before and m < quiet_before[n])]
    return pd.DataFrame(rows)


def rejects(path=None) -> pd.DataFrame:
    return db.query("""select b.file_name as file, b.sheet, r.field, r.reason, count(*) as rows
                       from meta.rejects r join meta.batches b using (batch_id)
                       where b.status = 'in_force' group by all order by file, rows desc""", {}, path)


def warnings(path=None) -> pd.DataFrame:
    return db.query("""select b.file_name as file, b.sheet, w.field, w.reason, count(*) as rows
                       from meta.warnings w join meta.batches b using (batch_id)
                       where b.status = 'in_force' group by all order by file""", {}, path)


def blanks(period: Period, path=None) -> pd.DataFrame:
    """Share of each optional field left blank, per log type, in the period."""
    parts = []
    for name in SERVICE_LOGS:
        lt = LOG_TYPES[name]
        d = lt.date_field.name
        for f in lt.fields:
            if f.required:
                continue
            if f.default:
                continue  # a blank became the default (unknown, all) and cannot be told apart
            blank = f'"{f.column}" is null' if f.kind != "multi_enum" else f'coalesce(len("{f.column}"), 0) = 0'
            parts.append(f"select '{name}' as log_type, '{f.name}' as field, count(*) as rows, "
                         f"count(*) filter (where {blank}) as blank from core.{name} where {d} between $from and $to")
    df = db.query(" union all ".join(parts), {"from": period.start, "to": period.end}, path)
    df = df[df["rows"] > 0].copy()
    df["share blank"] = (df["blank"] / df["rows"] * 100).round(1).astype(str) + " %"
    return df[["log_type", "field", "share blank"]]


# which logs an indicator's service reads (the program-wide figures read them all)
LOGS_OF = {"outreach": ["outreach"], "supplies": ["supplies"], "referrals": ["referrals"],
           "suite": ["suite_stays", "suite_requests"], "friday": ["friday_network"], "bad_dates": ["bad_dates"],
           "education": ["education"]}


def first_dates(path=None) -> dict:
    """Per service log: the earliest date logged, or None when the log has no rows."""
    parts = [f"select '{n}' as log_type, min({LOG_TYPES[n].date_field.name}) as first_date from core.{n}"
             for n in SERVICE_LOGS]
    df = db.query(" union all ".join(parts), {}, path)
    return {r.log_type: (None if pd.isna(r.first_date) else pd.Timestamp(r.first_date).date())
            for r in df.itertuples()}


def before_data(service: str, period: Period, firsts: dict) -> bool:
    """True when nothing of this service had been logged by the period's end: its figures are
    "no data", not zero (a fiscal year before the first load)."""
    dates = [firsts.get(n) for n in LOGS_OF.get(service, SERVICE_LOGS)]
    dates = [d for d in dates if d is not None]
    return not dates or period.end < min(dates)
