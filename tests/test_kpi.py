"""KPI status and customer health (domain.md section 6)."""

from __future__ import annotations

import copy
import warnings
import tomllib
from decimal import Decimal
from fractions import Fraction
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reference as ref
from aop_xl import load_plan, plan_from_dict
from aop_xl.engine.kpi import health_score, health_tier, kpi_status, lag, rag
from aop_xl.engine.targets import target_units
from aop_xl.errors import PlanError

SAMPLE = tomllib.loads(resources.files("aop_xl").joinpath("data/sample_plan.toml").read_text(encoding="utf-8"))


# ----------------------------------------------------------------------- RAG boundaries


@pytest.mark.parametrize(
    "actual, target, direction, expected",
    [
        (70, 100, "higher", "amber"),  # lag exactly 30%: amber, not red
        (90, 100, "higher", "green"),  # lag exactly 10%: green, not amber
        (69.999, 100, "higher", "red"),
        (89.999, 100, "higher", "amber"),
        (0.7, 1, "higher", "amber"),
        (0.9, 1, "higher", "green"),
        (7, 10, "higher", "amber"),
        (120, 100, "higher", "green"),
        (0, 100, "higher", "red"),
        (-10, 100, "higher", "red"),
        (100, 70, "lower", "amber"),  # 1 - 70/100 = 0.3 exactly
        (50, 45, "lower", "green"),  # 1 - 45/50 = 0.1 exactly
        (64.29, 45, "lower", "red"),
        (0.10, 0.08, "lower", "amber"),  # churn 10% vs 8%: lag 0.2
        (0.05, 0.08, "lower", "green"),
    ],
)
def test_rag_boundaries_are_exact(actual, target, direction, expected):
    assert rag(actual, target, direction) == expected


def test_lag_is_rounded_to_twelve_decimals():
    assert lag(70, 100) == 0.3
    assert lag(90, 100) == 0.1
    assert 1 - 70 / 100 != 0.3  # what binary floating point says
    assert lag(100, 70, "lower") == 0.3
    assert lag(120, 100) == -0.2


def test_rag_with_other_thresholds():
    assert rag(80, 100, red=0.2, amber=0.05) == "amber"
    assert rag(79.99, 100, red=0.2, amber=0.05) == "red"
    assert rag(95, 100, red=0.2, amber=0.05) == "green"
    assert rag(99, 100, red=0.0, amber=0.0) == "red"
    assert rag(100, 100, red=0.0, amber=0.0) == "green"


def test_rag_types_scalars_and_arrays():
    assert type(rag(70, 100)) is str
    out = rag([70, 90, 60, None], [100, 100, 100, 100])
    assert isinstance(out, np.ndarray) and out.dtype.kind == "U"
    assert out.tolist() == ["amber", "green", "red", ""]
    assert rag(None, 100) is None
    assert np.isnan(lag(None, 100))
    mixed = rag([0.10, 0.10], [0.08, 0.08], ["higher", "lower"])
    assert mixed.tolist() == ["green", "amber"]


def test_targets_without_a_meaningful_ratio():
    # higher is better, target <= 0: met is on track, missed is 100% behind
    assert (lag(5, 0), rag(5, 0)) == (0.0, "green")
    assert (lag(0, 0), rag(0, 0)) == (0.0, "green")
    assert (lag(-5, 0), rag(-5, 0)) == (1.0, "red")
    assert (lag(-4, -5), rag(-6, -5)) == (0.0, "red")
    # lower is better, actual <= 0: at or below the target is on track
    assert (lag(0, 0.08, "lower"), rag(0, 0.08, "lower")) == (0.0, "green")
    assert (lag(0, 0, "lower"), rag(0, 0, "lower")) == (0.0, "green")
    assert lag(-1, -2, "lower") == 1.0
    # lower is better, target 0 with a positive actual: 1 - 0/actual
    assert (lag(0.01, 0, "lower"), rag(0.01, 0, "lower")) == (1.0, "red")


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"red": 0.1, "amber": 0.3}, "amber"),
        ({"red": -0.1, "amber": -0.2}, "amber"),
        ({"red": None}, "red"),
        ({"amber": "high"}, "amber"),
        ({"direction": "up"}, "direction"),
        ({"target": float("nan")}, "target"),
        ({"target": "x"}, "target"),
        ({"actual": float("inf")}, "actual"),
    ],
)
def test_rag_rejects_bad_input(kwargs, field):
    args = {"actual": 70, "target": 100, **kwargs}
    with pytest.raises(PlanError, match=field):
        rag(**args)


