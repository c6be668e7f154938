"""The audit log: sign-ins, page views, exports and refusals, with user and time.

Kept in its own DuckDB file beside the database (`<db>.audit.duckdb`, table meta.audit):
the dashboard writes a row per page view, and writing those into the database itself would
fight the load's atomic swap (a copy of the whole database per click). Nothing about clients
is ever written here: pages, periods, formats, audiences and the signed-in staff member.
"""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import duckdb
import pandas as pd

from shop import settings

from . import db

_LOCK = threading.Lock()
DDL = """create schema if not exists meta;
create table if not exists meta.audit (
  logged_at timestamp not null,
  user_email varchar not null,
  role varchar,
  event varchar not null,     -- sign_in | page_view | export | refused
  page varchar,
  detail varchar
)"""


def path_for(database: Path | None = None) -> Path:
    d = Path(database or db.db_path())
    return d.with_name(d.name + ".audit.duckdb") if d.suffix else Path(str(d) + ".audit.duckdb")


def record(user: str, role: str | None, event: str, page: str = "", detail: str = "", database=None) -> None:
    """Append one row; never raises into a page (an audit hiccup must not hide the dashboard)."""
    p = path_for(database)
    row = [settings.now(), user[:200], role, event, page[:80], detail[:300]]
    for attempt in range(20):
        try:
            with _LOCK:
                p.parent.mkdir(parents=True, exist_ok=True)
                new = not p.exists()
                con = duckdb.connect(str(p))
                try:
                    if new:
                        os.chmod(p, 0o600)  # who looked at what: owner-only, like the database
                    con.execute(DDL)
                    con.execute("insert into meta.audit values (?, ?, ?, ?, ?, ?)", row)
                finally:
                    con.close()
            return
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():  # read-only folder, full disk: said by the load side, not retried
                return
            time.sleep(0.05 * (attempt + 1))  # another process (a CLI export) is writing: wait a moment
        except (duckdb.Error, OSError):
            return


def read(database=None) -> pd.DataFrame:
    p = path_for(database)
    if not p.exists():
        return pd.DataFrame(columns=["logged_at", "user_email", "role", "event", "page", "detail"])
    for attempt in range(20):
        try:
            with _LOCK:
                con = duckdb.connect(str(p), read_only=True)
                try:
                    return con.execute("select * from meta.audit order by logged_at desc").df()
                finally:
                    con.close()
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                break
            time.sleep(0.05 * (attempt + 1))
    return pd.DataFrame()
