"""The database file: the load lock, the working copy and its atomic swap, copies and checks.

One room, though long (about 760 lines): the lock, the working copy, the in-place write, the
shared reader and the copies must agree on what a fault is (busy, damaged, forbidden, full) and
on who may hold the file, and that agreement is the module. It sits in shop/ because both sides
stand on it: etl/ writes through it, metrics/ reads through `read_only` and `shared_reader`.

Every write goes through here. A load, a restore or a schema upgrade never touches the
live database file: it copies it, writes into the copy, checkpoints, and swaps the copy in
with an atomic rename. So a crash at any moment leaves the live file as it was, and a
dashboard reading the live file never blocks a load (DuckDB allows one writer or many
readers per file). A small write from the dashboard (a program note, a frozen report) goes
in place instead (`in_place`), in one DuckDB transaction whose write-ahead log makes it
all or nothing: copying ten years of data to add one row would take seconds. A lock file serialises writers. Backups (etl/backup.py) and loads (etl/load.py)
both build on this module; it imports neither.

Faults are said in words, at once: a damaged file names the newest good backup, a
permission problem names the owner and the mode, a full disk says how much room a write
needs. Files written here are owner-only (0600, folders 0700) unless the live database
already had another mode, which its replacement keeps. Leftovers of a failed write are
removed by that write, and any a killed one left are removed by the next writer (holding
the lock proves no other write is under way).
"""
from __future__ import annotations

import atexit
import contextlib
import errno
import fcntl
import os
import re
import shutil
import stat
import threading
import time
from pathlib import Path

import duckdb

from shop import settings

from . import schema

FILE_MODE, DIR_MODE = 0o600, 0o700
_NO_SPACE = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_NO_ACCESS = {errno.EACCES, errno.EPERM, errno.EROFS}
UNAVAILABLE = "Figures are unavailable at the moment. Please try again later, or ask SHOP staff."


class LoadError(Exception):
    """A whole-write problem (key, lock, database): one line for the user."""


class DatabaseFault(LoadError):
    """The database file cannot be used as it is: one line for the command line, and
    `staff_text` (no server paths) for the dashboard's staff view."""

    def __init__(self, message: str, staff_text: str):
        super().__init__(message)
        self.staff_text = staff_text

    def for_page(self, staff: bool) -> str:
        return self.staff_text if staff else UNAVAILABLE


class Damaged(DatabaseFault):
    """Not a readable DuckDB/SHOP database (empty, truncated, overwritten, a bad checksum)."""


class NoAccess(DatabaseFault):
    """The operating system refused: a file or folder belongs to another user, or is read-only."""


class NoSpace(DatabaseFault):
    """The disk (or a size limit) is full: nothing was changed."""


class Busy(DatabaseFault):
    """Another process holds the file for writing (an old-style writer)."""


class Locked(LoadError):
    """Another write (a load, a backup) held the lock for longer than this one would wait."""


# ------------------------------------------------------------------ saying what is wrong

def _user(uid: int) -> str:
    import pwd
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"user id {uid}"


def _owner_mode(path: Path) -> tuple[str, str]:
    try:
        st = os.stat(path)
    except OSError:
        return "an unknown user", "unknown"
    return _user(st.st_uid), f"{stat.S_IMODE(st.st_mode):04o}"


def no_access(path: Path, need: str = "read") -> NoAccess:
    """Who owns `path` (or, if it does not exist, its folder), its mode, and who we run as."""
    path = Path(path)
    target = path if path.exists() else path.parent
    owner, mode = _owner_mode(target)
    me = _user(os.geteuid())
    what = "folder" if target.is_dir() else "file"
    return NoAccess(
        f"permission denied: cannot {need} {target}: the {what} belongs to {owner} (mode {mode}) and this "
        f"program runs as {me}; run it as {owner}, or give {me} {need} access",
        f"The database cannot be {'read' if need == 'read' else 'written'}: permission denied (the {what} belongs "
        f"to {owner}, mode {mode}; the dashboard runs as {me}). Ask whoever set up the server to fix the "
        "owner or the mode (docs/operations.md: When something goes wrong).")


