"""Read an .xlsx file into the little the checks need: cells, formulas, names, tables, styles.

Neither reader the project already uses fits untrusted files: openpyxl materialises every cell
of a merged range (minutes for a merged whole column) and python-calamine returns error cells
as blanks and no formulas. This reader takes the parts from :class:`~aop_xl.checks.package.Package`
(limits, no DTDs, strict namespaces mapped) and keeps cells sparse, so a declared dimension of
``A1:XFD1048576`` or a merged whole column costs nothing.

Worksheet cells are read by a regular expression over ``<sheetData>`` when the part is plain
(no namespace prefix, no CDATA or comments, every cell with its ``r``), which is how Excel,
LibreOffice and openpyxl write it; anything else goes through ElementTree. Both give the same
result (the tests compare them on every corpus file).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aop_xl.checks.formula import MAX_COL, MAX_ROW, col_number, shift
from aop_xl.checks.package import DEFAULT_LIMITS, Limits, Package, rels_name, resolve
from aop_xl.errors import WorkbookError
from aop_xl.workbook.book import XlError

_REL_TYPES = {"worksheet": "worksheet", "chartsheet": "chartsheet", "dialogsheet": "dialogsheet",
              "xlMacrosheet": "macrosheet", "xlIntlMacrosheet": "macrosheet"}
# A cell as Excel, LibreOffice and openpyxl write it: <c r="B7" s="3" t="s"><f>..</f><v>..</v></c>,
# a shared formula's first cell (<f t="shared" ref=".." si="..">..</f>) or one of its others
# (<f t="shared" si=".."/>); anything less usual (other attributes, inline strings) in groups
# 11-12.
_CELL_RE = re.compile(
    rb'<c r="([A-Z]{1,3})([0-9]{1,7})"(?: s="([0-9]{1,9})")?(?: t="([a-zA-Z]{1,9})")?'
    rb'(?:/>|>(?:<f>([^<]*)</f>|<f t="shared" ref="([A-Z0-9:$]{1,40})" si="([0-9]{1,9})">([^<]*)</f>'
    rb'|<f t="shared" si="([0-9]{1,9})" ?/>)?(?:<v>([^<]*)</v>|<v ?/>)?</c>'
    rb'|([^>]*?)(?:/>|>((?:[^<]++|<(?!/?c[\s>/]))*+)</c>))')
_ATTR_RE = re.compile(rb'([\w:]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')
_F_RE = re.compile(rb"<f(?:\s([^>]*?))?(?:/>|>([^<]*)</f>)")
_V_RE = re.compile(rb"<v(?:\s[^>]*)?>([^<]*)</v>")
_T_RE = re.compile(rb"<t(?:\s[^>]*)?>([^<]*)</t>")
_RPH_RE = re.compile(rb"<rPh\b.*?</rPh>", re.S)
_SI_RE = re.compile(rb"<si>(.*?)</si>|<si/>", re.S)
_ENTITY = re.compile(r"&(#x[0-9A-Fa-f]+|#[0-9]+|lt|gt|amp|quot|apos);")
_XESC = re.compile(r"_x([0-9A-Fa-f]{4})_")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")
_COLS: dict[bytes, int] = {}


def _entity(m: re.Match) -> str:
    name = m.group(1)
    if name[0] == "#":
        code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
        try:
            return chr(code)
        except (ValueError, OverflowError):
            return "\ufffd"
    return _NAMED[name]


def unescape(raw: bytes) -> str:
    """XML character data as text (the five entities, numeric references, line ends)."""
    if b"&" in raw:
        raw = raw.replace(b"&quot;", b'"').replace(b"&lt;", b"<").replace(b"&gt;", b">").replace(b"&apos;", b"'")
        if b"&#" in raw:
            return _ENTITY.sub(_entity, _lines(raw.decode("utf-8", "replace")))
        raw = raw.replace(b"&amp;", b"&")
    return _lines(raw.decode("utf-8", "replace"))


def _lines(text: str) -> str:
    # XML parsers read every line end as a line feed.
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def unescape_ooxml(text: str) -> str:
    """Office's ``_xHHHH_`` escapes in strings (``_x000D_`` is a carriage return)."""
    return _XESC.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


