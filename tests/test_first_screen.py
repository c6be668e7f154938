"""The Overview's first screen answers "how are we doing?": one sentence and the targets as bars
before the tiles, met / missed once the year is over; new people in the first loaded year say so
and are never compared with it. Expectations from metrics.release and core.targets."""
from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from conftest import pin_clock
from metrics import release
from metrics.indicators import REGISTRY
from shop import periods
from test_room import run_page
from ui.frame import EXTERNAL, STAFF

CLOSED = periods.fiscal_year(2025)   # the first year the day-pinned demo holds, over on its day
OPEN = periods.Period(dt.date(2026, 4, 1), dt.date(2026, 11, 30))


@pytest.fixture(autouse=True)
def _clock(monkeypatch):
    pin_clock(monkeypatch)


def _targets(db, fy: str) -> dict:
    with duckdb.connect(str(db), read_only=True) as con:
        return dict(con.execute("select indicator, target from core.targets where fiscal_year = ?", [fy]).fetchall())


@pytest.mark.parametrize("audience", [EXTERNAL, STAFF])
def test_a_closed_year_says_how_many_targets_were_met_and_which_were_missed(day_demo_db, audience):
    at = run_page("overview.py", day_demo_db, audience, CLOSED)
    figs = release.figures(CLOSED, audience == EXTERNAL, day_demo_db)
    tg = _targets(day_demo_db, CLOSED.label)
    met = [i for i, t in tg.items() if isinstance(figs[i], (int, float)) and figs[i] >= t]
    sentence = at.markdown[0].value
    assert sentence.startswith(f"#### {len(met)} of {len(tg)} targets met"), sentence
    for i, t in tg.items():
        if i not in met and isinstance(figs[i], (int, float)):
            assert f"missed, {t - figs[i]:,.0f} short" in sentence, (i, sentence)
    bars = at.get("progress")
    assert len(bars) == len(tg)
    texts = [b.proto.text for b in bars]
    for i, t in tg.items():
        line = next(x for x in texts if x.startswith(f"**{REGISTRY[i].label}**"))
        assert ("· met" in line) == (i in met) and "on track" not in line and "behind" not in line, line
    # the sentence and the bars come before the tiles: the first screen answers
    kinds = [e.type for e in at.main if getattr(e, "type", "") in ("markdown", "progress", "metric")]
    assert kinds.index("progress") < kinds.index("metric")


def test_an_open_year_says_on_track_and_new_people_are_not_compared_with_the_first_year(day_demo_db):
    at = run_page("overview.py", day_demo_db, EXTERNAL, OPEN)
    assert "targets on track" in at.markdown[0].value
    new = next(m for m in at.metric if m.label == REGISTRY["outreach.new_people"].label)
    assert not new.delta  # a year earlier was the first year loaded: everyone was new then
    assert any("first year loaded" in c.value for c in at.caption)


def test_the_first_year_loaded_says_everyone_is_new(day_demo_db):
    at = run_page("outreach.py", day_demo_db, EXTERNAL, CLOSED)
    assert any("first year loaded, so everyone counts as new" in c.value for c in at.caption)


def test_a_target_resting_on_a_figure_the_review_flags_carries_the_flag(day_demo_db):
    from conftest import DAY
    from metrics import review
    tg = _targets(day_demo_db, "FY2026-27")
    flagged = {(f["item"], f"{f['month']:%b %Y}") for f in review.build(day_demo_db, DAY).findings
               if f["rule"] == "range.min_max" and f["item"] in tg and OPEN.start <= f["month"] <= OPEN.end}
    assert flagged  # the demo's planted breach: naloxone kits out of their usual range
    at = run_page("overview.py", day_demo_db, EXTERNAL, OPEN)
    texts = [b.proto.text for b in at.get("progress")]
    for i, month in flagged:
        line = next(x for x in texts if x.startswith(f"**{REGISTRY[i].label}**"))
        assert f"review flags {month}" in line or ("review flags" in line and month in line), line
    for i in set(tg) - {i for i, _ in flagged}:
        line = next(x for x in texts if x.startswith(f"**{REGISTRY[i].label}**"))
        assert "review flags" not in line, line
