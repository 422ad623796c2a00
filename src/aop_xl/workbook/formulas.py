"""Formula text for the standard workbook: the engine's rules, spelled in plain Excel.

Every split in the workbook repeats :mod:`aop_xl.engine.split` cell for cell, in helper
columns: the exact share ``n * (w / sum(w))`` in whole units, its floor with the 1e-9 slack,
the remainder rounded to 9 decimals (-1 for a zero weight), and the rank of the remainder
among the group's members (larger first, ties to the earlier member); a member gets one
more unit when its rank is below the units left over. Functions are limited to those Excel
2016 and LibreOffice 7.4 both evaluate; nothing volatile, no dynamic arrays, no IF inside
array expressions (Excel 2016 would need Ctrl+Shift+Enter).
"""

from __future__ import annotations

from aop_xl.units import HALF_SLACK, HALF_SLACK_REL

FLOOR_SLACK = 1e-9
REMAINDER_DECIMALS = 9

#: Stands for "no upper bound" in the tier arithmetic (a floor no sales reach).
BIG = "1E+300"
_PAIRWISE_BLOCK = 128  # numpy's pairwise-summation block size


def num(x: float) -> str:
    """A float constant as formula text (``1e-09`` -> ``1E-09``)."""
    text = repr(float(x))
    if text.endswith(".0"):
        text = text[:-2]
    return text.upper()


SLACK = num(FLOOR_SLACK)
HALF = num(HALF_SLACK)
HALF_REL = num(HALF_SLACK_REL)
DEC = str(REMAINDER_DECIMALS)


def floor_units(share: str) -> str:
    """The first allotment: ``INT(share + 1e-9)``."""
    return f"INT({share}+{SLACK})"


def remainder(share: str, positive: str) -> str:
    """The remainder that ranks a member; ``-1`` when ``positive`` (its weight > 0) is false."""
    return f"IF({positive},ROUND({share}-INT({share}+{SLACK}),{DEC}),-1)"


def rank(rems: str, upto: str, rem: str) -> str:
    """0-based rank of ``rem`` among ``rems``: larger first, ties to the earlier member.

    Args:
        rems: the group's remainder range.
        upto: the range from the group's first remainder to this member's (inclusive).
        rem: this member's remainder cell.
    """
    return f"(SUMPRODUCT(--({rems}>{rem}))+SUMPRODUCT(--({upto}={rem}))-1)"


def group_rank(groups: str, group: str, rems: str, groups_upto: str, rems_upto: str, rem: str) -> str:
    """:func:`rank` among the members whose group cell equals ``group`` (reps of a region)."""
    return (f"(SUMPRODUCT(({groups}={group})*({rems}>{rem}))"
            f"+SUMPRODUCT(({groups_upto}={group})*({rems_upto}={rem}))-1)")


def allot(share: str, rank_expr: str, left: str) -> str:
    """Whole units of a member: floor, plus one when its rank is below the units left."""
    return f"{floor_units(share)}+({rank_expr}<{left})"


def left_over(total: str, shares: str) -> str:
    """Units left after the floors: ``total - SUMPRODUCT(INT(shares + 1e-9))``."""
    return f"{total}-SUMPRODUCT(INT({shares}+{SLACK}))"


def exact_floor(y: str) -> str:
    """``floor(y)`` of a non-negative ``y``, exact in LibreOffice too.

    LibreOffice's INT rounds its argument to 15 significant digits first, so INT(y) can be
    one too high when y sits just below a whole number (406473238.99999994 gives 406473239).
    One below INT(y) is always at or below the true floor, and ``y`` minus it (between 0 and
    2, far from any approximate-equality snapping) says whether to add one back.
    """
    return f"(INT({y})-1+(({y})-(INT({y})-1)>=1))"


def round_half(x: str) -> str:
    """Round a non-negative quantity of units to a whole unit, halves up, exactly as the
    engine's ``to_units(..., round_half=True)``: ``floor(x + 0.5 + 1e-9 + x * 1e-14)``."""
    return exact_floor(f"({x})*(1+{HALF_REL})+0.5+{HALF}")


def round_half_signed(x: str) -> str:
    """:func:`round_half` for either sign: halves away from zero."""
    return f"SIGN({x})*{exact_floor(f'ABS({x})*(1+{HALF_REL})+0.5+{HALF}')}"


def amount(units: str, mul: str, div: str, sign: str | None = None) -> str:
    """Whole units back to an amount exactly as ``units.from_units`` does it."""
    u = f"{sign}*{units}" if sign else units
    return f"{u}*{mul}/{div}"


def check(parts: str, total: str, unit: str) -> str:
    """A check cell: parts minus total, in whole units of the plan, shown as an amount (0 = ok)."""
    return f"ROUND(({parts}-({total}))/{unit},0)*{unit}"


def text_ref(ref: str) -> str:
    """Show a text input cell, blank as blank (a bare reference shows 0)."""
    return f'IF({ref}="","",{ref})'


def exact_sum(cells: list[str], area: str, limit: int = 3000) -> str:
    """:func:`pairwise_sum` of ``cells``, or ``SUM(area)`` when that text would be too long."""
    text = pairwise_sum(cells)
    return text if len(text) <= limit else f"SUM({area})"


def pairwise_sum(cells: list[str]) -> str:
    """Sum of cells in numpy's pairwise order, so the float result matches the engine's bit for bit.

    numpy adds up to 8 terms one by one; up to 128 with 8 running partial sums combined as
    ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)) and the rest added one by one; beyond, it halves.
    """
    n = len(cells)
    if n == 0:
        return "0"
    if n < 8:
        return "(" + "+".join(cells) + ")"
    if n <= _PAIRWISE_BLOCK:
        r = [[cells[j]] for j in range(8)]
        upto = n - n % 8
        for i in range(8, upto, 8):
            for j in range(8):
                r[j].append(cells[i + j])
        parts = ["+".join(x) if len(x) > 1 else x[0] for x in r]
        parts = [f"({p})" if "+" in p else p for p in parts]
        expr = f"(({parts[0]}+{parts[1]})+({parts[2]}+{parts[3]}))+(({parts[4]}+{parts[5]})+({parts[6]}+{parts[7]}))"
        rest = cells[upto:]
        return "(" + "+".join([f"({expr})", *rest]) + ")" if rest else f"({expr})"
    half = n // 2
    half -= half % 8
    return f"({pairwise_sum(cells[:half])}+{pairwise_sum(cells[half:])})"
