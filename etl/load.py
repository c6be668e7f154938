"""Batches: atomic, idempotent loads; a corrected file replaces its earlier version.

A load never writes the live database file. It copies it, loads into the copy in
one transaction, checkpoints, and swaps the copy in with an atomic rename. So a
crash at any moment leaves the live file as it was, and a dashboard reading the
live file never blocks a load (DuckDB allows one writer or many readers per file).
A lock file serialises loads.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from . import privacy, schema
from .read import RawTable, Refused, read_file
from .validate import Validated, validate

SHOWN_REJECTS = 20


class LoadError(Exception):
    """A whole-load problem (key, lock, database): one line for the user."""


@dataclass
class Outcome:
    file: str
    sheet: str = ""
    status: str = ""              # loaded | replaced | already loaded | refused
    reason: str = ""
    rows_loaded: int = 0
    rejects: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    unknown_columns: list = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.file} [{self.sheet}]" if self.sheet else self.file


def expand(paths) -> list[Path]:
    """Files to load: a folder gives every CSV/XLSX in it (Excel's ~$ lock files skipped)."""
    out = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in (".csv", ".xlsx")
                          and not f.name.startswith(("~$", ".")))
        else:
            out.append(p)
    return out


@contextlib.contextmanager
def load_lock(db: Path, wait_s: float | None = None, say=print):
    """Hold the load lock; another load waits, and is told why."""
    wait_s = float(os.environ.get("SHOP_LOCK_WAIT", "120")) if wait_s is None else wait_s
    db.parent.mkdir(parents=True, exist_ok=True)
    fh = open(str(db) + ".lock", "a+")
    try:
        deadline = time.monotonic() + wait_s
        told = False
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LoadError(f"another load into {db} is still running after {wait_s:.0f} s: "
                                    "try again when it has finished") from None
                if not told:
                    say(f"waiting: another load into {db} is running")
                    told = True
                time.sleep(0.2)
        yield
    finally:
        fh.close()


def _cleanup_stale(db: Path) -> None:
    for p in db.parent.glob(db.name + ".loading-*"):
        with contextlib.suppress(OSError):
            p.unlink()


class Unchanged(Exception):
    """Raised inside working_copy when nothing was written: the copy is dropped, no swap."""