decimals = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=2)
thresholds = st.decimals(min_value=Decimal("0"), max_value=Decimal("1"), places=2)


def exact_status(actual: Decimal, target: Decimal, direction: str, red: Decimal, amber: Decimal) -> str:
    a, t = Fraction(actual), Fraction(target)
    g = 1 - (a / t if direction == "higher" else t / a)
    return "red" if g > Fraction(red) else "amber" if g > Fraction(amber) else "green"


@settings(max_examples=1000, deadline=None)
@given(
    x=decimals,
    other=decimals,
    direction=st.sampled_from(["higher", "lower"]),
    t1=thresholds,
    t2=thresholds,
    where=st.sampled_from(["free", "on_red", "on_amber", "near_red", "near_amber"]),
    nudge=st.sampled_from([Decimal("-0.0001"), Decimal("0.0001")]),
)
def test_rag_agrees_with_exact_fractions(x, other, direction, t1, t2, where, nudge):
    red, amber = max(t1, t2), min(t1, t2)
    if where == "free":
        actual, target = x, other
    else:
        # Put the lag exactly on a threshold (or one step of 0.0001 off it): the cases where
        # binary floating point would misjudge 1 - actual/target.
        r = red if where.endswith("red") else amber
        y = x * (1 - r) + (nudge if where.startswith("near") else 0)
        if y < 0:
            y = Decimal(0)
        actual, target = (y, x) if direction == "higher" else (x, y)
    got = rag(float(actual), float(target), direction, red=float(red), amber=float(amber))
    assert got == exact_status(actual, target, direction, red, amber)


# ----------------------------------------------------------------------- health


def test_health_score_scaling_and_weights():
    assert health_score(1.0, 1.0, 0.0, 100) == 100.0
    assert health_score(0.0, 0.0, 0.10, -100) == 0.0
    # frequency at benchmark 100, order value 80, complaints 2% of a 10% ceiling 80, NPS 40 -> 70
    assert health_score(1.0, 0.8, 0.02, 40) == pytest.approx(82.5)
    assert health_score(1.0, 0.8, 0.02, 40, weights=[1, 0, 0, 0]) == pytest.approx(100)
    assert health_score(1.0, 0.8, 0.02, 40, weights={"nps": 2, "order_value": 2}) == pytest.approx(75)
    # above the benchmark caps at 100; above the complaint ceiling floors at 0
    assert health_score(3.0, 1.0, 0.5, 100, weights=[1, 0, 1, 0]) == pytest.approx(50)
    # raw values with explicit benchmarks
    assert health_score(6, 15_000, 0.0, 0, frequency_benchmark=12, order_value_benchmark=12_500) == pytest.approx(
        (50 + 100 + 100 + 50) / 4
    )
    out = health_score([1.0, 0.5], 1.0, 0.0, 100)
    np.testing.assert_allclose(out, [100, 87.5])


