"""Formula text: tokens, references, nesting, shifting, in the A1 notation files store.

The checks look at tens of thousands of formulas that differ only in their row numbers, so a
formula is analysed through its *shape*: its UTF-8 bytes with every digit replaced by a
marker byte. Formulas of one shape have the same length, the same tokens and the same
references at the same byte offsets; only the digits differ. :func:`plan_of` tokenises a shape
once (cached) and says which digit runs are row numbers of references (relative or absolute),
and which are anything else (numbers, sheet names such as ``Sheet2``, functions such as
``LOG10``); :mod:`aop_xl.checks.index` then reads the digits of a whole shape group with numpy.

The tokenizer follows Excel's formula grammar closely enough for checking: strings, error
literals, sheet prefixes (quoted, external ``[1]Sheet``, 3-D ``A:C!``), cells, ranges, whole
columns and rows, functions (with ``_xlfn.`` prefixes), defined names, structured references
(``Table1[[#This Row],[Col]]``), numbers, operators, array constants.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

MARK = 1  # the byte that stands for a digit in a shape
_TO_SHAPE = bytes.maketrans(b"0123456789", bytes([MARK]) * 10)
MAX_ROW, MAX_COL = 1_048_576, 16_384

#: Excel's error literals (as typed in formulas and stored in cells).
ERRORS = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA", "#SPILL!",
          "#CALC!", "#FIELD!", "#BLOCKED!", "#UNKNOWN!", "#CONNECT!", "#BUSY!", "#EXTERNAL!", "#PYTHON!")

_D = rb"[0-9\x01]"  # a digit or its marker
_NAME_START = rb"A-Za-z_\\\x80-\xff"
_NAME_CHAR = rb"A-Za-z0-9_.\\\x01\x80-\xff"
_TOKEN = re.compile(
    rb"(?P<ws>[ \t\r\n]+)"
    rb"|(?P<str>\"(?:[^\"]|\"\")*\")"
    rb"|(?P<err>#(?:NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|N/A|GETTING_DATA|SPILL!|CALC!|FIELD!|BLOCKED!"
    rb"|UNKNOWN!|CONNECT!|BUSY!|EXTERNAL!|PYTHON!))"
    # A sheet prefix: 'any name'! , [1]Sheet1! , [1]! , Sheet1:Sheet3!
    rb"|(?P<sheet>(?:'(?:[^']|'')+'|(?:\[[^\]\[]*\])?(?:[" + _NAME_CHAR + rb"]+(?::[" + _NAME_CHAR + rb"]+)?)?)!)"
    rb"|(?P<colrange>\$?[A-Za-z]{1,3}:\$?[A-Za-z]{1,3}(?![" + _NAME_CHAR + rb"(\[]))"
    rb"|(?P<rowrange>\$?" + _D + rb"{1,7}:\$?" + _D + rb"{1,7}(?![" + _NAME_CHAR + rb"(\[]))"
    rb"|(?P<cell>\$?[A-Za-z]{1,3}\$?" + _D + rb"{1,7}(?![" + _NAME_CHAR + rb"(\[]))"
    rb"|(?P<func>(?:_xlfn\.|_xlws\.|_xludf\.)?[" + _NAME_START + rb"][" + _NAME_CHAR + rb"]*)\("
    rb"|(?P<num>(?:" + _D + rb"+\.?" + _D + rb"*|\." + _D + rb"+)(?:[eE][+-]?" + _D + rb"+)?)"
    rb"|(?P<name>[" + _NAME_START + rb"][" + _NAME_CHAR + rb"]*)"
    rb"|(?P<op><>|<=|>=|[-+*/^&=<>%:,;(){}@#!\[\]])"
    rb"|(?P<other>.)",
    re.S,
)
_CELL_PARTS = re.compile(rb"(\$?)([A-Za-z]{1,3})(\$?)(" + _D + rb"{1,7})")
_RUN = re.compile(rb"\x01+")
_DIGITS = re.compile(rb"[0-9]+")
#: Functions whose whole-column arguments are "sums" (aggregate every row).
AGGREGATES = frozenset({"SUM", "SUMIF", "SUMIFS", "SUMPRODUCT", "SUMSQ", "AVERAGE", "AVERAGEA", "AVERAGEIF",
                        "AVERAGEIFS", "COUNT", "COUNTA", "COUNTIF", "COUNTIFS", "COUNTBLANK", "MAX", "MAXA", "MIN",
                        "MINA", "PRODUCT", "SUBTOTAL", "AGGREGATE", "_XLFN.MAXIFS", "_XLFN.MINIFS",
                        "_XLFN.AGGREGATE"})


def shape(text: bytes) -> bytes:
    """The shape of a formula's UTF-8 bytes: every digit replaced by the marker byte."""
    return text.translate(_TO_SHAPE)


