"""Suppression by the release engine on any small table: nothing small is released, what is
released is exact, every `x` is at least k, and every primary cell keeps at least 3 feasible
values, checked here by brute force over the integers (independently of the engine's LP)."""
from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from metrics import release, suppress
from metrics.release import Cell, Linked

K = 5  # the smallest k the contract allows keeps the brute force small


def table(body):
    """Cells of a cross-table with row, column and grand totals over one variable per body cell."""
    nr, nc = len(body), len(body[0])
    var = {(i, j): i * nc + j for i in range(nr) for j in range(nc)}
    t = Linked(nr * nc)
    for (i, j), v in var.items():
        t.cells.append(Cell(("f", (i, i), "c", j), {v: 1.0}, body[i][j]))
    for i in range(nr):
        t.cells.append(Cell(("f", (i, i), None, None), {var[(i, j)]: 1.0 for j in range(nc)}, sum(body[i])))
    for j in range(nc):
        t.cells.append(Cell(("f", (0, nr - 1), "c", j), {var[(i, j)]: 1.0 for i in range(nr)},
                            sum(r[j] for r in body)))
    t.cells.append(Cell(("f", (0, nr - 1), None, None), dict.fromkeys(var.values(), 1.0), sum(map(sum, body))))
    return t


def feasible_values(t: Linked, target, limit: int):
    """Every integer value of `target`'s cell consistent with what is released (brute force)."""
    n = t.n_vars
    seen = set()
    for xs in itertools.product(range(limit + 1), repeat=n):
        ok = True
        for c in t.cells:
            v = sum(xs[i] for i in c.coef)
            if c.status == "pub" and v != c.value or c.status == "pri" and not 1 <= v <= K - 1 \
                    or c.status == "sec" and v < K:
                ok = False
                break
        if ok:
            seen.add(sum(xs[i] for i in target.coef))
    return seen


bodies = st.integers(1, 2).flatmap(lambda nr: st.integers(2, 3).flatmap(
    lambda nc: st.lists(st.lists(st.sampled_from([0, 1, 2, 3, 4, 5, 6, 8]), min_size=nc, max_size=nc),
                        min_size=nr, max_size=nr))).filter(lambda b: len(b) * len(b[0]) <= 4)


@settings(max_examples=40, deadline=None)
@given(bodies)
def test_every_primary_cell_keeps_three_values(body):
    t = table(body)
    release.protect(t, K)
    for c in t.cells:
        if c.status == "pub":
            assert not 1 <= c.value <= K - 1
        elif c.status == "sec":
            assert c.value >= K  # x means at least k, as the footnote says
        else:
            assert 1 <= c.value <= K - 1
    limit = max(8, sum(map(sum, body)))
    nothing_left = all(c.status != "pub" or c.value == 0 for c in t.cells)
    for c in t.cells:
        if c.status == "pri":
            vals = feasible_values(t, c, min(limit, 12))
            assert c.value in vals
            # a table that is all small counts and zeros cannot hide more (a zero is shown as 0,
            # an x is at least k): there the ranges are what they are
            assert max(vals) - min(vals) >= 2 or nothing_left, (body, c.key, sorted(vals))


def test_nothing_hidden_when_nothing_is_small():
    t = table([[0, 12], [15, 30]])
    release.protect(t, K)
    assert all(c.status == "pub" for c in t.cells)


def test_threshold_is_configurable_but_never_below_5(monkeypatch):
    monkeypatch.setenv("SHOP_SUPPRESS_K", "3")
    assert suppress.threshold() == 5
    monkeypatch.setenv("SHOP_SUPPRESS_K", "20")
    assert suppress.primary_mark() == "<20"