def split_ref(ref: str) -> tuple[int, int]:
    """``"B7"`` (or ``"$B$7"``) -> (row 7, column 2)."""
    m = _REF.match(ref.strip())
    if not m:
        raise ValueError(ref)
    return int(m.group(2)), col_number(m.group(1))


def range_bounds(ref: str) -> tuple[int, int, int, int]:
    """``"B2:D9"`` -> (row 2, col 2, row 9, col 4); whole columns and rows span the grid."""
    ref = ref.replace("$", "").strip()
    a, _, b = ref.partition(":")
    b = b or a
    if a.isdigit() and b.isdigit():
        return int(a), 1, int(b), MAX_COL
    if a.isalpha() and b.isalpha():
        return 1, col_number(a), MAX_ROW, col_number(b)
    r1, c1 = split_ref(a)
    r2, c2 = split_ref(b)
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def _col(letters: bytes) -> int:
    n = _COLS.get(letters)
    if n is None:
        n = _COLS[letters] = col_number(letters)
    return n


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attrs(raw: bytes) -> dict[str, str]:
    out = {}
    for key, v1, v2 in _ATTR_RE.findall(raw):
        out[key.decode().rsplit(":", 1)[-1]] = unescape(v1 if v1 or not v2 else v2)
    return out


@dataclass
class DefinedName:
    name: str
    text: str
    scope: int | None  # sheet index for a sheet-scoped name
    hidden: bool = False


@dataclass
class Validation:
    kind: str
    sqref: str
    formula1: str | None
    formula2: str | None


@dataclass
class Table:
    name: str
    display_name: str
    ref: str
    sheet: str
    part: str


@dataclass
class Style:
    locked: bool = True
    quote_prefix: bool = False
    num_fmt: int = 0


@dataclass
class Sheet:
    """One sheet's cells, sparse: only what the file holds."""

    name: str
    index: int
    state: str = "visible"
    kind: str = "worksheet"
    part: str | None = None
    #: (row, col) -> formula text without "=" (shared formulas expanded)
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    #: (row, col) -> value: constants, and the cached results of formulas
    values: dict[tuple[int, int], Any] = field(default_factory=dict)
    #: (row, col) -> style index (cells with an ``s`` attribute)
    styles: dict[tuple[int, int], int] = field(default_factory=dict)
    #: cells whose value an array formula or data table computes (without a formula of their own)
    computed: set[tuple[int, int]] = field(default_factory=set)
    #: cells whose value is rich data (an image in a cell); their #VALUE! is a fallback, not an error
    rich: set[tuple[int, int]] = field(default_factory=set)
    #: array-formula ranges by their top-left cell
    arrays: dict[tuple[int, int], str] = field(default_factory=dict)
    merged: list[str] = field(default_factory=list)
    dimension: str | None = None
    validations: list[Validation] = field(default_factory=list)
    ignored_text: list[str] = field(default_factory=list)  # sqrefs where numbers-as-text is accepted
    table_parts: list[str] = field(default_factory=list)

    def constants(self):
        """(row, col) -> value of the cells that are not formulas."""
        f, comp = self.formulas, self.computed
        return {k: v for k, v in self.values.items() if k not in f and k not in comp}

    def value(self, row: int, col: int) -> Any:
        return self.values.get((row, col))


@dataclass
class Workbook:
    """What the checks see of a workbook file."""

    path: Path
    name: str
    sheets: list[Sheet]
    defined_names: list[DefinedName]
    tables: list[Table]
    styles: list[Style]
    external_links: list[tuple[str, str]]  # (part, the other workbook it links to)
    strict: bool = False
    fast_parts: int = 0  # how many worksheet parts took the fast path (for the tests)

    def sheet(self, name: str) -> Sheet | None:
        for s in self.sheets:
            if s.name == name:
                return s
        return None

    @property
    def sheet_names(self) -> list[str]:
        return [s.name for s in self.sheets]

    def style(self, index: int | None) -> Style:
        if index is None or not 0 <= index < len(self.styles):
            return Style()
        return self.styles[index]