def no_space(folder: Path, need: int | None = None) -> NoSpace:
    free = _free(folder)
    needs = f"this needs about {_mb(need)}, " if need else ""
    return NoSpace(
        f"not enough free disk space in {folder}: {needs}{_mb(free)} free; nothing was changed: free some "
        "space and try again (a load needs about twice the database plus the new files)",
        f"Not enough free disk space on the server ({needs}{_mb(free)} free); nothing was changed. "
        "Free some space and try again.")


def _free(folder: Path) -> int:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return 0


def _mb(n: int) -> str:
    return f"{n / 1048576:.1f} MB"


def newest_good_backup(db: Path) -> Path | None:
    """The newest copy in the database's backups folder that checks as a SHOP database."""
    folder = backups_dir(db)
    try:
        copies = sorted(folder.glob(f"{db.stem}-*.duckdb"), key=lambda p: p.name, reverse=True)
    except OSError:
        return None
    for c in copies:
        with contextlib.suppress(LoadError, OSError):
            check(c)
            return c
    return None


def damaged(db: Path, reason: str, done: str = "") -> Damaged:
    """The database is damaged: the one line to say, with the newest good backup to restore."""
    good = newest_good_backup(db)
    if good:
        fix = f"restore the newest good backup: python -m etl restore {good}"
        page = (f"Restore the newest good backup, **{good.name}** (in the backups folder beside the "
                f"database): on the server run `python -m etl restore` with that file.")
    else:
        fix = (f"no good backup in {backups_dir(db)}: restore one from your other copies with "
               "python -m etl restore FILE")
        page = "No good backup was found beside it: restore one from your other copies with `python -m etl restore`."
    return Damaged(f"the database {db} is damaged ({reason}){done}: {fix}",
                   f"The database is damaged ({reason}) and cannot be read. {page} "
                   "(docs/operations.md: When something goes wrong.)")


def _damage_reason(exc: Exception, path: Path) -> str | None:
    low = str(exc).lower()
    if "not a valid duckdb database" in low or "unable to open database" in low:
        with contextlib.suppress(OSError):
            if Path(path).stat().st_size == 0:
                return "the file is empty"
        return "not a DuckDB database file"
    if "could not read enough bytes" in low or "truncated" in low:
        return "the file is cut short"
    if "corrupt" in low or "checksum" in low or "serializ" in low or "invalid block" in low:
        return "a block of the file does not match its checksum"
    return None


def classify(exc: BaseException, db: Path, folder: Path | None = None) -> DatabaseFault | None:
    """The fault behind an OS or DuckDB error on `db`, or None when it is something else."""
    if isinstance(exc, DatabaseFault):
        return exc
    if isinstance(exc, OSError):
        if exc.errno in _NO_SPACE:
            return no_space(folder or db.parent)
        if exc.errno in _NO_ACCESS:
            return no_access(Path(exc.filename) if exc.filename else db, "write" if folder else "read")
        return None
    if isinstance(exc, duckdb.Error):
        low = str(exc).lower()
        if "no space left" in low or "file too large" in low or "disk quota" in low:
            return no_space(folder or db.parent)
        if "permission denied" in low or "read-only file system" in low:
            return no_access(db, "write" if folder else "read")
        reason = _damage_reason(exc, db)
        if reason:
            return damaged(db, reason)
    return None


def unforeseen(exc: BaseException) -> str:
    """An unforeseen error in words that quote nothing of the data: DuckDB's and Python's own
    messages can hold a cell's value (a client code, a phone number), so only their kind is said."""
    if isinstance(exc, duckdb.Error):
        m = re.match(r"[A-Z][A-Za-z ]{0,30} Error(?=:)", str(exc))  # DuckDB's "Conversion Error: ..."
        return f"database error ({m.group(0) if m else type(exc).__name__})"
    return f"unexpected {type(exc).__name__}"


def _busy(exc: Exception) -> bool:
    low = str(exc).lower()
    return isinstance(exc, duckdb.IOException) and ("lock" in low or "resource temporarily" in low)


