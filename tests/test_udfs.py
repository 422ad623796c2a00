"""The =AOP_* worksheet functions, tested through xlwings' own UDF code.

Without Excel, ``xlwings.udfs`` imports once the three pywin32 modules are stubbed
(tests/xlwings_stubs.py). The tests then use xlwings itself:

1. the decorators record each function's registration (``__xlfunc__``): name, arguments
   with their descriptions, optional defaults, reader options, category;
2. ``xlwings.udfs.generate_vba_wrapper`` writes the VBA function Excel calls;
3. ``xlwings.udfs.call_udf`` runs each function on values shaped as Excel passes them
   (tuples of rows, floats, None for blanks, the COM "missing" marker for omitted optional
   arguments), converting arguments with ``xlwings.conversion.read`` and the result with
   ``xlwings.conversion.write``, exactly as in Excel.
"""

from __future__ import annotations

import inspect
import io
import math
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from xlwings_stubs import MISSING, imported_afresh, windows_udfs

from aop_xl import PlanError
from aop_xl.engine.commission import commission
from aop_xl.engine.kpi import health_score, rag
from aop_xl.engine.split import split
from aop_xl.xl import convert

MODULE = "aop_xl.xl.udfs"
# The Excel signature of every function: required arguments, then [optional] ones.
SIGNATURES = {
    "AOP_SPLIT": ("total", "weights", "[unit]", "[locks]"),
    "AOP_SPREAD": ("row_totals", "col_totals", "[seed]", "[unit]"),
    "AOP_COMMISSION": ("sales", "base_quota", "challenge_quota", "[rates]", "[mode]"),
    "AOP_TIER": ("sales", "base_quota", "challenge_quota", "[rates]"),
    "AOP_RAG": ("actual", "target", "[direction]", "[red]", "[amber]"),
    "AOP_HEALTH": ("frequency", "order_value", "complaint_rate", "nps", "[weights]"),
    "AOP_HEALTH_TIER": ("score",),
    "AOP_GAP": ("topdown", "bottomup", "[tolerance]"),
    "AOP_ROI": ("revenue", "gross_margin", "cost"),
}
# Arguments that take a range (read with ndim=2: always a list of rows).
RANGE_ARGS = {
    "AOP_SPLIT": {"weights", "locks"},
    "AOP_SPREAD": {"row_totals", "col_totals", "seed"},
    "AOP_COMMISSION": {"rates"},
    "AOP_TIER": {"rates"},
    "AOP_HEALTH": {"weights"},
    "AOP_GAP": {"topdown", "bottomup"},
}
EXCEL_LIMIT = 255  # characters of a description that Excel's MacroOptions keeps
PLAIN = (float, int, str, bool, type(None))


@pytest.fixture(scope="module")
def xl():
    """(xlwings.udfs, aop_xl.xl.udfs imported with the Windows decorators)."""
    with windows_udfs() as udfs, imported_afresh(MODULE) as module:
        udfs.udf_modules.pop(MODULE, None)
        yield udfs, module


def call(xl, name, *args):
    """Call a function the way Excel does: through xlwings.udfs.call_udf.

    The VBA wrapper passes every argument; omitted optional ones arrive as COM's
    "missing" marker, which call_udf replaces with the declared default.
    """
    udfs, module = xl
    n = len(getattr(module, name).__xlfunc__["args"])
    padded = tuple(args) + (MISSING,) * (n - len(args))
    return udfs.call_udf(MODULE, name, padded)


def cell(xl, name, *args):
    """The single value a scalar function shows in its cell."""
    out = call(xl, name, *args)
    assert isinstance(out, list) and len(out) == 1 and len(out[0]) == 1, out
    return out[0][0]


def functions(module):
    return {name: f for name, f in vars(module).items() if hasattr(f, "__xlfunc__")}


def walk(value):
    if isinstance(value, list | tuple):
        for x in value:
            yield from walk(x)
    else:
        yield value


# --- 1. registration -----------------------------------------------------------------------


