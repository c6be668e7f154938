"""Backups: a consistent copy of the database, rotated; restore after checking a backup.

A backup never costs a good one: the live database is checked before it is copied, the copy
is checked before older backups are rotated, and only regular backups rotate (the copies kept
before a restore or a schema upgrade stay until someone removes them).
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

from shop import privacy, schema
from shop.store import (FILE_MODE, Damaged, LoadError, backups_dir, check, cleanup_stale, copy_file, damaged,
                        load_lock, snapshot, _fsync_dir, _unlink)


def backup(db: Path, to: Path | None = None, keep: int = 10, say=print) -> Path:
    """Copy the database into `to` (default backups/ beside it), keeping the newest `keep`.

    Damaged (naming the backup to restore) if the database does not check: nothing is copied
    and no backup is removed.
    """
    if not db.exists():
        raise LoadError(f"no database at {db}")
    with load_lock(db, say=say):
        cleanup_stale(db)
        try:
            check(db)
        except Damaged as exc:
            reason = str(exc).rsplit("(", 1)[-1].rstrip(")")
            raise damaged(db, reason, ": nothing was backed up and every backup was kept") from None
        dest = snapshot(db, Path(to) if to else backups_dir(db), "backup", max(1, keep))
        from shop import ledger  # what was released: a copy travels with the backup
        ledger.copy_to(db, dest)
    say(str(dest))
    say(f"the key is not in the backup: it lives in {privacy.key_source(db)}; back it up separately, "
        "or the backup cannot be loaded into")
    return dest


def restore(file: Path, db: Path, say=print) -> None:
    """Bring a backup back as the database, after checking it; the current one is kept first."""
    info = check(file)
    if info["version"] > schema.SCHEMA_VERSION:
        raise LoadError(f"{file} was made by a newer version of this program: update it first")
    key = privacy.load_key(db, create=False)
    if key and info["fingerprint"] and privacy.fingerprint(key) != info["fingerprint"]:
        raise LoadError(f"{file} was built with another key than {privacy.key_source(db)}: restore that key too")
    with load_lock(db, say=say):
        cleanup_stale(db)
        if db.exists():  # kept whatever its state (it may be the damaged one), outside the rotation
            kept = snapshot(db, backups_dir(db), "before-restore", verify=False)
            say(f"the database it replaces was kept as {kept}")
        mode = stat.S_IMODE(db.stat().st_mode) if db.exists() else FILE_MODE
        tmp = db.with_name(db.name + ".restoring")
        try:
            copy_file(file, tmp)
            os.chmod(tmp, mode)
            os.replace(tmp, db)
            _fsync_dir(db.parent)
        except BaseException:
            _unlink(tmp)
            raise
    # The ledger beside the database is never replaced: what was released stays released. A
    # backup's copy only adds (a restore onto a new machine brings the releases back with it).
    from shop import ledger
    ledger.merge(ledger.path(file), db)
    say(f"restored {file} as {db} ({info['batches']} files in force)")
