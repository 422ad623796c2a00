"""Conversion between the values Excel hands a worksheet function and the engine's arguments.

One pipeline of small stages, kept apart from the ``=AOP_*`` functions (``udfs.py``), which
only chain them: convert the arguments, call one engine function, convert the result.

What arrives here has already been through xlwings' own reader (``xlwings.conversion.read``
with the options each function declares): blank cells are None, numbers are floats, cell
errors are their text (``"#N/A"``, with ``err_to_str=True``), and range arguments declared
with ``ndim=2`` are lists of rows. The stages below add what the engine needs:

* :func:`number` / :func:`optional_number`: one value as a float; text numbers such as
  ``"1,200.50"``, ``" 30 "``, ``"1.5%"`` or ``"(1,200)"`` are accepted, booleans, dates,
  other text and cell errors are refused with a message naming the argument;
* :func:`grid` / :func:`numbers_in`: a range flattened row by row, its shape remembered, so that
  :meth:`Grid.shaped` gives a result back in the orientation of the input (a column in, a
  column out; a row in, a row out);
* :func:`locks`, :func:`tiers`, :func:`choice`: the few arguments with a structure of their own;
* :func:`excel_value`: the engine's result as plain Python numbers, text and lists (no numpy);
* :func:`errors_as_values`: the decorator that turns a bad input into a short ``#AOP! ...``
  text in the cell, in the manner of Excel's own error values, instead of a traceback.

This module does not import xlwings: it works on plain Python values.
"""

from __future__ import annotations

import functools
import math
import numbers
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from aop_xl.errors import AopError, PlanError
from aop_xl.plan import DEFAULT_TIERS

ERROR_PREFIX = "#AOP!"
# Excel's MacroOptions cuts descriptions at 255 characters; an error text is kept shorter
# so that it stays readable in a cell and in a tooltip.
MAX_MESSAGE = 200
# The exceptions that mean "bad input": the engine's own errors (PlanError is a ValueError),
# and what Python raises on values of the wrong kind or size (a division by a zero input).
INPUT_ERRORS = (AopError, ValueError, TypeError, ArithmeticError)

# Thousands separators only in groups of three, so that "1,5" (a decimal comma) is refused
# rather than read as 15.
_TEXT_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d*)(?:\.\d*)?(?:[eE][+-]?\d+)?")
_CELL_TEXT = 40  # characters of a refused text quoted back in a message


# --- errors as values ----------------------------------------------------------------------


def error_value(exc: BaseException) -> str:
    """The cell text for an exception: ``#AOP! <first line of its message>``, shortened.

    Args:
        exc: the exception raised while converting arguments or inside the engine.

    Returns:
        One line of at most ``len(ERROR_PREFIX) + 1 + MAX_MESSAGE`` characters.

    Examples:
        >>> from aop_xl import PlanError
        >>> error_value(PlanError(["weights: are all zero", "unit: must be positive"]))
        '#AOP! weights: are all zero (and 1 more problem)'
    """
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    message = lines[0] if lines else type(exc).__name__
    if len(lines) > 1:
        more = len(lines) - 1
        message += f" (and {more} more problem{'s' if more > 1 else ''})"
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 3].rstrip() + "..."
    return f"{ERROR_PREFIX} {message}"


def errors_as_values(func: Callable) -> Callable:
    """Decorate a worksheet function so that bad input gives an ``#AOP! ...`` value.

    Only input errors (:data:`INPUT_ERRORS`) are caught; anything else is a bug and is left
    to xlwings, which shows it in the cell. ``functools.wraps`` keeps the name, docstring and
    signature that xlwings reads to register the function.
    """

    @functools.wraps(func)
    def wrapper(*args):
        try:
            return func(*args)
        except INPUT_ERRORS as exc:
            return error_value(exc)

    return wrapper


# --- one value -----------------------------------------------------------------------------


def _quote(text: str) -> str:
    return repr(text if len(text) <= _CELL_TEXT else text[: _CELL_TEXT - 3] + "...")


def _is_cell_error(text: str) -> bool:
    return text.startswith("#")


