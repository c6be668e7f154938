"""Protection: the attacker's linear program over one linked table, and the choice of what to hide.

A linked table is cells (linear expressions over non-negative variables: a month's count, a
month's count of one category) plus rows an attacker also knows (breakdowns add up to their
month; what earlier releases said; floors and caps from other tables). After primary
suppression (1..k-1 shown as `<k`) the table is audited the way an attacker would: `<k` is
1..k-1, `x` at least k, a withheld count at least 1, every released number holds. A small count
must keep at least 3 feasible values; complementary cells (`x`) are added until it does.

Which cells to hide is a question of cost, as in tau-ARGUS and sdcTable: the fiscal year and
its quarters open every grant report and board slide and cost most; months and breakdown
categories least. `protect` first looks for a pattern that leaves every year and quarter total
shown, then one that leaves the year's totals shown, and only then hides what it must. Within a
pattern, a pinned cell is protected by the cheapest single cell that does it, tried in order of
cost (a sound greedy heuristic: the audit decides, never the heuristic).

A count of distinct people (its table in `Linked.roundable`) has a milder complement: a count shown rounded to
the nearest k (`≈250` is 245..254 for k = 10), tried before hiding it. The difference of two
nested people counts (new people in a month; people served by no service but one) is a count of
people, often small, that hiding would protect only by hiding the year's people served.

Most checks find a small count protected. The points the solves found feasible are kept
(`_Witnesses`) and answer such a check without a solve when they already give the count 3 values:
about three solves in four are spared over a year of releases of the small program.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field

import numpy as np

from . import suppress


@dataclass
class Cell:
    key: tuple                      # (family, span (a, b), dim, category)
    coef: dict                      # variable -> coefficient
    value: int                      # exact
    status: str = "pub"             # pub | pri | sec | wh (withheld) | rnd (rounded to the nearest k)
    locked: bool = False            # public already (an earlier release): never a complement
    small_known: bool = True        # latent: the attacker may know it is 1..k-1 (not so of a count
                                    # an earlier release gave: the ledger's row says what it showed)
    then: bool = False              # latent: a count of the data as an earlier release had them,
                                    # its exact value kept nowhere (`value` is set by _values_then)


TODAY = "today"   # Linked.sources: a row set by a figure released today that can still change
# Linked.sources: an earlier release's cell over a month changed since, through a count of that month
# the engine takes as unchanged (its own digest is today's): public only as far as today's release
# shows that count again, so it does not make a small count public (`_not_public`), but every audit
# has it (fuzz seed 704 of session 49: May anonymised on 20 July, its 11 contacts of 5 July taken as
# still public, May's anonymous contacts `<10` were deferred as pinned already and shown on 5 August
# beside May's 11 contacts and 10 people, which gave them as 1 to anyone)
LINKED = "linked"
NOT_PUBLIC = (TODAY, LINKED)   # rows _not_public leaves out, which joins and bare copies keep marked


@dataclass
class Linked:
    """Cells as linear expressions over non-negative variables, plus extra rows (lo <= expr <= hi)."""
    n_vars: int
    cells: list[Cell] = field(default_factory=list)
    rows: list[tuple[dict, float, float]] = field(default_factory=list)
    latent: list[Cell] = field(default_factory=list)   # never released, but must stay protected
    headlines: frozenset = frozenset()  # (dim, category) cells that are indicators: cost as totals
    roundable: frozenset = frozenset()  # tables (key[0]) of distinct people: a complement may be rounded first
    sources: dict = field(default_factory=dict)   # row index -> the family whose released cells set it
    deferred: list = field(default_factory=list)  # small counts this table alone could not protect
    services: dict = field(default_factory=dict)  # People served's table: (service, span) -> its variable
    #                                               (a service's table: (PEOPLE[-1], span) -> People served's)
    then: dict = field(default_factory=dict)  # a people table: release id -> ({span: its variable as that
    #                                           release saw it}, {month: its digest then, changed since})
    served_from: int | None = None  # a service's table, and its join: its rows from here on are People served's (_served)


_BANNER_LOCK = threading.Lock()


def _highs():
    """A silent HiGHS instance (its one-time banner would land in the CLI's JSON on stdout)."""
    import os
    import highspy
    with _BANNER_LOCK:
        if not getattr(_highs, "quiet", False):
            import sys
            sys.stdout.flush()
            saved = os.dup(1)
            try:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, 1)
                os.close(devnull)
                h = highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
            _highs.quiet = True
        else:
            h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("presolve", "off")  # many small solves of one model: warm starts beat presolve
    # and most solves change only the objective (a count's least, then greatest value), which
    # leaves the last basis primal feasible: the primal simplex goes on from it, the dual one
    # starts over. A year of releases of the small program: 29.8 s of the engine against 38.6
    h.setOptionValue("simplex_strategy", 4)
    return h


