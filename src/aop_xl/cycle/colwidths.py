"""Column widths of a rendered regional workbook, fitted by the builder's own function.

The standard workbook fits each printed column to the widest value it shows
(:func:`aop_xl.workbook.widths.fit_printed`): the names in it, the largest amount of the plan.
A unit rendered from a template (:mod:`aop_xl.cycle.fastpath`) must get the widths the builder
would give it. So the template is built with its build context kept (:func:`build_capturing`),
and for each unit the builder's function runs again on that context, with the unit's plan and
the unit's values laid over the cells it changes (:class:`WidthFitter`). Nothing about how
widths are chosen is repeated here.
"""

from __future__ import annotations

import copy
import re
import threading
from typing import Any

from openpyxl.utils import column_index_from_string

from aop_xl.cycle.package import TemplateError

_patch_lock = threading.Lock()


def build_capturing(build, *args):
    """Run ``build(*args)`` (a normal build) and return (its result, a :class:`WidthFitter` of
    the workbook it built, or None when the builder fits no widths)."""
    from aop_xl.workbook import build as builder

    original = getattr(builder, "fit_printed", None)
    if original is None:
        return build(*args), None
    seen: list = []

    def spy(ctx):
        seen.append(ctx)
        return original(ctx)

    with _patch_lock:
        builder.fit_printed = spy
        try:
            result = build(*args)
        finally:
            builder.fit_printed = original
    return result, (WidthFitter(seen[0], original) if seen else None)


class WidthFitter:
    """The builder's width fitting, run again on a template's build context for other units.

    Args:
        ctx: the builder's context, as :func:`aop_xl.workbook.widths.fit_printed` got it.
        fit: that function.
    """

    def __init__(self, ctx, fit):
        self.ctx = ctx
        self.fit = fit
        self._lock = threading.Lock()

    def widths(self, plan, overlay: dict[str, dict[tuple[int, int], Any]]) -> dict[str, dict[int, float]]:
        """Sheet -> column -> the width the builder gives a workbook of ``plan`` whose cells are
        the template's with ``overlay`` (sheet -> (row, col) -> value) laid over them.

        Raises:
            TemplateError: a cell of the overlay is not in the template, or the fitting fails.
        """
        with self._lock:
            ctx = copy.copy(self.ctx)
            ctx.plan = plan
            saved = []
            try:
                for sheet, cells in overlay.items():
                    ws = self.ctx.sheets.get(sheet)
                    if ws is None:
                        continue
                    for rc, value in cells.items():
                        cell = ws._cells.get(rc)
                        if cell is None:
                            raise TemplateError(f"{sheet}: no cell {rc} in the template's build")
                        saved.append((cell, cell._value))
                        cell._value = value
                try:
                    self.fit(ctx)
                except (AttributeError, KeyError, TypeError, ValueError) as exc:
                    raise TemplateError(f"the builder's column widths cannot be fitted again ({exc})") from None
            finally:
                for cell, value in reversed(saved):
                    cell._value = value
            return {name: {column_index_from_string(letter): d.width for letter, d in ws.column_dimensions.items()
                           if d.width is not None}
                    for name, ws in self.ctx.sheets.items()}

    @property
    def sheets(self) -> list[str]:
        return list(self.ctx.sheets)


_COLS = re.compile(r"<cols>(.*?)</cols>", re.S)
_COL = re.compile(r"<col ([^>]*?)/>")
_ATTR = re.compile(r'(\w+)="([^"]*)"')


def col_widths(xml: str) -> dict[int, float]:
    """Column -> width, from the ``<col>`` elements of a worksheet part (a range gives its width
    to each of its columns)."""
    m = _COLS.search(xml)
    out = {}
    for col in _COL.finditer(m.group(1) if m else ""):
        attrs = dict(_ATTR.findall(col.group(1)))
        if "width" in attrs and "min" in attrs:
            for c in range(int(attrs["min"]), int(attrs.get("max", attrs["min"])) + 1):
                out[c] = float(attrs["width"])
    return out


def patch_widths(xml: str, widths: dict[int, float]) -> str:
    """The worksheet part with these columns' widths (written as openpyxl writes them).

    Raises:
        TemplateError: a column to change has no ``<col>`` element, or a range's columns would
            need different widths.
    """
    m = _COLS.search(xml)
    if m is None:
        raise TemplateError("the sheet has no <cols> to fit")
    todo = dict(widths)

    def one(col: re.Match) -> str:
        attrs = dict(_ATTR.findall(col.group(1)))
        if "width" not in attrs or "min" not in attrs:
            return col.group(0)
        span = range(int(attrs["min"]), int(attrs.get("max", attrs["min"])) + 1)
        new = {todo.pop(c) for c in span if c in todo}
        if not new:
            return col.group(0)
        if len(new) > 1 or (len(span) > 1 and any(c not in widths for c in span)):
            raise TemplateError(f"columns {span.start}-{span.stop - 1} share one width in the template")
        return col.group(0).replace(f'width="{attrs["width"]}"', f'width="{"%.16g" % new.pop()}"', 1)

    body = _COL.sub(one, m.group(1))
    if todo:
        raise TemplateError(f"column {min(todo)} has no width of its own in the template")
    return xml[:m.start(1)] + body + xml[m.end(1):]
