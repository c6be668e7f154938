"""The linked tables: which released figures are parts of one another, and what an attacker knows.

A family is figures that add up (outreach contacts with every breakdown of them, referrals with
theirs, ...). Its table's variables are each month's count and each month's count per raw
category; a cell (a span's total, or a span's count of one released category, where a released
category may be several raw ones merged as "all others") is a sum of them. Rows say what else is
known: breakdowns add up to their month, each earlier release still true of today's data, a
public floor (a Friday session has an attendee), and bounds across tables (people are at most
their identified contacts, ...). People counts are distinct, not additive: each indicator is a
table of spans, linked by "no more than its parts together, no fewer than any part".
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from shop import ledger, periods
from . import suppress
from .protect import LINKED, Cell, Linked
from .spans import Span, months_done, spans

FAMILY_SQL = Path(__file__).parent / "sql" / "families"
OTHERS, ALL = "all others", "all"
INF = float("inf")


@dataclass(frozen=True)
class Family:
    """Figures that are parts of one another: released from one linked table."""
    name: str
    sql: str                 # file in sql/families: columns d, the dims, and the weight
    dims: tuple[str, ...]
    weight: str = "w"
    disclosive: bool = True
    quarters_only: bool = False   # bad date reports: whole fiscal quarters and years only


FAMILIES: dict[str, Family] = {f.name: f for f in [
    Family("contacts", "contacts", ("mode", "worker_group", "kind")),
    Family("services", "services", ("service",)),
    # an outreach contact whose service is a bad date report is a bad date report: quarters only
    Family("service_bad_dates", "service_bad_dates", (), quarters_only=True),
    Family("new_people", "new_people", ()),
    Family("supplies", "supplies", ("item", "channel", "reach"), disclosive=False),
    Family("referrals", "referrals", ("referral_type", "status", "outcome_time")),
    Family("stays", "stays", ("length", "referral_source")),
    Family("exits", "exits", ("exit_destination",)),
    Family("nights", "nights", ("night",)),
    Family("requests", "requests", ("outcome",)),
    Family("attendance", "attendance", ("attendee_group",)),
    Family("bad_dates", "bad_dates", ("type", "police", "alert"), quarters_only=True),
    Family("education_sessions", "education", ("topic",), disclosive=False),
    Family("education_attendees", "education", ("audience",), weight="attendees", disclosive=False),
]}

# measure (series.MEASURES) -> (family, dimension)
MEASURE_CELLS = {
    "contacts_by_mode": ("contacts", "mode"), "contacts_by_worker_group": ("contacts", "worker_group"),
    "contacts_by_kind": ("contacts", "kind"), "services_by_type": ("services", "service"),
    "units_by_item": ("supplies", "item"), "units_by_channel": ("supplies", "channel"),
    "units_by_reach": ("supplies", "reach"), "referrals_by_type": ("referrals", "referral_type"),
    "referrals_by_status": ("referrals", "status"), "referrals_by_outcome_time": ("referrals", "outcome_time"),
    "nights_by_period": ("nights", "night"), "stays_by_length": ("stays", "length"),
    "stays_by_referral_source": ("stays", "referral_source"),
    "stays_by_exit_destination": ("exits", "exit_destination"), "requests_by_outcome": ("requests", "outcome"),
    "attendance_by_group": ("attendance", "attendee_group"), "reports_by_type": ("bad_dates", "type"),
    "reports_by_police": ("bad_dates", "police"), "reports_by_alert": ("bad_dates", "alert"),
    "sessions_by_topic": ("education_sessions", "topic"), "attendees_by_audience": ("education_attendees", "audience"),
}

# disclosive indicator -> its cell (family, dimension, category); None = the family's total
INDICATOR_CELLS = {
    "outreach.contacts": ("contacts", None, None), "outreach.anonymous_contacts": ("contacts", "kind", "anonymous"),
    "outreach.new_people": ("new_people", None, None), "referrals.made": ("referrals", None, None),
    "referrals.attended": ("referrals", "status", "attended"), "suite.stays": ("stays", None, None),
    "suite.guest_nights": ("nights", None, None), "suite.turnaways_full": ("requests", "outcome", "full"),
    "friday.attendance": ("attendance", None, None),
    "friday.alumni_attendance": ("attendance", "attendee_group", "alumni"),
    "bad_dates.reports": ("bad_dates", None, None),
    "bad_dates.reported_to_police": ("bad_dates", "police", "reported to police"),
}
# people: distinct counts, not sums; linked over time by max(parts) <= whole <= sum(parts)
PEOPLE = ["outreach.people", "referrals.people", "suite.people", "friday.people", "program.people"]
# categories an indicator or a rate needs: never merged into "all others"
KEEP = {("referrals", "status"): {"attended", "not_attended", "declined"}}
for _fam, _dim, _cat in INDICATOR_CELLS.values():
    if _dim:
        KEEP.setdefault((_fam, _dim), set()).add(_cat)
# rates and averages: released only when the counts they are made of are
RATE_PARTS = {"referrals.completion_rate": [("referrals", "status", "attended"), ("referrals", "status", "not_attended"),
                                            ("referrals", "status", "declined")],
              "suite.occupancy_rate": [("nights", None, None)], "friday.avg_attendance": [("attendance", None, None)],
              "outreach.support_hours": [("contacts", None, None)]}


# counts of people that depend on the months before them (new people: never met before): a late
# or corrected file of an earlier month, of this fiscal year or the one before, moves them, and
# how far is a count of people of those months
SINCE_BEFORE = {("new_people", None)}


# What is public bounds what is not: a Friday session has at least one attendee, so attendance is
# at least the number of sessions. Session counts are not disclosive and are released; one shown
# as `<k` beside a hidden attendance can still be worked out by subtracting released periods (a
# quarter's 29 sessions minus May's 10 and June's 10 gives April's 9, so April's `<10` attendance
# is 9). So the audit takes every span's exact session count as the floor an attacker holds.
PUBLIC_FLOORS = {"attendance": lambda ex, k: {span: f.get("friday.sessions", 0) for span, f in ex.items()}}


@cache
def family_source(name: str) -> str:
    return (FAMILY_SQL / f"{FAMILIES[name].sql}.sql").read_text()


def family_rows(con, name: str, start: dt.date, end: dt.date, today: dt.date, group: tuple[str, ...],
                bucket: str = "date_trunc('month', d)::date") -> pd.DataFrame:
    """Exact sums of one family in start..end grouped by a bucket of its date and `group`."""
    fam = FAMILIES[name]
    src = family_source(name)
    cols = "".join(f", {g}" for g in group)
    sql = (f"with src as ({src}), inside as (select * from src where d between $from and $to) "
           f"select {bucket} as bucket{cols}, sum({fam.weight}) as value from inside group by all order by all")
    params = {"from": start, "to": end, "today": today, "fsm": periods.fiscal_start_month()}
    params = {k: v for k, v in params.items() if f"${k}" in sql}
    df = con.execute(sql, params).df()
    df["value"] = pd.to_numeric(df["value"]).fillna(0).astype("int64")
    for g in group:
        df[g] = df[g].astype(str)
    return df


def _fold(df: pd.DataFrame, fam: str, dim: str, k: int, also=()) -> tuple[dict, list]:
    """Categories to merge into 'all others' for the whole year: most of their quarters are small
    (and those in `also`: release._split_since)."""
    keep = KEEP.get((fam, dim), set())
    by: dict = {}   # (quarter, category) -> count (in plain Python: a table of a few hundred rows, built often)
    for q, cat, v in zip((df["mi"] // 3).tolist(), df[dim].tolist(), df["value"].tolist()):
        by[(q, cat)] = by.get((q, cat), 0) + v
    quarters: dict = {}
    for (_, cat), v in by.items():
        quarters.setdefault(cat, []).append(v)
    merged = []
    for cat in sorted(quarters):
        nz = [v for v in quarters[cat] if v > 0]
        if cat not in keep and (nz and sum(v < k for v in nz) * 2 > len(nz) or cat in also):
            merged.append(cat)
    cats = sorted(quarters)
    if len(merged) == 1 and len([c for c in cats if c not in merged]) == 0:
        merged = []  # one category: nothing to merge it with
    mapping = {c: (OTHERS if c in merged else c) for c in cats}
    if merged and all(c in merged for c in cats):
        mapping = {c: ALL for c in cats}
    return mapping, sorted(merged)


def _people_counts(con, regular: list[Span], today: dt.date, months: dict | None = None) -> dict:
    """{(a, b): {people indicator: distinct people, 'friday.sessions': sessions}} for every span;
    `months`, when given, gets {indicator: {first day of a month: (people, xor of their person
    keys)}} for the months of the spans (people_digests)."""
    for s in regular:  # people.sql counts by month: every span must be whole months
        if s.period.start.day != 1 or (s.period.end + dt.timedelta(days=1)).day != 1:
            raise AssertionError(f"a released span that is not whole months: {s.period}")
    sql = (FAMILY_SQL / "people.sql").read_text()
    df = con.execute(sql, {"starts": [s.period.start for s in regular], "ends": [s.period.end for s in regular],
                           "today": today}).df()
    out = {(s.a, s.b): {i: 0 for i in PEOPLE} | {"friday.sessions": 0} for s in regular}
    by_dates = {(s.period.start, s.period.end): (s.a, s.b) for s in regular}
    for r in df.itertuples():
        if pd.isna(r.e):   # a month's people as a set
            if months is not None:
                months.setdefault(r.ind, {})[pd.Timestamp(r.s).date()] = (int(r.people), int(r.mix))
            continue
        key = by_dates[(pd.Timestamp(r.s).date(), pd.Timestamp(r.e).date())]
        out[key][r.ind] = int(r.days if r.ind == "friday.sessions" else r.people)
    return out


@dataclass
class FamilyTable:
    """One family's linked table for a fiscal year, with what the release needs to show it."""
    name: str
    table: Linked
    var: dict              # ("T", i) | (dim, raw category, i) -> variable
    exact: dict            # the same keys -> exact count
    categories: dict       # dim -> released categories, in order
    members: dict          # (dim, released category) -> raw categories
    merged: dict           # dim -> raw categories merged into "all others"
    revised: list          # keys of cells released earlier with another value
    digests: list | None = None   # per month of the table, a keyed digest of its exact cells
    raw: dict = field(default_factory=dict)     # dim -> raw categories (a variable each per month)
    old: dict = field(default_factory=dict)     # (month, digest then) -> {("T",) | (dim, c): variable}
    dim_digests: dict | None = None             # "T" | dim -> per month, a keyed digest of its cells alone
    same_dims: dict = field(default_factory=dict)   # (month, digest then) -> "T" and dims the same then as now
    people_rows: set = field(default_factory=set)   # rows set by people counts shown today (release._cross_family)

    def expr(self, a: int, b: int, dim=None, raws=None) -> dict:
        """The variables of a span's total, or of its count of some raw categories of dim."""
        if dim is None:
            return {self.var[("T", i)]: 1.0 for i in range(a, b + 1)}
        return {self.var[(dim, c, i)]: 1.0 for c in raws for i in range(a, b + 1) if (dim, c, i) in self.var}

    def expr_then(self, a: int, b: int, dim, raws, then: dict) -> dict:
        """expr, of the data as it was when an earlier release was made: a month whose cells have
        changed since (`then`: month -> its digest then) has variables of its own for that version,
        the others are today's (unchanged, as an attacker who keeps both releases knows)."""
        out = {}
        for i in range(a, b + 1):
            if i not in then:
                out.update(self.expr(i, i, dim, raws))
                continue
            block = self._old_block(i, then[i])
            names = [("T",)] if dim is None else [(dim, c) for c in raws]
            out.update({block[nm]: 1.0 for nm in names if nm in block})
        return out

    def _old_block(self, i: int, h: str) -> dict:
        """Month i's variables as of version h (made once): its total and every raw category,
        the breakdowns adding up to the total, as today's do."""
        block = self.old.get((i, h))
        if block is None:
            # a total or a breakdown whose own digest then is today's was the same then: today's
            # variables (a corrected April that makes June's contacts of a new person returning ones
            # changes June's kinds only; June's modes and worker groups as variables of their own
            # gave July's indoor contacts `<10` as 5 or 6: helper-43's seed 13)
            same = self.same_dims.get((i, h), frozenset())
            t = self.table
            block = {("T",): self.var[("T", i)]} if "T" in same else {}
            # and where the month's total and all its breakdowns but one are the same (its file
            # unchanged, as anyone keeping both releases sees: only what other months move moved),
            # each category of that one whose own count is the same too. Not otherwise: a month
            # whose file changed does not tell anyone which of its counts stayed, and showing a
            # year to date as given before would tell them (helper-45's seed 624)
            moved = [d for d in self.raw if d not in same]
            one = "T" in same and len(moved) == 1
            for d, cats in self.raw.items():
                block.update({(d, c): self.var[(d, c, i)] for c in cats if d in same or one and f"{d}/{c}" in same})
            names = [nm for nm in [("T",)] + [(d, c) for d, cats in self.raw.items() for c in cats] if nm not in block]
            block.update({nm: t.n_vars + j for j, nm in enumerate(names)})
            t.n_vars += len(names)
            for d, cats in self.raw.items():
                if d in same and "T" in same:
                    continue
                coef = {block[(d, c)]: 1.0 for c in cats}
                coef[block[("T",)]] = -1.0
                t.rows.append((coef, 0.0, 0.0))
            self.old[(i, h)] = block
        return block

    def value(self, coef: dict) -> int:
        inv = getattr(self, "_inv", None)
        if inv is None:
            inv = self._inv = {v: self.exact.get(n, 0) for n, v in self.var.items()}
        return int(sum(inv[v] * w for v, w in coef.items()))