def test_every_function_is_registered_with_its_excel_signature(xl):
    _, module = xl
    found = functions(module)
    assert set(found) == set(SIGNATURES)
    for name, f in found.items():
        info = f.__xlfunc__
        assert info["name"] == name
        assert info["category"] == "aop_xl"
        assert not info["sub"] and not info["volatile"] and info["async_mode"] is None
        shown = tuple(f"[{a['name']}]" if "optional" in a else a["name"] for a in info["args"])
        assert shown == SIGNATURES[name], name
        # Omitted and blank both mean "the engine's default", which the description states.
        for arg in info["args"]:
            if "optional" in arg:
                assert arg["optional"] is None, (name, arg["name"])
                assert arg["doc"].startswith("Optional."), (name, arg["name"])


def test_descriptions_are_written_and_fit_excel(xl):
    _, module = xl
    for name, f in functions(module).items():
        info = f.__xlfunc__
        doc = info["ret"]["doc"]
        assert doc == f.__doc__ and doc.strip(), name
        assert len(doc) <= EXCEL_LIMIT, (name, len(doc))
        for arg in info["args"]:
            assert not arg["doc"].startswith("Positional argument"), (name, arg["name"])
            assert 10 <= len(arg["doc"]) <= EXCEL_LIMIT, (name, arg["name"], len(arg["doc"]))


def test_reader_options_ranges_as_rows_and_errors_as_text(xl):
    _, module = xl
    for name, f in functions(module).items():
        for arg in f.__xlfunc__["args"]:
            options = arg["options"]
            assert options.get("err_to_str") is True, (name, arg["name"])
            assert "convert" not in options, (name, arg["name"])
            expected = 2 if arg["name"] in RANGE_ARGS.get(name, ()) else None
            assert options.get("ndim") == expected, (name, arg["name"])


def test_results_spill_natively_without_expand(xl):
    # call_udf takes the legacy resize path (COM calls on the caller) only with "expand".
    _, module = xl
    for name, f in functions(module).items():
        assert "expand" not in f.__xlfunc__["ret"]["options"], name


def test_defaults_quoted_in_descriptions_are_the_engines(xl):
    _, module = xl
    docs = {(n, a["name"]): a["doc"] for n, f in functions(module).items() for a in f.__xlfunc__["args"]}
    assert docs["AOP_SPLIT", "unit"].endswith(f"Default {inspect.signature(split).parameters['unit'].default:g}.")
    assert "Default 0.3." in docs["AOP_RAG", "red"] and "Default 0.1." in docs["AOP_RAG", "amber"]
    assert inspect.signature(rag).parameters["red"].default == 0.3
    assert 'Default "marginal".' in docs["AOP_COMMISSION", "mode"]
    assert "Default 0.01 / 0.015 / 0.02." in docs["AOP_COMMISSION", "rates"]


# --- 2. the VBA wrappers -------------------------------------------------------------------


@pytest.mark.parametrize("book", ["aop_xl.xlam", "Plan.xlsm"])
def test_vba_wrapper_for_every_function(xl, book):
    udfs, module = xl
    out = io.StringIO()
    udfs.generate_vba_wrapper(MODULE, module, out, types.SimpleNamespace(Name=book))
    vba = out.getvalue()
    workbook = "ActiveWorkbook" if book.endswith(".xlam") else "ThisWorkbook"
    assert vba.count("\nEnd Function\n") + vba.startswith("End Function") == len(SIGNATURES)
    for name, signature in SIGNATURES.items():
        params = ", ".join(f"Optional {p[1:-1]}" if p.startswith("[") else p for p in signature)
        names = ", ".join(p.strip("[]") for p in signature)
        assert f"Function {name}({params})\n" in vba
        assert f'{name} = XLPy.CallUDF("{MODULE}", "{name}", Array({names}), {workbook}, Application.Caller)' in vba
        assert f"{name} = Err.Description" in vba


# --- 3. values as Excel passes them --------------------------------------------------------

QUARTERS = ((30.0,), (40.0,), (30.0,), (40.0,))


def test_split_column_in_column_out(xl):
    assert call(xl, "AOP_SPLIT", 24_000_000.0, QUARTERS, 1.0) == [[5142857.0], [6857143.0], [5142857.0], [6857143.0]]


