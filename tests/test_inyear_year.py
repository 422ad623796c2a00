"""A year simulated month by month on sample actuals.

Each month the CRM's export of that month is loaded into the workbook (the prior year with
January), and the statements are issued at the end of each quarter (which records the payments
as made). After every load:

- every statement and payment equals an independent computation: the deals credited by
  exact decimal arithmetic from the export's own text, quotas from the reference cube, and
  commission from the reference's fractions;
- the workbook's formulas, recalculated in LibreOffice, equal the engine's numbers: every
  statement, KPI, performance row, customer and mover of the In-year sheet, and the movers the
  Summary lists.

At the end, every rep's payments add up to the commission on the year's sales (or to the
draws, where they are more). The plan has a rep who joins in April with a draw and a rep who
moves region in July.
"""

from __future__ import annotations

import math
import shutil
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import reference as ref
from aop_xl.cycle.inyear import in_year_layout, load_into, read_year
from aop_xl.cycle.sample_actuals import sample_actuals, write_sample
from aop_xl.cycle.statements import write_statements
from aop_xl.plan import plan_from_dict
from aop_xl.workbook.book import OpenpyxlBook
from aop_xl.workbook.build import build_workbook
from aop_xl.workbook.layout import IN_YEAR, SUMMARY, Layout, capacity_for, summary_movers

from libreoffice import Recalculated, recalc, require_soffice
from tests_helpers import sample_dict


def year_plan() -> dict:
    data = sample_dict()
    data["reps"].append({"name": "Mai Pham", "region": "South", "share": 1, "start": "2027-04", "draw": 2_000})
    for rep in data["reps"]:
        if rep["name"] == "Bao Tran":
            rep["moves"] = [{"month": "2027-07", "region": "West"}]
    return data


def toml_of(data: dict) -> str:
    # The plan as TOML, just enough for this plan's keys.
    def value(v):
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + " }"
        return repr(v)

    out = []
    for key, section in data.items():
        if isinstance(section, list):
            for member in section:
                out.append(f"[[{key}]]")
                out += [f"{k} = {value(v)}" for k, v in member.items()]
        else:
            out.append(f"[{key}]")
            out += [f"{k} = {value(v)}" for k, v in section.items()]
    return "\n".join(out) + "\n"


def credited(rows: pd.DataFrame, plan) -> np.ndarray:
    """Sales credited per rep and fiscal month of the plan year, from the export's text alone:
    amounts as exact decimals, returns negative, split deals by the reference's split."""
    out = np.zeros((len(plan.reps), 12), dtype=object)
    out[:] = Fraction(0)
    h = plan.plan
    for deal, lines in rows.groupby("Deal ID", sort=False):
        first = lines.iloc[0]
        y, m, _ = first["Close Date"].split("-")
        period = h.period_of(int(y), int(m))
        if not 1 <= period <= 12:
            continue
        amount = Decimal(first["Amount"])
        if lines["Split %"].iloc[0]:
            parts = ref.split(amount, [Decimal(s) for s in lines["Split %"]], unit=Decimal("0.01"),
                              allow_negative=True)
            credits = [Fraction(p, 100) for p in parts]
        else:
            credits = [Fraction(amount)]
        for (_, line), credit in zip(lines.iterrows(), credits):
            out[plan.rep_names.index(line["Sales Rep"]), period - 1] += credit
    return out


class Simulation:
    def __init__(self, folder: Path):
        self.folder = folder
        self.data = year_plan()
        self.plan = plan_from_dict(self.data)
        (folder / "plan.toml").write_text(toml_of(self.data), encoding="utf-8")
        self.workbook = build_workbook(self.plan, folder / "AOP_2027.xlsx")
        self.rows = sample_actuals(self.plan, 12)
        self.sales = credited(self.rows, self.plan)
        self.copies: list[Path] = []
        self.numbers = []
        self.lines: list[pd.DataFrame] = []
        cube = ref.cube(self.data)
        self.base_months = np.array(cube.rep_base_months, dtype=object)
        self.chal_months = np.array(cube.rep_challenge_months, dtype=object)


