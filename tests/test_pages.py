"""Every page renders under AppTest in both audiences, for several periods and on an empty
database, and every KPI tile equals the registry's figure for that period and audience."""
from __future__ import annotations

import datetime as dt
import os

import pytest
from streamlit.testing.v1 import AppTest

import clock
from conftest import ROOT
from metrics import indicators, release
from metrics.indicators import REGISTRY
from shop import periods
from ui.frame import EXTERNAL, STAFF
from helpers import copy_db

PAGES = sorted(p.name for p in (ROOT / "pages").glob("*.py") if p.name != "audit.py")
BY_LABEL = {i.label: i for i in REGISTRY.values()}


def run_page(page, db, audience, period=None):
    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=60)
    at.session_state["audience"] = audience
    if period is not None:
        at.query_params["from"] = period.start.isoformat()
        at.query_params["to"] = period.end.isoformat()
    import os
    os.environ["SHOP_DB"] = str(db)
    at.run()
    return at


def check_tiles(at, db, period, staff, today):
    figs = release.figures(period, not staff, db, today)
    for m in at.metric:
        ind = BY_LABEL[m.label]
        assert m.value == indicators.fmt(ind, figs[ind.id]), (m.label, m.value, figs[ind.id])
        assert ind.definition in (m.help or "")


def test_nine_service_pages_and_more_exist():
    for p in ["overview.py", "outreach.py", "supplies.py", "referrals.py", "safe_suite.py", "friday_network.py",
              "bad_dates.py", "education.py", "data_quality.py"]:
        assert p in PAGES


@pytest.mark.parametrize("audience", [EXTERNAL, STAFF])
@pytest.mark.parametrize("which", ["last_fy", "quarter"])
@pytest.mark.parametrize("page", PAGES)
def test_page_renders_and_tiles_match_registry(demo_db, page, audience, which, monkeypatch, today):
    p = periods.fiscal_year(periods.fy_start_year(today) - 1) if which == "last_fy" else \
        periods.fiscal_quarter(periods.fiscal_year(periods.fy_start_year(today) - 1).start + dt.timedelta(days=100))
    at = run_page(page, demo_db, audience, p)
    assert not at.exception, at.exception
    staff = audience == STAFF
    if page == "bad_dates.py":
        pass  # widened to whole quarters; p is already whole quarters
    if page not in ("definitions.py", "data_quality.py", "reports.py", "review.py"):
        assert len(at.metric) >= 2
    check_tiles(at, demo_db, p, staff, today)
    banner = (at.error if staff else at.info)
    assert any(("Staff view" if staff else "External view") in b.value for b in banner)


@pytest.mark.parametrize("page", PAGES)
def test_page_with_no_data_in_period(demo_db, page):
    p = periods.fiscal_year(2005)
    at = run_page(page, demo_db, EXTERNAL, p)
    assert not at.exception, at.exception
    for m in at.metric:
        # before the first load a service has no data, not zeros (issue 16)
        assert m.value in ("0", "0.0", "0.0 %", "–", "no data"), (m.label, m.value)


@pytest.mark.parametrize("audience", [EXTERNAL, STAFF])
@pytest.mark.parametrize("page", PAGES)
def test_page_on_an_empty_database(tmp_path, page, audience):
    at = run_page(page, tmp_path / "none.duckdb", audience)
    assert not at.exception, at.exception
    if page != "definitions.py":
        assert any("No data loaded yet" in i.value for i in at.info)


@pytest.mark.parametrize("frm, to", [("2025-13-01", "2025-12-31"), ("'; drop table core.outreach; --", "x"),
                                     ("1900-01-01", "2999-12-31"), ("2025-06-01", "2025-01-01"), ("", "")])
