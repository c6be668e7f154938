"""Measures over time and by category: their definitions, and exact breakdowns for the staff view.

Each measure is named `<measure>_by_<dimension>` and defined once here; its rows are a family
of the release engine, which alone turns them into released tables (`metrics.release`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from shop import settings
from shop.periods import Period
from . import db


@dataclass(frozen=True)
class Measure:
    disclosive: bool
    unit: str
    definition: str


_M = Measure
# The rows behind each measure are a family of the release engine (metrics/sql/families), so a
# category means the same in the staff view and in every released table.
MEASURES: dict[str, Measure] = {
    "contacts_by_mode": _M(True, "contacts", "Outreach contacts by how the contact happened."),
    "contacts_by_worker_group": _M(True, "contacts", "Outreach contacts by the worker group of the person (unknown when not recorded)."),
    "contacts_by_kind": _M(True, "contacts", "Outreach contacts: a person's first contact in all loaded data (new), later ones (returning), or anonymous."),
    "services_by_type": _M(True, "services", "Services delivered in outreach contacts (a contact can deliver several)."),
    "units_by_item": _M(False, "units", "Supply units handed out, by item."),
    "units_by_channel": _M(False, "units", "Supply units handed out, by channel."),
    "units_by_reach": _M(False, "units", "Supply units by how they reached people: online requests, anonymously in person, or to a known person."),
    "referrals_by_type": _M(True, "referrals", "Referrals made, by type."),
    "referrals_by_status": _M(True, "referrals", "Referrals made, by their latest status."),
    "referrals_by_outcome_time": _M(True, "referrals", "Referrals by days from the referral date to the status date (attended, not attended or declined)."),
    "nights_by_period": _M(True, "nights", "Safe Suite guest nights (check-in ≤ night < check-out; open stays up to today)."),
    "stays_by_length": _M(True, "stays", "Safe Suite stays by length, by check-in date (open stays counted to today)."),
    "stays_by_referral_source": _M(True, "stays", "Safe Suite stays by who referred the guest."),
    "stays_by_exit_destination": _M(True, "stays", "Finished stays by where the guest went next."),
    "requests_by_outcome": _M(True, "requests", "Requests for the Safe Suite by outcome."),
    "attendance_by_group": _M(True, "attendances", "Friday Afternoon Network attendance by group."),
    "reports_by_type": _M(True, "reports", "Bad date reports by broad type (violence; theft or non-payment; other harm)."),
    "reports_by_police": _M(True, "reports", "Bad date reports by whether police were told."),
    "reports_by_alert": _M(True, "reports", "Bad date reports by whether an alert went out."),
    "sessions_by_topic": _M(False, "sessions", "Community education sessions by topic."),
    "attendees_by_audience": _M(False, "attendees", "Community education attendees by audience."),
}

GRAINS = ("week", "month", "quarter", "year")


def _bucket(grain: str) -> str:
    if grain == "week":
        return "date_trunc('week', d)::date"
    if grain == "month":
        return "date_trunc('month', d)::date"
    shift = "((month(d) - $fsm + 12) % {n})"
    n = 3 if grain == "quarter" else 12
    return f"(date_trunc('month', d) - to_months({shift.format(n=n)}::int))::date"


def breakdown(name: str, period: Period, grain: str = "month", path=None,
              today: dt.date | None = None, con=None) -> pd.DataFrame:
    """Long table (bucket, category, value) of one measure in the period, exact (staff view);
    on `con` when given, so that several measures share one connection."""
    from .release import MEASURE_CELLS, family_rows
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {GRAINS}")
    fam, dim = MEASURE_CELLS[name]
    today = today or settings.today()
    if con is None:
        with db.connect(path) as c:
            df = family_rows(c, fam, period.start, period.end, today, (dim,), _bucket(grain))
    else:
        df = family_rows(con, fam, period.start, period.end, today, (dim,), _bucket(grain))
    return df.rename(columns={dim: "category"})[["bucket", "category", "value"]]


def crosstab(long: pd.DataFrame):
    """The table of exact figures: buckets as rows with a Total row, categories as columns with a
    Total column. Released tables come from metrics.release."""
    if long.empty:
        return pd.DataFrame()
    wide = long.pivot_table(index="bucket", columns="category", values="value", aggfunc="sum", fill_value=0)
    wide.columns = [str(c) for c in wide.columns]
    wide["Total"] = wide.sum(axis=1)
    wide.loc["Total"] = wide.sum(axis=0)
    return wide.astype(object)
