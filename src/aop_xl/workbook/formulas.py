"""Formula text for the standard workbook: the engine's rules, spelled in plain Excel.

Every split repeats the engine's integer arithmetic (docs/engine.md, "Exact shares") cell for
cell: whole numbers below 2^48, which Excel, LibreOffice and Gnumeric add, subtract, multiply
and compare exactly. A product of two counts that could pass 2^48 is never formed whole: the
float quotient of ``x y / z`` is within a unit of the true floor, and the remainder
``x y - q z`` is computed exactly from 16-bit (or 24-bit) parts of each factor, every partial
product below 2^48; one correction step then makes floor and remainder exact.

Functions are limited to those Excel 2016, LibreOffice 7.4 and Gnumeric evaluate alike;
nothing volatile, no dynamic arrays, no IF inside array expressions and no function applied
to a range inside SUMPRODUCT (Gnumeric needs array entry for that): comparisons and
arithmetic only. ``IF(ISNUMBER(x),x,0)`` stands for ``N(x)``, which Gnumeric refuses on a
blank cell.
"""

from __future__ import annotations

from aop_xl.units import HALF_SLACK, HALF_SLACK_REL

#: Stands for "no upper bound" in the tier arithmetic (a floor no sales reach).
BIG = "1E+300"
_PAIRWISE_BLOCK = 128  # numpy's pairwise-summation block size
#: Bases of the parts a factor is cut into: 2^16 for factors below 2^32, 2^24 below 2^48.
B16, B24 = "65536", "16777216"
#: Whole-number weights of one split above this are reduced by a power of ten (engine.exact).
REDUCE = "2147483648"
#: Rates (growth, uplift) are decimals of at most 6 places.
RATE = "1000000"


def num(x: float) -> str:
    """A float constant as formula text (``1e-09`` -> ``1E-09``)."""
    text = repr(float(x))
    if text.endswith(".0"):
        text = text[:-2]
    return text.upper()


HALF = num(HALF_SLACK)
HALF_REL = num(HALF_SLACK_REL)


def n_(x: str) -> str:
    """A number cell, blank or text as 0 (``N(x)``, spelled so Gnumeric accepts a blank)."""
    return f"IF(ISNUMBER({x}),{x},0)"


def pick(rng: str, count: int, pos: str, across: bool = False) -> str:
    """``INDEX(rng, pos)`` of a one-column range of ``count`` cells (``across``: a one-row
    range, ``INDEX(rng, 1, pos)``, which Gnumeric needs spelled out).

    A range of one cell is that cell: Gnumeric's INDEX fails on a single-cell range.
    """
    if count == 1:
        return rng.split(":")[0]
    return f"INDEX({rng},1,{pos})" if across else f"INDEX({rng},{pos})"


def significant(x: str) -> str:
    """``x`` rounded to 15 significant digits, the digits a typed number has.

    Amounts compared with each other (sales with a tier floor) go through this first:
    Gnumeric reads a typed 8,868,222.70 as a double but computes 177364454 / 20 in higher
    precision, and the two would differ in the 17th digit.
    """
    return f"IF({x}=0,0,ROUND({x},14-INT(LOG10(ABS({x})))))"


def floor_div(n: str, d: str) -> str:
    """``floor(n / d)`` of whole numbers 0 <= n < 2^48, d >= 1, exactly.

    INT of the float quotient may be a unit off (LibreOffice rounds to 15 digits first);
    the remainder ``n - d q``, exact in whole numbers, says which way.
    """
    q = f"INT({n}/{d})"
    r = f"({n}-{d}*{q})"
    return f"({q}+({r}>={d})-({r}<0))"


def hi(x: str, base: str = B16) -> str:
    """The high part of a factor: ``INT(x / base)`` (a unit off is harmless: lo makes up)."""
    return f"INT({x}/{base})"


def lo(x: str, base: str = B16) -> str:
    """The low part: ``x - base * hi(x)``."""
    return f"({x}-{base}*INT({x}/{base}))"


