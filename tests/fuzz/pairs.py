#!/usr/bin/env python
"""For a pinning seed: the attackers on each release alone and on every pair of releases (the
later one as now, months changed between them as fuzz.py computes them), to tell a pin within one
release from one across releases.

usage: pairs.py [--all] SEED   (env ENGINE as for fuzz.py; reuses out/pkl/SEED.pkl when it was
made with the same ENGINE, else runs the timeline again). --all: print the clean ones too."""
import os
import pickle
import sys
from pathlib import Path

args = sys.argv[1:]
sys.argv = [sys.argv[0]]
import fuzz  # noqa: E402

show_all = "--all" in args
seed = int([a for a in args if a != "--all"][0])
pkl = Path(os.environ.get("FUZZ_PKL", str(Path(__file__).parent / "out" / "pkl"))) / f"{seed}.pkl"
tl = rel = None
if pkl.exists():
    with open(pkl, "rb") as fh:
        saved = pickle.load(fh)
    if saved["engine"] == fuzz.ENGINE and saved["tl"] == fuzz.timeline(seed):
        tl, rel = saved["tl"], saved["rel"]
if rel is None:
    tl = fuzz.timeline(seed)
    rel = fuzz.run_timeline(tl)


def day(i):
    m, d = rel[i][0]
    return f"2025-{m:02d}-{d:02d}"


print(f"seed {seed}: {len(rel)} releases: " + ", ".join(f"{i}={day(i)}" for i in range(len(rel))))
full = fuzz.attack(tl, rel)
print(f"all together: {len(fuzz.messages(full))} pins" + (f", errors {full['errors']}" if full["errors"] else ""))
alone = {}
for i in range(len(rel)):
    res = fuzz.attack(tl, rel, [i])
    alone[i] = fuzz.messages(res)
    if alone[i] or res["errors"] or show_all:
        print(f"alone {i} ({day(i)}): {'PIN ' + str(len(alone[i])) if alone[i] else 'clean'} {res['errors'] or ''}")
        for m in alone[i]:
            print(f"    {m}")
pairs = []
for i in range(len(rel)):
    for j in range(i + 1, len(rel)):
        res = fuzz.attack(tl, rel, [i, j])
        msgs = fuzz.messages(res)
        ch = fuzz.changed_between(tl, rel[i][0], rel[j][0])
        if msgs or res["errors"] or show_all:
            tag = "PIN" if msgs else "clean"
            extra = " (neither alone pins)" if msgs and not alone[i] and not alone[j] else ""
            print(f"pair {i},{j} ({day(i)} + {day(j)}; changed between: {sorted(ch[0])} {ch[1]}): "
                  f"{tag} {len(msgs)}{extra} {res['errors'] or ''}")
            for m in msgs:
                print(f"    {m}   [release 0 = {i}, release 1 = {j}]")
        if msgs:
            pairs.append((i, j, bool(alone[i] or alone[j])))
print("summary: single releases pinning:", [i for i in alone if alone[i]] or "none",
      "; pairs pinning:", [(i, j) for i, j, _ in pairs] or "none",
      "; pairs pinning where neither alone does:", [(i, j) for i, j, a in pairs if not a] or "none")
