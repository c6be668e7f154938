"""The manager's monthly review: what changed, what looks wrong, what it takes to hit the targets.

`build` gathers the exact review as of the latest complete month; `view` turns it into what an
audience may see (exact for staff; for the External audience only rule names and months flagged,
and figures that went through `release`). The /review page, `python -m etl review` and the
exports all show `view`, so they agree. A rule is a few lines of data in RULES plus one SQL file
in sql/review/ returning (month, item, ...) rows; its sentence says what it flags in plain words.
One room, though long: the rules, the comparison and the targets are one review as of one month,
and the page, the CLI and the exports all take the one `view` of it.
"""
from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import math
import re
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from shop import periods, settings
from shop.contract import CODE, LOG_TYPES, MULTI
from shop.periods import Period
from . import db, indicators, quality, release, suppress
from .indicators import REGISTRY

SQL_DIR = Path(__file__).parent / "sql" / "review"
WINDOW = 3  # range and completeness rules look at the last three complete months
PAGE_OF_SERVICE = {"outreach": "outreach", "supplies": "supplies", "referrals": "referrals", "suite": "safe_suite",
                   "friday": "friday_network", "bad_dates": "bad_dates", "education": "education", "program": ""}
LOG_OF_SERVICE = {"outreach": "outreach", "supplies": "supplies", "referrals": "referrals", "suite": "suite_stays",
                  "friday": "friday_network", "bad_dates": "bad_dates", "education": "education"}
PAGE_TITLES = {"outreach": "Outreach", "supplies": "Supplies", "referrals": "Referrals", "safe_suite": "Safe Suite",
               "friday_network": "Friday Network", "bad_dates": "Bad dates", "education": "Education",
               "data_quality": "Data quality", "": "Overview"}


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str          # logic | range | completeness
    sentence: str      # what a flag means, in plain words
    severity: str      # error (the data cannot be right) | warning (worth a look)
    page: str          # url path of the page that shows it ("" is the Overview); a range flag links its service
    sql: str           # sql/review/<sql>.sql: rows (month, item, ...), never a client code or key
    windowed: bool = False  # True: only the last WINDOW complete months; else all loaded data


RULES = [
    Rule("suite.over_capacity", "logic", "Safe Suite nights with more guests than the suite has units.",
         "error", "safe_suite", "suite_over_capacity"),
    Rule("suite.guest_overlap", "logic", "Two stays of one guest on the same night (one stay logged twice "
         "with different dates?).", "error", "safe_suite", "suite_guest_overlap"),
    Rule("suite.checkout_before_checkin", "logic", "Safe Suite stays that check out before they check in.",
         "error", "safe_suite", "suite_checkout_before_checkin"),
    Rule("friday.not_a_friday", "logic", "Friday Network sessions dated on another day of the week.",
         "warning", "friday_network", "friday_not_friday"),
    Rule("referrals.outcome_before_referral", "logic", "Referral outcomes dated before the referral.",
         "error", "referrals", "referral_outcome_before_referral"),
    Rule("outreach.first_contact_after_later", "logic", "Contacts marked as a person's first contact with SHOP "
         "although the same person has an earlier contact.", "warning", "outreach", "outreach_first_contact_later"),
    Rule("range.min_max", "range", "Monthly figures outside their usual range (the same month in earlier years, "
         "or with less history the twelve months before).", "warning", "", "range_min_max", True),
    Rule("completeness.missing_month", "completeness", "A log with no rows in a month the program ran, although "
         "it usually has several a month.", "warning", "data_quality", "missing_month", True),
    Rule("completeness.blank_share", "completeness", "A sudden share of blank optional fields in a log.",
         "warning", "data_quality", "blank_share", True),
]
RULE = {r.id: r for r in RULES}
# What the person who keeps the logs does about a flag: one step, in their words.
WHAT_TO_DO = {
    "suite.over_capacity": "Check the stays log for those nights: a stay logged twice, or a check-out date missed.",
    "suite.guest_overlap": "Find the guest's two stays in the stays log and keep the one with the right dates.",
    "suite.checkout_before_checkin": "Correct the swapped dates in the stays log and load the corrected file.",
    "friday.not_a_friday": "Check the session dates in the Friday log (a typo in the day?) and reload the file.",
    "referrals.outcome_before_referral": "Correct the referral or outcome date in the referrals log and reload it.",
    "outreach.first_contact_after_later": "Untick 'first contact' on that person's later contact in the outreach log.",
    "range.min_max": "Check that month's log for a typo or an entry made twice; if the figure is right, add a "
                     "program note saying why (python -m etl note).",
    "completeness.missing_month": "Load that month's file if it exists; if the service did not run, add a program note.",
    "completeness.blank_share": "Ask whoever filled in that month's log to complete the blank fields, then reload it.",
}

