"""The standard AOP workbook's layout: the single source of truth for every sheet and cell.

Sheet names, defined names, block anchors, column orders, the template id and version live
here and nowhere else; the builder, the reader, the validator, the macros and the regional
generator import this module. A workbook's blocks are sized by its :class:`Capacity` (how
many regions, products, reps, tiers, budget lines and KPIs it holds), which the hidden
meta sheet records, so a reader rebuilds the same :class:`Layout` from the file alone.

Conventions: rows and columns are 1-based; a :class:`Table` is a block with one row per
member and named columns; ``Table.cell`` gives a same-sheet address, ``Table.ref`` and
``Table.range`` sheet-qualified absolute ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from openpyxl.utils import get_column_letter

from aop_xl.errors import WorkbookError

TEMPLATE_ID = "aop-xl/standard-aop"
TEMPLATE_VERSION = "1.0"

COVER, ASSUMPTIONS, TARGETS, QUOTAS = "Cover", "Assumptions", "Targets", "Quotas"
COMMISSION, BUDGET, KPI, SUMMARY, META = "Commission", "Budget", "KPI", "Summary", "AOP_Meta"
SHEETS = (COVER, ASSUMPTIONS, TARGETS, QUOTAS, COMMISSION, BUDGET, KPI, SUMMARY, META)
HIDDEN_SHEETS = (META,)

MONTHS = tuple(f"m{m:02d}" for m in range(1, 13))
QUARTERS = ("q1", "q2", "q3", "q4")
#: The helper grids of a table filled by running-total rounding (docs/engine.md), one
#: column per month each: raw remainder, what the row still has coming, room, priority key,
#: and the row's units of the month.
GRIDS = ("rr", "f", "room", "key", "u")


def grid_keys(prefix: str = "") -> tuple[str, ...]:
    """Column keys of the running-total grids of a month table: ``rr_m01`` ... ``key_m12``."""
    return tuple(f"{prefix}{g}_{m}" for m in MONTHS for g in GRIDS)


def month_keys(prefix: str) -> tuple[str, ...]:
    """One helper column per month: ``prefix_m01`` ... ``prefix_m12``."""
    return tuple(f"{prefix}_{m}" for m in MONTHS)

BCG_CLASSES = ("star", "cash_cow", "question_mark", "dog")
MARKETS = ("core", "growth", "new")

#: Seasonality helper rows under the Targets company row (month columns | quarter columns).
SEASON_ROW_LABELS = (
    ("e", "Month weight (as typed) | quarter weight"),
    ("d", "Decimal places | quarter weight, high part"),
    ("x", "Whole-number weight | quarter weight, low part"),
    ("w", "Weight used | quarter: raw remainder"),
    ("C", "Running weight | quarter: floor"),
    ("C1", "Running weight, high part | quarter: remainder"),
    ("C0", "Running weight, low part | quarter target"),
    ("w1", "Weight, high part | quarter target / weight"),
    ("w0", "Weight, low part | rest"),
    ("mrr", "Month: raw remainder | rest, high part"),
    ("mq", "Month: floor | rest, low part"),
    ("mrho", "Month: remainder"),
    ("M", "Company month (units)"),
    ("k", "Units to place (region x month)"),
    ("rp", "Regions with room"),
)
SEASON_ROWS = tuple(k for k, _ in SEASON_ROW_LABELS)

#: Rows of the plan-settings block on Assumptions: (key, label).
PARAMS = (
    ("company", "Company"),
    ("year", "Plan year"),
    ("currency", "Currency"),
    ("unit", "Rounding unit (0.01, 1, 1000 ...)"),
    ("display", "Show amounts in (units/thousands/millions)"),
    ("total_target", "Total target (blank: derived)"),
    ("prior_year_revenue", "Prior-year revenue"),
    ("growth", "Growth on prior year"),
    ("challenge_uplift", "Challenge uplift"),
    ("fiscal_year_start", "Fiscal year starts in month (1-12)"),
    ("version", "Version"),
    ("status", "Status"),
    ("allow_negative", "Allow a negative total (yes/no)"),
    ("commission_mode", "Commission mode"),
    ("floor_basis", "Tier floors are (quota/absolute)"),
    ("cap", "Commission cap per rep (blank: none)"),
    ("min_attainment", "Minimum attainment to earn"),
    ("payout", "Commission payout"),
    ("red", "Red when lag is above"),
    ("amber", "Amber when lag is above"),
    ("growth_core", "Default growth: core market"),
    ("growth_growth", "Default growth: growth market"),
    ("growth_new", "Default growth: new market"),
    ("growth_star", "Default growth: star"),
    ("growth_cash_cow", "Default growth: cash cow"),
    ("growth_question_mark", "Default growth: question mark"),
    ("growth_dog", "Default growth: dog"),
    ("reallocation_share", "Budget reallocation share"),
    ("as_of", "KPI actuals run to period (1-12; blank: the year)"),
    ("goal_1", "SMART goal 1"),
    ("goal_2", "SMART goal 2"),
    ("goal_3", "SMART goal 3"),
)
PARAM_KEYS = tuple(k for k, _ in PARAMS)

#: Rows of the hidden meta sheet (key in column A, value in column B).
META_KEYS = (
    "template_id",
    "template_version",
    "blank",
    "regions",
    "products",
    "reps",
    "tiers",
    "budget",
    "kpis",
    "fingerprint",
    "fingerprint_method",
)
FINGERPRINT_METHOD = (
    "sha256 of the UTF-8 JSON [1, unit, region names, product names, cells], where cells are the "
    "engine's region x product x month targets in whole units (target_units(plan).cells as nested "
    "lists), compact separators, ensure_ascii=False; empty for the blank template"
)

# Columns shared by the Targets and Quotas blocks.
_CUBE_COLS = {"name": 1, "label": 2, "year": 3, "py": 4, "growth": 5, "yoy": 6,
              **{q: 7 + i for i, q in enumerate(QUARTERS)}, "h1": 11, "h2": 12,
              **{m: 13 + i for i, m in enumerate(MONTHS)}, "check": 25, "check_total": 26}
#: The last column a Targets or Quotas block prints (the months); its checks sit beside it.
CUBE_PRINT_LAST = 24
_HELPER = 28  # first helper column (AB); column AA stays empty between results and helpers
HALVES = ("h1", "h2")


def quote_sheetname(name: str) -> str:
    """A sheet name as formulas spell it: bare when it is a plain word, else in single quotes."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) and not _A1.match(name) and not _R1C1.match(name):
        return name
    return "'" + name.replace("'", "''") + "'"


