"""Short-lived read-only access to the database, and its version for cache keys.

Loads swap a new file in atomically (etl/load.py), so a reader opens, queries and
closes; it never holds the file across reruns and never blocks a load. A long-lived
connection would be faster but wrong: DuckDB caches one instance per path in a process,
so while any connection stayed open, a "new" connection would keep reading the file
that a load had already replaced.
"""
from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

import duckdb

from etl import default_db


def db_path() -> Path:
    return default_db()


def version(path: str | Path | None = None) -> str:
    """Changes whenever a load swaps in a new file: the cache key of every query."""
    p = Path(path or db_path())
    try:
        st = p.stat()
    except OSError:
        return "missing"
    return f"{st.st_ino}-{st.st_mtime_ns}-{st.st_size}"


def has_data(path: str | Path | None = None) -> bool:
    p = Path(path or db_path())
    if not p.exists():
        return False
    with connect(p) as con:
        ok = con.execute("select count(*) from information_schema.tables "
                         "where table_schema = 'meta' and table_name = 'batches'").fetchone()[0]
        return bool(ok) and con.execute("select count(*) from meta.batches").fetchone()[0] > 0


@contextlib.contextmanager
def connect(path: str | Path | None = None):
    """A read-only connection for one piece of work (retries briefly if the file is busy)."""
    p = Path(path or db_path())
    last = None
    for attempt in range(20):
        try:
            con = duckdb.connect(str(p), read_only=True)
            break
        except duckdb.IOException as exc:  # a writer on this very file (an old-style load)
            last = exc
            time.sleep(0.05 * (attempt + 1))
    else:
        raise RuntimeError(f"the database {p} is busy: try again in a moment ({last})")
    try:
        yield con
    finally:
        con.close()


def query(sql: str, params=None, path: str | Path | None = None):
    """Run one query and return a pandas DataFrame."""
    with connect(path) as con:
        return con.execute(sql, params or {}).df()


def suite_units() -> int:
    """Safe Suite units: $SHOP_SUITE_UNITS, default 1."""
    try:
        return max(1, int(os.environ.get("SHOP_SUITE_UNITS", "1")))
    except ValueError:
        return 1