def col_number(letters: bytes | str) -> int:
    """``b"AB"`` -> 28."""
    n = 0
    for ch in letters.upper() if isinstance(letters, str) else letters.upper().decode("ascii"):
        n = n * 26 + ord(ch) - 64
    return n


@lru_cache(maxsize=20_000)
def col_letters(n: int) -> str:
    """28 -> ``"AB"``."""
    out = ""
    while n > 0:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


@dataclass(frozen=True)
class RefPlan:
    """A reference in a shape: where its parts are and which digit runs hold its rows.

    ``kind`` is ``cell``, ``range`` (two cells), ``cols`` (whole columns, ``A:C``) or ``rows``
    (whole rows, ``3:5``). Columns are known from the shape (letters are not digits); a
    row is the value of digit run ``row1``/``row2`` (None for ``cols``). ``sheet`` is the
    span of the sheet prefix (without ``!``) or None for the formula's own sheet.
    """

    kind: str
    span: tuple[int, int]
    sheet: tuple[int, int] | None
    external: bool
    col1: int | None = None
    col1_abs: bool = False
    row1: int | None = None
    row1_abs: bool = False
    col2: int | None = None
    col2_abs: bool = False
    row2: int | None = None
    row2_abs: bool = False
    col_spans: tuple = ()  # ((start, end, col, absolute), ...) letter spans, for R1C1 and shifting
    in_function: str | None = None  # the innermost function the reference is an argument of


@dataclass
class ShapePlan:
    """Everything about a formula shape (see the module docstring)."""

    shape: bytes
    runs: list[tuple[int, int]]
    #: per run: 0 anything else, 1 relative row, 2 absolute row
    run_kind: list[int]
    refs: list[RefPlan] = field(default_factory=list)
    functions: list[tuple[int, int]] = field(default_factory=list)  # name spans (without "(")
    numbers: list[tuple[int, int]] = field(default_factory=list)
    #: per number: (the function it is an argument of, or None; the argument's position from 0)
    number_args: list[tuple[str | None, int]] = field(default_factory=list)
    names: list[tuple[int, int]] = field(default_factory=list)
    tables: list[tuple[int, int]] = field(default_factory=list)
    errors: list[bytes] = field(default_factory=list)
    depth: int = 0
    external: bool = False
    whole_in_aggregate: list[RefPlan] = field(default_factory=list)

    @property
    def other_runs(self) -> list[int]:
        return [i for i, k in enumerate(self.run_kind) if k == 0]

    @property
    def row_runs(self) -> list[int]:
        return [i for i, k in enumerate(self.run_kind) if k != 0]


def _bracket_end(text: bytes, i: int) -> int:
    # End (exclusive) of the balanced [...] starting at i; ' escapes the next character.
    depth, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == 0x27:  # '
            i += 2
            continue
        if ch == 0x5B:
            depth += 1
        elif ch == 0x5D:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return n


def tokens(text: bytes) -> list[tuple[str, int, int]]:
    """(kind, start, end) of every token of a formula (or shape), without whitespace.

    A function token spans its name; its ``(`` follows as an ``op`` token.
    """
    out = []
    pos, n = 0, len(text)
    for m in _TOKEN.finditer(text):
        start = m.start()
        if start < pos:  # inside a structured reference consumed below
            continue
        kind = m.lastgroup
        end = m.end()
        if kind == "ws":
            pos = end
            continue
        if kind == "name" and end < n and text[end] == 0x5B:  # Table1[...]
            end = _bracket_end(text, end)
            kind = "table"
        elif kind == "op" and text[start] == 0x5B:  # [Col] within a table, or [1] alone
            end = _bracket_end(text, start)
            kind = "table"
        if kind == "func":
            out.append(("func", start, end - 1))
            out.append(("op", end - 1, end))
        else:
            out.append((kind, start, end))
        pos = end
    return out


_CELL_CACHE: dict[bytes, tuple[int, bool, int, bool, int, int]] = {}


