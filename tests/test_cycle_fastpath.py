"""The fast path gives exactly the bytes of the normal build, and is really used.

A regional workbook rendered from its shape's template must equal, byte for byte, the one the
library builds for the unit (:func:`aop_xl.cycle.fastpath.normal_build`). These tests run on
the builder as it is: when the builder changes what a unit's values reach (a new cell, a
width, a cached value) and the rendering does not follow, either the bytes differ or the
probe refuses the template, and a test here fails (the fast path is asserted to be used).
"""

from __future__ import annotations

import io
import zipfile

import pytest
from test_cycle_support import SAMPLE, small_plan

from aop_xl.cycle import fastpath
from aop_xl.cycle.distribute import jobs_for
from aop_xl.cycle.fastpath import build_units, normal_build, prove_shape
from aop_xl.cycle.package import Package, cell_xml
from aop_xl.plan import plan_from_dict

KEY = b"k" * 32


def _by_shape(jobs):
    groups = {}
    for job in jobs:
        groups.setdefault(job.shape, []).append(job)
    return groups


def _fast_equals_normal(plan, kind):
    """Every unit rendered from its shape's proven template equals its normal build."""
    rendered = 0
    for shape, group in _by_shape(jobs_for(plan, kind, KEY, "round-1")).items():
        proof = prove_shape(group[0])
        assert proof.template is not None, proof.reason
        assert proof.result.data == normal_build(group[0])[1]
        for job, result in zip(group[1:], build_units(group[1:], (group[0], proof.template))):
            assert result.error is None, result.error
            assert result.fast, f"{job.unit.key}: not rendered from the template"
            assert result.data == normal_build(job)[1], f"{job.unit.key}: the fast path's bytes differ"
            rendered += 1
    return rendered


@pytest.mark.parametrize("kind", ["region", "rep"])
def test_the_sample_round_fast_is_the_normal_build(kind):
    assert _fast_equals_normal(SAMPLE, kind) >= (1 if kind == "region" else 8)


def test_names_that_look_like_formulas_unicode_and_markup_render_as_built():
    names = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", " leading space", "A & B <c> \"q\"",
             "Zażółć gęślą jaźń", "北京 上海", "x" * 200, "#N/A"]
    d = SAMPLE.model_dump(mode="json", exclude_none=True)
    d["regions"] = [{"name": n, "market": ("core", "growth", "new")[i % 3], "weight": 1 + i}
                    for i, n in enumerate(names)]
    d["reps"] = [{"name": f"{n} / rep", "region": n, "share": 1.5} for n in names]
    d["budget"] = [{"item": f"Travel {n}", "category": "travel", "kind": "recurring", "amount": 100 + i,
                    "months": 12, "region": n} for i, n in enumerate(names)]
    plan = plan_from_dict(d)
    assert _fast_equals_normal(plan, "region") == len(names) - 1


def test_units_of_other_sizes_render_as_built():
    # Totals of very different sizes (the widths of amount columns follow the largest amount),
    # and a region with a zero weight: no product mix and the plan's own seasonality, which
    # the builder prints otherwise, so it is a shape of its own (built normally).
    d = small_plan(5, 2).model_dump(mode="json", exclude_none=True)
    d["plan"]["total_target"] = 987_654_321.09
    for region, weight in zip(d["regions"], (1, 1000, 250_000, 0, 0)):
        region["weight"] = weight
    assert _fast_equals_normal(plan_from_dict(d), "region") == 3


def test_a_renderer_that_misses_a_cell_is_refused_by_the_probe(monkeypatch):
    jobs = jobs_for(small_plan(3, 2), "region", KEY, "round-1")
    real = fastpath.input_values

    def forgetful(plan, layout):
        values = real(plan, layout)
        values.popitem()  # the last product's mix weight keeps the template's value
        return values

    monkeypatch.setattr(fastpath, "input_values", forgetful)
    proof = prove_shape(jobs[0])
    assert proof.template is None
    assert "Assumptions" in proof.reason


def test_an_unchanged_package_assembles_to_the_same_bytes():
    data = normal_build(jobs_for(small_plan(2, 1), "region", KEY, "r")[0])[1]
    assert Package(data).assemble({}) == data


def test_a_replaced_part_is_compressed_as_zipfile_compresses_it():
    data = normal_build(jobs_for(small_plan(2, 1), "region", KEY, "r")[0])[1]
    new = b"<x>" + b"a" * 5000 + b"</x>"
    mine = Package(data).assemble({"docProps/app.xml": new})
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, new if info.filename == "docProps/app.xml" else src.read(info.filename))
    assert mine == out.getvalue()


@pytest.mark.parametrize("value", [None, 0, 1, -2.5, 0.1, 1 / 3, 12345678901234.56, 1e-7, True, False, "text",
                                   "=1+1", "+1", "  padded ", " ", "A & B <c> >", "北京", "#N/A", ""])
def test_a_cell_renders_as_openpyxl_writes_it(value):
    from openpyxl import Workbook

    from aop_xl.workbook.build import workbook_bytes

    wb = Workbook()
    cell = wb.active["C7"]
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    cell.number_format = "0.00"
    xml = zipfile.ZipFile(io.BytesIO(workbook_bytes(wb))).read("xl/worksheets/sheet1.xml").decode()
    start = xml.index('<c r="C7"')
    written = xml[start:xml.index("</c>", start) + 4] if not xml[start:].split(">", 1)[0].endswith("/") \
        else xml[start:xml.index("/>", start) + 2]
    style = written.split(' s="')[1].split('"')[0]
    assert cell_xml("C7", style, value) == written
