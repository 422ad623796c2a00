"""The plan model: one fiscal year of sales targets, checked where it enters.

A plan is read from TOML (or JSON) with :func:`load_plan`, or built from a mapping with
:func:`plan_from_dict`. Every problem is reported at once, one message per problem, naming the
field and the value (``regions[2].weight: must be >= 0, got -5``). Nothing downstream
re-checks what is validated here. The format is documented in ``docs/plan-format.md``.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import math
import re
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from aop_xl.errors import PlanError
from aop_xl.limits import (
    EXCEL_CELL_CHARS,
    PLAN_DEPTH,
    PLAN_FILE_BYTES,
    PLAN_MEMBERS,
    member_limit_problems,
    plan_limit_problems,
)
from aop_xl.plan_checks import (
    MEMBER_BLOCKS,
    data_path,
    describe,
    field_problems,
    location,
    one_line,
    plan_problems,
    shown,
    text_problem,
)
from aop_xl.units import from_units, growth_target, to_units


Market = Literal["core", "growth", "new"]
Bcg = Literal["star", "cash_cow", "question_mark", "dog"]

#: Growth rates used when a member gives prior-year revenue but no growth of its own.
#: Illustrative defaults (domain.md section 2); a plan overrides them in ``[growth_defaults]``.
DEFAULT_MARKET_GROWTH = {"core": 0.05, "growth": 0.20, "new": 0.0}
DEFAULT_BCG_GROWTH = {"star": 0.25, "cash_cow": 0.03, "question_mark": 0.15, "dog": -0.10}

BUDGET_CATEGORIES = (
    "salaries",
    "commissions",
    "subscriptions",
    "prospect_lists",
    "travel",
    "promotions",
    "training",
    "other",
)


def _check_text(value: str) -> str:
    problem = text_problem(value)
    if problem is not None:
        raise ValueError(problem)
    if len(value) > EXCEL_CELL_CHARS:
        raise ValueError(f"must be at most {EXCEL_CELL_CHARS} characters, got {len(value)}")
    return value


def _check_name(value: str) -> str:
    value = _check_text(value)
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _whole_float(value: Any) -> Any:
    # A whole number written as 2027.0 (as some JSON writers do) is still a whole number.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


#: An integer field: a whole number, also when written with ".0"; never text or a boolean.
Whole = Annotated[int, BeforeValidator(_whole_float)]


class _Model(BaseModel):
    # A plan file is typed data: text is never read as a number ("40"), a boolean never as a
    # number (true) nor a number as a boolean (1); integers are fine for decimal fields.
    # NaN and infinite numbers are refused everywhere.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class Header(_Model):
    """The ``[plan]`` table: who, when, in what currency, rounded to what unit."""

    company: str
    year: Whole = Field(ge=1900, le=9999)
    currency: str = "USD"
    unit: float = Field(default=0.01, gt=0)
    total_target: float | None = None
    prior_year_revenue: float | None = Field(default=None, ge=0)
    growth: float | None = Field(default=None, gt=-1)
    challenge_uplift: float = Field(default=0.20, ge=0)
    fiscal_year_start: Whole = Field(default=1, ge=1, le=12)
    version: str = "1"
    status: Literal["draft", "submitted", "approved"] = "draft"
    allow_negative: bool = False
    goals: list[str] = Field(default_factory=list, max_length=3)
    display: Literal["units", "thousands", "millions"] = "units"
    as_of: Whole | None = Field(default=None, ge=1, le=12)

    _names = field_validator("company", "currency", "version")(_check_name)

    @field_validator("goals")
    @classmethod
    def _goal_text(cls, goals: list[str]) -> list[str]:
        return [_check_name(g) for g in goals]

    def period_of(self, year: int, month: int) -> int:
        """The fiscal period (1..12) of a calendar month; below 1 before the fiscal year, above
        12 after it. Fiscal year ``year`` begins in month ``fiscal_year_start`` of calendar year
        ``year`` (docs/plan-format.md).

        Examples:
            >>> h = Header(company="X", year=2027, fiscal_year_start=4)
            >>> h.period_of(2027, 4), h.period_of(2028, 3), h.period_of(2027, 3)
            (1, 12, 0)
        """
        return (year * 12 + month - 1) - (self.year * 12 + self.fiscal_year_start - 1) + 1

    def month_period(self, month: str) -> int:
        """:meth:`period_of` of a ``"YYYY-MM"`` month."""
        y, m = month.split("-")
        return self.period_of(int(y), int(m))

    def period_month(self, period: int) -> str:
        """The calendar month (``"YYYY-MM"``) of fiscal period ``period`` (any integer).

        Examples:
            >>> Header(company="X", year=2027, fiscal_year_start=4).period_month(10)
            '2028-01'
        """
        n = self.year * 12 + self.fiscal_year_start - 1 + period - 1
        return f"{n // 12:04d}-{n % 12 + 1:02d}"


class Seasonality(_Model):
    """Relative weights per quarter (4) or per month (12) of the fiscal year."""

    quarters: list[float] | None = Field(default=None, min_length=4, max_length=4)
    months: list[float] | None = Field(default=None, min_length=12, max_length=12)

    @model_validator(mode="after")
    def _one_of(self) -> "Seasonality":
        if (self.quarters is None) == (self.months is None):
            raise ValueError("give exactly one of quarters (4 weights) or months (12 weights)")
        return self

    @field_validator("quarters", "months")
    @classmethod
    def _weights(cls, weights: list[float] | None) -> list[float] | None:
        if weights is not None:
            for w in weights:
                if w < 0:
                    raise ValueError(f"weights must be >= 0, got {w:g}")
            if not any(weights):
                raise ValueError("weights are all zero")
        return weights

    def month_weights(self) -> list[float]:
        """The 12 monthly weights (a quarter's weight applies to each of its months)."""
        if self.months is not None:
            return list(self.months)
        return [w for w in self.quarters for _ in range(3)]


class Region(_Model):
    """A sales region: market type and its claim on the company target."""

    name: str
    market: Market
    weight: float | None = Field(default=None, ge=0)
    prior_year_revenue: float | None = Field(default=None, ge=0)
    growth: float | None = Field(default=None, gt=-1)
    target: float | None = None
    product_mix: dict[str, float] | None = None

    _names = field_validator("name")(_check_name)

    @field_validator("product_mix")
    @classmethod
    def _mix(cls, mix: dict[str, float] | None) -> dict[str, float] | None:
        if mix is not None:
            for product, w in mix.items():
                if w < 0:
                    raise ValueError(f"{shown(product)}: must be >= 0, got {w:g}")
        return mix


class Product(_Model):
    """A product line with its BCG class and gross margin."""

    name: str
    bcg: Bcg
    weight: float | None = Field(default=None, ge=0)
    prior_year_revenue: float | None = Field(default=None, ge=0)
    growth: float | None = Field(default=None, gt=-1)
    gross_margin: float = Field(ge=-1, le=1)

    _names = field_validator("name")(_check_name)


_MONTH_TEXT = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")


def _month(value: Any) -> Any:
    # A calendar month, kept as "YYYY-MM": a TOML date (2027-04-01) or the text "2027-04" or
    # "2027-04-15" (JSON has no dates). Quotas are monthly, so a date stands for its month.
    expected = 'must be a month such as "2027-04" (or a date such as 2027-04-01)'
    if isinstance(value, _dt.datetime) or isinstance(value, _dt.time):
        raise ValueError(f"{expected}, got {describe(value)}")
    if isinstance(value, _dt.date):
        return f"{value.year:04d}-{value.month:02d}"
    if not isinstance(value, str):
        raise ValueError(f"{expected}, got {describe(value)}")
    m = _MONTH_TEXT.match(value)
    if m is None:
        raise ValueError(f"{expected}, got {shown(value)}")
    year, month, day = int(m.group(1)), int(m.group(2)), m.group(3)
    try:
        _dt.date(year, month, int(day) if day else 1)
    except ValueError:
        raise ValueError(f"{expected}, got {shown(value)} (no such {'date' if day else 'month'})") from None
    return f"{year:04d}-{month:02d}"


#: A calendar month of an in-year change ("2027-04"); see :func:`_month`.
Month = Annotated[str, BeforeValidator(_month)]


class Move(_Model):
    """A rep's move to another region, from the first day of ``month``."""

    month: Month
    region: str

    _names = field_validator("region")(_check_name)


class Rep(_Model):
    """A sales rep (or team) and its relative share of its region's target.

    In-year changes (docs/engine.md, "The year in motion"): ``start`` and ``end`` are the first
    and last months the rep covers (default: the whole year); ``moves`` change its region from
    a month on; ``draw`` is a guaranteed minimum commission per month covered, advanced and
    recovered from later commission.
    """

    name: str
    region: str
    share: float = Field(default=1.0, ge=0)
    start: Month | None = None
    end: Month | None = None
    moves: list[Move] = Field(default_factory=list, max_length=11)
    draw: float | None = Field(default=None, ge=0)

    _names = field_validator("name", "region")(_check_name)


class Tier(_Model):
    """A commission band: from ``floor`` upwards, ``rate`` applies."""

    floor: float | Literal["base", "challenge"]
    rate: float = Field(ge=0, le=1)


DEFAULT_TIERS = (
    Tier(floor=0, rate=0.01),
    Tier(floor="base", rate=0.015),
    Tier(floor="challenge", rate=0.02),
)


class CommissionPlan(_Model):
    """The commission schedule (domain.md section 4).

    Numeric floors are fractions of the base quota (``1.0`` is the base quota) unless
    ``floor_basis = "absolute"``, where they are amounts in the plan currency.
    """

    mode: Literal["marginal", "retroactive"] = "marginal"
    tiers: list[Tier] = Field(default_factory=lambda: list(DEFAULT_TIERS), min_length=1)
    floor_basis: Literal["quota", "absolute"] = "quota"
    cap: float | None = Field(default=None, ge=0)
    min_attainment: float = Field(default=0.0, ge=0)
    payout: Literal["monthly", "quarterly", "annual"] = "quarterly"


class BudgetItem(_Model):
    """One line of the cost of selling."""

    item: str
    category: Literal[
        "salaries",
        "commissions",
        "subscriptions",
        "prospect_lists",
        "travel",
        "promotions",
        "training",
        "other",
    ]
    kind: Literal["one_time", "recurring"]
    amount: float = Field(ge=0)
    months: Whole | None = Field(default=None, ge=1, le=12)
    start_month: Whole = Field(default=1, ge=1, le=12)
    region: str | None = None

    _names = field_validator("item")(_check_name)

    @model_validator(mode="after")
    def _months(self) -> "BudgetItem":
        if self.kind == "one_time" and self.months not in (None, 1):
            raise ValueError("months: only recurring items run for several months")
        if self.kind == "recurring" and self.months is not None and self.start_month + self.months - 1 > 12:
            raise ValueError(
                f"months: start_month {self.start_month} + {self.months} months runs past the fiscal year"
            )
        return self

    @property
    def months_active(self) -> int:
        """Months the item is paid: recurring items default to the whole year."""
        if self.kind == "one_time":
            return 1
        return self.months if self.months is not None else 13 - self.start_month

    @property
    def cost(self) -> float:
        """The item's cost for the year."""
        return self.amount * self.months_active


class Kpi(_Model):
    """A KPI target; ``actual`` may be filled in during the year."""

    metric: str
    target: float
    direction: Literal["higher", "lower"] = "higher"
    actual: float | None = None
    unit: Literal["currency", "percent", "number", "days"] = "number"

    _names = field_validator("metric")(_check_name)


class StatusThresholds(_Model):
    """Red/amber thresholds on the lag (domain.md section 6)."""

    red: float = Field(default=0.30, ge=0)
    amber: float = Field(default=0.10, ge=0)

    @model_validator(mode="after")
    def _order(self) -> "StatusThresholds":
        if self.amber > self.red:
            raise ValueError(f"amber ({self.amber:g}) must not exceed red ({self.red:g})")
        return self


class GrowthDefaults(_Model):
    """Growth by market type and BCG class, used with prior-year revenue."""

    market: dict[Market, float] = Field(default_factory=lambda: dict(DEFAULT_MARKET_GROWTH))
    bcg: dict[Bcg, float] = Field(default_factory=lambda: dict(DEFAULT_BCG_GROWTH))


class Plan(_Model):
    """One fiscal year of sales targets for one company, validated."""

    plan: Header
    seasonality: Seasonality = Field(default_factory=lambda: Seasonality(quarters=[1, 1, 1, 1]))
    regions: list[Region] = Field(min_length=1)
    products: list[Product] = Field(min_length=1)
    reps: list[Rep] = Field(default_factory=list)
    commission: CommissionPlan = Field(default_factory=CommissionPlan)
    budget: list[BudgetItem] = Field(default_factory=list)
    kpis: list[Kpi] = Field(default_factory=list)
    status: StatusThresholds = Field(default_factory=StatusThresholds)
    growth_defaults: GrowthDefaults = Field(default_factory=GrowthDefaults)

    # Cross-field checks that need the whole plan live in _plan_problems below, so that
    # they can all be reported together.

    @property
    def region_names(self) -> list[str]:
        return [r.name for r in self.regions]

    @property
    def product_names(self) -> list[str]:
        return [p.name for p in self.products]

    @property
    def rep_names(self) -> list[str]:
        return [r.name for r in self.reps]

    def region_weights(self) -> list[float]:
        """Relative weight of each region: ``weight``, else prior-year revenue x (1 + growth)."""
        g = self.growth_defaults.market
        return [_member_weight(r, g[r.market]) for r in self.regions]

    def product_weights(self) -> list[float]:
        """Relative weight of each product: ``weight``, else prior-year revenue x (1 + growth)."""
        g = self.growth_defaults.bcg
        return [_member_weight(p, g[p.bcg]) for p in self.products]

    def product_mix(self, region: Region) -> list[float]:
        """The region's product weights: its own mix, defaulting to the global weights."""
        if region.product_mix is None:
            return self.product_weights()
        return [region.product_mix.get(p.name, 0.0) for p in self.products]

    def region_locks(self) -> dict[int, float]:
        """Regions whose target is fixed, by position."""
        return {i: r.target for i, r in enumerate(self.regions) if r.target is not None}

    def total_target(self) -> float:
        """The company target: given, or prior-year revenue x (1 + growth), rounded to the unit.

        Without either, the sum of the regions' fixed and growth-based targets. A growth target
        is the prior-year revenue in whole units of the plan x (1 + growth), rounded exactly
        to the unit, halves away from zero (docs/engine.md).
        """
        h = self.plan
        if h.total_target is not None:
            return h.total_target
        if h.prior_year_revenue is not None:
            return from_units(_grown(h.prior_year_revenue, h.growth or 0.0, h.unit, "plan.prior_year_revenue"), h.unit)
        g = self.growth_defaults.market
        total = 0
        for i, r in enumerate(self.regions):
            if r.target is not None:
                total += _whole(r.target, h.unit, f"regions[{i}].target")
            else:
                total += _grown(r.prior_year_revenue, _growth(r, g[r.market]), h.unit,
                                f"regions[{i}].prior_year_revenue")
        return from_units(total, h.unit)

    def reps_of(self, region: str) -> list[int]:
        """Positions of the reps of a region, in plan order."""
        return [i for i, r in enumerate(self.reps) if r.region == region]


def _whole(amount: float, unit: float, field: str) -> int:
    # An amount in whole units (halves away from zero), naming the plan field in any problem.
    if not math.isfinite(amount / unit):
        raise PlanError(f"{field}: {describe(amount)} is too large")
    return int(to_units(amount, unit, field=field, round_half=True))


def _grown(prior_year_revenue: float, growth: float, unit: float, field: str) -> int:
    # A growth target in whole units (exact; see units.growth_target).
    if not math.isfinite(prior_year_revenue / unit):
        raise PlanError(f"{field}: {describe(prior_year_revenue)} is too large")
    return growth_target(prior_year_revenue, growth, unit, field)


def _growth(member: Region | Product, default: float) -> float:
    return member.growth if member.growth is not None else default


def _member_weight(member: Region | Product, default_growth: float) -> float:
    if member.weight is not None:
        return member.weight
    if member.prior_year_revenue is not None:
        return member.prior_year_revenue * (1 + _growth(member, default_growth))
    return 0.0


def plan_from_dict(data: dict[str, Any]) -> Plan:
    """Validate a plan given as a mapping (the parsed TOML/JSON document).

    Every problem is reported at once: each field's own problems, and the cross-field
    problems of :mod:`aop_xl.plan_checks` among the fields that passed their own checks. A
    plan beyond the limits of :mod:`aop_xl.limits` is refused before anything else.

    Args:
        data: the plan document.

    Returns:
        The validated :class:`Plan`.

    Raises:
        PlanError: with one message per problem.
    """
    if not isinstance(data, Mapping):
        raise PlanError(f"plan: expected a table of keys, got {type(data).__name__}")
    over = plan_limit_problems(data)
    if over:
        raise PlanError(over)
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        problems, invalid = field_problems(errors, data)
        problems += plan_problems(_partial_plan(data, errors), invalid)
        raise PlanError(problems) from None
    problems = plan_problems(plan)
    if problems:
        raise PlanError(problems)
    return plan


@functools.cache
def _field_adapter(model: type[BaseModel], name: str) -> TypeAdapter:
    info = model.model_fields[name]
    annotation = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
    return TypeAdapter(annotation, config=ConfigDict(strict=True, allow_inf_nan=False))


def _partial(model: type[_Model], raw: Any, paths: list[tuple[str | int, ...]]) -> _Model:
    # The member or section with only the fields that had no problem (already validated, so
    # model_construct only converts them); a field left out is absent or at its default.
    if not isinstance(raw, Mapping) or () in paths:
        return model.model_construct()
    bad = {p[0] for p in paths}
    values = {
        name: _field_adapter(model, name).validate_python(raw[name])
        for name in model.model_fields
        if name in raw and name not in bad
    }
    return model.model_construct(**values)


def _partial_plan(data: Mapping[str, Any], errors: list[Any]) -> Plan:
    """The plan made of the fields that passed their own checks, for the cross-field checks
    that read only those."""
    paths = [data_path(data, tuple(e["loc"]), e["type"]) for e in errors]

    def under(prefix: tuple[str | int, ...]) -> list[tuple[str | int, ...]]:
        n = len(prefix)
        return [p[n:] for p in paths if p[:n] == prefix]

    values: dict[str, Any] = {}
    for key, info in Plan.model_fields.items():
        if key not in data:
            continue
        model = info.annotation.__args__[0] if key in MEMBER_BLOCKS else info.annotation
        raw = data[key]
        if key in MEMBER_BLOCKS:
            members = raw if isinstance(raw, list) and () not in under((key,)) else []
            values[key] = [_partial(model, m, under((key, i))) for i, m in enumerate(members)]
        else:
            values[key] = _partial(model, raw, under((key,)))
    return Plan.model_construct(**values)


def _duplicate_keys(text: str) -> tuple[Any, list[str]]:
    # json.loads keeps the last of two equal keys; a plan file is refused instead, naming the
    # key and where it is.
    repeated: dict[int, list[str]] = {}

    def table(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                repeated.setdefault(id(out), []).append(key)
            out[key] = value
        return out

    data = json.loads(text, object_pairs_hook=table)
    problems = []
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), data)]
    while stack and repeated:
        path, node = stack.pop()
        if isinstance(node, dict):
            keys = dict.fromkeys(repeated.get(id(node), []))
            problems += [f"{location((*path, key))}: key given twice" for key in keys]
            stack.extend(((*path, k), v) for k, v in reversed(node.items()))
        elif isinstance(node, list):
            stack.extend(((*path, i), v) for i, v in reversed(list(enumerate(node))))
    return data, problems