def read_workbook(path: str | Path, limits: Limits = DEFAULT_LIMITS, *, fast: bool = True) -> Workbook:
    """Read a workbook file for checking.

    Args:
        path: an .xlsx/.xlsm/.xltx file.
        limits: size limits (zip bombs, cell counts).
        fast: allow the regular-expression path for plain worksheet parts (the tests turn it
            off to compare both paths).

    Returns:
        The :class:`Workbook`.

    Raises:
        WorkbookError: the file is not a readable Office Open XML workbook (one line, naming
            the file and why).
    """
    pkg = Package(path, limits)
    try:
        return _Reader(pkg, fast).read()
    except ET.ParseError as exc:
        raise WorkbookError(f"{pkg.name}: malformed XML ({exc})") from None
    finally:
        pkg.close()


class _Reader:
    def __init__(self, pkg: Package, fast: bool):
        self.pkg, self.fast = pkg, fast
        self.cells = 0
        self.fast_parts = 0

    def parse(self, part: str) -> ET.Element:
        return ET.fromstring(self.pkg.xml(part))

    def rels(self, part: str) -> list[tuple[str, str, str]]:
        """(type suffix, target part, target mode) of a part's relationships."""
        name = rels_name(part)
        if not self.pkg.has(name):
            return []
        out = []
        for rel in self.parse(name):
            if _local(rel.tag) != "Relationship":
                continue
            kind = rel.get("Type", "").rsplit("/", 1)[-1]
            target = rel.get("Target", "")
            mode = rel.get("TargetMode", "Internal")
            out.append((kind, rel.get("Id", ""), resolve(part, target) if mode != "External" else target, mode))
        return out

    def read(self) -> Workbook:
        pkg = self.pkg
        main = None
        for kind, _, target, _ in self.rels(""):
            if kind == "officeDocument":
                main = target
        if main is None or not pkg.has(main):
            main = "xl/workbook.xml" if pkg.has("xl/workbook.xml") else None
        if main is None:
            raise WorkbookError(f"{pkg.name}: an Office Open XML package without a workbook part "
                                "(a Word or PowerPoint file?)")
        rels = {rid: (kind, target, mode) for kind, rid, target, mode in self.rels(main)}
        root = self.parse(main)
        sheets, names = [], []
        for el in root.iter():
            tag = _local(el.tag)
            if tag == "sheet":
                rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), None)
                kind, target, _ = rels.get(rid, ("", None, ""))
                sheets.append(Sheet(name=el.get("name", ""), index=len(sheets), state=el.get("state", "visible"),
                                    kind=_REL_TYPES.get(kind, kind or "missing"), part=target))
            elif tag == "definedName":
                scope = el.get("localSheetId")
                names.append(DefinedName(name=el.get("name", ""), text=(el.text or "").strip(),
                                         scope=int(scope) if scope and scope.isdigit() else None,
                                         hidden=el.get("hidden") in ("1", "true")))
        strings = self.shared_strings(next((t for k, t, _ in rels.values() if k == "sharedStrings"), None))
        styles = self.styles(next((t for k, t, _ in rels.values() if k == "styles"), None))
        externals = []
        for part in (t for k, t, _ in rels.values() if k == "externalLink"):
            targets = [target for kind, _, target, mode in self.rels(part) if mode == "External"]
            externals.append((part, targets[0] if targets else ""))
        tables: list[Table] = []
        for sheet in sheets:
            if sheet.kind in ("worksheet", "dialogsheet", "macrosheet") and sheet.part and pkg.has(sheet.part):
                self.sheet(sheet, strings)
                for kind, rid, target, _ in self.rels(sheet.part):
                    if kind == "table" and pkg.has(target):
                        t = self.parse(target)
                        tables.append(Table(name=t.get("name", ""), display_name=t.get("displayName", ""),
                                            ref=t.get("ref", ""), sheet=sheet.name, part=target))
        return Workbook(path=pkg.path, name=pkg.name, sheets=sheets, defined_names=names, tables=tables,
                        styles=styles, external_links=externals, strict=pkg.strict, fast_parts=self.fast_parts)

    def shared_strings(self, part: str | None) -> list[str]:
        if part is None or not self.pkg.has(part):
            return []
        data = self.pkg.xml(part)
        if self.fast and b"<![CDATA[" not in data and b"<!--" not in data and b"<sst" in data[:400]:
            out = []
            for m in _SI_RE.finditer(data):
                body = m.group(1) or b""
                if b"<rPh" in body:
                    body = _RPH_RE.sub(b"", body)
                out.append(unescape_ooxml("".join(unescape(t) for t in _T_RE.findall(body))))
            return out
        out = []
        for si in ET.fromstring(data):
            if _local(si.tag) != "si":
                continue
            out.append(unescape_ooxml("".join(_texts(si))))
        return out

    def styles(self, part: str | None) -> list[Style]:
        if part is None or not self.pkg.has(part):
            return []
        out = []
        for el in self.parse(part):
            if _local(el.tag) != "cellXfs":
                continue
            for xf in el:
                style = Style(quote_prefix=xf.get("quotePrefix") in ("1", "true"),
                              num_fmt=int(xf.get("numFmtId", "0")) if xf.get("numFmtId", "0").isdigit() else 0)
                for child in xf:
                    if _local(child.tag) == "protection":
                        style.locked = child.get("locked") not in ("0", "false")
                out.append(style)
        return out

    # ------------------------------------------------------------------ worksheets

    def sheet(self, sheet: Sheet, strings: list[str]) -> None:
        data = self.pkg.xml(sheet.part)
        start = data.find(b"<sheetData")
        end = data.find(b"</sheetData>")
        plain = (self.fast and 0 <= start < end and b"<![CDATA[" not in data and b"<!--" not in data
                 and data.find(b"<worksheet") >= 0 and b"<?" not in data[10:])
        if plain:
            body = data[start:end]
            # Within sheetData only cells start with "<c": each must be matched by the expression.
            plain = self._cells_fast(sheet, body, strings, body.count(b"<c"))
        if plain:
            self.fast_parts += 1
            skeleton = data[:start] + b"<sheetData/>" + data[end + len(b"</sheetData>"):]
            self._sheet_rest(sheet, ET.fromstring(skeleton))
        else:
            for store in (sheet.formulas, sheet.values, sheet.styles, sheet.computed, sheet.arrays, sheet.rich):
                store.clear()
            self._sheet_tree(sheet, data, strings)
        self._expand_shared(sheet)
        # Styles are kept for constants only (quote prefix, locking), on both paths alike.
        formulas = sheet.formulas
        for key in [k for k in sheet.styles if k in formulas]:
            del sheet.styles[key]

    def _count(self, n: int) -> None:
        self.cells += n
        if self.cells > self.pkg.limits.cells:
            raise WorkbookError(f"{self.pkg.name}: more than {self.pkg.limits.cells:,} cells, over the limit "
                                "for checking")

    def _cells_fast(self, sheet: Sheet, data: bytes, strings: list[str], expected: int) -> bool:
        # False when a cell did not match the expression (the tree path then reads the part).
        values, styles = sheet.values, sheet.styles
        self._shared: dict[str, tuple[int, int, str]] = {}
        self._children: list[tuple[int, int, str]] = []
        value_of = self._value
        cols = _COLS
        keys, texts = [], []
        n = 0
        children = self._children
        for letters, digits, s, t, f, ref, master, text, child, v, attrs, body in _CELL_RE.findall(data):
            col = cols.get(letters)
            key = (int(digits), col if col is not None else _col(letters))
            n += 1
            if s and not (f or master or child):  # a constant's style (quote prefix, locking)
                styles[key] = int(s)
            if child:
                children.append((key[0], key[1], child.decode()))
            elif master:
                attrs_of = {"t": "shared", "ref": ref.decode(), "si": master.decode()}
                self._formula(sheet, key, attrs_of, unescape(text))
            if attrs or body:
                if attrs:
                    a = _attrs(attrs)
                    if a.get("s", "").isdigit():
                        styles[key] = int(a["s"])
                    t = a.get("t", t.decode()).encode()
                    if "vm" in a:
                        sheet.rich.add(key)
                self._body(sheet, key, t or b"n", body, strings)
                continue
            if f:
                keys.append(key)
                texts.append(f)
            if v:
                value = value_of(t or b"n", v, strings)
                if value is not None:
                    values[key] = value
        if n != expected:
            return False
        # Formula texts unescaped in one pass (NUL never occurs in XML, so it can join them).
        if keys:
            parts = unescape(b"\x00".join(texts)).split("\x00")
            if len(parts) != len(keys):  # a character reference to NUL: one by one then
                parts = [unescape(t) for t in texts]
            sheet.formulas.update(zip(keys, parts))
        self._count(n)
        return True

    def _body(self, sheet: Sheet, key: tuple[int, int], t: bytes, body: bytes, strings: list[str]) -> None:
        # A cell's content in any of its less usual forms.
        if b"<f" in body:
            m = _F_RE.search(body)
            if m:
                self._formula(sheet, key, _attrs(m.group(1) or b""), unescape(m.group(2) or b""))
        if t == b"inlineStr":
            texts = _T_RE.findall(_RPH_RE.sub(b"", body)) if b"<rPh" in body else _T_RE.findall(body)
            text = unescape_ooxml("".join(unescape(x) for x in texts))
            if text:
                sheet.values[key] = text
            return
        at = body.find(b"<v")
        if at >= 0:
            m = _V_RE.match(body, at)
            if m:
                value = self._value(t, m.group(1), strings)
                if value is not None:
                    sheet.values[key] = value

    def _value(self, t: bytes, raw: bytes, strings: list[str]) -> Any:
        if t == b"n":
            if not raw:
                return None
            try:
                return float(raw)
            except ValueError:
                return unescape(raw)
        if t == b"s":
            try:
                return strings[int(raw)] or None
            except (ValueError, IndexError):
                return None
        if t == b"str":
            return unescape_ooxml(unescape(raw)) or None
        if t == b"b":
            return raw.strip() in (b"1", b"true")
        if t == b"e":
            return XlError(unescape(raw))
        return unescape(raw)  # "d": an ISO date, kept as text

    def _formula(self, sheet: Sheet, key: tuple[int, int], attrs: dict[str, str], text: str) -> None:
        kind = attrs.get("t", "normal")
        if kind == "shared":
            si = attrs.get("si", "")
            if text:
                self._shared[si] = (key[0], key[1], text)
                sheet.formulas[key] = text
            else:
                self._children.append((key[0], key[1], si))
        elif kind in ("array", "dataTable"):
            ref = attrs.get("ref", "")
            if kind == "array":
                sheet.formulas[key] = text
                sheet.arrays[key] = ref or _addr(*key)
            try:
                r0, c0, r1, c1 = range_bounds(ref) if ref else (key[0], key[1], key[0], key[1])
            except ValueError:
                return
            if (r1 - r0 + 1) * (c1 - c0 + 1) <= 1_000_000:
                for r in range(r0, r1 + 1):
                    for c in range(c0, c1 + 1):
                        if (r, c) != key or kind == "dataTable":
                            sheet.computed.add((r, c))
        else:
            sheet.formulas[key] = text

    def _expand_shared(self, sheet: Sheet) -> None:
        # Shared formulas: every cell of a run gets its own text, the master's with the
        # relative references moved. Runs down a column (how Excel and the project's builder
        # share) only move rows: one format operation per cell from the master's pieces.
        shared = getattr(self, "_shared", {})
        makers: dict[str, Any] = {}
        formulas = sheet.formulas
        for r, c, si in getattr(self, "_children", []):
            master = shared.get(si)
            if master is None:
                continue
            r0, c0, text = master
            if c != c0:
                formulas[(r, c)] = shift(text, r - r0, c - c0)
                continue
            make = makers.get(si)
            if make is None:
                make = makers[si] = _row_shifter(text)
            formulas[(r, c)] = make(r - r0)
        self._shared, self._children = {}, []

    def _sheet_rest(self, sheet: Sheet, root: ET.Element) -> None:
        for el in root.iter():
            tag = _local(el.tag)
            if tag == "dimension":
                sheet.dimension = el.get("ref")
            elif tag == "mergeCell":
                if el.get("ref"):
                    sheet.merged.append(el.get("ref"))
            elif tag == "dataValidation":
                f1 = f2 = None
                for child in el:
                    ctag = _local(child.tag)
                    text = "".join(child.itertext()).strip() if ctag in ("formula1", "formula2") else None
                    if ctag == "formula1":
                        f1 = text
                    elif ctag == "formula2":
                        f2 = text
                sqref = el.get("sqref") or "".join(x.text or "" for x in el if _local(x.tag) == "sqref")
                sheet.validations.append(Validation(kind=el.get("type", "none"), sqref=sqref, formula1=f1,
                                                    formula2=f2))
            elif tag == "ignoredError":
                if el.get("numberStoredAsText") in ("1", "true"):
                    sheet.ignored_text.append(el.get("sqref", ""))
            elif tag == "tablePart":
                sheet.table_parts.append(next((v for k, v in el.attrib.items() if _local(k) == "id"), ""))

    def _sheet_tree(self, sheet: Sheet, data: bytes, strings: list[str]) -> None:
        # The general path: ElementTree over the whole part (namespace prefixes, CDATA, cells
        # without their "r", ...).
        root = ET.fromstring(data)
        self._shared, self._children = {}, []
        n = 0
        for sheet_data in (el for el in root.iter() if _local(el.tag) == "sheetData"):
            row = 0
            for row_el in sheet_data:
                if _local(row_el.tag) != "row":
                    continue
                r = row_el.get("r")
                row = int(r) if r and r.isdigit() else row + 1
                col = 0
                for c_el in row_el:
                    if _local(c_el.tag) != "c":
                        continue
                    n += 1
                    ref = c_el.get("r")
                    if ref:
                        try:
                            row, col = split_ref(ref)
                        except ValueError:
                            col += 1
                    else:
                        col += 1
                    key = (row, col)
                    s = c_el.get("s")
                    if s and s.isdigit():
                        sheet.styles[key] = int(s)
                    if c_el.get("vm") is not None:
                        sheet.rich.add(key)
                    t = (c_el.get("t") or "n").encode()
                    for child in c_el:
                        ctag = _local(child.tag)
                        if ctag == "f":
                            self._formula(sheet, key, {_local(k): v for k, v in child.attrib.items()},
                                          child.text or "")
                        elif ctag == "v" and t != b"inlineStr":
                            value = self._value(t, (child.text or "").encode("utf-8"), strings)
                            if value is not None:
                                sheet.values[key] = value
                        elif ctag == "is":
                            text = unescape_ooxml("".join(_texts(child)))
                            if text:
                                sheet.values[key] = text
            sheet_data.clear()
        self._count(n)
        self._sheet_rest(sheet, root)