def test_split_row_in_row_out_and_block_in_block_out(xl):
    assert call(xl, "AOP_SPLIT", 24_000_000.0, ((30.0, 40.0, 30.0, 40.0),), 1.0) == [
        [5142857.0, 6857143.0, 5142857.0, 6857143.0]
    ]
    assert call(xl, "AOP_SPLIT", 24_000_000.0, ((30.0, 40.0), (30.0, 40.0)), 1.0) == [
        [5142857.0, 6857143.0],
        [5142857.0, 6857143.0],
    ]


def test_split_blank_weight_is_zero_and_text_numbers_are_numbers(xl):
    out = call(xl, "AOP_SPLIT", 24_000_000.0, ((30.0,), (40.0,), (None,), ("25",)), 1.0)
    assert out == [[float(x)] for x in split(24_000_000, [30, 40, 0, 25], unit=1)]
    assert out[2] == [0.0]
    assert call(xl, "AOP_SPLIT", "1,200", ((" 1 ",), ("1",)), 1.0) == [[600.0], [600.0]]


def test_split_omitted_unit_is_the_engines_default(xl):
    assert call(xl, "AOP_SPLIT", 100.0, ((1.0,), (1.0,), (1.0,))) == [[33.34], [33.33], [33.33]]
    # A blank cell given as the unit means the same as leaving it out.
    assert call(xl, "AOP_SPLIT", 100.0, ((1.0,), (1.0,), (1.0,)), None) == [[33.34], [33.33], [33.33]]


def test_split_locks(xl):
    out = call(xl, "AOP_SPLIT", 100.0, ((1.0,), (1.0,), (1.0,)), 1.0, ((50.0,), (None,), (None,)))
    assert out == [[50.0], [25.0], [25.0]]
    # A lock of 0 is a lock: that member gets nothing.
    out = call(xl, "AOP_SPLIT", 100.0, ((1.0,), (1.0,), (1.0,)), 1.0, ((None,), (0.0,), (None,)))
    assert out == [[50.0], [0.0], [50.0]]
    assert cell(xl, "AOP_SPLIT", 100.0, QUARTERS, 1.0, ((1.0,), (2.0,))).startswith("#AOP! locks: expected 4 x 1")


def test_spread_returns_rows_by_columns(xl):
    out = call(xl, "AOP_SPREAD", ((60.0,), (40.0,)), ((50.0, 30.0, 20.0),), MISSING, 1.0)
    assert out == [[30.0, 18.0, 12.0], [20.0, 12.0, 8.0]]
    # Margins as a row and a column; a blank seed cell is a zero cell and stays zero.
    seeded = call(xl, "AOP_SPREAD", ((60.0, 40.0),), ((50.0,), (50.0,)), ((1.0, 1.0), (None, 1.0)), 1.0)
    assert seeded == [[50.0, 10.0], [0.0, 40.0]]
    assert cell(xl, "AOP_SPREAD", ((60.0,),), ((50.0,),), MISSING, 1.0).startswith("#AOP! margins:")


def test_commission_marginal_and_retroactive(xl):
    b, c, s = 1_000_000.0, 1_200_000.0, 1_300_000.0
    assert cell(xl, "AOP_COMMISSION", s, b, c) == pytest.approx(15_000)
    assert cell(xl, "AOP_COMMISSION", s, b, c, MISSING, "retroactive") == pytest.approx(26_000)
    assert cell(xl, "AOP_COMMISSION", s, b, c, MISSING, " Retroactive ") == pytest.approx(26_000)
    assert cell(xl, "AOP_COMMISSION", s, b, c, MISSING, "bonus").startswith("#AOP! mode: expected 'marginal' or")