def cell_bounds(c: Cell, k: int) -> tuple[float, float]:
    """What a cell's status tells an attacker of it: (lowest, highest)."""
    if c.status == "pub":
        return float(c.value), float(c.value)
    if c.status == "pri":
        return 1.0, float(k - 1)
    if c.status == "wh":  # never a zero (a zero is shown as 0): at least 1, as an attacker knows
        return 1.0, float("inf")
    if c.status == "rnd":
        lo, hi = suppress.rounded_bounds(suppress.rounded(c.value, k), k)
        return float(lo), float(hi)
    return float(k), float("inf")


class Auditor:
    """The attacker's linear program over one linked table: feasible min and max of a cell."""

    def __init__(self, t: Linked, k: int, public_only: bool = False):
        """public_only: what is public before today's release (cells given already, the rows of
        earlier releases and of the definitions); today's cells say nothing."""
        import highspy
        self.hs = highspy
        self.k = k
        self.t = t
        h = _highs()
        inf = highspy.kHighsInf
        n = self.n = t.n_vars
        h.addVars(n, np.zeros(n), np.full(n, inf))
        self._rows: list = []
        self.cell_row = {}
        _values_then(t)
        for c in t.cells:
            # public_only: each cell at the most it can say, withheld (a zero is always shown)
            lo, hi = self._bounds(c) if c.locked or not public_only else (0.0, 0.0) if c.value == 0 else (1.0, inf)
            self.cell_row[c.key] = len(self._rows)
            self._row(c.coef, lo, hi)
        if len(self.cell_row) != len(t.cells):
            # a cell is found, updated and chosen by its key (cell_row, protect's by_key): a second
            # cell under one key would keep its first row's bounds whatever its status said, and
            # the audit would be of another table than the one shown (fails closed: no release)
            raise ValueError(f"{len(t.cells) - len(self.cell_row)} cells share a key with another cell of the table")
        self.row_key = {r: key for key, r in self.cell_row.items()}
        for coef, lo, hi in t.rows:
            self._row(coef, lo, hi)
        # A small difference is never shown, but the attacker may know it is 1..k-1 all the same:
        # a people count shown rounded (or hidden) says that something it would pin is small. So
        # each is audited as a `<k` would be, jointly, not only as whatever the rest leaves it.
        for c in ([] if public_only else t.latent):
            if 1 <= c.value <= k - 1 and c.small_known:
                self._row(c.coef, 1.0, float(k - 1))
        if self._rows:   # all at once: a call per row was a tenth of a year of releases' time
            idx, val, lo, hi = zip(*self._rows)
            starts = np.cumsum([0] + [len(i) for i in idx[:-1]]).astype(np.int32)
            h.addRows(len(idx), np.array(lo, dtype=np.float64), np.array(hi, dtype=np.float64), int(sum(map(len, idx))),
                      starts, np.concatenate(idx).astype(np.int32), np.concatenate(val))
        self.h = h
        self.inf = inf
        self.cost_idx: np.ndarray = np.array([], dtype=np.int32)
        self.witnesses = _Witnesses(n, self._rows)

    def _row(self, coef, lo, hi):
        idx = self._columns(coef)
        val = np.fromiter(coef.values(), dtype=np.float64, count=len(coef))  # in idx's order
        self._rows.append((idx, val, float(lo), float(hi)))   # what the witnesses check, and HiGHS gets

    def _columns(self, coef: dict) -> np.ndarray:
        """The variables of an expression, each one the table has: HiGHS refuses a row or an
        objective over a column it lacks without a word, and the attacker's program would then be
        another (a latent count moved twice past a join's variables was that, unseen)."""
        if coef:   # checked on the keys themselves (numpy's min and max cost more on a few columns)
            lo, hi = min(coef), max(coef)
            if lo < 0 or hi >= self.n:
                raise ValueError(f"an expression over variable {int(hi if hi >= self.n else lo)} of a table of {self.n}")
        return np.fromiter(coef, dtype=np.int32, count=len(coef))

    def _bounds(self, c: Cell):
        return cell_bounds(c, self.k)

    def update(self, c: Cell):
        lo, hi = self._bounds(c)
        r = self.cell_row[c.key]
        self.h.changeRowBounds(r, lo, hi)
        self.witnesses.bounds(r, lo, hi)

    def feasible(self) -> bool:
        """Do the table's rows and cells, as this audit reads them, have a solution at all?"""
        h = self.h
        if len(self.cost_idx):
            h.changeColsCost(len(self.cost_idx), self.cost_idx, np.zeros(len(self.cost_idx)))
            self.cost_idx = np.array([], dtype=np.int32)
        h.run()
        return h.getModelStatus() in (self.hs.HighsModelStatus.kOptimal, self.hs.HighsModelStatus.kUnbounded)

    def range(self, coef: dict) -> tuple[float, float, set]:
        """(feasible min, feasible max, rows of released cells that bind either bound)."""
        h = self.h
        if len(self.cost_idx):
            h.changeColsCost(len(self.cost_idx), self.cost_idx, np.zeros(len(self.cost_idx)))
        idx = self._columns(coef)
        h.changeColsCost(len(idx), idx, np.fromiter(coef.values(), dtype=np.float64, count=len(coef)))
        self.cost_idx = idx
        out, binding = [], set()
        for sense in (self.hs.ObjSense.kMinimize, self.hs.ObjSense.kMaximize):
            h.changeObjectiveSense(sense)
            h.run()
            st = h.getModelStatus()
            if st == self.hs.HighsModelStatus.kOptimal:
                out.append(h.getInfo().objective_function_value)
                duals = np.asarray(h.getSolution().row_dual)
                binding |= set(np.nonzero(np.abs(duals) > 1e-9)[0].tolist())
            elif st == self.hs.HighsModelStatus.kUnbounded:   # no least value, or no greatest
                out.append(float("-inf") if sense == self.hs.ObjSense.kMinimize else float("inf"))
            else:  # cannot tell: treat as exposed, so that more is hidden
                out.append(float("nan"))
        return out[0], out[1], binding

    def check(self, coef: dict, value: int) -> tuple[bool, set]:
        """(protected?, keys of the released cells that pin it). The exact value is feasible, so a
        maximum 2 above it (or a minimum 2 below) is enough: often one solve instead of two."""
        idx = self._columns(coef)
        if self.witnesses.spread(coef, value, idx):
            return True, set()
        hi, rows = self._solve(coef, self.hs.ObjSense.kMaximize, idx)
        if hi == float("inf") or (not np.isnan(hi) and np.floor(hi + 1e-6) >= value + 2):
            return True, set()
        lo, rows_lo = self._solve(coef, self.hs.ObjSense.kMinimize, idx)
        ok = not (np.isnan(lo) or np.isnan(hi)) and np.floor(hi + 1e-6) - np.ceil(lo - 1e-6) >= 2
        return ok, {self.row_key[r] for r in rows | rows_lo if r in self.row_key}

    def _solve(self, coef: dict, sense, idx: np.ndarray) -> tuple[float, set]:
        """(the optimum, rows with a non-zero dual) of the expression over the columns idx."""
        h = self.h
        if len(self.cost_idx) and not np.array_equal(idx, self.cost_idx):
            h.changeColsCost(len(self.cost_idx), self.cost_idx, np.zeros(len(self.cost_idx)))
        h.changeColsCost(len(idx), idx, np.fromiter(coef.values(), dtype=np.float64, count=len(coef)))
        self.cost_idx = idx
        h.changeObjectiveSense(sense)
        h.run()
        st = h.getModelStatus()
        if st == self.hs.HighsModelStatus.kOptimal:
            sol = h.getSolution()
            self.witnesses.add(sol.col_value)
            duals = np.asarray(sol.row_dual)
            return h.getInfo().objective_function_value, set(np.nonzero(np.abs(duals) > 1e-9)[0].tolist())
        if st == self.hs.HighsModelStatus.kUnbounded:   # a difference may have no least value
            return float("-inf") if sense == self.hs.ObjSense.kMinimize else float("inf"), set()
        return float("nan"), set()  # cannot tell: treated as exposed, so that more is hidden