def _cell_parts(token: bytes) -> tuple[int, bool, int, bool, int, int]:
    # (col, col absolute, offset of the row digits, row absolute, letters start, letters end)
    found = _CELL_CACHE.get(token)
    if found is None:
        m = _CELL_PARTS.fullmatch(token)
        found = (col_number(m.group(2)), bool(m.group(1)), m.start(4), bool(m.group(3)), m.start(2), m.end(2))
        if len(_CELL_CACHE) < 100_000:
            _CELL_CACHE[token] = found
    return found


def _cell(text: bytes, start: int, end: int, run_at: dict[int, int]):
    col, col_abs, row_at, row_abs, ls, le = _cell_parts(text[start:end])
    return col, col_abs, run_at.get(start + row_at), row_abs, (start + ls, start + le, col, col_abs)


@lru_cache(maxsize=50_000)
def plan_of(shape_bytes: bytes) -> ShapePlan:
    """Tokenise a formula shape once: its references, functions, numbers and nesting.

    Args:
        shape_bytes: :func:`shape` of a formula's text (without the leading ``=``); real
            formula bytes work too (they simply have no marker runs).

    Returns:
        The :class:`ShapePlan`.
    """
    runs = [(m.start(), m.end()) for m in _RUN.finditer(shape_bytes)]
    run_at = {s: i for i, (s, _) in enumerate(runs)}
    plan = ShapePlan(shape=shape_bytes, runs=runs, run_kind=[0] * len(runs))
    toks = tokens(shape_bytes)
    parens: list[bool] = []  # True for a function's "("
    calls: list[str] = []  # names of the functions being called, innermost last
    commas: list[int] = []  # arguments seen so far, per open parenthesis
    pending_func = None
    depth = 0
    i, count = 0, len(toks)
    refs = plan.refs
    while i < count:
        kind, s, e = toks[i]
        sheet = None
        external = False
        if kind == "sheet":
            sheet = (s, e - 1)
            external = b"[" in shape_bytes[s:e]  # sheet names cannot hold "[": another workbook
            plan.external = plan.external or external
            if i + 1 < count and toks[i + 1][0] in ("cell", "colrange", "rowrange", "name", "table"):
                i += 1
                kind, s, e = toks[i]
            else:
                i += 1
                continue
        if kind == "cell":
            func = calls[-1] if calls else None
            c1, c1a, r1, r1a, cs1 = _cell(shape_bytes, s, e, run_at)
            if i + 2 < count and toks[i + 2][0] == "cell" and toks[i + 1][0] == "op" \
                    and shape_bytes[toks[i + 1][1]] == 0x3A:
                _, s2, e2 = toks[i + 2]
                c2, c2a, r2, r2a, cs2 = _cell(shape_bytes, s2, e2, run_at)
                refs.append(RefPlan("range", (s, e2), sheet, external, c1, c1a, r1, r1a, c2, c2a, r2, r2a,
                                    (cs1, cs2), func))
                i += 2
            else:
                refs.append(RefPlan("cell", (s, e), sheet, external, c1, c1a, r1, r1a, col_spans=(cs1,),
                                    in_function=func))
        elif kind == "op":
            ch = shape_bytes[s]
            if ch == 0x28:
                parens.append(pending_func is not None)
                commas.append(0)
                if pending_func is not None:
                    calls.append(pending_func)
                    depth = max(depth, len(calls))
                    pending_func = None
            elif ch == 0x29 and parens:
                commas.pop()
                if parens.pop():
                    calls.pop()
            elif ch == 0x2C and commas:
                commas[-1] += 1
        elif kind == "func":
            plan.functions.append((s, e))
            pending_func = shape_bytes[s:e].upper().decode("utf-8", "replace")
        elif kind == "num":
            plan.numbers.append((s, e))
            in_call = bool(parens) and parens[-1]
            plan.number_args.append((calls[-1] if in_call else None, commas[-1] if in_call else 0))
        elif kind == "name":
            plan.names.append((s, e))
        elif kind == "colrange":
            func = calls[-1] if calls else None
            a, b = shape_bytes[s:e].split(b":")
            c1, c2 = col_number(a.lstrip(b"$")), col_number(b.lstrip(b"$"))
            sa = s + len(a) - len(a.lstrip(b"$"))
            sb = s + len(a) + 1 + len(b) - len(b.lstrip(b"$"))
            spans = ((sa, s + len(a), c1, a.startswith(b"$")), (sb, e, c2, b.startswith(b"$")))
            refs.append(RefPlan("cols", (s, e), sheet, external, c1, a.startswith(b"$"), None, False, c2,
                                b.startswith(b"$"), None, False, spans, func))
        elif kind == "rowrange":
            func = calls[-1] if calls else None
            a, b = shape_bytes[s:e].split(b":")
            r1 = run_at.get(s + len(a) - len(a.lstrip(b"$")))
            r2 = run_at.get(s + len(a) + 1 + len(b) - len(b.lstrip(b"$")))
            refs.append(RefPlan("rows", (s, e), sheet, external, None, False, r1, a.startswith(b"$"), None, False,
                                r2, b.startswith(b"$"), (), func))
        elif kind == "table":
            plan.tables.append((s, e))
        elif kind == "err":
            plan.errors.append(shape_bytes[s:e])
        i += 1
    plan.depth = depth
    kinds = plan.run_kind
    for ref in refs:
        if ref.row1 is not None:
            kinds[ref.row1] = 2 if ref.row1_abs else 1
        if ref.row2 is not None:
            kinds[ref.row2] = 2 if ref.row2_abs else 1
        if ref.kind in ("cols", "rows") and ref.in_function in AGGREGATES:
            plan.whole_in_aggregate.append(ref)
    return plan