def _cols(start: int, *keys: str) -> dict[str, int]:
    return {k: start + i for i, k in enumerate(keys)}


@dataclass(frozen=True)
class Capacity:
    """How many members each block of a workbook holds."""

    regions: int
    products: int
    reps: int
    tiers: int
    budget: int
    kpis: int

    def __post_init__(self) -> None:
        for name, value in self.__dict__.items():
            if not isinstance(value, int) or value < 1:
                raise WorkbookError(f"capacity.{name}: must be a whole number >= 1, got {value!r}")


#: The blank template's fixed capacities.
BLANK_CAPACITY = Capacity(regions=40, products=60, reps=200, tiers=6, budget=40, kpis=20)


def capacity_for(plan, spare: int = 0) -> Capacity:
    """The capacity of a plan's workbook: its members plus ``spare`` empty rows in each member
    block (regions, products, reps, budget lines, KPIs), at least one row per block.

    Args:
        plan: a validated :class:`aop_xl.plan.Plan`.
        spare: empty rows after the members of each block, which every formula already
            covers, so that a planner can add a member in Excel (tiers get none).

    Returns:
        The :class:`Capacity`.
    """
    if not isinstance(spare, int) or isinstance(spare, bool) or spare < 0:
        raise WorkbookError(f"spare: expected a whole number of rows >= 0, got {spare!r}")
    return Capacity(
        regions=len(plan.regions) + spare,
        products=len(plan.products) + spare,
        reps=max(len(plan.reps) + spare, 1),
        tiers=len(plan.commission.tiers),
        budget=max(len(plan.budget) + spare, 1),
        kpis=max(len(plan.kpis) + spare, 1),
    )


def fits(plan, capacity: Capacity) -> bool:
    """Whether every member of ``plan`` has a row at ``capacity`` (tiers: exactly)."""
    return (len(plan.regions) <= capacity.regions and len(plan.products) <= capacity.products
            and len(plan.reps) <= capacity.reps and len(plan.commission.tiers) == capacity.tiers
            and len(plan.budget) <= capacity.budget and len(plan.kpis) <= capacity.kpis)


@dataclass(frozen=True)
class Table:
    """A block of ``rows`` rows from ``first_row`` with named columns, on one sheet."""

    sheet: str
    first_row: int
    rows: int
    columns: dict[str, int] = field(hash=False)
    title: str = ""

    @property
    def header_row(self) -> int:
        return self.first_row - 1

    @property
    def title_row(self) -> int:
        return self.first_row - 2

    @property
    def last_row(self) -> int:
        return self.first_row + self.rows - 1

    def row(self, i: int) -> int:
        """Sheet row of member ``i`` (0-based)."""
        return self.first_row + i

    def col(self, key: str) -> int:
        try:
            return self.columns[key]
        except KeyError:
            raise WorkbookError(f"{self.sheet}: block has no column {key!r}") from None

    def letter(self, key: str) -> str:
        return get_column_letter(self.col(key))

    def cell(self, key: str, i: int, *, col_abs: bool = False, row_abs: bool = False) -> str:
        """Same-sheet address of member ``i`` in column ``key``, e.g. ``G6`` or ``$G6``."""
        return f"{'$' if col_abs else ''}{self.letter(key)}{'$' if row_abs else ''}{self.row(i)}"

    def ref(self, key: str, i: int) -> str:
        """Sheet-qualified absolute address, e.g. ``Assumptions!$G$6``."""
        return f"{quote_sheetname(self.sheet)}!${self.letter(key)}${self.row(i)}"

    def rel(self, key: str, i: int) -> str:
        """Sheet-qualified, column-absolute, row-relative address (``Assumptions!$G6``): for
        per-member references from a block whose rows keep a constant offset to this one, so
        each column holds one formula in R1C1 terms."""
        return f"{quote_sheetname(self.sheet)}!${self.letter(key)}{self.row(i)}"

    def range(self, key: str, *, qualified: bool = True, last: str | None = None) -> str:
        """Absolute range of column ``key`` (to column ``last``) over all rows."""
        a = f"${self.letter(key)}${self.first_row}:${self.letter(last or key)}${self.last_row}"
        return f"{quote_sheetname(self.sheet)}!{a}" if qualified else a

    def area(self, key: str, *, last: str | None = None) -> str:
        """Plain same-sheet area of column ``key`` (to ``last``), e.g. ``G6:G45`` (for sqref)."""
        return f"{self.letter(key)}{self.first_row}:{self.letter(last or key)}{self.last_row}"


@dataclass(frozen=True)
class Grid:
    """The commission tier table: one column per band from ``first_col``, named rows."""

    sheet: str
    first_col: int
    bands: int
    rows: dict[str, int] = field(hash=False)

    def col(self, k: int) -> int:
        """Column of band ``k`` (0-based)."""
        return self.first_col + k

    def cell(self, key: str, k: int, *, absolute: bool = True) -> str:
        d = "$" if absolute else ""
        return f"{d}{get_column_letter(self.col(k))}{d}{self.rows[key]}"

    def range(self, key: str, *, qualified: bool = False) -> str:
        r = self.rows[key]
        a = f"${get_column_letter(self.first_col)}${r}:${get_column_letter(self.first_col + self.bands - 1)}${r}"
        return f"{quote_sheetname(self.sheet)}!{a}" if qualified else a