def bounds_of(v, k: int) -> tuple[float, float]:
    """What a released value tells an attacker: (lowest, highest)."""
    if isinstance(v, str):
        r = suppress.rounded_bounds(v, k)
        if r is not None:
            return float(r[0]), float(r[1])
        return {"x": (float(k), INF), "w": (1.0, INF)}.get(v, (1.0, float(k - 1)))
    return float(v), float(v)


def add_row(t: Linked, coef: dict, lo: float, hi: float) -> None:
    t.rows.append((coef, lo if lo != INF else np.inf, hi if hi != INF else np.inf))


def family_table(con, name: str, fy: int, today: dt.date, k: int, past: list[dict],
                 hkey: bytes | None = None, dims_then: dict | None = None, cats_then: dict | None = None,
                 keep_merged: dict | None = None) -> FamilyTable:
    """The linked table of one family: cells for its External spans, rows for what is known,
    earlier releases (`past`, the ledger's lines of this family) among them. `hkey`: the
    database's key, for the months' digests (month_digests)."""
    fam = FAMILIES[name]
    month0 = periods.fiscal_year(fy).start
    m = months_done(fy, today)
    fam_spans = spans(fy, today, fam.quarters_only)
    seen = [ledger.index_of(fy, e["to"]) for e in past]
    n = min(12, max([m, 1] + [i + 1 for i in seen if i is not None]))
    end = periods.month_end(periods.add_months(month0, n - 1))
    df = family_rows(con, name, month0, end, today, fam.dims)
    df["mi"] = [(pd.Timestamp(b).year - month0.year) * 12 + pd.Timestamp(b).month - month0.month for b in df["bucket"]]
    categories, members, merged, raw = {}, {}, {}, {}
    for d in fam.dims:
        mapping, mg = _fold(df[df["mi"] < m], name, d, k, (keep_merged or {}).get(d, ())) if fam.disclosive else ({}, [])
        data_cats = sorted(set(df.loc[df["mi"] < m, d]))
        mapped = {c: mapping.get(c, c) for c in data_cats}
        merged[d] = mg
        categories[d] = sorted(set(mapped.values()), key=lambda c: (c in (OTHERS, ALL), c))
        for c in categories[d]:
            members[(d, c)] = [r for r in data_cats if mapped[r] == c]
        past_raw = {r for e in past if e.get("dim") == d for r in e.get("members") or ()}
        raw[d] = sorted(set(df[d]) | past_raw)
    months = range(n)
    var = {("T", i): i for i in months}
    for d in fam.dims:
        for c in raw[d]:
            for i in months:
                var[(d, c, i)] = len(var)
    exact = {("T", int(i)): int(v) for i, v in df.groupby("mi")["value"].sum().items()}
    for d in fam.dims:
        for (c, i), v in df.groupby([d, "mi"])["value"].sum().items():
            exact[(d, c, int(i))] = exact.get((d, c, int(i)), 0) + int(v)
    t = Linked(len(var), headlines=frozenset((d, c) for f, d, c in INDICATOR_CELLS.values() if f == name and d))
    ft = FamilyTable(name, t, var, exact, categories, members, merged, [])
    for d in fam.dims:  # every breakdown of a month adds up to the month
        for i in months:
            coef = {var[(d, c, i)]: 1.0 for c in raw[d]}
            coef[var[("T", i)]] = -1.0
            t.rows.append((coef, 0.0, 0.0))
        # a category the released ones neither show nor merge is none this year to date: the data
        # contract lists every category, so its absence says 0. Online contacts deleted by a
        # corrected July file (shown in "all others" before) were still a variable here, free, while
        # July's 21 contacts less its 12 street ones gave its drop-ins `<10` as 9 (session 45)
        shown = {r for c in categories[d] for r in members[(d, c)]}
        for c in raw[d]:
            if c not in shown:
                for i in range(min(m, n)):
                    t.rows.append(({var[(d, c, i)]: 1.0}, 0.0, 0.0))
    for s in fam_spans:
        coef = ft.expr(s.a, s.b)
        t.cells.append(Cell((name, (s.a, s.b), None, None), coef, ft.value(coef)))
        for d in fam.dims:
            cats = categories[d]
            for c in cats:
                coef = ft.expr(s.a, s.b, d, members[(d, c)])
                t.cells.append(Cell((name, (s.a, s.b), d, c), coef, ft.value(coef)))
                if len(cats) > 2:  # the whole minus this part: a count too, never shown, protected
                    rest = [r for o in cats if o != c for r in members[(d, o)]]
                    coef = ft.expr(s.a, s.b, d, rest)
                    t.latent.append(Cell((name, (s.a, s.b), d, f"not {c}"), coef, ft.value(coef)))
    ft.raw = raw
    ft.digests = month_digests(name, exact, n, hkey)
    ft.dim_digests = dim_digests(name, exact, n, hkey, fam.dims)
    _same_then(ft, fy, past, dims_then or {})
    _past_rows(ft, fy, past, k)
    _absent_then(ft, cats_then or {}, dims_then or {})
    return ft