@pytest.mark.parametrize(
    "args, kwargs, field",
    [
        ((1, 1, 0, 101), {}, "nps"),
        ((1, 1, -0.1, 0), {}, "complaint_rate"),
        ((-1, 1, 0, 0), {}, "frequency"),
        ((1, 1, 0, 0), {"weights": [1, 1]}, "weights"),
        ((1, 1, 0, 0), {"weights": [0, 0, 0, 0]}, "weights"),
        ((1, 1, 0, 0), {"weights": {"loyalty": 1}}, "weights"),
        ((1, 1, 0, 0), {"complaint_ceiling": 0}, "complaint_ceiling"),
        ((float("nan"), 1, 0, 0), {}, "frequency"),
    ],
)
def test_health_score_rejects_bad_input(args, kwargs, field):
    with pytest.raises(PlanError, match=field):
        health_score(*args, **kwargs)


def test_health_tiers():
    assert [health_tier(s) for s in (100, 80, 79.999, 60, 59.999, 0)] == [
        "healthy", "healthy", "watch", "watch", "at_risk", "at_risk",
    ]  # fmt: skip
    assert health_tier([85, 65, 10]).tolist() == ["healthy", "watch", "at_risk"]
    assert health_tier(70, healthy=70, watch=50) == "healthy"


# ----------------------------------------------------------------------- plan KPIs


def test_kpi_status_without_actuals():
    k = kpi_status(load_plan())
    assert list(k.columns) == ["metric", "target", "ytd_target", "actual", "direction", "variance", "lag", "status",
                               "unit"]
    assert len(k) == len(SAMPLE["kpis"])
    assert k["status"].isna().all() and k["actual"].isna().all() and k["lag"].isna().all()
    assert k["status"].tolist() == [None] * len(k)


def test_kpi_status_with_actuals_and_plan_thresholds():
    data = copy.deepcopy(SAMPLE)
    actuals = {
        "revenue": 16_800_000,  # 70% of 24M: amber
        "new_business_revenue": 2_160_000,  # 90% of 2.4M: green
        "lead_conversion_rate": 0.13,  # 1 - 0.13/0.20 = 0.35: red
        "customer_churn_rate": 0.10,  # 1 - 0.08/0.10 = 0.2: amber
        "sales_cycle_length": 50,  # 1 - 45/50 = 0.1: green
    }
    for kpi in data["kpis"]:
        if kpi["metric"] in actuals:
            kpi["actual"] = actuals[kpi["metric"]]
    k = kpi_status(plan_from_dict(data)).set_index("metric")
    assert k["status"].to_dict() == {
        "revenue": "amber",
        "new_business_revenue": "green",
        "lead_conversion_rate": "red",
        "average_order_value": None,
        "customer_churn_rate": "amber",
        "sales_cycle_length": "green",
    }
    assert k.loc["revenue", "variance"] == -7_200_000
    assert k.loc["revenue", "lag"] == 0.3
    assert pd.isna(k.loc["average_order_value", "variance"])
    data["status"] = {"red": 0.2, "amber": 0.05}
    strict = kpi_status(plan_from_dict(data)).set_index("metric")
    assert strict.loc["revenue", "status"] == "red"
    assert strict.loc["sales_cycle_length", "status"] == "amber"


def test_revenue_exactly_on_the_half_year_plan_is_green():
    # Actuals to the end of June: the target to date is the company's first six months, not
    # the year (on the year's target, revenue on plan at half year was red, lag 50%).
    data = copy.deepcopy(SAMPLE)
    data["plan"]["as_of"] = 6
    first_half = float(target_units(plan_from_dict(data)).quarters[:2].sum()) * data["plan"]["unit"]
    assert first_half == 12_000_000  # Q1 + Q2 of 24M at 30/40/30/40
    for kpi in data["kpis"]:
        if kpi["metric"] == "revenue":
            kpi["actual"] = first_half
        if kpi["metric"] == "new_business_revenue":
            kpi["actual"] = 1_000_000  # to date: 2.4M x 70/140 = 1.2M
    k = kpi_status(plan_from_dict(data)).set_index("metric")
    assert k.loc["revenue", "ytd_target"] == 12_000_000 and k.loc["revenue", "target"] == 24_000_000
    assert k.loc["revenue", "lag"] == 0 and k.loc["revenue", "status"] == "green"
    assert k.loc["new_business_revenue", "ytd_target"] == pytest.approx(1_200_000)
    assert k.loc["new_business_revenue", "variance"] == pytest.approx(-200_000)
    assert k.loc["lead_conversion_rate", "ytd_target"] == k.loc["lead_conversion_rate", "target"]  # a rate


