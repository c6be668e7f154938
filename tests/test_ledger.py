"""The release ledger read back by fiscal year: every earlier release of a year's months, none other.

A year's released table is audited against the ledger's lines of that year (`ledger.of_year`). A
line left out there is a release the audit forgets: a March month released in April, then the
year's table built without it, could give March's small count by subtraction. The expectation is
computed from dates (the fiscal year's first and last day, `shop.periods`), not from the ledger's
month arithmetic.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from shop import ledger, periods

YEARS = range(2023, 2027)


def _months():
    d = dt.date(YEARS[0] - 1, 1, 1)
    while d.year <= YEARS[-1] + 1:
        yield d
        d = periods.add_months(d, 1)


@pytest.mark.parametrize("start", [1, 3, 4, 7, 12])
def test_a_year_s_lines_are_exactly_those_within_its_first_and_last_day(tmp_path, monkeypatch, start):
    monkeypatch.setenv("SHOP_FISCAL_START_MONTH", str(start))
    db = tmp_path / "shop.duckdb"
    months = list(_months())
    items = [{"table": "family", "what": "contacts", "from": f"{a:%Y-%m}", "to": f"{b:%Y-%m}", "dim": None,
              "members": None, "lo": 1, "hi": 9, "rid": f"r{i % 3}"}
             for i, (a, b) in enumerate((a, b) for a in months for b in months if a <= b and (b.year - a.year) < 2)]
    assert ledger.record(db, dt.date(2026, 5, 5), items) == len(items)
    for fy in range(YEARS[0] - 1, YEARS[-1] + 2):
        year = periods.fiscal_year(fy)
        assert year.start.month == start  # the fiscal start month is the one set
        want = [it for it in items if year.start <= dt.date.fromisoformat(it["from"] + "-01")
                and periods.month_end(dt.date.fromisoformat(it["to"] + "-01")) <= year.end]
        got, by_rid = ledger.of_year(db, fy)
        assert [(e["from"], e["to"]) for e in got] == [(e["from"], e["to"]) for e in want], (start, fy)
        assert by_rid == Counter(e["rid"] for e in want)
        if fy in YEARS:
            assert len(want) == 12 * 13 // 2  # every span of whole months within the year


def test_a_release_is_built_on_the_fiscal_start_read_when_it_began_and_nothing_else_is(monkeypatch):
    """The engine holds the fiscal year's first month for a build (periods.held_fiscal_start): one
    calendar for every month it places, and the environment read once, not at each lookup. Outside
    the block, and in another thread meanwhile, the setting is read as it is."""
    import threading
    monkeypatch.setenv("SHOP_FISCAL_START_MONTH", "7")
    with periods.held_fiscal_start():
        monkeypatch.setenv("SHOP_FISCAL_START_MONTH", "1")
        assert ledger.index_of(2025, "2025-07") == 0 and periods.fiscal_year(2025).start == dt.date(2025, 7, 1)
        seen = []
        t = threading.Thread(target=lambda: seen.append(periods.fiscal_start_month()))
        t.start()
        t.join()
        assert seen == [1]
    assert periods.fiscal_start_month() == 1 and ledger.index_of(2025, "2025-07") == 6