def _absent_then(ft: FamilyTable, cats_then: dict, dims_then: dict) -> None:
    """A category an earlier release neither showed nor merged was none in its year to date, as
    its data were (the contract lists every category: its absence says 0). 5 June listed no
    hospital contact; 5 July merged June's hospital contacts into "all others": Q1's 20 less
    April-May's 17 (5 June, without hospital) gave June's `<10` as 3 (helper-45's seed 119).
    `cats_then`: _family_cats_then's; `dims_then`: the breakdowns' digests then (_same_then)."""
    done_rows = set()
    n = sum(1 for v in ft.var if v[0] == "T")
    for rid, (last, cats, months) in cats_then.items():
        for d, listed in cats.items():
            absent = [c for c in ft.raw.get(d, []) if c not in listed]
            if not absent:
                continue
            for i in range(min(last + 1, n)):
                h = months.get(i)
                then = {i: h} if ft.digests and h is not None and h != ft.digests[i] else {}
                if then and (i, h) not in ft.same_dims:
                    now = ft.dim_digests or {}
                    seen = dims_then.get(rid, {})
                    ft.same_dims[(i, h)] = frozenset(x for x, by in now.items()
                                                     if i < len(by) and seen.get(x, {}).get(i) == by[i])
                coef = ft.expr_then(i, i, d, absent, then) if then else ft.expr(i, i, d, absent)
                key = tuple(sorted(coef.items()))
                if not coef or key in done_rows or not then and ft.value(coef) != 0:
                    continue
                done_rows.add(key)
                add_row(ft.table, coef, 0.0, 0.0)


