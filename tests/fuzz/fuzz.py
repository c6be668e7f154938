#!/usr/bin/env python
"""Fuzz the release engine's revisions: random first-year timelines of outreach files (a file a
month, released on the 5th, then corrections and extra releases), every release kept, attacked
together by the independent attacker models of tests/test_release_revisions.py.

usage: fuzz.py [-v] [--save DIR] SEED [SEED...]
  env ENGINE=/path/to/a/git-archive-copy   import metrics/shop/etl from there (tests from this checkout's tests/)

One line per seed: `SEED clean`, `SEED PIN <n> <first 3 messages>`, `SEED nothing` (no small count
for either attacker), or `SEED ERROR <what>`.
"""
from __future__ import annotations

import datetime as dt
import pickle
import random
import sys
import tempfile
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _env import ENGINE, WORK  # noqa: E402  (sets up the engine's path and environment)

import pytest  # noqa: E402
import time_machine  # noqa: E402

import clock as test_clock  # noqa: E402  (tests/clock.py)
import test_release_revisions as T  # noqa: E402
from etl.load import load  # noqa: E402
from helpers import write_rows  # noqa: E402
from metrics import release  # noqa: E402

assert Path(release.__file__).resolve().is_relative_to(Path(ENGINE).resolve()), release.__file__


def _attackers():
    """tests' persons_pinned and kinds_pinned (their source, read from the test file), with two
    fix for releases made before every month was loaded (the tests give them releases of the
    whole run): whole_range takes an unbounded end (a count of months a release had not seen yet,
    free in its variables) as unbounded rather than failing its `assert kOptimal` (an infeasible
    model still fails). The models are otherwise the tests' own."""
    import inspect
    import textwrap

    import highspy
    import numpy as np
    import math

    def whole_range(h, cost):
        ends = []
        for sense in (highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize):
            h.changeColsCost(len(cost), np.arange(len(cost), dtype=np.int32), cost)
            h.changeObjectiveSense(sense)
            h.run()
            st = h.getModelStatus()
            if st == highspy.HighsModelStatus.kOptimal:
                ends.append(h.getInfo().objective_function_value)
                continue
            # unbounded, or HiGHS cannot tell unbounded from infeasible: feasible at all?
            h.changeColsCost(len(cost), np.arange(len(cost), dtype=np.int32), np.zeros(len(cost)))
            h.run()
            assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal, f"model infeasible ({st})"
            assert st in (highspy.HighsModelStatus.kUnbounded, highspy.HighsModelStatus.kUnboundedOrInfeasible), st
            ends.append(-1e12 if sense == highspy.ObjSense.kMinimize else 1e12)
        return math.ceil(ends[0] - 1e-6), math.floor(ends[1] + 1e-6)

    ns = dict(T.__dict__)
    ns["whole_range"] = whole_range
    out = {}
    for name in ("persons_pinned", "kinds_pinned"):
        src = textwrap.dedent(inspect.getsource(getattr(T, name)))
        exec(compile(src, T.__file__, "exec"), ns)
        out[name] = ns[name]
    return out["persons_pinned"], out["kinds_pinned"]


persons_pinned, kinds_pinned = _attackers()

MODES = "street drop_in online phone_text escort_agency safe_suite court hospital other".split()
GROUPS = "outdoor indoor online exited unknown".split()
LAST_DAY = 28


# ---------------------------------------------------------------- the random timeline