def test_revenue_kpi_target_is_the_plans_total_and_variance_is_favourable_either_way():
    data = copy.deepcopy(SAMPLE)
    data["plan"]["total_target"] = 30_000_000
    for kpi in data["kpis"]:
        if kpi["metric"] == "sales_cycle_length":
            kpi["actual"] = 40  # target 45 days, lower is better: 5 days better is +5
        if kpi["metric"] == "customer_churn_rate":
            kpi["actual"] = 0.1  # target 8%: 2 points worse is -0.02
    k = kpi_status(plan_from_dict(data)).set_index("metric")
    assert k.loc["revenue", "target"] == 30_000_000  # the plan's, not the typed 24M
    assert k.loc["sales_cycle_length", "variance"] == 5 and k.loc["sales_cycle_length", "status"] == "green"
    assert k.loc["customer_churn_rate", "variance"] == pytest.approx(-0.02)


def test_kpi_status_of_a_plan_without_kpis():
    data = copy.deepcopy(SAMPLE)
    data["kpis"] = []
    k = kpi_status(plan_from_dict(data))
    assert k.empty and "status" in k.columns


# ----------------------------------------------------------------------- against the reference


@settings(max_examples=800, deadline=None)
@given(
    actual=st.none() | st.decimals(-1000, 100_000, places=3),
    target=st.decimals(-1000, 100_000, places=3),
    direction=st.sampled_from(["higher", "lower"]),
    red=st.decimals("0", "1", places=2),
    amber=st.decimals("0", "1", places=2),
    where=st.sampled_from(["free", "red", "amber", "zero"]),
)
def test_lag_and_status_match_the_reference(actual, target, direction, red, amber, where):
    red, amber = max(red, amber), min(red, amber)
    if where in ("red", "amber") and actual is not None and target > 0:
        # the actual that puts the lag exactly on the threshold
        t = red if where == "red" else amber
        actual = target * (1 - t) if direction == "higher" else (target / (1 - t) if t < 1 else actual)
        actual = Decimal(actual).quantize(Decimal("0.000001")) if actual is not None else None
    if where == "zero":
        target = Decimal(0)
    a = None if actual is None else float(actual)
    want = ref.lag(actual, target, direction)
    got = lag(a, float(target), direction)
    if want is None:
        assert np.isnan(got)
    else:
        assert got == pytest.approx(float(want), rel=1e-12, abs=1e-12)
    assert rag(a, float(target), direction, red=float(red), amber=float(amber)) == ref.rag(
        actual, target, direction, red, amber
    )


@settings(max_examples=500, deadline=None)
@given(
    f=st.decimals(0, 3, places=3),
    v=st.decimals(0, 3, places=3),
    c=st.decimals(0, "0.3", places=4),
    n=st.integers(-100, 100),
    w=st.none() | st.lists(st.integers(0, 5), min_size=4, max_size=4).filter(any),
)
def test_health_score_and_tier_match_the_reference(f, v, c, n, w):
    want = ref.health_score(f, v, c, n, w)
    got = health_score(float(f), float(v), float(c), n, weights=w)
    assert got == pytest.approx(float(want), abs=1e-9)
    # The tier of the exact score (the engine's float score is within 1e-9 of it, so keep off
    # the boundaries by more than that).
    if min(abs(want - 80), abs(want - 60)) > Fraction(1, 10**6):
        assert health_tier(got) == ref.health_tier(want)


@pytest.mark.parametrize("score, tier", [(80, "healthy"), (79.99, "watch"), (60, "watch"), (59.99, "at_risk"), (100, "healthy"), (0, "at_risk")])
def test_health_tier_boundaries_match_the_reference(score, tier):
    assert health_tier(score) == ref.health_tier(score) == tier


