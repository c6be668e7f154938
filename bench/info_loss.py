"""Information loss of the release engine: the share of counts of k or more that the External
view hides, by grain (fiscal year, quarter, month, breakdown category), on the demo and on a small
program. `python -m bench.info_loss` prints the table; `make bench` runs it too.

A count of k or more is never hidden by primary suppression, so every one hidden here is a
complementary cell (`x`) or a withheld one (`w`): the cost of protecting the small counts."""
from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def grain(key: tuple) -> str:
    _, (a, b), dim, _ = key
    n = b - a + 1
    g = "year" if n == 12 else "quarter" if n == 3 and a % 3 == 0 else "month" if n == 1 else "to date"
    return g if dim is None else f"{g} breakdown"


def loss(db: Path, fy: int, today: dt.date) -> tuple[Counter, Counter, list]:
    """(counts of k or more by grain, those hidden (and people counts shown rounded, as
    "<grain> people rounded"), the hidden fiscal-year figures)."""
    from metrics import db as mdb
    from metrics import release, suppress
    k = suppress.threshold()
    rel = release.year(fy, db, today)
    with mdb.connect(db) as con:
        exact = release.exact_cells(con, fy, today)
    big, hidden, fy_hidden = Counter(), Counter(), []
    for key, shown in rel.cells.items():
        v = exact.get(key)
        if v is None or v < k or not release.FAMILIES[key[0]].disclosive:
            continue
        g = grain(key)
        big[g] += 1
        if isinstance(shown, str):
            hidden[g] += 1
            if g == "year":
                fy_hidden.append(f"{key[0]} {v}")
    for (ind, span), shown in rel.people.items():
        v = exact.get((ind, span))
        if v is None or v < k:
            continue
        g = grain((ind, span, None, None)) + " people"
        big[g] += 1
        if suppress.rounded_bounds(shown, k) is not None:   # shown, to the nearest k
            hidden[g + " rounded"] += 1
        elif isinstance(shown, str):
            hidden[g] += 1
            if g.startswith("year"):
                fy_hidden.append(f"{ind} {v}")
    return big, hidden, fy_hidden


def main() -> int:
    os.environ.setdefault("SHOP_HASH_KEY", "bench-key-not-secret-0123456789abcdef")
    import small_program
    from etl import demo
    from etl.load import load
    from shop import periods
    today = dt.date(2026, 5, 5)  # FY2025-26 closed: its year, quarters and months all released
    fy = periods.fy_start_year(today) - 1
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        recs = demo.generate(seed=7, years=2, today=dt.date(2026, 4, 30))
        demo.write_files(recs, tmp / "demo")
        load([tmp / "demo"], tmp / "demo.duckdb", say=lambda *_: None)
        for name, db in (("demo", tmp / "demo.duckdb"), ("small program", small_program.build(tmp / "small", today))):
            big, hidden, fy_hidden = loss(db, fy, today)
            for g in sorted(big):
                rows.append((name, g, big[g], hidden[g]))
                if g.endswith("people"):
                    rows.append((name, g + " rounded", big[g], hidden[g + " rounded"]))
            rows.append((name, "fiscal-year figures of k or more hidden", len(fy_hidden), ", ".join(fy_hidden) or "none"))
    print(f"{'program':<14} {'grain':<28} {'cells >= k':>10} {'hidden':>8}")
    for r in rows:
        if isinstance(r[3], str):
            print(f"{r[0]:<14} {r[1]}: {r[3]}")
        else:
            print(f"{r[0]:<14} {r[1]:<28} {r[2]:>10} {r[3]:>8} ({100 * r[3] / max(r[2], 1):.0f} %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