def _open_read_only(db: Path, tries: int = 20):
    """A read-only connection; a damaged or forbidden file raises its DatabaseFault at once.
    Only a file another program is writing is retried, briefly. A killed write's leftovers are
    removed first (`sweep`)."""
    sweep(db)
    for attempt in range(tries):
        try:
            return duckdb.connect(str(db), read_only=True)
        except duckdb.Error as exc:
            # "a different configuration": this very process is writing the file (a note): wait
            if not (_busy(exc) or "different configuration" in str(exc).lower()):
                fault = classify(exc, db)
                if fault is None and db.exists():  # an existing file DuckDB cannot open is damaged for us
                    first = str(exc).splitlines()[0].replace(str(db), db.name)[:120]
                    fault = damaged(db, f"DuckDB cannot open it: {first}")
                raise fault or exc from None
            time.sleep(0.05 * (attempt + 1))
    raise Busy(f"the database {db} is being written by another program: try again in a moment",
               "The database is busy: try again in a moment.")


@contextlib.contextmanager
def _faults_said(db: Path):
    """A fault found by a query (a bad checksum deep in the file) is raised as its DatabaseFault."""
    try:
        yield
    except duckdb.Error as exc:
        fault = classify(exc, db)
        if isinstance(fault, Damaged):
            raise fault from None
        raise


@contextlib.contextmanager
def read_only(db: Path, tries: int = 20):
    """A read-only connection for one piece of work, closed after it (see `_open_read_only`)."""
    db = Path(db)
    close_shared(db)  # else DuckDB would hand this connection the shared one's instance
    con = _open_read_only(db, tries)
    try:
        with _faults_said(db):
            yield con
    finally:
        con.close()


# ------------------------------------------------------------------ the shared reader

# How long the shared read-only connection stays open after its last use. A page makes a dozen
# reads in well under a second: they open the file once instead of a dozen times (10-50 ms each).
# A writer of another program waits at most this long for it (in_place retries for seconds); a
# write of this process closes it first (`close_shared`).
SHARED_IDLE_S = 0.25


class _Shared:
    def __init__(self):
        self.lock = threading.Lock()
        self.idle = threading.Condition(self.lock)   # notified when its last read ends
        self.con = None
        self.version = None   # the file's version when `con` was opened on it (kept after a fault)
        self.faulted = False  # a read on `con` met a fault: opened again once no read holds it
        self.users = 0
        self.gen = 0  # which idle timer may close it
        self.timer = None


_SHARED: dict[str, _Shared] = {}
_SHARED_LOCK = threading.Lock()
_HELD = threading.local()   # the shared cursors this thread holds, by file: a read inside a read
# How long a read waits for the reads still running on a file a load has replaced, to read the new
# file rather than the old (they take well under a second); past it, it is refused as Busy (it
# would read the old file while its caller keys what it reads by the new one).
STALE_WAIT_S = 10.0


def _file_version(db: Path):
    try:
        st = db.stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)


def _close_shared(sh: _Shared) -> None:
    con, sh.con, sh.version, sh.faulted = sh.con, None, None, False
    sh.gen += 1
    if con is not None:
        with contextlib.suppress(Exception):
            con.close()


def _close_if_idle(sh: _Shared, gen: int) -> None:
    with sh.lock:
        if sh.users == 0 and sh.gen == gen:
            _close_shared(sh)