class _Witnesses:
    """Points the attacker's program has found feasible, kept to answer later checks without a
    solve: a small count is protected once such points give it 3 values (its exact value is
    feasible by construction). A point is checked against every row when kept, and against a row
    whose bounds narrow later (a cell shown again after a trial); a row that widens (a cell hidden)
    keeps it feasible. So every point kept is feasible for the table as it is now, and the
    witnesses only ever save solves: they never say "pinned"."""

    TOL, KEEP = 1e-6, 48

    def __init__(self, n: int, rows: list):
        self.n = n
        self.pts = np.zeros((0, n))
        self.rows = rows
        self.lo = np.array([r[2] for r in rows], dtype=np.float64)
        self.hi = np.array([r[3] for r in rows], dtype=np.float64)
        self.nz_idx = np.concatenate([r[0] for r in rows]) if rows else np.zeros(0, dtype=np.int32)
        self.nz_val = np.concatenate([r[1] for r in rows]) if rows else np.zeros(0)
        self.nz_row = np.repeat(np.arange(len(rows)), [len(r[0]) for r in rows])

    def add(self, col_value) -> None:
        p = np.asarray(col_value, dtype=np.float64)
        if p.shape != (self.n,) or (p < -self.TOL).any():
            return
        v = np.bincount(self.nz_row, weights=self.nz_val * p[self.nz_idx], minlength=len(self.rows))
        if ((v < self.lo - self.TOL) | (v > self.hi + self.TOL)).any():
            return
        self.pts = np.vstack([p[None, :], self.pts[: self.KEEP - 1]])

    def bounds(self, r: int, lo: float, hi: float) -> None:
        narrower = lo > self.lo[r] or hi < self.hi[r]
        self.lo[r], self.hi[r] = lo, hi
        if narrower and len(self.pts):
            idx, val = self.rows[r][0], self.rows[r][1]
            v = self.pts[:, idx] @ val
            self.pts = self.pts[(v >= lo - self.TOL) & (v <= hi + self.TOL)]

    def spread(self, coef: dict, value: int, idx: np.ndarray) -> bool:
        """Do the points kept give the expression (over the columns idx, checked) 3 values, with
        its exact value?"""
        if not len(self.pts):
            return False
        v = self.pts[:, idx] @ np.fromiter(coef.values(), dtype=np.float64, count=len(coef))  # idx: coef's keys
        hi, lo = max(float(v.max()), value), min(float(v.min()), value)
        return bool(np.floor(hi + 1e-6) - np.ceil(lo - 1e-6) >= 2)


