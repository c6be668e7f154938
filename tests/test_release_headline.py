"""The year's headline: a grant report and a board slide open with the fiscal year's totals.

Protection hides the cheapest cells (months and categories before quarters, quarters before the
year), and bounds between tables are rows of the audit, not a reason to hide a people count (one
that protects a difference of people counts is shown rounded to the nearest 10 instead). So a
closed fiscal year's figures of k or more are shown, on the demo and on a small program, except
where the year's total alone would give its small cells away (the one kind of case named here,
checked from the data: every one of its nonzero month cells is then exactly 1 or the year equals
its public floor)."""
from __future__ import annotations

import datetime as dt

import pytest

import small_program
from etl import demo
from etl.load import load
from metrics import release
from shop import periods, settings

DAY = dt.date(2026, 5, 5)  # FY2025-26 closed: its year, quarters and months all released
K = 10
FY = periods.fiscal_year(2025)


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("headline")
    recs = demo.generate(seed=7, years=2, today=dt.date(2026, 4, 30))
    demo.write_files(recs, folder / "demo")
    assert all(o.status == "loaded" for o in load([folder / "demo"], folder / "demo.duckdb", say=lambda *_: None))
    return {"demo": folder / "demo.duckdb", "small": small_program.build(folder / "small", DAY)}


@pytest.fixture(autouse=True)
def _day(monkeypatch):
    monkeypatch.setattr(settings, "_utcnow", lambda: dt.datetime(2026, 5, 5, 19, 0, tzinfo=dt.timezone.utc))


def _hidden_headlines(db) -> dict:
    shown = release.figures(FY, True, db, DAY)
    exact = release.figures(FY, False, db, DAY)
    for i, v in shown.items():  # a people count shown rounded to the nearest 10 is shown: ≈30 is 25..34
        if isinstance(v, str) and v.startswith("≈"):
            assert i in release.PEOPLE and int(v[1:].replace(",", "")) - 5 <= exact[i] <= int(v[1:].replace(",", "")) + 4
    return {i: exact[i] for i, v in shown.items()
            if isinstance(v, str) and v != release.NOT_RELEASED and isinstance(exact[i], (int, float))
            and exact[i] >= K and not i.endswith("rate") and not v.startswith("≈")}


def test_no_fiscal_year_figure_of_k_or_more_is_hidden_on_the_demo(programs):
    assert _hidden_headlines(programs["demo"]) == {}


def test_the_small_programs_people_and_contacts_are_shown_for_the_year(programs):
    hidden = _hidden_headlines(programs["small"])
    exact = release.figures(FY, False, programs["small"], DAY)
    people = [i for i in release.PEOPLE if exact[i] is not None and exact[i] >= K]
    assert len(people) >= 3  # the small program has people counts of k or more to show
    assert not [i for i in people if i in hidden], hidden
    assert "outreach.contacts" not in hidden and "referrals.made" not in hidden, hidden


def test_two_cheap_cells_are_hidden_rather_than_the_year():
    """A `<10` of 1 beside 11, 11 and a year of 23: hiding either 11 alone leaves it 1..2, hiding
    the year alone protects it, and so does hiding both 11s. The year opens the grant report: the
    two cheap cells are hidden, the year is shown."""
    t = release.Linked(3)
    t.cells = [release.Cell(("f", (0, 0), "d", "a"), {0: 1.0}, 1), release.Cell(("f", (0, 0), "d", "b"), {1: 1.0}, 11),
               release.Cell(("f", (1, 1), "d", "c"), {2: 1.0}, 11),
               release.Cell(("f", (0, 11), None, None), {0: 1.0, 1: 1.0, 2: 1.0}, 23)]
    release.protect(t, K)
    status = {c.key[3] or "year": c.status for c in t.cells}
    assert status == {"a": "pri", "b": "sec", "c": "sec", "year": "pub"}, status
    lo, hi, _ = release.Auditor(t, K).range({0: 1.0})
    assert hi - lo >= 2


def test_a_released_people_count_never_narrows_a_hidden_attendance(tmp_path, monkeypatch):
    """Friday attendance of 2, 25 and 10 in a quarter of 37, with May's 25 attendances by 25 people.
    May's attendance is the cell that hides April's 2 (x), but 25 people in May say May's
    attendance is at least 25, which leaves April 37 - 10 - 25 = at most 2: pinned. The engine
    puts that bound in its audit and hides more; the attacker here uses it too."""
    import test_disclosure_audit as da
    from etl.load import load
    from helpers import write_rows
    day = dt.date(2025, 5, 5)
    monkeypatch.setattr(settings, "_utcnow", lambda: dt.datetime(2025, 5, 5, 19, 0, tzinfo=dt.timezone.utc))
    fridays = {4: [dt.date(2024, 4, 5)], 5: [dt.date(2024, 5, d) for d in (3, 10, 17, 24)],
               6: [dt.date(2024, 6, 7), dt.date(2024, 6, 14)]}
    rows, n = [], 0
    for month, count in ((4, 2), (5, 25), (6, 10)):
        for j in range(count):
            n += 1
            rows.append({"session_date": fridays[month][j % len(fridays[month])].isoformat(),
                         "client_code": f"FN{n:03d}Q", "attendee_group": "outdoor", "event": ""})
    db = tmp_path / "f.duckdb"
    assert [o.status for o in load([write_rows(tmp_path / "friday_network_q1.csv", "friday_network", rows)], db,
                                   say=lambda *_: None)] == ["loaded"]
    att = da.Attacker()
    fy = periods.fiscal_year(2024)
    asked = [periods.month(periods.add_months(fy.start, i)) for i in range(12)]
    asked += [periods.fiscal_quarter(periods.add_months(fy.start, 3 * q)) for q in range(4)] + [fy]
    for p in asked:
        att.see_indicators(release.figures(p, True, db, day), p.start, p.end)
    shown = release.figures(periods.month(dt.date(2024, 5, 1)), True, db, day)
    assert shown["friday.people"] == 25 or isinstance(shown["friday.attendance"], int), shown  # a real case
    assert da.audit(att) == []