def _depth(data: Any) -> int:
    deepest, stack = 0, [(data, 0)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth <= PLAN_DEPTH:
            children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
            stack.extend((child, depth + 1) for child in children)
    return deepest


# tomllib's message for a key or table given twice, and where.
_TOML_TWICE = re.compile(r"^(Cannot overwrite a value|Cannot declare \((.*)\) twice|Duplicate inline table key '(.*)') "
                         r"\(at line (\d+), column (\d+)\)$")
_TOML_KEY = re.compile(r"^\s*([^=\s][^=]*?)\s*=")
# Array-of-tables headers ([[reps]]), counted before the parse so that a plan far beyond the
# limits is refused before it is read.
_TOML_MEMBERS = re.compile(r"^[ \t]*\[\[[ \t]*\"?(" + "|".join(PLAN_MEMBERS) + r")\"?[ \t]*\]\]", re.MULTILINE)


def _toml_message(exc: tomllib.TOMLDecodeError, text: str) -> str:
    m = _TOML_TWICE.match(str(exc))
    if not m:
        return f"not valid TOML ({one_line(str(exc))})"
    line = int(m.group(4))
    if m.group(2) is not None:
        table = ".".join(part.strip().strip("'") for part in m.group(2).split(",") if part.strip())
        return f"line {line}: table [{one_line(table)}] is declared twice"
    key = m.group(3)
    if key is None:
        lines = text.splitlines()
        found = _TOML_KEY.match(lines[line - 1]) if 0 < line <= len(lines) else None
        key = found.group(1) if found else None
    return f"line {line}: key {shown(key)} given twice" if key else f"line {line}: a key is given twice"


def _parse(text: str, json_file: bool) -> tuple[Any, list[str]]:
    """The plan document of a file's text, and its duplicate keys; PlanError when unreadable."""
    try:
        return _parse_text(text, json_file)
    except RecursionError:
        raise PlanError(f"nested more than {PLAN_DEPTH} levels deep; a plan has at most 4") from None
    except ValueError as exc:
        # Python refuses to read an integer of more than 4,300 digits.
        if isinstance(exc, PlanError) or "digits" not in str(exc):
            raise
        raise PlanError("a number has more than 4,300 digits") from None


def _parse_text(text: str, json_file: bool) -> tuple[Any, list[str]]:
    if json_file:
        try:
            data, problems = _duplicate_keys(text)
        except json.JSONDecodeError as exc:
            raise PlanError(f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    else:
        counts: dict[str, int] = {}
        for m in _TOML_MEMBERS.finditer(text):
            counts[m.group(1)] = counts.get(m.group(1), 0) + 1
        over = member_limit_problems(counts)
        if over:
            raise PlanError(over)
        try:
            data, problems = tomllib.loads(text), []
        except tomllib.TOMLDecodeError as exc:
            raise PlanError(_toml_message(exc, text)) from None
    if _depth(data) > PLAN_DEPTH:
        raise PlanError(f"nested more than {PLAN_DEPTH} levels deep; a plan has at most 4")
    return data, problems


def _read_plan_file(path: Path) -> str:
    try:
        with open(path, "rb") as fh:
            raw = fh.read(PLAN_FILE_BYTES + 1)
    except FileNotFoundError:
        raise PlanError("no such plan file") from None
    except IsADirectoryError:
        raise PlanError("is a folder, not a plan file") from None
    except OSError as exc:
        raise PlanError(f"cannot read ({one_line(exc.strerror or str(exc))})") from None
    if len(raw) > PLAN_FILE_BYTES:
        mb, rest = divmod(PLAN_FILE_BYTES, 1024 * 1024)
        limit = f"{PLAN_FILE_BYTES:,} bytes" if rest else f"{mb} MB"
        raise PlanError(f"larger than {limit}, the largest plan file")
    try:
        return raw.decode("utf-8-sig")  # a byte order mark (Windows Notepad) is allowed
    except UnicodeDecodeError as exc:
        raise PlanError(f"not UTF-8 text (byte {exc.start + 1})") from None


def load_plan(path: str | Path | None = None) -> Plan:
    """Read and validate a plan file (TOML, or JSON by its ``.json`` suffix).

    Args:
        path: the plan file; ``None`` reads the embedded sample plan.

    Returns:
        The validated :class:`Plan`.

    Raises:
        PlanError: one message per problem, each starting with the file's name.

    Examples:
        >>> plan = load_plan()
        >>> plan.plan.company
        'Northwind Trading'
    """
    if path is None:
        name = "sample_plan.toml"
    else:
        path = Path(path)
        name = str(path)
        name = name if one_line(name) == name else shown(name)
    try:
        if path is None:
            text = resources.files("aop_xl").joinpath("data/sample_plan.toml").read_text(encoding="utf-8")
        else:
            text = _read_plan_file(path)
        data, problems = _parse(text, path is not None and path.suffix.lower() == ".json")
        try:
            plan = plan_from_dict(data)
        except PlanError as exc:
            problems += exc.problems
    except PlanError as exc:
        problems = exc.problems
    if problems:
        raise PlanError([f"{name}: {p}" for p in problems])
    return plan