def cost(key: tuple, headlines: frozenset = frozenset()) -> int:
    """What hiding a cell costs the reader: the year's totals most, then the year to date,
    quarters, a quarter to date, months; a breakdown category less than the total of its span, unless it is an indicator
    (anonymous contacts, referrals attended, turn-aways, ...): those cost as totals."""
    _, (a, b), dim, cat = key
    if (dim, cat) in headlines:
        dim = None
    n = b - a + 1
    if n == 12:
        return 6 if dim else 1000
    if n == 3 and a % 3 == 0:
        return 4 if dim else 60
    if n == 1:
        return 1 if dim else 3
    if a == 0:  # the year to date: an open year's headline (the Overview's first tiles)
        return 5 if dim else 500
    return 5 if dim else 20


YEAR, QUARTER = 1000, 60


def _related(target: tuple, cand: tuple) -> int:
    """How good a complement `cand` is for `target` (lower is better): a sibling category in the
    same span first, then the same category in a neighbouring span, then a total, then the rest."""
    _, (a, b), dim, cat = target
    _, (c, d), dim2, cat2 = cand
    if (c, d) == (a, b) and dim2 == dim and cat2 != cat:
        return 0
    if dim2 == dim and cat2 == cat and (c, d) != (a, b):
        same_len = (d - c) == (b - a)
        overlaps = not (d < a or c > b)
        return 1 if same_len and not overlaps else 2 if overlaps else 3
    if (c, d) == (a, b):
        return 4
    return 5


