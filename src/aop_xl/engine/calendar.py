"""The fiscal calendar: 12 periods grouped into 4 quarters, starting in any month."""

from __future__ import annotations

MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
QUARTERS = ("Q1", "Q2", "Q3", "Q4")


def fiscal_month_names(start_month: int = 1) -> list[str]:
    """Names of the 12 fiscal periods, first to last (``start_month`` 4 gives Apr ... Mar)."""
    return [MONTH_NAMES[(start_month - 1 + i) % 12] for i in range(12)]


def quarter_of(period: int) -> str:
    """The quarter ("Q1".."Q4") of fiscal period 1..12."""
    return QUARTERS[(period - 1) // 3]
