"""The database file: the load lock, the working copy and its atomic swap, copies and checks.

Every write goes through here. A write never touches the live database file: it copies
it, writes into the copy in one transaction, checkpoints, and swaps the copy in with an
atomic rename. So a crash at any moment leaves the live file as it was, and a dashboard
reading the live file never blocks a write (DuckDB allows one writer or many readers per
file). A lock file serialises writers. Backups (etl/backup.py) and loads (etl/load.py)
both build on this module; it imports neither.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import shutil
import time
from pathlib import Path

import duckdb

from . import schema


class LoadError(Exception):
    """A whole-write problem (key, lock, database): one line for the user."""


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


def cleanup_stale(db: Path) -> None:
    """Remove working copies left by an earlier write (the caller holds the lock)."""
    for p in db.parent.glob(db.name + ".loading-*"):
        with contextlib.suppress(OSError):
            p.unlink()


class Unchanged(Exception):
    """Raised inside working_copy when nothing was written: the copy is dropped, no swap."""


@contextlib.contextmanager
def working_copy(db: Path):
    """A writable copy of the database; swapped in atomically only if the block succeeds."""
    cleanup_stale(db)
    tmp = db.parent / f"{db.name}.loading-{os.getpid()}"
    if db.exists():
        shutil.copyfile(db, tmp)
    con = duckdb.connect(str(tmp))
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


def backups_dir(db: Path) -> Path:
    return db.parent / "backups"


def check(file: Path) -> dict:
    """What a database file holds (schema version, batches, key fingerprint); LoadError if it is not one."""
    try:
        with contextlib.closing(duckdb.connect(str(file), read_only=True)) as con:
            version = schema.current_version(con)
            if not version:
                raise LoadError(f"{file} is not a SHOP database (no schema)")
            batches = con.execute("select count(*) from meta.batches where status = 'in_force'").fetchone()[0]
            fp = schema.get_setting(con, "key_fingerprint")
    except duckdb.Error:
        raise LoadError(f"{file} is not a readable DuckDB database") from None
    return {"version": version, "batches": batches, "fingerprint": fp}


def copy_file(src: Path, dest: Path) -> None:
    """Copy src to dest through a .part file, so dest is either whole or absent."""
    tmp = dest.with_name(dest.name + ".part")
    shutil.copyfile(src, tmp)
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, dest)


def snapshot(db: Path, folder: Path, label: str, keep: int) -> Path:
    """Copy db into folder (the caller holds the load lock) and keep the newest `keep` copies."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    dest = folder / f"{db.stem}-{stamp}-{label}.duckdb"
    copy_file(db, dest)
    copies = sorted(folder.glob(f"{db.stem}-*.duckdb"), key=lambda p: p.name)
    for old in copies[:-keep] if keep > 0 else []:
        old.unlink()
    return dest