def _order(target: Cell, headlines: frozenset = frozenset()):
    return lambda x: (cost(x.key, headlines), _related(target.key, x.key), x.value, str(x.key))


def protect(t: Linked, k: int, incremental: bool = False, public_rows: int | None = None,
            last: bool = False) -> None:
    """Primary suppression, then the cheapest complementary cells that protect every small count.

    incremental: keep the statuses the cells have (a second pass after rows were added) and only
    hide more; otherwise start afresh and prefer patterns that leave the year and quarters shown.
    public_rows: only the table's first rows say what is public already (the rest are other
    tables' figures of today that can still change: a count only they pin is a target).
    last: no table is decided after this one, so what is withheld for a count it cannot protect
    stays withheld (_withhold)."""
    if not incremental:
        for c in t.cells:
            c.status = "pri" if 1 <= c.value <= k - 1 else "pub"
    targets = small_counts(t, k)
    if not targets:
        return
    if os.environ.get("SHOP_CHECK_ROWS") == "1" and not _true_of_the_data(t):
        raise AssertionError(f"a row of the release engine's table is false of the data: {sorted(c.key for c in t.cells)[:3]}")
    kept = _not_public(t, k, targets, public_rows)
    ids = {id(x) for x in kept}
    t.deferred = [c for c in targets if id(c) not in ids]
    targets = kept
    if not targets:
        return
    if incremental:
        _complete(t, k, targets, Auditor(t, k), ceiling=None, last=last)
        return
    start = {c.key: c.status for c in t.cells}
    for ceiling in (QUARTER, YEAR):  # cells that cost this much or more are not hidden in this pass
        aud = Auditor(t, k)
        if _complete(t, k, targets, aud, ceiling, final=False):
            return
        for c in t.cells:
            c.status = start[c.key]
    _complete(t, k, targets, Auditor(t, k), ceiling=None, last=last)


def small_counts(t: Linked, k: int) -> list:
    """Every small count (1..k-1) still to protect: a cell shown as `<k` or withheld in an earlier
    pass (not one an earlier release fixed), or one never shown (latent)."""
    return [c for c in t.cells if c.status in ("pri", "wh") and 1 <= c.value <= k - 1 and not c.locked] + \
        [c for c in t.latent if 1 <= c.value <= k - 1]


def _values_then(t: Linked) -> None:
    """The value an audit takes for each count of the data as an earlier release had them (a
    latent cell marked `then`): their exact values are kept nowhere, so the least whole value the
    table's rows allow with every cell at its exact value. The true value is among those, so that
    one is at most the true value and is feasible whatever the table hides, which is all an
    audit's check needs of a value (a range around a feasible one). Set again by every audit:
    rows are added between audits, and a value the rows no longer allow would let the check
    read a range wider than the attacker's. Never lowered: a table audited with fewer rows (a
    bare one, the public rows only) allows less, and every least value is at most the true one,
    so the greatest found so far is allowed by each table audited since it was found."""
    then = [c for c in t.latent if c.then]
    if not then:
        return
    import highspy
    h = _exact_model(t)
    for c in then:
        idx = np.array(sorted(c.coef), dtype=np.int32)
        h.changeColsCost(t.n_vars, np.arange(t.n_vars, dtype=np.int32), np.zeros(t.n_vars))
        h.changeColsCost(len(idx), idx, np.array([c.coef[i] for i in idx], dtype=np.float64))
        h.changeObjectiveSense(highspy.ObjSense.kMinimize)
        h.run()
        if h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
            c.value = max(c.value, int(np.ceil(h.getInfo().objective_function_value - 1e-6)))


