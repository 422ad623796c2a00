"""Run xlwings' Windows UDF machinery (``xlwings.udfs``) on a machine without Excel.

``xlwings/udfs.py`` imports three pywin32 modules at import time and uses them as follows:

* ``pythoncom``: ``CoInitialize`` is the initializer of a ``ThreadPoolExecutor`` created at
  import (threads start only when a job is submitted: async UDFs, which aop_xl has none of);
  ``CoMarshalInterThreadInterfaceInStream`` & co. only in ``ComRange`` (async, "caller").
* ``pywintypes``: ``com_error`` is caught in ``import_udfs`` and ``has_dynamic_array``.
* ``win32com.client``: ``Dispatch`` for the calling workbook (``get_udf_module`` with a
  workbook, ``ComRange``), never reached by the tests.

:func:`windows_udfs` stubs exactly those names, imports ``xlwings.udfs`` and then sets up
xlwings as ``xlwings/__init__.py`` does on Windows:

* ``xw.func``, ``xw.arg``, ``xw.ret``, ``xw.sub``, ``xw.script`` become the ``xlwings.udfs``
  decorators (on Linux they are no-ops), so a module imported afresh records ``__xlfunc__``;
* the "excel" engine is registered with its value conversion taken from xlwings' own
  ``_xlwindows.py`` (``Engine``, ``_clean_value_data_element``, ``cell_errors``...): those
  definitions are compiled from the installed file, since the module itself needs the
  Windows ``ctypes`` DLLs. ``xlwings.conversion.read(None, value, options)`` then runs its
  real pipeline, as ``call_udf`` does for every argument that is not a Range;
* ``xlwings._xlwindows`` also gets a stand-in ``Range`` for the COM caller (``call_udf``
  only wraps it) and ``is_range_instance`` (False: the tests pass values, not COM ranges),
  and ``xlwings.com_server`` a ``loop`` (used by async and coroutine UDFs only), so that
  ``xlwings.udfs.call_udf`` itself runs: its argument loop (missing optional arguments
  arrive as the int -2147352572 and become the declared default), the function, and
  ``xlwings.conversion.write`` of the result.

Everything is put back when the context ends.
"""

from __future__ import annotations

import ast
import contextlib
import datetime as dt
import importlib
import importlib.util
import sys
import types
from collections.abc import Iterator
from pathlib import Path

PYWIN32_MODULES = ("pythoncom", "pywintypes", "win32com", "win32com.client")
# The value conversion of xlwings' Windows engine, compiled from the installed _xlwindows.py.
_XLWINDOWS_DEFINITIONS = {
    "Engine",
    "_clean_value_data_element",
    "_com_time_to_datetime",
    "_datetime_to_com_time",
    "cell_errors",
    "time_types",
}
# What COM hands a UDF for an omitted optional argument (DISP_E_PARAMNOTFOUND).
MISSING = -2147352572


def pywin32_stubs() -> dict[str, types.ModuleType]:
    """Stand-ins for the pywin32 modules ``xlwings.udfs`` imports, with the names it uses."""
    pythoncom = types.ModuleType("pythoncom")
    pythoncom.CoInitialize = lambda: None
    pythoncom.IID_IDispatch = object()

    def _no_com(*args, **kwargs):
        raise RuntimeError("COM is not available: this test stub stands in for pywin32")

    pythoncom.CoMarshalInterThreadInterfaceInStream = _no_com
    pythoncom.CoGetInterfaceAndReleaseStream = _no_com
    pywintypes = types.ModuleType("pywintypes")
    pywintypes.com_error = type("com_error", (Exception,), {})
    # pywin32's time type derives from datetime; xlwings' conversion checks against it.
    pywintypes.TimeType = type("TimeType", (dt.datetime,), {})
    win32com = types.ModuleType("win32com")
    client = types.ModuleType("win32com.client")
    client.Dispatch = _no_com
    win32com.client = client
    return {"pythoncom": pythoncom, "pywintypes": pywintypes, "win32com": win32com, "win32com.client": client}


