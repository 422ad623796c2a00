"""The whole planning round on real files, through the command line, every number checked
against the engine.

init; distribute the sample plan by region; managers fill their workbooks (one through
LibreOffice); the plan is revised, so one region's first workbook is stale; collect in two
batches with a stale, a tampered, a duplicate, a foreign and a malformed file among them;
reconcile; approve; verify the ledger.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from aop_cli import aop_xl
from libreoffice import require_soffice
from openpyxl import load_workbook
from test_cycle_support import SAMPLE, edit_cells, write_plan

from aop_xl import engines
from aop_xl.cycle.distribute import distribute
from aop_xl.cycle.round import init_round
from aop_xl.engine.reconcile import reconcile
from aop_xl.plan import plan_from_dict
from aop_xl.workbook.layout import (BOTTOM_UP, MONTHS, PARAM_KEYS, RECONCILE, Layout, bottom_up_table, capacity_for,
                                    reconcile_table)
from aop_xl.workbook.reports import topdown_series

P = len(SAMPLE.products)


def _edit(data: bytes, proposals: dict[int, list[float]], comments: dict[int, str] | None = None,
          months: dict[tuple[int, str], object] | None = None) -> bytes:
    table = bottom_up_table(P)
    cells = {}
    for j, values in proposals.items():
        for m, key in enumerate(MONTHS):
            cells[(table.row(j), table.col(key))] = values[m]
    for j, text in (comments or {}).items():
        cells[(table.row(j), table.col("comment"))] = text
    for (j, key), value in (months or {}).items():
        cells[(table.row(j), table.col(key))] = value
    return edit_cells(data, BOTTOM_UP, cells)


def _row(base: float, j: int) -> list[float]:
    return [round(base * (1 + 0.01 * m) + 1000 * j, 2) for m in range(12)]


@pytest.mark.libreoffice
def test_a_whole_round_on_real_files(tmp_path):
    require_soffice()
    run = lambda *args: aop_xl(*args, cwd=tmp_path)  # noqa: E731
    r = tmp_path / "round"
    assert run("round", "init", "-o", "round").returncode == 0
    out = run("distribute", "round", "--workers", "2")
    assert out.returncode == 0 and out.stdout.startswith("4 of 4 workbooks written"), out.stdout + out.stderr
    outbox = r / "outbox"
    issued = {name: (outbox / f"AOP_2027_{name}.xlsx").read_bytes() for name in ("East", "West", "South", "Central")}

    # Managers answer.
    east = {j: _row(200_000, j) for j in range(P)}
    west = {0: _row(150_000, 0), 3: _row(50_000, 3)}
    south_a = {1: _row(90_000, 1)}
    south_b = {1: _row(95_000, 1)}
    central = {5: _row(10_000, 5)}
    inbox1, inbox2 = tmp_path / "inbox1", tmp_path / "inbox2"
    inbox1.mkdir()
    inbox2.mkdir()
    (inbox1 / "East.xlsx").write_bytes(_edit(issued["East"], east, {0: "=launch in Q2 (text, not a formula)"}))
    west_file = tmp_path / "west" / "West.xlsx"
    west_file.parent.mkdir()
    west_file.write_bytes(_edit(issued["West"], west, {3: "two reps leave in June"}))
    (inbox1 / "West.xlsx").write_bytes(engines.libreoffice_recalc([west_file], tmp_path / "lo")[west_file].read_bytes())
    (inbox1 / "South.xlsx").write_bytes(_edit(issued["South"], south_a))
    (inbox1 / "Central-old.xlsx").write_bytes(_edit(issued["Central"], central))

    # The plan is revised: Central gets a launch budget, so it is issued again.
    revised = SAMPLE.model_dump(mode="json")
    revised["budget"].append({"item": "Central roadshow", "category": "promotions", "kind": "one_time",
                              "amount": 25_000, "months": None, "start_month": 4, "region": "Central"})
    out = run("distribute", "round", "--plan", str(write_plan(plan_from_dict(revised), tmp_path / "revised.json")))
    assert out.returncode == 0 and out.stdout.startswith("1 of 4 workbooks written"), out.stdout
    central_new = (outbox / "AOP_2027_Central.xlsx").read_bytes()
    assert central_new != issued["Central"]
    (inbox1 / "Central.xlsx").write_bytes(_edit(central_new, central, months={(2, "m04"): "12%"}))  # malformed

    first = run("collect", "round", str(inbox1))
    assert first.returncode == 1
    states = _states(first.stdout)
    assert states == {"Central-old.xlsx": "stale", "Central.xlsx": "malformed", "East.xlsx": "accepted",
                      "South.xlsx": "accepted", "West.xlsx": "accepted"}, first.stdout
    assert "'Bottom-up'!" in first.stdout and "\"12%\" is text" in first.stdout

    # The second batch: corrections, a second South, an edited top-down, another round's file.
    (inbox2 / "Central-fixed.xlsx").write_bytes(_edit(central_new, central))
    (inbox2 / "South-v2.xlsx").write_bytes(_edit(issued["South"], south_b))
    lay = Layout(capacity_for(_unit_plan(SAMPLE, "South")))
    total = (lay.params.row(PARAM_KEYS.index("total_target")), lay.params.col("value"))
    (inbox2 / "South-edited.xlsx").write_bytes(edit_cells(_edit(issued["South"], south_b), "Assumptions",
                                                          {total: 7_000_000.0}))
    other = init_round(None, tmp_path / "other")
    distribute(other, "region", workers=1)
    shutil.copy(other.folder / "outbox" / "AOP_2027_East.xlsx", inbox2 / "East-other-round.xlsx")
    second = run("collect", "round", str(inbox1), str(inbox2))
    assert second.returncode == 1
    states = _states(second.stdout)
    assert states == {"Central-old.xlsx": "stale", "Central.xlsx": "malformed", "East.xlsx": "accepted",
                      "South.xlsx": "accepted", "West.xlsx": "accepted", "Central-fixed.xlsx": "accepted",
                      "South-v2.xlsx": "duplicate", "South-edited.xlsx": "tampered",
                      "East-other-round.xlsx": "foreign"}, second.stdout
    assert second.stdout.count("(collected before)") == 5

    status = json.loads(run("round", "status", "round", "--json").stdout)
    assert {u["unit"]: (u["state"], u["issue"]) for u in status["units"]} == {
        "East": ("accepted", 1), "West": ("accepted", 1), "South": ("accepted", 1), "Central": ("accepted", 2)}

    out = run("reconcile", "round", "--method", "scale", "--tolerance", "0.03")
    assert out.returncode == 0, out.stderr

    # Every number against the engine.
    plan = plan_from_dict(revised)
    td = topdown_series(plan)
    expected = np.zeros((len(plan.regions), P, 12))
    for i, (region, rows) in enumerate((("East", east), ("West", west), ("South", south_a), ("Central", central))):
        assert plan.region_names[i] == region
        issued_topdown = _unit_topdown(plan, region)  # what the workbook was pre-filled with
        for j in range(P):
            expected[i, j] = rows.get(j, issued_topdown[j])
    bu = pd.Series(expected.reshape(-1), index=td.index, name="bottomup")
    want = reconcile(td, bu, tolerance=0.03, method="scale", unit=plan.plan.unit)
    doc = json.loads((r / "reconcile" / "reconcile.json").read_text(encoding="utf-8"))
    assert doc["method"] == "scale" and doc["tolerance"] == 0.03
    assert doc["total_topdown"] == want.total_topdown == 24_000_000
    assert doc["total_bottomup"] == pytest.approx(want.total_bottomup, abs=1e-6)
    assert doc["total_proposal"] == want.total_proposal
    got = pd.DataFrame(doc["proposal"]).set_index(["region", "product", "month"])
    assert np.array_equal(got["topdown"].to_numpy(), td.to_numpy())
    assert np.allclose(got["bottomup"].to_numpy(), bu.to_numpy(), rtol=0, atol=1e-9)
    assert np.array_equal(got["proposal"].to_numpy(), want.proposal.to_numpy())
    assert doc["flagged"] == int((~want.gaps["within_tolerance"]).sum()) + _quarters_flagged(doc)

    # The master: its Bottom-up sheet holds the proposals and comments, its Reconcile sheet the result.
    master = load_workbook(r / "AOP_2027.xlsx")
    table = bottom_up_table(len(plan.regions) * P)
    sheet = master[BOTTOM_UP]
    for i, region in enumerate(plan.region_names):
        for j, product in enumerate(plan.product_names):
            row = table.row(i * P + j)
            assert [sheet.cell(row, table.col("region")).value, sheet.cell(row, table.col("product")).value] == \
                   [region, product]
            assert [sheet.cell(row, table.col(k)).value for k in MONTHS] == pytest.approx(
                expected[i, j].tolist(), abs=1e-9)
    assert sheet.cell(table.row(0), table.col("comment")).value == "=launch in Q2 (text, not a formula)"
    assert sheet.cell(table.row(0), table.col("comment")).data_type == "s"
    assert sheet.cell(table.row(P + 3), table.col("comment")).value == "two reps leave in June"
    rec = master[RECONCILE]
    gaps = reconcile_table(len(doc["gaps"]))
    detail = [n for n, g in enumerate(doc["gaps"]) if g["level"] == "detail"]
    proposal = [rec.cell(gaps.row(n), gaps.col("proposal")).value for n in detail]
    assert proposal == want.proposal.tolist()

    out = run("round", "approve", "round")
    assert out.returncode == 0 and "approved" in out.stdout, out.stderr
    assert run("round", "verify", "round").returncode == 0
    status = json.loads(run("round", "status", "round", "--json").stdout)
    assert status["locked"] and {u["state"] for u in status["units"]} == {"locked"}
    late = run("collect", "round", str(inbox2))
    assert late.returncode == 2 and "approved and locked" in late.stderr


def _states(stdout: str) -> dict[str, str]:
    out = {}
    for line in stdout.splitlines():
        head = line.split(": ", 2)
        if len(head) >= 2 and head[0].split(" (")[0] in ("accepted", "stale", "foreign", "tampered", "duplicate",
                                                          "malformed"):
            out[Path(head[1].split(" [")[0]).name] = head[0].split(" (")[0]
    return out


def _unit_plan(plan, region: str):
    from aop_xl.cycle.regional import RoundSlices, Unit, unit_plan

    return unit_plan(RoundSlices(plan, "region").document(Unit("region", region, region)))


def _unit_topdown(plan, region: str) -> list[list[float]]:
    from aop_xl.engine.targets import target_units
    from aop_xl.units import from_units

    plan = _unit_plan(plan, region)
    return np.asarray(from_units(target_units(plan).cells[0], plan.plan.unit), dtype=float).tolist()


def _quarters_flagged(doc) -> int:
    return sum(1 for g in doc["gaps"] if g["level"] == "quarter" and not g["within_tolerance"])