def dim_digests(name: str, exact: dict, n: int, key: bytes | None, dims) -> dict | None:
    """month_digests, of the total, of each breakdown alone and of each of its raw categories alone:
    {"T" | dim | "dim/category": per month, a digest}. (A month whose kinds moved when an earlier
    month was corrected kept its anonymous contacts: with them as variables of their own, 11 August
    held 5 August's July returning contacts `<10` at 9 beside July's 10 now, hidden: helper-45's
    seed 268.)"""
    if key is None:
        return None
    by: dict = {d: [[] for _ in range(n)] for d in ("T", *dims)}
    for cell, v in exact.items():
        if v and cell[-1] < n:
            by[cell[0]][cell[-1]].append((cell[:-1], int(v)))
            if cell[0] != "T":
                by.setdefault(f"{cell[0]}/{cell[1]}", [[] for _ in range(n)])[cell[-1]].append(int(v))
    return {d: [_digest(key, "shop-month-dim-v1", name, d, sorted(cells)) for cells in months] for d, months in by.items()}


def _same_then(ft: FamilyTable, fy: int, past: list[dict], dims_then: dict) -> None:
    """For each month of a line whose data have changed since (its digest then), the total and
    the breakdowns whose own digests that release recorded (`dims_then`: {release id: {"T" | dim:
    {month: digest}}}) are today's: ft.same_dims, read by _old_block."""
    if not ft.dim_digests or not dims_then:
        return
    for e in past:
        a, b = ledger.index_of(fy, e["from"]), ledger.index_of(fy, e["to"])
        if a is None or b is None or a > b:
            continue
        then = dims_then.get(e.get("rid"))
        if not then:
            continue
        for i, h in changed_months(e.get("v"), ft.digests, a, b).items():
            if (i, h) in ft.same_dims:
                continue
            ft.same_dims[(i, h)] = frozenset(d for d, now in ft.dim_digests.items()
                                             if i < len(now) and then.get(d, {}).get(i) == now[i])


