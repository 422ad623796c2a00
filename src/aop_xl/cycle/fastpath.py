"""Regional workbooks fast: build each shape once, then fill the values per unit.

Regional workbooks of one round share their shape (the block sizes of their plans) and most
of their content: every formula, style, print setting, chart and label. A unit differs from
another of its shape only in the input cells of its Assumptions sheet, the fingerprint and
round identity on the hidden meta sheet, and its Bottom-up sheet. So the first unit of a shape
is built normally (:func:`aop_xl.cycle.regional.regional_bytes`, the library's builder) and
becomes the template; every further unit is the template with those three worksheets
rendered from the unit's plan and numbers, and every other part copied compressed.

The fast path must give exactly the bytes of the normal build. Before a template is used it
is proven on a probe: a unit of the same shape with every value of its own changed (names,
totals, months, mix, shares, amounts). The probe is built normally and rendered; when a part
outside the three differs, or any byte of the rendering differs, the shape is built normally
unit by unit (slower, never different), and the reason is reported. So a change to the
builder that the rendering does not follow costs speed, not correctness; the tests prove
the equality on the sample and on generated plans.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from aop_xl.cycle.colwidths import Capture, build_capturing, col_widths, patch_heights, patch_widths, row_heights
from aop_xl.cycle.numbers import UnitNumbers, engine_numbers
from aop_xl.cycle.package import Package, SheetXml, TemplateError
from aop_xl.cycle.regional import (Unit, bottom_up_values, identity_mac, regional_bytes, topdown_hash,
                                   unit_plan)
from aop_xl.engine.targets import target_units
from aop_xl.errors import AopError, PlanError
from aop_xl.limits import workbook_limit_problems
from aop_xl.plan import Plan
from aop_xl.workbook.layout import (ASSUMPTIONS, BOTTOM_UP, META, META_KEYS, MONTHS, PARAMS, ROUND_KEYS, Layout,
                                    bottom_up_table, capacity_for, round_identity_table)
from aop_xl.workbook.sheets.assumptions import param_values

#: The worksheets a unit's values reach; every other part of a template is copied as it is.
RENDERED = (ASSUMPTIONS, META, BOTTOM_UP)
_TEXT_COLUMNS = {"name", "region", "item", "metric"}
TEMPLATE_CACHE = 32
_lock = threading.Lock()


@dataclass(frozen=True)
class UnitJob:
    """Everything a worker needs to write one unit's workbook (no secret: the MAC is made)."""

    unit: Unit
    document: dict
    numbers: UnitNumbers
    identity: dict
    shape: str  # units with the same shape share a template


@dataclass
class UnitResult:
    """What became of one unit: its bytes, or the reason it failed."""

    unit: Unit
    data: bytes | None = None
    error: str | None = None
    fast: bool = False
    note: str | None = None  # why its shape was built normally, when it was
    warnings: list[str] = field(default_factory=list)


def shape_key(document: dict, base_hash: str) -> str:
    """Units with equal keys have the same blocks, the same fields given (a product mix or not,
    month or quarter weights, a budget line's months ...) and the same round-wide content."""
    skeleton = hashlib.sha256(json.dumps(_skeleton(document), sort_keys=True).encode()).hexdigest()
    return f"{base_hash[:16]}:{skeleton[:16]}"


