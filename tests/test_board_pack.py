"""The board pack (PDF) in both audiences: every page renders (poppler), is marked with the audience
and the period, and carries the released tables' figures: each chart's bars labelled with the
released totals of its buckets, the headline figures, the targets met or missed on a closed year.
Expectations come from metrics.release, never from the pack's writer."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from conftest import pin_clock
from metrics import indicators, release
from metrics.indicators import REGISTRY
from metrics.report import HEADLINES, TABLES
from shop import periods

FY = periods.fiscal_year(2025)   # over on the pinned day: targets are met or missed
TITLES = {title: measure for _, title, measure, _ in TABLES}


@pytest.fixture(autouse=True)
def _clock(monkeypatch):
    pin_clock(monkeypatch)


def _pack(db, tmp_path, exact: bool):
    from cli import main
    out = tmp_path / ("exact" if exact else "ext")
    assert main(["export", "--db", str(db), "--fy", FY.label, "--format", "pdf", "--out", str(out)]
                + (["--exact"] if exact else [])) == 0
    return next(out.glob("*.pdf"))


def _pages(pdf) -> list[str]:
    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext is missing: apt-get install poppler-utils (.ci/setup does)")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [p for p in text.split("\f") if p.strip()]


def _numbers(page: str) -> list[str]:
    return re.findall(r"(?<![\d,.])\d{1,3}(?:,\d{3})*(?![\d,])", page)


@pytest.mark.parametrize("exact", [False, True])
def test_every_page_renders_and_is_marked_with_audience_and_period(day_demo_db, tmp_path, exact):
    from PIL import Image
    pdf = _pack(day_demo_db, tmp_path, exact)
    pages = _pages(pdf)
    assert len(pages) >= 9  # the headline and targets, a page per service, the review
    mark = "CONFIDENTIAL" if exact else "EXTERNAL: small counts suppressed"
    for i, p in enumerate(pages, 1):
        assert mark in p and FY.label in p and f"Page {i}" in p, i
    subprocess.run(["pdftoppm", "-r", "20", "-png", str(pdf), str(tmp_path / "pg")], check=True)
    shots = sorted(tmp_path.glob("pg-*.png"))
    assert len(shots) == len(pages)
    for s in shots:  # drawn, not blank
        lo, hi = Image.open(s).convert("L").getextrema()
        assert hi - lo > 100, s.name


@pytest.mark.parametrize("exact", [False, True])
def test_each_chart_is_labelled_with_the_released_totals_of_its_buckets(day_demo_db, tmp_path, exact):
    pages = _pages(_pack(day_demo_db, tmp_path, exact))
    charted = 0
    for p in pages:
        m = re.search(r"^\s*(.+?) \([a-z ]+\), by (month|quarter|year)\s*$", p, re.M)
        if not m:
            continue
        measure, grain = TITLES[m.group(1).strip()], m.group(2)
        body = release.breakdown(measure, FY, grain, not exact, day_demo_db).table.drop(index="Total")["Total"]
        shown = _numbers(p)
        for v in body:
            if not isinstance(v, str):
                assert f"{v:,}" in shown, (m.group(1), v)
        assert p.count("hidden") >= sum(isinstance(v, str) for v in body), m.group(1)
        charted += 1
    assert charted >= 6


@pytest.mark.parametrize("exact", [False, True])
def test_headline_figures_and_a_closed_years_targets_met_or_missed(day_demo_db, tmp_path, exact):
    import duckdb
    pages = _pages(_pack(day_demo_db, tmp_path, exact))
    figs = release.figures(FY, not exact, day_demo_db)
    for sheet, ids in HEADLINES.items():
        page = next(p for p in pages if re.search(rf"^\s*{re.escape(sheet)}:", p, re.M))
        for i in ids:
            assert indicators.fmt(REGISTRY[i], figs[i]) in page, (sheet, i)
    with duckdb.connect(str(day_demo_db), read_only=True) as con:
        tg = dict(con.execute("select indicator, target from core.targets where fiscal_year = ?",
                              [FY.label]).fetchall())
    assert tg
    first = pages[0]
    assert "on track" not in first and "behind" not in first
    for i, target in tg.items():
        a = figs[i]
        if isinstance(a, str):
            continue
        want = "met" if a >= target else f"missed: {target - a:,.0f} short"
        line = next(ln for ln in first.splitlines() if ln.strip().startswith(REGISTRY[i].label))
        assert want in line, (i, line)
