"""Settings read from the environment, in one place; and the clock, in SHOP's time zone.

Every "today" (fiscal year to date, the current month, a date in the future) is Kamloops's
today, not the server's: a server in UTC turns the fiscal year over at 17:00 on 31 March
Kamloops time. Tests move the clock with time-machine, in their own process and in a Python process
they start (tests/clock.py, tests/child_clock/).
"""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_DB = Path("data") / "shop.duckdb"
DEFAULT_TIMEZONE = "America/Vancouver"  # Kamloops, BC


def db_path() -> Path:
    """The database: $SHOP_DB, else data/shop.duckdb."""
    return Path(os.environ.get("SHOP_DB") or DEFAULT_DB)


def timezone() -> ZoneInfo:
    """$SHOP_TIMEZONE (an IANA name such as America/Vancouver); ValueError naming it if unknown."""
    name = os.environ.get("SHOP_TIMEZONE") or DEFAULT_TIMEZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"SHOP_TIMEZONE={name!r} is not a time zone name (such as {DEFAULT_TIMEZONE})") from None


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def now() -> dt.datetime:
    """The wall-clock time in SHOP's time zone, naive (as stored and shown), to the second."""
    return _utcnow().astimezone(timezone()).replace(tzinfo=None, microsecond=0)


def today() -> dt.date:
    """Today's date in SHOP's time zone."""
    return _utcnow().astimezone(timezone()).date()


def lock_wait_s() -> float:
    """How long a write waits for another to finish: $SHOP_LOCK_WAIT seconds, default 120."""
    try:
        return max(0.0, float(os.environ.get("SHOP_LOCK_WAIT", "120")))
    except ValueError:
        return 120.0


def prepare_external() -> bool:
    """Whether `etl load` and `etl demo` prepare the External view's tables once the data is in:
    $SHOP_PREPARE_EXTERNAL, on unless it is 0 (say, for a script loading many small files in a row,
    whose last load alone needs them)."""
    return os.environ.get("SHOP_PREPARE_EXTERNAL", "1").strip() != "0"


def suite_units() -> int:
    """Safe Suite units: $SHOP_SUITE_UNITS, default 1."""
    try:
        return max(1, int(os.environ.get("SHOP_SUITE_UNITS", "1")))
    except ValueError:
        return 1


def file_name(path) -> str:
    """A file's name as text for storing and showing, whatever the locale.

    Names are bytes on disk. Under a C locale or from a Windows share they may not decode
    as the locale says (Python then carries them as surrogates, which DuckDB and strict
    output refuse); read them as UTF-8, else as Windows-1252, which never fails.
    """
    raw = os.fsencode(Path(path).name)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")