@contextlib.contextmanager
def shared_reader(db: Path):
    """A read-only cursor on this process's shared connection to `db` (see SHARED_IDLE_S).

    The connection is opened again whenever the file changed since it was opened (a load or a
    restore swapped a new file in, a note was written), so a read never sees a replaced file
    once the reads still running on the old one (in other threads) have ended: DuckDB keeps one
    instance per path while any connection to it is open, and a read handed the old file under the
    new file's version would be cached as the new figures (one that waited STALE_WAIT_S in vain for
    them is refused as Busy). A read inside a read of the same thread reads what the outer one
    reads. Faults are raised as `read_only` raises them; a fault closes the connection."""
    db = Path(db)
    with _SHARED_LOCK:
        sh = _SHARED.setdefault(str(db), _Shared())
    held = getattr(_HELD, "by_file", None)
    if held is None:
        held = _HELD.by_file = {}
    with sh.lock:
        sh.gen += 1  # no idle timer closes it while it is in use
        now = _file_version(db)

        def stale():
            return sh.con is not None and (sh.version != now or sh.faulted)
        if stale() and not held.get(str(db)):
            deadline = time.monotonic() + STALE_WAIT_S
            while stale() and sh.users > 0 and time.monotonic() < deadline:
                sh.idle.wait(deadline - time.monotonic())
            if stale() and sh.users == 0:
                _close_shared(sh)
            elif sh.con is not None and now is not None and sh.version != now:
                # a read still on the old file after the wait: reading it would give the old
                # figures under the new file's version, kept as the new until the next load
                # (after a fault too: the connection is still on the file it was opened on). A
                # fault alone, on an unchanged file, or a file gone: read as before.
                raise Busy(f"the database {db} was replaced by a load while a long read was still "
                           "running: try again in a moment",
                           "A load has just finished: try again in a moment for its figures.")
        if sh.con is None:
            sh.con = _open_read_only(db)
            sh.version = now
        cur = sh.con.cursor()
        sh.users += 1
    held[str(db)] = held.get(str(db), 0) + 1
    failed = False
    try:
        with _faults_said(db):
            yield cur
    except DatabaseFault:
        failed = True
        raise
    finally:
        held[str(db)] -= 1
        with contextlib.suppress(Exception):
            cur.close()
        with sh.lock:
            sh.users -= 1
            if sh.users == 0:
                sh.idle.notify_all()
            if failed:
                sh.faulted = True  # opened again (or the fault said again) by the next read
            if sh.users == 0 and sh.con is not None:
                if sh.timer is not None:
                    sh.timer.cancel()
                sh.timer = threading.Timer(SHARED_IDLE_S, _close_if_idle, (sh, sh.gen))
                sh.timer.daemon = True
                sh.timer.start()


@atexit.register
def _close_all_shared() -> None:
    """At exit, before the interpreter goes: an idle timer closing DuckDB from a dying daemon
    thread aborts the process (and a command's exit code with it)."""
    for sh in list(_SHARED.values()):
        with sh.lock:
            if sh.timer is not None:
                sh.timer.cancel()
            _close_shared(sh)


def close_shared(db: Path) -> None:
    """Close this process's shared connection to `db` now, unless a read is using it."""
    sh = _SHARED.get(str(Path(db)))
    if sh is not None:
        with sh.lock:
            if sh.users == 0:
                _close_shared(sh)


# ------------------------------------------------------------------ the lock

def _private_dir(folder: Path) -> None:
    """Create folder (owner-only) with its parents; NoAccess if that is refused."""
    if folder.is_dir():
        return
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    except OSError as exc:
        raise classify(exc, folder, folder.parent) or exc from None


@contextlib.contextmanager
def load_lock(db: Path, wait_s: float | None = None, say=print):
    """Hold the load lock; another load waits, and is told why."""
    wait_s = settings.lock_wait_s() if wait_s is None else wait_s
    _private_dir(db.parent)
    lock = Path(str(db) + ".lock")
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, FILE_MODE)
    except OSError as exc:
        if exc.errno in _NO_ACCESS:
            raise no_access(lock, "write") from None
        raise classify(exc, db, db.parent) or exc from None
    try:
        deadline = time.monotonic() + wait_s
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise Locked(f"another load into {db} is still running after {wait_s:.0f} s: "
                                    "try again when it has finished") from None
                if not told:
                    say(f"waiting: another load into {db} is running")
                    told = True
                time.sleep(0.2)
        yield
    finally:
        os.close(fd)


def write_failure(exc: BaseException) -> str:
    """A failed write from the dashboard in one line without server paths (nothing was changed)."""
    if isinstance(exc, Locked):
        return "a load or a backup is running just now; nothing was changed: try again in a minute."
    if isinstance(exc, DatabaseFault):
        return exc.staff_text
    if isinstance(exc, OSError):
        fault = classify(exc, Path(exc.filename or "."), Path(exc.filename or ".").parent)
        if fault is not None:
            return fault.staff_text
        return f"the server could not write the database ({exc.strerror or 'an I/O error'}); nothing was changed."
    return str(exc)


