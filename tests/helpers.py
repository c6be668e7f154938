"""Tiny files written by tests: a good row per log type, built from the contract."""
from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

from shop.contract import CODE, DATE, ENUM, INT, LOG_TYPES, MULTI, NUMBER, YESNO

GOOD_DATE = "2025-03-07"  # a Friday


def good_value(lt_name: str, f, i: int = 0) -> str:
    if f.kind == DATE:
        return GOOD_DATE
    if f.kind == CODE:
        return f"QA{10 + i:02d}K"
    if f.kind in (ENUM, MULTI):
        return f.values[i % len(f.values)]
    if f.kind == YESNO:
        return "yes"
    if f.kind in (INT, NUMBER):
        return str(int(f.lo or 0) + 1 + i % 5)
    if lt_name == "targets":
        return {"fiscal_year": "FY2024-25", "indicator": "outreach.contacts"}[f.name]
    return f"Program note {i}"


def good_row(lt_name: str, i: int = 0) -> dict:
    return {f.name: good_value(lt_name, f, i) for f in LOG_TYPES[lt_name].fields}


def write_csv(path: Path, header: list[str], rows: list[list], encoding="utf-8", delimiter=",", pre=()) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding=encoding) as fh:
        w = csv.writer(fh, delimiter=delimiter)
        for p in pre:
            w.writerow(p)
        w.writerow(header)
        w.writerows(rows)
    return path


def write_rows(path: Path, lt_name: str, rows: list[dict], **kw) -> Path:
    names = [f.name for f in LOG_TYPES[lt_name].fields]
    return write_csv(path, names, [[r.get(n, "") for n in names] for r in rows], **kw)


def all_text_in_db(db: Path) -> str:
    """Every text value stored anywhere in the database, joined (to prove a value is not there)."""
    import duckdb
    con = duckdb.connect(str(db), read_only=True)
    try:
        cols = con.execute("""select table_schema, table_name, column_name from information_schema.columns
                              where data_type like 'VARCHAR%' and table_schema in ('core', 'meta', 'marts')""").fetchall()
        parts = []
        for s, t, c in cols:
            parts += [str(v[0]) for v in con.execute(f'select "{c}" from {s}.{t}').fetchall()]
        return "\n".join(parts)
    finally:
        con.close()


def query(db: Path, sql: str, params=()) -> list[tuple]:
    """The rows of a query on a database file, opened read-only and closed again."""
    import duckdb
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def future() -> str:
    """A date three days after the product's today (the test's clock), as logged text."""
    from shop import settings
    return (settings.today() + dt.timedelta(days=3)).isoformat()


def copy_db(src: Path, dst: Path) -> Path:
    """A copy of a test database that keeps its time and size (so metrics.db.version is the same)
    and the released tables kept beside it (`<db>.release/`): a dashboard or CLI on the copy
    starts warm, as on the original, instead of building each year's released table again."""
    shutil.copy2(src, dst)
    kept = Path(str(src) + ".release")
    if kept.is_dir():
        shutil.copytree(kept, Path(str(dst) + ".release"), dirs_exist_ok=True)
    return dst
