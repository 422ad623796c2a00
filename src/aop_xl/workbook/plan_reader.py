"""Read the plan back from a workbook: its Assumptions sheet (and the KPI actuals), as a Plan.

The input cells are turned into the plan document of ``docs/plan-format.md`` and validated by
:func:`aop_xl.plan.plan_from_dict`, so a workbook is held to exactly the rules of a plan file.
Every problem names its cell: ``Assumptions!I8: region weight must be >= 0, got -5``.

Rules of the reading:

- Every address comes from :mod:`aop_xl.workbook.layout`, sized by the capacities on the
  hidden meta sheet.
- A blank cell means what the template's formulas make of it (``docs/workbook.md``), so the
  plan read back is the one the workbook computes: a blank unit is 1; a blank challenge
  uplift, rep share, red or amber threshold or default growth rate is 0. Any other blank is
  an absent key (the plan format's default applies, or "required").
- Blank member rows are skipped, so ``regions[k]`` is the k-th non-blank row. A row with
  values but no name is an error.
- Numbers must be numbers: text in a numeric cell is an error (Excel would treat it as 0).
  Numbers in a text cell (a product called 2027) are read as text.
- Month weights replace the quarter weights as soon as one is filled (as the workbook's
  formulas do); blank weights then count as 0.
- KPI actuals are read from the KPI sheet's input cells.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from openpyxl.utils import get_column_letter

from aop_xl.errors import PlanError, WorkbookError
from aop_xl.plan import DEFAULT_BCG_GROWTH, DEFAULT_MARKET_GROWTH, Plan, plan_from_dict
from aop_xl.workbook.book import Book, XlError
from aop_xl.workbook.layout import (
    ASSUMPTIONS,
    BLANK_CAPACITY,
    META,
    META_KEYS,
    PARAM_KEYS,
    TEMPLATE_ID,
    TEMPLATE_VERSION,
    Capacity,
    Layout,
    Table,
    quote_sheetname,
)
from aop_xl.workbook.reader import WorkbookIdentity

BLOCKS = ("regions", "products", "reps", "tiers", "budget", "kpis")
_SINGULAR = {"regions": "region", "products": "product", "reps": "rep", "tiers": "commission tier",
             "budget": "budget item", "kpis": "KPI"}
_NAME = {"regions": "name", "products": "name", "reps": "name", "budget": "item", "kpis": "metric"}
_TEXT = {"name", "region", "item", "metric"}
_NUMBER = {"weight", "prior_year_revenue", "growth", "target", "gross_margin", "share", "rate", "amount", "months",
           "start_month"}
_TEXT_PARAMS = {"company", "currency", "version", "goal_1", "goal_2", "goal_3"}
_CHOICE_PARAMS = {"status", "allow_negative", "commission_mode", "floor_basis", "payout", "display"}
_HEADER_KEYS = ("company", "year", "currency", "unit", "total_target", "prior_year_revenue", "growth",
                "challenge_uplift", "fiscal_year_start", "version", "status", "display", "as_of")
_COMMISSION = {"mode": "commission_mode", "floor_basis": "floor_basis", "cap": "cap",
               "min_attainment": "min_attainment", "payout": "payout"}
_PARAM_PATHS = {**{f"plan.{k}": k for k in (*_HEADER_KEYS, "allow_negative")},
                **{f"commission.{k}": v for k, v in _COMMISSION.items()},
                "status.red": "red", "status.amber": "amber", "status": "amber",
                **{f"growth_defaults.market.{k}": f"growth_{k}" for k in DEFAULT_MARKET_GROWTH},
                **{f"growth_defaults.bcg.{k}": f"growth_{k}" for k in DEFAULT_BCG_GROWTH}}
#: Blank settings as the template's formulas read them (N(...) is 0; a blank unit is 1).
BLANK_PARAMS = {"unit": 1, "challenge_uplift": 0, "red": 0, "amber": 0, "display": "units",
                **{f"growth_{k}": 0 for k in (*DEFAULT_MARKET_GROWTH, *DEFAULT_BCG_GROWTH)}}
BLANK_MEMBER_FIELDS = {("reps", "share"): 0}
_MEMBER = re.compile(r"^(regions|products|reps|budget|kpis|commission\.tiers)\[(\d+)\](?:\.(\w+))?(.*)$")
_PATH_IN_TEXT = re.compile(r"\b(?:regions|products|reps|budget|kpis|commission\.tiers)\[\d+\](?:\.\w+)?")


def cell_ref(sheet: str, address: str) -> str:
    """A sheet-qualified address as a person reads it: ``Assumptions!I8``, ``'Bottom-up'!C6``."""
    return f"{quote_sheetname(sheet)}!{address.replace('$', '')}"


def book_name(book: Book) -> str:
    return book.path.name if book.path is not None else "workbook"


def book_identity(book: Book) -> WorkbookIdentity:
    """What the hidden meta sheet says about the workbook (template id, version, capacities).

    Raises:
        WorkbookError: no meta sheet, another template's id, unreadable capacities.
    """
    name = book_name(book)
    if META not in book.sheet_names():
        raise WorkbookError(f"{name}: not a standard AOP workbook (no {META} sheet)")
    m = Layout(BLANK_CAPACITY).meta
    block = book.read(META, f"A{m.first_row}:B{m.last_row}")
    values = {row[0]: row[1] for row in block if row[0] in META_KEYS}
    if values.get("template_id") != TEMPLATE_ID:
        raise WorkbookError(f"{name}: {cell_ref(META, m.cell('value', 0))} says template "
                            f"{values.get('template_id')!r}, expected {TEMPLATE_ID!r}")
    try:
        capacity = Capacity(**{k: int(values[k]) for k in ("regions", "products", "reps", "tiers", "budget", "kpis")})
    except (KeyError, TypeError, ValueError, WorkbookError):
        raise WorkbookError(f"{name}: the {META} sheet has no valid capacities") from None
    return WorkbookIdentity(template_id=values["template_id"], template_version=str(values.get("template_version")),
                            blank=bool(values.get("blank")), capacity=capacity,
                            fingerprint=str(values.get("fingerprint") or ""))


def is_standard_workbook(book: Book) -> bool:
    """True when the workbook is a standard AOP workbook (ours, with its Assumptions sheet)."""
    try:
        book_identity(book)
    except WorkbookError:
        return False
    return ASSUMPTIONS in book.sheet_names()


@dataclass(frozen=True)
class SheetPlan:
    """The plan read from a workbook, and where each of its members lives."""

    plan: Plan
    identity: WorkbookIdentity
    #: block name -> the block row (0-based, in the workbook's capacity) of each plan member.
    rows: dict[str, tuple[int, ...]]

    @property
    def layout(self) -> Layout:
        return self.identity.layout


def read_plan(book: Book) -> Plan:
    """The plan held by a standard AOP workbook's input cells.

    Args:
        book: a workbook (:class:`~aop_xl.workbook.book.Book`).

    Returns:
        The validated :class:`~aop_xl.plan.Plan`.

    Raises:
        PlanError: one message per problem, each naming its cell.
        WorkbookError: not a standard AOP workbook, or another template version.

    Examples:
        >>> from aop_xl.workbook.book import OpenpyxlBook
        >>> read_plan(OpenpyxlBook("AOP_2027.xlsx")).plan.company  # doctest: +SKIP
        'Northwind Trading'
    """
    return read_sheet_plan(book).plan


def read_sheet_plan(book: Book) -> SheetPlan:
    """Like :func:`read_plan`, with the workbook identity and each member's block row."""
    identity = book_identity(book)
    if identity.template_version != TEMPLATE_VERSION:
        raise WorkbookError(f"{book_name(book)}: made with template version {identity.template_version}; "
                            f"this aop_xl reads version {TEMPLATE_VERSION}")
    return _Reader(book, identity).read()