def test_commission_rates_as_a_line_or_a_table(xl):
    b, c, s = 1_000_000.0, 1_200_000.0, 1_300_000.0
    default = commission(s, b, c)
    assert cell(xl, "AOP_COMMISSION", s, b, c, ((0.01, 0.015, 0.02),)) == pytest.approx(default)
    assert cell(xl, "AOP_COMMISSION", s, b, c, (("1%",), ("1.5%",), ("2%",))) == pytest.approx(default)
    table = ((0.0, 0.01), ("Base", 0.015), ("challenge", "2%"), (None, None))
    assert cell(xl, "AOP_COMMISSION", s, b, c, table) == pytest.approx(default)
    # Floors as fractions of the base quota: 1.2 x 1,000,000 is the challenge quota here.
    fractions = ((0.0, 0.01), (1.0, 0.015), (1.2, 0.02))
    assert cell(xl, "AOP_COMMISSION", s, b, c, fractions, "retroactive") == pytest.approx(26_000)
    # Two rates: no challenge band, so the challenge quota may be blank.
    assert cell(xl, "AOP_COMMISSION", s, b, None, ((0.01, 0.015),)) == pytest.approx(10_000 + 4_500)
    assert cell(xl, "AOP_COMMISSION", s, b, c, ((0.01, 0.015, 0.02, 0.03),)).startswith("#AOP! rates: expected 1 to 3")
    assert cell(xl, "AOP_COMMISSION", s, b, c, ((0.0, 0.01), ("bonus", 0.02))).startswith(
        "#AOP! rates, row 2, floor: expected 'base' or 'challenge'"
    )


def test_tier_is_the_band_counted_from_one(xl):
    b, c = 1_000_000.0, 1_200_000.0
    assert [cell(xl, "AOP_TIER", s, b, c) for s in (999_999.0, 1_000_000.0, 1_300_000.0)] == [1, 2, 3]
    assert cell(xl, "AOP_TIER", 1_300_000.0, b, None, ((0.01, 0.015),)) == 2


def test_rag_boundaries_are_exact(xl):
    assert cell(xl, "AOP_RAG", 70.0, 100.0) == "amber"
    assert cell(xl, "AOP_RAG", 90.0, 100.0) == "green"
    assert cell(xl, "AOP_RAG", 69.999, 100.0) == "red"
    assert cell(xl, "AOP_RAG", 0.12, 0.08, "LOWER") == "red"
    assert cell(xl, "AOP_RAG", 80.0, 100.0, MISSING, 0.5, 0.25) == "green"
    # A blank actual is "not yet known": the status cell stays empty.
    assert cell(xl, "AOP_RAG", None, 100.0) == ""
    assert cell(xl, "AOP_RAG", 70.0, 100.0, "sideways").startswith("#AOP! direction:")


def test_health_score_and_tier(xl):
    assert cell(xl, "AOP_HEALTH", 1.0, 0.8, 0.02, 40.0) == pytest.approx(health_score(1.0, 0.8, 0.02, 40))
    assert cell(xl, "AOP_HEALTH", 1.0, 0.8, 0.02, 40.0, ((0.0,), (0.0,), (None,), (1.0,))) == pytest.approx(70.0)
    assert cell(xl, "AOP_HEALTH", 1.0, 0.8, 0.02, 140.0).startswith("#AOP! nps:")
    assert [cell(xl, "AOP_HEALTH_TIER", s) for s in (80.0, 79.99, 59.9)] == ["healthy", "watch", "at_risk"]


def test_gap_shapes(xl):
    assert call(xl, "AOP_GAP", 100.0, 104.0) == [[4.0, pytest.approx(0.04), True]]
    column = call(xl, "AOP_GAP", ((100.0,), (100.0,), (0.0,)), ((104.0,), (90.0,), (5.0,)))
    assert column == [[4.0, pytest.approx(0.04), True], [-10.0, pytest.approx(-0.1), False], [5.0, "", False]]
    row = call(xl, "AOP_GAP", ((100.0, 100.0),), ((105.0, 90.0),), 0.1)
    assert row == [[5.0, -10.0], [pytest.approx(0.05), pytest.approx(-0.1)], [True, True]]
    # Exactly at the tolerance is within it.
    assert call(xl, "AOP_GAP", 100.0, 105.0)[0][2] is True
    assert cell(xl, "AOP_GAP", ((1.0,), (2.0,)), ((1.0,),)).startswith("#AOP! bottomup: expected 2 cells")


def test_roi(xl):
    # Gross profit 1,000,000 x 40% = 400,000 on a cost of 100,000: ROI 3 (300%).
    assert cell(xl, "AOP_ROI", 1_000_000.0, 0.4, 100_000.0) == pytest.approx(3.0)
    assert cell(xl, "AOP_ROI", 1_000_000.0, "40%", "100,000") == pytest.approx(3.0)
    assert cell(xl, "AOP_ROI", 1_000_000.0, 0.4, 0.0) == ""  # undefined without a cost