def people_digests(fy: int, months: dict, key: bytes | None) -> dict:
    """{people indicator: per month of the fiscal year, a keyed digest of the set of its people}
    (from _people_counts' `months`); {} without a key. As month_digests, for the people tables.
    And the supplies' known people ('supplies': never released, but People served counts them)."""
    if key is None:
        return {}
    first = [periods.add_months(periods.fiscal_year(fy).start, i) for i in range(12)]
    return {ind: [_digest(key, "shop-people-v1", ind, months.get(ind, {}).get(m)) for m in first]
            for ind in PEOPLE + ["supplies"]}


def _digest(key: bytes, *parts) -> str:
    """A short keyed digest (HMAC-SHA-256) of the parts."""
    return hmac.new(key, repr(parts).encode(), hashlib.sha256).hexdigest()[:16]


def month_digests(name: str, exact: dict, n: int, key: bytes | None) -> list[str] | None:
    """Per month of the table, a digest of every exact cell of the family in it: a later release
    tells by it which months have changed since an earlier one (a corrected file). Keyed
    (HMAC with the database's key): the ledger beside the database must not let anyone test
    guesses at a hidden count against it. None without a key (then no month counts as changed)."""
    if key is None:
        return None
    by_month: list[list] = [[] for _ in range(n)]
    for cell, v in exact.items():
        if v and cell[-1] < n:
            by_month[cell[-1]].append((cell[:-1], int(v)))
    return [_digest(key, "shop-month-v1", name, sorted(cells)) for cells in by_month]


def _past_rows(ft: FamilyTable, fy: int, past: list[dict], k: int) -> None:
    """Each earlier release still true of today's data is a row; a cell shown then as the number
    it still is stays shown (hiding it now would hide nothing). One that late data changed is a
    revision: both values are public. Every line made when some of its months were other than
    today (their digests then, `v`, differ) is also a row over those months as they were: the
    attacker keeps the old release too, and its months that have not changed are today's. So a
    corrected June can no longer move the hidden cell of a quarter from May to June and give
    April as the old quarter less the old June less the May shown now (helper-24)."""
    by_expr = {}
    for c in ft.table.cells:
        by_expr.setdefault(tuple(sorted(c.coef)), c)
    small_then: dict = {}   # the old expression of a count shown `<k` then -> (a, b, dim, expr, lo)
    today_vars = set(ft.var.values())   # (an old block's own variables are made past these)
    for e in past:
        a, b = ledger.index_of(fy, e["from"]), ledger.index_of(fy, e["to"])
        if a is None or b is None or a > b:
            continue  # another fiscal year's span (the fiscal start changed): not this table's
        if e.get("dim") and e["dim"] not in FAMILIES[ft.name].dims:
            continue
        coef = ft.expr(a, b, e.get("dim"), e.get("members"))
        if not coef:
            continue
        lo, hi = float(e["lo"]), INF if e["hi"] is None else float(e["hi"])
        then = changed_months(e.get("v"), ft.digests, a, b)
        v = ft.value(coef)
        cell = by_expr.get(tuple(sorted(coef)))
        if then:   # a fact about the months as they were, and only that: today's are not known by it
            old = ft.expr_then(a, b, e.get("dim"), e.get("members"), then)
            add_row(ft.table, old, lo, hi)
            if any(v in today_vars for i, h in then.items() for v in ft._old_block(i, h).values()):
                ft.table.sources[len(ft.table.rows) - 1] = LINKED   # (through a count taken as unchanged)
            if 1 <= lo and hi <= k - 1:   # shown `<k` then: a small count of the data as they were
                small_then.setdefault(tuple(sorted(old.items())), (a, b, e.get("dim"), old, lo))
            if cell is not None and lo == hi and v != lo:
                ft.revised.append(cell.key)
            if lo == hi and 1 <= abs(lo - v) <= k - 1 and (ft.name, e.get("dim")) in SINCE_BEFORE:
                # the people no longer new (or new since) are people of the months before: a count
                # of them. April 2026's new people 18 on 5 May and 10 on 20 May, after March's
                # outreach file (fiscal 2025) came late, gave March's new people `<10` as 8 or 9
                # (helper-33): each fiscal year is its own table, so this is kept a target here
                coef = dict(old)
                for j, x in ft.expr(a, b, e.get("dim"), e.get("members")).items():
                    coef[j] = coef.get(j, 0.0) - x
                if lo < v:
                    coef = {j: -x for j, x in coef.items()}
                ft.table.latent.append(Cell((ft.name, (a, b), e.get("dim"), "revised since " + e["from"]),
                                            coef, int(abs(lo - v))))
            elif cell is None and 1 <= v <= k - 1:   # a span no longer offered: its count as corrected
                # is a small count all the same (helper-32: May corrected on 3 July, Q1's 16 new people
                # less June's 10 gave April-May's as 6 on 5 July; as people_table does for people)
                ft.table.latent.append(Cell((ft.name, (a, b), e.get("dim"), "released " + e["from"]), coef, v,
                                            small_known=False))
            continue
        if not lo <= v <= hi:
            if cell is not None and lo == hi:
                ft.revised.append(cell.key)
            continue
        add_row(ft.table, coef, lo, hi)
        if cell is not None and lo == hi:
            cell.locked = True
        elif cell is None and 1 <= v <= k - 1:  # a small count released then (a quarter to date): still protected,
            # and known to be small only as far as the row above says (`w` then: at least 1)
            ft.table.latent.append(Cell((ft.name, (a, b), e.get("dim"), "released " + e["from"]), coef, v,
                                        small_known=False))
    _small_then(ft, small_then)


