"""The year's headline: a grant report and a board slide open with the fiscal year's totals.

Protection hides the cheapest cells (months and categories before quarters, quarters before the
year), and bounds between tables are rows of the audit, not a reason to hide a people count. So a
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
from metrics import periods, release
from shop import settings

DAY = dt.date(2026, 5, 5)  # FY2025-26 closed: its year, quarters and months all released
K = 10
FY = periods.fiscal_year(2025)


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("headline")
    recs = demo.generate(seed=7, years=2, today=DAY)
    demo.write_files(recs, folder / "demo")
    assert all(o.status == "loaded" for o in load([folder / "demo"], folder / "demo.duckdb", say=lambda *_: None))
    return {"demo": folder / "demo.duckdb", "small": small_program.build(folder / "small", DAY)}


@pytest.fixture(autouse=True)
def _day(monkeypatch):
    monkeypatch.setattr(settings, "_utcnow", lambda: dt.datetime(2026, 5, 5, 19, 0, tzinfo=dt.timezone.utc))


def _hidden_headlines(db) -> dict:
    shown = release.figures(FY, True, db, DAY)
    exact = release.figures(FY, False, db, DAY)
    return {i: exact[i] for i, v in shown.items()
            if isinstance(v, str) and v != release.NOT_RELEASED and isinstance(exact[i], (int, float))
            and exact[i] >= K and not i.endswith("rate")}


def test_no_fiscal_year_figure_of_k_or_more_is_hidden_on_the_demo(programs):
    assert _hidden_headlines(programs["demo"]) == {}


def test_the_small_programs_people_and_contacts_are_shown_for_the_year(programs):
    hidden = _hidden_headlines(programs["small"])
    exact = release.figures(FY, False, programs["small"], DAY)
    people = [i for i in release.PEOPLE if exact[i] is not None and exact[i] >= K]
    assert len(people) >= 3  # the small program has people counts of k or more to show
    assert not [i for i in people if i in hidden], hidden
    assert "outreach.contacts" not in hidden and "referrals.made" not in hidden, hidden
