"""The release engine: the only code that turns exact figures into released ones.

Outside the staff view every disclosive figure of a fiscal year comes from one linked table
per family of figures (outreach contacts with every breakdown of them, referrals with theirs,
people reached, ...): the whole months that have ended, the fiscal quarters and the year
made of them, this year's whole months to date, and every breakdown of each. Suppression is
decided over the whole table at once, deterministically, and cached per (database version,
fiscal year, k, day), so a cell shows the same released value on every page, chart, download,
export and in the CLI.

Protection, not only hiding: after primary suppression (1..k-1 shown as `<k`) the table is
audited by linear programming (HiGHS) the way an attacker would: `<k` is 1..k-1, `x` is at
least k, every released number holds, nothing is negative. Complementary cells (`x`) are added
until every primary cell can still take at least 3 values.

Periods: `external_span(period, today)` says whether a period is one the External audience
may see (a month, a fiscal quarter, a fiscal year that has ended, or this fiscal year's whole
months to date); any other period is staff-only.
"""
from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from shop import settings
from . import db, indicators, periods, release_cache, suppress
from .indicators import REGISTRY
from .periods import Period

FAMILY_SQL = Path(__file__).parent / "sql" / "families"
NOT_RELEASED = "n/a"     # a figure the External audience never gets for this period (bad dates by month)
OTHERS, ALL = "all others", "all"


# ------------------------------------------------------------------ periods the External audience sees

@dataclass(frozen=True)
class Span:
    """Whole months a..b (0 = the fiscal year's first month) of the fiscal year starting in `fy`."""
    fy: int
    a: int
    b: int

    @property
    def period(self) -> Period:
        return _period_of(self)

    def _dates(self):
        start = periods.add_months(periods.fiscal_year(self.fy).start, self.a)
        return start, periods.month_end(periods.add_months(start, self.b - self.a))

    @property
    def quarter_aligned(self) -> bool:
        return self.a % 3 == 0 and self.b % 3 == 2


def months_done(fy: int, today: dt.date) -> int:
    """Whole months of fiscal year `fy` that have ended before `today`'s month began."""
    first_open = today.replace(day=1)
    start = periods.fiscal_year(fy).start
    n = (first_open.year - start.year) * 12 + first_open.month - start.month
    return max(0, min(12, n))


def current_fy(today: dt.date) -> int:
    return periods.fy_start_year(today)