def test_kpi_status_matches_the_reference():
    data = copy.deepcopy(SAMPLE)
    actuals = [16_800_000, 2_160_001, 0.13, None, 0.0, 45.5]
    for kpi, a in zip(data["kpis"], actuals):
        kpi["actual"] = a
    k = kpi_status(plan_from_dict(data))
    for row, kpi in zip(k.to_dict("records"), data["kpis"]):
        want = ref.rag(kpi.get("actual"), kpi["target"], kpi.get("direction", "higher"))
        assert row["status"] == want
        if kpi.get("actual") is None:
            assert pd.isna(row["lag"]) and pd.isna(row["variance"])
        else:
            assert row["lag"] == pytest.approx(float(ref.lag(kpi["actual"], kpi["target"], kpi["direction"])), abs=1e-12)
            good = kpi["actual"] - kpi["target"]  # shown so that good is positive
            assert row["variance"] == pytest.approx(good if kpi["direction"] == "higher" else -good)


# ----------------------------------------------------------------------- what mutation testing found


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: lag(float("inf"), 1), "actual: must be finite numbers, got inf"),
        (lambda: lag(1, float("nan")), "target: must be finite numbers, got nan"),
        (lambda: lag([1, 2], [1, 1], ["higher", "up"]), "direction: must be 'higher' or 'lower', got 'up'"),
        (lambda: rag(1, 1, red=float("nan")), "red: must be finite numbers, got nan"),
        (lambda: rag(1, 1, amber=float("inf")), "amber: must be finite numbers, got inf"),
        (lambda: health_score(float("nan"), 1, 0, 0), "frequency: must be finite numbers, got nan"),
        (lambda: health_score(1, float("nan"), 0, 0), "order_value: must be finite numbers, got nan"),
        (lambda: health_score(1, 1, float("nan"), 0), "complaint_rate: must be finite numbers, got nan"),
        (lambda: health_score(1, 1, 0, float("nan")), "nps: must be finite numbers, got nan"),
        (lambda: health_score([1, -2], 1, 0, 0), "frequency: must be >= 0, got -2"),
        (lambda: health_score(1, [0, -0.5], 0, 0), "order_value: must be >= 0, got -0.5"),
        (lambda: health_score(1, 1, [0.1, -0.01], 0), "complaint_rate: must be >= 0, got -0.01"),
        (lambda: health_score(1, 1, 0, [0, -100.5]), "nps: must be between -100 and 100, got -100.5"),
        (lambda: health_score(1, 1, 0, [100, 100.5]), "nps: must be between -100 and 100, got 100.5"),
        (lambda: health_score(1, 1, 0, 0, weights=[1, 1]),
         "weights: expected 4 weights (frequency, order_value, complaint_rate, nps), got [1, 1]"),
        (lambda: health_score(1, 1, 0, 0, weights=[1, -1, 1, 1]), "weights: must be >= 0 and not all zero, got [1.0, -1.0, 1.0, 1.0]"),
        (lambda: health_tier(float("nan")), "score: must be finite numbers, got nan"),
    ],
)
def test_messages_name_the_argument_and_the_value(call, message):
    with pytest.raises(PlanError) as err:
        call()
    assert str(err.value) == message


def test_nps_at_its_bounds_is_accepted():
    assert health_score(1, 1, 0, -100, weights=[0, 0, 0, 1]) == 0.0
    assert health_score(1, 1, 0, 100, weights=[0, 0, 0, 1]) == 100.0


def test_each_benchmark_scales_its_own_component():
    # order value 10,000 of a 12,500 benchmark scores 80; frequency 6 of 12 scores 50.
    assert health_score(6, 10_000, 0, 0, weights=[0, 1, 0, 0], order_value_benchmark=12_500) == pytest.approx(80)
    assert health_score(6, 10_000, 0, 0, weights=[1, 0, 0, 0], frequency_benchmark=12) == pytest.approx(50)
    assert health_score(1, 1, 0.05, 0, weights=[0, 0, 1, 0], complaint_ceiling=0.2) == pytest.approx(75)


