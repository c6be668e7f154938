"""Backups: a consistent copy of the database, rotated; restore after checking a backup."""
from __future__ import annotations

import os
from pathlib import Path

from . import privacy, schema
from .store import LoadError, backups_dir, check, copy_file, load_lock, snapshot


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
        copy_file(file, tmp)
        os.replace(tmp, db)
    say(f"restored {file} as {db} ({info['batches']} files in force)")
