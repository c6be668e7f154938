"""One honest rule for charts under suppression, on the pages, in the deck and in the workbook:
every drawn bucket is as high as its released total (a withheld breakdown is a "withheld" part,
never a shorter stack); a bucket whose total is hidden is not drawn; no chart without data.

Expectations come from the released tables (release.breakdown(...).table's Total column), never
from the drawing code. The demo is built for a fixed day, and the clock is set to that day."""
from __future__ import annotations

import datetime as dt
import json
import re
import zipfile

import pandas as pd
import pytest

from conftest import DAY, pin_clock
from metrics import charts, release
from shop import periods
from test_room import run_page
from ui.frame import EXTERNAL, STAFF

LAST_FY = periods.fiscal_year(2025)
FYTD_EXT = periods.Period(dt.date(2026, 4, 1), dt.date(2026, 11, 30))


@pytest.fixture(autouse=True)
def _clock(monkeypatch):
    pin_clock(monkeypatch)


@pytest.fixture
def db(day_demo_db):
    return day_demo_db


def released_totals(measure, period, grain, suppressed, db) -> list:
    """The Total column of the released table, bucket by bucket (numbers, or None where hidden)."""
    tbl = release.breakdown(measure, period, grain, suppressed, db, DAY).table
    body = tbl.drop(index="Total")["Total"]
    return [None if isinstance(v, str) else float(v) for v in body]


def hidden_share(measure, period, grain, db) -> float:
    tbl = release.breakdown(measure, period, grain, True, db, DAY).table.drop(index="Total")
    return sum(any(isinstance(v, str) for v in row) for _, row in tbl.iterrows()) / len(tbl)


# ------------------------------------------------------------------ the rule itself, on a table made by hand

def test_a_hidden_part_is_a_withheld_segment_and_a_hidden_total_a_gap():
    idx = [pd.Timestamp("2025-04-01"), pd.Timestamp("2025-05-01"), pd.Timestamp("2025-06-01"), "Total"]
    table = pd.DataFrame({"street": [500, 40, 30, 570], "drop_in": ["<10", "x", 20, "x"], "online": ["x", 12, 5, "x"],
                          "Total": [603, "x", 55, "x"]}, index=idx, dtype=object)
    d = charts.drawable(table, "month")
    assert d.parts.loc[idx[0]].sum() == 603                     # as high as the released total
    assert d.parts.loc[idx[0], charts.WITHHELD] == 603 - 500    # what the released parts leave
    assert d.parts.loc[idx[0], "street"] == 500
    assert d.parts.loc[idx[1]].isna().all() and d.gaps == [idx[1]]   # a hidden total: no bar, not a zero
    assert d.parts.loc[idx[2]].sum() == 55 and d.parts.loc[idx[2], charts.WITHHELD] == 0
    assert d.withheld == [idx[0]]


def test_most_buckets_hidden_falls_back_to_quarters_then_the_year_and_nothing_is_none():
    def table(rows, index):
        return pd.DataFrame(rows, index=index + ["Total"], columns=["a", "b", "Total"], dtype=object)
    months = [pd.Timestamp(f"2025-{m:02d}-01") for m in (4, 5, 6, 7, 8, 9)]
    by = {"month": table([[20, "<10", 25]] * 5 + [[20, 30, 50], [120, "x", 175]], months),
          "quarter": table([[60, "x", 75], [60, "x", 100], [120, "x", 175]], months[::3]),
          "year": table([[120, 55, 175], [120, 55, 175]], months[:1])}

    class Br:
        def __init__(self, t):
            self.table, self.merged = t, []
    d = charts.choose(lambda g: Br(by[g]), "month", suppressed=True)
    assert d.grain == "year" and "most months" in d.coarser
    assert charts.choose(lambda g: Br(by[g]), "month", suppressed=False).grain == "month"  # staff: as asked
    hidden = table([["<10", "x", "x"], ["<10", "x", "x"]], months[:1])
    assert charts.choose(lambda g: Br(hidden), "month", suppressed=True) is None


