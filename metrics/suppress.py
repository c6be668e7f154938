"""The vocabulary of suppression: k, the marks `<k` and `x`, and the footnote.

Deciding what is suppressed is metrics.release's job alone.
"""
from __future__ import annotations

import os

SECONDARY = "x"  # the mark of a complementary (secondary) suppression
WITHHELD = "w"   # a count withheld (never a zero): with the figures around it, it would narrow a small count down


def threshold() -> int:
    """k: $SHOP_SUPPRESS_K, default 10, never below 5."""
    try:
        k = int(os.environ.get("SHOP_SUPPRESS_K", "10"))
    except ValueError:
        k = 10
    return max(5, k)


def primary_mark(k: int | None = None) -> str:
    return f"<{k or threshold()}"


def footnote(k: int | None = None) -> str:
    k = k or threshold()
    return (f"<{k}: a count of people or their contacts from 1 to {k - 1}, suppressed to protect "
            f"privacy. x: a count of {k} or more, hidden so that a suppressed count cannot be worked out from "
            f"totals, or a rate or share of a small or hidden count. w: a count of 1 or more, withheld because "
            f"with the figures around it, it would narrow a small count down. 0 is a true zero.")