class Layout:
    """Every block of the standard workbook for one :class:`Capacity`.

    Args:
        capacity: the block sizes.

    Examples:
        >>> lay = Layout(BLANK_CAPACITY)
        >>> lay.regions.ref("name", 0)
        'Assumptions!$G$6'
    """

    def __init__(self, capacity: Capacity):
        self.capacity = c = capacity
        r, p, n, k = c.regions, c.products, c.reps, c.tiers
        # -- Assumptions: the plan settings (A:B) beside the seasonality (D:E), then the member
        #    blocks one under another from column A, so that the sheet prints in pages of
        #    readable width. Titles two rows above, headers one row above the first row.
        self.params = Table(ASSUMPTIONS, 6, len(PARAMS), _cols(1, "label", "value"), "Plan")
        self.quarter_weights = Table(ASSUMPTIONS, 6, 4, _cols(4, "label", "weight"), "Seasonality: quarters")
        self.month_weights = Table(ASSUMPTIONS, 13, 12, _cols(4, "label", "weight"), "Months (optional)")
        top = self.params.last_row + 4
        self.regions = Table(ASSUMPTIONS, top, r, _cols(1, "name", "market", "weight", "prior_year_revenue", "growth",
                                                        "target"), "Regions")
        top += r + 4
        self.products = Table(ASSUMPTIONS, top, p, _cols(1, "name", "bcg", "weight", "prior_year_revenue", "growth",
                                                         "gross_margin"), "Products")
        top += p + 4
        self.reps = Table(ASSUMPTIONS, top, n, _cols(1, "name", "region", "share"), "Reps")
        top += n + 4
        self.tiers = Table(ASSUMPTIONS, top, k, _cols(1, "floor", "rate"), "Commission tiers")
        top += k + 4
        self.budget = Table(ASSUMPTIONS, top, c.budget, _cols(1, "item", "category", "kind", "amount", "months",
                                                              "start_month", "region"), "Budget items")
        top += c.budget + 4
        self.kpis = Table(ASSUMPTIONS, top, c.kpis, _cols(1, "metric", "target", "direction", "unit"), "KPI targets")
        top += c.kpis + 4
        self.mix = Table(ASSUMPTIONS, top, r, {"region": 1, **{f"p{j}": 2 + j for j in range(p)}},
                         "Product mix by region (blank row: the products' weights)")
        #: The inputs' own checks: one cell beside each input row (column I), 0 when the row is
        #: consistent (a name for its values, numbers where numbers belong, a known region,
        #: no duplicate name).
        self.input_checks = Table(ASSUMPTIONS, self.params.first_row, self.kpis.last_row - self.params.first_row + 1,
                                  {"check": INPUT_CHECK_COL}, "Checks")

        # -- Targets: company rows and the seasonality helpers, then regions, products, BCG
        #    classes, the cube, and the global region x product grid, stacked.
        t = TARGETS
        self.scalars = Table(t, 6, 1, _cols(_HELPER, "unit", "mul", "div", "sign", "total_units", "n", "start",
                                            "has_months", "lock_sum", "rest",
                                            "mD", "mS", "mk", "mW", "mW1", "mW0", "mA", "mB", "mB1", "mB0",
                                            "rD", "rS", "rk", "rW", "rW1", "rW0", "rA", "rB", "rB1", "rB0", "rLeft",
                                            "pD", "pS", "pk", "pW", "pW1", "pW0", "gN", "gN1", "gN0", "gA", "gB",
                                            "gB1", "gB0", "gLeft"), "Scalars")
        self.company = Table(t, 6, 1, dict(_CUBE_COLS), "Company")
        #: Seasonality helper rows under the company row: month-level values in the month
        #: columns, quarter-level ones in the quarter columns (see sheets/targets.py).
        self.season_rows = {key: 7 + i for i, key in enumerate(SEASON_ROWS)}
        top = 7 + len(SEASON_ROWS) + 4
        self.region_targets = Table(t, top, r, {**_CUBE_COLS, **_cols(
            _HELPER, "e", "der", "locked", "lock_units", "pyu", "d", "x", "w", "rr", "q", "rho", "units", "rank",
            "al", "be", "be1", "be0", *grid_keys(),
            "has_mix", "xD", "xS", "xk", "xW", "xW1", "xW0", "xA", "xB", "xB1", "xB0", "xLeft",
            *month_keys("ck"), *month_keys("crp"))}, "Regions")
        top += r + 4
        self.product_targets = Table(t, top, p, {**_CUBE_COLS, **_cols(
            _HELPER, "e", "der", "pyu", "d", "x", "w", "rr", "q", "rho", "u", "cu", "cu1", "cu0", "gk", "grp")},
            "Products")
        top += p + 4
        self.class_targets = Table(t, top, len(BCG_CLASSES), dict(_CUBE_COLS), "Product classes (BCG)")
        top += len(BCG_CLASSES) + 4
        self.cube = Table(t, top, r * p, {**_CUBE_COLS, **_cols(
            _HELPER, "me", "md", "mx", "mw", "mrr", "mq", "mrho", "mval", "t", "al", "be", "be1", "be0",
            *grid_keys())}, "Region x product x month")
        top += r * p + 4
        self.grid = Table(t, top, r, {"name": 1, **_cols(_HELPER, "t", "t1", "t0", *[f"{g}_{j}" for j in range(p)
                                                                               for g in GRIDS])},
                          "Region x product (regions on the products' weights): running-total rounding")

        # -- Quotas: base block, challenge block, the regions' block with its per-region helpers.
        q = QUOTAS
        self.base_quotas = Table(q, 6, n, {**_CUBE_COLS, **_cols(
            _HELPER, "ri", "ru", "e", "d", "x", "w", "rr", "q", "rho", "units", "al", "be", "be1", "be0",
            *grid_keys())}, "Base quotas")
        top = 6 + n + 4
        self.challenge_quotas = Table(q, top, n, {**_CUBE_COLS, **_cols(
            _HELPER, "ri", "units", "al", "be", "be1", "be0", *grid_keys())}, "Challenge quotas")
        top += n + 4
        self.quota_regions = Table(q, top, r, {**_cols(1, "name", "reps", "target", "base_sum", "challenge_sum"),
                                               "check": 25, **_cols(
            _HELPER, "units", "D", "S", "k", "W", "W1", "W0", "A", "B", "B1", "B0", "left",
            "ch", "chA", "chB", "chB1", "chB0",
            *[f"cq{x}_{qq}" for x in ("rr", "q", "rho", "val", "a", "b", "b1", "b0") for qq in QUARTERS],
            *[f"cm{x}_{m}" for x in ("rr", "q", "rho", "val") for m in MONTHS])},
                                   "Regions: reps' base quotas add up to the region")

        # -- Commission: tier grid, statement, YTD base at target, commission at target.
        self.tier_grid = Grid(COMMISSION, 3, k, {"label": 5, "floor": 6, "basis": 7, "rate": 8, "used": 9,
                                                    "needs_base": 10})
        top = 13
        bands = [f"band_{i + 1}" for i in range(k)]
        stmt = _cols(1, "rep", "region", "sales", "base", "challenge", "attainment", "band", *bands, "commission",
                     "marginal", "retroactive", "effective_rate", "check")
        helper = len(stmt) + 3
        stmt.update(_cols(helper, *[f"floor_{i + 1}" for i in range(k + 1)], *[f"raw_{i + 1}" for i in range(k)],
                          *[f"cum_{i + 1}" for i in range(k)], "sales0", "eligible", "retro_raw"))
        self.statement = Table(COMMISSION, top, n, stmt, "Commission statement (sales are inputs)")
        top += n + 4
        self.ytd_base = Table(COMMISSION, top, n, {**_cols(1, "rep", "region", "year"), **_cols(4, *MONTHS)},
                              "Base quota, year to date (sales at target)")
        top += n + 4
        self.at_target = Table(COMMISSION, top, n, {**_cols(1, "rep", "region", "year"), **_cols(4, *MONTHS)},
                               "Commission at target, year to date")

        # -- Budget: items (+ the derived commission line), payout rows, return, regions.
        b = BUDGET
        self.items = Table(b, 6, c.budget + 1, {**_cols(1, "item", "category", "kind", "region", "amount", "months",
                                                       "cost"), **_cols(8, *MONTHS), "check": 20,
                                                "start": _HELPER, "active": _HELPER + 1}, "Budget items")
        top = 6 + c.budget + 1 + 4
        self.payout = Table(b, top, 3, {"label": 1, **_cols(8, *MONTHS)}, "Commission payout (at target)")
        self.payout_rows = {"last": top, "paid": top + 1, "paid_units": top + 2}
        top += 3 + 3
        self.returns = Table(b, top, len(RETURN_KEYS), _cols(1, "label", "value"), "Return of the sales plan")
        top += len(RETURN_KEYS) + 3
        self.budget_regions = Table(b, top, r, {**_cols(1, "region", "revenue", "gross_profit", "item_cost",
                                                        "commission", "cost", "roi"), **_cols(_HELPER, "cw", "x",
                                                        "rr", "q", "rho", "units", "top")},
                                    "Return by region (its own items and commission; shared items left out)")
        top += r + 6
        self.reallocation = Table(b, top, 1, {**_cols(1, "from_region", "from_roi", "to_region", "to_roi",
                                                      "amount"), **_cols(_HELPER, "defined", "low", "high", "units")},
                                  "Suggested reallocation (lowest ROI to highest)")

        # -- KPI.
        self.kpi = Table(KPI, 6, c.kpis, _cols(1, "metric", "unit", "direction", "target", "ytd", "actual",
                                                "variance", "lag", "status", "check"), "KPI: actual to date vs target to date")
        self.kpi_counts = Table(KPI, 6, 4, _cols(12, "label", "count"), "Status")

        # -- Summary, Cover, Meta.
        # The Summary: one landscape page. Top band: headline (A:B), quarters and budget
        # (D:E), regions (G:H), product classes (J:L); middle band: four charts over those
        # tables; bottom band: KPI status (A:E) and the SMART goals (G:L).
        self.summary = Table(SUMMARY, 5, len(SUMMARY_KEYS), _cols(1, "label", "value"), "Headline")
        self.summary_quarters = Table(SUMMARY, 5, 6, _cols(4, "label", "value"), "Targets by quarter")
        self.summary_budget = Table(SUMMARY, 14, 3, _cols(4, "label", "value"), "Budget and return")
        self.summary_regions = Table(SUMMARY, 5, SUMMARY_REGIONS + 1, _cols(7, "label", "value"), "Targets by region")
        self.summary_classes = Table(SUMMARY, 5, 4, _cols(10, "label", "value", "share"), "Targets by product class")
        self.summary_kpis = Table(SUMMARY, 37, SUMMARY_KPIS, _cols(1, "metric", "target", "actual", "variance",
                                                                    "status"), "KPI status")
        self.summary_goals = Table(SUMMARY, 37, 9, _cols(7, "label", "value"), "SMART goals")  # 3 rows a goal
        self.summary_checks = Table(SUMMARY, 60, len(CHECK_BLOCKS), _cols(_HELPER, "block", "failing", "link",
                                                                          "first"), "Checks by block")
        self.summary_chart_rows = (20, 34)
        self.cover = Table(COVER, 5, len(COVER_KEYS), _cols(1, "label", "value"), "Plan")
        self.meta = Table(META, 2, len(META_KEYS), _cols(1, "key", "value"), "")

    def blocks(self) -> dict[str, Table]:
        """Every block of the workbook by attribute name (``regions``, ``cube``, ``statement`` ...)."""
        return {name: value for name, value in vars(self).items() if isinstance(value, Table)}

    # ---------------------------------------------------------------- single cells

    def param(self, key: str) -> str:
        """Qualified absolute address of a plan setting on Assumptions."""
        return self.params.ref("value", PARAM_KEYS.index(key))

    def scalar(self, key: str) -> str:
        """Qualified absolute address of a Targets scalar helper (unit, sign, ...)."""
        return self.scalars.ref(key, 0)

    def ret(self, key: str) -> str:
        return self.returns.ref("value", RETURN_KEYS.index(key))

    def meta_cell(self, key: str) -> str:
        return self.meta.ref("value", META_KEYS.index(key))

    def check_blocks(self) -> list[tuple[str, str]]:
        """Every block of check cells: (label of CHECK_BLOCKS, qualified range). Each cell of a
        range shows 0 when its check passes (an empty cell passes; a blank text does not)."""
        out = []

        def area(t: Table, first: str, last: str, bottom: int) -> str:
            return f"{quote_sheetname(t.sheet)}!${t.letter(first)}${t.first_row}:${t.letter(last)}${bottom}"

        for label, t in zip(CHECK_BLOCKS, (self.company, self.region_targets, self.product_targets,
                                           self.class_targets, self.cube)):
            out.append((label, area(t, "check", "check_total", t.last_row if t is self.company else self.total_row(t))))
        out.append((CHECK_BLOCKS[5], area(self.base_quotas, "check", "check", self.total_row(self.base_quotas))))
        out.append((CHECK_BLOCKS[6], area(self.challenge_quotas, "check", "check",
                                          self.total_row(self.challenge_quotas))))
        out.append((CHECK_BLOCKS[7], self.quota_regions.range("check")))
        st, it, br = self.statement, self.items, self.budget_regions
        out.append((CHECK_BLOCKS[8], area(st, "check", "check", self.total_row(st))))
        out.append((CHECK_BLOCKS[9], area(it, "check", "check", self.total_row(it))))
        total = self.total_row(br)
        out.append((CHECK_BLOCKS[10], f"{quote_sheetname(br.sheet)}!${br.letter('revenue')}${total + 1}:"
                                      f"${br.letter('commission')}${total + 2}"))
        ic = self.input_checks
        out.append((CHECK_BLOCKS[11], f"{quote_sheetname(ic.sheet)}!${ic.letter('check')}${ic.first_row}:"
                                      f"${ic.letter('check')}${ic.last_row}"))
        out.append((CHECK_BLOCKS[12], self.kpi.range("check")))
        return out

    def check_areas(self) -> list[str]:
        """Qualified ranges of every check cell (each should show 0)."""
        return [a for _, a in self.check_blocks()]

    def total_row(self, table: Table) -> int:
        """The row of a block's total line, right under the block."""
        return table.last_row + 1

    @cached_property
    def defined_names(self) -> dict[str, str]:
        """Workbook-scoped defined names: name -> sheet-qualified absolute reference."""
        t, rt, pt, st = self.company, self.region_targets, self.product_targets, self.statement
        names = {
            "TotalTarget": t.ref("year", 0),
            "QuarterTargets": t.range("q1", last="q4"),
            "MonthTargets": t.range(MONTHS[0], last=MONTHS[-1]),
            "RegionNames": self.regions.range("name"),
            "RegionMarkets": self.regions.range("market"),
            "RegionWeights": self.regions.range("weight"),
            "RegionFixedTargets": self.regions.range("target"),
            "RegionTargets": rt.range("year"),
            "ProductNames": self.products.range("name"),
            "ProductClasses": self.products.range("bcg"),
            "ProductWeights": self.products.range("weight"),
            "ProductMargins": self.products.range("gross_margin"),
            "ProductTargets": pt.range("year"),
            "ProductMix": self.mix.range("p0", last=f"p{self.capacity.products - 1}"),
            "TargetCells": self.cube.range(MONTHS[0], last=MONTHS[-1]),
            "QuarterWeights": self.quarter_weights.range("weight"),
            "MonthWeights": self.month_weights.range("weight"),
            "RepNames": self.reps.range("name"),
            "RepRegions": self.reps.range("region"),
            "RepShares": self.reps.range("share"),
            "RepBaseQuota": self.base_quotas.range("year"),
            "RepChallengeQuota": self.challenge_quotas.range("year"),
            "RepSales": st.range("sales"),
            "RepCommission": st.range("commission"),
            "TierFloors": self.tiers.range("floor"),
            "TierRates": self.tiers.range("rate"),
            "BudgetItems": self.budget.range("item"),
            "BudgetAmounts": self.budget.range("amount"),
            "BudgetCosts": self.items.range("cost"),
            "KpiMetrics": self.kpis.range("metric"),
            "KpiTargets": self.kpis.range("target"),
            "KpiActuals": self.kpi.range("actual"),
            "KpiStatus": self.kpi.range("status"),
            "RegionROI": self.budget_regions.range("roi"),
            "TemplateId": self.meta_cell("template_id"),
            "TemplateVersion": self.meta_cell("template_version"),
            "Fingerprint": self.meta_cell("fingerprint"),
        }
        names.update({name: self.param(key) for name, key in PARAM_NAMES.items()})
        names.update({name: self.ret(key) for name, key in RETURN_NAMES.items()})
        names["ChecksFailing"] = self.summary.ref("value", SUMMARY_KEYS.index("checks"))
        for name in names:
            check_defined_name(name)
        return names


