"""Largest-remainder splits and running-total rounding, written as formulas.

The engine's rules (docs/engine.md: "Splits", "Running-total rounding", "Exact shares") in
cell formulas that Excel, LibreOffice and Gnumeric evaluate alike. The sheet builders lay out
the helper cells; this module writes the formula text of each.

A table filled by running-total rounding has, per row and month, five helper cells (the
layout's GRIDS): ``rr`` the raw remainder of the row's exact running total, ``f`` what the row
still has coming by the end of the month (floor), ``room`` what it may still take, ``key`` its
priority, ``u`` its units of the month. Per table and month two aggregates: ``k`` the units
left to place after the first allotments, ``rp`` the rows with room.
"""

from __future__ import annotations

from dataclasses import dataclass

from aop_xl.workbook import formulas as fx
from aop_xl.workbook.layout import MONTHS


@dataclass(frozen=True)
class Rows:
    """The rows of one table inside a block: sheet rows ``first`` to ``last``; for a table
    whose rows are scattered (a region's reps), ``groups`` is the column letter holding each
    row's table (its region) and ``group`` this row's own group cell."""

    first: int
    last: int
    groups: str | None = None
    group: str | None = None

    def span(self, letter: str, row: int, part: str = "all") -> str:
        """The range of column ``letter``: ``all`` rows, ``upto`` this row, ``from`` this row."""
        if part == "upto":
            return f"${letter}${self.first}:${letter}{row}"
        if part == "from":
            return f"${letter}{row}:${letter}${self.last}"
        return f"${letter}${self.first}:${letter}${self.last}"

    def factor(self, row: int, part: str = "all") -> str:
        """``(groups=group)*`` for scattered tables, empty for contiguous ones."""
        if self.groups is None:
            return ""
        return f"({self.span(self.groups, row, part)}={self.group})*"


def sumproduct(rows: Rows, row: int, part: str, *terms: str) -> str:
    """SUMPRODUCT of comparisons and arithmetic over the table's rows (no function over a range).

    A lone comparison is turned into numbers with ``--``: SUMPRODUCT of a bare TRUE/FALSE
    array is 0 in Excel and Gnumeric.
    """
    body = f"{rows.factor(row, part)}{'*'.join(terms)}"
    if len(terms) == 1 and not rows.factor(row, part):
        body = f"--{body}"
    return f"SUMPRODUCT({body})"


def aggregate_k(total: str, rows: Rows, f_letter: str, row: int) -> str:
    """Units left to place in a column: its total minus the rows' first allotments max(f, 0)."""
    f = rows.span(f_letter, row)
    return f"{total}-{sumproduct(rows, row, 'all', f'({f}>0)', f)}"


def aggregate_rp(rows: Rows, key_letter: str, row: int) -> str:
    """Rows with room in a column: those whose key is -1 or more."""
    return sumproduct(rows, row, "all", f"({rows.span(key_letter, row)}>=-1)")


def allotment(rows: Rows, row: int, letters: dict[str, str], k: str, rp: str) -> str:
    """A row's units in a column (docs/engine.md, running-total rounding, steps 3 to 5).

    Args:
        rows: the table's rows.
        row: this sheet row.
        letters: column letters of this column's ``f``, ``room`` and ``key`` grids.
        k: the column's units left to place; rp: its rows with room.
    """
    key_l, f_l, room_l = letters["key"], letters["f"], letters["room"]
    key, f, room = f"{key_l}{row}", f"{f_l}{row}", f"{room_l}{row}"
    keys, fs, rooms = rows.span(key_l, row), rows.span(f_l, row), rows.span(room_l, row)
    keys_upto, rooms_upto = rows.span(key_l, row, "upto"), rows.span(room_l, row, "upto")
    keys_from, fs_from = rows.span(key_l, row, "from"), rows.span(f_l, row, "from")
    b = f"MAX({f},0)"
    spare = f"MAX({room}-1,0)"
    pos = (f"({sumproduct(rows, row, 'all', f'({keys}>{key})')}"
           f"+{sumproduct(rows, row, 'upto', f'({keys_upto}={key})')}-1)")
    first = f"({room}>0)*({pos}<{k})"
    over = f"({k}-{rp})"
    before_give = (f"({sumproduct(rows, row, 'all', f'({keys}>{key})', f'({rooms}>0)', f'({rooms}-1)')}"
                   f"+{sumproduct(rows, row, 'upto', f'({keys_upto}={key})', f'({rooms_upto}>0)', f'({rooms_upto}-1)')}"
                   f"-{spare})")
    second = f"MIN({spare},MAX(0,{over}-{before_give}))"
    before_take = (f"({sumproduct(rows, row, 'all', f'({keys}<{key})', f'({fs}>0)', fs)}"
                   f"+{sumproduct(rows, row, 'from', f'({keys_from}={key})', f'({fs_from}>0)', fs_from)}"
                   f"-{b})")
    take = f"MIN({b},MAX(0,-({k})-{before_take}))"
    return f"{b}+IF({k}>=0,{first}+IF({over}>0,{second},0),-{take})"


