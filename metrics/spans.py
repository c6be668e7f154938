"""The periods the External audience may see: spans of whole ended months of one fiscal year.

A span is months a..b of a fiscal year (0 = its first month). The External view offers each
ended month, each ended fiscal quarter, the year once ended, this year's whole months to date
(and the same months a year earlier), and this year's unfinished quarter to date. Any other
period is staff-only. Everything here is pure date arithmetic over `shop.settings`'s day.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from shop import periods
from shop.periods import Period



@dataclass(frozen=True)
class Span:
    """Whole months a..b (0 = the fiscal year's first month) of the fiscal year starting in `fy`."""
    fy: int
    a: int
    b: int

    @property
    def period(self) -> Period:
        return _period_of(self)

    def _dates(self):
        start = periods.add_months(periods.fiscal_year(self.fy).start, self.a)
        return start, periods.month_end(periods.add_months(start, self.b - self.a))

    @property
    def quarter_aligned(self) -> bool:
        return self.a % 3 == 0 and self.b % 3 == 2


def months_done(fy: int, today: dt.date) -> int:
    """Whole months of fiscal year `fy` that have ended before `today`'s month began."""
    first_open = today.replace(day=1)
    start = periods.fiscal_year(fy).start
    n = (first_open.year - start.year) * 12 + first_open.month - start.month
    return max(0, min(12, n))


def current_fy(today: dt.date) -> int:
    return periods.fy_start_year(today)


def spans(fy: int, today: dt.date, quarters_only: bool = False) -> list[Span]:
    """Every span of fiscal year `fy` in its External table (ended months only)."""
    m = months_done(fy, today)
    ytd = months_done(current_fy(today), today)  # this year's whole months: its year-earlier twin too
    out = [(i, i) for i in range(m)]
    out += [(3 * q, 3 * q + 2) for q in range(4) if 3 * q + 2 < m]
    if m == 12:
        out.append((0, 11))
    if 0 < ytd < 12 and ytd <= m:
        out.append((0, ytd - 1))
        if ytd % 3:
            out.append((3 * (ytd // 3), ytd - 1))
    if quarters_only and ytd >= 3 and 3 * (ytd // 3) <= m:  # this year's whole quarters to date, and its twin
        out.append((0, 3 * (ytd // 3) - 1))
    seen, res = set(), []
    for a, b in out:
        if (a, b) not in seen and (not quarters_only or (a % 3 == 0 and b % 3 == 2)):
            seen.add((a, b))
            res.append(Span(fy, a, b))
    return res


def external_span(period: Period, today: dt.date, quarters_only: bool = False) -> Span | None:
    """The span of the External table that `period` is, or None (then it is staff-only)."""
    if not periods.is_whole_months(period):
        return None
    fy = periods.fy_start_year(period.start)
    if periods.fy_start_year(period.end) != fy:
        return None
    start = periods.fiscal_year(fy).start
    a = (period.start.year - start.year) * 12 + period.start.month - start.month
    b = (period.end.year - start.year) * 12 + period.end.month - start.month
    s = Span(fy, a, b)
    return s if s in spans(fy, today, quarters_only) else None


def ytd(today: dt.date) -> Period | None:
    """This fiscal year's whole months to date (never the current month), or None in its first month."""
    fy = current_fy(today)
    m = months_done(fy, today)
    if m == 0:
        return None
    s = Span(fy, 0, m - 1)
    start, end = s._dates()
    return Period(start, end, f"{periods.fy_label(fy)} to date ({end:%b %Y})")


def comparisons(period: Period, today: dt.date, suppressed: bool) -> tuple[Period | None, Period | None]:
    """(previous, a year earlier) for `period`. Outside the staff view both are spans of the
    linked tables: the month or quarter before, the year before, and for the year to date
    the same months a year earlier."""
    if not suppressed:
        return periods.previous(period), periods.year_earlier(period)
    s = external_span(period, today)
    if s is None:
        return None, None
    earlier = _period_of(Span(s.fy - 1, s.a, s.b))
    n = s.b - s.a + 1
    if n in (1, 3, 12) and (n != 3 or s.a % 3 == 0):
        prev = periods.previous(period)
    else:  # the year to date, or its last unfinished quarter: the same months a year earlier
        prev = earlier
    return prev, earlier


def _period_of(s: Span) -> Period:
    start, end = s._dates()
    n = s.b - s.a + 1
    if s.a == 0 and n not in (3, 12):
        return Period(start, end, f"{periods.fy_label(s.fy)} first {n} month{'s' if n > 1 else ''}")
    return periods.labelled(start, end)


class NotExternal(ValueError):
    """A period the External audience cannot see (staff only)."""


def external_rule() -> str:
    return ("outside the staff view a period is a month, a fiscal quarter or a fiscal year that has ended, "
            "or this fiscal year's whole months to date (whole months only, never the current month)")


def span_or_raise(period: Period, today: dt.date, quarters_only: bool = False) -> Span:
    s = external_span(period, today, quarters_only)
    if s is None:
        raise NotExternal(external_rule())
    return s