def _small_then(ft: FamilyTable, small_then: dict) -> None:
    """A count shown `<k` by an earlier release whose months have changed since is a small count
    of the data as they were, and stays a target: the attacker keeps that release too. June's 5
    contacts shown `<10` beside a year to date of 92 on 5 August, July hidden to protect them;
    June corrected to 10 on 10 August, then June and July shown: 92 less April, May and July gave
    the old June as 5 (helper-41; and a July drop-in `<10` of 1, its row deleted since, by the
    year to date before and after). Its exact value then is kept nowhere: each audit takes the
    least the rows allow (protect._values_then)."""
    for n, (a, b, dim, old, lo) in enumerate(small_then.values()):
        ft.table.latent.append(Cell((ft.name, (a, b), dim, f"shown small then ({n})"), old, int(lo),
                                    small_known=False, then=True))


def _people_then(t: Linked, all_keys: list, pos: dict, past_keys: list, digests: list | None,
                 states: dict | None = None, added: frozenset = frozenset(), k: int = 10) -> None:
    """Earlier releases made when some months' people were others (a corrected file): each such
    release's counts are rows over the spans as they were then, a variable per span and version,
    with the rows every set of people counts obeys among that release's spans and today's spans
    whose months have not changed (those are today's variables: the attacker keeps both). A line
    of any release whose months were then as that release had them is a count of that release's
    data too (the ledger keeps a line once: May's 0 referral people given on 5 June and again on
    5 July, May's file still missing, is one line, and with Q1's 25 and June's 16 of 5 July it held
    April's at 9 or more: helper-36's seed 585). `states`: {release id: {month: its people's digest
    then}} from the releases' own lines (table "state"), where they have one. `added`: the releases
    since which files have only been added (release._only_added): each month's people then are
    among today's, so a span had no more people then, and a span less a part holding every month
    changed since had no fewer (April's people served not seen in May, May's suite stays late:
    helper-36's seed 527)."""
    if not digests:
        return
    lines = [((a, b), e) for (a, b), e in past_keys if e.get("v") and len(e["v"]) == b - a + 1]
    worlds: dict = {}   # release id -> {month: its digest then}
    for (a, b), e in lines:
        worlds.setdefault(e.get("rid"), {}).update(zip(range(a, b + 1), e["v"]))
    for rid, w in (states or {}).items():
        if rid in worlds:
            worlds[rid] = {**worlds[rid], **w}
    old: dict = {}   # (span, its changed months' digests then) -> variable
    bounded = set()   # old variables with their line's range added
    small_then = set()   # old variables shown `<k` then, each a target (once)
    today_vars = frozenset(pos.values())
    for rid, world in worlds.items():
        changed = {i: h for i, h in world.items() if i >= len(digests) or digests[i] != h}
        if not changed:
            continue
        mine = [((a, b), e) for (a, b), e in lines
                if all(world.get(i) == h for i, h in zip(range(a, b + 1), e["v"]))]
        col = {key: pos[key] for key in all_keys if not any(i in changed for i in range(key[0], key[1] + 1))}
        for key, _ in mine:
            then = tuple((i, changed[i]) for i in range(key[0], key[1] + 1) if i in changed)
            if then:
                if (key, then) not in old:
                    old[(key, then)] = t.n_vars
                    t.n_vars += 1
                col[key] = old[(key, then)]
        _people_structure(t, list(col), col, today_vars=today_vars)
        t.then[rid] = (col, changed)   # (People served's table links them to the services: _served_then)
        # between the versions, a span's people added (or dropped) are people of its changed months,
        # as today's data have them (as that release's did): Q1's Friday people 12 on 5 July, May's
        # Friday file missing, and 20 on 20 July held May's (`<10`) at 8 or more (helper-36's seed 556)
        for key, _ in mine:
            if col[key] in today_vars or key not in pos:
                continue
            for now, have in ((True, pos), (False, col)):
                runs = cover_runs(key, changed, have)
                if runs is not None:
                    coef = {pos[key]: 1.0, col[key]: -1.0} if now else {col[key]: 1.0, pos[key]: -1.0}
                    for c in runs:
                        coef[have[c]] = coef.get(have[c], 0.0) - 1.0
                    t.rows.append((coef, -np.inf, 0.0))
        if rid in added:
            for w in col:
                if col[w] in today_vars or w not in pos:
                    continue
                t.rows.append(({col[w]: 1.0, pos[w]: -1.0}, -np.inf, 0.0))
                for q in col:
                    if q != w and w[0] <= q[0] and q[1] <= w[1] and q in pos \
                            and all(q[0] <= i <= q[1] for i in range(w[0], w[1] + 1) if i in changed):
                        t.rows.append(({pos[w]: 1.0, pos[q]: -1.0, col[w]: -1.0, col[q]: 1.0}, -np.inf, 0.0))
        for key, e in mine:
            if col[key] not in today_vars and (col[key], id(e)) not in bounded:
                # (a line of unchanged months is a row of today's already)
                bounded.add((col[key], id(e)))
                lo, hi = float(e["lo"]), INF if e["hi"] is None else float(e["hi"])
                add_row(t, {col[key]: 1.0}, lo, hi)
                if 1 <= lo and hi <= k - 1 and col[key] not in small_then:
                    # shown `<k` then: a small count of the people as they were stays a target, as a
                    # family's does (_small_then); its value is set by each audit (protect._values_then)
                    small_then.add(col[key])
                    t.latent.append(Cell((next(iter(t.roundable), "people"), key, "shown small then", rid),
                                         {col[key]: 1.0}, int(lo), small_known=False, then=True))