def leftovers(db: Path, reader_temp: bool = True) -> list[Path]:
    """Files a failed or killed write can leave: working copies, restores, partial backups; and
    `<db>.tmp` unless `reader_temp` is False (DuckDB's own temp folder, a spilling reader's too)."""
    out = []
    patterns = [f"{db.name}.loading-*", f"{db.name}.restoring", f"{db.name}.restoring.part"]
    for pattern in patterns + ([f"{db.name}.tmp"] if reader_temp else []):
        out += db.parent.glob(pattern)
    with contextlib.suppress(OSError):
        out += backups_dir(db).glob(f"{db.stem}-*.duckdb.part")
    return out


def cleanup_stale(db: Path, reader_temp: bool = True) -> None:
    """Remove leftovers of earlier writes. The caller holds the lock, which every writer takes,
    so none of them belongs to a write still under way."""
    for p in leftovers(db, reader_temp):
        with contextlib.suppress(OSError):
            if p.is_dir():  # a killed load's temp folder (spilled temp tables)
                shutil.rmtree(p)
            else:
                p.unlink()


def sweep(db: Path) -> None:
    """Remove a killed write's leftovers now, if no write is under way: called by every command
    and every read of the dashboard, not only by the next write, because a killed load's temp
    folder holds raw cells (client codes among them) until it is removed. Does nothing when the
    lock is held (a write is running) or cannot be opened (a read-only folder)."""
    db = Path(db)
    if not leftovers(db, reader_temp=False):  # `<db>.tmp` may be a spilling reader's: writers clear it
        return
    try:
        fd = os.open(Path(str(db) + ".lock"), os.O_RDWR)
    except OSError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return
    try:
        cleanup_stale(db, reader_temp=False)
    finally:
        os.close(fd)


def _unlink(*paths) -> None:
    for p in paths:
        with contextlib.suppress(OSError):
            os.unlink(p)


# ------------------------------------------------------------------ the working copy

def ensure_space(db: Path, new_bytes: int = 0) -> None:
    """NoSpace before starting when the database's folder lacks about twice the database plus
    the new data (the copy, and room for it to grow while written and checkpointed)."""
    size = db.stat().st_size if db.exists() else 0
    need = 2 * size + new_bytes
    if _free(db.parent) < need:
        raise no_space(db.parent, need)


class Unchanged(Exception):
    """Raised inside working_copy when nothing was written: the copy is dropped, no swap."""


@contextlib.contextmanager
def _owner_only_files():
    """Files DuckDB creates during a write (the working copy, its .wal, a fresh copy, spilled
    temp files) are owner-only from the start, whatever the process's umask: they hold person
    keys, file names and, spilled, raw cells. Only ever narrows what another thread creates."""
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


@contextlib.contextmanager
def working_copy(db: Path, new_bytes: int = 0):
    """See `_working_copy`; every file it creates is owner-only from the start (`_owner_only_files`)."""
    with _owner_only_files(), _working_copy(db, new_bytes) as con:
        yield con


@contextlib.contextmanager
def _working_copy(db: Path, new_bytes: int = 0):
    """A writable copy of the database; swapped in atomically only if the block succeeds.

    Checks first that the live file is readable and that the disk has room (`new_bytes` is
    the size of what is being added); a failure at any point leaves the live file as it
    was and no copy behind.
    """
    cleanup_stale(db)
    mode = FILE_MODE
    if db.exists():
        with read_only(db):  # a damaged file is said here, before anything is copied
            pass
        mode = stat.S_IMODE(db.stat().st_mode)
    ensure_space(db, new_bytes)
    tmp = db.parent / f"{db.name}.loading-{os.getpid()}"
    spill = Path(f"{tmp}.tmp")
    con = None
    try:
        if db.exists():
            _copy_bytes(db, tmp)
        con = _connect_for_write(tmp, spill)
        # No transaction of its own: the copy is private until the swap, and a failure drops it
        # whole. So a statement that fails inside the block (a CSV DuckDB cannot read, which the
        # load then reads another way) costs that statement only, not the load.
        try:
            yield con
        except Unchanged:
            con.close()
            _unlink(tmp, str(tmp) + ".wal")
            shutil.rmtree(spill, ignore_errors=True)
            return
        if _REWRITE.pop(id(con), False):
            _rewrite(con, tmp)
        else:
            con.execute("checkpoint")
            con.close()
        os.chmod(tmp, mode)  # the live file's mode, not the umask's: owner-only stays owner-only
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, db)
        _fsync_dir(db.parent)
    except BaseException as exc:
        if con is not None:
            _REWRITE.pop(id(con), None)
            with contextlib.suppress(Exception):
                con.close()
        _unlink(tmp, str(tmp) + ".wal", f"{tmp}.fresh", f"{tmp}.fresh.wal")
        fault = classify(exc, db, db.parent) if isinstance(exc, Exception) else None
        if fault is not None and fault is not exc:
            raise fault from None
        raise
    finally:
        shutil.rmtree(spill, ignore_errors=True)


