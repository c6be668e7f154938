"""The exports on paper and on a slide: the workbook prints (landscape, one page wide, header rows
repeated, audience, period and suppression rule on every page, numbers stored as numbers), and
each deck chart draws the breakdown its table releases."""
from __future__ import annotations


import pytest
from openpyxl import load_workbook
from pptx import Presentation

import clock
from cli import main
from metrics import series, suppress
from metrics.report import SHEETS, TABLES
from shop import periods

TODAY = clock.TEST_TODAY  # the day of the module's clock (conftest's `clock`)
FY = periods.fiscal_year(periods.fy_start_year(TODAY) - 1)


def export(db, out, capsys, fmt, *extra):
    capsys.readouterr()
    assert main(["export", "--db", str(db), "--fy", FY.label, "--out", str(out), "--format", fmt, *extra]) == 0
    return next(p for p in capsys.readouterr().out.splitlines() if p.endswith("." + fmt))


@pytest.fixture(scope="module")
def workbooks(demo_db, tmp_path_factory):
    out = {}
    for exact in (False, True):
        d = tmp_path_factory.mktemp("wb")
        args = ["export", "--db", str(demo_db), "--fy", FY.label, "--out", str(d), "--format", "xlsx"]
        assert main(args + (["--exact"] if exact else [])) == 0
        out[exact] = load_workbook(next(d.glob("*.xlsx")))
    return out


@pytest.mark.parametrize("exact", [False, True])
def test_every_sheet_prints_landscape_one_page_wide_with_header_rows_repeated(workbooks, exact):
    wb = workbooks[exact]
    assert [s for s in SHEETS if s in wb.sheetnames] == SHEETS
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert int(ws.page_setup.fitToWidth) == 1 and int(ws.page_setup.fitToHeight) == 0, ws.title
        assert ws.print_title_rows, ws.title
        first = int(ws.print_title_rows.split(":")[0].lstrip("$"))
        assert ws.cell(row=first, column=1).value, ws.title  # the repeated row is not blank


@pytest.mark.parametrize("exact", [False, True])
def test_every_printed_page_carries_the_audience_the_period_and_the_rule(workbooks, exact):
    wb = workbooks[exact]
    for ws in wb.worksheets:
        header = " ".join(p.text or "" for p in (ws.oddHeader.left, ws.oddHeader.center, ws.oddHeader.right))
        footer = " ".join(p.text or "" for p in (ws.oddFooter.left, ws.oddFooter.center, ws.oddFooter.right))
        both = header + " " + footer
        assert FY.label in header and f"{FY.start:%d %b %Y}" in header, (ws.title, header)
        assert ("CONFIDENTIAL" in both) == exact, (ws.title, both)
        assert ("EXTERNAL" in header) != exact, (ws.title, header)
        if not exact:
            assert suppress.footnote().replace("&", "&&") in footer, (ws.title, footer)
        assert "&P" in footer  # page numbers


def _summary(ws):
    rows = list(ws.iter_rows())
    head = next(i for i, r in enumerate(rows) if r[0].value == "indicator")
    names = [c.value for c in rows[head]]
    return names, rows[head + 1:]


def test_summary_labels_first_ids_last_and_numbers_are_numbers_with_formats(workbooks, demo_db, capsys):
    import json
    ws = workbooks[True]["Summary"]
    names, rows = _summary(ws)
    assert names[0] == "indicator" and names[-1] == "id"
    capsys.readouterr()
    assert main(["summary", "--db", str(demo_db), "--fy", FY.label, "--json", "--exact"]) == 0
    want = json.loads(capsys.readouterr().out)["indicators"]
    seen_target = 0
    for r in rows:
        by = dict(zip(names, r))
        ind = by["id"].value
        assert ind in want and not by["indicator"].value.startswith(ind.split(".")[0] + ".")
        v = by["value"]
        if want[ind] is not None:
            assert isinstance(v.value, (int, float)) and v.data_type == "n", (ind, v.value)
            assert v.value == pytest.approx(want[ind])
            assert v.number_format != "General", ind
        t = by["target"]
        if t.value is not None:
            seen_target += 1
            assert isinstance(t.value, (int, float)) and t.number_format == "#,##0", (ind, t.value)
    assert seen_target >= 5  # the demo loads targets for the fiscal year


