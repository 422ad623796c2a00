"""A regional workbook: the standard workbook of one region's (or rep's) slice of the plan.

A unit of the round (a region, or a rep) gets the standard AOP workbook of its own plan: one
region, all of the company's products, its reps, its budget lines, and the numbers it was
given as its inputs, so that every formula of the standard workbook stays live:

- the total target is the unit's top-down total;
- the month weights are the unit's monthly targets in whole units (reduced by their greatest
  common divisor), so its months and quarters are the master's exactly;
- the region's product mix is the unit's product totals in whole units (reduced alike), so
  its product totals are the master's exactly;
- its reps keep their shares, so base and challenge quotas are the master's exactly.

What a one-region plan cannot carry is the inside of the master's tables: the master fills
each region's product x month table (and its reps' months) against the company's
seasonality, the regional workbook against the region's own months, so a cell may differ from
the master's by a unit or two while every margin above agrees. :func:`margin_differences`
says where a unit's margins would not agree (month or product totals beyond 2^31 units,
where the engine keeps nine significant digits of a weight); docs/round.md explains both.

The identity of an issued workbook (round, unit, issue number, the hash of its top-down
numbers) is written on the hidden meta sheet with a MAC made with the round's secret key, so
a returned file whose numbers or identity were edited is recognised even though anyone can
recompute a plain hash.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from dataclasses import dataclass
from functools import reduce
from typing import Any

import numpy as np
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from aop_xl.engine.calendar import fiscal_month_names
from aop_xl.cycle.numbers import UnitMargins, UnitNumbers
from aop_xl.engine.exact import WEIGHT_SUM_REDUCE
from aop_xl.engine.targets import TargetUnits, rep_cells, target_units
from aop_xl.errors import PlanError
from aop_xl.plan import Plan, plan_from_dict
from aop_xl.units import from_units
from aop_xl.workbook.build import workbook_bytes, workbook_for
from aop_xl.workbook.layout import (BOTTOM_UP, META, MONTHS, REPORT_STAMP_ROW, REPORT_TITLE_ROW, ROUND_KEYS,
                                    Layout, bottom_up_table, capacity_for, round_identity_table)
from aop_xl.workbook.styles import Styles, Writer, unit_decimals

KINDS = ("region", "rep")
#: What the identity's MAC is made over, and the version of that message.
MAC_PURPOSE = "aop-xl/round-identity/1"
BOTTOM_UP_TITLE = "Bottom-up proposals"


@dataclass(frozen=True)
class Unit:
    """What one workbook of the round is issued for: a region, or a rep (with its region)."""

    kind: str
    name: str
    region: str

    @property
    def key(self) -> str:
        """The unit as the ledger names it: ``region:East``, ``rep:An Nguyen``."""
        return f"{self.kind}:{self.name}"


def round_units(plan: Plan, kind: str) -> list[Unit]:
    """Every unit of a round distributed by region or by rep, in plan order.

    Raises:
        PlanError: an unknown kind, or ``rep`` for a plan without reps.
    """
    if kind not in KINDS:
        raise PlanError(f"--by: must be one of {', '.join(KINDS)}, got {kind!r}")
    if kind == "region":
        return [Unit("region", r.name, r.name) for r in plan.regions]
    if not plan.reps:
        raise PlanError("--by rep: the plan has no reps")
    return [Unit("rep", r.name, r.region) for r in plan.reps]


def canonical(value: Any) -> bytes:
    """The canonical JSON of a value (sorted keys, compact, UTF-8): what hashes are made of."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ------------------------------------------------------------------------ the unit's plan


def check_round_plan(plan: Plan) -> None:
    """Refuse a plan that a round cannot split into one-region plans.

    A unit's workbook plans its region alone: a rep who changes region during the year has
    quotas in two regions, which no one-region plan can hold.

    Raises:
        PlanError: a rep moves to another region.
    """
    for k, rep in enumerate(plan.reps):
        if rep.moves:
            raise PlanError(f'reps[{k}].moves: "{rep.name}" changes region during the year; a planning round '
                            "plans each region on its own, so enter moves in the approved plan (docs/round.md)")