def cover_runs(span: tuple, changed: dict, have: dict) -> list | None:
    """The runs of changed months of a span as spans `have` holds (a run whole, or its months one
    by one); None when it cannot."""
    runs: list = []
    for m in range(span[0], span[1] + 1):
        if m in changed:
            if runs and runs[-1][1] == m - 1:
                runs[-1][1] = m
            else:
                runs.append([m, m])
    out = []
    for a, b in runs:
        if (a, b) in have:
            out.append((a, b))
        elif all((m, m) in have for m in range(a, b + 1)):
            out += [(m, m) for m in range(a, b + 1)]
        else:
            return None
    return out or None


def changed_months(v, digests: list | None, a: int, b: int) -> dict:
    """{month: its digest then} for the months a..b of a ledger line whose data have changed
    since (`v`: the line's digests, one per month; `digests`: today's); {} for a line without
    them (written before digests) or without today's (no key)."""
    if not v or digests is None or len(v) != b - a + 1:
        return {}
    return {i: h for i, h in zip(range(a, b + 1), v) if i >= len(digests) or digests[i] != h}



def _people_structure(t: Linked, all_keys: list, pos: dict, today_vars: frozenset = frozenset()) -> list:
    """The rows every set of people counts obeys, over the spans all_keys (variable pos[span]):
    the whole has no more people than its parts together, no fewer than any part, and two
    overlapping spans no more together than apart. A row only over today_vars is not added (the
    caller has it). The tilings (whole, parts) found."""
    rows_before = len(t.rows)
    tilings = []  # (whole, parts that tile it)
    for (a, b) in all_keys:
        if a == b:
            continue
        parts = [[(j, j) for j in range(a, b + 1)]]
        quarters = [(q, q + 2) for q in range(a, b + 1, 3) if q + 2 <= b and (q, q + 2) in pos]
        if sum(q[1] - q[0] + 1 for q in quarters) == b - a + 1:
            parts.append(quarters)
        elif quarters and (quarters[-1][1] + 1, b) in pos:
            parts.append(quarters + [(quarters[-1][1] + 1, b)])
        # any two spans that tile it (a year to date given last month and this month: their
        # people together, less the whole, are the people seen in both)
        parts += [[(a, m), (m + 1, b)] for m in range(a, b) if (a, m) in pos and (m + 1, b) in pos
                  and [(a, m), (m + 1, b)] not in parts]
        for part in parts:
            if not all(p in pos for p in part):
                continue
            coef = {pos[(a, b)]: 1.0}
            for p in part:  # whole <= sum of parts
                coef[pos[p]] = coef.get(pos[p], 0.0) - 1.0
            t.rows.append((coef, -np.inf, 0.0))
            tilings.append(((a, b), part))
        for (c, d) in all_keys:  # each part <= whole
            if a <= c and d <= b and (c, d) != (a, b):
                t.rows.append(({pos[(c, d)]: 1.0, pos[(a, b)]: -1.0}, -np.inf, 0.0))
    # people are a coverage count, so submodular: two overlapping spans have no more people
    # together (their union) plus in common (their intersection) than each alone. Without this a
    # year to date to July and to August, July, and July-August give August's newcomers a narrower
    # range than the rows above (1..2 for a true 1)
    for (a, b) in all_keys:
        for (c, d) in all_keys:
            if a < c <= b < d and (a, d) in pos and (c, b) in pos:
                t.rows.append(({pos[(a, d)]: 1.0, pos[(c, b)]: 1.0, pos[(a, b)]: -1.0, pos[(c, d)]: -1.0},
                               -np.inf, 0.0))
    if today_vars:
        t.rows[rows_before:] = [r for r in t.rows[rows_before:] if not set(r[0]) <= today_vars]
    return tilings


def _run_rows(t: Linked, pos: dict, runs: dict) -> None:
    """The rows that tie the people of runs of months never shown (`runs`: run -> variable) to the
    spans shown (`pos`: span -> variable; every month is one): a shown span has no more people than
    a run inside it and the rest of it together (the rest as one span shown, or its months), and a
    run no fewer than any span shown inside it, nor more than its months together."""
    for (c, d), r in runs.items():
        for (a, b), w in pos.items():
            if c <= a and b <= d:
                t.rows.append(({w: 1.0, r: -1.0}, -np.inf, 0.0))
            if not (a <= c and d <= b) or (a, b) == (c, d):
                continue
            coef = {w: 1.0, r: -1.0}
            for rest in [(a, c - 1), (d + 1, b)]:
                if rest[0] > rest[1]:
                    continue
                for x in [pos[rest]] if rest in pos else [pos[(m, m)] for m in range(rest[0], rest[1] + 1)]:
                    coef[x] = coef.get(x, 0.0) - 1.0
            t.rows.append((coef, -np.inf, 0.0))
        t.rows.append(({r: 1.0, **{pos[(m, m)]: -1.0 for m in range(c, d + 1)}}, -np.inf, 0.0))