def spans(fy: int, today: dt.date, quarters_only: bool = False) -> list[Span]:
    """Every span of fiscal year `fy` in its External table (ended months only)."""
    m = months_done(fy, today)
    ytd = months_done(current_fy(today), today)  # this year's whole months: its year-earlier twin too
    out = [(i, i) for i in range(m)]
    out += [(3 * q, 3 * q + 2) for q in range(4) if 3 * q + 2 < m]
    if m == 12:
        out.append((0, 11))
    if 0 < ytd < 12 and ytd <= m:
        out.append((0, ytd - 1))
        if ytd % 3:
            out.append((3 * (ytd // 3), ytd - 1))
    if quarters_only and ytd >= 3 and 3 * (ytd // 3) <= m:  # this year's whole quarters to date, and its twin
        out.append((0, 3 * (ytd // 3) - 1))
    seen, res = set(), []
    for a, b in out:
        if (a, b) not in seen and (not quarters_only or (a % 3 == 0 and b % 3 == 2)):
            seen.add((a, b))
            res.append(Span(fy, a, b))
    return res


def external_span(period: Period, today: dt.date, quarters_only: bool = False) -> Span | None:
    """The span of the External table that `period` is, or None (then it is staff-only)."""
    if not periods.is_whole_months(period):
        return None
    fy = periods.fy_start_year(period.start)
    if periods.fy_start_year(period.end) != fy:
        return None
    start = periods.fiscal_year(fy).start
    a = (period.start.year - start.year) * 12 + period.start.month - start.month
    b = (period.end.year - start.year) * 12 + period.end.month - start.month
    s = Span(fy, a, b)
    return s if s in spans(fy, today, quarters_only) else None


def ytd(today: dt.date) -> Period | None:
    """This fiscal year's whole months to date (never the current month), or None in its first month."""
    fy = current_fy(today)
    m = months_done(fy, today)
    if m == 0:
        return None
    s = Span(fy, 0, m - 1)
    start, end = s._dates()
    return Period(start, end, f"{periods.fy_label(fy)} to date ({end:%b %Y})")


def comparisons(period: Period, today: dt.date, suppressed: bool) -> tuple[Period | None, Period | None]:
    """(previous, a year earlier) for `period`. Outside the staff view both are spans of the
    linked tables: the month or quarter before, the year before, and for the year to date
    the same months a year earlier."""
    if not suppressed:
        return periods.previous(period), periods.year_earlier(period)
    s = external_span(period, today)
    if s is None:
        return None, None
    earlier = _period_of(Span(s.fy - 1, s.a, s.b))
    n = s.b - s.a + 1
    if n in (1, 3, 12) and (n != 3 or s.a % 3 == 0):
        prev = periods.previous(period)
    else:  # the year to date, or its last unfinished quarter: the same months a year earlier
        prev = earlier
    return prev, earlier


def _period_of(s: Span) -> Period:
    start, end = s._dates()
    n = s.b - s.a + 1
    if s.a == 0 and n not in (3, 12):
        return Period(start, end, f"{periods.fy_label(s.fy)} first {n} month{'s' if n > 1 else ''}")
    return periods.labelled(start, end)


# ------------------------------------------------------------------ families: what is linked with what

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


# ------------------------------------------------------------------ the linked table and its audit

@dataclass
class Cell:
    key: tuple                      # (family, span (a, b), dim, category)
    coef: dict                      # variable -> coefficient
    value: int                      # exact
    status: str = "pub"             # pub | pri | sec | wh (withheld)


@dataclass
class Linked:
    """Cells as linear expressions over non-negative variables, plus extra rows (lo <= expr <= hi)."""
    n_vars: int
    cells: list[Cell] = field(default_factory=list)
    rows: list[tuple[dict, float, float]] = field(default_factory=list)
    latent: list[Cell] = field(default_factory=list)   # never released, but must stay protected


_BANNER_LOCK = threading.Lock()


def _highs():
    """A silent HiGHS instance (its one-time banner would land in the CLI's JSON on stdout)."""
    import os
    import highspy
    with _BANNER_LOCK:
        if not getattr(_highs, "quiet", False):
            import sys
            sys.stdout.flush()
            saved = os.dup(1)
            try:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, 1)
                os.close(devnull)
                h = highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
            _highs.quiet = True
        else:
            h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("presolve", "off")  # many small solves of one model: warm starts beat presolve
    return h


class Auditor:
    """The attacker's linear program over one linked table: feasible min and max of a cell."""

    def __init__(self, t: Linked, k: int):
        import highspy
        self.hs = highspy
        self.k = k
        self.t = t
        h = _highs()
        inf = highspy.kHighsInf
        n = t.n_vars
        h.addVars(n, np.zeros(n), np.full(n, inf))
        self.cell_row = {}
        for c in t.cells:
            lo, hi = self._bounds(c)
            self._add_row(h, c.coef, lo, hi)
            self.cell_row[c.key] = h.getNumRow() - 1
        self.row_key = {r: key for key, r in self.cell_row.items()}
        for coef, lo, hi in t.rows:
            self._add_row(h, coef, lo, hi)
        self.h = h
        self.inf = inf
        self.cost_idx: np.ndarray = np.array([], dtype=np.int32)

    @staticmethod
    def _add_row(h, coef, lo, hi):
        idx = np.array(list(coef), dtype=np.int32)
        val = np.array([coef[i] for i in idx], dtype=np.float64)
        h.addRow(lo, hi, len(idx), idx, val)

    def _bounds(self, c: Cell):
        if c.status == "pub":
            return float(c.value), float(c.value)
        if c.status == "pri":
            return 1.0, float(self.k - 1)
        if c.status == "wh":  # never a zero (a zero is shown as 0): at least 1, as an attacker knows
            return 1.0, self.hs.kHighsInf
        return float(self.k), self.hs.kHighsInf

    def update(self, c: Cell):
        lo, hi = self._bounds(c)
        self.h.changeRowBounds(self.cell_row[c.key], lo, hi)

    def range(self, coef: dict) -> tuple[float, float, set]:
        """(feasible min, feasible max, rows of released cells that bind either bound)."""
        h = self.h
        if len(self.cost_idx):
            h.changeColsCost(len(self.cost_idx), self.cost_idx, np.zeros(len(self.cost_idx)))
        idx = np.array(list(coef), dtype=np.int32)
        h.changeColsCost(len(idx), idx, np.array([float(coef[i]) for i in idx]))
        self.cost_idx = idx
        out, binding = [], set()
        for sense in (self.hs.ObjSense.kMinimize, self.hs.ObjSense.kMaximize):
            h.changeObjectiveSense(sense)
            h.run()
            st = h.getModelStatus()
            if st == self.hs.HighsModelStatus.kOptimal:
                out.append(h.getInfo().objective_function_value)
                duals = np.asarray(h.getSolution().row_dual)
                binding |= set(np.nonzero(np.abs(duals) > 1e-9)[0].tolist())
            elif st == self.hs.HighsModelStatus.kUnbounded:
                out.append(float("inf"))
            else:  # cannot tell: treat as exposed, so that more is hidden
                out.append(float("nan"))
        return out[0], out[1], binding

    def check(self, coef: dict, value: int) -> tuple[bool, set]:
        """(protected?, keys of the released cells that pin it). The exact value is feasible, so a
        maximum 2 above it (or a minimum 2 below) is enough: often one solve instead of two."""
        hi, rows = self._solve(coef, self.hs.ObjSense.kMaximize)
        if hi == float("inf") or (not np.isnan(hi) and np.floor(hi + 1e-6) >= value + 2):
            return True, set()
        lo, rows_lo = self._solve(coef, self.hs.ObjSense.kMinimize)
        ok = not (np.isnan(lo) or np.isnan(hi)) and np.floor(hi + 1e-6) - np.ceil(lo - 1e-6) >= 2
        return ok, {self.row_key[r] for r in rows | rows_lo if r in self.row_key}

    def _solve(self, coef: dict, sense) -> tuple[float, set]:
        h = self.h
        idx = np.array(list(coef), dtype=np.int32)
        if len(self.cost_idx) and not np.array_equal(idx, self.cost_idx):
            h.changeColsCost(len(self.cost_idx), self.cost_idx, np.zeros(len(self.cost_idx)))
        h.changeColsCost(len(idx), idx, np.ones(len(idx)))
        self.cost_idx = idx
        h.changeObjectiveSense(sense)
        h.run()
        st = h.getModelStatus()
        if st == self.hs.HighsModelStatus.kOptimal:
            duals = np.asarray(h.getSolution().row_dual)
            return h.getInfo().objective_function_value, set(np.nonzero(np.abs(duals) > 1e-9)[0].tolist())
        if st == self.hs.HighsModelStatus.kUnbounded:
            return float("inf"), set()
        return float("nan"), set()  # cannot tell: treated as exposed, so that more is hidden


def _related(target: tuple, cand: tuple) -> int:
    """How good a complement `cand` is for `target` (lower is better): a sibling category in the
    same span first, then the same category in a neighbouring span, then a total, then the rest."""
    _, (a, b), dim, cat = target
    _, (c, d), dim2, cat2 = cand
    if (c, d) == (a, b) and dim2 == dim and cat2 != cat:
        return 0
    if dim2 == dim and cat2 == cat and (c, d) != (a, b):
        same_len = (d - c) == (b - a)
        overlaps = not (d < a or c > b)
        return 1 if same_len and not overlaps else 2 if overlaps else 3
    if (c, d) == (a, b):
        return 4
    return 5


def protect(t: Linked, k: int, max_rounds: int = 60) -> None:
    """Primary suppression, then complementary cells until every primary cell is protected."""
    for c in t.cells:
        if 1 <= c.value <= k - 1:
            c.status = "pri"
    targets = [c for c in t.cells if c.status == "pri"] + [c for c in t.latent if 1 <= c.value <= k - 1]
    if not targets:
        return
    aud = Auditor(t, k)
    by_key = {c.key: c for c in t.cells}
    pending = targets
    for _ in range(max_rounds):
        added = set()
        failing = []
        for c in pending:
            ok, binding = aud.check(c.coef, c.value)
            if ok:
                continue
            failing.append(c)
            if binding & added:
                continue  # something pinning it was just hidden: look again next round
            cands = [by_key[b] for b in binding if by_key[b].status == "pub" and by_key[b].value >= k]
            if not cands:  # nothing binding can be hidden: the nearest cell that can
                cands = [x for x in t.cells if x.status == "pub" and x.value >= k]
            if not cands:
                continue
            best = _cheapest(cands, c)
            best.status = "sec"
            added.add(best.key)
            aud.update(best)
        if not failing:
            return  # all protected
        if not added:
            break  # nothing left to hide behind x (every other cell is a zero, small or hidden)
        pending = failing
    _withhold(t, aud, targets)


def _withhold(t: Linked, aud: "Auditor", targets: list) -> None:
    """The last resort, when hiding counts of k or more cannot protect a small count: it is pinned
    by its own `<k` and its small neighbours (eight months of `<10` each at least 1 under a
    year's `<10`), or by a public floor (a year to date's sessions under its hidden quarters).
    Then a cell that pins it is withheld (shown as WITHHELD): the small count itself first, else a
    released cell that binds it, until every small count is protected. A zero is never withheld,
    so WITHHELD says "at least 1", and that is how it is audited here."""
    by_key = {c.key: c for c in t.cells}
    for _ in range(len(t.cells) + 1):
        for c in targets:
            ok, binding = aud.check(c.coef, c.value)
            if not ok:
                break
        else:
            return
        own = by_key.get(c.key)
        if own is not None and own.status != "wh":
            victim = own
        else:
            cands = [by_key[b] for b in binding if by_key[b].status != "wh" and by_key[b].value >= 1] or \
                    [x for x in t.cells if x.status != "wh" and x.value >= 1]
            if not cands:
                return  # nothing released is left: nothing can pin it
            victim = _cheapest(cands, c)
        victim.status = "wh"
        aud.update(victim)


def _cheapest(cands: list, target: Cell) -> Cell:
    """The cell to hide for `target`: the cheapest to the reader, then the most related to it."""
    return min(cands, key=lambda x: (_cost(x.key), _related(target.key, x.key), x.value, str(x.key)))


def _cost(key: tuple) -> tuple:
    """How much hiding a cell costs the reader: a total over a long span most, a month's category least."""
    _, (a, b), dim, _ = key
    return (dim is None, b - a)


# ------------------------------------------------------------------ one fiscal year, released

@dataclass
class Released:
    """Every External figure of one fiscal year: {(family, (a, b), dim, category): value}."""
    fy: int
    cells: dict
    merged: dict          # (family, dim) -> categories merged into "all others"
    categories: dict      # (family, dim) -> released categories, in order
    people: dict          # (indicator, (a, b)) -> released distinct count
    regular: list         # the spans (a, b) every indicator is released for


def _fold(df: pd.DataFrame, fam: str, dim: str, k: int) -> tuple[dict, list]:
    """Categories to merge into 'all others' for the whole year: most of their quarters are small."""
    keep = KEEP.get((fam, dim), set())
    by = df.assign(q=df["mi"] // 3).groupby(["q", dim])["value"].sum().reset_index()
    merged = []
    for cat, g in by.groupby(dim):
        nz = g[g["value"] > 0]["value"]
        if cat not in keep and len(nz) and (nz < k).sum() * 2 > len(nz):
            merged.append(cat)
    cats = sorted(set(by[dim]))
    if len(merged) == 1 and len([c for c in cats if c not in merged]) == 0:
        merged = []  # one category: nothing to merge it with
    mapping = {c: (OTHERS if c in merged else c) for c in cats}
    if merged and all(c in merged for c in cats):
        mapping = {c: ALL for c in cats}
    return mapping, sorted(merged)


def _build(fy: int, path, today: dt.date, k: int) -> Released:
    fyp = periods.fiscal_year(fy)
    regular = spans(fy, today)
    month0 = fyp.start
    cells: dict = {}
    merged: dict = {}
    categories: dict = {}
    m = months_done(fy, today)
    end = periods.month_end(periods.add_months(month0, m - 1)) if m else month0 - dt.timedelta(days=1)
    has = m > 0 and db.has_data(path)
    with (db.connect(path) if has else _null()) as con:
        exact_by_span = _people_counts(con, regular, today) if has else {(s.a, s.b): {} for s in regular}
        for name, fam in FAMILIES.items():
            fam_spans = spans(fy, today, fam.quarters_only)
            if not has or not fam_spans:
                for d in fam.dims:
                    categories[(name, d)] = []
                    merged[(name, d)] = []
                for s in fam_spans:
                    cells[(name, (s.a, s.b), None, None)] = 0
                continue
            df = family_rows(con, name, month0, end, today, fam.dims)
            df["mi"] = [(pd.Timestamp(b).year - month0.year) * 12 + pd.Timestamp(b).month - month0.month
                        for b in df["bucket"]]
            suppressed = fam.disclosive
            for d in fam.dims:
                if suppressed:
                    mapping, mg = _fold(df, name, d, k)
                    df[d] = df[d].map(mapping)
                else:
                    mg = []
                merged[(name, d)] = mg
                cats = sorted(set(df[d]), key=lambda c: (c in (OTHERS,), c))
                categories[(name, d)] = cats
            # Variables: each month's total and each month's count per category of each dimension.
            # Nothing finer is needed: any released margins of a month can come from some
            # non-negative cross-table, so this is exactly what an attacker can know.
            months = list(range(max(m, 1)))
            var = {("T", i): i for i in months}
            for d in fam.dims:
                for c in categories[(name, d)]:
                    for i in months:
                        var[(d, c, i)] = len(var)
            exact = {("T", i): 0 for i in months}
            tot = df.groupby("mi")["value"].sum()
            for i, v in tot.items():
                exact[("T", int(i))] = int(v)
            for d in fam.dims:
                g = df.groupby([d, "mi"])["value"].sum()
                for (c, i), v in g.items():
                    exact[(d, c, int(i))] = exact.get((d, c, int(i)), 0) + int(v)
            t = Linked(len(var))
            for d in fam.dims:
                for i in months:
                    coef = {var[(d, c, i)]: 1.0 for c in categories[(name, d)]}
                    coef[var[("T", i)]] = -1.0
                    t.rows.append((coef, 0.0, 0.0))

            def cell(key, names):
                return Cell(key, {var[n]: 1.0 for n in names}, sum(exact.get(n, 0) for n in names))

            for s in fam_spans:
                span = range(s.a, s.b + 1)
                t.cells.append(cell((name, (s.a, s.b), None, None), [("T", i) for i in span]))
                for d in fam.dims:
                    cats = categories[(name, d)]
                    for c in cats:
                        t.cells.append(cell((name, (s.a, s.b), d, c), [(d, c, i) for i in span]))
                        if len(cats) > 2:  # the whole minus this part: a count too, never shown, protected
                            t.latent.append(cell((name, (s.a, s.b), d, f"not {c}"),
                                                 [(d, o, i) for o in cats if o != c for i in span]))
            for key, lo in PUBLIC_FLOORS.get(name, lambda ex, k: {})(exact_by_span, k).items():
                t.rows.append(({var[("T", i)]: 1.0 for i in range(key[0], key[1] + 1)}, float(lo), np.inf))
            if suppressed:
                protect(t, k)
            for c in t.cells:
                cells[c.key] = _mark(c, k)
    people = _people(regular, exact_by_span, k)
    return Released(fy, cells, merged, categories, people, [(s.a, s.b) for s in regular])


def _people_counts(con, regular: list[Span], today: dt.date) -> dict:
    """{(a, b): {people indicator: distinct people, 'friday.sessions': sessions}} for every span."""
    for s in regular:  # people.sql counts by month: every span must be whole months
        if s.period.start.day != 1 or (s.period.end + dt.timedelta(days=1)).day != 1:
            raise AssertionError(f"a released span that is not whole months: {s.period}")
    sql = (FAMILY_SQL / "people.sql").read_text()
    df = con.execute(sql, {"starts": [s.period.start for s in regular], "ends": [s.period.end for s in regular],
                           "today": today}).df()
    out = {(s.a, s.b): {i: 0 for i in PEOPLE} | {"friday.sessions": 0} for s in regular}
    by_dates = {(s.period.start, s.period.end): (s.a, s.b) for s in regular}
    for r in df.itertuples():
        key = by_dates[(pd.Timestamp(r.s).date(), pd.Timestamp(r.e).date())]
        out[key][r.ind] = int(r.days if r.ind == "friday.sessions" else r.people)
    return out


def _indicators(rel: Released, s: Span, exact: dict, k: int) -> dict:
    """Every indicator of one span: disclosive ones from the linked tables, rates when their
    counts are released, the rest (supply units, sessions, education) exact."""
    out = {}
    key = (s.a, s.b)
    regular = key in rel.regular
    for i, ind in REGISTRY.items():
        if i in INDICATOR_CELLS:
            fam, d, c = INDICATOR_CELLS[i]
            quarterly = FAMILIES[fam].quarters_only
            if (quarterly and not s.quarter_aligned) or (not quarterly and not regular):
                out[i] = NOT_RELEASED
            else:
                out[i] = rel.cells.get((fam, key, d, c), 0)
        elif not regular:  # a span of bad date reports only
            out[i] = NOT_RELEASED
        elif i in PEOPLE:
            out[i] = rel.people[(i, key)]
        elif i in RATE_PARTS:
            parts = [rel.cells.get((f, key, d, c), 0) for f, d, c in RATE_PARTS[i]]
            v = exact.get(i)
            if v is None or any(isinstance(p, str) for p in parts):
                out[i] = None if v is None else suppress.SECONDARY
            elif i == "referrals.completion_rate" and sum(parts) < 2 * k and v in (0, 1):
                out[i] = suppress.SECONDARY  # 0 % or 100 % of a small group
            else:
                out[i] = v
        else:
            out[i] = exact.get(i)  # not disclosive: supply units, sessions, education attendees
    sessions = out.get("friday.sessions")
    if isinstance(sessions, int) and 1 <= sessions <= k - 1 and isinstance(out.get("friday.attendance"), str):
        out["friday.sessions"] = suppress.primary_mark(k)  # see PUBLIC_FLOORS
    _hide_cross_bounds(out)
    return out


# Bounds across linked tables, which each table's own audit does not see: a service's people are
# at most its identified events (people <= contacts - anonymous, <= referrals, <= nights,
# <= attendance), new people are at most people, and the program's people are at most the sum of
# the services' people. A released count on the small side of such a bound would floor or cap a
# hidden one (Friday people 16 beside hidden August attendance pins July at 1). So a people
# count beside any hidden count it bounds is hidden too (`x`: at least k, which says nothing new),
# and so is everything it bounds in turn. Hiding more never narrows a hidden cell.
PEOPLE_BOUNDS = {"outreach.people": ["outreach.contacts", "outreach.anonymous_contacts"],
                 "outreach.new_people": ["outreach.people", "outreach.contacts", "outreach.anonymous_contacts"],
                 "referrals.people": ["referrals.made"],
                 "suite.people": ["suite.guest_nights"],
                 "friday.people": ["friday.attendance"],
                 "program.people": ["outreach.people", "referrals.people", "suite.people", "friday.people"]}


def _hide_cross_bounds(out: dict) -> None:
    for person, bounded in PEOPLE_BOUNDS.items():  # in order: program.people sees the services' result
        v = out.get(person)
        if isinstance(v, str) or not v:  # hidden already, or a true 0 (x would claim at least k)
            continue
        if any(isinstance(out.get(b), str) and out.get(b) != NOT_RELEASED for b in bounded):
            out[person] = suppress.SECONDARY


class _null:
    def __enter__(self):
        return None

    def __exit__(self, *a):
        return False


def _people(all_spans: list[Span], exact: dict, k: int) -> dict:
    """People counts per span, each indicator its own linked table of distinct counts."""
    out = {}
    keys = [(s.a, s.b) for s in all_spans]
    pos = {key: j for j, key in enumerate(keys)}
    for i in PEOPLE:
        t = Linked(len(keys))
        for key in keys:
            t.cells.append(Cell((i, key, None, None), {pos[key]: 1.0}, int(exact[key].get(i) or 0)))
        for (a, b) in keys:
            if a == b:
                continue
            parts = [[(j, j) for j in range(a, b + 1)]]
            quarters = [(q, q + 2) for q in range(a, b + 1, 3) if q + 2 <= b and (q, q + 2) in pos]
            if sum(q[1] - q[0] + 1 for q in quarters) == b - a + 1:
                parts.append(quarters)
            elif quarters and (quarters[-1][1] + 1, b) in pos:
                parts.append(quarters + [(quarters[-1][1] + 1, b)])
            for part in parts:
                if not all(p in pos for p in part):
                    continue
                coef = {pos[(a, b)]: 1.0}
                for p in part:  # whole <= sum of parts
                    coef[pos[p]] = coef.get(pos[p], 0.0) - 1.0
                t.rows.append((coef, -np.inf, 0.0))
                for p in part:  # each part <= whole
                    t.rows.append(({pos[p]: 1.0, pos[(a, b)]: -1.0}, -np.inf, 0.0))
        protect(t, k)
        for c in t.cells:
            out[(i, c.key[1])] = _mark(c, k)
    return out


def _mark(c: Cell, k: int):
    """What a cell of a linked table shows: its value, or the mark of how it is hidden."""
    return {"pub": c.value, "pri": suppress.primary_mark(k), "sec": suppress.SECONDARY,
            "wh": suppress.WITHHELD}[c.status]


_CACHE: dict = {}
_LOCK = threading.Lock()


def year(fy: int, path=None, today: dt.date | None = None) -> Released:
    """The released table of fiscal year `fy` (cached per database version, year, k and day)."""
    today = today or settings.today()
    path = str(path or db.db_path())
    k = suppress.threshold()
    key = (path, db.version(path), fy, k, today, periods.fiscal_start_month(), db.suite_units())
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is None:
            # Another process may have built it for this very database file, year, k and day.
            saved = release_cache.load(path, key[1:])
            if saved is not None:
                hit = Released(**saved)
            else:
                hit = _build(fy, path, today, k)
                if key[1] == db.version(path):  # not a file swapped in while it was built
                    release_cache.save(path, key[1:], {f: getattr(hit, f) for f in _RELEASED_FIELDS})
            if len(_CACHE) > 64:
                _CACHE.clear()
            _CACHE[key] = hit
    return hit


_RELEASED_FIELDS = ("fy", "cells", "merged", "categories", "people", "regular")


# ------------------------------------------------------------------ what callers use

class NotExternal(ValueError):
    """A period the External audience cannot see (staff only)."""


def _span_or_raise(period: Period, today: dt.date, quarters_only: bool = False) -> Span:
    s = external_span(period, today, quarters_only)
    if s is None:
        raise NotExternal(external_rule())
    return s


def external_rule() -> str:
    return ("outside the staff view a period is a month, a fiscal quarter or a fiscal year that has ended, "
            "or this fiscal year's whole months to date (whole months only, never the current month)")


def figures(period: Period, suppressed: bool, path=None, today: dt.date | None = None) -> dict:
    """Every indicator for the period: exact for staff; released (from the linked table) otherwise.
    Raises NotExternal for a period outside the External table."""
    today = today or settings.today()
    path = path or db.db_path()
    if not suppressed:
        exact = indicators.compute(period, path, today) if db.has_data(path) else indicators.empty_figures()
        return {i: exact.get(i) for i in REGISTRY}
    s = external_span(period, today) or _span_or_raise(period, today, quarters_only=True)
    rel = year(s.fy, path, today)
    exact = (_exact(str(path), db.version(path), s.period.start, s.period.end, today, db.suite_units())
             if db.has_data(path) else {})
    return _indicators(rel, s, exact, suppress.threshold())


@lru_cache(maxsize=256)
def _exact(path: str, version: str, start: dt.date, end: dt.date, today: dt.date, units: int) -> dict:
    del version, units  # the cache key only
    return indicators.compute(Period(start, end), path, today)


@dataclass
class Breakdown:
    """A measure by bucket and category: `table` has a Total row and column (released values),
    `chart` numbers only (a bucket with a hidden part is left out), and notes for the caption."""
    table: pd.DataFrame
    chart: pd.DataFrame
    merged: list
    hidden: list
    grain: str
    skipped: list = field(default_factory=list)   # buckets that are not External periods


def _buckets(period: Period, grain: str) -> list[tuple[dt.date, dt.date]]:
    out, d = [], period.start
    while d <= period.end:
        if grain == "month":
            e = periods.month_end(d)
        elif grain == "quarter":
            e = periods.fiscal_quarter(d).end
        elif grain == "year":
            e = period.end
        else:
            raise ValueError(grain)
        e = min(e, period.end)
        out.append((d, e))
        d = e + dt.timedelta(days=1)
    return out


def breakdown(measure: str, period: Period, grain: str, suppressed: bool, path=None,
              today: dt.date | None = None) -> Breakdown:
    """A measure over time by category for the period, as this audience may see it."""
    from . import series
    today = today or settings.today()
    path = path or db.db_path()
    if not suppressed:
        long = series.breakdown(measure, period, grain, path, today) if db.has_data(path) else pd.DataFrame()
        table, chart = series.crosstab(long)
        return Breakdown(table, chart, [], [], grain)
    fam_name, dim = MEASURE_CELLS[measure]
    fam = FAMILIES[fam_name]
    s = _span_or_raise(period, today, fam.quarters_only)
    rel = year(s.fy, path, today)
    cats = rel.categories.get((fam_name, dim), [])
    rows, index, skipped = [], [], []
    for b0, b1 in _buckets(period, grain):
        bs = external_span(Period(b0, b1), today, fam.quarters_only)
        if bs is None:
            skipped.append(b0)
            continue
        index.append(pd.Timestamp(b0))
        rows.append([rel.cells.get((fam_name, (bs.a, bs.b), dim, c), 0) for c in cats]
                    + [rel.cells.get((fam_name, (bs.a, bs.b), None, None), 0)])
    total = [rel.cells.get((fam_name, (s.a, s.b), dim, c), 0) for c in cats] + \
            [rel.cells.get((fam_name, (s.a, s.b), None, None), 0)]
    if not cats and all(v == 0 for r in rows for v in r) and total[-1] == 0:
        return Breakdown(pd.DataFrame(), pd.DataFrame(), [], [], grain, skipped)
    table = pd.DataFrame(rows + [total], index=index + ["Total"], columns=cats + ["Total"], dtype=object)
    body = table.drop(index="Total")
    hidden_rows = body.apply(lambda r: any(isinstance(v, str) for v in r), axis=1) if len(body) else pd.Series()
    chart = body[~hidden_rows].drop(columns="Total").astype("int64") if len(body) else pd.DataFrame()
    return Breakdown(table, chart, rel.merged.get((fam_name, dim), []),
                     [b for b, h in hidden_rows.items() if h] if len(body) else [], grain, skipped)


def totals(measure: str, period: Period, suppressed: bool, path=None, today: dt.date | None = None) -> dict:
    """{category: value, 'Total': value} of a measure over the period, as this audience may see it."""
    br = breakdown(measure, period, "year", suppressed, path, today)
    if br.table.empty:
        return {}
    return {str(c): v for c, v in br.table.loc["Total"].items()}


def text(s) -> str | None:
    """Free text (an event, a program note, a label) as the External audience may see it: withheld
    when the identifier screen flags it. The one place External text is screened."""
    from etl import privacy
    if s is None or (isinstance(s, float) and pd.isna(s)):
        return s
    s = str(s)
    return "(note withheld: it looks like it names a person)" if privacy.looks_identifying(s) else s


def footnote() -> str:
    return suppress.footnote() + (" Outside the staff view figures cover whole months that have ended, fiscal "
                                  "quarters and fiscal years; bad date reports whole quarters and years only.")


def summary(period: Period, suppressed: bool, path=None, today: dt.date | None = None) -> dict:
    """The figures of `etl summary --json` for a period (NotExternal when suppressed and not External)."""
    return {"from": period.start.isoformat(), "to": period.end.isoformat(), "suppressed": suppressed,
            "indicators": figures(period, suppressed, path, today)}


def _notes_query(sql: str, period: Period, path) -> pd.DataFrame:
    if not db.has_data(path):
        return pd.DataFrame()
    return db.query(sql, {"from": period.start, "to": period.end}, path)


def annotations(period: Period, suppressed: bool, path=None, scope: str | None = None) -> list[dict]:
    """Program notes overlapping the period (scope `all` or `scope`), screened outside the staff view."""
    df = _notes_query("""select start_date, coalesce(end_date, start_date) as end_date, scope, note
                         from core.annotations
                         where start_date <= $to and coalesce(end_date, start_date) >= $from
                         order by start_date""", period, path or db.db_path())
    out = []
    for r in df.itertuples():
        if scope is not None and r.scope not in ("all", scope):
            continue
        out.append({"start_date": r.start_date, "end_date": r.end_date, "scope": r.scope,
                    "note": text(r.note) if suppressed else r.note})
    return out


def events(period: Period, suppressed: bool, path=None) -> list[tuple[str, str]]:
    """(month, Friday special event) in the period: by month, screened outside the staff view."""
    df = _notes_query("""select distinct strftime(date_trunc('month', session_date), '%b %Y') as month, event,
                                date_trunc('month', session_date) as m
                         from core.friday_network
                         where session_date between $from and $to and event is not null
                         order by m, event""", period, path or db.db_path())
    return [(m, text(e) if suppressed else e) for m, e in zip(df.get("month", []), df.get("event", []))]