@clock.each_instant()
def test_hostile_period_in_url_gives_message_and_default(demo_db, frm, to, today):
    at = AppTest.from_file(str(ROOT / "pages" / "overview.py"), default_timeout=60)
    at.query_params["from"] = frm
    at.query_params["to"] = to
    import os
    os.environ["SHOP_DB"] = str(demo_db)
    at.run()
    assert not at.exception
    assert any("could not be used" in w.value for w in at.warning)
    check_tiles(at, demo_db, release.ytd(today) or periods.fiscal_year(periods.fy_start_year(today) - 1), False, today)


@clock.each_instant()
def test_overview_through_navigation(demo_db, today):
    import os
    os.environ["SHOP_DB"] = str(demo_db)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert [m.label for m in at.metric][:2] == ["People served", "New people"]
    # the default period is this fiscal year's ended months, else last year: Kamloops's, not UTC's
    check_tiles(at, demo_db, release.ytd(today) or periods.fiscal_year(periods.fy_start_year(today) - 1), False, today)


def test_audit_page_lists_page_views_for_staff(demo_db, tmp_path):
    import os
    import shutil
    db = tmp_path / "a.duckdb"
    copy_db(demo_db, db)
    os.environ["SHOP_DB"] = str(db)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.run()
    assert not at.exception
    at = AppTest.from_file(str(ROOT / "pages" / "audit.py"), default_timeout=60)
    at.session_state["audience"] = STAFF   # a staff account sees it in the Staff audience only
    at.run()
    assert not at.exception
    df = at.dataframe[0].value
    assert (df["event"] == "page_view").any() and (df["user_email"] == "local user").all()


