"""Reading CRM exports: the column mapping, and every value parsed or refused with a reason.

A CRM export (CSV or XLSX) has one row per deal line (or invoice line) under a header row.
Its columns are found by their headers: common CRM headers are recognised (``Close Date``,
``Opportunity Owner``, ``Account Name``, ``Amount`` ...), and a mapping file names the others
(docs/actuals.md). Every value is parsed strictly: a date must be a date (ISO, an Excel date,
or the mapping's format), an amount a number as ``1234.56`` or ``1,234.56`` (a decimal comma
such as ``1.234,56`` is refused, never guessed). A row that cannot be read keeps its problems,
each naming the field, so that the loader reports it with its file and line and never drops
it silently.

Nothing here knows the plan: names are checked against it in :mod:`aop_xl.cycle.actuals`.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aop_xl.errors import AopError, PlanError
from aop_xl.plan_checks import one_line, shown

#: The fields of a deal line, in the order of docs/actuals.md.
FIELDS = ("date", "region", "product", "rep", "customer", "amount", "type", "returned", "deal", "share",
          "created", "complaint", "nps")
#: Fields every export must have a column for.
REQUIRED = ("date", "product", "rep", "customer", "amount")

#: Headers recognised for each field without a mapping, in order of preference. Headers are
#: compared ignoring case, spaces and punctuation ("Close Date" = "close_date" = "CLOSEDATE").
HEADERS = {
    "date": ("date", "close date", "closed date", "won date", "deal date", "invoice date", "order date",
             "posting date", "transaction date"),
    "region": ("region", "sales region", "territory", "sales territory", "market"),
    "product": ("product", "product name", "product line", "product family", "item"),
    "rep": ("rep", "sales rep", "rep name", "salesperson", "sales person", "sales representative", "split owner",
            "opportunity owner", "deal owner", "owner", "account manager"),
    "customer": ("customer", "customer name", "account", "account name", "company", "client", "client name"),
    "amount": ("amount", "net amount", "deal value", "value", "revenue", "invoice amount", "total amount", "total"),
    "type": ("type", "deal type", "opportunity type", "business type", "revenue type", "new or recurring"),
    "returned": ("returned", "return", "is return", "refund", "credit note"),
    "deal": ("deal id", "opportunity id", "deal", "deal number", "invoice number", "invoice", "order id",
             "order number", "record id", "id"),
    "share": ("share", "split", "split percentage", "split percent", "split %", "credit share", "credit split"),
    "created": ("created date", "create date", "created", "created on", "opportunity created date",
                "lead created date"),
    "complaint": ("complaint", "complaints", "has complaint"),
    "nps": ("nps", "nps score", "net promoter score"),
}
#: Values of the type column, compared ignoring case and spaces; a mapping adds its own.
TYPE_VALUES = {
    "new": ("new", "new business", "new customer", "new logo", "nb"),
    "recurring": ("recurring", "renewal", "existing", "existing business", "existing customer", "upsell",
                  "repeat", "expansion", "cross-sell", "cross sell"),
}
#: Yes/no values of the returned and complaint columns (blank is no).
YES = ("yes", "y", "true", "1", "x", "returned", "return")
NO = ("no", "n", "false", "0", "")
#: Rows of an export beyond which it is refused (Excel's grid holds 1,048,576).
MAX_ROWS = 2_000_000

_NUMBER = re.compile(r"^\s*([+-]?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d*))?\s*$")
_PERCENT = re.compile(r"^\s*([+-]?\d+(?:\.\d*)?|[+-]?\.\d+)\s*%\s*$")
_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?\s*$")


class CrmError(AopError):
    """A CRM export or a mapping file cannot be used at all (missing, unreadable, no header)."""


def header_key(text: Any) -> str:
    """How headers are compared: lower case, letters and digits only (``%`` kept).

    Examples:
        >>> header_key(" Close_Date "), header_key("Split %")
        ('closedate', 'split%')
    """
    return "".join(ch for ch in str(text).casefold() if ch.isalnum() or ch == "%")


# ------------------------------------------------------------------------------ the mapping


@dataclass(frozen=True)
class Mapping:
    """How an export's columns and values map to deal lines (docs/actuals.md).

    Attributes:
        columns: field -> the export's header, for the fields named in the mapping file.
        types: extra values of the type column: lowered text -> "new" or "recurring".
        date_format: a ``strftime`` format for dates that are not ISO (``"%d/%m/%Y"``).
        sheet: the worksheet of an XLSX export (default: the first).
        share_scale: "percent", "fraction" or "auto" (a file whose shares exceed 1 is in percent).
        source: the mapping file, for messages.
    """

    columns: dict[str, str] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    date_format: str | None = None
    sheet: str | None = None
    share_scale: str = "auto"
    source: str = ""


_MAPPING_KEYS = {"columns": set(FIELDS), "values": {"new", "recurring"}, "dates": {"format"},
                 "file": {"sheet"}, "shares": {"scale"}}


def load_mapping(path: str | Path | None) -> Mapping:
    """Read a mapping file (TOML); ``None`` gives the default mapping.

    Raises:
        CrmError: the file is missing or not TOML.
        PlanError: one message per problem, naming the key (``mapping.toml: columns.amout:
            unknown field ...``).
    """
    if path is None:
        return Mapping()
    path = Path(path)
    name = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise CrmError(f"{name}: no such mapping file") from None
    except IsADirectoryError:
        raise CrmError(f"{name}: is a folder, not a mapping file") from None
    except UnicodeDecodeError as exc:
        raise CrmError(f"{name}: not UTF-8 text (byte {exc.start + 1})") from None
    except tomllib.TOMLDecodeError as exc:
        raise CrmError(f"{name}: not valid TOML ({one_line(str(exc))})") from None
    except OSError as exc:
        raise CrmError(f"{name}: cannot read ({one_line(exc.strerror or str(exc))})") from None
    problems = []
    for key, value in data.items():
        if key not in _MAPPING_KEYS:
            problems.append(f"{name}: {key}: unknown table (tables: {', '.join(_MAPPING_KEYS)})")
        elif not isinstance(value, dict):
            problems.append(f"{name}: {key}: must be a table ([{key}])")
        else:
            for sub in value:
                if sub not in _MAPPING_KEYS[key]:
                    allowed = ", ".join(sorted(_MAPPING_KEYS[key], key=list(FIELDS + ("new", "recurring")).index)
                                        if key in ("columns", "values") else sorted(_MAPPING_KEYS[key]))
                    problems.append(f"{name}: {key}.{sub}: unknown key (keys: {allowed})")
    columns: dict[str, str] = {}
    for f, header in (data.get("columns") or {}).items() if isinstance(data.get("columns"), dict) else ():
        if f in FIELDS:
            if not isinstance(header, str) or not header.strip():
                problems.append(f"{name}: columns.{f}: must be the export's header as text, got {header!r}")
            else:
                columns[f] = header
    types: dict[str, str] = {}
    values = data.get("values") if isinstance(data.get("values"), dict) else {}
    for kind in ("new", "recurring"):
        given = values.get(kind, [])
        if isinstance(given, str):
            given = [given]
        if not isinstance(given, list) or not all(isinstance(v, str) for v in given):
            problems.append(f"{name}: values.{kind}: must be a list of texts, got {given!r}")
            continue
        for v in given:
            key = " ".join(v.casefold().split())
            if types.get(key, kind) != kind:
                problems.append(f"{name}: values.{kind}: {shown(v)} is also listed under values.{types[key]}")
            types[key] = kind
    date_format = (data.get("dates") or {}).get("format") if isinstance(data.get("dates"), dict) else None
    if date_format is not None and (not isinstance(date_format, str) or "%" not in date_format):
        problems.append(f'{name}: dates.format: must be a strftime format such as "%d/%m/%Y", got {date_format!r}')
    sheet = (data.get("file") or {}).get("sheet") if isinstance(data.get("file"), dict) else None
    if sheet is not None and not isinstance(sheet, str):
        problems.append(f"{name}: file.sheet: must be a worksheet name, got {sheet!r}")
    scale = (data.get("shares") or {}).get("scale", "auto") if isinstance(data.get("shares"), dict) else "auto"
    if scale not in ("auto", "percent", "fraction"):
        problems.append(f'{name}: shares.scale: must be "auto", "percent" or "fraction", got {scale!r}')
    if problems:
        raise PlanError(problems)
    return Mapping(columns, types, date_format, sheet, scale, name)


# ------------------------------------------------------------------------------ reading a file


@dataclass
class Export:
    """A CRM export as read: its text cells, the line of each row, and the columns found.

    Attributes:
        name: the file as messages name it.
        cells: one column per field found (raw values: text, numbers, dates), one row per data row.
        lines: the file's line (CSV) or sheet row (XLSX) of each row.
        where: "line" or "row".
        columns: field -> the header it was found under.
    """

    name: str
    cells: pd.DataFrame
    lines: np.ndarray
    where: str
    columns: dict[str, str]
    _factors: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)

    def factor(self, f: str) -> tuple[np.ndarray, np.ndarray]:
        """(codes, distinct values) of a field's column, computed once."""
        if f not in self._factors:
            self._factors[f] = _factorize(self.cells[f])
        return self._factors[f]