def _skeleton(value):
    # The document with every value replaced by its kind: what decides a workbook's structure.
    if isinstance(value, dict):
        return {k: _skeleton(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_skeleton(v) for v in value]
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "b"
    return "n" if isinstance(value, (int, float)) else "s"


# ------------------------------------------------------------------------ what a unit changes


def input_values(plan: Plan, layout: Layout) -> dict[tuple[int, int], Any]:
    """The Assumptions input cells of a plan as the builder writes them: (row, col) -> value."""
    out: dict[tuple[int, int], Any] = {}
    p = layout.params
    values = _params(plan)
    for i, (key, _) in enumerate(PARAMS):
        value = values[key]
        out[(p.row(i), p.col("value"))] = str(value) if key == "version" and value is not None else value
    quarters, months = plan.seasonality.quarters, plan.seasonality.months
    for i in range(4):
        out[(layout.quarter_weights.row(i), layout.quarter_weights.col("weight"))] = quarters[i] if quarters else None
    for m in range(12):
        out[(layout.month_weights.row(m), layout.month_weights.col("weight"))] = months[m] if months else None
    rows = {"regions": [r.model_dump(exclude={"product_mix"}) for r in plan.regions],
            "products": [x.model_dump() for x in plan.products], "reps": [x.model_dump() for x in plan.reps],
            "budget": [x.model_dump() for x in plan.budget], "kpis": [x.model_dump(exclude={"actual"}) for x in plan.kpis],
            "tiers": [x.model_dump() for x in plan.commission.tiers]}
    for key, members in rows.items():
        table = getattr(layout, key)
        for i in range(table.rows):
            member = members[i] if i < len(members) else {}
            for col in table.columns:
                value = member.get(col)
                if col in _TEXT_COLUMNS and value is not None:
                    value = str(value)
                out[(table.row(i), table.col(col))] = value
    mix = layout.mix
    for i in range(layout.capacity.regions):
        own = plan.regions[i].product_mix if i < len(plan.regions) else None
        for j in range(layout.capacity.products):
            value = own.get(plan.products[j].name) if own is not None and j < len(plan.products) else None
            out[(mix.row(i), mix.col(f"p{j}"))] = value
    return out


_param_cache: OrderedDict[str, dict] = OrderedDict()


def _params(plan: Plan) -> dict:
    # The plan settings as the builder writes them. Units of a round differ only in their total
    # target, and the builder's function is slow (it asks pydantic for every default), so it
    # runs once per round's settings; the probe proves the total lands as the builder puts it.
    key = json.dumps([plan.plan.model_dump(mode="json", exclude={"total_target"}),
                      plan.commission.model_dump(mode="json"), plan.status.model_dump(mode="json"),
                      plan.growth_defaults.model_dump(mode="json")], sort_keys=True)
    with _lock:
        hit = _param_cache.get(key)
        if hit is None:
            hit = _param_cache[key] = param_values(plan)
            while len(_param_cache) > TEMPLATE_CACHE:
                _param_cache.popitem(last=False)
    return {**hit, "total_target": plan.plan.total_target}


def fingerprint(plan: Plan, numbers: UnitNumbers) -> str:
    """The meta sheet's fingerprint (layout.FINGERPRINT_METHOD) from the unit's numbers."""
    doc = [1, plan.plan.unit, plan.region_names, plan.product_names, [numbers.cells.tolist()]]
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def meta_values(plan: Plan, layout: Layout, numbers: UnitNumbers, identity: dict) -> dict[tuple[int, int], Any]:
    """The meta sheet's unit-specific cells: the fingerprint and the round identity."""
    m = layout.meta
    row = m.row(META_KEYS.index("fingerprint"))
    out = {(row, m.col("value")): fingerprint(plan, numbers)}
    table = round_identity_table(layout)
    for i, key in enumerate(ROUND_KEYS):
        out[(table.row(i), table.col("value"))] = identity[key]
    return out


def bottom_up_cells(plan: Plan, numbers: UnitNumbers) -> dict[tuple[int, int], Any]:
    """The Bottom-up sheet's unit-specific cells: names, pre-filled months, comments."""
    table = bottom_up_table(len(plan.products))
    out = {}
    for j, row in enumerate(bottom_up_values(plan, numbers)):
        r = table.row(j)
        out[(r, table.col("region"))] = row[0]
        out[(r, table.col("product"))] = row[1]
        for m, key in enumerate(MONTHS):
            out[(r, table.col(key))] = row[2 + m]
        out[(r, table.col("comment"))] = row[-1]
    return out


# ------------------------------------------------------------------------ templates


class ShapeTemplate:
    """A built regional workbook of one shape, ready to render others of that shape.

    Args:
        data: its bytes (:func:`aop_xl.cycle.regional.regional_bytes`).
        layout: the layout of its shape.
        capture: what its build showed (:func:`aop_xl.cycle.colwidths.build_capturing`): the
            width fitting, and the worksheets before their formulas' values were stored; None
            for a builder that does neither.

    Raises:
        TemplateError: the package cannot be used as a template.
    """

    def __init__(self, data: bytes, layout: Layout, capture: Capture | None = None):
        self.data = data
        self.package = Package(data)
        self.layout = layout
        self.capture = capture or Capture()
        self.widths = self.capture.fitter
        self.parts = sheet_parts(self.package)
        missing = [s for s in RENDERED if s not in self.parts]
        if missing:
            raise TemplateError(f"template has no sheet {missing[0]}")
        final = {s: self.package.read(part).decode("utf-8") for s, part in self.parts.items()}
        self._raw = dict(final)
        if self.capture.raw:
            # The builder stored the values part by part, in the package's order.
            order = [n for n in self.package.names if n.startswith("xl/worksheets/sheet")]
            sheet_of = {part: sheet for sheet, part in self.parts.items()}
            if len(order) != len(self.capture.raw) or any(n not in sheet_of for n in order):
                raise TemplateError("the worksheets before their values were stored do not match the package")
            self._raw = {sheet_of[n]: xml for n, xml in zip(order, self.capture.raw)}
        self._valued = {s for s in self.parts if self._raw[s] != final[s]}
        self.sheets = {s: SheetXml(self._raw[s]) for s in RENDERED}
        fitted = [s for s in (self.widths.sheets if self.widths else []) if s in self.parts]
        self._widths = {s: col_widths(self._raw[s]) for s in fitted}
        self._heights = {s: row_heights(self._raw[s]) for s in fitted}

    def render(self, plan: Plan, numbers: UnitNumbers, identity: dict) -> bytes:
        """The regional workbook of ``plan`` (same shape), its numbers and identity."""
        values = self.values(plan, numbers, identity)
        xml = {s: self.sheets[s].render(values[s]) for s in RENDERED}
        if self.widths is not None:
            with self.widths.lock:
                fitted = self.widths.widths(plan, {ASSUMPTIONS: values[ASSUMPTIONS]})
                heights = self.widths.heights()
            for sheet, widths in fitted.items():
                if sheet not in self._widths:
                    continue
                changed = {c: w for c, w in widths.items() if self._widths[sheet].get(c) != w}
                taller = {r: h for r, h in heights.get(sheet, {}).items() if self._heights[sheet].get(r) != h}
                if changed or taller:
                    xml[sheet] = patch_heights(patch_widths(xml.get(sheet, self._raw[sheet]), changed), taller)
        cached = {}
        if self.capture.store is not None and self.capture.cached_values is not None:
            cached = self.capture.cached_values(plan, self.layout, None, self.capture.subtitles)
        replace = {}
        for sheet, part in self.parts.items():
            stored = cached.get(sheet) or {}
            if sheet not in xml and not stored and sheet not in self._valued:
                continue  # the template's own part, unchanged
            text = xml.get(sheet, self._raw[sheet])
            if self.capture.store is not None:
                text = self.capture.store(text, stored)
            replace[part] = text.encode("utf-8")
        return self.package.assemble(replace)

    def values(self, plan: Plan, numbers: UnitNumbers, identity: dict) -> dict[str, dict]:
        """Sheet -> the (row, col) -> value of every input cell a unit renders."""
        if capacity_for(plan) != self.layout.capacity:
            raise TemplateError("the plan has another shape than the template")
        return {ASSUMPTIONS: input_values(plan, self.layout),
                META: meta_values(plan, self.layout, numbers, identity),
                BOTTOM_UP: bottom_up_cells(plan, numbers)}


_SHEET = re.compile(r'<sheet [^>]*?name="([^"]*)"[^>]*?r:id="([^"]+)"')
_REL = re.compile(r'<Relationship [^>]*?(?:Id="([^"]+)"[^>]*?Target="([^"]+)"|Target="([^"]+)"[^>]*?Id="([^"]+)")')


def sheet_parts(package: Package) -> dict[str, str]:
    """Sheet name -> its part in the package (from xl/workbook.xml and its relationships)."""
    from xml.sax.saxutils import unescape

    workbook = package.read("xl/workbook.xml").decode("utf-8")
    rels = package.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    targets = {}
    for m in _REL.finditer(rels):
        rid, target = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        targets[rid] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return {unescape(name, {"&quot;": '"', "&apos;": "'"}): targets[rid]
            for name, rid in _SHEET.findall(workbook) if rid in targets}


# ------------------------------------------------------------------------ building a unit


def normal_build(job: UnitJob) -> tuple[Plan, bytes]:
    """A unit's workbook built by the library (validated plan, engine numbers checked)."""
    plan, data, _ = _normal_build(job, capture=False)
    return plan, data


def _normal_build(job: UnitJob, capture: bool) -> tuple[Plan, bytes, Capture | None]:
    plan = unit_plan(job.document)
    t = target_units(plan)
    if not engine_numbers(t).same_as(job.numbers):
        raise AopError(f"{job.unit.key}: the unit's numbers differ from the engine's for its plan (a bug in "
                       "aop_xl; the workbook is not written)")
    if not capture:
        return plan, regional_bytes(plan, job.numbers, job.identity), None
    data, seen = build_capturing(regional_bytes, plan, job.numbers, job.identity)
    return plan, data, seen


def probe_job(job: UnitJob) -> UnitJob:
    """A unit of the same shape with every value of its own changed (see the module's text)."""
    doc = json.loads(json.dumps(job.document))
    suffix = " (probe)"
    region = doc["regions"][0]
    old_name = region["name"]
    region["name"] = old_name + suffix
    markets = ("core", "growth", "new")
    region["market"] = markets[(markets.index(region["market"]) + 1) % 3]
    if region.get("product_mix"):
        region["product_mix"] = {k: v + 1 for k, v in region["product_mix"].items()}
    season = doc.get("seasonality", {})
    if season.get("months"):
        season["months"] = [w + 1 for w in season["months"]]
    for rep in doc.get("reps", []):
        rep["name"] += suffix
        rep["region"] = region["name"]
        rep["share"] = rep.get("share", 1) + 0.5
    for item in doc.get("budget", []):
        item["item"] += suffix
        item["amount"] = item["amount"] + 1
        if item.get("region") == old_name:
            item["region"] = region["name"]
    header = doc["plan"]
    unit_size = header.get("unit", 0.01)
    header["total_target"] = round(header.get("total_target", 0) + 7 * unit_size, 6)
    plan = unit_plan(doc)
    numbers = engine_numbers(target_units(plan))
    unit = Unit(job.unit.kind, doc["reps"][0]["name"] if job.unit.kind == "rep" else region["name"], region["name"])
    identity = dict(job.identity, unit=unit.name, region=unit.region, issue=(job.identity.get("issue") or 0) + 1,
                    topdown_hash=topdown_hash(plan, numbers))
    identity["mac"] = identity_mac(b"probe", identity)
    return UnitJob(unit, doc, numbers, identity, job.shape)


def prove_template(job: UnitJob, plan: Plan, data: bytes, capture: Capture | None = None) -> ShapeTemplate:
    """The template of ``job``'s shape (``data``: its normal build), proven on a probe.

    Raises:
        TemplateError: the probe shows that rendering would not give the normal build's bytes
            (the message says where).
    """
    template = ShapeTemplate(data, Layout(capacity_for(plan)), capture)
    if template.render(plan, job.numbers, job.identity) != data:
        raise TemplateError("rendering the template's own unit does not give its bytes")
    try:
        probe = probe_job(job)
        probe_plan, probe_data = normal_build(probe)
    except AopError as exc:
        raise TemplateError(f"the probe cannot be built ({exc})") from None
    other = Package(probe_data)
    mine = Package(template.render(probe_plan, probe.numbers, probe.identity))
    diff = [n for n in template.package.names if mine.read(n) != other.read(n)]
    if diff:
        sheets = {part: sheet for sheet, part in template.parts.items()}
        raise TemplateError(f"the rendering differs from the builder's output in {', '.join(sheets.get(n, n) for n in diff)}")
    return template


@dataclass
class ShapeProof:
    """The first unit of a shape, built normally, and whether its bytes serve as the shape's
    template (``template``) or why not (``reason``)."""

    result: UnitResult
    template: bytes | None = None
    reason: str | None = None


def prove_shape(job: UnitJob, fast: bool = True) -> ShapeProof:
    """Build the first unit of a shape normally and, with ``fast``, prove it as the template."""
    result = UnitResult(job.unit)
    try:
        plan, result.data, seen = _normal_build(job, capture=fast)
    except AopError as exc:
        result.error = str(exc)
        return ShapeProof(result, reason="its first unit could not be built")
    if not fast:
        return ShapeProof(result, reason="the fast path is off")
    try:
        template = prove_template(job, plan, result.data, seen)
    except TemplateError as exc:
        return ShapeProof(result, reason=str(exc))
    with _lock:  # this process renders the shape's other units without building it again
        _remember(job.shape, template)
    return ShapeProof(result, template=result.data)


_templates: OrderedDict[str, ShapeTemplate] = OrderedDict()


def build_units(jobs: list[UnitJob], template: tuple[UnitJob, bytes] | None = None) -> list[UnitResult]:
    """Build a batch of units' workbooks of one shape (in a worker process, or in this one).

    Args:
        jobs: the units (one shape).
        template: the unit the shape's template was built from and its proven bytes
            (:func:`prove_shape`); None builds every unit normally.

    Returns:
        One :class:`UnitResult` per job: its bytes, or the reason it could not be built (the
        others go on).
    """
    out = []
    shape = None
    for job in jobs:
        result = UnitResult(job.unit)
        try:
            if template is None:
                _, result.data = normal_build(job)
            else:
                plan = Plan.model_validate(job.document)
                over = workbook_limit_problems(_counts(plan))
                if over:
                    raise PlanError([f"{job.unit.key}: {p}" for p in over])
                if shape is None:
                    shape = _template(job.shape, template, plan)
                result.data, result.fast = shape.render(plan, job.numbers, job.identity), True
        except AopError as exc:
            result.error = str(exc)
        except (TemplateError, ValueError) as exc:
            result.error = f"{job.unit.key}: {exc}"
        out.append(result)
    return out


def _template(key: str, template: tuple[UnitJob, bytes], plan: Plan) -> ShapeTemplate:
    # One template per shape and process, the most recently used kept. The template's unit is
    # built again here (what its build shows serves the others); a builder that gave other
    # bytes this time would not be deterministic, and is not trusted.
    job, data = template
    with _lock:
        hit = _templates.get(key)
        if hit is None or hit.data != data:
            _, built, seen = _normal_build(job, capture=True)
            if built != data:
                raise TemplateError("the template's unit built twice gave different bytes")
            hit = ShapeTemplate(data, Layout(capacity_for(plan)), seen)
        _remember(key, hit)
        return hit


def _remember(key: str, template: ShapeTemplate) -> None:
    # Under _lock: keep the most recently used templates.
    _templates[key] = template
    _templates.move_to_end(key)
    while len(_templates) > TEMPLATE_CACHE:
        _templates.popitem(last=False)


def _counts(plan: Plan) -> dict[str, int]:
    return {"regions": len(plan.regions), "products": len(plan.products), "reps": len(plan.reps),
            "budget": len(plan.budget), "kpis": len(plan.kpis), "tiers": len(plan.commission.tiers)}