def people_table(ind: str, keys: list[tuple], exact: dict, past: list[dict], fy: int,
                 k: int = 10, digests: list | None = None, states: dict | None = None,
                 added: frozenset = frozenset()) -> tuple[Linked, dict]:
    """A people indicator's table over spans (released ones and earlier releases' spans): each
    whole has no more people than its parts together, and no fewer than any part. `digests`: per
    month, the digest of its people as a set (people_digests): an earlier release made when some
    months' people were others is kept over variables of its own for those spans (as
    FamilyTable.expr_then does for a family)."""
    past_keys = []
    for e in past:
        a, b = ledger.index_of(fy, e["from"]), ledger.index_of(fy, e["to"])
        if a is not None and b is not None and a <= b:
            past_keys.append(((a, b), e))
    all_keys = list(dict.fromkeys(keys + [key for key, _ in past_keys]))
    pos = {key: j for j, key in enumerate(all_keys)}
    t = Linked(len(all_keys), roundable=frozenset({ind}))
    for key in keys:
        t.cells.append(Cell((ind, key, None, None), {pos[key]: 1.0}, int(exact[key].get(ind) or 0)))
    tilings = _people_structure(t, all_keys, pos)
    _people_then(t, all_keys, pos, past_keys, digests, states, added, k)
    cells = {c.key[1]: c for c in t.cells}
    given = set()   # spans whose count an earlier release gave exactly
    for key in dict.fromkeys(key for key, _ in past_keys):
        # a span an earlier release gave and today's does not: its count today is a count of people
        # still, a target when small, whether or not its months were corrected since (helper-32:
        # April-May's outreach people `<10` on 5 June, April corrected on 3 July, were Q1's 14 less
        # June's 10 new people on 5 July, 4, in a first year)
        v = int(exact.get(key, {}).get(ind) or 0)
        if key not in cells and 1 <= v <= k - 1:
            t.latent.append(Cell((ind, key, None, "released"), {pos[key]: 1.0}, v))
    for key, e in past_keys:
        if changed_months(e.get("v"), digests, *key):
            continue   # a fact about the months as they were (_people_then), not today's
        lo, hi = float(e["lo"]), INF if e["hi"] is None else float(e["hi"])
        v = int(exact.get(key, {}).get(ind) or 0)
        if lo <= v <= hi:
            add_row(t, {pos[key]: 1.0}, lo, hi)
            if lo == hi:
                given.add(key)
            if lo == hi and key in cells:
                cells[key].locked = True
    # the difference of two nested spans is a count of people too (those of the whole not seen in
    # the part: new people in a month, for a year to date given in January and again in February).
    # Two sides both given exactly already (a ledger written before this rule) are public: nothing
    # shown today can protect their difference, and trying would withhold what does not bind it.
    # A side given only as a range (≈130, `<10`) is not: today's figures can still pin it.
    count = {key: int(exact.get(key, {}).get(ind) or 0) for key in all_keys}
    fixed = given
    for (a, b) in all_keys:
        for (c, d) in all_keys:
            if a <= c and d <= b and (c, d) != (a, b) and 1 <= count[(a, b)] - count[(c, d)] <= k - 1 \
                    and not {(a, b), (c, d)} <= fixed:
                t.latent.append(Cell((ind, (a, b), "not in", (c, d)), {pos[(a, b)]: 1.0, pos[(c, d)]: -1.0},
                                     count[(a, b)] - count[(c, d)]))
    # parts that tile a whole, less the whole, count the people seen in more than one part (of two
    # parts: exactly those seen in both, such as the people of both Q1 and Q2 from the first half)
    # two overlapping spans and their union: the people of both (a year to date given in August
    # and the quarter to date of September, less the year to date of September), and, less
    # their common months' people, those of both not seen in those months (who skipped July)
    for (a, b) in all_keys:
        for (c, d) in all_keys:
            if not (a < c <= b < d and (a, d) in pos):
                continue
            both = {pos[(a, b)]: 1.0, pos[(c, d)]: 1.0, pos[(a, d)]: -1.0}
            t.rows.append((both, 0.0, np.inf))
            cases = [(("in both of", ((a, b), (c, d))), both, count[(a, b)] + count[(c, d)] - count[(a, d)])]
            if (c, b) in pos:
                cases.append((("in both of, not in", ((a, b), (c, d), (c, b))), {**both, pos[(c, b)]: -1.0},
                              count[(a, b)] + count[(c, d)] - count[(a, d)] - count[(c, b)]))
            for (what, spans_), coef, v in cases:
                if 1 <= v <= k - 1 and not {(a, b), (c, d), (a, d)} <= fixed:
                    t.latent.append(Cell((ind, (a, d), what, spans_), coef, v))
    for whole, part in tilings:
        v = sum(count[p] for p in part) - count[whole]
        if 1 <= v <= k - 1 and not {whole, *part} <= fixed:
            coef = {pos[whole]: -1.0}
            for p in part:
                coef[pos[p]] = coef.get(pos[p], 0.0) + 1.0
            t.latent.append(Cell((ind, whole, "in more than one of", tuple(part)), coef, v))
    return t, pos