def read_export(path: str | Path, mapping: Mapping | None = None) -> Export:
    """Read a CRM export (``.csv``, or ``.xlsx`` through python-calamine) and find its columns.

    CSV: UTF-8 (with or without a byte order mark), comma, semicolon or tab separated (found
    from the header line), the first line the header. XLSX: the first worksheet (or the
    mapping's ``file.sheet``), its first row the header. Blank rows are skipped.

    Raises:
        CrmError: the file is missing or unreadable, or has no column for a required field.
    """
    mapping = mapping or Mapping()
    path = Path(path)
    name = path.name
    suffix = path.suffix.lower()
    if not path.exists():
        raise CrmError(f"{name}: no such file")
    if path.is_dir():
        raise CrmError(f"{name}: is a folder, not a CRM export")
    if suffix in (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"):
        (frame, lines), where = _read_sheet(path, mapping.sheet), "row"
    elif suffix in (".csv", ".txt", ".tsv"):
        (frame, lines), where = _read_csv(path), "line"
    else:
        raise CrmError(f"{name}: not a CRM export this reads (.csv or .xlsx), got a {path.suffix or 'file'} file")
    columns = _find_columns(name, list(frame.columns), mapping)
    cells = pd.DataFrame({f: frame.iloc[:, i] for f, i in columns.items()})
    headers = {f: str(frame.columns[i]) for f, i in columns.items()}
    if len(cells) > MAX_ROWS:
        raise CrmError(f"{name}: {len(cells):,} rows, more than the {MAX_ROWS:,} an export may have")
    export = Export(name, cells, lines, where, headers)
    blank = np.ones(len(cells), dtype=bool)
    for f in cells:
        codes, uniques = export.factor(f)
        blank &= (_stripped(uniques) == "")[codes]
    if blank.any():
        export = Export(name, cells.loc[~blank].reset_index(drop=True), lines[~blank], where, headers)
    return export


def _factorize(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    codes, uniques = pd.factorize(col.to_numpy(dtype=object), use_na_sentinel=False)
    return codes, np.asarray(uniques, dtype=object)


def _stripped(uniques: np.ndarray) -> np.ndarray:
    # Text values stripped ("" for blanks); other values (numbers, dates) as None.
    out = np.full(len(uniques), None, dtype=object)
    is_str = np.fromiter((type(u) is str for u in uniques), dtype=bool, count=len(uniques))
    if is_str.any():
        out[is_str] = pd.Series(uniques[is_str], dtype=object).str.strip().to_numpy(dtype=object)
    blank = np.fromiter((u is None or (type(u) is float and u != u) for u in uniques), dtype=bool,
                        count=len(uniques))
    out[blank] = ""
    return out


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or (isinstance(value, str)
                                                                               and not value.strip())


def _read_csv(path: Path) -> tuple[pd.DataFrame, np.ndarray]:
    name = path.name
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CrmError(f"{name}: cannot read ({one_line(exc.strerror or str(exc))})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CrmError(f"{name}: not UTF-8 text (byte {exc.start + 1}); save the export as CSV UTF-8") from None
    first = text.split("\n", 1)[0]
    if not first.strip():
        raise CrmError(f"{name}: the first line is empty; it must be the header row")
    sep = max((",", ";", "\t"), key=first.count)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, skip_blank_lines=False,
                            header=0)
    except (pd.errors.ParserError, ValueError) as exc:
        raise CrmError(f"{name}: not a CSV file this reads ({one_line(str(exc)).strip()})") from None
    # One record per line unless a quoted cell holds a line break; then count the lines.
    breaks = text.count("\n") - (1 if text.endswith("\n") else 0)
    if breaks == len(frame):
        lines = np.arange(2, len(frame) + 2)
    else:
        reader = csv.reader(io.StringIO(text), delimiter=sep)
        next(reader)
        starts, line = [], reader.line_num
        for _ in reader:
            starts.append(line + 1)
            line = reader.line_num
        lines = np.asarray(starts[: len(frame)] + [0] * (len(frame) - len(starts)))
    return frame, lines


def _read_sheet(path: Path, sheet: str | None) -> tuple[pd.DataFrame, np.ndarray]:
    from python_calamine import CalamineWorkbook

    name = path.name
    try:
        book = CalamineWorkbook.from_path(str(path))
        names = book.sheet_names
        if sheet is not None and sheet not in names:
            raise CrmError(f"{name}: no worksheet {shown(sheet)} (worksheets: {', '.join(map(shown, names))})")
        rows = book.get_sheet_by_name(sheet or names[0]).to_python(skip_empty_area=False)
    except CrmError:
        raise
    except Exception as exc:  # calamine raises its own types for a file that is not a workbook
        raise CrmError(f"{name}: not a workbook this reads ({type(exc).__name__})") from None
    header_row = 0  # 0-based: the first row that is not blank
    while header_row < len(rows) and all(_blank(v) for v in rows[header_row]):
        header_row += 1
    if header_row == len(rows):
        raise CrmError(f"{name}: the worksheet is empty; its first row must be the header row")
    header = [str(v).strip() if not _blank(v) else "" for v in rows[header_row]]
    width = len(header)
    body = rows[header_row + 1:]
    frame = pd.DataFrame([list(r[:width]) + [""] * (width - len(r)) for r in body], dtype=object)
    if not len(body):
        frame = pd.DataFrame(columns=range(width), dtype=object)
    frame.columns = header
    first = header_row + 2  # sheet rows count from 1; data starts under the header
    return frame, np.arange(first, first + len(frame))


def _find_columns(name: str, headers: list[Any], mapping: Mapping) -> dict[str, int]:
    keys = [header_key(h) for h in headers]
    found: dict[str, int] = {}
    problems = []
    for f, header in mapping.columns.items():
        key = header_key(header)
        if key not in keys:
            problems.append(f"{name}: no column {shown(header)} (mapping columns.{f}); the columns are "
                            + ", ".join(shown(str(h)) for h in headers))
        else:
            found[f] = keys.index(key)
    taken = set(found.values())
    for f in FIELDS:
        if f in found or f in mapping.columns:
            continue
        for candidate in HEADERS[f]:
            key = header_key(candidate)
            if key in keys and keys.index(key) not in taken:
                found[f] = keys.index(key)
                taken.add(found[f])
                break
    for f in REQUIRED:
        if f not in found and f not in mapping.columns:
            looked = ", ".join(f'"{h}"' for h in HEADERS[f][:4])
            problems.append(f"{name}: no column for {f} (looked for {looked} ...; name it in a mapping file: "
                            f"[columns] {f} = \"<header>\")")
    if problems:
        raise PlanError(problems)
    return found


# ------------------------------------------------------------------------------ parsing values
#
# Each column is factorised: a function of the value is computed once per distinct value
# (dates, names, yes/no ...) and spread back over the rows, which keeps a million-row export
# fast. Amounts, mostly distinct, are read as numbers first and checked to be exact.


@dataclass
class Parsed:
    """The values of an export's rows, parsed; ``problems`` maps a row to its problems."""

    date: np.ndarray  # datetime64[D] (NaT where missing or refused)
    text: dict[str, np.ndarray]  # region, product, rep, customer, deal: text ("" when blank)
    units: np.ndarray  # amount in units of the precision, signed (a return is negative)
    amount_ok: np.ndarray  # the amount was read
    type: np.ndarray  # "new", "recurring" or "" (not given: derived later)
    share: np.ndarray  # fraction of the deal credited to the line's rep, NaN when not given
    created: np.ndarray  # datetime64[D]
    complaint: np.ndarray  # 1, 0 or NaN
    nps: np.ndarray  # -100..100 or NaN
    problems: dict[int, list[str]]


def _each(col, f, dtype=object) -> np.ndarray:
    # f of every value, computed once per distinct value; ``col`` is a Series or the
    # (codes, distinct values) of one.
    codes, uniques = col if isinstance(col, tuple) else _factorize(col)
    values = np.empty(len(uniques), dtype=dtype)
    for i, u in enumerate(uniques):
        values[i] = f(u)
    return values[codes]


def _text(value: Any) -> str:
    if _blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return " ".join(str(value).split())


def _yes_no_of(value: Any) -> float:
    # 1.0 yes, 0.0 no (or blank), NaN neither.
    if value is True:
        return 1.0
    if value is False or _blank(value):
        return 0.0
    if isinstance(value, (int, float)) and float(value).is_integer():
        value = str(int(value))
    text = str(value).strip().casefold()
    return 1.0 if text in YES else 0.0 if text in NO else np.nan


def parse(export: Export, mapping: Mapping, decimals: int) -> Parsed:
    """Parse every row of an export; a value that cannot be read leaves a problem on its row.

    Args:
        export: the export as read.
        mapping: its mapping.
        decimals: the decimal places an amount may have (2 for cents).

    Returns:
        The :class:`Parsed` values.
    """
    c = export.cells
    n = len(c)
    problems: dict[int, list[str]] = {}

    def refuse(mask, message) -> None:
        for i in np.flatnonzero(np.asarray(mask)):
            problems.setdefault(int(i), []).append(message(int(i)))

    empty = pd.Series(np.full(n, "", dtype=object))
    raw = {f: (c[f] if f in c else empty) for f in FIELDS}
    fac = {f: (export.factor(f) if f in c else (np.zeros(n, dtype=np.intp), np.array([""], dtype=object)))
           for f in FIELDS}
    text = {f: _each(fac[f], _text) for f in ("region", "product", "rep", "customer")}
    # Deal ids are mostly distinct: stripped in one pass (numbers from XLSX as text).
    codes, uniques = fac["deal"]
    deal = _stripped(uniques)
    others = deal == None  # noqa: E711 (elementwise)
    deal[others] = [_text(u) for u in uniques[others]]
    text["deal"] = deal[codes]
    for f in ("product", "rep", "customer"):
        refuse(text[f] == "", lambda i, f=f: f"{f}: blank")
    hint = _date_hint(mapping)
    date = _each(fac["date"], lambda v: _date_of(v, mapping.date_format))
    refuse(date == "?", lambda i: f"date: {_shown_raw(raw['date'].iloc[i])} is not a date{hint}")
    refuse(date == "", lambda i: "date: blank")
    date = _datetimes(date)
    created = _each(fac["created"], lambda v: _date_of(v, mapping.date_format))
    refuse(created == "?", lambda i: f"created: {_shown_raw(raw['created'].iloc[i])} is not a date{hint}")
    created = _datetimes(created)
    later = created > date
    refuse(later, lambda i: f"created: {created[i]} is after the deal's date {date[i]}")
    units, ok, blank = _amounts(raw["amount"], fac["amount"], decimals)
    refuse(blank, lambda i: "amount: blank")
    refuse(~ok & ~blank, lambda i: f"amount: {_shown_raw(raw['amount'].iloc[i])} is not an amount as 1234.56 or "
                                   f"1,234.56 with at most {decimals} decimal places")
    returned = _each(fac["returned"], _yes_no_of, float)
    refuse(np.isnan(returned), lambda i: f"returned: {_shown_raw(raw['returned'].iloc[i])} is not yes or no")
    units = np.where((returned == 1) & (units > 0), -units, units)
    kinds = {" ".join(k.split()): kind for kind, values in TYPE_VALUES.items() for k in values}
    kinds.update(mapping.types)
    kind = _each(fac["type"], lambda v: "" if _blank(v) else kinds.get(" ".join(str(v).casefold().split()), "?"))
    refuse(kind == "?", lambda i: f"type: {_shown_raw(raw['type'].iloc[i])} is neither new nor recurring (list it "
                                  "under [values] new or recurring in a mapping file)")
    kind = np.where(kind == "?", "", kind).astype(object)
    share, bad = _shares(fac["share"], mapping.share_scale)
    refuse(bad, lambda i: f"share: {_shown_raw(raw['share'].iloc[i])} is not a share above 0 and up to 100%")
    complaint = _each(fac["complaint"], lambda v: np.nan if _blank(v) else _yes_no_of(v), float)
    given = ~_each(fac["complaint"], _blank, bool)
    refuse(given & np.isnan(complaint), lambda i: f"complaint: {_shown_raw(raw['complaint'].iloc[i])} is not yes "
                                                  "or no")
    nps = _each(fac["nps"], _nps_of, float)
    bad_nps = nps == -1000
    refuse(bad_nps, lambda i: f"nps: {_shown_raw(raw['nps'].iloc[i])} is not an NPS from -100 to 100")
    nps = np.where(bad_nps, np.nan, nps)
    return Parsed(date, text, units, ok, kind, share, created, complaint, nps, problems)


def _nps_of(value: Any) -> float:
    # The NPS, NaN when blank, -1000 when not a number from -100 to 100.
    if _blank(value):
        return np.nan
    try:
        x = float(value) if not isinstance(value, bool) else np.nan
    except (TypeError, ValueError):
        return -1000.0
    return x if -100 <= x <= 100 else -1000.0


def _shown_raw(value: Any) -> str:
    if isinstance(value, str):
        return shown(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return repr(value)


def _date_hint(mapping: Mapping) -> str:
    return f" as {mapping.date_format}" if mapping.date_format else " as YYYY-MM-DD (give [dates] format in a " \
                                                                    "mapping file for other forms)"


def _date_of(value: Any, fmt: str | None) -> str:
    # ISO "YYYY-MM-DD" of a date value or text, "" when blank, "?" when not a date.
    if _blank(value):
        return ""
    if hasattr(value, "year") and hasattr(value, "month") and hasattr(value, "day"):
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    if not isinstance(value, str):
        return "?"
    text = value.strip()
    try:
        if fmt is not None:
            d = _dt.datetime.strptime(text, fmt)
        else:
            m = _ISO_DATE.match(text)
            if m is None:
                return "?"
            d = _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return "?"
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"


def _datetimes(iso: np.ndarray) -> np.ndarray:
    out = np.where((iso == "") | (iso == "?"), "NaT", iso).astype("datetime64[D]")
    return out


def _amounts(col: pd.Series, fac, decimals: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # Whole units of 10^-decimals, exact. Plain numbers ("-1234.5", XLSX numbers) are read as
    # floats and kept when they are whole numbers of the precision below 2^53; anything else
    # (thousands separators, more decimals) goes through the exact text rule.
    n = len(col)
    scale = 10**decimals
    values = col.to_numpy(dtype=object)
    codes, uniques = fac
    text = _stripped(uniques)
    blank = (text == "")[codes]
    numeric = np.array([v if not isinstance(v, bool) else None for v in uniques], dtype=object)
    numeric[text == ""] = None
    numbers = pd.to_numeric(pd.Series(numeric, dtype=object), errors="coerce").to_numpy(dtype=float)[codes]
    scaled = numbers * scale
    whole = np.round(scaled)
    exact = np.isfinite(scaled) & (np.abs(whole) < 2**52) & (np.abs(scaled - whole) <= 1e-6 + 1e-15 * np.abs(scaled))
    # Text is plain only as digits with at most `decimals` decimals (then the float is exact
    # to the unit); anything else ("1e3", "1,234.5") takes the exact text rule.
    plain_text = re.compile(rf"^-?\d+(?:\.\d{{1,{decimals}}})?$" if decimals else r"^-?\d+$")
    kind = _each(fac, lambda v: 2 if isinstance(v, str) and plain_text.match(v) else 1 if isinstance(v, str) else 0,
                 np.int8) if n else np.zeros(0, np.int8)
    plain = exact & (kind != 1)
    units = np.where(plain, whole, 0).astype(np.int64)
    ok = plain.copy()
    rest = np.flatnonzero(~plain & ~blank)
    for i in rest:
        u = _text_units(values[i], decimals)
        if u is not None:
            units[i], ok[i] = u, True
    return units, ok, blank


def _text_units(value: Any, decimals: int) -> int | None:
    if not isinstance(value, str):
        return None
    m = _NUMBER.match(value)
    if m is None or len(m.group(3) or "") > decimals:
        return None
    digits = m.group(2).replace(",", "") + (m.group(3) or "").ljust(decimals, "0")
    return (-1 if m.group(1) == "-" else 1) * int(digits)


def _shares(col: pd.Series, scale: str) -> tuple[np.ndarray, np.ndarray]:
    # A share: "60%", or a number; numbers are fractions unless the file's numbers go above 1
    # (then they are percentages), or as the mapping's shares.scale says.
    def value(v: Any) -> tuple[float, bool]:  # (number, written with %)
        if _blank(v):
            return (np.nan, False)
        if isinstance(v, str):
            m = _PERCENT.match(v)
            if m is not None:
                return (float(m.group(1)) / 100, True)
            try:
                return (float(v), False)
            except ValueError:
                return (-1.0, True)
        if isinstance(v, bool):
            return (-1.0, True)
        return (float(v), False)

    pairs = _each(col, value)
    if not len(pairs):
        return np.zeros(0), np.zeros(0, bool)
    x = np.array([p[0] for p in pairs], dtype=float)
    pct = np.array([p[1] for p in pairs], dtype=bool)
    bare = ~pct & np.isfinite(x)
    percent = scale == "percent" or (scale == "auto" and (x[bare] > 1).any())
    x = np.where(bare & percent, x / 100, x)
    blank = np.isnan(x) & ~pct
    bad = ~blank & ~((x > 0) & (x <= 1 + 1e-12))
    return np.where(bad, np.nan, x), bad