@pytest.fixture(scope="module")
def sim(tmp_path_factory) -> Simulation:
    s = Simulation(tmp_path_factory.mktemp("year"))
    h = s.plan.plan
    dates = s.rows["Close Date"].str[:7]
    for k in range(1, 13):
        month = h.period_month(k)
        part = s.rows[(dates == month) | ((dates < h.period_month(1)) if k == 1 else False)]
        path = s.folder / f"crm-{month}.csv"
        path.write_bytes(write_sample(part, path))
        result = load_into(s.workbook, [path], as_of=month, plan_file=s.folder / "plan.toml" if k == 1 else None)
        assert result.written and not result.report.failed, result.report.problems[:5]
        assert result.report.loaded.rows == len(part)
        s.lines.append(result.lines)
        s.numbers.append(result.numbers)
        copy = s.folder / f"month-{k:02d}.xlsx"
        shutil.copyfile(s.workbook, copy)
        s.copies.append(copy)
        if k % 3 == 0:
            out = write_statements(s.workbook, s.folder / f"statements-{k:02d}", pdf=False)
            assert not out.failures and out.recorded == len(s.plan.reps)
    s.final = read_year(OpenpyxlBook(s.workbook))  # with the fourth quarter's payments recorded
    return s


def independent_payments(s: Simulation, k: int) -> dict[str, list[tuple[str, Fraction, Fraction]]]:
    """Per rep, each payout period to month k: (period, YTD commission, payment), from the
    export's text, the reference cube and the reference commission, with the quarters before
    k paid as issued."""
    plan = s.plan
    c = s.data.get("commission", {})
    tiers = [(t["floor"], t["rate"]) for t in c["tiers"]]
    sales = s.sales
    h = plan.plan
    out = {}
    for i, rep in enumerate(plan.reps):
        first = h.month_period(rep.start) if rep.start else 1
        covered = [first <= m + 1 for m in range(12)]
        base = sum(Fraction(int(u), 100) for u, cv in zip(s.base_months[i], covered) if cv)
        chal = sum(Fraction(int(u), 100) for u, cv in zip(s.chal_months[i], covered) if cv)
        draw = Fraction(int(rep.draw or 0))
        ends = [e for e in (3, 6, 9, 12) if e <= k] + ([k] if k % 3 else [])
        paid, rows = Fraction(0), []
        for end in ends:
            ytd = sum(sales[i, :end], Fraction(0))
            earned = ref.round_half_away(ref.commission(ytd, base, chal, tiers=tiers) * 100)
            guarantee = draw * sum(covered[:end]) * 100
            due = max(Fraction(earned), guarantee)
            rows.append((f"Q{(end - 1) // 3 + 1}", Fraction(earned, 100), (due - paid) / 100))
            if end % 3 == 0:
                paid = due
        out[rep.name] = rows
    return out


def test_every_statement_and_payment_equals_the_independent_computation(sim):
    for k in range(1, 13):
        expected = independent_payments(sim, k)
        st = sim.numbers[k - 1].statements
        for rep, rows in expected.items():
            mine = st[st.rep == rep]
            assert mine["period"].tolist() == [p for p, _, _ in rows], (k, rep)
            assert mine["ytd_commission"].tolist() == pytest.approx([float(e) for _, e, _ in rows], abs=1e-9), (k, rep)
            assert mine["payment"].tolist() == pytest.approx([float(p) for _, _, p in rows], abs=1e-9), (k, rep)
    # The new rep joins in April: no quota or sales before; her draw tops up her first quarter.
    st = sim.numbers[5].statements
    mai = st[st.rep == "Mai Pham"].set_index("period")
    assert mai.loc["Q1", ["ytd_sales", "ytd_base_quota", "payment"]].tolist() == [0, 0, 0]
    assert mai.loc["Q2", "guarantee"] == 6_000 and mai.loc["Q2", "paid_to_date"] >= 6_000
    # Bao Tran counts for East in the first half and for West after the move.
    assert sim.numbers[11].statements.set_index(["rep", "period"]).loc[("Bao Tran", "Q2"), "region"] == "East"
    assert sim.numbers[11].statements.set_index(["rep", "period"]).loc[("Bao Tran", "Q3"), "region"] == "West"