def read_sales(book: Book, sp: SheetPlan) -> dict[str, float]:
    """Annual sales by rep from the Commission sheet's input cells (``RepSales``); blanks are left out.

    Raises:
        PlanError: a cell that is not a number, naming it.
    """
    st = sp.layout.statement
    column = book.read(st.sheet, st.area("sales"))
    sales, problems = {}, []
    for k, i in enumerate(sp.rows["reps"]):
        value = column[i][0]
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(f"{cell_ref(st.sheet, st.cell('sales', i))}: sales of {sp.plan.reps[k].name}: "
                            f"must be a number, got {_show(value)}")
        else:
            sales[sp.plan.reps[k].name] = float(value)
    if problems:
        raise PlanError(problems)
    return sales


def _show(value: Any) -> str:
    if isinstance(value, XlError):
        return f"the error {value}"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def _text(value: Any) -> Any:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    return value


class _Reader:
    # One reading of the Assumptions sheet: the grid, the document, the cell of every path.

    def __init__(self, book: Book, identity: WorkbookIdentity):
        self.book, self.identity = book, identity
        self.lay = lay = identity.layout
        tables = [lay.params, lay.quarter_weights, lay.month_weights, lay.mix, *(getattr(lay, b) for b in BLOCKS)]
        last_row = max(t.last_row for t in tables)
        last_col = max(max(t.columns.values()) for t in tables)
        self.grid = book.read(ASSUMPTIONS, f"A1:{get_column_letter(last_col)}{last_row}")
        self.problems: list[str] = []
        self.rows: dict[str, list[int]] = {}
        self.goals: list[str] = []

    def at(self, table: Table, key: str, i: int) -> Any:
        value = self.grid[table.row(i) - 1][table.col(key) - 1]
        return None if isinstance(value, str) and not value.strip() else value

    def ref(self, table: Table, key: str, i: int) -> str:
        return cell_ref(table.sheet, table.cell(key, i))

    def area(self, table: Table, key: str, last: str | None = None) -> str:
        return cell_ref(table.sheet, table.area(key, last=last))

    def convert(self, value: Any, kind: str, ref: str, label: str) -> Any:
        # Cell value -> plan document value; a problem (and None) where the type is wrong.
        if value is None:
            return None
        if isinstance(value, XlError):
            self.problems.append(f"{ref}: {label}: shows {_show(value)}")
            return None
        if kind == "text":
            return _text(value)
        if kind == "number" and (isinstance(value, bool) or not isinstance(value, (int, float))):
            self.problems.append(f"{ref}: {label}: must be a number, got {_show(value)}")
            return None
        return value

    # ---------------------------------------------------------------- the document

    def read(self) -> SheetPlan:
        doc = {"plan": self.header(), "seasonality": self.seasonality()}
        for block in BLOCKS:
            doc[block] = self.members(block)
        self.product_mix(doc["regions"], doc["products"])
        p = self.params()
        doc["commission"] = {"tiers": doc.pop("tiers"), **{k: p[v] for k, v in _COMMISSION.items()}}
        doc["status"] = {"red": p["red"], "amber": p["amber"]}
        doc["growth_defaults"] = {"market": {k: p[f"growth_{k}"] for k in DEFAULT_MARKET_GROWTH},
                                  "bcg": {k: p[f"growth_{k}"] for k in DEFAULT_BCG_GROWTH}}
        doc = _drop_none(doc)
        if self.problems:
            raise PlanError(self.problems)
        try:
            plan = plan_from_dict(doc)
        except PlanError as exc:
            raise PlanError([self.locate(p) for p in exc.problems]) from None
        rows = {b: tuple(r) for b, r in self.rows.items()}
        return SheetPlan(plan=plan, identity=self.identity, rows=rows)

    def params(self) -> dict[str, Any]:
        if not hasattr(self, "_params"):
            t = self.lay.params
            out = {}
            for i, key in enumerate(PARAM_KEYS):
                kind = "text" if key in _TEXT_PARAMS else "choice" if key in _CHOICE_PARAMS else "number"
                out[key] = self.convert(self.at(t, "value", i), kind, self.ref(t, "value", i), key.replace("_", " "))
                if out[key] is None:
                    out[key] = BLANK_PARAMS.get(key)
            self._params = out
        return self._params

    def header(self) -> dict[str, Any]:
        p = self.params()
        head = {k: p[k] for k in _HEADER_KEYS}
        flag = p["allow_negative"]
        if isinstance(flag, str) and flag.strip().lower() in ("yes", "no"):
            head["allow_negative"] = flag.strip().lower() == "yes"
        elif flag is not None and not isinstance(flag, bool):
            i = PARAM_KEYS.index("allow_negative")
            self.problems.append(f"{self.ref(self.lay.params, 'value', i)}: allow negative: must be yes or no, "
                                 f"got {_show(flag)}")
        else:
            head["allow_negative"] = flag
        self.goals = [k for k in ("goal_1", "goal_2", "goal_3") if p[k] is not None]
        head["goals"] = [p[k] for k in self.goals]
        return head

    def seasonality(self) -> dict[str, list]:
        lay = self.lay
        months = [self.convert(self.at(lay.month_weights, "weight", m), "number",
                               self.ref(lay.month_weights, "weight", m), "month weight") for m in range(12)]
        if any(w is not None for w in months):
            return {"months": [w if w is not None else 0 for w in months]}
        quarters = [self.convert(self.at(lay.quarter_weights, "weight", q), "number",
                                 self.ref(lay.quarter_weights, "weight", q), "quarter weight") for q in range(4)]
        return {"quarters": [w if w is not None else 0 for w in quarters]}

    def members(self, block: str) -> list[dict[str, Any]]:
        table = getattr(self.lay, block)
        name = _NAME.get(block)
        out, rows = [], []
        for i in range(table.rows):
            raw = {key: self.at(table, key, i) for key in table.columns}
            if block == "kpis":
                raw["actual"] = self.kpi_actual(i)
            if all(v is None for v in raw.values()):
                continue
            if name is not None and raw[name] is None:
                self.problems.append(f"{self.ref(table, name, i)}: {_SINGULAR[block]} {name}: required "
                                     "(the row has other values; clear the row to leave it out)")
                continue
            member = {}
            for key, value in raw.items():
                kind = "text" if key in _TEXT else "number" if key in _NUMBER or key == "actual" else "choice"
                ref = self.ref(self.lay.kpi, "actual", i) if key == "actual" else self.ref(table, key, i)
                member[key] = self.convert(value, kind, ref, f"{_SINGULAR[block]} {key.replace('_', ' ')}")
                if member[key] is None:
                    member[key] = BLANK_MEMBER_FIELDS.get((block, key))
            out.append(member)
            rows.append(i)
        self.rows[block] = rows
        return out

    def kpi_actual(self, i: int) -> Any:
        if not hasattr(self, "_actuals"):
            k = self.lay.kpi
            self._actuals = [r[0] for r in self.book.read(k.sheet, k.area("actual"))]
        value = self._actuals[i]
        return None if isinstance(value, str) and not value.strip() else value

    def product_mix(self, regions: list[dict], products: list[dict]) -> None:
        lay = self.lay
        names = dict(zip(self.rows["products"], (p.get("name") for p in products)))
        by_row = dict(zip(self.rows["regions"], regions))
        for i in range(lay.capacity.regions):
            mix = {}
            for j in range(lay.capacity.products):
                ref = self.ref(lay.mix, f"p{j}", i)
                value = self.convert(self.at(lay.mix, f"p{j}", i), "number", ref, "product mix weight")
                if value is None:
                    continue
                if i not in by_row:
                    self.problems.append(f"{ref}: product mix weight for a blank region row")
                elif j not in names:
                    self.problems.append(f"{ref}: product mix weight for a blank product row")
                else:
                    mix[names[j]] = value
            if mix and i in by_row:
                by_row[i]["product_mix"] = mix

    # ---------------------------------------------------------------- problems -> cells

    def where(self, path: str, message: str = "") -> tuple[str, str] | None:
        """(cell or range, label) of a plan-document path, or None."""
        lay = self.lay
        if path in _PARAM_PATHS:
            key = _PARAM_PATHS[path]
            return self.ref(lay.params, "value", PARAM_KEYS.index(key)), key.replace("_", " ")
        m = re.fullmatch(r"plan\.goals\[(\d+)\]", path)
        if m and int(m.group(1)) < len(self.goals):
            key = self.goals[int(m.group(1))]
            return self.ref(lay.params, "value", PARAM_KEYS.index(key)), key.replace("_", " ")
        m = re.fullmatch(r"seasonality(?:\.(quarters|months)(?:\[(\d+)\])?)?", path)
        if m:
            table = lay.month_weights if m.group(1) == "months" else lay.quarter_weights
            if m.group(2) is not None:
                return self.ref(table, "weight", int(m.group(2))), f"{m.group(1)[:-1]} weight"
            return self.area(table, "weight"), f"{(m.group(1) or 'quarters')[:-1]} weights"
        if path in ("regions", "products", "reps", "budget", "kpis", "commission.tiers"):
            block = "tiers" if path == "commission.tiers" else path
            table = getattr(lay, block)
            key = {"regions": "target" if "fixed" in message else "weight", "products": "weight",
                   "reps": "share", "tiers": "floor"}.get(block, _NAME.get(block))
            if "at least" in message:
                key = _NAME.get(block, "floor")
            return self.area(table, key), f"{_SINGULAR[block]}s"
        m = _MEMBER.match(path)
        if not m:
            return None
        block = "tiers" if m.group(1) == "commission.tiers" else m.group(1)
        k, key = int(m.group(2)), m.group(3)
        rows = self.rows.get(block, [])
        if k >= len(rows):
            return None
        i, table, what = rows[k], getattr(lay, block), _SINGULAR[block]
        if key == "product_mix":
            mix, row = lay.mix, lay.mix.row(i)
            last = mix.letter(f"p{lay.capacity.products - 1}")
            return cell_ref(ASSUMPTIONS, f"{mix.letter('p0')}{row}:{last}{row}"), f"{what} product mix"
        if key == "actual" and block == "kpis":
            return self.ref(lay.kpi, "actual", i), "KPI actual"
        if key is None:
            lead = message.split(":", 1)[0]
            key = lead if lead in table.columns else None
        if key in table.columns:
            return self.ref(table, key, i), f"{what} {key.replace('_', ' ')}"
        first = _NAME.get(block) or next(iter(table.columns))
        return self.ref(table, first, i), what

    def locate(self, problem: str) -> str:
        """A plan_from_dict message with its path replaced by the cell it came from."""
        path, _, message = problem.partition(": ")
        found = self.where(path, message)
        if found is None:
            return f"{ASSUMPTIONS}: {problem}"
        ref, label = found
        message = _PATH_IN_TEXT.sub(lambda m: (self.where(m.group(0)) or (m.group(0),))[0], message)
        if ":" in message.split(" ", 1)[0] and message.split(":", 1)[0] in label.replace(" ", "_"):
            message = message.split(":", 1)[1].strip()  # "months: only recurring..." under its own cell
        joiner = " " if message.startswith("must ") else ": "
        return f"{ref}: {label}{joiner}{message}"


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value