@dataclass(frozen=True)
class Season:
    """Absolute references to the seasonality's whole-number weights: per month the weight,
    the running weight and its 16-bit parts; the sum W and its parts."""

    weight: tuple[str, ...]
    running: tuple[str, ...]
    running_hi: tuple[str, ...]
    running_lo: tuple[str, ...]
    total: str
    total_hi: str
    total_lo: str


def month_row(w, table, i: int, rows: Rows, season: Season, t: str, aggregates, style_amount) -> None:
    """The month grids and month values of row ``i`` of a month table (seasonal running totals).

    Args:
        w: the sheet writer.
        table: the block (its helper columns ``al``, ``be``, ``be1``, ``be0`` and the grids).
        i: the row (0-based in the block).
        rows: the table this row belongs to.
        season: the seasonality references.
        t: this row's total (whole units, magnitude), a cell reference.
        aggregates: function month index -> (k, rp) references of this row's table.
        style_amount: function units cell -> the month's displayed formula (or None to leave
            the month columns alone).
    """
    r = table.row(i)
    c = {k: f"{table.letter(k)}{r}" for k in ("al", "be", "be1", "be0")}
    big_w = season.total
    w.formula(r, table.col("al"), fx.floor_div(t, f"MAX({big_w},1)"), "helper")
    w.formula(r, table.col("be"), f"{t}-MAX({big_w},1)*{c['al']}", "helper")
    w.formula(r, table.col("be1"), fx.hi(c["be"]), "helper")
    w.formula(r, table.col("be0"), fx.lo(c["be"]), "helper")
    for m, key in enumerate(MONTHS):
        letters = {g: table.letter(f"{g}_{key}") for g in ("rr", "f", "room", "key", "u")}
        cell = {g: f"{letters[g]}{r}" for g in letters}
        prev = "(" + "+".join(f"{table.letter(f'u_{k}')}{r}" for k in MONTHS[:m]) + ")" if m else "0"
        run, run1, run0 = season.running[m], season.running_hi[m], season.running_lo[m]
        qhat = f"INT({c['be']}*{run}/MAX({big_w},1))"
        w.formula(r, table.col(f"rr_{key}"), fx.product_remainder(c["be1"], c["be0"], run1, run0, season.total_hi,
                                                                  season.total_lo, qhat), "helper")
        q = f"{c['al']}*{run}+{qhat}+{fx.correction(cell['rr'], big_w)}"
        w.formula(r, table.col(f"f_{key}"), f"{q}-{prev}", "helper")
        w.formula(r, table.col(f"room_{key}"), f"{t}-{prev}-MAX({cell['f']},0)", "helper")
        w.formula(r, table.col(f"key_{key}"), f"IF({cell['room']}>0,IF({cell['f']}>=0,"
                  f"{fx.fixed(cell['rr'], big_w)},-1),-2)", "helper")
        k, rp = aggregates(m)
        w.formula(r, table.col(f"u_{key}"), f"IF({season.weight[m]}=0,0,{allotment(rows, r, letters, k, rp)})",
                  "helper")
        if style_amount is not None:
            style_amount(r, table.col(key), cell["u"])
