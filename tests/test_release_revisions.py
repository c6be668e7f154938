"""A corrected file changes months already released: the old release and the new one together.

A board member keeps the deck of 5 July; on 6 July a corrected June file (duplicates removed, or a
few rows re-coded) is loaded and the year is released again. Both releases are public. The months
the correction did not touch are the same in both (the External review names the months a load
changed), so an attacker holds two versions of the changed months and one of the rest. If the
hidden cell of a quarter moved from May to June, the old quarter less the old June less the May
shown now would give April's small count (helper-24). The attacker here is written from that
model, not from the engine: a linear program over both releases' cells, each month that changed
having variables of its own per release, every small count shown then or now left at least three
values.
"""
from __future__ import annotations

import datetime as dt
import math

import highspy
import numpy as np
import pytest

from etl.load import load
from helpers import write_rows
from metrics import release
from shop import periods, settings

K = 10


def contacts(y: int, m: int, street: int, drop_in: int) -> list[dict]:
    rows = []
    for i, mode in enumerate(["street"] * street + ["drop_in"] * drop_in):
        rows.append({"contact_date": dt.date(y, m, 1 + i % 28).isoformat(), "client_code": "",
                     "contact_mode": mode, "worker_group": "outdoor", "new_contact": "",
                     "services": "one_to_one", "minutes": "30"})
    return rows


def at(monkeypatch, day: dt.date) -> None:
    noon = dt.datetime.combine(day, dt.time(19, 0), tzinfo=dt.timezone.utc)  # noon in Kamloops
    monkeypatch.setattr(settings, "_utcnow", lambda: noon)
    assert settings.today() == day


def pinned(releases: list[tuple[dict, set]], fy: int) -> list[str]:
    """Every cell of the contacts family shown `<10` in any release whose feasible range, given all
    releases, has fewer than 3 whole values. releases: (cells, months changed since this release,
    as positions in the year). Variables: per month a total and per (dim, category) a count; a
    month changed after release r has its own variables for releases up to r."""
    col: dict = {}

    def var(era: int, key: tuple) -> int:
        k2 = (era,) + key if key[-1] in releases[era][1] else ("now",) + key   # the month as that release saw it
        return col.setdefault(k2, len(col))

    dims: dict = {}
    for cells, _ in releases:
        for (fam, _, dim, cat) in cells:
            if fam == "contacts" and dim is not None:
                dims.setdefault(dim, set()).add(cat)
    rows, small = [], []
    for era, (cells, _) in enumerate(releases):
        months = {i for (fam, (a, b), _, _) in cells if fam == "contacts" for i in range(a, b + 1)}
        for i in months:
            for d, cats in dims.items():
                coef = {var(era, (d, c, i)): 1.0 for c in cats}
                coef[var(era, ("T", i))] = -1.0
                rows.append((coef, 0.0, 0.0))
        for (fam, (a, b), dim, cat), v in cells.items():
            if fam != "contacts":
                continue
            coef = {var(era, ("T", i) if dim is None else (dim, cat, i)): 1.0 for i in range(a, b + 1)}
            lo, hi = {"x": (K, np.inf), "w": (1, np.inf)}.get(v, (1, K - 1)) if isinstance(v, str) else (v, v)
            rows.append((coef, float(lo), float(hi)))
            if v == "<10":
                small.append((era, (a, b), dim, cat, coef))
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    n = len(col)
    h.addVars(n, np.zeros(n), np.full(n, highspy.kHighsInf))
    for coef, lo, hi in rows:
        idx = np.array(list(coef), dtype=np.int32)
        h.addRow(lo, hi if hi != np.inf else highspy.kHighsInf, len(idx), idx, np.array([coef[j] for j in idx]))
    out = []
    for era, span, dim, cat, coef in small:
        ends = []
        for sense in (highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize):
            cost = np.zeros(n)
            for j, w in coef.items():
                cost[j] = w
            h.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
            h.changeObjectiveSense(sense)
            h.run()
            assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
            ends.append(h.getInfo().objective_function_value)
        lo, hi = math.ceil(ends[0] - 1e-6), math.floor(ends[1] + 1e-6)
        if hi - lo < 2:
            out.append(f"release {era}: {span} {dim or 'total'} {cat or ''} is {lo}..{hi}")
    return out


# (name, first load's months {(y, m): (street, drop_in)}, the corrected month, its rows after,
#  the day of the first release, of the load and second release, fiscal year)
CASES = {
    # June loses 4 duplicates: the quarter's hidden month moved from May to June, April = 30 - 15 - 12
    "duplicates removed": ({(2025, 4): (3, 0), (2025, 5): (12, 0), (2025, 6): (15, 0)}, (2025, 6), (11, 0),
                           dt.date(2025, 7, 5), dt.date(2025, 7, 6), 2025),
    # no total changes: 4 of June's rows re-coded; April's drop-in = 30 - 15 - 12 through the modes
    "rows re-coded": ({(2025, 4): (20, 3), (2025, 5): (20, 12), (2025, 6): (20, 15)}, (2025, 6), (24, 11),
                      dt.date(2025, 7, 5), dt.date(2025, 7, 6), 2025),
    # the closed year, released on 5 April and again after March's correction on 6 April
    "at the fiscal year's turn": ({**{(2025, m): (20, 0) for m in range(4, 13)},
                                   (2026, 1): (3, 0), (2026, 2): (12, 0), (2026, 3): (15, 0)},
                                  (2026, 3), (11, 0), dt.date(2026, 4, 5), dt.date(2026, 4, 6), 2025),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_correction_does_not_let_the_old_and_new_releases_pin_a_small_count(case, tmp_path, monkeypatch):
    months, (cy, cm), after, day1, day2, fy = CASES[case]
    inbox, db = tmp_path / "inbox", tmp_path / "shop.duckdb"
    for (y, m), (street, drop_in) in months.items():
        write_rows(inbox / f"outreach_{y}-{m:02d}.csv", "outreach", contacts(y, m, street, drop_in))
    at(monkeypatch, day1 - dt.timedelta(days=2))
    assert all(o.status == "loaded" for o in load([inbox], db, say=lambda *_: None))
    at(monkeypatch, day1)
    first = dict(release.year(fy, db, day1).cells)
    write_rows(inbox / f"outreach_{cy}-{cm:02d}.csv", "outreach", contacts(cy, cm, *after))
    at(monkeypatch, day2)
    assert [o.status for o in load([inbox / f"outreach_{cy}-{cm:02d}.csv"], db, say=lambda *_: None)] == ["replaced"]
    second = dict(release.year(fy, db, day2).cells)
    changed = {(cy - fy) * 12 + cm - periods.fiscal_start_month()}
    assert first != second   # the correction shows (a changed month's figures)
    assert pinned([(first, changed), (second, set())], fy) == []


def test_the_attacker_here_pins_what_the_engine_released_before_months_had_versions(tmp_path, monkeypatch):
    """The model above finds the leak it is for: the two releases helper-24 took on 5 and 6 July
    (cells as the engine gave them before a changed month had variables of its own)."""
    q = (0, 2)
    first = {("contacts", (0, 0), None, None): "<10", ("contacts", (1, 1), None, None): "x",
             ("contacts", (2, 2), None, None): 15, ("contacts", q, None, None): 30}
    second = {("contacts", (0, 0), None, None): "<10", ("contacts", (1, 1), None, None): 12,
              ("contacts", (2, 2), None, None): "x", ("contacts", q, None, None): 26}
    assert pinned([(first, {2}), (second, set())], 2025) == ["release 0: (0, 0) total  is 3..3",
                                                              "release 1: (0, 0) total  is 3..3"]