class RoundSlices:
    """The master's numbers once, and each unit's plan document from them.

    Args:
        plan: the round's (master) plan.
        kind: "region" or "rep".
    """

    def __init__(self, plan: Plan, kind: str):
        check_round_plan(plan)
        self.plan = plan
        self.kind = kind
        self.units = round_units(plan, kind)
        self.t = target_units(plan)
        self._per_rep = rep_cells(plan, self.t) if kind == "rep" else None
        self._base = plan.model_dump(mode="json", exclude_none=True)
        # Indexes, so that a round of thousands of units takes each one in constant time.
        self._region_at = {name: i for i, name in enumerate(plan.region_names)}
        self._rep_at = {name: k for k, name in enumerate(plan.rep_names)}
        self._reps_of: dict[str, list[int]] = {}
        for k, rep in enumerate(plan.reps):
            self._reps_of.setdefault(rep.region, []).append(k)
        self._budget_of: dict[str, list[dict]] = {}
        for item in self._base.get("budget", []):
            if item.get("region") is not None:
                self._budget_of.setdefault(item["region"], []).append(item)

    def document(self, unit: Unit) -> dict:
        """The plan document (as :func:`aop_xl.plan.plan_from_dict` takes it) of a unit."""
        plan, t, base = self.plan, self.t, self._base
        i = self._region_at[unit.region]
        if unit.kind == "region":
            total = int(t.regions[i])
            months = t.region_months[i]
            products = t.region_products[i]
            reps = [base["reps"][k] for k in self._reps_of.get(unit.region, [])]
            budget = list(self._budget_of.get(unit.region, []))
        else:
            k = self._rep_at[unit.name]
            total = int(t.rep_base[k])
            months = t.rep_base_months[k]
            products = self._per_rep[k].sum(axis=1)
            reps = [{"name": unit.name, "region": unit.region, "share": 1}]
            budget = []
        unit_size = plan.plan.unit
        header = {k: v for k, v in base["plan"].items() if k not in ("prior_year_revenue", "growth")}
        header["total_target"] = from_units(total, unit_size)
        region = {k: v for k, v in base["regions"][i].items()
                  if k not in ("weight", "prior_year_revenue", "growth", "target", "product_mix")}
        region["weight"] = 1
        doc = {**base, "plan": header, "reps": reps, "budget": budget, "kpis": []}
        if total != 0:
            # Beyond 2^31 units the engine would round these weights to nine digits; the plan's
            # own seasonality and mix then come closer (within a unit or two).
            weights = _reduced(months)
            if sum(weights) <= WEIGHT_SUM_REDUCE:
                doc["seasonality"] = {"months": weights}
            weights = _reduced(products)
            if sum(weights) <= WEIGHT_SUM_REDUCE:
                region["product_mix"] = dict(zip(plan.product_names, weights))
            elif base["regions"][i].get("product_mix") is not None:
                region["product_mix"] = base["regions"][i]["product_mix"]
        doc["regions"] = [region]
        return doc

    def margins(self, unit: Unit) -> UnitMargins:
        """What the master gives the unit: its total, months, product totals and reps' quotas."""
        plan, t = self.plan, self.t
        i = self._region_at[unit.region]
        if unit.kind == "region":
            reps = self._reps_of.get(unit.region, [])
            return UnitMargins(abs(int(t.regions[i])), np.abs(t.region_months[i]), np.abs(t.region_products[i]),
                               np.abs(t.rep_base[reps]), t.sign)
        k = self._rep_at[unit.name]
        return UnitMargins(abs(int(t.rep_base[k])), np.abs(t.rep_base_months[k]),
                           np.abs(self._per_rep[k].sum(axis=1)), np.abs(t.rep_base[[k]]), t.sign)

    def margin_differences(self, unit: Unit, tr: TargetUnits) -> list[str]:
        """Where the unit's own plan does not give the master's margins (normally none)."""
        plan, t = self.plan, self.t
        i = self._region_at[unit.region]
        if unit.kind == "region":
            reps = self._reps_of.get(unit.region, [])
            want = {"total": t.regions[i], "months": t.region_months[i], "products": t.region_products[i],
                    "base quotas": t.rep_base[reps], "challenge quotas": t.rep_challenge[reps]}
        else:
            k = self._rep_at[unit.name]
            want = {"total": t.rep_base[k], "months": t.rep_base_months[k],
                    "products": self._per_rep[k].sum(axis=1), "base quotas": t.rep_base[[k]],
                    "challenge quotas": t.rep_challenge[[k]]}
        got = {"total": tr.total, "months": tr.region_months[0], "products": tr.region_products[0],
               "base quotas": tr.rep_base, "challenge quotas": tr.rep_challenge}
        out = []
        for what, expected in want.items():
            diff = np.abs(np.asarray(got[what], dtype=np.int64) - np.asarray(expected, dtype=np.int64))
            if diff.size and diff.max() > 0:
                out.append(f"{what} differ from the master's by up to {int(diff.max())} unit(s)")
        return out


