"""Top-down vs bottom-up reconciliation (domain.md section 3)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reference as ref
from aop_xl.engine.reconcile import reconcile
from aop_xl.errors import PlanError
from aop_xl.units import to_units

INDEX = pd.MultiIndex.from_product([["East", "West"], ["Pro", "Classic"]], names=["region", "product"])
TD = pd.Series([600.0, 400.0, 300.0, 200.0], index=INDEX)  # East 1,000; West 500
BU = pd.Series([630.0, 420.0, 250.0, 200.0], index=INDEX)  # East 1,050 (+5%); West 450 (-10%)


def row(gaps: pd.DataFrame, level: str, **keys) -> pd.Series:
    mask = gaps["level"] == level
    for k, v in keys.items():
        mask &= gaps[k] == v
    assert mask.sum() == 1
    return gaps[mask].iloc[0]


def test_gaps_at_every_level():
    g = reconcile(TD, BU).gaps
    assert list(g.columns) == [
        "level", "region", "product", "topdown", "bottomup", "gap", "gap_pct", "within_tolerance", "flag",
    ]  # fmt: skip
    assert g["level"].tolist() == ["total"] + ["region"] * 2 + ["product"] * 2 + ["detail"] * 4
    total = row(g, "total")
    assert (total["region"], total["product"]) == (None, None)
    assert (total["topdown"], total["bottomup"], total["gap"]) == (1500, 1500, 0)
    east = row(g, "region", region="East")
    assert east["product"] is None
    assert (east["gap"], east["gap_pct"], east["within_tolerance"], east["flag"]) == (50, 0.05, True, "ok")
    west = row(g, "region", region="West")
    assert (west["gap"], west["gap_pct"], west["within_tolerance"], west["flag"]) == (-50, -0.1, False, "below")
    classic = row(g, "product", product="Classic")
    assert (classic["topdown"], classic["bottomup"], classic["gap"]) == (600, 620, 20)
    cell = row(g, "detail", region="West", product="Pro")
    assert (cell["gap_pct"], cell["flag"]) == (round(-50 / 300, 12), "below")  # rounded to 12 decimals
    assert row(g, "detail", region="East", product="Pro")["flag"] == "ok"  # +5% exactly


def test_tolerance_boundary_is_exact_with_cents():
    idx = pd.Index(["a", "b"], name="region")
    td = pd.Series([0.20, 100.00], index=idx)
    bu = pd.Series([0.21, 110.00], index=idx)  # +5% exactly, +10% exactly
    g = reconcile(td, bu, tolerance=0.05).gaps
    assert g["level"].tolist() == ["total", "detail", "detail"]
    assert g["gap_pct"].tolist() == [round(10.01 / 100.2, 12), 0.05, 0.1]
    assert g["within_tolerance"].tolist() == [False, True, False]  # 0.01 / 0.20 is exactly 5%
    assert reconcile(td, bu, tolerance=0.10).gaps["within_tolerance"].tolist() == [True, True, True]
    assert g["gap"].iloc[0] == 10.01


def test_zero_topdown_has_no_gap_percentage():
    idx = pd.Index(["a", "b", "c"], name="region")
    g = reconcile(pd.Series([0.0, 0.0, 10.0], index=idx), pd.Series([5.0, 0.0, 10.0], index=idx)).gaps
    new = row(g, "detail", region="a")
    assert pd.isna(new["gap_pct"]) and not new["within_tolerance"] and new["flag"] == "above"
    same = row(g, "detail", region="b")
    assert same["gap_pct"] == 0 and same["within_tolerance"]
    assert str(g["gap_pct"].dtype) == "Float64"


def test_single_dimension_has_total_and_detail_only():
    s = pd.Series([1.0, 2.0], index=pd.Index(["x", "y"], name="region"))
    assert reconcile(s, s).gaps["level"].tolist() == ["total", "detail", "detail"]
    unnamed = reconcile(pd.Series([1.0, 2.0], index=["x", "y"]), pd.Series([1.0, 2.0], index=["x", "y"]))
    assert "level_0" in unnamed.gaps.columns


def test_proposals():
    assert reconcile(TD, BU, method="keep").proposal.tolist() == TD.tolist()
    assert reconcile(TD, BU, method="accept").proposal.tolist() == BU.tolist()
    blend = reconcile(TD, BU, method="blend", alpha=0.25).proposal
    assert blend.tolist() == [622.5, 415.0, 262.5, 200.0]
    scaled = reconcile(TD, BU * 2, method="scale").proposal
    assert scaled.tolist() == BU.tolist()  # BU's mix at TD's total (both 1,500)
    assert scaled.index.equals(TD.index) and scaled.name == "proposal"


def test_scale_keeps_the_bottom_up_mix_and_meets_the_topdown_total_exactly():
    idx = pd.Index(["a", "b", "c"], name="region")
    r = reconcile(pd.Series([100.0, 0.0, 0.0], index=idx), pd.Series([1.0, 1.0, 1.0], index=idx), method="scale")
    assert r.proposal.tolist() == [33.34, 33.33, 33.33]
    assert r.total_proposal == 100.0


def test_blend_total_is_rounded_to_the_unit():
    idx = pd.Index(["a", "b"], name="region")
    r = reconcile(pd.Series([1.0, 2.0], index=idx), pd.Series([2.0, 2.0], index=idx), method="blend", unit=1)
    # blended total 0.5 x 3 + 0.5 x 4 = 3.5 -> 4 (halves away from zero); weights 1.5 and 2
    assert r.total_proposal == 4 and r.proposal.tolist() == [2.0, 2.0]


def test_bottom_up_in_another_order_is_aligned():
    shuffled = BU.iloc[[3, 1, 0, 2]]
    r = reconcile(TD, shuffled, method="accept")
    assert r.proposal.tolist() == BU.tolist()


def test_long_dataframes_are_accepted():
    td = TD.rename("target").reset_index()
    bu = BU.rename("target").reset_index()
    r = reconcile(td, bu, method="accept")
    assert r.proposal.tolist() == BU.tolist()
    assert row(r.gaps, "region", region="West")["gap"] == -50


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"method": "average"}, "method"),
        ({"alpha": 1.5}, "alpha"),
        ({"alpha": -0.1}, "alpha"),
        ({"tolerance": -0.01}, "tolerance"),
        ({"unit": 0}, "unit"),
        ({"bottomup": BU.iloc[:3]}, "bottomup"),
        ({"bottomup": BU.rename(lambda k: k.upper(), level=0)}, "bottomup"),
        ({"bottomup": BU.rename_axis(["area", "product"])}, "bottomup"),
        ({"bottomup": BU * -1}, "bottomup"),
        ({"topdown": TD.where(TD > 300, np.nan)}, "topdown"),
        ({"topdown": pd.concat([TD, TD.iloc[:1]])}, "topdown"),
        ({"topdown": [1, 2]}, "topdown"),
        ({"topdown": pd.DataFrame({"region": ["a"], "amount": [1]})}, "topdown"),
        ({"bottomup": BU * 0, "method": "scale"}, "bottomup"),
    ],
)
def test_bad_input_names_the_argument(kwargs, field):
    args = {"topdown": TD, "bottomup": BU, **kwargs}
    with pytest.raises(PlanError, match=field):
        reconcile(**args)


amounts = st.decimals(min_value=Decimal("0"), max_value=Decimal("1000000"), places=2).map(float)


@settings(max_examples=300, deadline=None)
@given(
    data=st.lists(st.tuples(amounts, amounts), min_size=1, max_size=12),
    unit=st.sampled_from([0.01, 1.0, 1000.0]),
    method=st.sampled_from(["keep", "accept", "blend", "scale"]),
    alpha=st.floats(0, 1),
)
def test_proposals_are_whole_units_that_add_up_exactly(data, unit, method, alpha):
    idx = pd.Index([f"m{i}" for i in range(len(data))], name="member")
    td = pd.Series([d[0] for d in data], index=idx)
    bu = pd.Series([d[1] for d in data], index=idx)
    if method == "scale" and not bu.any() and td.sum() > 0:  # any top-down total, even under half a unit
        with pytest.raises(PlanError, match="bottomup"):
            reconcile(td, bu, method=method, alpha=alpha, unit=unit)
        return
    r = reconcile(td, bu, method=method, alpha=alpha, unit=unit)
    parts = to_units(r.proposal.to_numpy(), unit)  # raises unless every part is whole units
    total = to_units(r.total_proposal, unit)
    assert int(np.sum(parts)) == total
    assert (np.asarray(parts) >= 0).all()
    expected_total = {
        "keep": td.sum(),
        "accept": bu.sum(),
        "blend": alpha * td.sum() + (1 - alpha) * bu.sum(),
        "scale": td.sum(),
    }[method]
    assert abs(r.total_proposal - expected_total) <= unit / 2 + 1e-6 * max(1.0, expected_total)
    if method == "keep" and unit == 0.01:
        assert r.proposal.tolist() == td.tolist()  # already whole cents: unchanged


# ----------------------------------------------------------------------- against the reference


def assert_matches_the_reference(td: pd.Series, bu: pd.Series, **kw):
    r = reconcile(td, bu, **kw)
    keys = [k if isinstance(k, tuple) else (k,) for k in td.index]
    dims = list(td.index.names)
    rkw = {k: str(v) for k, v in kw.items() if k in ("tolerance", "alpha", "unit")}
    want = ref.reconcile(keys, [Decimal(repr(x)) for x in td], [Decimal(repr(x)) for x in bu.reindex(td.index)], dims,
                         method=kw.get("method", "keep"), **rkw)  # fmt: skip
    unit = kw.get("unit", 0.01)
    assert to_units(r.proposal.to_numpy(), unit).tolist() == want["proposal"]
    assert to_units(r.total_proposal, unit) == want["total"]
    got_rows = r.gaps.to_dict("records")
    assert len(got_rows) == len(want["gaps"])
    for got, exp in zip(got_rows, want["gaps"]):
        assert got["level"] == exp["level"]
        for d in dims:
            assert got[d] == exp[d]
        for col in ("topdown", "bottomup", "gap"):
            assert got[col] == pytest.approx(float(exp[col]), rel=1e-12, abs=1e-9), col
        assert pd.isna(got["gap_pct"]) == (exp["gap_pct"] is None)
        if exp["gap_pct"] is not None:
            assert got["gap_pct"] == pytest.approx(float(exp["gap_pct"]), rel=1e-12, abs=1e-12)
        assert (got["within_tolerance"], got["flag"]) == (exp["within_tolerance"], exp["flag"])
    return r


cents = st.decimals(min_value=Decimal("0"), max_value=Decimal("1000000"), places=2)


@settings(max_examples=300, deadline=None)
@given(
    data=st.data(),
    two_dims=st.booleans(),
    unit=st.sampled_from([0.01, 1.0, 1000.0]),
    method=st.sampled_from(["keep", "accept", "blend", "scale"]),
    alpha=st.decimals("0", "1", places=2),
    tolerance=st.sampled_from([0, 0.05, 0.1]),
)
def test_gaps_and_proposals_match_the_reference(data, two_dims, unit, method, alpha, tolerance):
    if two_dims:
        idx = pd.MultiIndex.from_product([["E", "W", "S"][: data.draw(st.integers(1, 3))], ["p", "q"]],
                                         names=["region", "product"])  # fmt: skip
    else:
        idx = pd.Index([f"m{i}" for i in range(data.draw(st.integers(1, 8)))], name="member")
    n = len(idx)
    # amounts in whole units (as plans have them), and some exactly 5% or 10% off
    td_units = data.draw(st.lists(st.integers(0, 10**8), min_size=n, max_size=n))
    bu_units = [data.draw(st.sampled_from([t, t * 21 // 20, t * 11 // 10, data.draw(st.integers(0, 10**8))])) for t in td_units]
    scale = ref.dec(unit)
    td = pd.Series([float(t * scale) for t in td_units], index=idx)
    bu = pd.Series([float(b * scale) for b in bu_units], index=idx)
    if method == "scale" and sum(td_units) and not any(bu_units):
        with pytest.raises(PlanError, match="bottomup"):
            reconcile(td, bu, method=method, unit=unit)
        return
    assert_matches_the_reference(td, bu, method=method, alpha=float(alpha), tolerance=tolerance, unit=unit)


@settings(max_examples=100, deadline=None)
@given(
    td=st.lists(st.integers(0, 10**13), min_size=1, max_size=6),
    bu=st.lists(st.integers(0, 10**13), min_size=6, max_size=6),
)
def test_keep_and_accept_return_the_amounts_they_keep_whatever_their_size(td, bu):
    # The re-split by the amounts themselves must give them back, even where they add up to
    # far more than 2^31 units (at cents, anything over 21 million).
    idx = pd.Index([f"m{i}" for i in range(len(td))], name="member")
    tds = pd.Series([t / 100 for t in td], index=idx)
    bus = pd.Series([b / 100 for b in bu[: len(td)]], index=idx)
    assert to_units(reconcile(tds, bus, method="keep").proposal.to_numpy(), 0.01).tolist() == td
    assert to_units(reconcile(tds, bus, method="accept").proposal.to_numpy(), 0.01).tolist() == bu[: len(td)]
    if any(bu[: len(td)]) or not any(td):
        assert_matches_the_reference(tds, bus, method="scale")
    assert_matches_the_reference(tds, bus, method="blend", alpha=0.3)


def test_a_gap_percentage_on_an_exact_half_rounds_away_from_zero():
    # 86.01 against 81.92: a gap of 4.09 is 409 / 8192 = 0.0499267578125 exactly, a half at the
    # 13th decimal: 0.049926757813, as the workbook's ROUND(gap / TD, 12) and the reference
    # give it (rounding to the even digit gave 0.049926757812).
    idx = pd.Index(["a", "b"], name="member")
    g = reconcile(pd.Series([81.92, 10.0], index=idx), pd.Series([86.01, 10.0], index=idx)).gaps
    assert g["gap_pct"].tolist()[1:] == [0.049926757813, 0.0]
    assert reconcile(pd.Series([86.01], index=idx[:1]), pd.Series([81.92], index=idx[:1])).gaps["gap_pct"].iloc[0] == \
        round(-409 / 8601, 12)
    down = reconcile(pd.Series([81.92], index=idx[:1]), pd.Series([77.83], index=idx[:1])).gaps
    assert down["gap_pct"].iloc[0] == -0.049926757813  # -409 / 8192: away from zero below too
    # A tolerance of exactly that percentage holds it; one a unit of the 12th decimal lower does not.
    assert reconcile(pd.Series([81.92], index=idx[:1]), pd.Series([86.01], index=idx[:1]),
                     tolerance=0.049926757813).gaps["within_tolerance"].tolist() == [True, True]
    assert reconcile(pd.Series([81.92], index=idx[:1]), pd.Series([86.01], index=idx[:1]),
                     tolerance=0.049926757812).gaps["within_tolerance"].tolist() == [False, False]
    # Amounts that are not whole units (12.5 cents): the ratio in floats, halves away from zero
    # as well; 0.125 x (1 + 1/8192) is exact in binary, so the ratio is exactly 1/8192.
    odd = reconcile(pd.Series([0.125], index=idx[:1]), pd.Series([0.125 + 0.125 / 8192], index=idx[:1])).gaps
    assert odd["gap_pct"].iloc[0] == 0.000122070313


# ----------------------------------------------------------------------- exact refusals and fields


def _named(values, name="region", keys=("a", "b")):
    return pd.Series(values, index=pd.Index(list(keys)[: len(values)], name=name))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"bottomup": BU.iloc[:3]},
         "bottomup: index does not match topdown's (1 missing, 0 extra): lacks ('West', 'Classic')"),
        ({"topdown": TD.iloc[:3]},
         "bottomup: index does not match topdown's (0 missing, 1 extra): has ('West', 'Classic'), which topdown lacks"),
        ({"topdown": [1, 2]},
         "topdown: expected a pandas Series (or a DataFrame with a 'target' column), got list"),
        ({"bottomup": {"a": 1}},
         "bottomup: expected a pandas Series (or a DataFrame with a 'target' column), got dict"),
        ({"topdown": pd.DataFrame({"target": [1.0]})},
         "topdown: a DataFrame needs a 'target' column and at least one dimension column"),
        ({"topdown": pd.Series([], dtype=float)}, "topdown: is empty"),
        ({"bottomup": pd.Series([], dtype=float)}, "bottomup: is empty"),
        ({"topdown": TD.map(lambda v: "n/a" if v == 600 else v)}, "topdown: amounts must be numbers"),
        ({"bottomup": BU.map(lambda v: "n/a" if v == 250 else v)}, "bottomup: amounts must be numbers"),
        pytest.param({"bottomup": BU * -1}, "bottomup[('East', 'Pro')]: must be a finite number >= 0, got -630.0",
                     id="negative_value"),
        pytest.param({"topdown": TD.where(TD != 300, np.inf)}, "topdown[('West', 'Pro')]: must be a finite number >= 0, got inf",
                     id="infinite_value"),
        ({"topdown": TD.rename_axis(["region", "flag"])},
         "topdown: index level 'flag' clashes with a column of the gaps table"),
        ({"topdown": _named([1.0, 2.0], name="gap"), "bottomup": _named([1.0, 2.0], name="gap")},
         "topdown: index level 'gap' clashes with a column of the gaps table"),
        # a top-down total under one (0.50) still cannot be scaled onto nothing
        ({"topdown": _named([0.25, 0.25]), "bottomup": _named([0.0, 0.0]), "method": "scale"},
         "bottomup: is all zero, so it cannot be scaled to the top-down total"),
        ({"topdown": _named([3e12, 1.0]), "bottomup": _named([1.0, 1.0])},
         "keep total: more than 250,000,000,000,000 units, the largest amount kept exact"),
        ({"topdown": _named([1.0, 1.0]), "bottomup": _named([1.0, 3e12]), "method": "accept"},
         "accept total: more than 250,000,000,000,000 units, the largest amount kept exact"),
    ],
)  # fmt: skip
def test_refusals_are_one_exact_line(kwargs, message):
    args = {"topdown": TD, "bottomup": BU, **kwargs}
    with pytest.raises(PlanError) as e:
        reconcile(**args)
    assert str(e.value) == message


def test_a_long_dataframe_with_one_dimension_is_accepted():
    td = pd.DataFrame({"region": ["a", "b"], "target": [1.0, 2.0]})
    bu = pd.DataFrame({"region": ["b", "a"], "target": [4.0, 1.0]})
    r = reconcile(td, bu, method="accept", unit=1)
    assert r.proposal.to_dict() == {"a": 1.0, "b": 4.0}
    assert r.gaps["level"].tolist() == ["total", "detail", "detail"]
    assert r.gaps["gap"].tolist() == [2.0, 0.0, 2.0]


def test_the_reconciliation_records_its_method_and_totals():
    r = reconcile(TD, BU * 2, method="scale")
    assert (r.method, r.total_topdown, r.total_bottomup, r.total_proposal) == ("scale", 1500.0, 3000.0, 1500.0)
    assert type(r.total_topdown) is float and type(r.total_bottomup) is float
    assert reconcile(TD, BU, method="accept").method == "accept"


def test_gaps_rows_are_numbered_and_list_only_members_present():
    # A categorical dimension with a category no row uses (N) gets no row of its own, and the
    # gaps table is numbered 0..n-1 so that .loc and .iloc agree.
    region = pd.Categorical(["W", "E", "W", "E"], categories=["E", "N", "W"])
    idx = pd.MultiIndex.from_arrays([region, ["p", "p", "q", "q"]], names=["region", "product"])
    td = pd.Series([1.0, 2.0, 3.0, 4.0], index=idx)
    g = reconcile(td, td * 2).gaps
    assert g.index.equals(pd.RangeIndex(len(g)))
    assert g["level"].tolist() == ["total", "region", "region", "product", "product"] + ["detail"] * 4
    assert g["region"].tolist() == [None, "W", "E", None, None, "W", "E", "W", "E"]  # first appearance
    assert g["topdown"].tolist() == [10.0, 4.0, 6.0, 3.0, 7.0, 1.0, 2.0, 3.0, 4.0]
    assert reconcile(TD, BU).gaps.loc[8, "gap"] == 0.0  # West Classic, the last row


@pytest.mark.parametrize("whole", ["topdown", "bottomup"])
def test_whole_amounts_on_one_side_only_match_the_reference(whole):
    # One side in whole cents, the other with a part of a cent: the gaps are taken from the
    # amounts themselves, not from a count of cents on one side only.
    idx = pd.Index(["a", "b", "c"], name="member")
    cents, odd = pd.Series([1.00, 2.00, 40.00], index=idx), pd.Series([1.005, 2.00, 38.125], index=idx)
    td, bu = (cents, odd) if whole == "topdown" else (odd, cents)
    r = assert_matches_the_reference(td, bu, method="blend", alpha=0.5)
    assert r.gaps["topdown"].tolist() == [43.0, 1.0, 2.0, 40.0] if whole == "topdown" else [41.13, 1.005, 2.0, 38.125]


def test_zero_topdowns_of_amounts_in_parts_of_a_unit_give_no_percentage_and_no_warning():
    # 0.125 is not a whole number of cents: the ratios are taken in floats, and a TD of 0 must
    # give <NA> (gap not 0) or 0% (gap 0) without a division warning.
    idx = pd.Index(["new", "none", "same", "one"], name="member")
    td = pd.Series([0.0, 0.0, 0.125, 1.0], index=idx)
    bu = pd.Series([0.125, 0.0, 0.125, 1.25], index=idx)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = reconcile(td, bu, tolerance=0.1).gaps
    assert str(g["gap_pct"].dtype) == "Float64"
    assert g["gap_pct"].tolist()[0] == 0.333333333333  # 0.375 / 1.125
    assert g["gap_pct"].isna().tolist() == [False, True, False, False, False]
    assert g["gap_pct"].tolist()[2:] == [0.0, 0.0, 0.25]
    assert g["within_tolerance"].tolist() == [False, False, True, True, False]
    assert g["flag"].tolist() == ["above", "above", "ok", "ok", "above"]
    assert_matches_the_reference(td, bu, tolerance=0.1)


def test_half_a_cent_on_a_large_amount_is_not_taken_for_a_whole_cent():
    # 24,000,000.005 is 2,400,000,000.5 cents: a slack relative to the size (1e-9 of it is 2.4
    # cents) took it for whole cents, rounded to the even cent: no gap and a total a cent short.
    idx = pd.Index(["a", "b"], name="member")
    td, bu = pd.Series([24_000_000.005, 1.0], index=idx), pd.Series([24_000_000.0, 1.0], index=idx)
    r = reconcile(td, bu, method="keep")
    assert r.proposal.tolist() == [24_000_000.01, 1.0] and r.total_proposal == 24_000_001.01
    g = r.gaps  # amounts in parts of a cent are taken as the floats they are
    assert g["topdown"].tolist() == [24_000_001.005, 24_000_000.005, 1.0]
    assert g["gap"].tolist() == pytest.approx([-0.005, -0.005, 0.0], abs=1e-8)
    assert g["gap_pct"].tolist() == [-2.08e-10, -2.08e-10, 0.0] and g["flag"].tolist() == ["ok", "ok", "ok"]
