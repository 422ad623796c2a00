"""What a rendered regional workbook takes from the builder's own functions: column widths
(and the row heights that follow them) and the formulas' cached values.

The standard workbook fits each printed column to the widest value it shows
(:func:`aop_xl.workbook.widths.fit_printed`): the names in it, the largest amount of the plan.
A unit rendered from a template (:mod:`aop_xl.cycle.fastpath`) must get the widths the builder
would give it. So the template is built with its build context kept (:func:`build_capturing`),
and for each unit the builder's function runs again on that context, with the unit's plan and
the unit's values laid over the cells it changes (:class:`WidthFitter`). Likewise the builder
stores the engine's value of every result cell with its formula: the template's worksheets are
kept as they were before that, and each unit's values are stored by the builder's functions.
Nothing about how widths or values are chosen is repeated here.
"""

from __future__ import annotations

import copy
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from openpyxl.utils import column_index_from_string

from aop_xl.cycle.package import TemplateError

_patch_lock = threading.Lock()


@dataclass
class Capture:
    """What a normal build showed of itself, for rendering other units of its shape.

    ``fitter``: the builder's width fitting on this build's context (None: it fits no widths).
    ``raw``: each worksheet part as it was before the formulas' cached values were stored, in
    the order the builder stored them (empty: it stores none); ``store`` and ``cached_values``
    the builder's functions that did it, and ``subtitles`` what it passed them.
    """

    fitter: "WidthFitter | None" = None
    raw: list = field(default_factory=list)
    store: Any = None
    cached_values: Any = None
    subtitles: Any = None


def build_capturing(build, *args):
    """Run ``build(*args)`` (a normal build) and return (its result, a :class:`Capture`)."""
    from aop_xl.workbook import build as builder

    capture = Capture()
    fit = getattr(builder, "fit_printed", None)
    store = getattr(builder, "store", None)
    values = getattr(builder, "cached_values", None)

    def spy_fit(ctx):
        capture.fitter = WidthFitter(ctx, fit)
        return fit(ctx)

    def spy_store(xml, cached):
        capture.raw.append(xml)
        return store(xml, cached)

    def spy_values(plan, layout, sales=None, subtitles=None):
        capture.subtitles = subtitles
        return values(plan, layout, sales, subtitles)

    spies = {"fit_printed": (fit, spy_fit), "store": (store, spy_store), "cached_values": (values, spy_values)}
    with _patch_lock:
        for name, (real, spy) in spies.items():
            if real is not None:
                setattr(builder, name, spy)
        try:
            result = build(*args)
        finally:
            for name, (real, _) in spies.items():
                if real is not None:
                    setattr(builder, name, real)
    capture.store, capture.cached_values = store, values
    return result, capture


class WidthFitter:
    """The builder's width fitting, run again on a template's build context for other units.

    Args:
        ctx: the builder's context, as :func:`aop_xl.workbook.widths.fit_printed` got it.
        fit: that function.
    """

    def __init__(self, ctx, fit):
        self.ctx = ctx
        self.fit = fit
        #: Held around :meth:`widths` and :meth:`heights` by a caller that reads both.
        self.lock = threading.RLock()

    def widths(self, plan, overlay: dict[str, dict[tuple[int, int], Any]]) -> dict[str, dict[int, float]]:
        """Sheet -> column -> the width the builder gives a workbook of ``plan`` whose cells are
        the template's with ``overlay`` (sheet -> (row, col) -> value) laid over them.

        Raises:
            TemplateError: a cell of the overlay is not in the template, or the fitting fails.
        """
        with self.lock:
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

    def heights(self) -> dict[str, dict[int, float]]:
        """Sheet -> row -> height the last :meth:`widths` left (the fitting may size rows of
        wrapped text to the widths it chose)."""
        return {name: {r: d.ht for r, d in ws.row_dimensions.items() if d.ht is not None}
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


_ROW = re.compile(r'<row r="([0-9]+)"([^>]*)>')
_HT = re.compile(r' ht="([^"]*)"')


def row_heights(xml: str) -> dict[int, float]:
    """Row -> height of the rows of a worksheet part that have one."""
    out = {}
    for m in _ROW.finditer(xml):
        ht = _HT.search(m.group(2))
        if ht:
            out[int(m.group(1))] = float(ht.group(1))
    return out


def patch_heights(xml: str, heights: dict[int, float]) -> str:
    """The worksheet part with these rows' heights (rows that have a height in the part).

    Raises:
        TemplateError: a row to change has no height of its own in the part.
    """
    todo = dict(heights)

    def one(m: re.Match) -> str:
        r = int(m.group(1))
        if r not in todo or not _HT.search(m.group(2)):
            return m.group(0)
        attrs = _HT.sub(f' ht="{"%.16g" % todo.pop(r)}"', m.group(2), count=1)
        return f'<row r="{m.group(1)}"{attrs}>'

    out = _ROW.sub(one, xml)
    if todo:
        raise TemplateError(f"row {min(todo)} has no height of its own in the template")
    return out