#: Plan settings that also get a defined name.
PARAM_NAMES = {"Company": "company", "PlanYear": "year", "Currency": "currency", "Unit": "unit",
               "ChallengeUplift": "challenge_uplift", "CommissionMode": "commission_mode"}
#: Rows of the Budget's return block: (key) and the defined names of some.
RETURN_KEYS = ("revenue", "gross_profit", "commission_at_target", "sales_cost", "shared_cost", "roi",
               "cost_of_sales_ratio", "weighted_gross_margin", "break_even_revenue")
RETURN_LABELS = ("Revenue (total target)", "Gross profit", "Commissions at target", "Selling cost (all items)",
                 "Of which shared (items without a region)", "Return on the selling budget",
                 "Selling cost / revenue", "Weighted gross margin", "Break-even revenue")
RETURN_NAMES = {"Revenue": "revenue", "GrossProfit": "gross_profit", "CommissionAtTarget": "commission_at_target",
                "SalesCost": "sales_cost", "ROI": "roi", "CostOfSalesRatio": "cost_of_sales_ratio",
                "WeightedGrossMargin": "weighted_gross_margin", "BreakEvenRevenue": "break_even_revenue"}
#: The column of the inputs' check cells on Assumptions (beside the widest block).
INPUT_CHECK_COL = 9
#: Regions named on the Summary (the largest; the rest add up to "Other regions"), and KPIs.
SUMMARY_REGIONS, SUMMARY_KPIS = 8, 8
#: The blocks of check cells, as the Summary counts them: (label, Layout method key).
CHECK_BLOCKS = ("Targets: company", "Targets: regions", "Targets: products", "Targets: classes", "Targets: cells",
                "Quotas: base", "Quotas: challenge", "Quotas: regions", "Commission", "Budget items",
                "Budget regions", "Inputs", "KPI actuals")