def _reduced(units) -> list[int]:
    # Whole-unit weights divided by their greatest common divisor: the same shares, the most
    # headroom below the engine's 2^31 bound on a split's weights.
    values = [abs(int(v)) for v in np.asarray(units).reshape(-1)]
    g = reduce(math.gcd, values, 0) or 1
    return [v // g for v in values]


def unit_plan(document: dict) -> Plan:
    """The validated plan of a unit's document."""
    return plan_from_dict(document)


# ------------------------------------------------------------------------ identity


def topdown_numbers(plan: Plan | dict, numbers: UnitNumbers) -> list:
    """The top-down numbers a regional workbook carries, in whole units: its product x month
    cells and its reps' base and challenge months (what the identity's hash covers).

    Args:
        plan: the unit's plan, or its document (the same numbers either way).
        numbers: the unit's numbers.
    """
    if isinstance(plan, dict):
        unit = float(plan["plan"].get("unit", 0.01))
        names = ([r["name"] for r in plan["regions"]], [p["name"] for p in plan["products"]],
                 [r["name"] for r in plan.get("reps", [])])
    else:
        unit, names = plan.plan.unit, (plan.region_names, plan.product_names, plan.rep_names)
    return [1, unit, names[0], names[1], numbers.cells.tolist(), names[2], numbers.base_months.tolist(),
            numbers.challenge_months.tolist()]


def topdown_hash(plan: Plan | dict, numbers: UnitNumbers) -> str:
    """sha256 of :func:`topdown_numbers` (canonical JSON)."""
    return sha256(canonical(topdown_numbers(plan, numbers)))


def identity_mac(key: bytes, identity: dict) -> str:
    """HMAC-SHA256, with the round's key, of every identity field but the MAC itself."""
    message = canonical([MAC_PURPOSE, *[identity.get(k) for k in ROUND_KEYS if k != "mac"]])
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def make_identity(key: bytes, round_id: str, company: str, year: int | str, unit: Unit, issue: int,
                  td_hash: str) -> dict:
    """The identity written into a unit's workbook (with its MAC)."""
    identity = {"round_id": round_id, "company": company, "year": str(year), "kind": unit.kind, "unit": unit.name,
                "region": unit.region, "issue": issue, "topdown_hash": td_hash}
    identity["mac"] = identity_mac(key, identity)
    return identity


def mac_ok(key: bytes, identity: dict) -> bool:
    """True when the identity's MAC is the one the round's key gives."""
    return hmac.compare_digest(str(identity.get("mac") or ""), identity_mac(key, identity))


# ------------------------------------------------------------------------ the workbook


def bottom_up_values(plan: Plan, numbers: UnitNumbers) -> list[list]:
    """The Bottom-up block's rows: region, product, the 12 months (pre-filled with the unit's
    top-down targets, as amounts), and an empty comment."""
    region = plan.regions[0].name
    cells = from_units(numbers.cells, plan.plan.unit)
    return [[region, p, *np.asarray(cells[j], dtype=float).tolist(), None] for j, p in enumerate(plan.product_names)]


def regional_workbook(plan: Plan, numbers: UnitNumbers, identity: dict):
    """The regional workbook as an openpyxl Workbook (not saved): the standard workbook of the
    unit's plan, its Bottom-up input sheet, and the round identity on the meta sheet.

    Args:
        plan: the unit's plan (:meth:`RoundSlices.document`, validated).
        numbers: the unit's top-down numbers (``engine_numbers(target_units(plan))``).
        identity: :func:`make_identity`.
    """
    wb = workbook_for(plan)
    layout = Layout(capacity_for(plan))
    styles = Styles(wb, plan.plan.currency, unit_decimals(plan.plan.unit))
    ws = wb.create_sheet(BOTTOM_UP, wb.sheetnames.index(META))
    _bottom_up_sheet(ws, Writer(ws, styles), plan, numbers)
    ws.protection.sheet = True
    ws.protection.formatColumns = ws.protection.formatRows = False
    _identity_rows(Writer(wb[META], styles), layout, identity)
    return wb


def regional_bytes(plan: Plan, numbers: UnitNumbers, identity: dict) -> bytes:
    """The regional workbook's .xlsx bytes, built normally (the reference of the fast path)."""
    return workbook_bytes(regional_workbook(plan, numbers, identity))


def _bottom_up_sheet(ws, w: Writer, plan: Plan, numbers: UnitNumbers) -> None:
    table = bottom_up_table(len(plan.products))
    w.label(REPORT_TITLE_ROW, 1, BOTTOM_UP_TITLE, "title")
    w.label(REPORT_STAMP_ROW, 1, "Your proposal per product and month (yellow cells, pre-filled with your top-down "
                                 "targets) and a comment per line. Numbers only; save as .xlsx and send the file back.",
            "subtitle")
    w.label(table.title_row, 1, table.title, "section")
    labels = {"region": "Region", "product": "Product", "comment": "Comment"}
    labels.update(zip(MONTHS, fiscal_month_names(plan.plan.fiscal_year_start)))
    for key, text in labels.items():
        w.label(table.header_row, table.col(key), text, "header")
    for j, row in enumerate(bottom_up_values(plan, numbers)):
        r = table.row(j)
        w.text(r, table.col("region"), row[0], "calc_text")
        w.text(r, table.col("product"), row[1], "calc_text")
        for m, key in enumerate(MONTHS):
            w.value(r, table.col(key), row[2 + m], "input_amount")
        w.text(r, table.col("comment"), row[-1], "input_long")
    dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                        showErrorMessage=True)
    dv.add(table.area(MONTHS[0], last=MONTHS[-1]))
    ws.add_data_validation(dv)
    ws.freeze_panes = f"C{table.first_row}"
    widths = {table.col("region"): 18, table.col("product"): 24, table.col("comment"): 48}
    widths.update({table.col(k): 13 for k in MONTHS})
    for col, width in sorted(widths.items()):
        ws.column_dimensions[get_column_letter(col)].width = width


def _identity_rows(w: Writer, layout: Layout, identity: dict) -> None:
    table = round_identity_table(layout)
    w.label(table.title_row, 1, table.title, "meta")
    for i, key in enumerate(ROUND_KEYS):
        w.label(table.row(i), table.col("key"), key, "meta")
        value = identity[key]
        if isinstance(value, str):
            w.text(table.row(i), table.col("value"), value, "meta")
        else:
            w.value(table.row(i), table.col("value"), value, "meta")