class Gen:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.modes = rng.sample(MODES, rng.choice([1, 2, 2, 3, 3, 4, 5]))
        self.mode_w = [rng.choice([1, 2, 4, 8]) for _ in self.modes]
        self.groups = rng.sample(GROUPS, rng.choice([1, 2, 2, 3]))
        self.group_w = [rng.choice([1, 2, 4, 8]) for _ in self.groups]
        self.anon = rng.choice([0.0, 0.05, 0.1, 0.2, 0.35, 0.5])
        self.back = rng.uniform(0.1, 0.7)      # an identified contact is of someone met already
        self.pool = [f"QZ{i:04d}" for i in range(600)]
        rng.shuffle(self.pool)
        self.seen: list[str] = []

    def size(self) -> int:
        r = self.rng.random()
        if r < 0.05:
            return 0
        if r < 0.40:
            return self.rng.randint(1, 9)
        if r < 0.75:
            return self.rng.randint(10, 25)
        return self.rng.randint(26, 45)

    def code(self, anon_ok=True) -> str:
        rng = self.rng
        if anon_ok and rng.random() < self.anon:
            return "-"
        if self.seen and rng.random() < self.back:
            return rng.choice(self.seen)
        c = self.pool.pop() if self.pool else rng.choice(self.seen)
        self.seen.append(c)
        return c

    def mode(self, other_than=None) -> str:
        choices = [m for m in self.modes if m != other_than] or [m for m in MODES if m != other_than]
        w = [self.mode_w[self.modes.index(m)] if m in self.modes else 1 for m in choices]
        return self.rng.choices(choices, w)[0]

    def group(self, other_than=None) -> str:
        choices = [g for g in self.groups if g != other_than] or [g for g in GROUPS if g != other_than]
        w = [self.group_w[self.groups.index(g)] if g in self.groups else 1 for g in choices]
        return self.rng.choices(choices, w)[0]

    def row(self) -> tuple:
        return (self.rng.randint(1, LAST_DAY), self.code(), self.mode(), self.group())

    def month(self, n=None) -> list[tuple]:
        n = self.size() if n is None else n
        rows = []
        for _ in range(n):
            rows.append(self.row())
        return rows

    def corrected(self, rows: list[tuple]) -> tuple[list[tuple], list[str]]:
        """rows edited: some removed, added, a code renamed, an anonymous made identified, a mode or
        a worker group changed; (the rows, what was done)."""
        rng = self.rng
        rows = list(rows)
        done = []
        kinds = ["remove", "add", "rename", "identify", "mode", "group", "anonymise"]
        for kind in rng.sample(kinds, rng.choice([1, 1, 2, 2, 3])):
            if kind == "remove" and len(rows) > 1:
                for _ in range(min(rng.randint(1, 3), len(rows) - 1)):
                    rows.pop(rng.randrange(len(rows)))
                done.append(kind)
            elif kind == "add":
                rows += [self.row() for _ in range(rng.randint(1, 3))]
                done.append(kind)
            elif kind == "rename":
                codes = sorted({r[1] for r in rows if r[1] != "-"})
                if codes:
                    old = rng.choice(codes)
                    new = self.code(anon_ok=False)
                    rows = [(d, new if c == old else c, m, g) for d, c, m, g in rows]
                    done.append(f"rename {old}->{new}")
            elif kind == "identify":
                anon = [i for i, r in enumerate(rows) if r[1] == "-"]
                if anon:
                    i = rng.choice(anon)
                    d, _, m, g = rows[i]
                    rows[i] = (d, self.code(anon_ok=False), m, g)
                    done.append(kind)
            elif kind == "anonymise":
                ided = [i for i, r in enumerate(rows) if r[1] != "-"]
                if ided:
                    i = rng.choice(ided)
                    d, _, m, g = rows[i]
                    rows[i] = (d, "-", m, g)
                    done.append(kind)
            elif kind == "mode" and rows:
                i = rng.randrange(len(rows))
                d, c, m, g = rows[i]
                rows[i] = (d, c, self.mode(other_than=m), g)
                done.append(kind)
            elif kind == "group" and rows:
                i = rng.randrange(len(rows))
                d, c, m, g = rows[i]
                rows[i] = (d, c, m, self.group(other_than=g))
                done.append(kind)
        if not done:   # nothing applied: add a row
            rows.append(self.row())
            done.append("add")
        return rows, done


def words(rows: list[tuple]) -> str:
    return " ".join(f"{d}:{c}:{m}" + ("" if g == "outdoor" else f":{g}") for d, c, m, g in rows)