SUMMARY_KEYS = ("company", "year", "total_target", "growth", "base_quotas", "challenge_quotas", "sales_cost",
                "gross_profit", "roi", "cost_of_sales_ratio", "break_even_revenue", "kpi_red", "kpi_amber",
                "kpi_green", "checks")
COVER_KEYS = ("company", "year", "currency", "version", "status", "template", "goal_1", "goal_2", "goal_3")

# ------------------------------------------------------------------ Excel's limits

_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_NAME_OK = re.compile(r"^[A-Za-z_\\][A-Za-z0-9_.\\]*$")
_A1 = re.compile(r"^([A-Za-z]{1,3})(\d+)$")
_R1C1 = re.compile(r"^[Rr](\d*)([Cc](\d*))?$|^[Cc]\d*$")
MAX_LIST_CHARS = 255
MAX_FORMULA_CHARS = 8192


def check_sheet_name(name: str) -> str:
    """Return ``name`` if Excel accepts it as a sheet name, else raise WorkbookError."""
    if not 1 <= len(name) <= 31 or _SHEET_BAD.search(name) or name.startswith("'") or name.endswith("'"):
        raise WorkbookError(f"sheet name {name!r}: 1-31 characters, none of []:*?/\\ and no leading/trailing quote")
    return name


def check_defined_name(name: str) -> str:
    """Return ``name`` if Excel accepts it as a defined name (not a cell reference), else raise."""
    a1 = _A1.match(name)
    looks_a1 = a1 is not None and _col_number(a1.group(1)) <= 16384 and int(a1.group(2)) <= 1_048_576
    if len(name) > 255 or not _NAME_OK.match(name) or looks_a1 or _R1C1.match(name):
        raise WorkbookError(f"defined name {name!r}: must be a valid Excel name and not a cell reference")
    return name