def test_an_older_database_asks_for_migrate_instead_of_failing(tmp_path):
    import os
    import duckdb
    from shop import schema
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    schema.migrate(con, upto=1)
    con.execute("insert into meta.batches values (1, 'education_old.csv', '', 'education', 'abc', 1, 1, 0, "
                "now()::timestamp, 'in_force', null, null)")
    con.close()
    os.environ["SHOP_DB"] = str(db)
    at = AppTest.from_file(str(ROOT / "pages" / "outreach.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert any("python -m etl migrate" in w.value for w in at.warning)


@clock.each_instant()
@pytest.mark.parametrize("preset", ["This fiscal year to date", "Last fiscal year", "A fiscal quarter", "A month"])
def test_a_bookmarked_period_comes_back_as_its_preset(demo_db, preset, today):
    import os
    if preset == "This fiscal year to date" and release.ytd(today) is None:
        pytest.skip("no month of this fiscal year has ended yet")
    p = {"This fiscal year to date": release.ytd(today),
         "Last fiscal year": periods.fiscal_year(periods.fy_start_year(today) - 1),
         "A fiscal quarter": periods.fiscal_quarter(today - dt.timedelta(days=200)),
         "A month": periods.month(today - dt.timedelta(days=70))}[preset]
    os.environ["SHOP_DB"] = str(demo_db)
    at = AppTest.from_file(str(ROOT / "pages" / "supplies.py"), default_timeout=60)
    at.query_params["from"], at.query_params["to"] = p.start.isoformat(), p.end.isoformat()
    at.run()
    assert not at.exception
    assert at.selectbox(key="period_kind").value == preset
    assert at.query_params["from"] == [p.start.isoformat()] or at.query_params["from"] == p.start.isoformat()


def _shown(tbl, grain):
    """A released table as the page formats it."""
    from metrics import charts
    from ui.widgets import _bucket_label, _fmt_cell
    out = tbl.copy()
    out.index = [_bucket_label(b, grain) for b in out.index]
    out.columns = [charts.label(c) for c in out.columns]
    return out.map(_fmt_cell)


@pytest.mark.parametrize("page, measures", [
    ("outreach.py", [("contacts_by_mode", "month"), ("contacts_by_kind", "month"),
                     ("contacts_by_worker_group", "year"), ("services_by_type", "year")]),
    ("referrals.py", [("referrals_by_status", "month"), ("referrals_by_type", "year")]),
    ("safe_suite.py", [("nights_by_period", "month"), ("stays_by_length", "year"), ("requests_by_outcome", "year")]),
    ("bad_dates.py", [("reports_by_type", "quarter"), ("reports_by_police", "year")]),
])
@clock.each_instant()
def test_pages_show_the_release_engine_tables_verbatim(demo_db, page, measures, today, request):
    """What a page shows (and offers as CSV, built from the same frame) is the engine's table:
    the disclosure audit relies on this to read pages through metrics.release."""
    p = periods.fiscal_year(periods.fy_start_year(today) - 1)
    at = run_page(page, demo_db, EXTERNAL, p)
    assert not at.exception
    shown = [d.value for d in at.dataframe]
    from metrics import series
    for measure, grain in measures:
        wants = []
        # a trend by month is drawn by quarter when most months are hidden: either is the engine's
        for g in ([grain, "quarter"] if grain == "month" else [grain]):
            br = release.breakdown(measure, p, g, True, demo_db, today)
            tbl = br.table if g != "year" else br.table.loc[["Total"]].T
            if g == "year":
                tbl.columns = [series.MEASURES[measure].unit]
            wants.append(_shown(tbl, g if g != "year" else "category"))
        if grain == "year" and all(isinstance(v, str) for c, v in br.table.loc["Total"].items() if c != "Total"):
            # every category suppressed (as on the demo of 29 Feb 2028, reports by police): the page
            # draws no chart and shows no table of marks, it says so; the total is the page's tile
            assert any("every category is suppressed" in i.value for i in at.info), (measure, wants[0])
            assert not any(d.shape == wants[0].shape and (d.astype(str).values == wants[0].astype(str).values).all()
                           for d in shown), measure
            continue
        assert any(d.shape == w.shape and (d.astype(str).values == w.astype(str).values).all()
                   for d in shown for w in wants), (measure, wants[0])


def _page_text(at) -> str:
    parts = [e.value for kind in ("markdown", "caption", "info", "warning", "success", "error", "text") for e in
             getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("page", ["data_quality.py", "audit.py"])
def test_a_staff_account_switched_to_external_sees_no_staff_only_page(demo_db, page, tmp_path, today):
    """The audience, not the account, decides what a page shows: a staff account switched to
    External for the room (the toggle says "safe to show or hand out") sees no file names, rows per
    file, rejects, blank shares or audit lines; the same page in the Staff audience does."""
    from metrics import db as store
    db = tmp_path / "q.duckdb"
    copy_db(demo_db, db)
    with store.connect(str(db)) as con:
        files = [f for (f,) in con.execute("select distinct file_name from meta.batches").fetchall()]
    assert files
    from metrics import audit
    audit.record("board.member@example.org", "board", "page_view", "overview", "", database=db)
    files.append("board.member@example.org")
    fy = periods.fiscal_year(periods.fy_start_year(today) - 1)
    staff = run_page(page, db, STAFF, fy)   # the control: the page does show them in the staff view
    assert not staff.exception, staff.exception
    assert len(staff.dataframe) >= 1
    external = run_page(page, db, EXTERNAL, fy)
    assert not external.exception, external.exception
    assert len(external.dataframe) == 0 and len(external.table) == 0
    text = _page_text(external)
    assert "choose the Staff audience" in text
    assert not [f for f in files if f in text]


# ---------------------------------------------------------------- what a test sets stays in it

def test_a_test_that_names_its_database_in_os_environ(tmp_path):
    """run_page names the page's database as a served dashboard gets it (os.environ, directly)."""
    os.environ["SHOP_DB"] = str(tmp_path / "left-behind.duckdb")


@pytest.fixture(scope="module")
def shop_db_a_module_fixture_sees():
    return os.environ.get("SHOP_DB")


def test_a_later_module_fixture_does_not_inherit_the_database_of_an_earlier_test(shop_db_a_module_fixture_sees):
    """A module-scoped fixture is made before the test's own settings (conftest._isolated_env),
    so it saw whatever database an earlier test had put in os.environ; a dashboard it starts would
    have served that database. Runs after the test above (a module keeps its order)."""
    assert shop_db_a_module_fixture_sees is None
