"""shop/store.py and backups: no write costs a good copy, leaves a file behind, or widens a mode."""
from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from cli import main
from etl import backup as bk
from etl.load import load
from shop import store
from helpers import good_row, write_rows

QUIET = dict(say=lambda *_: None)


def digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def damage(db: Path, how: str) -> None:
    """Ways a database file really gets damaged: emptied, truncated, overwritten, a flipped byte."""
    data = bytearray(db.read_bytes())
    if how == "empty":
        data = bytearray()
    elif how == "tiny":
        data = data[:100]
    elif how == "junk":
        data = bytearray(b"this is not a database" * 100)
    elif how == "flipped":  # inside the first block's checksummed bytes
        data[100] ^= 0xFF
    db.write_bytes(bytes(data))


DAMAGE = ["empty", "tiny", "junk", "flipped"]


@pytest.fixture
def db(tmp_path):
    d = tmp_path / "shop.duckdb"
    f = write_rows(tmp_path / "in" / "education.csv", "education", [good_row("education", i) for i in range(4)])
    load([f], d, **QUIET)
    return d


def _good(p: Path) -> bool:
    try:
        store.check(p)
        return True
    except store.LoadError:
        return False


@pytest.mark.parametrize("how", DAMAGE)
def test_backing_up_a_damaged_database_keeps_every_good_backup(db, how, capsys):
    for _ in range(2):
        assert main(["backup", "--db", str(db), "--keep", "3"]) == 0
    good = sorted((db.parent / "backups").iterdir())
    assert len(good) == 2 and all(_good(p) for p in good)
    damage(db, how)
    capsys.readouterr()
    for _ in range(4):  # more nights than --keep: a nightly backup must not wipe the good copies
        assert main(["backup", "--db", str(db), "--keep", "3"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 4 and all("damaged" in line and "nothing was backed up" in line for line in err)
    assert "python -m etl restore" in err[0] and good[-1].name in err[0]  # the newest good one
    assert sorted((db.parent / "backups").iterdir()) == good  # nothing rotated, nothing added
    assert all(_good(p) for p in good)


def test_a_copy_that_does_not_check_is_removed_and_nothing_rotates(db, monkeypatch):
    with store.load_lock(db, **QUIET):
        for _ in range(2):
            store.snapshot(db, store.backups_dir(db), "backup", keep=2)
    before = sorted(store.backups_dir(db).iterdir())

    def bad_copy(src, dest):  # the disk returns garbage for what was just written
        dest.write_bytes(b"\0" * 4096)
    monkeypatch.setattr(store, "copy_file", bad_copy)
    with pytest.raises(store.Damaged, match="the copy did not check"):
        with store.load_lock(db, **QUIET):
            store.snapshot(db, store.backups_dir(db), "backup", keep=2)
    assert sorted(store.backups_dir(db).iterdir()) == before


def test_copies_kept_before_a_restore_are_outside_the_rotation(db, tmp_path, capsys):
    assert main(["backup", "--db", str(db)]) == 0
    first = next(store.backups_dir(db).iterdir())
    assert main(["restore", str(first), "--db", str(db)]) == 0
    kept = list(store.backups_dir(db).glob("*-before-restore.duckdb"))
    assert len(kept) == 1
    for _ in range(3):
        assert main(["backup", "--db", str(db), "--keep", "1"]) == 0
    names = sorted(p.name for p in store.backups_dir(db).iterdir())
    assert kept[0].name in names and sum(n.endswith("-backup.duckdb") for n in names) == 1


def test_a_database_owner_only_stays_owner_only_and_new_files_are_owner_only(db, tmp_path):
    os.chmod(db, 0o600)
    f = write_rows(tmp_path / "education_2.csv", "education", [good_row("education", 9)])
    load([f], db, **QUIET)
    assert mode(db) == 0o600  # the swapped-in copy used to take the umask's 0644
    os.chmod(db, 0o640)  # a deliberate group read (a dashboard run as another user) is kept too
    load([write_rows(tmp_path / "education_3.csv", "education", [good_row("education", 8)])], db, **QUIET)
    assert mode(db) == 0o640
    new = tmp_path / "new" / "fresh.duckdb"
    load([f], new, **QUIET)
    assert mode(new) == 0o600
    assert main(["backup", "--db", str(db)]) == 0
    folder = store.backups_dir(db)
    assert mode(folder) == 0o700 and all(mode(p) == 0o600 for p in folder.iterdir())
    assert mode(Path(str(db) + ".lock")) == 0o600
    copy = next(folder.iterdir())
    assert main(["restore", str(copy), "--db", str(db)]) == 0
    assert mode(db) == 0o640  # the restored file keeps the live file's mode


def test_the_audit_file_and_exports_are_owner_only(demo_db, tmp_path):
    db = tmp_path / "copy.duckdb"
    db.write_bytes(demo_db.read_bytes())
    out = tmp_path / "exports"
    assert main(["export", "--db", str(db), "--fy", "FY2024-25", "--format", "csv", "--format", "xlsx",
                 "--out", str(out)]) == 0
    files = list(out.iterdir())
    assert len(files) == 2 and all(mode(p) == 0o600 for p in files)
    assert mode(out) == 0o700
    audit = db.with_name(db.name + ".audit.duckdb")
    assert audit.exists() and mode(audit) == 0o600


def test_stale_leftovers_are_removed_by_the_next_write(db, tmp_path):
    folder = store.backups_dir(db)
    folder.mkdir(mode=0o700)
    stale = [db.parent / f"{db.name}.loading-99999999", db.parent / f"{db.name}.loading-99999999.wal",
             db.parent / f"{db.name}.restoring", db.parent / f"{db.name}.restoring.part",
             folder / f"{db.stem}-20250101-000000-000000-backup.duckdb.part"]
    for p in stale:
        p.write_bytes(b"half a copy")
    other = folder / "notes.txt"  # not ours: left alone
    other.write_text("keep me")
    assert main(["backup", "--db", str(db)]) == 0
    assert not any(p.exists() for p in stale) and other.exists()
    for p in stale:
        p.write_bytes(b"half a copy")
    load([write_rows(tmp_path / "education_2.csv", "education", [good_row("education", 9)])], db, **QUIET)
    assert not any(p.exists() for p in stale[:2])


def test_a_failed_write_leaves_nothing_behind(db, tmp_path):
    before = digest(db)
    f = write_rows(tmp_path / "education_2.csv", "education", [good_row("education", 9)])
    with pytest.raises(RuntimeError):
        load([f], db, _fail_after=0, **QUIET)
    assert digest(db) == before and store.leftovers(db) == []
    damage(db, "flipped")
    with pytest.raises(store.Damaged):
        load([f], db, **QUIET)
    assert store.leftovers(db) == []  # the copy used to be made before the damage was found


def test_read_only_says_damage_at_once_without_retrying(db, tmp_path):
    for how in DAMAGE:
        bad = tmp_path / f"{how}.duckdb"
        bad.write_bytes(db.read_bytes())
        damage(bad, how)
        with pytest.raises(store.Damaged) as info:
            with store.read_only(bad, tries=1000) as con:  # 1000 tries would take minutes if retried
                con.execute("select count(*) from meta.batches").fetchone()
        assert ("empty" in str(info.value)) == (how == "empty")
        assert str(bad) not in info.value.for_page(True) and "damaged" in info.value.for_page(True)
        assert info.value.for_page(False) == store.UNAVAILABLE