def check_list(values: tuple[str, ...]) -> str:
    """A data-validation list formula (``"a,b,c"``), refusing lists Excel would truncate."""
    text = ",".join(values)
    if len(text) > MAX_LIST_CHARS or any(("," in v) or ('"' in v) for v in values):
        raise WorkbookError(f"validation list {text[:40]!r}...: over {MAX_LIST_CHARS} characters or has , or \"")
    return f'"{text}"'


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


for _sheet in SHEETS:
    check_sheet_name(_sheet)


# =================================================================================================
# Sheets the ribbon macros add to a built workbook (aop_xl.xl.macros, aop_xl.workbook.reports).
# Owned by the macros; kept here so that this module stays the one place for sheet names and
# anchors. Everything above this banner belongs to the standard template.
# =================================================================================================

BOTTOM_UP, RECONCILE, STATEMENTS = "Bottom-up", "Reconcile", "Statements"
#: Sheets the macros create on demand; never part of the built template.
MACRO_SHEETS = (BOTTOM_UP, RECONCILE, STATEMENTS)
#: Every macro sheet: the title in A1, the stamp (plan, version, what the sheet is) in A2.
REPORT_TITLE_ROW, REPORT_STAMP_ROW = 1, 2


def bottom_up_table(rows: int) -> Table:
    """The Bottom-up input block: one row per region x product (plan order), the 12 fiscal months,
    a comment per line and, on a planning round's master, where the line came from.

    The same block is the input sheet of a regional workbook (one row per product of its
    region; :mod:`aop_xl.cycle`) and of the master, where the round collects the proposals.

    Args:
        rows: regions x products of the plan (a regional workbook: its products).

    Returns:
        The :class:`Table` (header row 5, first row 6); rows are recognised by their region
        and product names, not by position.
    """
    return Table(BOTTOM_UP, 6, max(rows, 1), _cols(1, "region", "product", *MONTHS, "comment", "source"),
                 "Bottom-up proposals (inputs): region x product x month")


#: Rows of the Reconcile sheet's summary block (key, label).
RECONCILE_KEYS = (("method", "Proposal method"), ("tolerance", "Tolerance (|gap %| accepted)"),
                  ("alpha", "Weight of top-down (blend)"), ("total_topdown", "Top-down total"),
                  ("total_bottomup", "Bottom-up total"), ("total_proposal", "Proposal total"),
                  ("flagged", "Rows outside tolerance"))
RECONCILE_SUMMARY = Table(RECONCILE, 5, len(RECONCILE_KEYS), _cols(1, "label", "value"), "Reconciliation")
RECONCILE_COLUMNS = ("level", "region", "product", "month", "topdown", "bottomup", "gap", "gap_pct", "flag",
                     "proposal")


def reconcile_table(rows: int) -> Table:
    """The Reconcile sheet's gaps table: every level (total, region, product, month, detail),
    with the proposal on the detail rows."""
    return Table(RECONCILE, RECONCILE_SUMMARY.last_row + 4, max(rows, 1), _cols(1, *RECONCILE_COLUMNS),
                 "Gaps at every level (gap = bottom-up - top-down)")


STATEMENT_COLUMNS = ("rep", "region", "sales", "base", "challenge", "attainment", "band", "commission",
                     "effective_rate")


def statement_summary(reps: int) -> Table:
    """The Statements sheet's table of all reps (its total line is right under it)."""
    return Table(STATEMENTS, 5, max(reps, 1), _cols(1, *STATEMENT_COLUMNS), "All reps")


