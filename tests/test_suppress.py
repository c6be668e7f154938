"""Suppression: no released disclosive cell is 1..k-1; no group is left with exactly one hidden
cell; exact and suppressed views agree wherever nothing is hidden."""
from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics import series, suppress

K = 10


def hidden(v):
    return isinstance(v, str)


tables = st.integers(1, 6).flatmap(lambda nr: st.integers(1, 5).flatmap(
    lambda nc: st.lists(st.lists(st.one_of(st.just(0), st.integers(1, 12), st.integers(10, 400)),
                                 min_size=nc, max_size=nc), min_size=nr, max_size=nr)))


def with_totals(body):
    rows = [f"r{i}" for i in range(len(body))] + ["Total"]
    cols = [f"c{j}" for j in range(len(body[0]))] + ["Total"]
    cells = {}
    for i, r in enumerate(body):
        for j, v in enumerate(r):
            cells[(rows[i], cols[j])] = v
        cells[(rows[i], "Total")] = sum(r)
    for j, c in enumerate(cols[:-1]):
        cells[("Total", c)] = sum(r[j] for r in body)
    cells[("Total", "Total")] = sum(map(sum, body))
    return rows, cols, cells


@settings(max_examples=300, deadline=None)
@given(tables)
def test_complementary_suppression_properties(body):
    rows, cols, cells = with_totals(body)
    groups = suppress.table_groups(rows, cols, "Total", "Total")
    out = suppress.complementary(cells, groups, K)
    for c, v in out.items():
        if not hidden(v):
            assert not 1 <= v <= K - 1, (c, v)          # no small count released
            assert v == cells[c]                        # released cells are exact
        else:
            assert v in ("<10", "x")
            assert (v == "<10") == (1 <= cells[c] <= K - 1)
    for g in groups:
        n_hidden = sum(hidden(out[c]) for c in g)
        # exactly one hidden cell in a group is allowed only when no other cell could be hidden
        if n_hidden == 1:
            assert all(cells[c] == 0 for c in g if not hidden(out[c])), g


@settings(max_examples=200, deadline=None)
@given(tables)
def test_exact_and_suppressed_agree_when_nothing_is_small(body):
    body = [[v if v == 0 or v >= K else v + K for v in r] for r in body]
    rows, cols, cells = with_totals(body)
    out = suppress.complementary(cells, suppress.table_groups(rows, cols, "Total", "Total"), K)
    assert out == cells


@settings(max_examples=200, deadline=None)
@given(tables)
def test_crosstab_chart_has_no_hidden_part(body):
    long = pd.DataFrame([{"bucket": pd.Timestamp(2025, 4 + i % 9, 1), "category": f"c{j}", "value": v}
                         for i, r in enumerate(body) for j, v in enumerate(r)])
    long = long.groupby(["bucket", "category"], as_index=False)["value"].sum()
    table, chart = series.crosstab(long, disclosive=True, suppressed=True, k=K)
    flat = [v for v in table.to_numpy().ravel()]
    assert not any(isinstance(v, (int,)) and 1 <= v <= K - 1 for v in flat)
    for b in chart.index:  # every drawn bucket is fully released, so its stack is its true total
        assert chart.loc[b].sum() == table.loc[b, "Total"]
        assert not any(1 <= v <= K - 1 for v in chart.loc[b])
    exact, _ = series.crosstab(long, disclosive=True, suppressed=False, k=K)
    assert int(exact.loc["Total", "Total"]) == int(long["value"].sum())


def test_rates_follow_their_counts():
    assert suppress.rate(0.5, 4, 8) == "x"
    assert suppress.rate(1.0, 12, 12) == "x"      # 100 % of a group below 2k
    assert suppress.rate(1.0, 25, 25) == 1.0
    assert suppress.rate(0.4, 12, 30) == 0.4
    assert suppress.count(0) == 0 and suppress.count(9) == "<10" and suppress.count(10) == 10


def test_threshold_is_configurable_but_never_below_5(monkeypatch):
    monkeypatch.setenv("SHOP_SUPPRESS_K", "3")
    assert suppress.threshold() == 5
    monkeypatch.setenv("SHOP_SUPPRESS_K", "20")
    assert suppress.count(15) == "<20"