_REWRITE: dict[int, bool] = {}


def rewrite_on_swap(con) -> None:
    """Ask the working copy to be written afresh at the end instead of swapped in as it is: a
    copied file keeps the bytes of what was updated or deleted in its free blocks (old plain
    digests, say); a fresh file holds only what is in force."""
    _REWRITE[id(con)] = True


def _rewrite(con, tmp: Path) -> None:
    """Copy every schema, table and view of the working copy into a fresh file, then put it in
    the working copy's place (the caller swaps it in as usual)."""
    fresh = Path(f"{tmp}.fresh")
    _unlink(fresh, f"{fresh}.wal")
    name = con.execute("select current_database()").fetchone()[0].replace('"', '""')
    alias = f"shop_rewrite_{os.getpid()}_{id(con)}"  # never the working copy's own name
    con.execute(f"attach '{str(fresh).replace(chr(39), chr(39) * 2)}' as {alias}")
    con.execute(f'copy from database "{name}" to {alias}')
    con.execute(f"detach {alias}")
    con.close()
    _unlink(tmp, str(tmp) + ".wal")
    os.replace(fresh, tmp)


def load_memory_mb() -> int:
    """DuckDB's memory for a write ($SHOP_LOAD_MEMORY_MB, default 512): past it, temp tables
    spill to the write's private temp folder, so a decade's load stays well under 1 GB."""
    return int(os.environ.get("SHOP_LOAD_MEMORY_MB", "512"))


def _connect_for_write(path: Path, spill: Path):
    """A read-write connection whose temp tables spill only to `spill`, an owner-only folder
    removed when the write ends (and by the next writer if this one is killed)."""
    con = duckdb.connect(str(path))
    try:
        con.execute(f"set memory_limit = '{load_memory_mb()}MB'")
        spill.mkdir(mode=DIR_MODE, exist_ok=True)
        con.execute("set temp_directory = ?", [str(spill)])
    except BaseException:
        con.close()
        raise
    return con


@contextlib.contextmanager
def in_place(db: Path, tries: int = 40):
    """See `_in_place`; every file it creates is owner-only from the start (`_owner_only_files`)."""
    with _owner_only_files(), _in_place(db, tries) as con:
        yield con


@contextlib.contextmanager
def _in_place(db: Path, tries: int = 40):
    """A small write on the live file in one transaction (the caller holds the load lock).

    DuckDB's write-ahead log makes the transaction all or nothing, even across a crash; a
    failure or Unchanged rolls it back. A reader that has the file open just now is waited
    for briefly, as a reader waits for a writer.
    """
    db = Path(db)
    cleanup_stale(db)
    close_shared(db)  # this process's own reader does not make its writer wait
    with read_only(db):  # a damaged file is said here, before anything is written
        pass
    spill = Path(f"{db}.tmp")
    con = None
    for attempt in range(tries):
        try:
            con = _connect_for_write(db, spill)
            break
        except duckdb.Error as exc:
            if not (_busy(exc) or "different configuration" in str(exc).lower()):
                raise classify(exc, db, db.parent) or exc from None
            time.sleep(0.05 * (attempt + 1) if attempt < 10 else 0.5)
    else:
        raise Busy(f"the database {db} is being read just now: try again in a moment",
                   "The database is busy: try again in a moment.")
    try:
        con.execute("begin transaction")
        try:
            yield con
        except Unchanged:
            con.execute("rollback")
            return
        except BaseException:
            with contextlib.suppress(Exception):
                con.execute("rollback")
            raise
        con.execute("commit")
        con.execute("checkpoint")
    except Exception as exc:
        fault = classify(exc, db, db.parent)
        if fault is not None and fault is not exc:
            raise fault from None
        raise
    finally:
        with contextlib.suppress(Exception):
            con.close()
        shutil.rmtree(spill, ignore_errors=True)