@dataclass(frozen=True)
class StatementBlock:
    """One rep's statement block on the Statements sheet.

    Rows from ``first_row``: title (rep and region), headers, values (``VALUE_COLUMNS``), band
    headers, one row per band (``BAND_COLUMNS``), the commission line.
    """

    first_row: int
    bands: int

    VALUE_COLUMNS = ("sales", "base", "challenge", "attainment", "band", "commission", "marginal", "retroactive",
                     "effective_rate")
    BAND_COLUMNS = ("band", "floor", "rate", "amount")

    @property
    def header_row(self) -> int:
        return self.first_row + 1

    @property
    def value_row(self) -> int:
        return self.first_row + 2

    @property
    def band_header_row(self) -> int:
        return self.first_row + 3

    def band_row(self, k: int) -> int:
        """Row of band ``k`` (0-based)."""
        return self.first_row + 4 + k

    @property
    def total_row(self) -> int:
        return self.first_row + 4 + self.bands

    @staticmethod
    def col(key: str) -> int:
        """Column of a value (or band-table) key."""
        if key in StatementBlock.VALUE_COLUMNS:
            return 1 + StatementBlock.VALUE_COLUMNS.index(key)
        return 1 + StatementBlock.BAND_COLUMNS.index(key)


def statement_block(i: int, reps: int, bands: int) -> StatementBlock:
    """Rep ``i``'s block (0-based, plan order) below the summary table; blocks are
    ``bands + 7`` rows apart."""
    top = statement_summary(reps).last_row + 4
    return StatementBlock(top + i * (bands + 7), bands)


for _sheet in MACRO_SHEETS:
    check_sheet_name(_sheet)


# =================================================================================================
# The planning round (aop_xl.cycle): the identity a regional workbook carries on the meta sheet,
# under the template's own rows. Owned by the round; the Bottom-up block above is shared.
# =================================================================================================

#: Rows of the round identity (key in column A, value in column B), in this order.
ROUND_KEYS = ("round_id", "company", "year", "kind", "unit", "region", "issue", "topdown_hash", "mac")
#: The comment of a Bottom-up line: Excel's limit on a cell's text is far above what a person
#: writes; the round keeps the first this many characters.
BOTTOM_UP_COMMENT_CHARS = 2000


def round_identity_table(layout: Layout) -> Table:
    """The round identity block on the hidden meta sheet: two rows under the template's rows.

    Args:
        layout: the workbook's layout (the meta block's position).

    Returns:
        The :class:`Table` with columns ``key`` and ``value``, one row per :data:`ROUND_KEYS`.
    """
    meta = layout.meta
    return Table(META, meta.last_row + 3, len(ROUND_KEYS), dict(meta.columns), "Planning round")


# =================================================================================================
# The year in motion (aop_xl.cycle.inyear: aop-xl actuals, the KPI and statement macros): the
# Actuals sheet (inputs: the reps' changes during the year and the loaded deal lines) and the
# In-year sheet (formulas over them). Both are added to a built workbook by the first load and
# rebuilt by every load; the template's own sheets are read through the layout above.
# =================================================================================================

ACTUALS, IN_YEAR = "Actuals", "In-year"
#: Sheets a load of actuals adds, in this order after the Summary.
IN_YEAR_SHEETS = (ACTUALS, IN_YEAR)
#: The Actuals sheet's information cells (label in column A, value in column B), from row 5.
ACTUALS_INFO = (("lines", "Deal lines loaded"), ("decimals", "Decimal places of amounts"),
                ("loaded", "Last loaded from"))
#: Moves a rep may have in the workbook (a plan file may have more only as far as the year allows).
WORKBOOK_MOVES = 3
REP_CHANGE_COLUMNS = ("rep", "start", "end", "draw",
                      *[f"move{k}_{x}" for k in range(1, WORKBOOK_MOVES + 1) for x in ("month", "region")])
REP_CHANGE_HELPERS = ("first", "last", *[f"move{k}" for k in range(1, WORKBOOK_MOVES + 1)])
#: The deal lines as loaded (docs/actuals.md): one row per rep credited.
ACTUAL_COLUMNS = ("key", "source", "date", "fiscal_year", "period", "deal", "region", "product", "rep", "customer",
                  "type", "share", "amount", "order", "created", "complaint", "nps")
#: Rows of the In-year sheet's rules block (key, label).
IN_YEAR_RULES = (("complaint_ceiling", "Health: complaint rate scoring 0"), ("healthy", "Health: healthy from score"),
                 ("watch", "Health: watch from score"), ("payout_months", "Months in a payout period"))
#: Performance blocks (dimension, title) and their columns.
IN_YEAR_DIMENSIONS = (("region", "Regions"), ("team", "Teams (the reps of a region, month by month)"),
                      ("product", "Products"), ("rep", "Reps"))
PERFORMANCE_COLUMNS = ("member", "month_actual", "month_target", "qtd_actual", "qtd_target", "ytd_actual",
                       "ytd_target", "variance", "share", "attainment", "lag", "status", "py_ytd", "growth")
STATEMENT_YTD_COLUMNS = ("rep", "region", "period", "closed", "ytd_sales", "ytd_quota", "base", "challenge",
                         "attainment", "ytd_attainment", "band", "marginal", "retroactive", "ytd_commission",
                         "guarantee", "paid_to_date", "paid_before", "payment", "draw_balance")
KPI_YTD_COLUMNS = ("metric", "key", "name", "kind", "direction", "target", "ytd_target", "actual", "variance", "lag",
                   "status")
CUSTOMER_COLUMNS = ("customer", "py_revenue", "trailing", "ytd_revenue", "orders", "gross", "order_value",
                    "frequency", "value_ratio", "flagged", "complaints", "complaint_rate", "nps_count", "nps",
                    "score", "tier", "action")
#: Grids of the In-year sheet with one row per rep and a column per fiscal month (and the year).
REP_GRIDS = (("region", "Region, month by month"), ("base", "In-year base quota"),
             ("challenge", "In-year challenge quota"), ("sales", "Sales credited"),
             ("ytd_sales", "Sales, year to date"), ("ytd_commission", "Commission earned, year to date"),
             ("guarantee", "Draw guaranteed, year to date"), ("due", "Due to date (commission, or the draw)"),
             ("paid", "Paid by the end of each payout (the payment made, else what was due)"),
             ("payment", "Payment at each payout (negative: clawback)"))
