"""Reconcile a round, and approve it.

:func:`reconcile_round` compares the master's top-down targets with the round's bottom-up
(:func:`aop_xl.cycle.proposals.round_bottom_up`) at every level with the engine's
:func:`aop_xl.engine.reconcile.reconcile`: total, region, product, month and each region x
product x month line, plus the company's quarters; flags gaps beyond the tolerance, and
re-splits the chosen proposal (keep, accept, blend, scale) exactly to the unit. The result
goes to the master's Reconcile sheet and, for other tools, to ``reconcile/gaps.csv``,
``reconcile/proposal.csv`` and ``reconcile/reconcile.json``.

:func:`approve_round` records the decision (the last reconciliation, provided nothing was
collected since) and locks the round.
"""

from __future__ import annotations

import csv
import inspect
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from aop_xl.cycle.proposals import round_bottom_up
from aop_xl.cycle.regional import canonical, sha256
from aop_xl.cycle.round import RECONCILE_DIR, Round, RoundError
from aop_xl.engine.reconcile import Reconciliation, reconcile
from aop_xl.files import display, write_atomic
from aop_xl.workbook.reports import topdown_series

DEFAULT_TOLERANCE = inspect.signature(reconcile).parameters["tolerance"].default
QUARTER_OF_MONTH = ("Q1", "Q1", "Q1", "Q2", "Q2", "Q2", "Q3", "Q3", "Q3", "Q4", "Q4", "Q4")


@dataclass(frozen=True)
class RoundReconciliation:
    """A round's reconciliation and where it was written."""

    result: Reconciliation
    tolerance: float
    alpha: float
    answered: int
    units: int
    files: list[Path]
    master: Path | None

    def lines(self, unit: float) -> list[str]:
        r = self.result
        decimals = max(0, -int(math.floor(math.log10(unit)))) if unit < 1 else 0

        def money(x: float) -> str:
            return f"{x:,.{decimals}f}"

        out = [f"top-down {money(r.total_topdown)}, bottom-up {money(r.total_bottomup)} (gap "
               f"{money(r.total_bottomup - r.total_topdown)}); {len(r.flagged)} of {len(r.gaps)} lines outside "
               f"{self.tolerance:.1%}; proposal ({r.method}) {money(r.total_proposal)}",
               f"{self.answered} of {self.units} units have an accepted proposal; the top-down stands for the others"]
        out += [f"wrote {display(p)}" for p in ([self.master] if self.master else []) + self.files]
        return out


def _inputs_hash(bu: pd.Series) -> str:
    return sha256(canonical([[list(map(str, k)) for k in bu.index], bu.round(9).tolist()]))


def reconcile_round(rnd: Round, method: str = "keep", tolerance: float | None = None, alpha: float = 0.5, *,
                    update_master: bool = True) -> RoundReconciliation:
    """Reconcile the round's top-down and bottom-up (see the module's text).

    Args:
        rnd: the open round.
        method: "keep", "accept", "blend" or "scale".
        tolerance: the largest |gap %| accepted (None: the engine's 5%).
        alpha: the weight of top-down in "blend".
        update_master: rebuild the master workbook with its Bottom-up and Reconcile sheets
            (off for the ribbon, which writes them into the open workbook).

    Raises:
        PlanError: a bad method, tolerance or alpha (the engine's message).
        RoundError: the round is locked or busy.
    """
    tolerance = DEFAULT_TOLERANCE if tolerance is None else tolerance
    with rnd.locked():
        rnd.refuse_if_locked()
        plan = rnd.plan
        bottom_up = round_bottom_up(rnd)
        td = topdown_series(plan)
        rec = reconcile(td, bottom_up.values, tolerance=tolerance, method=method, alpha=alpha, unit=plan.plan.unit)
        rec = _with_quarters(rec, td, bottom_up.values, tolerance, plan.plan.unit)
        files = _write_files(rnd, rec, tolerance, alpha)
        master = None
        if update_master:
            from aop_xl.cycle.master import write_master

            master = write_master(rnd, (rec, tolerance, alpha))
        rnd.ledger.append("reconciled", None, method=method, tolerance=tolerance,
                          alpha=alpha if method == "blend" else None, total_topdown=rec.total_topdown,
                          total_bottomup=rec.total_bottomup, total_proposal=rec.total_proposal,
                          flagged=int(len(rec.flagged)), bottomup_sha256=_inputs_hash(bottom_up.values),
                          proposal_sha256=sha256(files[1].read_bytes()), answered=bottom_up.answered,
                          units=bottom_up.units)
        return RoundReconciliation(rec, tolerance, alpha, bottom_up.answered, bottom_up.units, files, master)


