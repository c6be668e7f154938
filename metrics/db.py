"""Read-only access to the database, and its version for cache keys.

Loads swap a new file in atomically (shop/store.py), so a reader never holds the file for
long: the reads of one moment (a page's dozen queries) share one read-only connection,
which is closed a quarter of a second after its last use (shop.store.shared_reader) and
opened again as soon as the file has changed. Kept open for good it would be wrong:
DuckDB keeps one instance per path in a process, so while any connection stayed open, a
"new" connection would keep reading the file a load had already replaced, and a note or
frozen report written in place would wait for it.

A damaged or forbidden file raises its DatabaseFault (Damaged, NoAccess) at once, never
retried as if it were busy: pages show `fault.for_page(staff)`, the command line `str(fault)`.
"""
from __future__ import annotations

import functools

from pathlib import Path

from shop import settings
from shop.store import Busy, DatabaseFault, Damaged, NoAccess, read_only, shared_reader  # noqa: F401 (the read side's faults)


def db_path() -> Path:
    return settings.db_path()


def version(path: str | Path | None = None) -> str:
    """Changes whenever a load swaps in a new file or a write changes it: the cache key of every
    query. The file's time (to the nanosecond) and size, not its inode: a copy that keeps both
    (a restore, `cp -p`) holds the same figures and may use what was kept for the original."""
    p = Path(path or db_path())
    try:
        st = p.stat()
    except OSError:
        return "missing"
    return f"{st.st_mtime_ns}-{st.st_size}"


def has_data(path: str | Path | None = None) -> bool:
    p = Path(path or db_path())
    if not p.exists():
        return False
    return _has_data(str(p), version(p))


@functools.lru_cache(maxsize=32)
def _has_data(path: str, version: str) -> bool:
    """Asked several times by every page: opened once per database file version."""
    del version  # the cache key only
    with connect(path) as con:
        ok = con.execute("select count(*) from information_schema.tables "
                         "where table_schema = 'meta' and table_name = 'batches'").fetchone()[0]
        return bool(ok) and con.execute("select count(*) from meta.batches").fetchone()[0] > 0


def connect(path: str | Path | None = None):
    """A read-only cursor for one piece of work (retries briefly only if another program writes)."""
    return shared_reader(Path(path or db_path()))


def query(sql: str, params=None, path: str | Path | None = None):
    """Run one query and return a pandas DataFrame."""
    with connect(path) as con:
        return con.execute(sql, params or {}).df()


def suite_units() -> int:
    """Safe Suite units: $SHOP_SUITE_UNITS, default 1."""
    return settings.suite_units()
