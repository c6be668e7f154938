#!/usr/bin/env python
"""The true counts behind a seed's releases (from its timeline alone, no engine): per release, per
month of the year: contacts T, anonymous A, people P (identified codes met), new people N (first
met then, March counting as before the year), people not new P-N; with -s a..b also the spans.
usage: truth.py SEED [a..b ...]"""
import random  # noqa: F401
import sys

args = sys.argv[1:]
sys.argv = [sys.argv[0]]
import fuzz  # noqa: E402


def files_on(tl, day):
    """{month: rows (day, code, mode, group)} as loaded by `day` (March as 3)."""
    out = {}
    if tl["march"] is not None:
        out[3] = tl["march"]
    for m, rows, loaded, _ in tl["steps"]:
        if rows is not None and loaded < day:
            out[m] = rows
    return {m: [w.split(":") for w in rows.split()] for m, rows in out.items()}


def true_counts(files, a, b):
    """Months a..b (positions): contacts T, anonymous A, of a new person C, returning R, people P,
    new people N, people not new P-N, and each mode and worker group."""
    months = range(a + 4, b + 5)
    first = {}
    for m in sorted(files):
        for d, code, *_ in sorted(files[m], key=lambda w: int(w[0])):
            if code != "-":
                first.setdefault(code, (m, int(d)))
    rows = [(m, w) for m in months for w in files.get(m, [])]
    people = {w[1] for _, w in rows if w[1] != "-"}
    new = {c for c in people if first[c][0] in months}
    out = {"T": len(rows), "A": sum(w[1] == "-" for _, w in rows),
           "C": sum(w[1] != "-" and first[w[1]] == (m, int(w[0])) for m, w in rows),
           "P": len(people), "N": len(new), "P-N": len(people) - len(new)}
    out["R"] = out["T"] - out["A"] - out["C"]
    for _, w in rows:
        out[w[2]] = out.get(w[2], 0) + 1
        g = w[3] if len(w) > 3 else "outdoor"
        out[g] = out.get(g, 0) + 1
    return out


def counts(files, a, b):
    """(contacts, anonymous, people, new people, people not new) of months a..b (positions)."""
    c = true_counts(files, a, b)
    return c["T"], c["A"], c["P"], c["N"], c["P-N"]


def main():
    seed = int(args[0])
    spans = [tuple(int(x) for x in s.split("..")) for s in args[1:]]
    tl = fuzz.timeline(seed)
    rdays = [s[3] for s in tl["steps"] if s[3] is not None]
    n = tl["months"]
    print(f"seed {seed}: (T contacts, A anonymous, P people, N new, P-N not new)")
    for i, day in enumerate(rdays):
        f = files_on(tl, day)
        cells = [f"{j}:{counts(f, j, j)}" for j in range(n) if j + 4 in f]
        cells += [f"{a}..{b}:{counts(f, a, b)}" for a, b in spans]
        print(f"release {i} 2025-{day[0]:02d}-{day[1]:02d}: " + "  ".join(cells))


if __name__ == "__main__":
    main()
