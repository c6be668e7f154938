"""The audit log: sign-ins and sign-outs, page views, downloads, exports, freezes, notes and refusals.

Kept in its own DuckDB file beside the database (`<db>.audit.duckdb`, table meta.audit):
the dashboard writes a row per page view, and writing those into the database itself would
fight the load's atomic swap (a copy of the whole database per click). Nothing about clients
is ever written here: pages, periods, formats, audiences, the signed-in staff member and the
address their browser connected from.

The log fails closed: `record` raises AuditError when the row cannot be written, and callers
refuse the export or the staff view rather than serve it unrecorded. The same file keeps the
sign-outs (meta.signouts), so that a copy of a sign-in cookie taken before a sign-out is refused
afterwards.
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
COLUMNS = ["logged_at", "user_email", "role", "event", "page", "detail", "client"]
DDL = """create schema if not exists meta;
create table if not exists meta.audit (
  logged_at timestamp not null,
  user_email varchar not null,
  role varchar,
  event varchar not null,     -- sign_in | sign_out | page_view | download | export | freeze | note | refused
  page varchar,
  detail varchar
);
alter table meta.audit add column if not exists client varchar;  -- the address the request came from
create table if not exists meta.signouts (
  identity varchar not null,   -- issuer and subject of the identity token
  signed_out_at double not null -- seconds since the epoch: tokens issued before this are refused
)"""


class AuditError(RuntimeError):
    """The audit log could not be written: refuse what was to be recorded."""


def path_for(database: Path | None = None) -> Path:
    d = Path(database or db.db_path())
    return d.with_name(d.name + ".audit.duckdb") if d.suffix else Path(str(d) + ".audit.duckdb")


def _private(p: Path) -> None:
    """Owner-only permissions on the log and DuckDB's write-ahead file beside it."""
    for f in (p, Path(str(p) + ".wal")):
        try:
            if f.exists():
                os.chmod(f, 0o600)
        except OSError:
            pass


BUSY_FOR = 30.0  # seconds a write waits for another process (a CLI export, a reader) before it gives up


def _write(p: Path, *statements: tuple[str, list]) -> None:
    """Run `statements` (sql, params) in one transaction: all of them are written, or none."""
    last: Exception | None = None
    deadline = time.monotonic() + BUSY_FOR
    attempt = 0
    while True:
        try:
            with _LOCK:
                p.parent.mkdir(parents=True, exist_ok=True)
                con = duckdb.connect(str(p))
                try:
                    _private(p)  # owner-only before the first row: who looked at what is confidential too
                    con.execute(DDL)
                    con.execute("begin")
                    for sql, params in statements:
                        con.execute(sql, params)
                    con.execute("commit")
                finally:
                    con.close()
                _private(p)
            return
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():  # read-only folder, full disk: said at once, not retried
                raise AuditError(f"the audit log {p.name} could not be written ({type(exc).__name__})") from exc
            last = exc  # another process (a CLI export, a reader) has the file: wait a moment
            attempt += 1
            if time.monotonic() > deadline:
                break
            time.sleep(min(0.05 * attempt, 0.5))
        except (duckdb.Error, OSError) as exc:
            raise AuditError(f"the audit log {p.name} could not be written ({type(exc).__name__})") from exc
    raise AuditError(f"the audit log {p.name} is busy ({type(last).__name__})")


def record(user: str, role: str | None, event: str, page: str = "", detail: str = "", database=None,
           client: str | None = None) -> None:
    """Append one row, or raise AuditError: the caller must then refuse what it was recording."""
    _write(path_for(database), _row(user, role, event, page, detail, client))


_INSERT = "insert into meta.audit (logged_at, user_email, role, event, page, detail, client) values (?, ?, ?, ?, ?, ?, ?)"


def _row(user, role, event, page="", detail="", client=None) -> tuple[str, list]:
    return _INSERT, [settings.now(), (user or "")[:200], role, event, (page or "")[:80],
                     (detail or "")[:300], (client or None) and client[:200]]


def record_sign_out(identity: str, user: str, role: str | None, client: str | None = None,
                    database=None) -> None:
    """Every identity token issued to `identity` up to now is refused from here on, and the
    sign-out row is in the log: both in one transaction, or AuditError and neither."""
    statements = [_row(user, role, "sign_out", client=client)]
    if identity:
        statements.insert(0, ("insert into meta.signouts values (?, ?)", [identity[:400], time.time()]))
    _write(path_for(database), *statements)


_signouts: dict = {}


def signed_out_at(identity: str, database=None) -> float | None:
    """When `identity` last signed out (seconds since the epoch), or None; raises AuditError if unreadable."""
    p = path_for(database)
    try:
        stamp = p.stat().st_mtime_ns
    except FileNotFoundError:
        return None
    key = (str(p), stamp)
    cached = _signouts.get(key)
    if cached is None:  # re-read only when the file changed: this runs on every rerun
        for attempt in range(20):
            try:
                with _LOCK:
                    con = duckdb.connect(str(p), read_only=True)
                    try:
                        has = con.execute("select count(*) from information_schema.tables where "
                                          "table_schema = 'meta' and table_name = 'signouts'").fetchone()[0]
                        rows = con.execute("select identity, max(signed_out_at) from meta.signouts "
                                           "group by identity").fetchall() if has else []
                    finally:
                        con.close()
                break
            except duckdb.IOException:
                time.sleep(0.05 * (attempt + 1))
            except duckdb.Error as exc:
                raise AuditError(f"the sign-out record could not be read ({type(exc).__name__})") from exc
        else:
            raise AuditError("the sign-out record is busy")
        cached = dict(rows)
        _signouts.clear()
        _signouts[key] = cached
    return cached.get(identity)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%")


def for_spreadsheet(log: pd.DataFrame) -> pd.DataFrame:
    """The log with every text cell a spreadsheet would run as a formula made inert (a leading ').

    Some cells hold what a visitor chose (an email at a refused sign-in, a client address), and
    Excel or LibreOffice run a CSV cell that starts with = + - @ (and a few others) as a formula.
    """
    out = log.copy()
    for col in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[col]) or pd.api.types.is_datetime64_any_dtype(out[col])):
            out[col] = out[col].map(lambda v: "'" + v if isinstance(v, str) and v.startswith(FORMULA_START) else v)
    return out


def read(database=None) -> pd.DataFrame:
    p = path_for(database)
    if not p.exists():
        return pd.DataFrame(columns=COLUMNS)
    for attempt in range(20):
        try:
            with _LOCK:
                con = duckdb.connect(str(p), read_only=True)
                try:
                    cols = {r[0] for r in con.execute("select column_name from information_schema.columns "
                                                       "where table_schema = 'meta' and table_name = 'audit'")
                            .fetchall()}
                    sel = ", ".join(c if c in cols else f"null as {c}" for c in COLUMNS)
                    return con.execute(f"select {sel} from meta.audit order by logged_at desc").df()
                finally:
                    con.close()
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                break
            time.sleep(0.05 * (attempt + 1))
    raise AuditError(f"the audit log {p.name} is busy")