MOVERS = 5


class InYearLayout:
    """Every block of the Actuals and In-year sheets for one plan and one load.

    Args:
        reps, regions, products, kpis, tiers: the plan's counts.
        lines: deal lines loaded.
        customers: customers in the deal lines.
        catalogue: metrics of the KPI catalogue; aliases: other names of them.

    Attributes are :class:`Table` objects (``rep_changes``, ``lines``, ``grids[key]``, ...).
    """

    def __init__(self, reps: int, regions: int, products: int, kpis: int, tiers: int, lines: int, customers: int,
                 catalogue: int, aliases: int):
        n = max(reps, 1)
        self.info = Table(ACTUALS, 5, len(ACTUALS_INFO), _cols(1, "label", "value"), "Load")
        top = self.info.last_row + 4
        self.rep_changes = Table(ACTUALS, top, n, {**_cols(1, *REP_CHANGE_COLUMNS),
                                                   **_cols(len(REP_CHANGE_COLUMNS) + 2, *REP_CHANGE_HELPERS)},
                                 "Reps in the year (inputs: months as YYYY-MM)")
        self.payments = Table(ACTUALS, self.rep_changes.last_row + 4, n, {"rep": 1, **_cols(2, *MONTHS)},
                              "Payments made (recorded by aop-xl statements, in the last month of each period)")
        self.lines = Table(ACTUALS, self.payments.last_row + 4, max(lines, 1), _cols(1, *ACTUAL_COLUMNS),
                           "Deal lines (inputs, as loaded)")
        self.line_count = lines
        y = IN_YEAR
        self.header = Table(y, 6, 2, {"label": 1, **_cols(3, *MONTHS), "year": 15}, "Fiscal months")
        self.rules = Table(y, 6, len(IN_YEAR_RULES), _cols(17, "label", "value"), "Rules")
        top = max(self.header.last_row, self.rules.last_row) + 4
        self.grids: dict[str, Table] = {}
        for key, title in REP_GRIDS:
            self.grids[key] = Table(y, top, n, {"rep": 1, **_cols(3, *MONTHS), "year": 15}, title)
            top += n + 4
        self.floors = Table(y, top, n, {"rep": 1, **{f"floor_{k + 1}": 3 + k for k in range(tiers + 1)}},
                            "Tier floors on the in-year quotas")
        top += n + 4
        self.statement = Table(y, top, n, _cols(1, *STATEMENT_YTD_COLUMNS), "Commission statement as of")
        top += n + 4
        self.performance: dict[str, Table] = {}
        sizes = {"region": regions, "team": regions, "product": products, "rep": n}
        for key, title in IN_YEAR_DIMENSIONS:
            cols = {**_cols(1, *PERFORMANCE_COLUMNS), **{f"a_{m}": 17 + i for i, m in enumerate(MONTHS)},
                    **{f"t_{m}": 29 + i for i, m in enumerate(MONTHS)}, **{f"p_{m}": 41 + i for i, m in enumerate(MONTHS)},
                    "abs": 54, "rank": 55}
            self.performance[key] = Table(y, top, max(sizes[key], 1), cols, f"Actual vs target: {title}")
            top += max(sizes[key], 1) + 5
        self.movers = Table(y, top, MOVERS, _cols(1, "rank", "dimension", "member", "variance"), "Largest movers")
        top += MOVERS + 4
        self.catalogue = Table(y, top, catalogue, _cols(1, "name", "kind", "direction", "value"),
                               "KPIs from the deals, year to date")
        self.aliases = Table(y, top, max(aliases, 1), _cols(7, "alias", "name"), "Other names")
        top += max(catalogue, aliases) + 4
        self.kpis = Table(y, top, max(kpis, 1), _cols(1, *KPI_YTD_COLUMNS), "The plan's KPIs, year to date")
        top += max(kpis, 1) + 4
        self.customers = Table(y, top, max(customers, 1), _cols(1, *CUSTOMER_COLUMNS), "Customer health")
        self.customer_count = customers

    def info_cell(self, key: str) -> str:
        """Qualified address of an Actuals information cell."""
        return self.info.ref("value", [k for k, _ in ACTUALS_INFO].index(key))

    def rule(self, key: str) -> str:
        """Qualified address of an In-year rule cell."""
        return self.rules.ref("value", [k for k, _ in IN_YEAR_RULES].index(key))


def in_year_movers(reps: int, regions: int, products: int) -> Table:
    """The In-year sheet's largest movers table of a plan with these members (the blocks above
    it are sized by them alone).

    Examples:
        >>> in_year_movers(12, 6, 8).ref("member", 0)
        "'In-year'!$C$257"
    """
    return InYearLayout(reps, regions, products, 1, 1, 0, 0, 0, 0).movers


#: The columns of the Summary's largest movers block, in order.
SUMMARY_MOVER_COLUMNS = ("rank", "member", "dimension", "variance")


def summary_movers(layout: Layout) -> Table:
    """The Summary's largest movers block, in a workbook with an In-year sheet only: rank, member,
    what it is (region, team, product) and variance, each a reference to the In-year sheet's
    movers table. It sits in columns A:D under the KPI status and the SMART goals (one empty row
    between), and the Summary's printed page is extended to hold it
    (:func:`summary_print_rows`). A workbook without actuals has no block there.
    """
    top = max(layout.summary_kpis.last_row, layout.summary_goals.last_row) + 4
    return Table(SUMMARY, top, MOVERS, _cols(1, *SUMMARY_MOVER_COLUMNS),
                 "Largest movers (actual vs target, year to date)")


def summary_print_rows(layout: Layout, movers: bool = False) -> int:
    """The last row of the Summary's print area: four rows under the SMART goals, or, with the
    largest movers block (a workbook with actuals), the row under it."""
    if movers:
        return summary_movers(layout).last_row + 1
    return layout.summary_goals.last_row + 4


for _sheet in IN_YEAR_SHEETS:
    check_sheet_name(_sheet)