def text_number(text: str, where: str) -> float:
    """A number typed as text: ``" 30 "``, ``"1,200.50"``, ``"-4.5e3"``, ``"15%"``, ``"(1,200)"``.

    Raises:
        PlanError: the text is not a number (a decimal comma such as ``"1,5"`` included).
    """
    s = text.strip()
    if _is_cell_error(s):
        raise PlanError(f"{where}: holds the error {s[:_CELL_TEXT]}")
    negative = len(s) > 2 and s[0] == "(" and s[-1] == ")"
    if negative:
        s = s[1:-1].strip()
    scale = 1.0
    if s.endswith("%"):
        s, scale = s[:-1].rstrip(), 0.01
    if not (any(c.isdigit() for c in s) and _TEXT_NUMBER.fullmatch(s)) or (negative and s[:1] in "+-"):
        raise PlanError(f"{where}: expected a number, got the text {_quote(text)}")
    value = float(s.replace(",", "")) * scale
    return -value if negative else value


def optional_number(value: Any, where: str) -> float | None:
    """One value as a float, or None for a blank (or omitted) argument.

    Args:
        value: what xlwings read: None, a float, an int, a str, a bool, a date, or a list
            when a range of several cells was given.
        where: the argument's name (and cell) for the message.

    Raises:
        PlanError: a boolean, a date, non-numeric text, a cell error, several cells, or a
            value that is not finite.
    """
    if isinstance(value, list | tuple):
        cells = grid(value, where)
        if cells.size != 1:
            raise PlanError(f"{where}: expected one value, got a range of {cells.size} cells")
        value = cells.values[0]
    if value is None:
        return None
    if isinstance(value, bool | np.bool_):
        raise PlanError(f"{where}: expected a number, got {'TRUE' if value else 'FALSE'}")
    if isinstance(value, str):
        if not value.strip():
            return None
        number_value = text_number(value, where)
    elif isinstance(value, numbers.Real):
        number_value = float(value)
    else:
        raise PlanError(f"{where}: expected a number, got {type(value).__name__} {_quote(str(value))}")
    if not math.isfinite(number_value):
        raise PlanError(f"{where}: expected a finite number, got {number_value}")
    return number_value


def number(value: Any, where: str) -> float:
    """A required number: as :func:`optional_number`, but a blank is refused.

    Excel would read a blank as 0; for a total, a quota or a target a blank is almost
    always an unfinished input, so it is named instead of silently used.
    """
    result = optional_number(value, where)
    if result is None:
        raise PlanError(f"{where}: is blank, expected a number")
    return result


def choice(value: Any, where: str, options: Sequence[str]) -> str | None:
    """A keyword such as a mode or direction, case and surrounding spaces ignored.

    Returns:
        The option as the engine spells it, or None for a blank argument.

    Raises:
        PlanError: not one of ``options``.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = value.strip().lower() if isinstance(value, str) else None
    for option in options:
        if text == option.lower():
            return option
    shown = _quote(value) if isinstance(value, str) else repr(value)
    raise PlanError(f"{where}: expected {' or '.join(repr(o) for o in options)}, got {shown}")


def engine_args(**kwargs: Any) -> dict[str, Any]:
    """Keyword arguments without the blank ones, so that the engine's defaults apply."""
    return {k: v for k, v in kwargs.items() if v is not None}


# --- ranges --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grid:
    """A range's cells, row by row, with its shape (rows, columns).

    A single value is a 1 x 1 grid; a flat list (a VBA array) is one row.
    """

    values: tuple
    rows: int
    columns: int

    @property
    def size(self) -> int:
        return self.rows * self.columns

    @property
    def is_line(self) -> bool:
        """True for a single row, a single column or a single cell."""
        return self.rows == 1 or self.columns == 1

    def describe(self) -> str:
        return f"{self.rows} x {self.columns} cells"

    def cell(self, i: int) -> str:
        """Where cell ``i`` (0-based, row by row) is, for a message: ``cell 3`` or ``row 2, column 1``."""
        if self.is_line:
            return f"cell {i + 1}"
        return f"row {i // self.columns + 1}, column {i % self.columns + 1}"

    def shaped(self, flat: Sequence) -> list[list]:
        """Values laid out in this grid's shape: a column for a column, a row for a row.

        Raises:
            PlanError: ``flat`` does not have one value per cell.
        """
        flat = list(flat)
        if len(flat) != self.size:
            raise PlanError(f"result: {len(flat)} values do not fill {self.describe()}")
        return [flat[r * self.columns : (r + 1) * self.columns] for r in range(self.rows)]


