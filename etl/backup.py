"""Backups: a consistent copy of the database, rotated; restore after checking a backup."""
from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
from pathlib import Path

import duckdb

from . import privacy, schema
from .load import LoadError, load_lock


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


def _copy(src: Path, dest: Path) -> None:
    tmp = dest.with_name(dest.name + ".part")
    shutil.copyfile(src, tmp)
    os.chmod(tmp, 0o600)  # backups are as confidential as the database
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, dest)


def snapshot(db: Path, folder: Path, label: str, keep: int) -> Path:
    """Copy db into folder (the caller holds the load lock) and keep the newest `keep` copies."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    dest = folder / f"{db.stem}-{stamp}-{label}.duckdb"
    _copy(db, dest)
    copies = sorted(folder.glob(f"{db.stem}-*.duckdb"), key=lambda p: p.name)
    for old in copies[:-keep] if keep > 0 else []:
        old.unlink()
    return dest


def backup(db: Path, to: Path | None = None, keep: int = 10, say=print) -> Path:
    if not db.exists():
        raise LoadError(f"no database at {db}")
    with load_lock(db, say=say):
        dest = snapshot(db, Path(to) if to else backups_dir(db), "backup", keep)
    check(dest)
    say(str(dest))
    say(f"the key is not in the backup: it lives in {privacy.key_source(db)}; back it up separately, "
        "or the backup cannot be loaded into")
    return dest


def restore(file: Path, db: Path, say=print) -> None:
    """Bring a backup back as the database, after checking it; the current one is backed up first."""
    info = check(file)
    if info["version"] > schema.SCHEMA_VERSION:
        raise LoadError(f"{file} was made by a newer version of this program: update it first")
    key = privacy.load_key(db, create=False)
    if key and info["fingerprint"] and privacy.fingerprint(key) != info["fingerprint"]:
        raise LoadError(f"{file} was built with another key than {privacy.key_source(db)}: restore that key too")
    with load_lock(db, say=say):
        if db.exists():
            kept = snapshot(db, backups_dir(db), "before-restore", keep=10_000)
            say(f"the database it replaces was kept as {kept}")
        tmp = db.with_name(db.name + ".restoring")
        _copy(file, tmp)
        os.replace(tmp, db)
    say(f"restored {file} as {db} ({info['batches']} files in force)")
