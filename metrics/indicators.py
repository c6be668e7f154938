"""The one indicator registry: id, label, definition, unit, disclosive or not, and its query.

`compute` gives exact figures; `metrics.release` alone turns them into released ones, so a
figure is the same wherever it is shown.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from shop.contract import INDICATOR_IDS

from shop import settings
from shop.periods import Period
from . import db

SQL_DIR = Path(__file__).parent / "sql"


@dataclass(frozen=True)
class Indicator:
    id: str
    label: str
    definition: str
    unit: str
    disclosive: bool
    # for a rate: the ids (or query columns) of its numerator and denominator
    numerator: str | None = None
    denominator: str | None = None

    @property
    def service(self) -> str:
        return self.id.split(".")[0]

    @property
    def column(self) -> str:
        return self.id.split(".")[1]

    @property
    def is_rate(self) -> bool:
        return self.unit in ("rate", "average", "hours")


_I = Indicator
REGISTRY: dict[str, Indicator] = {i.id: i for i in [
    _I("outreach.contacts", "Outreach contacts", "Outreach contacts logged in the period, with a person or anonymous.", "contacts", True),
    _I("outreach.people", "People reached by outreach", "Distinct people (client codes) with an outreach contact in the period; anonymous contacts are not people.", "people", True),
    _I("outreach.anonymous_contacts", "Anonymous contacts", "Outreach contacts in the period logged without a client code.", "contacts", True),
    _I("outreach.new_people", "New people", "People whose first outreach contact in all loaded data falls in the period.", "people", True),
    _I("outreach.support_hours", "Support hours", "Minutes of outreach contacts in the period divided by 60, one decimal. Hidden when the contact count is.", "hours", False, "outreach.contacts"),
    _I("supplies.units", "Supply units", "Units of all harm-reduction supplies handed out in the period (sum of quantity).", "units", False),
    _I("supplies.naloxone_kits", "Naloxone kits", "Units of naloxone kits handed out in the period.", "units", False),
    _I("supplies.condoms", "Condoms", "Units of external and internal condoms handed out in the period.", "units", False),
    _I("supplies.online_units", "Units by online request", "Units handed out through anonymous online requests in the period.", "units", False),
    _I("referrals.made", "Referrals made", "Referrals dated in the period.", "referrals", True),
    _I("referrals.people", "People referred", "Distinct people with a referral dated in the period.", "people", True),
    _I("referrals.attended", "Referrals attended", "Referrals dated in the period whose status is attended.", "referrals", True),
    _I("referrals.completion_rate", "Referral completion rate", "Attended / (attended + not attended + declined) for referrals in the period, three decimals; pending ones are left out; none when nothing is resolved.", "rate", False, "referrals.attended", "completion_base"),
    _I("suite.stays", "Safe Suite stays", "Stays whose check-in falls in the period.", "stays", True),
    _I("suite.guest_nights", "Guest nights", "Nights in the period: the night of day d belongs to a stay when check-in ≤ d < check-out; an open stay counts to the period's end, never past today.", "nights", True),
    _I("suite.people", "People who stayed", "Distinct people with at least one night in the Safe Suite in the period.", "people", True),
    _I("suite.occupancy_rate", "Suite occupancy", "Guest nights / (units × days in the period), three decimals; the suite has 1 unit unless configured.", "rate", False, "suite.guest_nights"),
    _I("suite.turnaways_full", "Turned away: suite full", "Requests for the Safe Suite in the period whose outcome was full.", "requests", True),
    _I("friday.sessions", "Friday sessions", "Distinct Friday Afternoon Network session dates in the period.", "sessions", False),
    _I("friday.attendance", "Friday attendance", "Attendee rows at Friday sessions in the period (a person at two sessions counts twice).", "attendances", True),
    _I("friday.people", "Friday attendees (people)", "Distinct people (client codes) who attended a Friday session in the period.", "people", True),
    _I("friday.avg_attendance", "Average attendance", "Friday attendance / sessions, one decimal.", "average", False, "friday.attendance"),
    _I("friday.alumni_attendance", "Alumni attendance", "Friday attendee rows of the alumni group in the period.", "attendances", True),
    _I("bad_dates.reports", "Bad date reports", "Bad date reports with a report date in the period.", "reports", True),
    _I("bad_dates.reported_to_police", "Reported to police", "Bad date reports in the period that were reported to police.", "reports", True),
    _I("education.sessions", "Education sessions", "Community education sessions in the period.", "sessions", False),
    _I("education.attendees", "Education attendees", "People attending community education sessions in the period (sum of attendees).", "people", False),
    _I("program.people", "People served", "Distinct people with an outreach contact, a supply hand-out, a referral, a Safe Suite night or a Friday attendance in the period, each counted once across services.", "people", True),
]}
assert tuple(REGISTRY) == INDICATOR_IDS, "the registry must define every contract indicator, in order"

SERVICES = {"outreach": "Outreach", "supplies": "Supplies", "referrals": "Referrals", "suite": "Safe Suite",
            "friday": "Friday Network", "bad_dates": "Bad dates", "education": "Education",
            "program": "Program"}


@cache
def _sql(service: str) -> str:
    return (SQL_DIR / f"{service}_kpis.sql").read_text()


@cache
def _all_sql() -> str:
    """Every service's model in one statement: one row, a JSON object per service."""
    parts = ", ".join(f"({_sql(svc)}) as {svc}" for svc in SERVICES)
    return "select " + ", ".join(f"to_json({svc}) as {svc}" for svc in SERVICES) + " from " + parts