def _true_of_the_data(t: Linked) -> bool:
    """Does every row of the table hold with each cell at its exact value? Each row is a fact about
    the data (or about an earlier version of them, over variables of its own), so it must: one that
    does not is a bug of the model, which the tests check for (SHOP_CHECK_ROWS=1)."""
    import highspy
    h = _exact_model(t)
    h.run()
    return h.getModelStatus() == highspy.HighsModelStatus.kOptimal


def _exact_model(t: Linked):
    """The table's program with every cell at its exact value: its rows and nothing hidden."""
    import highspy
    h = _highs()
    h.addVars(t.n_vars, np.zeros(t.n_vars), np.full(t.n_vars, highspy.kHighsInf))
    for coef, lo, hi in [(c.coef, float(c.value), float(c.value)) for c in t.cells] + list(t.rows):
        idx = np.array(sorted(coef), dtype=np.int32)
        h.addRow(lo, hi, len(idx), idx, np.array([coef[i] for i in idx], dtype=np.float64))
    return h


def _not_public(t: Linked, k: int, targets: list, public_rows: int | None = None) -> list:
    """The targets this table can still protect: a small count that the rest pins by itself, with
    every cell of this table not given already withheld (at least 1; a zero is always shown), is
    pinned by what was given before today (a ledger written before a rule) or by what other
    tables show today. Hiding this table's cells would only withhold what does not bind it; the
    caller hands it (`Linked.deferred`) to the table that can protect it, or it was public already.
    public_rows: only the first rows are public (see protect)."""
    rows = t.rows if public_rows is None else t.rows[:public_rows]
    # rows set by People served as released today (step 2b) are today's figures, wherever they
    # are read (helper-30: Q1's 15 people served held outreach's Q1 at 15 in the contacts' join,
    # so June's new people, 15 less April-May's 13 given before, were taken as public)
    rows = [r for i, r in enumerate(rows) if t.sources.get(i) not in NOT_PUBLIC]
    if len(rows) != len(t.rows):
        t = Linked(t.n_vars, cells=t.cells, rows=rows, latent=t.latent)
    if not any(c.locked for c in t.cells) and not t.rows:
        return targets
    aud = Auditor(t, k, public_only=True)
    if not aud.feasible():
        # the rows contradict one another, which true figures never do: the model is wrong, and
        # an unsolvable audit pins nothing. So nothing is taken as public and every small count
        # is protected here (each audit then fails the same way: more is hidden, never less)
        return targets
    return [c for c in targets if aud.check(c.coef, c.value)[0]]


def _complete(t: Linked, k: int, targets: list, aud: "Auditor", ceiling, final: bool = True,
              max_rounds: int = 60, last: bool = False) -> bool:
    """Hide complements (cost below `ceiling`) until every target is protected: True when done.
    In the final pass, what no complement can protect is withheld (`_withhold`)."""
    by_key = {c.key: c for c in t.cells}

    def hideable(x):
        return x.status in ("pub", "rnd") and x.value >= k and not x.locked and \
            (ceiling is None or cost(x.key, t.headlines) < ceiling)

    def roundable(x):  # rounding keeps a year or a quarter shown: allowed in every pass
        return x.key[0] in t.roundable and x.status == "pub" and x.value >= k and not x.locked

    def steps(x):  # the milder first
        return [s for s, ok in (("rnd", roundable(x)), ("sec", hideable(x))) if ok]

    pending = targets
    for _ in range(max_rounds):
        added, failing = set(), []
        for c in pending:
            ok, binding = aud.check(c.coef, c.value)
            if ok:
                continue
            failing.append(c)
            if binding & added:
                continue  # something pinning it was just hidden: look again next round
            cands = sorted((by_key[b] for b in binding if steps(by_key[b])), key=_order(c, t.headlines))
            chosen = None
            # the cheapest cell that alone protects it: rounding any of them before hiding any
            # (a month shown ≈10 rather than its quarter hidden)
            for st, x in [(st, x) for st in ("rnd", "sec") for x in cands[:8] if st in steps(x)]:
                was = x.status
                x.status = st
                aud.update(x)
                if aud.check(c.coef, c.value)[0]:
                    chosen = x
                    break
                x.status = was
                aud.update(x)
            if chosen is None:  # none alone: the cheapest that binds, else the cheapest anywhere
                rest = cands or sorted((x for x in t.cells if steps(x)), key=_order(c, t.headlines))[:1]
                if not rest:
                    continue
                chosen = rest[0]
                chosen.status = steps(chosen)[0]
                aud.update(chosen)
            added.add(chosen.key)
        if not failing:
            return True
        if not added:
            break
        pending = failing
    if not final:
        return False
    _withhold(t, aud, targets, last)
    return True


