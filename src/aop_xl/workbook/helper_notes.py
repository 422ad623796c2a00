"""Plain-words notes on the helper columns' headers.

The helper columns (grouped and hidden) hold the steps of the exact splits. Each header gets
an Excel note (a cell comment) saying in plain words what its column computes, so that an
analyst who opens a group can follow the arithmetic without the documentation.
"""

from __future__ import annotations

import re

from openpyxl.comments import Comment

AUTHOR = "aop_xl"

_UNITS = "in whole units of the plan's rounding unit (0.01: cents)"
_EXACT = ("split into parts so that every product stays below 2^48, where Excel, LibreOffice and Gnumeric "
          "multiply whole numbers exactly")

#: (pattern over the header text, note). The first match wins; every helper header must match.
NOTES: tuple[tuple[str, str], ...] = (
    # running-total rounding of a table between margins, month by month
    (r'^(="rr |rr \d)', "Running-total rounding, this month: the remainder of the row's exact running total "
                        "(what rounding down left over)."),
    (r'^(="f |f \d)', "Running-total rounding, this month: the units the row still has coming this year."),
    (r'^(="room |room \d)', "Running-total rounding, this month: 1 when the row may take one more unit."),
    (r'^(="key |key \d)', "Running-total rounding, this month: the row's priority for a leftover unit (larger "
                          "remainder first, the earlier row on ties)."),
    (r'^(="u |u \d)', "Running-total rounding: the row's units this month " + _UNITS + "."),
    (r"[Uu]nits to place|Units left", "Units still to hand out after every row took its rounded-down share."),
    (r"[Rr]ows with room|Regions with room|Regions with ROI", "How many rows may still take a unit (or qualify)."),
    # splits by weight
    (r"(?i)raw remainder", "Exact share minus its rounded-down part, before the leftover units are ranked."),
    (r"[Rr]emainder|rho$", "Rank key for leftover units: the remainder of the exact share (larger first, ties to "
                        "the earlier member)."),
    (r"^Floor$|: floor|Month: floor", "The exact share rounded down, " + _UNITS + "."),
    (r"/ W$|/ mix$|^Div$|quarter target / weight|Total / W", "Whole-number quotient of the amount to split by the "
                                                              "weight sum W."),
    (r"mod W$|mod mix$|^Mul$|quarter: remainder", "Remainder of that division: with the quotient it gives the "
                                                 "exact share without a rounding error."),
    (r"\bhigh\b|\blow\b|high part|low part|W high|W low|bits\)", "A whole number " + _EXACT + "."),
    (r"[Dd]ecimals|Decimal places", "Decimal places of the weights (at most 6): they are scaled by 10^d to "
                                    "whole numbers."),
    (r"x 10\^d|Whole-number weight|Share weight", "The weight as a whole number (weight x 10^d)."),
    (r"Reduced by 10\^", "Powers of ten taken off whole-number weights above 2^31 (the same ratio, exact)."),
    (r"Weight used|^Weight$|weight W|Weight W|Share used|^Share$|Mix weight|Month weight|Running weight|Weights$",
     "The weight this row is split on: as typed, 0 for a blank name, or derived (prior-year revenue x growth)."),
    (r"Month weights\?|Own mix\?|Fixed\?|From prior year\?", "1 when this case applies to the row, else 0."),
    (r"Growth target|Fixed \(units\)|Total \(units\)|Split of the region|Region \(units\)|Units$|\(units\)|"
     r"Company month|To split", "An amount " + _UNITS + "."),
    (r"^Running total$", "The row's exact running total over the months, the margin the rounding follows."),
    (r"^Sign$", "1, or -1 for a planned decline: splits run on sizes and take the sign back at the end."),
    (r"^Unit$", "The plan's rounding unit."),
    (r"^First month$|^Period$|Start month|Months active", "The fiscal month (1 to 12) the row counts from, or "
                                                          "its number of months."),
    (r"Region position|^Region$", "The row's region, as a position in the regions' list (0 when unknown)."),
    (r"Challenge (Q\d|month \d+) (q|val|a|b|b\d|rr)$", "The challenge quota's period split across the region's reps: "
                                                    "rounded-down share and its parts."),
    # commission
    (r"^Floor \d+$", "Sales at which this band starts (a share of the base or challenge quota, or an amount)."),
    (r"^Band \d+ \(exact\)$", "Commission earned inside this band, before rounding."),
    (r"^Running \d+ \(units\)$", "Commission of the bands up to this one, rounded as a running total, so the "
                                 "bands add up to the commission exactly."),
    (r"^Sales \(>= 0\)$", "Sales, with a negative figure counted as 0."),
    (r"^Eligible$", "1 when the rep earns: attainment at or above the minimum, and a quota where the tiers need "
                    "one."),
    (r"^Retroactive \(exact\)$", "The highest band's rate on all sales, before rounding."),
    # budget
    (r"Commission at target", "Commission at target " + _UNITS + ", spread over the months."),
    (r"^Highest$|^Lowest$|Position if highest ROI", "The regions with the highest and lowest ROI, for the "
                                                    "reallocation suggestion."),
    # summary
    (r"^Check block$", "A block of check cells of the workbook."),
    (r"^Failing$", "How many check cells of the block show a number other than 0."),
    (r"^First failing$", "The position of the first block with a failing check (0: none)."),
    (r"^Link$", "Where the block's check cells are: the Summary's link goes there."),
)
_COMPILED = tuple((re.compile(p), note) for p, note in NOTES)


def note_for(header: str) -> str | None:
    """The plain-words note of a helper header, or None when no pattern knows it.

    Examples:
        >>> note_for("Units mod W")[:30]
        'Remainder of that division: wi'
    """
    for pattern, note in _COMPILED:
        if pattern.search(header):
            return note
    return None


def add_notes(ctx) -> list[str]:
    """Attach the notes to every helper header of the workbook; return the headers without one."""
    unknown = []
    for sheet, used in ctx.styles.used.items():
        ws = ctx.sheets[sheet]
        for row, col in sorted(used.get("helper_header", ())):
            cell = ws.cell(row, col)
            text = str(cell.value or "")
            if not text:
                continue
            note = note_for(text)
            if note is None:
                unknown.append(f"{sheet}: {text}")
                continue
            cell.comment = Comment(note, AUTHOR, width=260, height=90)
    return unknown