def test_scalars_give_python_scalars():
    assert type(health_score(1.0, 0.8, 0.02, 40)) is float
    assert type(health_tier(85)) is str
    assert type(lag(70, 100)) is float


def test_kpi_status_column_types():
    data = copy.deepcopy(SAMPLE)
    data["kpis"][0]["actual"] = 16_800_000
    k = kpi_status(plan_from_dict(data))
    assert {c: str(k[c].dtype) for c in ("target", "actual", "variance", "lag")} == {
        "target": "float64", "actual": "Float64", "variance": "Float64", "lag": "Float64",
    }  # fmt: skip
    assert k["direction"].tolist() == [x.get("direction", "higher") for x in data["kpis"]]
    assert k["unit"].tolist() == [x.get("unit", "number") for x in data["kpis"]]
    assert k["metric"].tolist() == [x["metric"] for x in data["kpis"]]


def test_a_lag_on_an_exact_half_rounds_away_from_zero():
    # 1 - 8191/8192 = 0.0001220703125 exactly: ROUND(lag, 12) in the workbook gives
    # 0.000122070313, and so does the engine (rounding to the even digit gave ...312).
    assert lag(8191, 8192) == 0.000122070313 == float(ref.lag(8191, 8192))
    assert lag(8192, 8191, "lower") == 0.000122070313
    assert lag(8193, 8192) == -0.000122070313
    # The threshold is rounded the same way: a lag of exactly it is not above it.
    assert rag(8191, 8192, red=0.5, amber=0.0001220703125) == "green"
    assert rag(8191, 8192, red=0.5, amber=0.000122070312) == "amber"


@pytest.mark.parametrize(
    "call, message",
    [
        # Several bad values: the first is named.
        (lambda: lag([1, float("inf"), float("-inf")], 1), "actual: must be finite numbers, got inf"),
        (lambda: lag(1, 1, ["up", "down"]), "direction: must be 'higher' or 'lower', got 'up'"),
        (lambda: health_score([-1, -2], 1, 0, 0), "frequency: must be >= 0, got -1"),
        (lambda: health_score(1, 1, 0, [-100, 101, 102]), "nps: must be between -100 and 100, got 101"),
        (lambda: health_score(1, 1, 0, 0, frequency_benchmark=0), "frequency_benchmark: must be > 0, got 0"),
        (lambda: health_score(1, 1, 0, 0, order_value_benchmark=-1.5), "order_value_benchmark: must be > 0, got -1.5"),
        (lambda: health_score(1, 1, 0, 0, complaint_ceiling=float("nan")), "complaint_ceiling: must be > 0, got nan"),
        (lambda: health_score(1, 1, 0, 0, weights={"nps": 1, "loyalty": 1}),
         "weights: 'loyalty' is not one of ('frequency', 'order_value', 'complaint_rate', 'nps')"),
        (lambda: health_score(1, 1, 0, 0, weights=[1, 1, 1, float("inf")]), "weights: must be finite numbers, got inf"),
        (lambda: health_tier(50, healthy=60, watch=80), "watch: must not exceed healthy, got watch=80, healthy=60"),
    ],
)
def test_messages_name_the_first_bad_value_and_the_field(call, message):
    with pytest.raises(PlanError) as err:
        call()
    assert str(err.value) == message


def test_watch_may_equal_healthy():
    assert health_tier([70, 69.9], healthy=70, watch=70).tolist() == ["healthy", "at_risk"]


def test_targets_of_zero_give_no_numpy_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert lag([5, 0, 1], [0, 0, 2], ["higher", "lower", "lower"]).tolist() == [0.0, 0.0, -1.0]