def _withhold(t: Linked, aud: "Auditor", targets: list, last: bool = False) -> None:
    """The last resort, when hiding counts of k or more cannot protect a small count: it is pinned
    by its own `<k` and its small neighbours (eight months of `<10` each at least 1 under a
    year's `<10`), or by a public floor (a year to date's sessions under its hidden quarters).
    Then a cell that pins it is withheld (shown as WITHHELD): the small count itself first, else a
    released cell that binds it, until every small count is protected. A zero is never withheld,
    so WITHHELD says "at least 1", and that is how it is audited here. A cell public through an
    earlier release is never withheld: that would hide nothing. A small count still pinned with
    every cell it could withhold withheld is pinned by what this table does not show (another
    table's figures, an earlier release's): the cells withheld for it hid nothing, so they are
    shown again, and the count is left to the caller (release._still_pinned hands it to the join
    that can protect it). Seed 1385 withheld every contacts-by-kind cell of a release so. But with
    `last` there is no one after: they stay withheld. What the audit still reads as pinned then is
    pinned only as it audits, each small difference it cannot see taken as known to be `<k` (a
    latent cell); the cells that pinned it as released are hidden. On 5 September, with every cell
    withheld, May's new people were 4 or 5 only with July-August's identified contacts taken as
    known `<10`; shown again, July-August's `<10` new people and contacts, beside the 5 August
    release, gave 4 or 5 to anyone (helper-45's seed 81)."""
    by_key = {c.key: c for c in t.cells}
    ok_cell = lambda x: x.status != "wh" and x.value >= 1 and not x.locked  # noqa: E731
    given_up: set = set()
    failing, mine = None, []   # the count being withheld for, and the cells withheld for it (their status before)
    for _ in range((len(targets) + 1) * (len(t.cells) + 1)):
        for c in targets:
            if id(c) in given_up:
                continue
            ok, binding = aud.check(c.coef, c.value)
            if not ok:
                break
        else:
            return
        if c is not failing:
            failing, mine = c, []
        own = by_key.get(c.key)
        if own is not None and own.status != "wh" and not own.locked:
            victim = own
        else:
            cands = [by_key[b] for b in binding if ok_cell(by_key[b])]
            if not cands:
                cands = [x for x in t.cells if ok_cell(x)]
                if not _protected_if_withheld(aud, c, cands):   # nothing this table shows pins it:
                    for x, status in ([] if last else reversed(mine)):   # show again what was withheld for it
                        x.status = status
                        aud.update(x)
                    given_up.add(id(c))
                    failing, mine = None, []
                    continue
            victim = min(cands, key=_order(c, t.headlines))
        mine.append((victim, victim.status))
        victim.status = "wh"
        aud.update(victim)


def _protected_if_withheld(aud: "Auditor", c: Cell, cells: list) -> bool:
    """Would withholding every one of `cells` protect the small count c? Asked once, the cells as
    they were after (withholding only widens ranges: if all of them cannot, no part of them can)."""
    was = [(x, x.status) for x in cells]
    for x in cells:
        x.status = "wh"
        aud.update(x)
    ok = aud.check(c.coef, c.value)[0]
    for x, status in was:
        x.status = status
        aud.update(x)
    return ok


def mark(c: Cell, k: int):
    """What a cell of a linked table shows: its value, or the mark of how it is hidden."""
    if c.status == "rnd":
        return suppress.rounded(c.value, k)
    return {"pub": c.value, "pri": suppress.primary_mark(k), "sec": suppress.SECONDARY,
            "wh": suppress.WITHHELD}[c.status]