def fill(plan: ShapePlan, text: bytes, span: tuple[int, int]) -> str:
    """The real text of a span of a shape, taken from one formula of that shape."""
    return text[span[0]:span[1]].decode("utf-8", "replace")


def sheet_of(text: str) -> str:
    """A sheet prefix as written (``'My Sheet'``, ``Data``) -> the sheet name."""
    if text.startswith("'") and text.endswith("'"):
        return text[1:-1].replace("''", "'")
    return text


def shift(text: str, dr: int, dc: int) -> str:
    """The formula ``text`` copied ``dr`` rows down and ``dc`` columns right (relative parts move).

    References moved off the grid become ``#REF!`` as in Excel.

    Examples:
        >>> shift("SUM(A1:B$2)+$C3*Sheet2!D4", 1, 1)
        'SUM(B2:C$2)+$C4*Sheet2!E5'
    """
    if not dr and not dc:
        return text
    raw = text.encode("utf-8")
    plan = plan_of(shape(raw))
    edits: list[tuple[int, int, bytes]] = []
    for ref in plan.refs:
        if ref.external:
            continue
        bad = False
        for start, end, col, absolute in ref.col_spans:
            if not absolute and dc:
                new = col + dc
                bad = bad or not 1 <= new <= MAX_COL
                edits.append((start, end, col_letters(max(new, 1)).encode()))
        for run, absolute in ((ref.row1, ref.row1_abs), (ref.row2, ref.row2_abs)):
            if run is not None and not absolute and dr:
                start, end = plan.runs[run]
                new = int(raw[start:end]) + dr
                bad = bad or not 1 <= new <= MAX_ROW
                edits.append((start, end, str(max(new, 1)).encode()))
        if bad:
            edits = [x for x in edits if not (ref.span[0] <= x[0] < ref.span[1])]
            edits.append((ref.span[0], ref.span[1], b"#REF!"))
    out, pos = [], 0
    for start, end, new in sorted(edits):
        out.append(raw[pos:start])
        out.append(new)
        pos = end
    out.append(raw[pos:])
    return b"".join(out).decode("utf-8")


def r1c1(text: str, row: int, col: int) -> str:
    """The formula in relative R1C1 notation as seen from (row, col): equal for copies.

    Examples:
        >>> r1c1("B7*$C$2+SUM(A1:A6)", 7, 4)
        'RC[-2]*R2C3+SUM(R[-6]C[-3]:R[-1]C[-3])'
    """
    raw = text.encode("utf-8")
    plan = plan_of(shape(raw))
    edits = []

    def row_part(run, absolute):
        rs, re_ = plan.runs[run]
        r = int(raw[rs:re_])
        return f"R{r}" if absolute else ("R" if r == row else f"R[{r - row}]")

    def col_part(c, absolute):
        return f"C{c}" if absolute else ("C" if c == col else f"C[{c - col}]")

    for ref in plan.refs:
        if ref.kind == "cols":
            new = col_part(ref.col1, ref.col1_abs) + ":" + col_part(ref.col2, ref.col2_abs)
        elif ref.kind == "rows":
            new = row_part(ref.row1, ref.row1_abs) + ":" + row_part(ref.row2, ref.row2_abs)
        else:
            new = row_part(ref.row1, ref.row1_abs) + col_part(ref.col1, ref.col1_abs)
            if ref.kind == "range":
                new += ":" + row_part(ref.row2, ref.row2_abs) + col_part(ref.col2, ref.col2_abs)
        edits.append((ref.span[0], ref.span[1], new.encode()))
    out, pos = [], 0
    for start, end, new in sorted(edits):
        out.append(raw[pos:start])
        out.append(new)
        pos = end
    out.append(raw[pos:])
    return b"".join(out).decode("utf-8")


