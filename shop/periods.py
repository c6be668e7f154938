"""Fiscal years (April start unless configured), quarters, months and comparison periods."""
from __future__ import annotations

import calendar
import contextlib
import contextvars
import datetime as dt
import os
import re
from dataclasses import dataclass

EARLIEST = dt.date(2000, 1, 1)


_HELD: contextvars.ContextVar[int | None] = contextvars.ContextVar("fiscal_start_month", default=None)


def fiscal_start_month() -> int:
    """The month fiscal years start in: $SHOP_FISCAL_START_MONTH, else 4 (April); within
    `held_fiscal_start()`, the month read when it began."""
    held = _HELD.get()
    if held is not None:
        return held
    try:
        m = int(os.environ.get("SHOP_FISCAL_START_MONTH", "4"))
    except ValueError:
        return 4
    return m if 1 <= m <= 12 else 4


@contextlib.contextmanager
def held_fiscal_start():
    """The fiscal year's first month read once and held for the block (in this thread): a release
    is built on one calendar whatever the environment does meanwhile, and the engine's hundreds of
    thousands of month lookups do not each read the environment (4 % of a build of the demo)."""
    token = _HELD.set(fiscal_start_month())
    try:
        yield
    finally:
        _HELD.reset(token)


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    label: str = ""

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __str__(self) -> str:
        return self.label or f"{self.start:%d %b %Y} – {self.end:%d %b %Y}"


def month_end(d: dt.date) -> dt.date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def add_months(d: dt.date, n: int) -> dt.date:
    y, m = divmod(d.month - 1 + n, 12)
    y += d.year
    return dt.date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


def fy_start_year(d: dt.date) -> int:
    """The calendar year in which d's fiscal year starts."""
    return d.year if d.month >= fiscal_start_month() else d.year - 1


def fy_label(start_year: int) -> str:
    return f"FY{start_year}-{(start_year + 1) % 100:02d}"


def fiscal_year(start_year: int) -> Period:
    s = dt.date(start_year, fiscal_start_month(), 1)
    return Period(s, add_months(s, 12) - dt.timedelta(days=1), fy_label(start_year))


def parse_fy(text: str) -> Period:
    """FY2024-25 -> its period; ValueError with a plain message otherwise."""
    m = re.fullmatch(r"\s*FY\s*(\d{4})(?:\s*-\s*(\d{2}|\d{4}))?\s*", str(text), re.I)
    if not m:
        raise ValueError(f"{text!r} is not a fiscal year like FY2024-25")
    y = int(m.group(1))
    if m.group(2) and int(m.group(2)) % 100 != (y + 1) % 100:
        raise ValueError(f"{text!r} is not a fiscal year like FY2024-25")
    if not 2000 <= y <= 2100:
        raise ValueError(f"{text!r} is out of range")
    return fiscal_year(y)


def fiscal_quarter(d: dt.date) -> Period:
    fy = fy_start_year(d)
    s = dt.date(fy, fiscal_start_month(), 1)
    q = ((d.year - s.year) * 12 + d.month - s.month) // 3
    qs = add_months(s, 3 * q)
    return Period(qs, add_months(qs, 3) - dt.timedelta(days=1), f"{fy_label(fy)} Q{q + 1}")


def quarter_label(d: dt.date) -> str:
    return fiscal_quarter(d).label


def month(d: dt.date) -> Period:
    s = d.replace(day=1)
    return Period(s, month_end(s), f"{s:%B %Y}")


def is_whole_months(p: Period) -> bool:
    return p.start.day == 1 and p.end == month_end(p.end) and p.start <= p.end


def months_between(p: Period) -> int:
    return (p.end.year - p.start.year) * 12 + p.end.month - p.start.month + 1


def labelled(s: dt.date, e: dt.date) -> Period:
    """The period s..e, named when it is a fiscal year, a fiscal quarter or a month."""
    fy = fiscal_year(fy_start_year(s))
    if (fy.start, fy.end) == (s, e):
        return fy
    q = fiscal_quarter(s)
    if (q.start, q.end) == (s, e):
        return q
    m = month(s)
    if (m.start, m.end) == (s, e):
        return m
    return Period(s, e)


def previous(p: Period) -> Period:
    """The period of the same length just before (whole months stay whole months)."""
    if is_whole_months(p):
        return labelled(add_months(p.start, -months_between(p)), p.start - dt.timedelta(days=1))
    return Period(p.start - dt.timedelta(days=p.days), p.start - dt.timedelta(days=1))


def year_earlier(p: Period) -> Period:
    e = month_end(add_months(p.end, -12)) if p.end == month_end(p.end) else add_months(p.end, -12)
    return labelled(add_months(p.start, -12), e)


def this_fy_to_date(today: dt.date) -> Period:
    fy = fiscal_year(fy_start_year(today))
    return Period(fy.start, today, f"{fy.label} to date")


def parse_iso(text) -> dt.date:
    """A strict YYYY-MM-DD date between 2000 and 2100, else ValueError."""
    s = str(text)
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):
        raise ValueError("not a date like 2025-04-01")
    try:
        d = dt.date.fromisoformat(s)
    except ValueError:
        raise ValueError(f"{s} is not a date like 2025-04-01") from None
    if not EARLIEST <= d <= dt.date(2100, 12, 31):
        raise ValueError("out of range")
    return d


def from_to(frm, to, today: dt.date, max_days: int = 3700) -> Period:
    """A period from two untrusted strings; ValueError with a plain message."""
    s, e = parse_iso(frm), parse_iso(to)
    if e < s:
        raise ValueError("the end is before the start")
    if (e - s).days > max_days:
        raise ValueError("the period is longer than ten years")
    return labelled(s, e)
