"""Breakdowns over time and by category, suppressed by the contract's rules.

Each measure is named `<measure>_by_<dimension>` and defined once here; pages,
exports and tests read them through `breakdown` and `crosstab`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from shop import settings
from . import db, suppress
from .periods import Period, fiscal_start_month


@dataclass(frozen=True)
class Measure:
    source: str          # a relation with a date column `d` and a category column `category`
    value: str           # the aggregate
    disclosive: bool
    unit: str
    definition: str


_NIGHTS = """(select unnest(generate_series(greatest(check_in, $from::date),
                  case when check_out is null then least($to::date, $today::date)
                       else least(check_out - 1, $to::date) end, interval 1 day))::date as d,
              'guest nights' as category from marts.suite_stays)"""

MEASURES: dict[str, Measure] = {
    "contacts_by_mode": Measure(
        "(select contact_date as d, contact_mode as category from core.outreach)", "count(*)", True,
        "contacts", "Outreach contacts by how the contact happened."),
    "contacts_by_worker_group": Measure(
        "(select contact_date as d, worker_group as category from core.outreach)", "count(*)", True,
        "contacts", "Outreach contacts by the worker group of the person (unknown when not recorded)."),
    "contacts_by_kind": Measure(
        "(select contact_date as d, case when person_key is null then 'anonymous' when new_contact_first "
        "then 'new person' else 'returning person' end as category from (select *, contact_date = min(contact_date) "
        "over (partition by person_key) and person_key is not null as new_contact_first from core.outreach))",
        "count(*)", True, "contacts",
        "Outreach contacts: a person's first contact in all loaded data (new), later ones (returning), or anonymous."),
    "services_by_type": Measure(
        "(select contact_date as d, unnest(services) as category from core.outreach)", "count(*)", True,
        "services", "Services delivered in outreach contacts (a contact can deliver several)."),
    "units_by_item": Measure("(select dist_date as d, item as category, quantity from core.supplies)",
                             "sum(quantity)", False, "units", "Supply units handed out, by item."),
    "units_by_channel": Measure("(select dist_date as d, channel as category, quantity from core.supplies)",
                                "sum(quantity)", False, "units", "Supply units handed out, by channel."),
    "units_by_reach": Measure(
        "(select dist_date as d, case when channel = 'online_request' then 'online request' "
        "when person_key is null then 'anonymous, in person' else 'known person' end as category, quantity "
        "from core.supplies)", "sum(quantity)", False, "units",
        "Supply units by how they reached people: online requests, anonymously in person, or to a known person."),
    "referrals_by_type": Measure("(select referral_date as d, referral_type as category from core.referrals)",
                                 "count(*)", True, "referrals", "Referrals made, by type."),
    "referrals_by_status": Measure("(select referral_date as d, status as category from core.referrals)",
                                   "count(*)", True, "referrals", "Referrals made, by their latest status."),
    "nights_by_period": Measure(_NIGHTS, "count(*)", True, "nights",
                                "Safe Suite guest nights (check-in ≤ night < check-out; open stays up to today)."),
    "stays_by_length": Measure(
        "(select check_in as d, case when n <= 1 then '1 night' when n <= 3 then '2-3 nights' when n <= 7 "
        "then '4-7 nights' when n <= 14 then '8-14 nights' else '15+ nights' end as category from "
        "(select check_in, coalesce(check_out, $today::date) - check_in as n from marts.suite_stays))",
        "count(*)", True, "stays", "Safe Suite stays by length, by check-in date (open stays counted to today)."),
    "stays_by_referral_source": Measure(
        "(select check_in as d, coalesce(referral_source, 'not recorded') as category from marts.suite_stays)",
        "count(*)", True, "stays", "Safe Suite stays by who referred the guest."),
    "stays_by_exit_destination": Measure(
        "(select check_out as d, coalesce(exit_destination, 'not recorded') as category from marts.suite_stays "
        "where check_out is not null)", "count(*)", True, "stays", "Finished stays by where the guest went next."),
    "requests_by_outcome": Measure("(select request_date as d, outcome as category from core.suite_requests)",
                                   "count(*)", True, "requests", "Requests for the Safe Suite by outcome."),
    "attendance_by_group": Measure(
        "(select session_date as d, attendee_group as category from core.friday_network)", "count(*)", True,
        "attendances", "Friday Afternoon Network attendance by group."),
    "reports_by_type": Measure(
        "(select report_date as d, case when list_has_any(incident_type, ['physical_assault', 'sexual_assault']) "
        "then 'violence' when list_has_any(incident_type, ['robbery_theft', 'refused_payment']) then 'theft or non-payment' "
        "else 'other harm' end as category from core.bad_dates)", "count(*)", True, "reports",
        "Bad date reports by broad type (violence; theft or non-payment; other harm)."),
    "reports_by_police": Measure(
        "(select report_date as d, case when is_reported_to_police then 'reported to police' else 'not reported' "
        "end as category from core.bad_dates)", "count(*)", True, "reports", "Bad date reports by whether police were told."),
    "reports_by_alert": Measure(
        "(select report_date as d, case when is_alert_circulated then 'alert circulated' else 'no alert' "
        "end as category from core.bad_dates)", "count(*)", True, "reports", "Bad date reports by whether an alert went out."),
    "sessions_by_topic": Measure("(select session_date as d, topic as category from core.education)",
                                 "count(*)", False, "sessions", "Community education sessions by topic."),
    "attendees_by_audience": Measure(
        "(select session_date as d, audience as category, attendees from core.education)", "sum(attendees)",
        False, "attendees", "Community education attendees by audience."),
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
    """Long table (bucket, category, value) of one measure in the period, exact
    (on `con` when given, so that several measures share one connection)."""
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {GRAINS}")
    m = MEASURES[name]
    sql = (f"with src as (select * from {m.source} where d between $from and $to), "
           f"final as (select {_bucket(grain)} as bucket, category, {m.value} as value from src group by all) "
           "select * from final order by bucket, category")
    params = {"from": period.start, "to": period.end, "today": today or settings.today(),
              "fsm": fiscal_start_month()}
    params = {k: v for k, v in params.items() if f"${k}" in sql}
    if con is not None:
        df = con.execute(sql, params).df()
    else:
        with db.connect(path) as c:
            df = c.execute(sql, params).df()
    df["value"] = pd.to_numeric(df["value"]).astype("int64")
    return df


OTHERS = "all others"
ALL = "all"


def fold_small(wide: pd.DataFrame, k: int) -> pd.DataFrame:
    """Merge categories with small cells into 'all others', smallest first, so that fewer
    cells need suppressing (external view only; the staff view keeps every category)."""
    wide = wide.copy()
    while len(wide.columns) > 1:
        small = [c for c in wide.columns if ((wide[c] > 0) & (wide[c] < k)).any()]
        if not small:
            break
        candidates = [c for c in small if c != OTHERS] or \
            [c for c in wide.columns if c != OTHERS]
        if not candidates:
            break
        c = min(candidates, key=lambda c: (wide[c].sum(), c))
        wide[OTHERS] = (wide[OTHERS] if OTHERS in wide.columns else 0) + wide[c]
        wide = wide.drop(columns=c)
    if list(wide.columns) == [OTHERS]:
        wide.columns = [ALL]  # everything folded: it is simply the total
    return wide


def crosstab(long: pd.DataFrame, disclosive: bool, suppressed: bool, k: int | None = None):
    """(table, chart): buckets as rows with a Total row, categories as columns with a Total
    column; suppressed cells shown as '<k' or 'x'. `chart` has numbers only, with suppressed
    cells and every bucket that has a suppressed part dropped (a gap, never a short stack)."""
    if long.empty:
        return pd.DataFrame(), pd.DataFrame()
    wide = long.pivot_table(index="bucket", columns="category", values="value", aggfunc="sum", fill_value=0)
    wide.columns = [str(c) for c in wide.columns]
    if suppressed and disclosive:
        wide = fold_small(wide, k or suppress.threshold())
    wide["Total"] = wide.sum(axis=1)
    wide.loc["Total"] = wide.sum(axis=0)
    cells = {(r, c): int(wide.at[r, c]) for r in wide.index for c in wide.columns}
    if suppressed and disclosive:
        groups = suppress.table_groups(list(wide.index), list(wide.columns), "Total", "Total")
        out = suppress.complementary(cells, groups, k)
    else:
        out = cells
    table = pd.DataFrame([[out[(r, c)] for c in wide.columns] for r in wide.index],
                         index=wide.index, columns=wide.columns, dtype=object)
    body = table.drop(index="Total")
    hidden_rows = body.apply(lambda row: any(isinstance(v, str) for v in row), axis=1)
    chart = body[~hidden_rows].drop(columns="Total").astype("int64")
    return table, chart