def compute(period: Period, path=None, today: dt.date | None = None, con=None) -> dict:
    """Exact figures for every indicator (plus helper columns such as completion_base); on `con`
    when given, so that many periods share one connection."""
    import json
    today = today or settings.today()
    params = {"from": period.start, "to": period.end, "today": today, "units": db.suite_units()}
    out: dict = {}
    if con is not None:
        row = con.execute(_all_sql(), params).fetchall()[0]
    else:
        with db.connect(path) as c:
            row = c.execute(_all_sql(), params).fetchall()[0]
    for service, blob in zip(SERVICES, row):
        for c, v in json.loads(blob).items():
            key = f"{service}.{c}"
            out[key if key in REGISTRY else c] = _plain(v)
    return out


def compute_many(periods, path=None, today: dt.date | None = None) -> dict:
    """Exact figures of several periods, {(start, end): figures}, on one connection: each period's
    statement on a cursor of its own, two at a time (DuckDB works outside Python's lock, and a
    month's statement alone leaves a core idle while it plans and reads its few row groups)."""
    from concurrent.futures import ThreadPoolExecutor
    wanted = list(dict.fromkeys((p.start, p.end) for p in periods))
    with db.connect(path) as con:
        def one(span):
            cur = con.cursor()
            try:
                return compute(Period(*span), today=today, con=cur)
            finally:
                cur.close()
        with ThreadPoolExecutor(max_workers=2) as pool:
            return dict(zip(wanted, pool.map(one, wanted)))


def empty_figures() -> dict:
    """Figures of an empty database: zero counts and no rates."""
    return {i: (None if REGISTRY[i].unit in ("rate", "average") else 0) for i in REGISTRY} | {"completion_base": 0}


def _plain(v):
    if v is None or isinstance(v, int):
        return v
    return float(v)



NOT_RECORDED = "not recorded"  # blank is not zero: a figure whose inputs are all blank


def fmt(ind: Indicator, value) -> str:
    """A figure as text for a tile or a table; a count or sum with no recorded input is "not recorded"."""
    if value is None:
        return "–" if ind.unit in ("rate", "average") else NOT_RECORDED
    if isinstance(value, str):
        return value
    if ind.unit == "rate":
        return f"{value * 100:.1f} %"
    if ind.unit in ("hours", "average"):
        return f"{value:,.1f}"
    return f"{int(value):,}"