def _fsync_dir(folder: Path) -> None:
    dfd = os.open(folder, os.O_DIRECTORY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


# ------------------------------------------------------------------ copies and checks

def backups_dir(db: Path) -> Path:
    return db.parent / "backups"


def check(file: Path) -> dict:
    """What a database file holds (schema version, batches, key fingerprint).

    Damaged if it is not a readable SHOP database, NoAccess if it may not be read.
    """
    file = Path(file)
    try:
        with contextlib.closing(duckdb.connect(str(file), read_only=True)) as con:
            version = schema.current_version(con)
            if not version:
                raise Damaged(f"{file} is not a SHOP database (no schema)", "The file is not a SHOP database.")
            batches = con.execute("select count(*) from meta.batches where status = 'in_force'").fetchone()[0]
            fp = schema.get_setting(con, "key_fingerprint")
    except duckdb.Error as exc:
        fault = classify(exc, file)
        if isinstance(fault, NoAccess):
            raise fault from None
        reason = _damage_reason(exc, file) or "it cannot be read"
        raise Damaged(f"{file} is not a readable DuckDB database ({reason})",
                      f"The file is not a readable DuckDB database ({reason}).") from None
    return {"version": version, "batches": batches, "fingerprint": fp}


def _copy_bytes(src: Path, dest: Path) -> None:
    """src's bytes into a new owner-only file dest, synced; dest removed if anything fails."""
    try:
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
            shutil.copyfileobj(inp, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        _unlink(dest)
        raise


def copy_file(src: Path, dest: Path) -> None:
    """Copy src to dest (owner-only) through a .part file, so dest is either whole or absent."""
    tmp = dest.with_name(dest.name + ".part")
    try:
        _copy_bytes(src, tmp)
        os.replace(tmp, dest)
    except BaseException as exc:
        _unlink(tmp)
        fault = classify(exc, src, dest.parent) if isinstance(exc, Exception) else None
        if fault is not None and fault is not exc:
            raise fault from None
        raise


def snapshot(db: Path, folder: Path, label: str, keep: int = 0, verify: bool = True) -> Path:
    """Copy db into folder (the caller holds the load lock); with keep > 0, keep the newest
    `keep` copies with this label, and only after the new one has checked as good.

    Copies with other labels (before-restore, before-schema-vN) are never rotated. With
    verify, a copy that does not check is removed and Damaged raised, and nothing is rotated.
    """
    _private_dir(folder)
    for p in folder.glob(f"{db.stem}-*.duckdb.part"):  # stale: the caller holds the lock
        _unlink(p)
    size = db.stat().st_size
    if _free(folder) < size:
        raise no_space(folder, size)
    stamp = settings.now().strftime("%Y%m%d-%H%M%S") + f"-{time.time_ns() // 1000 % 1_000_000:06d}"
    dest = folder / f"{db.stem}-{stamp}-{label}.duckdb"
    copy_file(db, dest)
    if verify:
        try:
            check(dest)
        except LoadError as exc:
            _unlink(dest)
            raise damaged(db, str(exc).rsplit("(", 1)[-1].rstrip(")"),
                          ": the copy did not check, so it was removed and no backup was rotated") from None
    if keep > 0:
        copies = sorted(folder.glob(f"{db.stem}-*-{label}.duckdb"), key=lambda p: p.name)
        for old in copies[:-keep]:
            _unlink(old)
            _unlink(old.with_name(old.name + ".released.jsonl"))  # its copy of the release ledger
    return dest