def timeline(seed: int) -> dict:
    """{'march': words or None, 'steps': [(month, words or None, (m, d) loaded or None, (m, d) released or None)],
    'notes': [...]}: steps as tests' _loaded_and_released takes them, plus release-only steps
    (None, None, None, day)."""
    rng = random.Random(seed)
    g = Gen(rng)
    march = words(g.month(rng.randint(0, 30))) if rng.random() < 0.35 else None
    last = rng.choice([5, 6, 7, 7, 8, 8, 8])
    files = {}
    events = []   # (date (m, d), order, kind, data)
    for m in range(4, last + 1):
        files[m] = g.month()
        if not files[m] and rng.random() < 0.5:
            files[m] = g.month(rng.randint(1, 3))
        events.append(((m + 1, 3), 0, "load", m))
        events.append(((m + 1, 5), 1, "release", None))
    used = {e[0] for e in events}
    notes = []
    for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
        for _try in range(50):
            m = rng.randint(4, last)
            M = rng.randint(m + 1, last + 1)
            d = rng.randint(6, 25)
            r = d + rng.randint(1, 2)
            if (M, d) not in used and (M, r) not in used:
                used |= {(M, d), (M, r)}
                events.append(((M, d), 0, "correct", m))
                events.append(((M, r), 1, "release", None))
                break
    for _ in range(rng.choice([0, 0, 1, 2])):
        M, d = rng.randint(5, last + 1), rng.choice([11, 19])
        if (M, d) not in used:
            used.add((M, d))
            events.append(((M, d), 1, "release", None))
    events.sort()
    current = dict(files)
    steps = []
    for i, (day, _, kind, m) in enumerate(events):
        if kind == "release":
            if steps and steps[-1][1] is not None and steps[-1][3] is None:
                steps[-1] = steps[-1][:3] + (day,)
            else:
                steps.append((None, None, None, day))
            continue
        if kind == "correct":
            rows, done = g.corrected(current[m])
            if sorted(rows) == sorted(current[m]):
                rows = rows + [g.row()]
                done.append("add")
            current[m] = rows
            notes.append(f"{day}: month {m} corrected: {', '.join(done)}")
        steps.append((m, words(current[m]), day, None))
    return {"march": march, "steps": steps, "notes": notes, "months": last - 3}


# ---------------------------------------------------------------- the engine, as the tests drive it

def run_timeline(tl: dict) -> list:
    """tests' _loaded_and_released, with release-only steps: the releases (with their days)."""
    base = Path(tempfile.mkdtemp(dir=WORK))
    inbox, db = base / "inbox", base / "shop.duckdb"
    out = []
    steps = list(tl["steps"])
    if tl["march"] is not None:
        steps = [(3, tl["march"], (4, 2), None)] + steps
    mp = pytest.MonkeyPatch()
    try:
        with time_machine.travel(test_clock.TEST_NOW, tick=True):
            for m, rows, loaded, day in steps:
                if rows is not None:
                    f = inbox / f"outreach_2025-{m:02d}.csv"
                    write_rows(f, "outreach", T._outreach_rows(m, rows))
                    T.at(mp, dt.date(2025, *loaded))
                    st = [o.status for o in load([f], db, say=lambda *_: None)]
                    # an empty file (no contact that month) has the bytes of another empty one: already loaded
                    assert st in (["loaded"], ["replaced"]) or (st == ["already loaded"] and not rows.strip()), \
                        (m, loaded, st)
                if day is not None:
                    T.at(mp, dt.date(2025, *day))
                    out.append((day, release.year(2025, db, dt.date(2025, *day))))
    finally:
        mp.undo()
    return out


def loads_of(tl: dict) -> list:
    """[(day loaded, month, 'load' | 'replace')] of April on."""
    seen, out = set(), []
    for m, rows, loaded, _ in tl["steps"]:
        if rows is not None:
            out.append((loaded, m, "replace" if m in seen else "load"))
            seen.add(m)
    return out


def changed_between(tl: dict, day_r, day_now) -> tuple[set, dict]:
    """The months (positions in the year) whose data changed after a release of day_r up to one
    of day_now: (for persons_pinned, a set: every file loaded or replaced in between; for
    kinds_pinned, {month: letters}: a file loaded or replaced in between NPTCRA, and the months
    after a replaced one, whose new people and kinds may have moved with it, NCR)."""
    touched = {m - 4: kind for (day, m, kind) in loads_of(tl) if day_r < day <= day_now}
    whole = {i: "NPTCRA" for i in touched}
    replaced = [i for i, k in touched.items() if k == "replace"]
    if replaced:
        for i in range(min(replaced) + 1, tl["months"]):
            whole.setdefault(i, "NCR")
    return set(touched), whole


