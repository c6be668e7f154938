"""Exports: the Summary equals `etl summary`; nothing small leaks; no logged text runs as a
formula; the deck has a native chart per table; frozen reports keep what was submitted."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile

import pytest
from openpyxl import load_workbook
from pptx import Presentation

import clock
from cli import main
from helpers import write_csv
from metrics import series
from metrics.indicators import REGISTRY
from metrics.report import SHEETS, TABLES
from shop import periods

TODAY = clock.TEST_TODAY  # the day of the module's clock; tests marked each_instant take `today`
FY = periods.fiscal_year(periods.fy_start_year(TODAY) - 1)


def last_fy(today):
    return periods.fiscal_year(periods.fy_start_year(today) - 1)
DISCLOSIVE_TITLES = {title for _, title, m, _ in TABLES if series.MEASURES[m].disclosive}


def export(db, out, *extra, fmt=("xlsx", "pptx", "csv"), period=("--fy", FY.label)):
    args = ["export", "--db", str(db), *period, "--out", str(out), *extra]
    for f in fmt:
        args += ["--format", f]
    return main(args)


def summary(db, capsys, exact, period=("--fy", FY.label)):
    capsys.readouterr()
    assert main(["summary", "--db", str(db), *period, "--json"] + (["--exact"] if exact else [])) == 0
    return json.loads(capsys.readouterr().out)["indicators"]


def cell_value(v):
    return v[1:] if isinstance(v, str) and v.startswith("'") else v


@clock.each_instant()
@pytest.mark.parametrize("exact", [False, True])
def test_workbook_summary_equals_etl_summary(demo_db, tmp_path, capsys, exact, today):
    fy = ("--fy", last_fy(today).label)
    assert export(demo_db, tmp_path, *(["--exact"] if exact else []), fmt=("xlsx",), period=fy) == 0
    paths = [l for l in capsys.readouterr().out.splitlines() if l.endswith(".xlsx")]
    assert len(paths) == 1
    wb = load_workbook(paths[0])
    ws = wb["Summary"]
    rows = list(ws.iter_rows(values_only=True))
    head = rows.index(("indicator", "value", "previous period", "change", "target", "definition", "id"))
    got = {r[-1]: r[1] for r in rows[head + 1:] if r[-1]}  # labels first, the indicator's id last
    want = summary(demo_db, capsys, exact, period=fy)
    assert list(got) == list(REGISTRY)
    assert got == want
    assert [s for s in SHEETS if s in wb.sheetnames] == SHEETS and "Notes" in wb.sheetnames
    assert ws.freeze_panes is not None
    for sheet in wb.worksheets:
        text = " ".join(str(v) for r in sheet.iter_rows(max_row=4, values_only=True) for v in r if v)
        assert ("CONFIDENTIAL" in text) == exact, sheet.title


@clock.each_instant()
def test_no_disclosive_count_1_to_9_in_a_suppressed_export(demo_db, tmp_path, capsys, today):
    # a single month: plenty of small cells
    m = periods.month(last_fy(today).start + dt.timedelta(days=70))
    assert export(demo_db, tmp_path, period=("--from", m.start.isoformat(), "--to", m.end.isoformat())) == 0
    paths = capsys.readouterr().out.splitlines()
    wb = load_workbook(next(p for p in paths if p.endswith(".xlsx")))
    seen_small_marker = False
    for ws in wb.worksheets:
        current = None
        for row in ws.iter_rows(values_only=True):
            if row[0] and isinstance(row[0], str) and " (" in row[0] and row[0].split(" (")[0] in DISCLOSIVE_TITLES:
                current = row[0]
                continue
            if ws.title == "Summary" and row[-1] in REGISTRY:
                if REGISTRY[row[-1]].disclosive:
                    for v in row[1:3]:
                        assert not (isinstance(v, int) and 1 <= v <= 9), row
                        seen_small_marker |= v == "<10"
                continue
            if current and row[0]:
                for v in row[1:]:
                    assert not (isinstance(v, (int, float)) and 1 <= v <= 9), (ws.title, current, row)
                    seen_small_marker |= v in ("<10", "x")
            if not any(row):
                current = None
    assert seen_small_marker
    z = zipfile.ZipFile(next(p for p in paths if p.endswith(".zip")))
    for name in z.namelist():
        title_measure = name.split("__")[-1].removesuffix(".csv")
        if title_measure in series.MEASURES and series.MEASURES[title_measure].disclosive:
            for row in list(csv.reader(io.StringIO(z.read(name).decode())))[1:-1]:
                for v in row[1:]:
                    assert not (v.isdigit() and 1 <= int(v) <= 9), (name, row)


def test_logged_text_never_runs_as_a_formula(tmp_path, capsys):
    db = tmp_path / "t.duckdb"
    day = FY.start + dt.timedelta(days=(4 - FY.start.weekday()) % 7)  # a Friday in the year
    f = write_csv(tmp_path / "friday_network.csv", ["session_date", "attendee_group", "event"],
                  [[day.isoformat(), "alumni", "=SUM(1,2)"], [day.isoformat(), "guest", "@cmd|' /C calc'!A0"],
                   [day.isoformat(), "indoor", "+1+1"], [day.isoformat(), "outdoor", "-2+3"]])
    a = write_csv(tmp_path / "annotations.csv", ["start_date", "note"], [[day.isoformat(), "=HYPERLINK(\"x\")"]])
    assert main(["load", str(f), str(a), "--db", str(db)]) == 0
    assert export(db, tmp_path / "out", fmt=("xlsx", "csv")) == 0
    paths = capsys.readouterr().out.splitlines()
    wb = load_workbook(next(p for p in paths if p.endswith(".xlsx")))
    texts = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                if isinstance(c.value, str):
                    texts.append(c.value)
    joined = "\n".join(texts)
    assert "=SUM(1,2)" in joined and "=HYPERLINK" in joined  # present, as text
    z = zipfile.ZipFile(next(p for p in paths if p.endswith(".zip")))
    for name in z.namelist():
        for row in csv.reader(io.StringIO(z.read(name).decode())):
            for v in row:
                assert not v.startswith(("=", "+", "@")) and not (v.startswith("-") and not v[1:2].isdigit()), (name, v)
    events = z.read("friday_network__events.csv").decode()
    assert "'=SUM(1,2)" in events and "'+1+1" in events and "'-2+3" in events


def test_deck_has_a_native_chart_per_service_and_confidential_on_every_slide(demo_db, tmp_path, capsys):
    assert export(demo_db, tmp_path, "--exact", fmt=("pptx",)) == 0
    prs = Presentation(capsys.readouterr().out.strip())
    assert prs.slide_width * 9 == prs.slide_height * 16
    charts = [sh for s in prs.slides for sh in s.shapes if sh.has_chart]
    assert len(charts) == len(TABLES)  # a chart per table a funder asks for, every service's among them
    titles = [next(sh.text_frame.text for sh in s.shapes if sh.has_text_frame and sh.text_frame.text)
              for s in prs.slides]
    for service in SHEETS:
        assert any(t.startswith(service) for t in titles)
    for s in prs.slides:
        assert any("CONFIDENTIAL" in sh.text_frame.text for sh in s.shapes if sh.has_text_frame)
        for sh in s.shapes:
            if sh.has_text_frame:
                for p in sh.text_frame.paragraphs:
                    assert p.font.size is None or p.font.size.pt >= 14


def test_frozen_report_keeps_what_was_submitted_and_flags_a_correction(tmp_path, capsys):
    from metrics import frozen
    db = tmp_path / "t.duckdb"
    f = tmp_path / "referrals_FY.csv"
    rows = [[(FY.start + dt.timedelta(days=i)).isoformat(), "housing", "made"] for i in range(30)]
    write_csv(f, ["referral_date", "referral_type", "status"], rows)
    assert main(["load", str(f), "--db", str(db)]) == 0
    assert export(db, tmp_path / "o", "--freeze", "Funder X", fmt=("xlsx",)) == 0
    write_csv(f, ["referral_date", "referral_type", "status"], rows[:-12])  # a corrected file: 18 rows
    assert main(["load", str(f), "--db", str(db)]) == 0
    listing = frozen.listing(db)
    assert listing["label"].tolist() == ["Funder X"]
    head, table = frozen.compare(int(listing["report_id"][0]), db)
    made = table.set_index("indicator").loc["referrals.made"]
    assert made["as submitted"] == "30" and made["today"] == "18" and made["changed"] == "CHANGED"
    assert table.set_index("indicator").loc["supplies.units", "changed"] == ""
    assert head["files replaced or removed since"] == ["referrals_FY.csv"]


def test_exact_frozen_reports_are_not_listed_outside_the_staff_view(tmp_path, capsys, monkeypatch):
    from streamlit.testing.v1 import AppTest
    from conftest import ROOT
    from ui.frame import EXTERNAL, STAFF
    db = tmp_path / "t.duckdb"
    f = tmp_path / "referrals_FY.csv"
    write_csv(f, ["referral_date", "referral_type", "status"],
              [[(FY.start + dt.timedelta(days=i)).isoformat(), "housing", "made"] for i in range(3)])
    assert main(["load", str(f), "--db", str(db)]) == 0
    assert export(db, tmp_path / "o", "--exact", "--freeze", "Exact for the funder", fmt=("xlsx",)) == 0
    monkeypatch.setenv("SHOP_DB", str(db))
    for audience, visible in [(EXTERNAL, False), (STAFF, True)]:
        at = AppTest.from_file(str(ROOT / "pages" / "reports.py"), default_timeout=60)
        at.session_state["audience"] = audience
        at.run()
        assert not at.exception
        shown = " ".join(d.value.to_csv() for d in at.dataframe)
        assert ("Exact for the funder" in shown) == visible