# --- bad input is a value in the cell, never a traceback -----------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((100.0, ((0.0,), (0.0,))), "#AOP! weights: are all zero"),
        ((100.0, ((1.0,), (-1.0,))), "#AOP! weights[1]: weight must be a finite number >= 0, got -1"),
        ((None, QUARTERS), "#AOP! total: is blank, expected a number"),
        ((True, QUARTERS), "#AOP! total: expected a number, got TRUE"),
        ((100.0, ((1.0,), ("abc",))), "#AOP! weights, cell 2: expected a number, got the text 'abc'"),
        ((100.0, ((1.0,), ("1,5",))), "#AOP! weights, cell 2: expected a number, got the text '1,5'"),
        ((100.0, ((1.0,), (-2146826281,))), "#AOP! weights, cell 2: holds the error #DIV/0!"),
        ((100.0, ((1.0, 2.0), (True, 1.0))), "#AOP! weights, row 2, column 1: expected a number, got TRUE"),
        ((100.005, QUARTERS), "#AOP! total: 100.005 is not a multiple of the unit 0.01"),
        ((100.0, QUARTERS, ((1.0,), (2.0,))), "#AOP! unit: expected one value, got a range of 2 cells"),
    ],
)
def test_bad_input_gives_a_short_error_value(xl, args, message):
    out = cell(xl, "AOP_SPLIT", *args)
    assert out == message
    assert "\n" not in out and "Traceback" not in out


def test_error_values_are_one_short_line():
    err = PlanError(["a: first problem", "b: second", "c: third"])
    assert convert.error_value(err) == "#AOP! a: first problem (and 2 more problems)"
    long = convert.error_value(ValueError("x" * 1000))
    assert len(long) <= len("#AOP! ") + convert.MAX_MESSAGE and long.endswith("...")


def test_only_input_errors_are_caught():
    @convert.errors_as_values
    def broken():
        raise KeyError("a bug")

    with pytest.raises(KeyError):
        broken()


def test_results_are_plain_python_values(xl):
    _, module = xl
    calls = [
        ("AOP_SPLIT", 24_000_000.0, QUARTERS, 1.0),
        ("AOP_SPLIT", 100.0, ((0.0,),)),
        ("AOP_SPREAD", ((60.0,), (40.0,)), ((50.0, 30.0, 20.0),), ((1.0, 2.0, 3.0), (3.0, 2.0, 1.0)), 1.0),
        ("AOP_COMMISSION", 1_300_000.0, 1_000_000.0, 1_200_000.0),
        ("AOP_TIER", 1_300_000.0, 1_000_000.0, 1_200_000.0),
        ("AOP_RAG", 70.0, 100.0),
        ("AOP_RAG", None, 100.0),
        ("AOP_HEALTH", 1.0, 0.8, 0.02, 40.0),
        ("AOP_HEALTH_TIER", 70.0),
        ("AOP_GAP", ((100.0,), (0.0,)), ((104.0,), (5.0,))),
        ("AOP_ROI", 1_000_000.0, 0.4, 0.0),
    ]
    for name, *args in calls:
        f = getattr(module, name)
        # What the Python function returns, before xlwings' writer (which would turn numpy
        # scalars into floats and so hide them) ...
        raw = f(*(_read(f, i, a) for i, a in enumerate(args)))
        for x in walk(raw):
            assert type(x) in PLAIN, (name, x, type(x))
        # ... and what Excel receives.
        for x in walk(call(xl, name, *args)):
            assert type(x) in PLAIN, (name, x, type(x))
            assert not (isinstance(x, float) and not math.isfinite(x)), (name, x)


def _read(f, i, value):
    # One argument through xlwings' reader, as call_udf does for a value that is not a Range.
    import xlwings.conversion

    return xlwings.conversion.read(None, value, f.__xlfunc__["args"][i]["options"])


# --- the conversion stages on their own ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (" 30 ", 30.0),
        ("1,200.50", 1200.5),
        ("1,234,567", 1234567.0),
        ("-4.5e3", -4500.0),
        (".5", 0.5),
        ("15%", 0.15),
        ("1.5 %", 0.015),
        ("(1,200)", -1200.0),
        ("\u00a042\u00a0", 42.0),
    ],
)
def test_text_numbers(text, value):
    assert convert.number(text, "x") == pytest.approx(value)