def _with_quarters(rec: Reconciliation, td: pd.Series, bu: pd.Series, tolerance: float, unit: float) -> Reconciliation:
    # The company's quarters as a level of its own, between the products and the months.
    months = list(dict.fromkeys(td.index.get_level_values("month")))
    quarter = {m: QUARTER_OF_MONTH[i] for i, m in enumerate(months)}

    def by_quarter(s: pd.Series) -> pd.Series:
        return s.groupby(s.index.get_level_values("month").map(quarter)).sum().rename_axis("month")

    q = reconcile(by_quarter(td), by_quarter(bu), tolerance=tolerance, unit=unit).gaps
    q = q[q["level"] == "detail"].assign(level="quarter", region=None, product=None)
    gaps = rec.gaps
    at = int((gaps["level"] != "month").values.argmin()) if (gaps["level"] == "month").any() else len(gaps)
    rows = pd.concat([gaps.iloc[:at], q[gaps.columns], gaps.iloc[at:]], ignore_index=True)
    return Reconciliation(rows, rec.proposal, rec.method, rec.total_topdown, rec.total_bottomup, rec.total_proposal)


def _cell(value):
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _csv_text(value):
    # Text a spreadsheet would take for a formula stays text; JSON carries it exactly.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _write_files(rnd: Round, rec: Reconciliation, tolerance: float, alpha: float) -> list[Path]:
    folder = rnd.path(RECONCILE_DIR)
    gaps = rec.gaps
    columns = ["level", "region", "product", "month", "topdown", "bottomup", "gap", "gap_pct", "within_tolerance",
               "flag"]
    rows = [{c: _cell(r[c]) for c in columns} for _, r in gaps.iterrows()]
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    w.writerows({k: _csv_text(v) for k, v in row.items()} for row in rows)
    gaps_path = folder / "gaps.csv"
    write_atomic(gaps_path, out.getvalue().encode("utf-8"), error=RoundError)
    detail = gaps[gaps["level"] == "detail"]
    proposal = []
    for _, r in detail.iterrows():
        key = (r["region"], r["product"], r["month"])
        proposal.append({"region": r["region"], "product": r["product"], "month": r["month"],
                         "topdown": _cell(r["topdown"]), "bottomup": _cell(r["bottomup"]),
                         "proposal": float(rec.proposal.loc[key])})
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=list(proposal[0]) if proposal else ["region"], lineterminator="\n")
    w.writeheader()
    w.writerows({k: _csv_text(v) for k, v in row.items()} for row in proposal)
    proposal_path = folder / "proposal.csv"
    write_atomic(proposal_path, out.getvalue().encode("utf-8"), error=RoundError)
    doc = {"round_id": rnd.id, "method": rec.method, "tolerance": tolerance,
           "alpha": alpha if rec.method == "blend" else None, "total_topdown": rec.total_topdown,
           "total_bottomup": rec.total_bottomup, "total_proposal": rec.total_proposal,
           "flagged": int(len(rec.flagged)), "gaps": rows, "proposal": proposal}
    json_path = folder / "reconcile.json"
    write_atomic(json_path, (json.dumps(doc, ensure_ascii=False, indent=1, allow_nan=False) + "\n").encode("utf-8"),
                 error=RoundError)
    return [gaps_path, proposal_path, json_path]


def approve_round(rnd: Round) -> dict:
    """Record the decision (the last reconciliation) and lock the round.

    Returns:
        The decision recorded.

    Raises:
        RoundError: the round is locked already, was never reconciled, or files were collected
            (or the plan revised) after the last reconciliation.
    """
    with rnd.locked():
        rnd.refuse_if_locked()
        entries = rnd.ledger.entries()
        last = next((i for i in range(len(entries) - 1, -1, -1) if entries[i]["action"] == "reconciled"), None)
        if last is None:
            raise RoundError(f"{display(rnd.folder)}: reconcile the round before approving it "
                             "(`aop-xl reconcile ROUND_DIR`)")
        decision = entries[last]["data"]
        changed = [e for e in entries[last + 1:] if e["action"] in ("accepted", "distributed", "plan revised")]
        if changed or _inputs_hash(round_bottom_up(rnd).values) != decision["bottomup_sha256"]:
            raise RoundError(f"{display(rnd.folder)}: the round changed after the last reconciliation (files "
                             "accepted or distributed since); reconcile again, then approve")
        proposal = rnd.folder / RECONCILE_DIR / "proposal.csv"
        if not proposal.is_file() or sha256(proposal.read_bytes()) != decision["proposal_sha256"]:
            raise RoundError(f"{display(proposal)}: missing or changed since the reconciliation; reconcile again")
        rnd.ledger.append("round approved", None, **decision)
        for key in rnd.units():
            rnd.ledger.append("approved", key)
        for key in rnd.units():
            rnd.ledger.append("locked", key)
        rnd.ledger.append("round locked", None)
        return decision