def test_the_years_payments_add_up_to_the_commission_on_the_years_sales(sim):
    st = sim.numbers[-1].statements
    sales = sim.sales
    c = sim.data["commission"]
    tiers = [(t["floor"], t["rate"]) for t in c["tiers"]]
    y = sim.final
    for i, rep in enumerate(sim.plan.reps):
        mine = st[st.rep == rep.name]
        first = sim.plan.plan.month_period(rep.start) if rep.start else 1
        base = sum(Fraction(int(u), 100) for m, u in enumerate(sim.base_months[i]) if m + 1 >= first)
        chal = sum(Fraction(int(u), 100) for m, u in enumerate(sim.chal_months[i]) if m + 1 >= first)
        year = Fraction(ref.round_half_away(ref.commission(sum(sales[i], Fraction(0)), base, chal, tiers=tiers)
                                            * 100), 100)
        draws = Fraction(int(rep.draw or 0)) * (13 - first)
        assert mine["payment"].sum() == pytest.approx(float(max(year, draws)), abs=1e-6), rep.name
        # The payments recorded as made, one a quarter, add up the same.
        assert sorted(y.payments[rep.name]) == [3, 6, 9, 12]
        assert sum(y.payments[rep.name].values()) == pytest.approx(float(max(year, draws)), abs=1e-6), rep.name
    # The sample has a rep far ahead of quota and one far behind.
    attainment = st[st.end == 12].set_index("rep")["attainment"]
    assert attainment.max() > 1.3 and attainment.min() < 0.7


def _close(got, want, rel: float = 1e-9) -> bool:
    if want is None or (isinstance(want, float) and math.isnan(want)):
        return got is None
    if isinstance(want, (str, bool, np.bool_)):
        return got == want
    return got is not None and not isinstance(got, str) and abs(got - want) <= 1e-6 + rel * abs(want)


@pytest.fixture(scope="module")
def recalculated(sim, tmp_path_factory) -> dict[Path, Path]:
    """Each month's workbook recalculated by LibreOffice (one run)."""
    require_soffice()
    return recalc(sim.copies, tmp_path_factory.mktemp("recalculated"))


@pytest.mark.libreoffice
def test_every_formula_is_saved_with_its_value(sim, recalculated):
    # What a reader that does not calculate sees (the values saved with the formulas) is what
    # LibreOffice calculates: every formula of the Actuals and In-year sheets, and the
    # template's formulas that carry a value.
    from openpyxl import load_workbook

    sm = summary_movers(Layout(capacity_for(sim.plan)))
    movers = {sm.cell(key, i) for i in range(sm.rows) for key in sm.columns}
    for k in (3, 7, 12):
        copy = sim.copies[k - 1]
        saved, calculated = Recalculated(copy), Recalculated(recalculated[copy])
        wb = load_workbook(copy)
        differ, without, count = [], [], 0
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    if c.data_type != "f":
                        continue
                    got, want = saved.value(ws.title, c.coordinate), calculated.value(ws.title, c.coordinate)
                    count += 1
                    if got is None:
                        if (ws.title in ("Actuals", IN_YEAR) or ws.title == SUMMARY and c.coordinate in movers) \
                                and want is not None:
                            without.append(f"{ws.title}!{c.coordinate}")
                    elif not _close(got, want):
                        differ.append(f"{ws.title}!{c.coordinate}: saved {got!r}, calculated {want!r}")
        assert not without, (k, len(without), without[:10])
        assert not differ, (k, len(differ), differ[:10])
        assert count > 5000


