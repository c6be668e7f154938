"""The marts that are tables: exact figures derived from core, rebuilt inside every load's transaction.

A mart here is a cache of an exact figure, so it lives in the database itself, written in the
same transaction as the core rows it is built from (never beside the file, where a reader could
see one without the other). The monthly review reads these instead of grouping every row of
every log: per month, a log's rows, its plain-count indicators, and its blank optional cells.
"""
from __future__ import annotations

import datetime as dt

from .contract import CODE, LOG_TYPES, MULTI
from .schema import SQL_DIR

SERVICE_LOGS = [n for n in LOG_TYPES if n not in ("targets", "annotations")]

# Optional fields whose blank is expected, or only counts where the field applies.
BLANK_NOT_EXPECTED_WHERE = {("referrals", "status_date"): "status in ('attended', 'not_attended', 'declined')",
                            ("suite_stays", "exit_destination"): "check_out is not null"}
BLANK_IS_NORMAL = {("suite_stays", "check_out"), ("friday_network", "event")}  # still staying; no special event


def log_months_sql() -> str:
    """(log type, batch, month, rows): one row per file (batch) in force and month it has rows in."""
    return " union all ".join(
        f"select '{n}' as log_type, batch_id, date_trunc('month', {LOG_TYPES[n].date_field.name})::date as month, "
        f"count(*) as rows from core.{n} where {LOG_TYPES[n].date_field.name} between $lo and $hi group by all"
        for n in SERVICE_LOGS)


def blanks_sql() -> str:
    """(log type, field, month, rows where the field applies, blank cells) for optional fields."""
    parts = []
    for n in SERVICE_LOGS:
        lt = LOG_TYPES[n]
        d = lt.date_field.name
        for f in lt.fields:
            if f.required or f.default or f.kind == CODE or (n, f.name) in BLANK_IS_NORMAL:
                continue  # a blank code is an anonymous row, a default hides its blanks
            blank = f'coalesce(len("{f.column}"), 0) = 0' if f.kind == MULTI else f'"{f.column}" is null'
            where = BLANK_NOT_EXPECTED_WHERE.get((n, f.name), "true")
            parts.append(f"select '{n}' as log_type, '{f.name}' as field, date_trunc('month', {d})::date as month, "
                         f"count(*) as rows, count(*) filter (where {blank}) as blank from core.{n} "
                         f"where {where} and {d} between $lo and $hi group by all")
    return " union all ".join(parts)


def monthly_volumes_sql() -> str:
    return (SQL_DIR / "monthly_volumes.sql").read_text()


# table -> the model that fills it; the tables and their column types are declared in migration 0007
TABLES = {"log_months": log_months_sql, "blank_cells": blanks_sql, "monthly_volumes": monthly_volumes_sql}


EVERYTHING = (dt.date(1, 1, 1), dt.date(9999, 12, 31))


def refresh(con, since_batch: int | None = None) -> None:
    """Rebuild the marts that are tables from core, in the caller's transaction.

    `since_batch`: the largest batch id before this load. Then only the months that the batches
    written since, or the batches taken out of force, have rows in are counted again: the monthly
    marts hold one row per month (and log, field or file), each depending on that month's rows
    alone, so the other months' rows are already exact. None: every month."""
    con.execute((SQL_DIR / "migrations" / "0004_first_outreach_mart.sql").read_text())
    span = EVERYTHING if since_batch is None else _changed(con, since_batch)
    if span is None:
        return
    for table, model in TABLES.items():
        con.execute(f"delete from marts.{table} where month between $lo and $hi", {"lo": span[0], "hi": span[1]})
        con.execute(f"insert into marts.{table} by name select * from ({model()})", {"lo": span[0], "hi": span[1]})


def _changed(con, since_batch: int) -> tuple[dt.date, dt.date] | None:
    """(first day, last day) of the months whose rows changed since `since_batch`; None: none did."""
    new = " union all ".join(
        f"select date_trunc('month', {LOG_TYPES[n].date_field.name})::date as month from core.{n} "
        f"where batch_id > $since" for n in SERVICE_LOGS)
    lo, hi = con.execute(f"""select min(month), max(month) from (
        {new}
        union all
        select month from marts.log_months
        where batch_id not in (select batch_id from meta.batches where status = 'in_force'))""",
                         {"since": since_batch}).fetchone()
    if lo is None:
        return None
    return lo, (hi + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