def grid(value: Any, where: str) -> Grid:
    """Flatten a range (list of rows), a flat list, or a single value into a :class:`Grid`.

    Raises:
        PlanError: an empty or ragged range.
    """
    if not isinstance(value, list | tuple):
        return Grid((value,), 1, 1)
    if not value:
        raise PlanError(f"{where}: is an empty range")
    if not any(isinstance(row, list | tuple) for row in value):
        return Grid(tuple(value), 1, len(value))
    if not all(isinstance(row, list | tuple) for row in value):
        raise PlanError(f"{where}: mixes rows and single values")
    width = len(value[0])
    if width == 0 or any(len(row) != width for row in value):
        raise PlanError(f"{where}: rows of different lengths")
    return Grid(tuple(cell for row in value for cell in row), len(value), width)


def numbers_in(value: Any, where: str, *, blank: float | None = 0.0, line: bool = False) -> tuple[list, Grid]:
    """The numbers of a range, row by row, and its :class:`Grid`.

    Args:
        value: a range as xlwings reads it with ``ndim=2``, or a single value.
        where: the argument's name.
        blank: what a blank cell counts as (0 for weights and margins, like Excel's SUM);
            None keeps blanks as None.
        line: require a single row or column.

    Raises:
        PlanError: a cell that is not a number, or a block where a line is required.
    """
    cells = grid(value, where)
    if line and not cells.is_line:
        raise PlanError(f"{where}: expected a single row or column, got {cells.describe()}")
    out = []
    for i, cell in enumerate(cells.values):
        x = optional_number(cell, f"{where}, {cells.cell(i)}")
        out.append(blank if x is None else x)
    return out, cells


def line(value: Any, where: str) -> list[float]:
    """The numbers of a single row or column (blanks are 0)."""
    return numbers_in(value, where, line=True)[0]


def optional_line(value: Any, where: str) -> list[float] | None:
    """As :func:`line`, or None when the argument is blank or omitted."""
    return None if value is None else line(value, where)


def numbers_like(value: Any, like: Grid, where: str) -> list[float]:
    """The numbers of a range matched cell by cell with ``like`` (blanks are 0).

    Raises:
        PlanError: the range does not have as many cells as ``like``.
    """
    flat, cells = numbers_in(value, where)
    if cells.size != like.size:
        raise PlanError(f"{where}: expected {like.size} cells like the first range, got {cells.size}")
    return flat


def matrix(value: Any, where: str) -> list[list[float]] | None:
    """A 2-D range of numbers (blanks are 0), or None when the argument is blank.

    Returns:
        A list of rows; the shape is checked by the engine.
    """
    if value is None:
        return None
    flat, cells = numbers_in(value, where)
    return cells.shaped(flat)


def locks(value: Any, like: Grid, where: str = "locks") -> dict[int, float] | None:
    """Fixed amounts by member position, from a range with one cell per member of ``like``.

    Non-blank cells are fixed amounts (0 included); blank cells are split by weight. The
    range is matched cell by cell, row by row, so it must have as many cells as ``like``.

    Returns:
        ``{position: amount}``, or None when the argument is blank or omitted.
    """
    if value is None:
        return None
    flat, cells = numbers_in(value, where, blank=None)
    if cells.size != like.size:
        raise PlanError(f"{where}: expected {like.describe()} like the weights, got {cells.describe()}")
    fixed = {i: x for i, x in enumerate(flat) if x is not None}
    return fixed or None