def test_targets_sheet_stores_targets_and_actuals_as_numbers(workbooks):
    ws = workbooks[False]["Targets"]
    rows = list(ws.iter_rows())
    head = next(i for i, r in enumerate(rows) if r[0].value == "indicator")
    names = [c.value for c in rows[head]]
    assert names[0] == "indicator" and names[-1] == "id"
    body = [dict(zip(names, r)) for r in rows[head + 1:] if r[0].value]
    assert body
    for r in body:
        assert isinstance(r["target"].value, (int, float)) and r["target"].number_format == "#,##0"
        assert isinstance(r["expected to date"].value, (int, float))
        # a fiscal year that has ended: met or missed, with the shortfall, never "on track"
        if isinstance(r["actual"].value, (int, float)):
            short = r["target"].value - r["actual"].value
            assert r["status"].value == ("met" if short <= 0 else f"missed: {short:,.0f} short"), r["status"].value
        else:
            assert r["status"].value == "–"


def test_service_tables_store_counts_as_numbers_and_marks_as_text(workbooks):
    ws = workbooks[False]["Outreach"]
    numbers = marks = 0
    for row in ws.iter_rows(min_row=5):
        for c in row[1:]:
            if isinstance(c.value, (int, float)):
                numbers += 1
                assert c.number_format == "#,##0"
            elif c.value in ("<10", "x"):
                marks += 1
    assert numbers > 20


@pytest.mark.parametrize("exact", [False, True])
def test_each_deck_chart_draws_its_table_stacked_with_a_legend(demo_db, tmp_path, capsys, exact):
    """One chart per table with something to draw, in the tables' order; its heights are checked
    against the released totals in tests/test_honest_charts.py."""
    from metrics import report
    path = export(demo_db, tmp_path, capsys, "pptx", *(["--exact"] if exact else []))
    prs = Presentation(path)
    charts = [sh.chart for s in prs.slides for sh in s.shapes if sh.has_chart]
    rep = report.build(FY, not exact, demo_db, TODAY)
    drawn = [t for t in rep.tables if not t.frame.empty and t.drawn is not None]
    assert len(charts) == len(drawn)
    multi = 0
    for ch, t in zip(charts, drawn):
        assert ch.chart_title.text_frame.text.startswith(t.title)
        series = list(ch.plots[0].series)
        assert any(v for s in series for v in s.values), t.title  # no chart without data
        if len(series) > 1:
            multi += 1
            assert ch.has_legend and "STACKED" in str(ch.chart_type)
        if "all others" in t.frame.columns and list(t.drawn.parts.columns) != ["all"]:
            assert "privacy" in ch.chart_title.text_frame.text
    assert multi >= 6  # by mode, by item, by status...: breakdowns, not single totals


def test_deck_headlines_belong_to_their_slide_and_the_chart_fills_it(demo_db, tmp_path, capsys):
    from metrics.report import HEADLINES
    path = export(demo_db, tmp_path, capsys, "pptx")
    prs = Presentation(path)
    for service, ids in HEADLINES.items():
        assert all(i.split(".")[0] in {"Outreach": "outreach", "Supplies": "supplies", "Referrals": "referrals",
                                       "Safe Suite": "suite", "Friday Network": "friday", "Bad dates": "bad_dates",
                                       "Education": "education"}[service] for i in ids), service
    area = prs.slide_width * prs.slide_height
    for s in prs.slides:
        for sh in s.shapes:
            if sh.has_chart:
                assert sh.width * sh.height > 0.5 * area  # the chart is the slide, not a third of it
                assert sh.top + sh.height <= prs.slide_height and sh.left + sh.width <= prs.slide_width