SERVICE_LOGS = quality.SERVICE_LOGS
# Outside the staff view a finding must follow from released figures alone. The rules run on
# exact rows, so whether a month is flagged, or not, can give a small count away: a range flag on
# a `<10` month of contacts whose usual range is 12 to 15 says it is 1; a night with more guests
# than units says a `<10` month of nights is at least 2; a missing month not flagged bounds the
# hidden months before it. So the External view gets only range flags on figures released exactly
# (not disclosive) whose log's row count is itself no External figure: supplies and education.
# Every other finding is for the staff view.
EXTERNAL_RANGE = frozenset(i for i, ind in REGISTRY.items() if not ind.disclosive and ind.service in ("supplies", "education"))
STAFF_ONLY_CHECKS = ("The other checks (program logic, missing months, blank fields, and the usual range of the "
                     "figures of people and contacts) run on exact rows: whether they flag a month can give a small "
                     "count away, so their findings are in the staff view.")


def external_finding(f: dict) -> bool:
    """A finding the External audience may see (above): a range flag on a figure released exactly."""
    return f["rule"] == "range.min_max" and f["item"] in EXTERNAL_RANGE
# Bad date reports leave the staff view only by fiscal quarter or year (the contract), so nothing
# monthly about them, not even a month with none, is in the External review.
QUARTERLY_ONLY = "bad_dates"


@dataclass
class Review:
    today: dt.date
    month: Period | None                 # the latest complete month with data (None: nothing loaded)
    last_load: dt.date | None = None
    loaded: list[dict] = field(default_factory=list)        # files of the latest load, with the months they hold
    missing: dict[str, list[dt.date]] = field(default_factory=dict)   # log type -> months with no rows
    recorded: set = field(default_factory=set)              # (log type, month) with rows
    path: object = None                                     # the database the review was built from
    columns: list[Period] = field(default_factory=list)     # months compared in section 1
    figures: dict = field(default_factory=dict)             # (start, end) -> exact figures
    version: str | None = None                              # the database's version they were computed at
    findings: list[dict] = field(default_factory=list)
    fiscal_year: Period | None = None
    targets: list[tuple[str, float]] = field(default_factory=list)


# ---------------------------------------------------------------- the one release door

def released(rv: "Review", p: Period, suppressed: bool) -> dict:
    """Figures as an audience may see them: the review's only way out for a figure.

    Staff get the exact figures computed by build(); everyone else gets the release engine's
    figures from the fiscal year's linked table (so the review shows the same value as every
    page), or nothing for a period outside it."""
    if not suppressed:
        return rv.figures[(p.start, p.end)]
    try:  # the exact figures build() computed (each period's own), while the database is unchanged
        return release.figures(p, True, rv.path, rv.today, rv.figures.get((p.start, p.end)), rv.version)
    except release.NotExternal:
        return {}


# ---------------------------------------------------------------- building (exact)

