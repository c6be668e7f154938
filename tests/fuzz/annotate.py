#!/usr/bin/env python
"""A pinning seed's messages (all releases together) beside the true values, computed from the
timeline alone (truth.py's files as each release had them). A kinds message of a shown cell names
no release: its true value is given for every release (a set when they differ).
usage: annotate.py SEED [SEED...]   (env ENGINE as for fuzz.py; reuses out/pkl/SEED.pkl)"""
import os
import pickle
import re
import sys
from pathlib import Path

args = sys.argv[1:]
sys.argv = [sys.argv[0]]
import fuzz  # noqa: E402
from truth import files_on, true_counts  # noqa: E402


def truth_of(msg, tl, rdays):
    def at(era, key, a, b):
        return true_counts(files_on(tl, rdays[era]), a, b).get(key, 0)

    def every(key, a, b):
        vals = [at(e, key, a, b) for e in range(len(rdays))]
        return vals[0] if len(set(vals)) == 1 else f"by release {vals}"

    m = re.match(r"persons: release (\d+): (\S+|new people|people not new) \((\d+), (\d+)\) is", msg)
    if m:
        era, what, a, b = int(m[1]), m[2], int(m[3]), int(m[4])
        key = {"new people": "N", "people not new": "P-N"}.get(what, "P")
        return at(era, key, a, b)
    m = re.match(r"persons: release (\d+): people of months (\d+)\.\.(\d+) is", msg)
    if m:
        return at(int(m[1]), "P", int(m[2]), int(m[3]))
    m = re.match(r"kinds: new people of months (\d+)\.\.(\d+) as release (\d+)", msg)
    if m:
        return at(int(m[3]), "N", int(m[1]), int(m[2]))
    m = re.match(r"kinds: people not new of month (\d+) as release (\d+)", msg)
    if m:
        return at(int(m[2]), "P-N", int(m[1]), int(m[1]))
    m = re.match(r"kinds: (\S+) (\S*) ?(.*?) ?\((\d+), (\d+)\) is", msg)
    if m:
        fam, dim, cat, a, b = m[1], m[2], m[3].strip(), int(m[4]), int(m[5])
        if fam == "new_people":
            key = "N"
        elif fam == "outreach.people":
            key = "P"
        elif dim == "kind":
            key = {"anonymous": "A", "new person": "C", "returning person": "R"}.get(cat)
        elif dim in ("mode", "worker_group"):
            key = None if cat in ("all others", "all") else cat
        else:
            key = "T"
        return every(key, a, b) if key else "?"
    return "?"


for s in args:
    seed = int(s)
    pkl = Path(os.environ.get("FUZZ_PKL", str(Path(__file__).parent / "out" / "pkl"))) / f"{seed}.pkl"
    rel = None
    if pkl.exists():
        saved = pickle.load(open(pkl, "rb"))
        if saved["engine"] == fuzz.ENGINE and saved["tl"] == fuzz.timeline(seed):
            tl, rel = saved["tl"], saved["rel"]
    if rel is None:
        tl = fuzz.timeline(seed)
        rel = fuzz.run_timeline(tl)
    rdays = [d for d, _ in rel]
    res = fuzz.attack(tl, rel)
    print(f"seed {seed}: {len(fuzz.messages(res))} pins {res['errors'] or ''}")
    for msg in fuzz.messages(res):
        print(f"    {msg}   [true: {truth_of(msg, tl, rdays)}]")