def _row_shifter(text: str):
    """A function giving ``text`` moved ``dr`` rows down (what :func:`shift` does, faster)."""
    from aop_xl.checks.formula import plan_of, shape

    if not text.isascii() or "%" in text:
        return lambda dr: shift(text, dr, 0)
    plan = plan_of(shape(text.encode("ascii")))
    relative = [run for run, kind in enumerate(plan.run_kind) if kind == 1]
    if not relative:
        return lambda dr: text
    pieces, values, pos = [], [], 0
    for run in relative:
        start, end = plan.runs[run]
        pieces.append(text[pos:start])
        values.append(int(text[start:end]))
        pos = end
    pattern = "%d".join(pieces) + "%d" + text[pos:]
    highest = max(values)

    def make(dr: int) -> str:
        if highest + dr > MAX_ROW:
            return shift(text, dr, 0)  # a reference moved off the grid becomes #REF!
        return pattern % tuple(v + dr for v in values)

    return make


def _texts(el: ET.Element) -> list[str]:
    # The <t> texts of a string item, without phonetic runs.
    out = []
    for child in el:
        tag = _local(child.tag)
        if tag == "t":
            out.append(child.text or "")
        elif tag == "r":
            out.extend(t.text or "" for t in child if _local(t.tag) == "t")
    return out


def _addr(row: int, col: int) -> str:
    from aop_xl.checks.formula import col_letters

    return f"{col_letters(col)}{row}"
