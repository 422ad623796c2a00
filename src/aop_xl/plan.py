"""The plan model: one fiscal year of sales targets, checked where it enters.

A plan is read from TOML (or JSON) with :func:`load_plan`, or built from a mapping with
:func:`plan_from_dict`. Every problem is reported at once, one message per problem, naming the
field and the value (``regions[2].weight: must be >= 0, got -5``). Nothing downstream
re-checks what is validated here. The format is documented in ``docs/plan-format.md``.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from aop_xl.errors import PlanError
from aop_xl.plan_checks import field_message, plan_problems
from aop_xl.units import round_to_unit


Market = Literal["core", "growth", "new"]
Bcg = Literal["star", "cash_cow", "question_mark", "dog"]

#: Growth rates used when a member gives prior-year revenue but no growth of its own.
#: Illustrative defaults (domain.md section 2); a plan overrides them in ``[growth_defaults]``.
DEFAULT_MARKET_GROWTH = {"core": 0.05, "growth": 0.20, "new": 0.0}
DEFAULT_BCG_GROWTH = {"star": 0.25, "cash_cow": 0.03, "question_mark": 0.15, "dog": -0.10}

#: Excel's limit on the characters of one cell.
EXCEL_CELL_CHARS = 32_767
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

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
    if _CONTROL_CHARS.search(value):
        raise ValueError("must not contain control characters")
    if len(value) > EXCEL_CELL_CHARS:
        raise ValueError(f"must be at most {EXCEL_CELL_CHARS} characters, got {len(value)}")
    return value


def _check_name(value: str) -> str:
    value = _check_text(value)
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _check_number(value: float | None) -> float | None:
    if value is not None and not math.isfinite(value):
        raise ValueError(f"must be a finite number, got {value}")
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)

    @field_validator("*", mode="after")
    @classmethod
    def _finite(cls, value: Any) -> Any:
        if isinstance(value, float):
            _check_number(value)
        return value


class Header(_Model):
    """The ``[plan]`` table: who, when, in what currency, rounded to what unit."""

    company: str
    year: int = Field(ge=1900, le=9999)
    currency: str = "USD"
    unit: float = Field(default=0.01, gt=0)
    total_target: float | None = None
    prior_year_revenue: float | None = Field(default=None, ge=0)
    growth: float | None = Field(default=None, gt=-1)
    challenge_uplift: float = Field(default=0.20, ge=0)
    fiscal_year_start: int = Field(default=1, ge=1, le=12)
    version: str = "1"
    status: Literal["draft", "submitted", "approved"] = "draft"
    allow_negative: bool = False
    goals: list[str] = Field(default_factory=list, max_length=3)

    _names = field_validator("company", "currency", "version")(_check_name)

    @field_validator("goals")
    @classmethod
    def _goal_text(cls, goals: list[str]) -> list[str]:
        return [_check_name(g) for g in goals]


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
                _check_number(w)
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
                _check_number(w)
                if w < 0:
                    raise ValueError(f"{product}: must be >= 0, got {w:g}")
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


class Rep(_Model):
    """A sales rep (or team) and its relative share of its region's target."""

    name: str
    region: str
    share: float = Field(default=1.0, ge=0)

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
    months: int | None = Field(default=None, ge=1, le=12)
    start_month: int = Field(default=1, ge=1, le=12)
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

        Without either, the sum of the regions' fixed and growth-based targets.
        """
        h = self.plan
        if h.total_target is not None:
            return h.total_target
        if h.prior_year_revenue is not None:
            return round_to_unit(h.prior_year_revenue * (1 + (h.growth or 0.0)), h.unit)
        g = self.growth_defaults.market
        total = 0.0
        for r in self.regions:
            if r.target is not None:
                total += r.target
            else:
                total += round_to_unit(r.prior_year_revenue * (1 + _growth(r, g[r.market])), h.unit)
        return round_to_unit(total, h.unit)

    def reps_of(self, region: str) -> list[int]:
        """Positions of the reps of a region, in plan order."""
        return [i for i, r in enumerate(self.reps) if r.region == region]


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

    Args:
        data: the plan document.

    Returns:
        The validated :class:`Plan`.

    Raises:
        PlanError: with one message per problem.
    """
    if not isinstance(data, dict):
        raise PlanError(f"plan: expected a table of keys, got {type(data).__name__}")
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        raise PlanError([field_message(e) for e in exc.errors()]) from None
    problems = plan_problems(plan)
    if problems:
        raise PlanError(problems)
    return plan


def load_plan(path: str | Path | None = None) -> Plan:
    """Read and validate a plan file (TOML, or JSON by its ``.json`` suffix).

    Args:
        path: the plan file; ``None`` reads the embedded sample plan.

    Returns:
        The validated :class:`Plan`.

    Examples:
        >>> plan = load_plan()
        >>> plan.plan.company
        'Northwind Trading'
    """
    if path is None:
        text = resources.files("aop_xl").joinpath("data/sample_plan.toml").read_text(encoding="utf-8")
        name = "sample_plan.toml"
    else:
        path = Path(path)
        name = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise PlanError(f"{name}: no such plan file") from None
        except UnicodeDecodeError:
            raise PlanError(f"{name}: not UTF-8 text") from None
        except OSError as exc:
            raise PlanError(f"{name}: cannot read ({exc.strerror})") from None
    try:
        if name.lower().endswith(".json"):
            data = json.loads(text)
        else:
            data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlanError(f"{name}: not valid TOML ({exc})") from None
    except json.JSONDecodeError as exc:
        raise PlanError(f"{name}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    try:
        return plan_from_dict(data)
    except PlanError as exc:
        raise PlanError([f"{name}: {p}" for p in exc.problems]) from None