@pytest.mark.libreoffice
def test_the_workbook_formulas_equal_the_engine_every_month(sim, recalculated):
    done = recalculated
    mismatches, compared = [], 0
    sm = summary_movers(Layout(capacity_for(sim.plan)))
    for k, copy in enumerate(sim.copies, start=1):
        rc = Recalculated(done[copy])
        errors = [e for e in rc.errors() if "In-year" in e or "Actuals" in e]
        assert not errors, (k, errors[:5])
        n, lines = sim.numbers[k - 1], sim.lines[k - 1]
        iy = in_year_layout(sim.plan, len(lines), len(set(lines["customer"])))

        def check(where: str, cell: str, want, sheet: str = IN_YEAR) -> None:
            nonlocal compared
            compared += 1
            got = rc.value(sheet, cell)
            if not _close(got, want):
                mismatches.append(f"month {k} {where} {cell}: workbook {got!r}, engine {want!r}")

        now = n.statements[n.statements.end == k].reset_index(drop=True)
        keys = {"region": "region", "period": "period", "ytd_sales": "ytd_sales", "ytd_quota": "ytd_base_quota",
                "base": "base_quota", "challenge": "challenge_quota", "attainment": "attainment",
                "ytd_attainment": "ytd_attainment", "band": "band", "marginal": "commission_marginal",
                "retroactive": "commission_retroactive", "ytd_commission": "ytd_commission",
                "guarantee": "guarantee", "paid_to_date": "paid_to_date", "paid_before": "paid_before",
                "payment": "payment", "draw_balance": "draw_balance"}
        for i, row in now.iterrows():
            for key, col in keys.items():
                check(f"statement {row['rep']} {key}", iy.statement.cell(key, i), row[col])
            check(f"statement {row['rep']} closed", iy.statement.cell("closed", i),
                  "closed" if row["closed"] else "open")
        perf = {"month_actual": "month_actual", "month_target": "month_target", "qtd_actual": "qtd_actual",
                "qtd_target": "qtd_target", "ytd_actual": "ytd_actual", "ytd_target": "ytd_target",
                "variance": "variance", "share": "share_of_variance", "attainment": "attainment", "lag": "lag",
                "status": "status", "py_ytd": "py_ytd_actual", "growth": "growth"}
        for dim, table in iy.performance.items():
            rows = n.review[n.review.dimension == dim].reset_index(drop=True)
            for i, row in rows.iterrows():
                for key, col in perf.items():
                    check(f"{dim} {row['member']} {key}", table.cell(key, i), row[col])
        for i, row in n.kpis.iterrows():
            for key in ("ytd_target", "actual", "variance", "lag", "status"):
                check(f"KPI {row['metric']} {key}", iy.kpis.cell(key, i), row[key])
        for i, row in n.customers.iterrows():
            for key, col in (("py_revenue", "py_revenue"), ("ytd_revenue", "ytd_revenue"), ("orders", "orders"),
                             ("frequency", "frequency"), ("value_ratio", "order_value_ratio"),
                             ("complaint_rate", "complaint_rate"), ("nps", "nps"), ("score", "score"),
                             ("tier", "tier"), ("action", "action")):
                check(f"customer {row['customer']} {key}", iy.customers.cell(key, i), row[col])
        for i, row in n.movers.iterrows():
            for key in ("dimension", "member", "variance"):
                check(f"mover {i + 1} {key}", iy.movers.cell(key, i), row[key])
                check(f"Summary mover {i + 1} {key}", sm.cell(key, i), row[key], SUMMARY)
            check(f"Summary mover {i + 1} rank", sm.cell("rank", i), float(i + 1), SUMMARY)
        assert not [e for e in rc.errors() if e.startswith(SUMMARY + "!")], (k, rc.errors()[:5])
    assert not mismatches, f"{len(mismatches)} of {compared} cells differ:\n" + "\n".join(mismatches[:40])
    assert compared > 12 * 1000