# ------------------------------------------------------------------ pages

def _arr(v) -> list:
    """A plotly spec's array: a list, or plotly's typed array ({dtype, bdata} in base64)."""
    if isinstance(v, dict) and "bdata" in v:
        import base64

        import numpy as np
        return [None if np.isnan(x) else float(x) for x in
                np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"])).astype("float64")]
    return list(v or [])


def _drawn(spec) -> tuple[list, str]:
    """(height drawn at each bucket, kind) from a plotly spec: bars stacked, or the line's points."""
    bars = [t for t in spec["data"] if t.get("type") == "bar"]
    if bars:
        heights = None
        for t in bars:
            vals = _arr(t["x"] if t.get("orientation") == "h" else t["y"])
            heights = heights or [None] * len(vals)
            for k, v in enumerate(vals):
                if v is not None:
                    heights[k] = (heights[k] or 0) + v
        return heights, "bar"
    lines = [t for t in spec["data"] if t.get("type") == "scatter"]
    ys = {}
    for t in lines:  # the solid line and the dotted "so far" tail share their last complete point
        for x, y in zip(_arr(t["x"]), _arr(t["y"])):
            if y is not None:
                ys[x] = y
    xs = sorted({x for t in lines for x in _arr(t["x"])})
    return [ys.get(x) for x in xs], "line"


@pytest.mark.parametrize("audience", [EXTERNAL, STAFF])
@pytest.mark.parametrize("period", [LAST_FY, FYTD_EXT], ids=["last_fy", "fy_to_date"])
@pytest.mark.parametrize("page", ["outreach.py", "supplies.py", "referrals.py", "safe_suite.py",
                                  "friday_network.py", "education.py", "overview.py"])
def test_every_drawn_bar_on_a_page_is_its_released_total(db, page, audience, period):
    at = run_page(page, db, audience, period)
    suppressed = audience == EXTERNAL
    checked = 0
    for f in at.get("plotly_chart"):
        spec = json.loads(f.proto.spec)
        meta = spec["layout"].get("meta") or {}
        if any(t.get("type") == "heatmap" for t in spec["data"]):  # the staff's day-by-day calendar
            continue
        heights, kind = _drawn(spec)
        assert any(h for h in heights), (page, spec["layout"]["title"]["text"])  # no chart without data
        if "measure" not in meta:
            continue
        p = periods.Period(dt.date.fromisoformat(meta["from"]), dt.date.fromisoformat(meta["to"]))
        want = released_totals(meta["measure"], p, meta["grain"], suppressed, db)
        assert len(heights) == len(want), (page, meta)
        for k, (got, w) in enumerate(zip(heights, want)):
            if w is None:
                assert got is None, (page, meta["measure"], k, "a hidden total is drawn")
            else:
                assert got == pytest.approx(w), (page, meta["measure"], meta["grain"], k, got, w)
        if suppressed and meta["grain"] != "month" and "(total)" not in spec["layout"]["title"]["text"]:
            # drawn coarser only when most months of the released table are hidden
            assert kind == "line" or hidden_share(meta["measure"], p, "month", db) > 0.5, meta
        checked += 1
    assert checked >= 1 or (page == "friday_network.py" and not suppressed), page  # staff: sessions by day


def test_the_unfinished_month_is_dotted_and_says_so_far_for_staff(db):
    at = run_page("overview.py", db, STAFF, periods.Period(dt.date(2026, 4, 1), DAY))
    dotted = 0
    for f in at.get("plotly_chart"):
        spec = json.loads(f.proto.spec)
        tails = [t for t in spec["data"] if t.get("type") == "scatter" and (t.get("line") or {}).get("dash") == "dot"]
        if tails:
            assert tails[0]["x"][-1].startswith("2026-12-01")
            assert any(a.get("text") == "so far" for a in spec["layout"].get("annotations", []))
            dotted += 1
    assert dotted >= 3


# ------------------------------------------------------------------ deck and workbook

def _export(db, tmp_path, fmt, exact):
    from cli import main
    out = tmp_path / ("exact" if exact else "ext")
    args = ["export", "--db", str(db), "--from", str(LAST_FY.start), "--to", str(LAST_FY.end), "--format", fmt,
            "--out", str(out)] + (["--exact"] if exact else [])
    assert main(args) == 0
    return next(out.glob(f"*.{fmt}"))


TITLES = {title: measure for _, title, measure, _ in __import__("metrics.report", fromlist=["TABLES"]).TABLES}


def _title_measure_grain(title_text: str):
    m = re.match(r"(.+?) \([^)]*\), by (month|quarter|year)", title_text)
    assert m, title_text
    return TITLES[m.group(1)], m.group(2)


@pytest.mark.parametrize("exact", [False, True])
def test_every_bar_in_the_decks_chart_xml_is_its_released_total(db, tmp_path, exact):
    path = _export(db, tmp_path, "pptx", exact)
    with zipfile.ZipFile(path) as z:
        names = [n for n in z.namelist() if re.match(r"ppt/charts/chart\d+\.xml$", n)]
        assert len(names) >= 8
        for n in names:
            xml = z.read(n).decode()
            title = "".join(re.findall(r"<a:t>(.*?)</a:t>", xml.split("</c:title>")[0]))
            measure, grain = _title_measure_grain(title)
            sums: dict = {}
            series = re.findall(r"<c:ser>(.*?)</c:ser>", xml, re.S)
            count = int(re.search(r'<c:ptCount val="(\d+)"/>', series[0].split("<c:cat>")[1]).group(1))
            for s in series:
                for idx, v in re.findall(r'<c:pt idx="(\d+)">\s*<c:v>(.*?)</c:v>', s.split("<c:val>")[1]):
                    sums[int(idx)] = sums.get(int(idx), 0) + float(v)
            want = released_totals(measure, LAST_FY, grain, not exact, db)
            assert count == len(want), title
            fills = [re.search(r'<a:(?:solidFill|fgClr)><a:srgbClr val="(\w+)"', x).group(1) for x in series]
            assert len(set(fills)) == len(fills), (title, fills)  # one colour per category of the chart
            for k, w in enumerate(want):
                assert sums.get(k) == (None if w is None else pytest.approx(w)), (title, k, sums.get(k), w)


@pytest.mark.parametrize("exact", [False, True])
def test_every_bar_in_the_workbooks_charts_is_its_released_total(db, tmp_path, exact):
    from openpyxl import load_workbook
    path = _export(db, tmp_path, "xlsx", exact)
    ws = load_workbook(path)["Charts"]
    with zipfile.ZipFile(path) as z:
        names = [n for n in z.namelist() if re.match(r"xl/charts/chart\d+\.xml$", n)]
        assert len(names) >= 8
        for n in names:
            xml = z.read(n).decode()
            title = "".join(re.findall(r"<a:t>(.*?)</a:t>", re.split(r"</(?:c:)?title>", xml)[0]))
            refs = re.findall(r"<(?:c:)?val><(?:c:)?numRef><(?:c:)?f>'?Charts'?!\$([A-Z]+)\$(\d+)(?::\$[A-Z]+\$(\d+))?<", xml)
            assert refs, title
            rows = range(int(refs[0][1]), int(refs[0][2] or refs[0][1]) + 1)
            label = ws.cell(row=rows[0] - 2, column=1).value  # "<title> (<unit>), by <grain>" above the block
            measure, grain = _title_measure_grain(label)
            assert label.startswith(title)
            heights = [None] * len(rows)
            for col, _, _ in refs:
                for k, r in enumerate(rows):
                    v = ws[f"{col}{r}"].value
                    if v is not None:
                        heights[k] = (heights[k] or 0) + v
            want = released_totals(measure, LAST_FY, grain, not exact, db)
            assert heights == [None if w is None else pytest.approx(w) for w in want], (title, heights, want)
