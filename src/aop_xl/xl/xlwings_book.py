"""The workbook interface over a workbook open in Excel, through xlwings' documented API only.

Used by the ribbon macros when Excel calls them (``xlwings.Book.caller()``). It is exercised
only in real Excel; without Excel the tests check that every xlwings name it uses exists.
The interface's conventions are in :mod:`aop_xl.workbook.book`.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import xlwings as xw

from aop_xl.errors import WorkbookError
from aop_xl.workbook.book import (AMOUNT_FORMAT, HEADER_FILL_RGB, INPUT_FILL_RGB, INPUT_FONT_RGB, INTEGER_FORMAT,
                                  NOTE_FONT_RGB, PERCENT_FORMAT, STYLES, TITLE_FONT_RGB, XlError)

#: The xlwings API this module uses, by class: checked against the installed xlwings by the tests.
XLWINGS_API = {
    "Book": ("caller", "sheets", "fullname", "app", "save", "to_pdf"),
    "Sheets": ("add",),
    "Sheet": ("name", "range", "used_range", "clear", "autofit"),
    "Range": ("value", "options", "formula", "last_cell", "get_address", "color", "font", "number_format"),
    "Font": ("bold", "italic", "size", "color"),
    "App": ("alert", "calculate", "books"),
    "Books": ("open",),
}


class XlwingsBook:
    """A workbook open in Excel.

    Args:
        book: the ``xlwings.Book``.
        interactive: show results and errors as alerts (True when Excel called the macro).
    """

    def __init__(self, book: xw.Book, interactive: bool = True):
        self.book = book
        self.interactive = interactive

    @classmethod
    def caller(cls) -> XlwingsBook:
        """The workbook whose ribbon button (RunPython) called Python."""
        return cls(xw.Book.caller())

    @property
    def path(self) -> Path | None:
        path = Path(self.book.fullname)
        return path if path.is_absolute() and path.parent.is_dir() else None  # unsaved, or in the cloud

    def sheet_names(self) -> list[str]:
        return [sheet.name for sheet in self.book.sheets]

    def used_range(self, sheet: str) -> str:
        last = self.book.sheets[sheet].used_range.last_cell
        return "A1:" + last.get_address(row_absolute=False, column_absolute=False)

    def read(self, sheet: str, address: str) -> list[list[Any]]:
        rng = self.book.sheets[sheet].range(address)
        values = rng.options(ndim=2, err_to_str=True).value
        if any(isinstance(v, str) and v.startswith("#") for row in values for v in row):
            # An error reads as its text with err_to_str and as None without: tell it from text.
            plain = rng.options(ndim=2).value
            values = [[XlError(v) if isinstance(v, str) and v.startswith("#") and p is None else v
                       for v, p in zip(row, prow)] for row, prow in zip(values, plain)]
        return [[None if v == "" else v for v in row] for row in values]

    def read_formulas(self, sheet: str, address: str) -> list[list[str | None]]:
        formulas = self.book.sheets[sheet].range(address).formula
        if isinstance(formulas, str):
            formulas = ((formulas,),)
        return [[f if isinstance(f, str) and f.startswith("=") else None for f in row] for row in formulas]

    def write(self, sheet: str, address: str, values: list[list[Any]]) -> None:
        # A leading apostrophe makes Excel keep a string as text (never a formula or a number).
        rows = [[_plain(v) for v in row] for row in values]
        self.book.sheets[sheet].range(address).value = [["'" + v if isinstance(v, str) else v for v in row]
                                                        for row in rows]

    def add_sheet(self, name: str, after: str | None = None) -> None:
        if name in self.sheet_names():
            self.book.sheets[name].clear()
        else:
            self.book.sheets.add(name, after=self.book.sheets[after or -1])

    def style(self, sheet: str, address: str, kind: str) -> None:
        rng = self.book.sheets[sheet].range(address)
        if kind == "title":
            rng.font.bold, rng.font.size, rng.font.color = True, 14, TITLE_FONT_RGB
        elif kind == "note":
            rng.font.italic, rng.font.color = True, NOTE_FONT_RGB
        elif kind in ("header", "bold"):
            rng.font.bold = True
            if kind == "header":
                rng.color = HEADER_FILL_RGB
        elif kind == "input":
            rng.color, rng.font.color = INPUT_FILL_RGB, INPUT_FONT_RGB
        elif kind in ("amount", "percent", "integer"):
            rng.number_format = {"amount": AMOUNT_FORMAT, "percent": PERCENT_FORMAT, "integer": INTEGER_FORMAT}[kind]
        else:
            raise WorkbookError(f"style: must be one of {STYLES}, got {kind!r}")

    def autofit(self, sheet: str) -> None:
        self.book.sheets[sheet].autofit()

    def calculate(self) -> None:
        self.book.app.calculate()

    def save(self, path: str | os.PathLike | None = None) -> Path:
        self.book.save(str(path) if path is not None else None)
        return Path(self.book.fullname)

    def export_pdf(self, sheet: str, path: str | os.PathLike) -> Path:
        self.book.to_pdf(str(path), include=[sheet])
        return Path(path)

    def alert(self, message: str, title: str) -> None:
        self.book.app.alert(message, title=title)

    def open_workbook(self, path: str | os.PathLike) -> None:
        self.book.app.books.open(str(path))


def _plain(value: Any) -> Any:
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    return None if isinstance(value, float) and math.isnan(value) else value