def _missing(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is None
    except (ImportError, ValueError):
        return True


def xlwindows_standin(pywintypes: types.ModuleType) -> types.ModuleType:
    """A module ``xlwings._xlwindows`` with the real value conversion and a stand-in caller.

    Args:
        pywintypes: the (real or stub) pywintypes module the conversion refers to.
    """
    import numpy as np
    import pandas as pd
    import xlwings
    from xlwings.utils import np_datetime_to_datetime

    path = Path(xlwings.__file__).with_name("_xlwindows.py")
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    keep = []
    for node in tree.body:
        if (
            isinstance(node, ast.FunctionDef | ast.ClassDef)
            and node.name in _XLWINDOWS_DEFINITIONS
            or isinstance(node, ast.Assign)
            and {getattr(t, "id", None) for t in node.targets} & _XLWINDOWS_DEFINITIONS
        ):
            keep.append(node)
        elif isinstance(node, ast.If) and any(
            isinstance(s, ast.Assign) and {getattr(t, "id", None) for t in s.targets} & _XLWINDOWS_DEFINITIONS
            for s in node.body
        ):
            keep.append(node)  # "if np: time_types = time_types + (np.datetime64,)"
    found = {getattr(n, "name", None) for n in keep} | {
        getattr(t, "id", None) for n in keep if isinstance(n, ast.Assign) for t in n.targets
    }
    if not _XLWINDOWS_DEFINITIONS <= found:
        raise RuntimeError(f"{path}: no longer defines {sorted(_XLWINDOWS_DEFINITIONS - found)}")

    module = types.ModuleType("xlwings._xlwindows")
    module.__file__ = str(path)
    utc = types.SimpleNamespace(TimeZoneInfo=types.SimpleNamespace(utc=lambda: dt.UTC))
    module.__dict__.update(
        dt=dt, np=np, pd=pd, pywintypes=pywintypes, win32timezone=utc, np_datetime_to_datetime=np_datetime_to_datetime
    )
    exec(compile(ast.Module(body=keep, type_ignores=[]), str(path), "exec"), module.__dict__)  # noqa: S102
    module.engine = module.Engine()

    class Range:
        """The COM Range of the calling cell: ``call_udf`` only wraps it in ``xw.Range``."""

        def __init__(self, xl=None):
            self.xl = xl

    module.Range = Range
    module.is_range_instance = lambda value: False
    module.BOOK_CALLER = None
    return module


@contextlib.contextmanager
def windows_udfs() -> Iterator[types.ModuleType]:
    """xlwings set up for UDFs as on Windows; yields the module ``xlwings.udfs``."""
    import xlwings
    import xlwings.main

    stubs = {name: module for name, module in pywin32_stubs().items() if _missing(name)}
    saved_modules = {
        name: sys.modules.get(name) for name in (*stubs, "xlwings.udfs", "xlwings._xlwindows", "xlwings.com_server")
    }
    saved_attrs = {
        name: getattr(xlwings, name, None)
        for name in ("func", "arg", "ret", "sub", "script", "udfs", "_xlwindows", "com_server")
    }
    had_engine = "excel" in xlwings.engines.engines_by_name
    engine = None
    try:
        sys.modules.update(stubs)
        udfs = importlib.import_module("xlwings.udfs")
        xlwings.func, xlwings.arg, xlwings.ret = udfs.xlfunc, udfs.xlarg, udfs.xlret
        xlwings.sub = xlwings.script = udfs.xlsub
        if not hasattr(xlwings, "_xlwindows"):
            xlwin = xlwindows_standin(sys.modules["pywintypes"])
            sys.modules["xlwings._xlwindows"] = xlwings._xlwindows = xlwin
            com_server = types.ModuleType("xlwings.com_server")
            com_server.loop = None
            sys.modules["xlwings.com_server"] = xlwings.com_server = com_server
        if not had_engine:
            engine = xlwings.main.Engine(impl=xlwings._xlwindows.engine)
            xlwings.engines.add(engine)
        yield udfs
    finally:
        if engine is not None:
            xlwings.engines.engines.remove(engine)
            xlwings.engines.engines_by_name.pop("excel", None)
        for name, value in saved_attrs.items():
            if value is None:
                if hasattr(xlwings, name):
                    delattr(xlwings, name)
            else:
                setattr(xlwings, name, value)
        for name, module in saved_modules.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


@contextlib.contextmanager
def imported_afresh(module_name: str) -> Iterator[types.ModuleType]:
    """Import a module anew (so its decorators run now); the previous one is put back after.

    Use inside :func:`windows_udfs`, so that ``@xw.func`` records ``__xlfunc__``.
    """
    old = sys.modules.pop(module_name, None)
    parent_name, _, child = module_name.rpartition(".")
    parent = sys.modules.get(parent_name)
    old_attr = getattr(parent, child, None) if parent is not None else None
    try:
        yield importlib.import_module(module_name)
    finally:
        if old is not None:
            sys.modules[module_name] = old
        else:
            sys.modules.pop(module_name, None)
        parent = sys.modules.get(parent_name)
        if parent is not None:
            if old_attr is not None:
                setattr(parent, child, old_attr)
            elif hasattr(parent, child):
                delattr(parent, child)
