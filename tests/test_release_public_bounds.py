"""What everyone knows beyond the released tables, and the audit must know too (found by a helper
attacking as the External audience): guest nights in a month are at most units x days, and new
people at most the contacts of a new person (each has one on their first day). Each case is
written and loaded here; the attacker's reasoning is the test's own, from the released figures.
"""
from __future__ import annotations

import calendar
import datetime as dt

from etl.load import load
from helpers import write_rows
from metrics import release
from shop import periods

TODAY = dt.date(2026, 7, 5)          # Q1 of FY2026-27 has ended
MONTHS = [dt.date(2026, 4, 1), dt.date(2026, 5, 1), dt.date(2026, 6, 1)]
Q1 = periods.Period(MONTHS[0], dt.date(2026, 6, 30))


def _load(tmp_path, log_type, rows):
    f = write_rows(tmp_path / "logs" / f"{log_type}.csv", log_type, rows)
    db = tmp_path / "t.duckdb"
    assert all(o.status == "loaded" for o in load([f], db, say=lambda *_: None))
    return db


def _small(v) -> bool:
    return isinstance(v, str) and v.startswith("<")


def test_a_month_of_nights_is_not_the_quarter_less_the_others_at_full_capacity(tmp_path):
    """Nine nights in April, then one guest from 1 May to 1 July (the one-unit suite full)."""
    stays = [{"client_code": "SS01K", "check_in": "2026-04-01", "check_out": "2026-04-10",
              "referral_source": "self", "exit_destination": "housing"},
             {"client_code": "SS02K", "check_in": "2026-05-01", "check_out": "2026-07-01",
              "referral_source": "self", "exit_destination": "housing"}]
    db = _load(tmp_path, "suite_stays", stays)
    assert release.figures(Q1, False, db, TODAY)["suite.guest_nights"] == 9 + 61
    q = release.figures(Q1, True, db, TODAY)["suite.guest_nights"]
    shown = {m: release.figures(periods.month(m), True, db, TODAY)["suite.guest_nights"] for m in MONTHS}
    assert _small(shown[MONTHS[0]])   # April's 9 is a small count
    if isinstance(q, int):
        for m, v in shown.items():
            if _small(v):
                most = sum(calendar.monthrange(o.year, o.month)[1] if isinstance(x, str) else x
                           for o, x in shown.items() if o != m)   # the others at most full (1 unit)
                values = range(max(1, q - most), 10)
                assert len(values) >= 3, (m, q, shown, list(values))


def test_a_month_of_new_people_is_not_pinned_by_the_contacts_of_new_people(tmp_path):
    """April: 3 new people, four contacts each on their first day; May: 10 new, one first-day
    contact each; June: 12 likewise (and April's three come back in May and June)."""
    def contact(d, code):
        return {"contact_date": d.isoformat(), "client_code": code, "contact_mode": "street",
                "worker_group": "outdoor", "services": "one_to_one", "minutes": 30}
    first = [f"NA{i:02d}Q" for i in range(3)]
    rows = [contact(dt.date(2026, 4, 10), c) for c in first for _ in range(4)]
    rows += [contact(dt.date(2026, 5, 12), f"NM{i:02d}Q") for i in range(10)]
    rows += [contact(dt.date(2026, 5, 20 + i % 5), first[i % 3]) for i in range(20)]
    rows += [contact(dt.date(2026, 6, 9), f"NJ{i:02d}Q") for i in range(12)]
    rows += [contact(dt.date(2026, 6, 20 + i % 5), first[i % 3]) for i in range(20)]
    db = _load(tmp_path, "outreach", rows)
    new = {m: release.figures(periods.month(m), True, db, TODAY)["outreach.new_people"] for m in MONTHS}
    q = release.figures(Q1, True, db, TODAY)["outreach.new_people"]
    assert _small(new[MONTHS[0]])   # April's 3 is a small count
    kinds = release.breakdown("contacts_by_kind", Q1, "month", True, db, TODAY).table
    import pandas as pd
    first_day = {m: kinds.loc[pd.Timestamp(m), "new person"] if "new person" in kinds.columns else "x" for m in MONTHS}
    if not isinstance(q, int):
        return
    # each month's new people: a number, or its range (`x` at least 10; at most its released
    # count of contacts of a new person)
    ranges = {}
    for m, v in new.items():
        if isinstance(v, int):
            ranges[m] = (v, v)
        else:
            hi = first_day[m] if isinstance(first_day[m], (int, float)) and not isinstance(first_day[m], bool) else 10**6
            ranges[m] = ((10 if v == "x" else 1), min(hi, 9 if _small(v) else 10**6))
    for m, v in new.items():
        if _small(v):
            lo = max(1, q - sum(ranges[o][1] for o in MONTHS if o != m))
            hi = min(9, q - sum(ranges[o][0] for o in MONTHS if o != m))
            assert hi - lo + 1 >= 3, (m, q, new, first_day, lo, hi)