def tiers(value: Any, where: str = "rates") -> list[tuple[Any, float]] | None:
    """A commission schedule from Excel: a line of rates, or a floor | rate table.

    * A single row or column of 1 to 3 rates: the rates of the default bands, in order
      (from 0, from the base quota, from the challenge quota).
    * A table of two columns and at least two rows, floor | rate: a floor is ``base``,
      ``challenge`` or a number, a fraction of the base quota (0, 0.8, 1.2...); the first
      floor must be 0. Rows that are entirely blank are skipped.

    Rates may be numbers (0.015) or percent text ("1.5%").

    Returns:
        ``[(floor, rate), ...]`` for the engine, or None when the argument is blank.
    """
    if value is None:
        return None
    cells = grid(value, where)
    default_floors = [t.floor for t in DEFAULT_TIERS]
    if cells.is_line:
        rates, _ = numbers_in(value, where, blank=None)
        if any(r is None for r in rates) or len(rates) > len(default_floors):
            raise PlanError(
                f"{where}: expected 1 to {len(default_floors)} rates (bands from "
                f"{', '.join(map(str, default_floors))}), or a floor | rate table, got {cells.describe()}"
            )
        return list(zip(default_floors, rates))
    if cells.columns != 2:
        raise PlanError(
            f"{where}: expected a line of rates or a floor | rate table of 2 columns, got {cells.describe()}"
        )
    schedule = []
    for r in range(cells.rows):
        floor_cell, rate_cell = cells.values[2 * r : 2 * r + 2]
        if _blank(floor_cell) and _blank(rate_cell):
            continue
        row = f"{where}, row {r + 1}"
        floor = choice(floor_cell, f"{row}, floor", ("base", "challenge")) if _is_word(floor_cell) else None
        if floor is None:
            floor = number(floor_cell, f"{row}, floor")
        schedule.append((floor, number(rate_cell, f"{row}, rate")))
    if not schedule:
        raise PlanError(f"{where}: the table is blank")
    return schedule


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _is_word(cell: Any) -> bool:
    return isinstance(cell, str) and cell.strip()[:1].isalpha()


def series(values: Sequence[float], name: str) -> pd.Series:
    """Amounts of a range as a Series indexed by cell position (1, 2, ...), for the engine."""
    return pd.Series(list(values), index=pd.RangeIndex(1, len(values) + 1, name="cell"), dtype=float, name=name)


# --- results -------------------------------------------------------------------------------


def excel_value(result: Any) -> Any:
    """The engine's result as values Excel takes: float, int, str, bool, None and lists.

    numpy arrays become (nested) lists, numpy and pandas scalars Python ones; NaN, infinity
    and pandas' NA become None (an empty cell), the engine's "undefined".
    """
    if isinstance(result, np.ndarray | pd.Series | pd.Index):
        result = np.asarray(result, dtype=object).tolist()
    if isinstance(result, list | tuple):
        return [excel_value(x) for x in result]
    if result is None or result is pd.NA or result is pd.NaT:
        return None
    if isinstance(result, np.generic):
        result = result.item()
    if isinstance(result, bool):
        return result
    if isinstance(result, numbers.Integral):
        return int(result)
    if isinstance(result, numbers.Real):
        x = float(result)
        return x if math.isfinite(x) else None
    if isinstance(result, str):
        return result
    raise TypeError(f"result: cannot be shown in a cell ({type(result).__name__})")


def shaped_like(result: Any, like: Grid) -> list[list]:
    """A 1-D engine result laid out in the shape of the range it came from."""
    return like.shaped(excel_value(result))


def one_based(index: Any) -> int:
    """A 0-based engine index as the 1-based number Excel users count with."""
    return int(index) + 1


GAP_COLUMNS = ("gap", "gap_pct", "within_tolerance")


def gaps_like(gaps: pd.DataFrame, like: Grid, names: Sequence[str] = GAP_COLUMNS) -> list[list]:
    """The per-cell ("detail") rows of a reconciliation's gaps table, laid out like the input.

    One input value gives a row of ``len(names)`` values; a column of n gives n rows of
    ``len(names)``; a row of n gives ``len(names)`` rows of n.
    """
    detail = gaps[gaps["level"] == "detail"]
    table = [excel_value(detail[name]) for name in names]
    if like.rows == 1 and like.columns > 1:
        return table
    return [list(row) for row in zip(*table)]
