"""Column widths of a rendered regional workbook, fitted by the builder's own function.

The standard workbook fits each printed column to the widest value it shows
(:func:`aop_xl.workbook.widths.fit_printed`): the names in it, the largest amount of the plan.
A unit rendered from a template (:mod:`aop_xl.cycle.fastpath`) must get the widths the builder
would give it. So when the template is built, the inputs of that fitting are kept
(:class:`WidthModel`: the styles used per cell and the cells' contents of every printed
sheet), and for each unit the builder's function runs again on them, with the unit's plan and
the cells the unit changes. Nothing about how widths are chosen is repeated here.
"""

from __future__ import annotations

import re
import threading
from types import SimpleNamespace
from typing import Any

from openpyxl.utils import column_index_from_string

from aop_xl.cycle.package import TemplateError

_patch_lock = threading.Lock()


def build_capturing(build, *args):
    """Run ``build(*args)`` (a normal build) and return (its result, the :class:`WidthModel` of
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
    return result, (WidthModel(seen[0], original) if seen else None)


class _Cells:
    # The template's cells with a unit's values laid over them (read-only, as fit reads).
    def __init__(self, base: dict, overlay: dict):
        self._base, self._overlay = base, overlay

    def get(self, key, default=None):
        if key in self._overlay:
            return SimpleNamespace(_value=self._overlay[key])
        return self._base.get(key, default)


class _Dimensions(dict):
    def __missing__(self, key):
        value = self[key] = SimpleNamespace(width=None)
        return value


class WidthModel:
    """What the builder's width fitting reads, kept from a template's build (picklable).

    Args:
        ctx: the builder's context, as :func:`aop_xl.workbook.widths.fit_printed` got it.
        fit: that function.
    """

    def __init__(self, ctx, fit):
        self.fit = fit
        styles = ctx.styles
        self.style_attrs = {k: getattr(styles, k) for k in ("decimals", "display", "currency") if hasattr(styles, k)}
        self.used = {name: {style: set(cells) for style, cells in by_style.items()}
                     for name, by_style in getattr(styles, "used", {}).items()}
        self.sheets = {}
        for name, ws in ctx.sheets.items():
            cells = {}
            for style_cells in self.used.get(name, {}).values():
                for rc in style_cells:
                    cell = ws._cells.get(rc)
                    if cell is not None:
                        cells[rc] = SimpleNamespace(_value=cell._value)
            self.sheets[name] = {"print_area": ws.print_area, "state": ws.sheet_state, "cells": cells}

    def __getstate__(self):
        state = dict(self.__dict__)
        state["fit"] = (self.fit.__module__, self.fit.__qualname__)
        return state

    def __setstate__(self, state):
        module, name = state["fit"]
        import importlib

        state["fit"] = getattr(importlib.import_module(module), name)
        self.__dict__.update(state)

    def widths(self, plan, overlay: dict[str, dict[tuple[int, int], Any]]) -> dict[str, dict[int, float]]:
        """Sheet -> column -> width the builder gives a workbook of ``plan`` whose cells are the
        template's with ``overlay`` (sheet -> (row, col) -> value) laid over them.

        Raises:
            TemplateError: the builder's fitting needs something the model does not keep.
        """
        sheets = {}
        for name, s in self.sheets.items():
            ws = SimpleNamespace(title=name, print_area=s["print_area"], sheet_state=s["state"],
                                 _cells=_Cells(s["cells"], overlay.get(name, {})), column_dimensions=_Dimensions())
            sheets[name] = ws
        ctx = SimpleNamespace(sheets=sheets, plan=plan, styles=SimpleNamespace(used=self.used, **self.style_attrs))
        try:
            self.fit(ctx)
        except (AttributeError, KeyError, TypeError) as exc:
            raise TemplateError(f"the builder's column widths need more than the template keeps ({exc})") from None
        return {name: {column_index_from_string(letter): d.width for letter, d in ws.column_dimensions.items()
                       if d.width is not None}
                for name, ws in sheets.items()}


_COLS = re.compile(r"<cols>(.*?)</cols>", re.S)
_COL = re.compile(r"<col ([^>]*?)/>")
_ATTR = re.compile(r'(\w+)="([^"]*)"')


def col_widths(xml: str) -> dict[int, float]:
    """Column -> width of the single-column ``<col>`` elements of a worksheet part."""
    m = _COLS.search(xml)
    out = {}
    for col in _COL.finditer(m.group(1) if m else ""):
        attrs = dict(_ATTR.findall(col.group(1)))
        if "width" in attrs and attrs.get("min") == attrs.get("max"):
            out[int(attrs["min"])] = float(attrs["width"])
    return out


def patch_widths(xml: str, widths: dict[int, float]) -> str:
    """The worksheet part with these columns' widths (written as openpyxl writes them).

    Raises:
        TemplateError: a column to change is not a single-column element of the part.
    """
    m = _COLS.search(xml)
    if m is None:
        raise TemplateError("the sheet has no <cols> to fit")
    todo = dict(widths)

    def one(col: re.Match) -> str:
        attrs = dict(_ATTR.findall(col.group(1)))
        c = int(attrs.get("min", 0))
        if attrs.get("min") != attrs.get("max") or c not in todo:
            return col.group(0)
        return col.group(0).replace(f'width="{attrs["width"]}"', f'width="{"%.16g" % todo.pop(c)}"', 1)

    body = _COL.sub(one, m.group(1))
    if todo:
        raise TemplateError(f"column {min(todo)} has no width of its own in the template")
    return xml[:m.start(1)] + body + xml[m.end(1):]