def attack(tl: dict, rel: list, idx: list | None = None) -> dict:
    """Both attackers over the releases rel[idx] (all by default), the last of them as now:
    {'persons': [...] | None (nothing to test), 'kinds': ..., 'errors': [...]}."""
    idx = list(range(len(rel))) if idx is None else idx
    sub = [rel[i] for i in idx]
    now = sub[-1][0]
    ch = [changed_between(tl, day, now) for day, _ in sub]
    releases = [r for _, r in sub]
    months = tl["months"]
    res = {"errors": []}
    for name, fn in (
        ("persons", lambda: persons_pinned(releases, months, [c[0] for c in ch], contacts=True)),
        ("kinds", lambda: kinds_pinned(releases, months, first_year=tl["march"] is None,
                                         changed=[c[1] for c in ch], not_new=True, new_runs=True, modes=True)),
    ):
        try:
            res[name] = fn()
        except AssertionError as e:
            if "no small count" in str(e):
                res[name] = None
            else:
                res[name] = None
                res["errors"].append(f"{name}: AssertionError {e!s:.200} @ {_where(e)}")
        except Exception as e:  # noqa: BLE001
            res[name] = None
            res["errors"].append(f"{name}: {type(e).__name__} {e!s:.200} @ {_where(e)}")
    return res


def _where(e) -> str:
    tb = traceback.extract_tb(e.__traceback__)
    return f"{Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else "?"


def messages(res: dict) -> list[str]:
    return [f"{k}: {m}" for k in ("persons", "kinds") for m in (res.get(k) or [])]


def small_cells(rel: list) -> tuple[int, int]:
    """(`<10` values over every release's cells and people, those of the last release)."""
    def n(r):
        return sum(v == "<10" for v in r.cells.values()) + sum(v == "<10" for v in r.people.values())
    return sum(n(r) for _, r in rel), n(rel[-1][1]) if rel else 0


def show_timeline(tl: dict, rel: list | None = None) -> str:
    lines = []
    if tl["march"] is not None:
        lines.append(f"march = {tl['march']!r}")
    else:
        lines.append("march = None")
    lines.append("steps = [")
    for m, rows, loaded, day in tl["steps"]:
        lines.append(f"    ({m!r}, {rows!r}, {loaded!r}, {day!r}),")
    lines.append("]")
    if any(s[1] is None for s in tl["steps"]):
        lines.append("# (None, None, None, day): a release alone (no file loaded): "
                     "_loaded_and_released needs a release-only step for it")
    for n in tl["notes"]:
        lines.append(f"# {n}")
    lines.append(f"# months: {tl['months']}, first year: {tl['march'] is None}")
    if rel is not None:
        for i, (day, r) in enumerate(rel):
            s = sum(v == "<10" for v in r.cells.values()) + sum(v == "<10" for v in r.people.values())
            lines.append(f"# release {i}: 2025-{day[0]:02d}-{day[1]:02d}, `<10` cells: {s}")
    return "\n".join(lines)


def run_seed(seed: int, verbose=False, save: Path | None = None) -> tuple[str, dict, list, dict]:
    tl = timeline(seed)
    if verbose:
        print(show_timeline(tl), flush=True)
    try:
        rel = run_timeline(tl)
    except Exception as e:  # noqa: BLE001
        tb = traceback.format_exc()
        return f"{seed} ERROR engine {type(e).__name__} {e!s:.300} @ {_where(e)}", tl, [], {"tb": tb}
    if save is not None:
        save.mkdir(parents=True, exist_ok=True)
        with open(save / f"{seed}.pkl", "wb") as fh:
            pickle.dump({"engine": ENGINE, "tl": tl, "rel": rel}, fh)
    res = attack(tl, rel)
    total, last = small_cells(rel)
    if verbose:
        for i, (day, r) in enumerate(rel):
            s = sum(v == "<10" for v in r.cells.values()) + sum(v == "<10" for v in r.people.values())
            print(f"# release {i}: 2025-{day[0]:02d}-{day[1]:02d}, `<10` cells: {s}")
        print(f"# small cells: {total} over {len(rel)} releases ({last} in the last)")
    msgs = messages(res)
    if res["errors"]:
        line = f"{seed} ERROR {len(res['errors'])} {' | '.join(res['errors'][:3])}"
        if msgs:
            line += f" ;; PIN {len(msgs)} {' | '.join(msgs[:3])}"
    elif msgs:
        line = f"{seed} PIN {len(msgs)} {' | '.join(msgs[:3])}"
    elif res["persons"] is None and res["kinds"] is None:
        line = f"{seed} nothing"
    else:
        line = f"{seed} clean"
    if verbose and len(msgs) > 3:
        for m in msgs:
            print(f"#   {m}")
    return line, tl, rel, res


def main(argv):
    verbose = "-v" in argv
    save = None
    args = [a for a in argv if a != "-v"]
    if "--save" in args:
        i = args.index("--save")
        save = Path(args[i + 1])
        del args[i:i + 2]
    for a in args:
        line, *_ = run_seed(int(a), verbose, save)
        print(line, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
