"""The release ledger: every External figure ever given out, kept so later releases respect it.

Whatever the External audience has been shown on any day is public from then on: a board member
keeps every monthly deck. A year to date of 10 released on 5 November and one of 11 on 5
December give November's 1 by subtraction, though each release alone is safe. So every released
table is written here, as released values only (a number, or the range its mark says: `<10` is
1..9, `x` at least k, a withheld count at least 1), before it leaves; every later table is
audited against its own cells and all of these.

One line of JSON per released figure, the first day it was given, in `<database>.released.jsonl`:
owner-only, appended under a lock (any number of dashboards and command lines at once), never
rewritten. It lives beside the database, not in it, so that restoring an older backup does not
roll it back: a backup carries a copy, and a restore adds that copy's lines to the ledger in
force (`merge`), never the reverse. Months are calendar months (`2025-11`), not positions in a
fiscal year, and ranges are explicit, so a changed k or fiscal start still reads the old lines
right (a line that straddles a new fiscal year is kept, and ignored by that year's audit). Each
release also writes one line of its own (table "state"): what its data were, month by month (keyed
digests of each people count's set of people), so that a later release made after a late or
corrected file reads the figures of this one against the data as they were then.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
from collections import Counter
from pathlib import Path

from . import periods

SUFFIX = ".released.jsonl"


class LedgerError(RuntimeError):
    """The ledger cannot be written: nothing External is released (fails closed, like the audit log)."""


def path(db) -> Path:
    p = Path(db)
    return p.with_name(p.name + SUFFIX)


def month_of(fy: int, i: int) -> str:
    """Month i (0 = first) of fiscal year fy as `YYYY-MM`."""
    return f"{periods.add_months(periods.fiscal_year(fy).start, i):%Y-%m}"


def index_of(fy: int, month: str) -> int | None:
    """The position of `YYYY-MM` in fiscal year fy, or None outside it."""
    y, m = int(month[:4]), int(month[5:7])
    i = (y - fy) * 12 + m - periods.fiscal_start_month()   # the year starts in month fiscal_start_month() of fy
    return i if 0 <= i < 12 else None


def _key(e: dict) -> tuple:
    # `v`: the digests of the months the figure was made of; the same figure given again after a
    # correction changed its months is a fact about other data, so a line of its own. A release's
    # own line (table "state": what its data were) is one per release (rid)
    return (e["table"], e["what"], e["from"], e["to"], e.get("dim"), tuple(e.get("members") or ()),
            e["lo"], e["hi"], tuple(e.get("v") or ()), e.get("rid") if e["table"] == "state" else None)


_READ: dict = {}   # path -> (signature, lines, their keys): a file is parsed again only when it changed


def _sig(st) -> tuple:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def entries(db) -> list[dict]:
    """Every line of the database's ledger (cached while the file is unchanged); [] when none."""
    return _read(path(db))


def _read(p: Path) -> list[dict]:
    try:
        st = p.stat()
    except FileNotFoundError:
        return []
    return _parsed(p, _sig(st))[0]


def _parsed(p: Path, sig: tuple) -> tuple[list[dict], set]:
    """The lines of `p` and their keys, as of signature `sig` (parsed once per change of the file)."""
    hit = _READ.get(str(p))
    if hit and hit[0] == sig:
        return hit[1], hit[2]
    out = []
    with open(p, encoding="utf-8") as fh:
        for line in fh:
            with contextlib.suppress(ValueError, KeyError, TypeError):
                e = json.loads(line)
                _key(e)
                out.append(e)
    keys = {_key(e) for e in out}
    _READ[str(p)] = (sig, out, keys)
    return out, keys


_FY: dict = {}


def of_year(db, fy: int) -> tuple[list[dict], Counter]:
    """The lines whose span lies in fiscal year fy, and how many each release (rid) wrote."""
    lines = entries(db)
    start = periods.fiscal_start_month()
    key = (str(path(db)), _READ.get(str(path(db)), (None,))[0], len(lines), start)
    years = _FY.get(key)
    if years is None:
        # every line's year in one pass, not one pass a year: a line lies in fiscal year fy when
        # its first and last months both do; index_of(fy, month) is not None exactly when
        # fy = year + (month - start) // 12
        grouped: dict = {}
        for e in lines:
            f, t = e["from"], e["to"]
            fy_from = int(f[:4]) + (int(f[5:7]) - start) // 12
            if fy_from == int(t[:4]) + (int(t[5:7]) - start) // 12:
                grouped.setdefault(fy_from, []).append(e)
        years = {y: (mine, Counter(e.get("rid") for e in mine)) for y, mine in grouped.items()}
        if len(_FY) > 16:
            _FY.clear()
        _FY[key] = years
    return years.get(fy) or ([], Counter())


def record(db, day: dt.date, items: list[dict]) -> int:
    """Add the figures not in the ledger yet, dated `day`; the count added. LedgerError when it
    cannot be written (then the caller releases nothing)."""
    p = path(db)
    try:
        fd = os.open(p, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    except OSError as exc:
        raise LedgerError(f"the release ledger beside the database cannot be written ({exc.strerror})") from None
    try:
        os.fchmod(fd, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        sig = _sig(os.fstat(fd))
        lines, seen = _parsed(p, sig)   # under the lock: nobody appends while it is read
        added = []
        for it in items:
            key = _key(it)
            if key not in seen:
                seen = seen if added else set(seen)   # the cached set stays as the file was
                seen.add(key)
                added.append({"day": day.isoformat(), **it})
        new = [json.dumps(e, separators=(",", ":")) for e in added]
        if new:
            os.write(fd, ("\n".join(new) + "\n").encode())
            os.fsync(fd)
            after = _sig(os.fstat(fd))
            if after[2] > sig[2]:   # the file as this process now knows it: its lines and ours
                _READ[str(p)] = (after, lines + [json.loads(t) for t in new], seen)
            else:
                _READ.pop(str(p), None)
        return len(new)
    except OSError as exc:
        _READ.pop(str(p), None)
        raise LedgerError(f"the release ledger beside the database cannot be written ({exc.strerror})") from None
    finally:
        os.close(fd)


def merge(src: Path, db) -> int:
    """Add the lines of another ledger (a backup's copy) to this database's; the count added."""
    if not Path(src).exists():
        return 0
    by_day: dict[str, list] = {}
    for e in _read(Path(src)):
        by_day.setdefault(e["day"], []).append({k: v for k, v in e.items() if k != "day"})
    return sum(record(db, dt.date.fromisoformat(d), items) for d, items in sorted(by_day.items()))


def copy_to(db, dest_db) -> None:
    """Copy this database's ledger beside a backup `dest_db` (owner-only)."""
    src = path(db)
    if src.exists():
        tmp = path(dest_db).with_name(path(dest_db).name + ".part")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
            out.write(inp.read())
        os.replace(tmp, path(dest_db))
