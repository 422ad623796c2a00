"""Sample CRM data for demos and tests: a realistic, deterministic export of a plan's deals.

:func:`sample_actuals` invents the deals a CRM would export for a plan: the whole prior year
and the first months of the plan year, one row per deal line, under the headers a CRM
export has (``Deal ID``, ``Close Date``, ``Account Name`` ...). What makes it realistic:

- sales follow the plan's monthly quotas (so the seasonality), with noise;
- most reps land near their quota, one far ahead and one far behind;
- returns (a later line with a negative amount), split deals (two reps, 60/40), new and
  existing customers, customers of the prior year who do not come back (churn), a rep of the
  prior year who has left, sales cycles, complaints and NPS answers on some lines;
- reps sell only in the months they cover (``reps[].start``, ``end``), in the region they are
  in that month (``moves``).

The data depends only on the plan (the random generator is seeded from its company and year):
the same plan gives the same rows, and the rows of a month do not depend on how many months
are written, so month 3 of a 3-month file equals month 3 of a 12-month file.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
from pathlib import Path

import numpy as np
import pandas as pd

from aop_xl.engine.commission import rep_year
from aop_xl.engine.targets import target_units
from aop_xl.errors import PlanError
from aop_xl.plan import Plan
from aop_xl.units import from_units

#: The export's headers, as a CRM names them (docs/actuals.md recognises them all).
HEADERS = ("Deal ID", "Close Date", "Created Date", "Region", "Product", "Sales Rep", "Account Name", "Amount",
           "Type", "Returned", "Split %", "Complaint", "NPS")
#: A rep of the prior year who has left (not in the plan): their lines carry their region.
FORMER_REP = "Former rep (left)"
#: Performance of most reps, the one far ahead and the one far behind (sales / quota).
NORMAL_PERFORMANCE, AHEAD, BEHIND = (0.92, 1.08), 1.45, 0.55
RETURN_SHARE, SPLIT_SHARE, CHURN_SHARE, NEW_CUSTOMER_SHARE = 0.03, 0.03, 0.06, 0.15
COMPLAINT_SHARE, NPS_SHARE = 0.04, 0.3
CUSTOMERS_PER_REP = 18
PRIOR_YEAR_GROWTH = 0.14

_SYLLABLES = ("an", "bel", "cor", "dal", "en", "fal", "gro", "hal", "in", "jor", "kel", "lum", "mar", "nor",
              "ost", "pra", "quin", "ros", "sel", "tor", "ul", "ver", "wes", "yar", "zen")
_SUFFIXES = ("Ltd", "GmbH", "Sp. z o.o.", "JSC", "Inc.", "S.A.", "Co.", "Group", "Partners", "Trading")


def _generator(plan: Plan, *salt: object) -> np.random.Generator:
    text = "|".join([plan.plan.company, str(plan.plan.year), *map(str, salt)])
    seed = int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")
    return np.random.Generator(np.random.PCG64(seed))


def _customer_name(rng: np.random.Generator, taken: set[str]) -> str:
    while True:
        word = "".join(rng.choice(_SYLLABLES, size=int(rng.integers(2, 4))))
        name = f"{word.capitalize()} {rng.choice(_SUFFIXES)}"
        if name not in taken:
            taken.add(name)
            return name


def _month_dates(plan: Plan, fy: int, period: int) -> tuple[int, int]:
    y, m = plan.plan.period_month(period + (12 * fy)).split("-")
    return int(y), int(m)


def sample_actuals(plan: Plan, months: int = 12, *, prior_year: bool = True) -> pd.DataFrame:
    """A CRM export of invented deals: the prior year and fiscal months 1..``months``.

    Args:
        plan: a validated plan with reps.
        months: fiscal months of the plan year to include (0..12).
        prior_year: include the twelve months of the year before (for growth and churn).

    Returns:
        One row per deal line with the columns :data:`HEADERS` (text and numbers as a CSV
        export holds them), in date order.

    Raises:
        PlanError: a plan without reps, or ``months`` outside 0..12.

    Examples:
        >>> from aop_xl import load_plan
        >>> rows = sample_actuals(load_plan(), 2)
        >>> rows.columns[:4].tolist(), bool((rows["Close Date"] < "2027-03-01").all())
        (['Deal ID', 'Close Date', 'Created Date', 'Region'], True)
    """
    if not plan.reps:
        raise PlanError("reps: the plan has no reps to invent deals for")
    if isinstance(months, bool) or not isinstance(months, (int, np.integer)) or not 0 <= months <= 12:
        raise PlanError(f"months: must be 0 to 12 months of the plan year, got {months!r}")
    rows = _year(plan)
    keep = (rows["fy"] == 0) & (rows["period"] <= months)
    if prior_year:
        keep |= rows["fy"] == -1
    out = rows.loc[keep].sort_values(["Close Date", "seq"], kind="stable")
    return out.loc[:, list(HEADERS)].reset_index(drop=True)


def _year(plan: Plan) -> pd.DataFrame:
    # Every line of both years, each month drawn from its own seeded generator so that a month
    # does not depend on the months after it.
    unit = plan.plan.unit
    y = rep_year(plan)
    base = np.asarray(from_units(y.base_months, unit), dtype=float).reshape(len(plan.reps), 12)
    t = target_units(plan)
    full = np.asarray(from_units(np.asarray(t.rep_base_months, dtype=np.int64), unit), dtype=float).reshape(
        len(plan.reps), 12)
    products = plan.product_names
    mix = np.asarray(plan.product_weights(), dtype=float)
    mix = mix / mix.sum() if mix.sum() > 0 else np.full(len(products), 1 / len(products))
    setup = _generator(plan, "setup")
    n = len(plan.reps)
    performance = setup.uniform(*NORMAL_PERFORMANCE, size=n)
    if n >= 2:
        performance[1 % n] = AHEAD
        performance[n - 2] = BEHIND
    # Customers: each rep has its own, some new this year, some of the prior year churned.
    taken: set[str] = set()
    customers = []
    for i in range(n + 1):
        for _ in range(CUSTOMERS_PER_REP):
            status = setup.random()
            customers.append({"rep": i, "name": _customer_name(setup, taken),
                              "new": status < NEW_CUSTOMER_SHARE,
                              "churned": NEW_CUSTOMER_SHARE <= status < NEW_CUSTOMER_SHARE + CHURN_SHARE,
                              "nps": int(setup.integers(-40, 90)), "size": float(setup.lognormal(0, 0.35)),
                              "last": int(setup.integers(2, 10))})
    avg_order = max(float(full.sum()) / max(n, 1) / 12 / 13, 10 * unit)
    lines = []
    deal_no = 0
    departed_region = plan.reps[0].region
    for fy in (-1, 0):
        for period in range(1, 13):
            rng = _generator(plan, "month", fy, period)
            year, month = _month_dates(plan, fy, period)
            for i in range(n + 1):
                if i < n:
                    rep = plan.reps[i].name
                    if fy == 0:
                        if not y.covered[i, period - 1]:
                            continue
                        region = plan.region_names[y.region[i, period - 1]]
                        goal = base[i, period - 1] * performance[i]
                    else:
                        region = plan.reps[i].region
                        goal = full[i, period - 1] / (1 + PRIOR_YEAR_GROWTH)
                else:  # the rep who left in the middle of the prior year
                    if fy == 0 or period > 6:
                        continue
                    rep, region = FORMER_REP, departed_region
                    goal = 0.6 * float(full.mean(axis=0)[period - 1]) / (1 + PRIOR_YEAR_GROWTH)
                # The departed rep's customers went to the first rep.
                owners = (i, n) if (fy == 0 and i == 0) else (i,)
                # A churned customer buys in the prior year up to its last month, then never.
                mine = [c for c in customers if c["rep"] in owners and not (fy == -1 and c["new"])
                        and not (c["churned"] and (fy == 0 or period > c["last"]))]
                goal *= rng.uniform(0.85, 1.15)
                count = max(int(round(goal / avg_order)), 1 if goal > 0 else 0)
                sizes = rng.lognormal(0, 0.5, size=count)
                amounts = goal * sizes / sizes.sum() if count else sizes
                for k in range(count):
                    deal_no += 1
                    c = mine[int(rng.integers(len(mine)))]
                    amount = round(float(amounts[k]) * c["size"], 2)
                    day = int(rng.integers(1, 29))
                    close = _dt.date(year, month, day)
                    created = close - _dt.timedelta(days=int(rng.integers(15, 95)))
                    product = products[int(rng.choice(len(products), p=mix))]
                    recurring = not (c["new"] and fy == 0) and rng.random() > 0.05
                    kind = "Renewal" if recurring and rng.random() < 0.6 else ("Upsell" if recurring else "New Business")
                    row = {"Deal ID": f"D-{fy + 1}{deal_no:06d}", "Close Date": close.isoformat(),
                           "Created Date": created.isoformat(), "Region": region, "Product": product,
                           "Sales Rep": rep, "Account Name": c["name"], "Amount": f"{amount:.2f}", "Type": kind,
                           "Returned": "", "Split %": "", "Complaint": "yes" if rng.random() < COMPLAINT_SHARE else "",
                           "NPS": str(c["nps"]) if rng.random() < NPS_SHARE else "", "fy": fy, "period": period}
                    partner = _partner(plan, y, i, fy, period, region, rng)
                    if partner is not None and rng.random() < SPLIT_SHARE:
                        lines.append({**row, "Split %": "60"})
                        lines.append({**row, "Sales Rep": partner, "Split %": "40", "Complaint": "", "NPS": ""})
                    else:
                        lines.append(row)
                    if rng.random() < RETURN_SHARE:
                        back = close + _dt.timedelta(days=int(rng.integers(3, 20)))
                        p_back = plan.plan.period_of(back.year, back.month)
                        p_back = p_back if fy == 0 else p_back + 12
                        covered = fy == -1 or i == n or (p_back <= 12 and y.covered[i, p_back - 1])
                        if p_back <= 12 and covered:
                            share = round(amount * float(rng.choice([1.0, 0.5, 0.25])), 2)
                            lines.append({**row, "Deal ID": f"R-{fy + 1}{deal_no:06d}", "Close Date": back.isoformat(),
                                          "Created Date": back.isoformat(), "Amount": f"-{share:.2f}",
                                          "Returned": "yes", "Type": kind, "Complaint": "", "NPS": "",
                                          "period": p_back})
    out = pd.DataFrame(lines)
    out["seq"] = np.arange(len(out))
    return out


def _partner(plan: Plan, y, i: int, fy: int, period: int, region: str, rng) -> str | None:
    # Another rep of the same region that month, to share a deal with.
    if fy != 0 or i >= len(plan.reps):
        return None
    names = plan.region_names
    others = [j for j in range(len(plan.reps)) if j != i and y.covered[j, period - 1]
              and names[y.region[j, period - 1]] == region]
    return plan.reps[others[int(rng.integers(len(others)))]].name if others else None


def write_sample(rows: pd.DataFrame, path: str | Path) -> bytes:
    """The bytes of a sample export in the format of ``path``: CSV (UTF-8), or XLSX by suffix."""
    if Path(path).suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        from aop_xl.workbook.build import FIXED_TIME, workbook_bytes

        wb = Workbook()
        ws = wb.active
        ws.title = "Deals"
        ws.append(list(rows.columns))
        numeric = {"Amount", "Split %", "NPS"}
        dates = {"Close Date", "Created Date"}
        for record in rows.itertuples(index=False):
            out = []
            for name, value in zip(rows.columns, record):
                if value == "":
                    out.append(None)
                elif name in numeric:
                    out.append(float(value))
                elif name in dates:
                    out.append(_dt.date.fromisoformat(value))
                else:
                    out.append(value)
            ws.append(out)
        for cell in ws["B"][1:] + ws["C"][1:]:
            cell.number_format = "yyyy-mm-dd"
        wb.properties.created = wb.properties.modified = FIXED_TIME
        return workbook_bytes(wb)
    buffer = io.StringIO()
    rows.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue().encode("utf-8")