@cache
def _sql_text(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text()


# The rules' monthly inputs are exact aggregates the load keeps in marts (shop/marts.py), so the
# review never groups every row of every log.
LOG_MONTHS = "select log_type, month, sum(rows)::bigint as rows from marts.log_months group by all"
BLANKS = "select log_type, field, month, rows, blank from marts.blank_cells"
MONTHLY_VOLUMES = "select month, indicator, value, n_rows from marts.monthly_volumes"


def rule_sql(rule: Rule) -> str:
    """The statement of a rule, with the shared relations it builds on filled in."""
    text = _sql_text(rule.sql)
    return text.replace("{monthly_volumes}", MONTHLY_VOLUMES) \
               .replace("{log_months}", LOG_MONTHS).replace("{blanks}", BLANKS) \
               .replace("{event_logs}", ", ".join(f"'{n}'" for n in quality.EVENT_LOGS))


SHOWN_PER_RULE = 200  # rows a rule lists; the rest are counted by month


def run_rule(con, rule: Rule, first: dt.date, last: dt.date, today: dt.date) -> list[dict]:
    """The rows a rule flags (month, item, and what the rule adds), as dicts: the first
    SHOWN_PER_RULE, then one row per month for the rest ("N more"), so a rule that flags a
    million rows (a column filled in wrongly for years) costs no more than one that flags ten."""
    sql = rule_sql(rule)
    params = {"today": today, "units": db.suite_units(), "first": first, "last": last}
    params = {k: v for k, v in params.items() if f"${k}" in sql}
    cur = con.execute(f"select * from ({sql}) limit {SHOWN_PER_RULE + 1}", params)
    names = [c[0] for c in cur.description]
    rows = [dict(zip(names, row)) | {"rule": rule.id} for row in cur.fetchall()]
    if len(rows) <= SHOWN_PER_RULE:
        return rows
    rows = rows[:SHOWN_PER_RULE]
    shown: dict = {}
    for r in rows:
        shown[r["month"]] = shown.get(r["month"], 0) + 1
    # counted without the rule's closing `order by`: sorting every flagged row first would cost
    # more than the count itself (DuckDB keeps an ordered subquery's order)
    unordered = re.sub(r"\s+order\s+by\s[\w\s,]+$", "", sql.strip())
    for month, n in con.execute(f"select month, count(*) from ({unordered}) group by month order by month",
                                params).fetchall():
        rest = n - shown.get(month, 0)
        if rest > 0:
            rows.append({"month": month, "rule": rule.id, "count": rest, "item": f"{rest:,} more in {month:%b %Y}",
                         "detail": f"not listed: the first {SHOWN_PER_RULE} this rule flags are"})
    return rows


def monthly_volumes(path=None) -> list[tuple]:
    """(month, indicator, value) of the plain-count indicators, every month with rows."""
    with db.connect(path) as con:
        return con.execute(f"select month, indicator, value from ({MONTHLY_VOLUMES})").fetchall()


def _month_of(d) -> dt.date:
    return d.replace(day=1)


def _review_month(con, today: dt.date, month: dt.date | None = None) -> dt.date | None:
    """The first day of the month the review is as of: the latest complete month with data (or
    `month`, if earlier); None when nothing is logged."""
    latest = con.execute("select max(d) from (" + " union all ".join(
        f"select max({LOG_TYPES[n].date_field.name}) as d from core.{n}" for n in SERVICE_LOGS) + ")").fetchone()[0]
    if latest is None:
        return None
    m = min(_month_of(latest), periods.add_months(today.replace(day=1), -1))
    return m if month is None else min(m, _month_of(month))


def range_flags(path=None, today: dt.date | None = None) -> list[dict]:
    """The range rule's findings of the review (its last WINDOW complete months), alone: what a tile
    or a target needs to carry a flag, without the cost of the whole review."""
    return _at_review_month(path, today, lambda con, m, t: run_rule(
        con, RULE["range.min_max"], periods.add_months(m, -(WINDOW - 1)), m, t))


def _at_review_month(path, today, work):
    """work(connection, review month, today), or [] when there is no review month."""
    today = today or settings.today()
    path = path or db.db_path()
    if not db.has_data(path):
        return []
    with db.connect(path) as con:
        m = _review_month(con, today)
        return [] if m is None else work(con, m, today)


def build(path=None, today: dt.date | None = None, month: dt.date | None = None) -> Review:
    """The exact review as of the latest complete month with data (or `month`, if earlier)."""
    today = today or settings.today()
    path = path or db.db_path()
    rv = Review(today, None, path=path, version=db.version(path))   # before anything is read
    if not db.has_data(path):
        return rv
    with db.connect(path) as con:
        m = _review_month(con, today, month)
        if m is None:
            return rv
        rv.recorded = {(lt, mo) for lt, mo, _ in con.execute(LOG_MONTHS).fetchall()}
        if not any(mo <= m for _, mo in rv.recorded):
            return rv  # nothing logged up to that month: no review
        rv.month = periods.month(m)
        rv.last_load, rv.loaded = _latest_load(con)
        first = periods.add_months(m, -(WINDOW - 1))
        for rule in RULES:
            lo, hi = (first, m) if rule.windowed else (periods.EARLIEST, today)
            rv.findings += run_rule(con, rule, lo, hi, today)
        rv.fiscal_year = periods.fiscal_year(periods.fy_start_year(m))
        rv.targets = [(i, float(t)) for i, t in con.execute(
            "select indicator, target from core.targets where fiscal_year = ? order by indicator",
            [rv.fiscal_year.label]).fetchall() if i in REGISTRY]
    started = min(mo for _, mo in rv.recorded)
    year = Period(max(periods.add_months(m, -11), started), rv.month.end)
    gaps = quality.missing_months(year, path)
    logged = {lt for lt, _ in rv.recorded}
    for g in gaps.to_dict("records"):
        if g["log type"] in logged:  # a quiet month of bad dates or education is a 0, not listed
            rv.missing.setdefault(g["log type"], []).append(dt.datetime.strptime(g["month"], "%b %Y").date())
    rv.columns = _columns(m, started)
    needed = list(rv.columns) + [Period(rv.fiscal_year.start, rv.month.end), _fytd_before(rv)]
    rv.figures.update(indicators.compute_many([p for p in needed if p is not None], path, today))
    return rv


# ---------------------------------------------------------------- one build per database and day

_BUILT: dict[tuple, Future] = {}    # _key() -> the build, done or under way
_BUILT_LOCK = threading.Lock()
_BUILT_KEPT = 8   # the page's review and a few reports' months


def _key(path, today, month: dt.date | None = None) -> tuple:
    """What a build depends on: the file as it is now, the day, the settings its rules and figures
    read (the suite's units, the month fiscal years start in) and the month asked for (None: the
    latest complete month)."""
    today = today or settings.today()
    path = str(path or db.db_path())
    return path, db.version(path), today, db.suite_units(), periods.fiscal_start_month(), month


def built(path=None, today: dt.date | None = None, month: dt.date | None = None) -> Review:
    """The exact review of the database as it is now (build()), built once per database version,
    day, settings and month asked for in this process and shared by every audience, session and
    report: the dashboard's staff and External views of the review differ only in view(), and a
    workbook, a deck and their downloads of one month take the same review. Waits for a build
    under way (warm())."""
    return _build_once(_key(path, today, month)).result()


WARM_AFTER_S = 1.5  # the served page's charts are drawn first (a browser beside the server on two cores)
_WARMING: dict[tuple, threading.Timer] = {}
_WARM_FAILED: set = set()   # a build that failed in the background is not tried again there


def warm(path=None, today: dt.date | None = None) -> None:
    """Build the review in the background, WARM_AFTER_S from now, unless it is built or under way by
    then: the dashboard calls this once a page has been served, so that the first click on the
    Monthly review finds it ready. Nothing leaves the process: the review is exact, and a figure goes
    out only through view() (released(), the ledger) when a reader asks for it."""
    key = _key(path, today)
    with _BUILT_LOCK:
        if key in _BUILT or key in _WARMING or key in _WARM_FAILED:
            return
        timer = _WARMING[key] = threading.Timer(WARM_AFTER_S, _warm_now, (key,))
    timer.daemon = True
    timer.start()


def _warm_now(key: tuple) -> None:
    with _BUILT_LOCK:
        if _WARMING.pop(key, None) is None:   # cancelled: the process is ending
            return
    if _key(key[0], key[2]) == key:  # not a file a load has since replaced, nor other settings
        fault = _build_once(key).exception()
        if fault is not None and not isinstance(fault, db.Busy):   # busy for a moment: not a lasting fault
            with _BUILT_LOCK:
                _WARM_FAILED.add(key)
                while len(_WARM_FAILED) > _BUILT_KEPT:
                    _WARM_FAILED.pop()


def _build_once(key: tuple) -> Future:
    """The build for `key`: this thread's, or the one already done or under way."""
    with _BUILT_LOCK:
        fut = _BUILT.get(key)
        mine = fut is None
        if mine:
            fut = _BUILT[key] = Future()
            while len(_BUILT) > _BUILT_KEPT:  # an older version or day: not asked for again
                _BUILT.pop(next(iter(_BUILT)))
    if mine:
        _fill(key, fut)
    return fut


def _fill(key: tuple, fut: Future) -> None:
    """Build; a failed build is handed to whoever waits but not kept: the next reader builds again.
    (A load that swaps the file in meanwhile makes a new version: its readers get a build of their
    own.)"""
    path, _, today = key[:3]
    try:
        fut.set_result(build(path, today, key[5]))
    except BaseException as exc:  # noqa: BLE001 - handed to whoever waits (the page shows it)
        with _BUILT_LOCK:
            if _BUILT.get(key) is fut:
                del _BUILT[key]
        fut.set_exception(exc)


@atexit.register
def _stop_warming() -> None:
    """At exit, before the shared connections close (shop.store, registered earlier, so run
    later): no background build starts, and one under way ends first (DuckDB work in a dying
    daemon thread aborts the process)."""
    with _BUILT_LOCK:
        timers = list(_WARMING.values())
        _WARMING.clear()
        running = [f for f in _BUILT.values() if not f.done()]
    for t in timers:
        t.cancel()
    for f in running:
        with contextlib.suppress(Exception):
            f.exception(timeout=30)


def _columns(m: dt.date, started: dt.date) -> list[Period]:
    """The months the review compares: its month, the three before, the same month in earlier years."""
    out = [periods.month(m)] + [periods.month(periods.add_months(m, -k)) for k in (1, 2, 3)]
    return out + [periods.month(periods.add_months(m, -12 * y)) for y in (1, 2, 3)
                  if periods.add_months(m, -12 * y) >= started]


def compared_years(path=None, today: dt.date | None = None) -> list[int]:
    """The fiscal years of the months the review compares (their released tables are what its
    External view needs): two small queries, without the cost of the review."""
    def years(con, m, _today):
        months = [mo for _, mo, _ in con.execute(LOG_MONTHS).fetchall()]
        if not any(mo <= m for mo in months):
            return []
        return sorted({periods.fy_start_year(p.start) for p in _columns(m, min(months))})
    return _at_review_month(path, today, years)


def _fytd_before(rv: Review) -> Period | None:
    """The fiscal year to date three months before the review month (None: fewer than 3 months in)."""
    end = periods.add_months(rv.month.start, -3)
    if end < rv.fiscal_year.start:
        return None
    return Period(rv.fiscal_year.start, periods.month_end(end))


def _latest_load(con) -> tuple[dt.date | None, list[dict]]:
    """The files loaded on the day of the latest load, with the months of their rows."""
    day = con.execute("select max(loaded_at)::date from meta.batches").fetchone()[0]
    if day is None:
        return None, []
    batches = con.execute("""select batch_id, file_name, sheet, log_type, rows_loaded, rows_rejected, status
                             from meta.batches where loaded_at::date = ? order by batch_id""", [day]).fetchall()
    months: dict[int, list] = {}
    for bid, mo in con.execute("select batch_id, month from marts.log_months where list_contains(?, batch_id) "
                               "order by month", [[b[0] for b in batches]]).fetchall():
        months.setdefault(bid, []).append(mo)
    return day, [{"file": f, "sheet": s, "log_type": lt, "rows_loaded": rl, "rows_rejected": rr, "status": st,
                  "months": months.get(bid, [])} for bid, f, s, lt, rl, rr, st in batches]


# ---------------------------------------------------------------- what an audience sees

def _label(d: dt.date) -> str:
    return f"{d:%b %Y}"


def spans(months) -> list[str]:
    """Months as runs: ["Apr 2024 – Mar 2025", "May 2025"]."""
    out, run = [], []
    for m in sorted(set(months)):
        if run and periods.add_months(run[-1], 1) != m:
            out.append(_run(run))
            run = []
        run.append(m)
    return out + ([_run(run)] if run else [])


def _run(run: list) -> str:
    return _label(run[0]) if len(run) == 1 else f"{_label(run[0])} – {_label(run[-1])}"


def _page_of(f: dict) -> str:
    if f["rule"] == "range.min_max":
        return PAGE_OF_SERVICE[f["item"].split(".")[0]]
    return RULE[f["rule"]].page


def _num(v) -> str:
    return f"{v:,.0f}" if abs(v) >= 10 or float(v).is_integer() else f"{v:,.1f}"


def _staff_item(f: dict) -> tuple[str, str]:
    """(what, detail) of a finding for the staff view: exact, never a code or key."""
    if f["rule"] == "range.min_max":
        ind = REGISTRY[f["item"]]
        return (ind.label, f"{_num(f['value'])} ({f['direction']} the expected {math.floor(f['low']):,} to "
                           f"{math.ceil(f['high']):,}, from {f['basis']})")
    if f["rule"] == "completeness.missing_month":
        return (LOG_TYPES[f["item"]].title, f"no rows; the twelve months before averaged {_num(f['usual'])} a month")
    if f["rule"] == "completeness.blank_share":
        lt, fld = f["item"].split(".")
        return (f"{LOG_TYPES[lt].title}: {fld}", f"{f['share'] * 100:.0f} % blank; usually {f['usual'] * 100:.0f} %")
    return f["item"], f["detail"]


def _external_item(f: dict) -> str:
    """What an External finding names: the rule's subject, never a count, row or file."""
    if f["rule"] == "range.min_max":
        return REGISTRY[f["item"]].label
    if f["rule"] == "completeness.missing_month":
        return LOG_TYPES[f["item"]].title
    if f["rule"] == "completeness.blank_share":
        lt, fld = f["item"].split(".")
        return f"{LOG_TYPES[lt].title}: {fld}"
    return ""


def view(rv: Review, suppressed: bool) -> dict:
    """The review as an audience may see it (plain values: str, int, float, None)."""
    out = {"suppressed": suppressed, "today": rv.today.isoformat(),
           "month": rv.month.start.isoformat() if rv.month else None,
           "as_of": rv.month.label if rv.month else None}
    if rv.month is None:
        return out | {"loaded": {}, "missing": [], "compare": {"columns": [], "rows": []}, "rules": [],
                      "findings": [], "targets": []}
    # External never includes the current, incomplete month, nor a month after the review's
    complete = min(rv.today.replace(day=1), periods.add_months(rv.month.start, 1))
    out["loaded"] = _loaded(rv, suppressed, complete)
    out["missing"] = [{"log_type": lt, "title": LOG_TYPES[lt].title, "months": spans(ms)}
                      for lt, ms in rv.missing.items() if not (suppressed and lt == QUARTERLY_ONLY)]
    out["compare"] = _compare(rv, suppressed)
    findings = [f for f in rv.findings if not suppressed or (f["month"] < complete and external_finding(f))]
    out["rules"], out["findings"] = _findings(findings, suppressed)
    out["targets"] = _targets(rv, suppressed)
    out["fiscal_year"] = rv.fiscal_year.label
    return out


def _loaded(rv: Review, suppressed: bool, complete: dt.date) -> dict:
    if not suppressed:
        files = [{"file": b["file"] + (f" [{b['sheet']}]" if b["sheet"] else ""), "log_type": b["log_type"],
                  "rows_loaded": b["rows_loaded"], "rows_rejected": b["rows_rejected"], "status": b["status"],
                  "months": spans(b["months"])} for b in rv.loaded]
        return {"date": rv.last_load.isoformat() if rv.last_load else None, "files": files}
    # External: which logs and months came in; no file names (staff-only) and no row counts
    by_log: dict[str, set] = {}
    for b in rv.loaded:
        if b["status"] == "in_force" and b["log_type"] in LOG_TYPES and b["log_type"] != QUARTERLY_ONLY:
            by_log.setdefault(b["log_type"], set()).update(m for m in b["months"] if m < complete)
    return {"date": rv.last_load.isoformat() if rv.last_load else None,
            "files": [{"log_type": lt, "title": LOG_TYPES[lt].title, "months": spans(ms)}
                      for lt, ms in by_log.items() if ms]}


def _quiet(rv: Review, log: str, month: dt.date) -> bool:
    """A month with no rows of a log of events that may not happen (bad dates, education) that
    counts 0: the log has rows for a later month, so the month was recorded as having none."""
    return log in quality.EVENT_LOGS and any(lt == log and mo > month for lt, mo in rv.recorded)


def _recorded(rv: Review, ind_id: str, p: Period) -> bool:
    """False when the indicator's log has no rows for the month (a stay can span months); a quiet
    month of bad dates or education is recorded (0) once a later month has rows."""
    service = ind_id.split(".")[0]
    if LOG_OF_SERVICE.get(service) in quality.EVENT_LOGS:
        return (LOG_OF_SERVICE[service], p.start) in rv.recorded or _quiet(rv, LOG_OF_SERVICE[service], p.start)
    if ind_id == "suite.turnaways_full":
        return ("suite_requests", p.start) in rv.recorded
    if service == "suite":
        return any(lt == "suite_stays" and mo <= p.start for lt, mo in rv.recorded)
    logs = [LOG_OF_SERVICE[service]] if service in LOG_OF_SERVICE else SERVICE_LOGS
    return any((lt, p.start) in rv.recorded for lt in logs)


def _compare(rv: Review, suppressed: bool) -> dict:
    """Each indicator for the review month, the three months before and the same month in earlier years."""
    cols = [p.label for p in rv.columns]
    shown = {p.label: released(rv, p, suppressed) for p in rv.columns}
    rows = []
    for i, ind in REGISTRY.items():
        if suppressed and ind.service == QUARTERLY_ONLY:
            continue
        row = {"indicator": i, "label": ind.label}
        for p in rv.columns:
            # blank is not zero: a month with no rows in the indicator's log is "not recorded"
            row[p.label] = shown[p.label][i] if _recorded(rv, i, p) else None
        rows.append(row)
    return {"columns": cols, "rows": rows}


def _findings(findings: list[dict], suppressed: bool) -> tuple[list[dict], list[dict]]:
    fired = {f["rule"] for f in findings}
    rules = [{"rule": r.id, "kind": r.kind, "severity": r.severity, "sentence": r.sentence, "fired": r.id in fired}
             | ({} if suppressed else {"flags": sum(f.get("count", 1) for f in findings if f["rule"] == r.id)})
             for r in RULES if not suppressed or r.id == "range.min_max"]
    if not suppressed:
        rows = []
        for f in findings:
            what, detail = _staff_item(f)
            rows.append({"rule": f["rule"], "severity": RULE[f["rule"]].severity, "month": _label(f["month"]),
                         "what": what, "detail": detail, "page": _page_of(f)})
        return rules, rows
    grouped: dict[tuple, set] = {}
    for f in findings:
        grouped.setdefault((f["rule"], _external_item(f), _page_of(f)), set()).add(f["month"])
    rows = [{"rule": r, "severity": RULE[r].severity, "what": what, "page": page,
             "months": spans(ms)} for (r, what, page), ms in grouped.items()]
    return rules, rows


# ---------------------------------------------------------------- targets

def _kind(ind) -> str:
    if ind.unit in ("rate", "average"):
        return "level"        # a rate or an average: no monthly pace
    if ind.column == "people":
        return "distinct"     # people are counted once in the year: months do not add up
    return "additive"


def _targets(rv: Review, suppressed: bool) -> list[dict]:
    fy = rv.fiscal_year
    fytd = released(rv, Period(fy.start, rv.month.end), suppressed)
    before_p = _fytd_before(rv)
    before = released(rv, before_p, suppressed) if before_p else None
    months = [released(rv, p, suppressed) for p in rv.columns[:3]]  # the last three months
    after = periods.add_months(rv.month.start, 1)
    left = periods.months_between(Period(after, fy.end)) if after <= fy.end else 0
    elapsed = periods.months_between(Period(fy.start, rv.month.end))
    rows = []
    for i, target in rv.targets:
        ind = REGISTRY[i]
        actual = fytd.get(i)
        row = {"indicator": i, "label": ind.label, "target": target, "actual": actual, "months_left": left,
               "needed_a_month": None, "recent_a_month": None, "status": None}
        num = isinstance(actual, (int, float)) and not isinstance(actual, bool)
        kind = _kind(ind)
        if suppressed and ind.service == QUARTERLY_ONLY:
            row["actual"] = None
            row["sentence"] = (f"{ind.label}: target {_num(target)}; shown by fiscal quarter only, "
                               "on the Bad dates page.")
            rows.append(row)
            continue
        if kind == "additive":
            vals = [mo.get(i) for mo in months]
            if all(isinstance(v, (int, float)) for v in vals):
                row["recent_a_month"] = round(sum(vals) / 3, 1)
        elif kind == "distinct":
            base = 0 if before is None else before.get(i)
            n = 3 if before is not None else elapsed
            # the growth is a count of people too: hidden from the External view when small
            if num and isinstance(base, (int, float)) and not (suppressed and 0 < actual - base < suppress.threshold()):
                row["recent_a_month"] = round((actual - base) / n, 1)
        if not num:
            row["sentence"] = (f"{ind.label}: target {_num(target)}; the figure to date is not shown"
                               f"{' (suppressed)' if isinstance(actual, str) else ''}.")
        elif kind == "level":
            row["status"] = "reached" if actual >= target else "below target"
            row["sentence"] = (f"{ind.label}: {indicators.fmt(ind, actual)} so far this year against a target of "
                               f"{indicators.fmt(ind, target)}.")
        elif actual >= target:
            row["status"] = "reached"
            row["sentence"] = f"{ind.label}: target of {_num(target)} reached ({_num(actual)} so far)."
        elif left == 0:
            row["status"] = "missed"
            row["sentence"] = (f"{ind.label}: the year is over; {_num(actual)} of {_num(target)}, "
                               f"{_num(target - actual)} short.")
        else:
            need = (target - actual) / left
            row["needed_a_month"] = round(need, 1)
            recent = row["recent_a_month"]
            pace = ("" if recent is None else
                    f"; the last three months averaged {_num(recent)}" if kind == "additive" else
                    f"; over the last {3 if before is not None else elapsed} months the year's count grew by "
                    f"{_num(recent)} a month")
            if recent is not None:
                row["status"] = "within reach" if recent >= need else "behind"
            row["sentence"] = (f"{ind.label}: {_num(need)} a month needed for {left} more month(s) "
                               f"to reach {_num(target)}{pace}." +
                               ("" if row["status"] is None else f" {row['status'].capitalize()}."))
        rows.append(row)
    return rows


# ---------------------------------------------------------------- exports

def released_rows(path=None, suppressed: bool = True, today: dt.date | None = None,
                  month: dt.date | None = None) -> list[dict]:
    """The review as rows (section, what, detail) for a workbook sheet or a deck slide."""
    return rows(view(built(path, today, month), suppressed))


def rows(v: dict) -> list[dict]:
    """A `view` as rows (section, what, detail): the sheet, the slide and the page's download."""
    suppressed = v["suppressed"]
    if v["month"] is None:
        return [{"section": "Review", "what": "No data loaded for this period", "detail": ""}]
    rows = [{"section": "Review", "what": f"As of {v['as_of']}",
             "detail": "exact figures, staff only" if not suppressed else "External: no counts of people in flags"}]
    for f in v["loaded"]["files"]:
        rows.append({"section": "What changed", "what": f"Loaded: {f.get('file') or f['title']}",
                     "detail": ", ".join(f["months"])})
    for m in v["missing"]:
        rows.append({"section": "What changed", "what": f"No rows yet: {m['title']}", "detail": ", ".join(m["months"])})
    for r in v["compare"]["rows"]:
        ind = REGISTRY[r["indicator"]]
        rows.append({"section": "What changed", "what": r["label"],
                     "detail": "; ".join(f"{c}: {fmt_value(ind, r[c])}" for c in v["compare"]["columns"])})
    for f in v["findings"]:
        rule = RULE[f["rule"]]
        what = rule.sentence + (f" {f['what']}." if f["what"] else "")
        detail = f"{f['month']}: {f['detail']}" if "detail" in f else ", ".join(f["months"])
        rows.append({"section": "What looks wrong", "what": what, "detail": detail,
                     "to do": WHAT_TO_DO.get(f["rule"], "")})
    if not v["findings"]:
        rows.append({"section": "What looks wrong", "what": "No rule fired.", "detail": ""})
    if suppressed:
        rows.append({"section": "What looks wrong", "what": "Staff view only", "detail": STAFF_ONLY_CHECKS})
    for t in v["targets"]:
        rows.append({"section": "Targets", "what": t["label"], "detail": t["sentence"]})
    return [r | {"to do": r.get("to do", "")} for r in rows]


def fmt_value(ind, v) -> str:
    """A compared figure as text: "not recorded" for a month with no rows in its log."""
    return "not recorded" if v is None and ind.unit not in ("rate", "average") else indicators.fmt(ind, v)


def text_lines(v: dict) -> list[str]:
    """The review as plain text for the command line (from `view`, so the same findings)."""
    if v["month"] is None:
        return ["No data loaded yet: load the month's logs first (python -m etl load data/inbox)."]
    out = [f"Monthly review as of {v['as_of']} (" + ("External: small counts suppressed, no counts of people in "
           "flags" if v["suppressed"] else "exact figures: CONFIDENTIAL, staff only") + ")", "", "1. What changed"]
    ld = v["loaded"]
    out.append(f"  Latest load {ld['date']}: {len(ld['files'])} file(s)" if v["suppressed"] is False
               else f"  Latest load {ld['date']}: logs and months that came in")
    for f in ld["files"]:
        if "file" in f:
            out.append(f"    {f['file']}: {f['log_type']}, {f['rows_loaded']:,} rows loaded, {f['rows_rejected']:,} "
                       f"rejected, {f['status']}; {', '.join(f['months']) or 'no dated rows'}")
        else:
            out.append(f"    {f['title']}: {', '.join(f['months'])}")
    out.append("  Months with no rows in the last twelve: " + ("none" if not v["missing"] else "; ".join(
        f"{m['title']}: {', '.join(m['months'])}" for m in v["missing"])))
    cols = v["compare"]["columns"]
    out.append("  " + f"{'indicator':<28}" + "".join(f"{c:>16}" for c in cols))
    for r in v["compare"]["rows"]:
        ind = REGISTRY[r["indicator"]]
        out.append("  " + f"{r['label'][:27]:<28}" + "".join(f"{fmt_value(ind, r[c]):>16}" for c in cols))
    out += ["", "2. What looks wrong"]
    for rule in v["rules"]:
        mine = [f for f in v["findings"] if f["rule"] == rule["rule"]]
        if not mine:
            continue
        page = PAGE_TITLES[RULE[rule["rule"]].page] if rule["rule"] != "range.min_max" else "its service page"
        out.append(f"  [{rule['severity']}] {rule['sentence']} (see {page})")
        for f in mine:
            if "detail" in f:
                out.append(f"    {f['month']}: {f['what']}: {f['detail']}")
            else:
                out.append(f"    {f['what'] + ': ' if f['what'] else ''}{', '.join(f['months'])}")
    quiet = [r for r in v["rules"] if not r["fired"]]
    out.append(f"  {len(quiet)} of {len(v['rules'])} rules found nothing." if quiet else "")
    if v["suppressed"]:
        out.append("  Supplies and education checked against their usual range. " + STAFF_ONLY_CHECKS)
    out += ["", f"3. What it takes to hit the targets ({v['fiscal_year']})"]
    out += [f"  {t['sentence']}" for t in v["targets"]] or ["  No targets loaded for this fiscal year."]
    return out
