"""Small-cell suppression: primary `<10`, complementary `x`, rates, and the footnote.

Works on plain numbers so the same rules serve KPI tiles, tables, charts,
exports and the command line.
"""
from __future__ import annotations

import os

SECONDARY = "x"  # the mark of a complementary (secondary) suppression


def threshold() -> int:
    """k: $SHOP_SUPPRESS_K, default 10, never below 5."""
    try:
        k = int(os.environ.get("SHOP_SUPPRESS_K", "10"))
    except ValueError:
        k = 10
    return max(5, k)


def primary_mark(k: int | None = None) -> str:
    return f"<{k or threshold()}"


def is_small(v, k: int | None = None) -> bool:
    k = k or threshold()
    return v is not None and 0 < v < k


def count(v, k: int | None = None):
    """A disclosive count as released: 0 stays 0, 1..k-1 becomes '<k'."""
    return primary_mark(k) if is_small(v, k) else v


def rate(value, numerator, denominator, k: int | None = None):
    """A rate of disclosive counts: hidden ('x') when either count is small, or when it is
    0 % or 100 % of a group below 2k."""
    k = k or threshold()
    if value is None:
        return None
    if is_small(numerator, k) or is_small(denominator, k):
        return SECONDARY
    if denominator is not None and denominator < 2 * k and value in (0, 1):
        return SECONDARY
    return value


def complementary(values: dict, groups: list[list], k: int | None = None,
                  disclosive: bool = True) -> dict:
    """Suppress a table given as {cell: count} whose groups (a row with its total, a column
    with its total, a quarter with its months ...) each add up.

    Returns {cell: value | '<k' | 'x'}. Primary suppression hides 1..k-1; then, while any
    group has exactly one hidden cell, its smallest other non-zero cell is hidden too.
    """
    k = k or threshold()
    if not disclosive:
        return dict(values)
    hidden = {c for c, v in values.items() if is_small(v, k)}
    secondary: set = set()
    changed = True
    while changed:
        changed = False
        for g in groups:
            h = [c for c in g if c in hidden or c in secondary]
            if len(h) != 1:
                continue
            others = [c for c in g if c not in h and (values.get(c) or 0) > 0]
            if not others:
                continue
            pick = min(others, key=lambda c: (values[c], str(c)))
            secondary.add(pick)
            changed = True
    out = {}
    for c, v in values.items():
        out[c] = primary_mark(k) if c in hidden else SECONDARY if c in secondary else v
    return out


def footnote(k: int | None = None) -> str:
    k = k or threshold()
    return (f"<{k}: a count of people or their contacts from 1 to {k - 1}, suppressed to protect "
            f"privacy. x: suppressed so that a suppressed count cannot be worked out from totals, "
            f"or a rate or share of a small or suppressed count. 0 is a true zero.")


def table_groups(rows: list, cols: list, total_row=None, total_col=None) -> list[list]:
    """The groups of a cross-table whose total row and/or total column are among rows/cols."""
    groups = []
    if total_col is not None:
        groups += [[(r, c) for c in cols] for r in rows]
    if total_row is not None:
        groups += [[(r, c) for r in rows] for c in cols]
    return groups
