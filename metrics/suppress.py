"""The vocabulary of suppression: k, the marks `<k` and `x`, and the footnote.

Deciding what is suppressed is metrics.release's job alone.
"""
from __future__ import annotations

import os

SECONDARY = "x"  # the mark of a complementary (secondary) suppression
WITHHELD = "w"   # a count withheld (never a zero): with the figures around it, it would narrow a small count down
ROUNDED = "≈"    # a count of people rounded to the nearest k: "≈250" is 245 to 254 (k = 10)


def threshold() -> int:
    """k: $SHOP_SUPPRESS_K, default 10, never below 5."""
    try:
        k = int(os.environ.get("SHOP_SUPPRESS_K", "10"))
    except ValueError:
        k = 10
    return max(5, k)


def primary_mark(k: int | None = None) -> str:
    return f"<{k or threshold()}"


def rounded(v: int, k: int | None = None) -> str:
    """A count of people rounded to the nearest k (halves up): 249 -> "≈250" for k = 10."""
    k = k or threshold()
    return f"{ROUNDED}{k * ((int(v) + k // 2) // k):,}"


def rounded_bounds(mark: str, k: int | None = None) -> tuple[int, int] | None:
    """What a rounded mark says: (lowest, highest) the count can be; None if `mark` is not one."""
    if not isinstance(mark, str) or not mark.startswith(ROUNDED):
        return None
    k = k or threshold()
    r = int(mark[len(ROUNDED):].replace(",", ""))
    return max(k, r - k // 2), r + k - 1 - k // 2   # only a count of k or more is rounded: ≈10 is 10..14


def footnote(k: int | None = None) -> str:
    k = k or threshold()
    return (f"<{k}: a count of people or their contacts from 1 to {k - 1}, suppressed to protect "
            f"privacy. x: a count of {k} or more, hidden so that a suppressed count cannot be worked out from "
            f"totals, or a rate or share of a small or hidden count. w: a count of 1 or more, withheld because "
            f"with the figures around it, it would narrow a small count down. {ROUNDED}{10 * k}: a count of people rounded "
            f"to the nearest {k} ({10 * k - k // 2} to {10 * k + k - 1 - k // 2}). 0 is a true zero.")
