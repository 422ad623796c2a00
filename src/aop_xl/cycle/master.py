"""The round's master workbook: the standard workbook of the round's plan, with the round's
Bottom-up sheet (the collected proposals) and, once reconciled, the Reconcile sheet.

The master is rebuilt from the round's files whenever they change (``round init``,
``collect``, ``reconcile``, ``distribute --plan``), so it is always the builder's own output
plus the two sheets, written through the same functions the ribbon's macros use on the
workbook open in Excel (:class:`aop_xl.workbook.book.Book`). A plan beyond the limits of a
workbook has no master: the round then works on the CSV and JSON files alone.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from openpyxl import Workbook

from aop_xl.cycle.outputs import write_output
from aop_xl.cycle.proposals import BottomUp, round_bottom_up
from aop_xl.cycle.round import Round, RoundError
from aop_xl.engine.calendar import fiscal_month_names
from aop_xl.engine.reconcile import Reconciliation
from aop_xl.limits import workbook_limit_problems
from aop_xl.plan import Plan
from aop_xl.workbook.book import Book, OpenpyxlBook
from aop_xl.workbook.build import workbook_bytes, workbook_for
from aop_xl.workbook.layout import BOTTOM_UP, MONTHS, SUMMARY, bottom_up_table
from aop_xl.workbook.reports import stamp, write_reconcile


class _MemoryBook(OpenpyxlBook):
    # The workbook interface over a workbook being built in memory, so that the master's sheets
    # are written by the same functions the macros use on an open workbook; nothing is read
    # back from disk, and the bytes come from the builder's own serialisation.
    def __init__(self, wb: Workbook, path: Path):
        self._path = Path(path)
        self._wb = wb
        self._values = {}
        self._calculated = False
        self._changed = True


def master_problems(plan: Plan) -> list[str]:
    """Why the plan has no master workbook (beyond a workbook's limits), or an empty list."""
    return workbook_limit_problems({"regions": len(plan.regions), "products": len(plan.products),
                                    "reps": len(plan.reps), "budget": len(plan.budget), "kpis": len(plan.kpis),
                                    "tiers": len(plan.commission.tiers)})


def write_round_bottom_up(book: Book, plan: Plan, bottom_up: BottomUp) -> None:
    """(Re)write the Bottom-up sheet of a round's master: one line per region x product with the
    proposals (or the top-down where none is accepted), the comment and where the line came from.

    The sheet keeps the block of :func:`aop_xl.workbook.layout.bottom_up_table`, so the
    Reconcile button reads it as it reads a Bottom-up sheet typed by hand.
    """
    table = bottom_up_table(len(plan.regions) * len(plan.products))
    months = fiscal_month_names(plan.plan.fiscal_year_start)
    values = bottom_up.values.to_numpy().reshape(len(plan.regions), len(plan.products), 12)
    book.add_sheet(BOTTOM_UP, after=_after(book))
    rows: list[list] = [[None] * table.col("source") for _ in range(table.last_row)]
    rows[0][0] = "Bottom-up proposals"
    rows[1][0] = stamp(plan, f"Collected by the planning round: {bottom_up.answered} of {bottom_up.units} "
                             "units' proposals accepted; the top-down targets stand for the others.")
    rows[table.title_row - 1][0] = table.title
    header = rows[table.header_row - 1]
    for key, label in {"region": "Region", "product": "Product", "comment": "Comment", "source": "Source",
                       **dict(zip(MONTHS, months))}.items():
        header[table.col(key) - 1] = label
    n = 0
    for i, region in enumerate(plan.regions):
        for j, product in enumerate(plan.products):
            row = rows[table.row(n) - 1]
            row[table.col("region") - 1] = region.name
            row[table.col("product") - 1] = product.name
            for m, key in enumerate(MONTHS):
                row[table.col(key) - 1] = float(values[i, j, m])
            row[table.col("comment") - 1] = bottom_up.comments.get((region.name, product.name))
            row[table.col("source") - 1] = bottom_up.sources.get((region.name, product.name))
            n += 1
    book.write(BOTTOM_UP, "A1", rows)
    book.style(BOTTOM_UP, "A1", "title")
    book.style(BOTTOM_UP, "A2", "note")
    book.style(BOTTOM_UP, f"A{table.title_row}", "bold")
    first, last = table.letter(MONTHS[0]), table.letter(MONTHS[-1])
    book.style(BOTTOM_UP, f"A{table.header_row}:{table.letter('source')}{table.header_row}", "header")
    book.style(BOTTOM_UP, f"{first}{table.first_row}:{last}{table.last_row}", "input")
    book.style(BOTTOM_UP, f"{first}{table.first_row}:{last}{table.last_row}", "amount")
    book.autofit(BOTTOM_UP)


def _after(book: Book) -> str | None:
    return SUMMARY if SUMMARY in book.sheet_names() else None


def master_bytes(rnd: Round, reconciliation: tuple[Reconciliation, float, float] | None = None) -> bytes:
    """The master workbook's bytes: the plan's standard workbook, the round's Bottom-up sheet,
    and the Reconcile sheet when ``reconciliation`` (result, tolerance, alpha) is given."""
    plan = rnd.plan
    wb = workbook_for(plan)
    book = _MemoryBook(wb, rnd.master_path)
    write_round_bottom_up(book, plan, round_bottom_up(rnd))
    if reconciliation is not None:
        rec, tolerance, alpha = reconciliation
        write_reconcile(book, plan, rec, tolerance, alpha)
    return workbook_bytes(wb)


def write_master(rnd: Round, reconciliation: tuple[Reconciliation, float, float] | None = None) -> Path | None:
    """Rebuild the master workbook in the round folder (atomically); None when the plan has no
    master (:func:`master_problems`).

    Raises:
        RoundError: the master is open in another program, or cannot be written.
    """
    plan = rnd.plan
    if master_problems(plan):
        return None
    data = master_bytes(rnd, reconciliation)
    path = rnd.master_path
    write_output(path, data, error=RoundError)
    rnd.ledger.append("master written", file=path.name, sha256=hashlib.sha256(data).hexdigest())
    return path