@contextlib.contextmanager
def working_copy(db: Path):
    """A writable copy of the database; swapped in atomically only if the block succeeds."""
    _cleanup_stale(db)
    tmp = db.parent / f"{db.name}.loading-{os.getpid()}"
    if db.exists():
        shutil.copyfile(db, tmp)
    con = duckdb.connect(str(tmp))
    os.chmod(tmp, 0o600)  # the database is confidential: owner-only, like the key
    try:
        con.execute("begin transaction")
        try:
            yield con
        except Unchanged:
            con.execute("rollback")
            con.close()
            tmp.unlink(missing_ok=True)
            return
        con.execute("commit")
        con.execute("checkpoint")
        con.close()
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, db)
        dfd = os.open(db.parent, os.O_DIRECTORY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except BaseException:
        with contextlib.suppress(Exception):
            con.close()
        with contextlib.suppress(OSError):
            tmp.unlink()
        for extra in (str(tmp) + ".wal",):
            with contextlib.suppress(OSError):
                os.unlink(extra)
        raise


def check_key(con, db: Path) -> bytes:
    """The key for this database, refusing a missing or different one."""
    stored = schema.get_setting(con, "key_fingerprint")
    has_data = con.execute("select count(*) from meta.batches").fetchone()[0] > 0
    key = privacy.load_key(db, create=not (stored and has_data))
    if key is None:
        raise LoadError(f"the key for {db} is missing ({privacy.key_source(db)}): restore the key "
                        f"file from your backup or set {privacy.ENV_KEY}; loading with a new key "
                        "would count every person twice")
    fp = privacy.fingerprint(key)
    if stored and stored != fp and has_data:
        raise LoadError(f"the key from {privacy.key_source(db)} is not the key {db} was built with: "
                        "use the original key (loading with another would count every person twice)")
    con.execute("insert or replace into meta.settings values ('key_fingerprint', ?)", [fp])
    return key


def peek_key(db: Path) -> bytes:
    """The key to hash with before the database is opened for writing."""
    key = privacy.load_key(db, create=not db.exists())
    if key is None:
        if db.exists():
            with contextlib.closing(duckdb.connect(str(db), read_only=True)) as con:
                has_batches = schema.current_version(con) and con.execute(
                    "select count(*) from meta.batches").fetchone()[0]
            if has_batches:
                raise LoadError(f"the key for {db} is missing ({privacy.key_source(db)}): restore the "
                                f"key file from your backup or set {privacy.ENV_KEY}")
        key = privacy.load_key(db, create=True)
    return key


def load(paths, db: str | Path, log_type: str | None = None, date_order: str | None = None,
         say=print, today: dt.date | None = None, _fail_after: int | None = None) -> list[Outcome]:
    """Load files into the database; every file is reported, and the whole load is one transaction."""
    db = Path(db)
    files = expand(paths)
    if not files:
        raise LoadError("no .csv or .xlsx files found in " + ", ".join(map(str, paths)))
    key = peek_key(db)
    outcomes: list[Outcome] = []
    # One file at a time, straight into the working copy: memory holds one file, never the batch.
    with load_lock(db, say=say), working_copy(db) as con:
        before = schema.migrate(con)
        if 0 < before < schema.SCHEMA_VERSION:
            from .backup import backups_dir, snapshot
            kept = snapshot(db, backups_dir(db), f"before-schema-v{schema.SCHEMA_VERSION}", keep=10_000)
            say(f"upgraded the database from schema version {before} to {schema.SCHEMA_VERSION} "
                f"(the old one is kept as {kept})")
        check_key(con, db)
        for path in files:
            try:
                tables = read_file(path, log_type)
            except Refused as exc:
                outcomes.append(Outcome(path.name, status="refused", reason=str(exc)))
                continue
            for t in tables:
                o = Outcome(path.name, t.sheet, unknown_columns=t.unknown_columns)
                outcomes.append(o)
                try:
                    v = validate(t, key, date_order, today)
                except Refused as exc:
                    o.status, o.reason = "refused", str(exc)
                    continue
                o.rejects, o.warnings = v.rejects, v.warnings
                if _fail_after is not None and len(outcomes) > _fail_after:
                    raise RuntimeError("injected failure (test)")
                _write(con, o, t, v)
                del v, t
        if any(o.status in ("loaded", "replaced") for o in outcomes) or before < schema.SCHEMA_VERSION:
            refresh_marts(con)
        else:
            raise Unchanged()
    return outcomes


def refresh_marts(con) -> None:
    """Rebuild the marts that are tables (derived from core, in the load's transaction)."""
    con.execute((schema.SQL_DIR / "migrations" / "0004_first_outreach_mart.sql").read_text())


def _write(con, o: Outcome, t: RawTable, v: Validated) -> None:
    same = con.execute("select file_name, sheet from meta.batches where status = 'in_force' "
                       "and content_sha256 = ? and log_type = ?", [t.content_sha256, t.log_type.name]).fetchone()
    if same:
        o.status = "already loaded"
        if (same[0], same[1]) != (t.file, t.sheet):
            o.reason = f"same content as {same[0]}" + (f" [{same[1]}]" if same[1] else "")
        o.rejects, o.warnings = [], []
        return
    batch_id = con.execute("select coalesce(max(batch_id), 0) + 1 from meta.batches").fetchone()[0]
    old = con.execute("select batch_id, log_type from meta.batches where status = 'in_force' "
                      "and file_name = ? and sheet = ?", [t.file, t.sheet]).fetchall()
    for old_id, old_type in old:
        con.execute(f"delete from core.{old_type} where batch_id = ?", [old_id])
        con.execute("update meta.batches set status = 'replaced', replaced_by = ? where batch_id = ?",
                    [batch_id, old_id])
    o.status = "replaced" if old else "loaded"
    rows = v.rows
    con.register("incoming", rows)
    cols = ", ".join(f'"{c}"' for c in rows.column_names)
    con.execute(f"insert into core.{t.log_type.name} ({cols}, batch_id) select {cols}, ? from incoming",
                [batch_id])
    con.unregister("incoming")
    o.rows_loaded = rows.num_rows
    rejected_rows = len({r for r, _, _ in v.rejects})
    con.execute("""insert into meta.batches (batch_id, file_name, sheet, log_type, content_sha256, rows_read,
                   rows_loaded, rows_rejected, total_rows, loaded_at, status, replaced_by, date_order)
                   values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'in_force', null, ?)""",
                [batch_id, t.file, t.sheet, t.log_type.name, t.content_sha256, t.rows_read,
                 rows.num_rows, rejected_rows, t.total_rows, dt.datetime.now().replace(microsecond=0),
                 v.date_order])
    if v.rejects:
        con.executemany("insert into meta.rejects values (?, ?, ?, ?)",
                        [(batch_id, r, f, reason) for r, f, reason in v.rejects])
    warnings = list(v.warnings)
    if t.unknown_columns:
        warnings.append((None, None, f"{len(t.unknown_columns)} column(s) not in the contract were ignored"))
    if warnings:
        con.executemany("insert into meta.warnings values (?, ?, ?, ?)",
                        [(batch_id, r, f, reason) for r, f, reason in warnings])


def report(outcomes: list[Outcome], say=print) -> int:
    """Print a line per file and its rejects; the exit code (0 ok, 1 a file was refused)."""
    code = 0
    for o in outcomes:
        if o.status == "refused":
            say(f"{o.label}: refused: {o.reason}")
            code = 1
            continue
        rejected = len({r for r, _, _ in o.rejects})
        line = f"{o.label}: {o.status}"
        if o.status != "already loaded":
            line += f", {o.rows_loaded} rows loaded, {rejected} rejected"
        elif o.reason:
            line += f" ({o.reason})"
        say(line)
        if o.unknown_columns and o.status != "already loaded":
            more = len(o.unknown_columns) - 5
            say("  ignored columns not in the contract: " + ", ".join(o.unknown_columns[:5])
                + (f" and {more} more" if more > 0 else ""))
        for r, f, reason in o.rejects[:SHOWN_REJECTS]:
            say(f"  row {r}, {f}: {reason}")
        if len(o.rejects) > SHOWN_REJECTS:
            say(f"  ... and {len(o.rejects) - SHOWN_REJECTS} more: python -m etl status")
        for r, f, reason in o.warnings[:SHOWN_REJECTS]:
            say(f"  warning: row {r}, {f}: {reason}")
    return code


def migrate_only(db: Path, say=print) -> int:
    """Upgrade the schema without loading anything; returns the version found."""
    db = Path(db)
    if not db.exists():
        raise LoadError(f"no database at {db}")
    with load_lock(db, say=say), working_copy(db) as con:
        before = schema.migrate(con)
        if before < schema.SCHEMA_VERSION:
            from .backup import backups_dir, snapshot
            kept = snapshot(db, backups_dir(db), f"before-schema-v{schema.SCHEMA_VERSION}", keep=10_000)
            say(f"upgraded {db} from schema version {before} to {schema.SCHEMA_VERSION} (the old one is kept as {kept})")
        else:
            say(f"{db} is up to date (schema version {before})")
    return before


def freeze(db: Path, label: str, period_from, period_to, suppressed: bool, batches_json: str,
           figures_json: str, say=print) -> int:
    """Record a report's figures, period and batches in force, as submitted; returns its id."""
    db = Path(db)
    with load_lock(db, say=say), working_copy(db) as con:
        schema.migrate(con)
        rid = con.execute("select coalesce(max(report_id), 0) + 1 from meta.frozen_reports").fetchone()[0]
        con.execute("insert into meta.frozen_reports values (?, ?, ?, ?, ?, ?, ?, ?)",
                    [rid, label[:80], period_from, period_to, suppressed, dt.datetime.now().replace(microsecond=0),
                     batches_json, figures_json])
    return rid


def add_annotation(db: Path, start, end, scope: str, note: str) -> tuple[bool, str]:
    """A program note entered in the dashboard, checked like any logged text; (ok, message)."""
    from .contract import LOG_TYPES
    import hashlib
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S.%f")
    cols = {"start_date": [start.isoformat() if start else ""], "end_date": [end.isoformat() if end else ""],
            "scope": [scope], "note": [note]}
    raw = RawTable("annotations (dashboard)", stamp, LOG_TYPES["annotations"],
                   hashlib.sha256(f"{stamp}{cols}".encode()).hexdigest(), cols, [1], [], 1, 0)
    try:
        key = peek_key(Path(db))
        v = validate(raw, key)
    except (Refused, LoadError) as exc:
        return False, f"Not added: {exc}"
    if v.rejects:
        return False, "Not added: " + "; ".join(f"{f}: {reason}" for _, f, reason in v.rejects)
    o = Outcome(raw.file, raw.sheet)
    with load_lock(Path(db), say=lambda *_: None), working_copy(Path(db)) as con:
        schema.migrate(con)
        check_key(con, Path(db))
        _write(con, o, raw, v)
        refresh_marts(con)
    return True, "Note added: it shows on the trend charts it falls in."