@dataclass(frozen=True)
class Reference:
    """A reference of one real formula: sheet prefix as written (or None), kind, box."""

    sheet: str | None
    kind: str
    r1: int
    c1: int
    r2: int
    c2: int
    external: bool
    function: str | None


def references(text: str) -> list[Reference]:
    """The references of one formula, with rows and columns (whole columns/rows span the grid).

    Examples:
        >>> [(r.kind, r.r1, r.c1, r.r2, r.c2) for r in references("SUM(B2:B9)+Data!C$3")]
        [('range', 2, 2, 9, 2), ('cell', 3, 3, 3, 3)]
    """
    raw = text.encode("utf-8")
    plan = plan_of(shape(raw))
    out = []

    def row(run):
        start, end = plan.runs[run]
        return int(raw[start:end])

    for ref in plan.refs:
        sheet = sheet_of(raw[ref.sheet[0]:ref.sheet[1]].decode("utf-8", "replace")) if ref.sheet else None
        if ref.kind == "cell":
            box = (row(ref.row1), ref.col1, row(ref.row1), ref.col1)
        elif ref.kind == "range":
            a, b = row(ref.row1), row(ref.row2)
            box = (min(a, b), min(ref.col1, ref.col2), max(a, b), max(ref.col1, ref.col2))
        elif ref.kind == "cols":
            box = (1, min(ref.col1, ref.col2), MAX_ROW, max(ref.col1, ref.col2))
        else:
            a, b = row(ref.row1), row(ref.row2)
            box = (min(a, b), 1, max(a, b), MAX_COL)
        out.append(Reference(sheet, ref.kind, *box, ref.external, ref.in_function))
    return out


def normalised(text: str) -> tuple:
    """A formula's tokens with the differences spreadsheet programs make when they re-save it
    taken out: spaces, letter case, quoting of sheet names, the spelling of numbers, and
    Gnumeric's ``-(-(x))`` for ``--(x)`` and ``A1`` for the one-cell range ``A1:A1``.

    Examples:
        >>> normalised("SUMPRODUCT(-(-(A1:A3>0)))") == normalised("sumproduct(--(A1:A3>0))")
        True
        >>> normalised("SUM($B$2:$B$2)") == normalised("SUM($B$2)")
        True
    """
    raw = text.encode("utf-8")
    out = []
    for kind, start, end in tokens(raw):
        token = raw[start:end].decode("utf-8", "replace")
        if kind == "num":
            try:
                out.append(("num", float(token)))
                continue
            except ValueError:
                pass
        if kind == "sheet":
            token = sheet_of(token[:-1]).casefold() + "!"
        elif kind not in ("str",):
            token = token.upper()
        if kind == "cell" and len(out) >= 2 and out[-1] == ("op", ":") and out[-2] == (kind, token):
            del out[-1]  # A1:A1 is A1 (a sheet prefix stays with the first cell)
            continue
        out.append((kind, token))
    return _double_negation(out)


def _double_negation(toks: list[tuple]) -> tuple:
    # -(-(x)) -> --(x): the outer parenthesis closes right after the inner one.
    minus, open_, close = ("op", "-"), ("op", "("), ("op", ")")
    out = list(toks)
    i = 0
    while i + 3 < len(out):
        if out[i] == minus and out[i + 1] == open_ and out[i + 2] == minus and out[i + 3] == open_:
            depth, j = 0, i + 3
            while j < len(out):
                depth += (out[j] == open_) - (out[j] == close)
                if depth == 0:
                    break
                j += 1
            if j + 1 < len(out) and out[j + 1] == close:
                del out[j + 1]
                del out[i + 1]
                continue
        i += 1
    return tuple(out)


def same_formula(a: str, b: str) -> bool:
    """True when two formula texts say the same thing (see :func:`normalised`)."""
    return a == b or normalised(a.lstrip("=")) == normalised(b.lstrip("="))