@pytest.mark.parametrize("text", ["1,5", "12,34", "1.2.3", "abc", "1_000", "inf", "nan", "$5", "(-5)", "--1", "%"])
def test_text_that_is_not_a_number(text):
    with pytest.raises(PlanError, match="x: expected a number"):
        convert.number(text, "x")


def test_blank_text_is_blank():
    assert convert.optional_number("  ", "x") is None
    with pytest.raises(PlanError, match="x: is blank"):
        convert.number("", "x")


def test_numbers_refuse_booleans_and_dates():
    import datetime as dt

    with pytest.raises(PlanError, match="got FALSE"):
        convert.number(False, "x")
    with pytest.raises(PlanError, match="expected a number, got datetime"):
        convert.number(dt.datetime(2027, 1, 1), "x")
    assert convert.number(np.float32(2.5), "x") == 2.5


def test_grid_remembers_the_shape():
    column = convert.grid([[1], [2], [3]], "w")
    row = convert.grid([[1, 2, 3]], "w")
    flat = convert.grid([1, 2, 3], "w")  # a VBA array: one row
    single = convert.grid(5.0, "w")
    assert (column.rows, column.columns, row.rows, row.columns) == (3, 1, 1, 3)
    assert (flat.rows, flat.columns, single.rows, single.columns) == (1, 3, 1, 1)
    assert column.shaped([7, 8, 9]) == [[7], [8], [9]] and row.shaped([7, 8, 9]) == [[7, 8, 9]]
    with pytest.raises(PlanError, match="rows of different lengths"):
        convert.grid([[1, 2], [3]], "w")


def test_excel_value_unwraps_numpy_and_pandas():
    import pandas as pd

    out = convert.excel_value(
        [np.float64(1.5), np.int64(2), np.bool_(True), np.array(["red"])[0], np.nan, pd.NA, np.array([1.0, np.inf])]
    )
    assert out == [1.5, 2, True, "red", None, None, [1.0, None]]
    assert [type(x) for x in out[:4]] == [float, int, bool, str]


# --- no xlwings outside the Excel layer ----------------------------------------------------


def test_package_and_cli_import_without_xlwings():
    code = (
        "import sys, aop_xl, aop_xl.cli, aop_xl.xl, aop_xl.xl.convert; "
        "assert 'xlwings' not in sys.modules, 'xlwings imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.skipif(sys.platform.startswith("win"), reason="on Windows xw.func is the real decorator")
def test_udfs_module_imports_with_plain_xlwings():
    # Off Windows, xw.func & co. are no-ops: the module imports without pywin32 or stubs and
    # its functions are plain Python functions.
    code = (
        "import sys, aop_xl.xl.udfs as u; "
        "assert 'xlwings.udfs' not in sys.modules and 'pythoncom' not in sys.modules; "
        "assert not hasattr(u.AOP_SPLIT, '__xlfunc__'); "
        "print(u.AOP_SPLIT(100.0, [[1.0], [1.0]], 1.0))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[[50.0], [50.0]]"


@pytest.mark.skipif(sys.platform.startswith("win"), reason="pywin32 is real on Windows")
def test_the_stubs_are_removed_afterwards():
    # In a fresh interpreter: this module's fixture keeps them installed while it runs.
    code = (
        "import sys, xlwings, xlwings_stubs as s; "
        "cm = s.windows_udfs(); udfs = cm.__enter__(); "
        "assert 'pythoncom' in sys.modules and hasattr(xlwings.func, '__call__'); "
        "assert xlwings.func is udfs.xlfunc and 'excel' in xlwings.engines.engines_by_name; "
        "cm.__exit__(None, None, None); "
        "assert not set(s.PYWIN32_MODULES) & set(sys.modules), 'stubs left'; "
        "assert 'xlwings.udfs' not in sys.modules and not hasattr(xlwings, '_xlwindows'); "
        "assert 'excel' not in xlwings.engines.engines_by_name and xlwings.func is not udfs.xlfunc"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent)