def product_remainder(x1: str, x0: str, y1: str, y0: str, z1: str, z0: str, qhat: str, base: str = B16) -> str:
    """``x y - qhat z`` exactly, from the parts of x, y and z (x = x1 base + x0 ...).

    ``qhat`` (an expression) is the estimated quotient; the result is the raw remainder,
    between -z and 2z when the estimate is within a unit.
    """
    h1 = f"INT({qhat}/{base})"
    h0 = f"({qhat}-{base}*{h1})"
    a = f"({x1}*{y1}-{h1}*{z1})"
    b = f"({x1}*{y0}+{x0}*{y1}-{h1}*{z0}-{h0}*{z1})"
    c = f"({x0}*{y0}-{h0}*{z0})"
    return f"(({a}*{base}+{b})*{base}+{c})"


def correction(raw: str, z: str) -> str:
    """+1, 0 or -1: how far the estimated quotient is from the floor, given the raw remainder.

    A divisor of 0 (no weights) counts as 1, so that nothing is corrected into existence.
    """
    return f"(({raw}>=MAX({z},1))-({raw}<0))"


def fixed(raw: str, z: str) -> str:
    """The exact remainder (0 <= r < z) from the raw one."""
    return f"({raw}-MAX({z},1)*{correction(raw, z)})"


def decimals(x: str) -> str:
    """Decimal places of a typed weight: the fewest d (0 to 6) with ROUND(x, d) = x, else 7."""
    expr = "7"
    for d in reversed(range(7)):
        expr = f"IF(ROUND({x},{d})={x},{d},{expr})"
    return expr


def reduction(total: str) -> str:
    """The power of ten k that brings whole-number weights adding up to ``total`` within 2^31."""
    return "+".join(f"({total}>{REDUCE}{'0' * t})" for t in range(7))


def reduced(x: str, k: str) -> str:
    """A whole-number weight divided by 10^k, halves up (k = 0 leaves it)."""
    return f"IF({k}=0,{x},{floor_div(f'({x}+5*10^({k}-1))', f'10^{k}')})"


def grow(units: str, rate: str) -> str:
    """``units x (1 + rate)`` rounded to a whole unit, halves away from zero, exactly
    (engine.exact.grow_units): ``|units| = a 10^6 + b``, ``a U + floor((b U + 500000) / 10^6)``."""
    u = f"ABS({units})"
    factor = f"ROUND((1+{rate})*{RATE},0)"
    a = floor_div(u, RATE)
    b = f"({u}-{RATE}*{a})"
    return f"SIGN({units})*({a}*{factor}+{floor_div(f'({b}*{factor}+500000)', RATE)})"


def rank(rng: str, upto: str, value: str) -> str:
    """0-based position of ``value`` among ``rng`` ordered largest first, ties to the earlier
    member; ``upto`` runs from the first member to this one (inclusive)."""
    return f"(SUMPRODUCT(--({rng}>{value}))+SUMPRODUCT(--({upto}={value}))-1)"


def group_rank(groups: str, group: str, rng: str, groups_upto: str, upto: str, value: str) -> str:
    """:func:`rank` among the members whose group cell equals ``group`` (reps of a region)."""
    return (f"(SUMPRODUCT(({groups}={group})*({rng}>{value}))"
            f"+SUMPRODUCT(({groups_upto}={group})*({upto}={value}))-1)")


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


#: Codes of the plan shown as words.
MARKET_WORDS = {"core": "Core market", "growth": "Growth market", "new": "New market"}
BCG_WORDS = {"star": "Star", "cash_cow": "Cash cow", "question_mark": "Question mark", "dog": "Dog"}
KIND_WORDS = {"one_time": "One-time", "recurring": "Recurring"}
CATEGORY_WORDS = {"salaries": "Salaries", "commissions": "Commissions", "subscriptions": "Subscriptions",
                  "prospect_lists": "Prospect lists", "travel": "Travel", "promotions": "Promotions",
                  "training": "Training", "other": "Other"}


def words(ref: str, mapping: dict[str, str]) -> str:
    """A code cell shown as words (``cash_cow`` -> ``Cash cow``); other text as it is."""
    expr = f"{ref}&\"\""
    for code, text in reversed(list(mapping.items())):
        expr = f'IF({ref}="{code}","{text}",{expr})'
    return f'IF({ref}="","",{expr})'


def metric_words(ref: str) -> str:
    """A metric code shown as words: ``lead_conversion_rate`` -> ``Lead conversion rate``."""
    return f'IF({ref}="","",UPPER(LEFT({ref},1))&SUBSTITUTE(MID({ref},2,200),"_"," "))'


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
