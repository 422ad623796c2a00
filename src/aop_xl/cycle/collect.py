"""Collect returned regional workbooks: every file ends in exactly one state, with its reason.

Each file of the inboxes is read once, with python-calamine (the values cached in the file are
what the manager saw), as untrusted input (:mod:`aop_xl.cycle.untrusted`), and checked in this
order; the first check that fails decides its state:

1. **malformed**: not a readable .xlsx within the limits (an .xls, a renamed CSV, a zip bomb,
   macros, a sheet reaching too far);
2. **foreign**: not a regional workbook of this round (no round identity, another round or
   company);
3. **tampered**: the identity does not carry the round key's MAC (its region, issue or numbers
   were edited: the message names the cell, what was issued and what was found);
4. **stale**: an earlier issue of its unit (a later one was sent), or a unit no longer in the
   round;
5. **tampered**: a top-down input on Assumptions, or a top-down result on Targets or Quotas,
   differs from what was issued (sheet, cell, issued and found value);
6. **malformed**: the Bottom-up block is not as issued (a moved header block, a product line
   renamed) or a proposal is not a number >= 0 (``1,234`` or ``12%`` typed as text);
7. **duplicate**: its unit already has an accepted proposal from another file (the newer file
   wins only with ``replace``; the ledger keeps both);
8. **accepted**: its proposals and comments are stored and land in the master's Bottom-up sheet.

The ledger records each file (``returned``, then ``validated`` and ``accepted``, or
``rejected`` with the state and reason). A file already collected (same SHA-256) is reported
with its earlier outcome and never counted twice, so collect runs again as more files arrive.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import math
import os
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from python_calamine import CalamineWorkbook

from aop_xl.cycle.fastpath import input_values
from aop_xl.cycle.numbers import UnitNumbers, batch_numbers, engine_numbers
from aop_xl.cycle.outputs import FileInUse
from aop_xl.cycle import untrusted
from aop_xl.cycle.regional import RoundSlices, Unit, canonical, identity_mac, mac_ok, sha256, topdown_hash, unit_plan
from aop_xl.cycle.round import REPORTS, Round, RoundError
from aop_xl.cycle.untrusted import Malformed, check_extent, open_package
from aop_xl.engine.calendar import fiscal_month_names
from aop_xl.engine.targets import target_units
from aop_xl.errors import AopError
from aop_xl.files import display, write_atomic
from aop_xl.plan import Plan
from aop_xl.units import from_units
from aop_xl.workbook.layout import (ASSUMPTIONS, BOTTOM_UP, BOTTOM_UP_COMMENT_CHARS, META, META_KEYS, MONTHS,
                                    PARAM_KEYS, QUARTERS, QUOTAS, ROUND_KEYS, TARGETS, TEMPLATE_ID, Capacity, Layout,
                                    bottom_up_table, capacity_for, quote_sheetname)
from aop_xl.workbook.reader import RoundIdentity, round_identity_from_rows

OUTCOMES = ("accepted", "stale", "foreign", "tampered", "duplicate", "malformed")
#: Plan settings on Assumptions that decide the top-down numbers.
TOPDOWN_PARAMS = ("unit", "total_target", "prior_year_revenue", "growth", "challenge_uplift", "fiscal_year_start",
                  "allow_negative")
#: The parts a reader of a workbook parses besides its sheets, and the sheets collect reads.
_WORKBOOK_PARTS = frozenset({"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                             "xl/styles.xml", "xl/sharedStrings.xml"})
_READ = (META, ASSUMPTIONS, TARGETS, QUOTAS, BOTTOM_UP)
#: Differences named in a message before "and N more".
SHOWN = 5
#: Files judged between two flushes of the ledger to disk (a crash loses at most these
#: files' entries; collect judges them again on its next run).
SYNC_EVERY = 64
Progress = Callable[[str, int, int], None]


@dataclass
class Outcome:
    """What became of one returned file."""

    file: str
    sha256: str | None
    size: int
    state: str
    reason: str
    unit: str | None = None
    issue: int | None = None
    seen_before: bool = False


@dataclass
class CollectSummary:
    """Every file of a collect run, and the report files written."""

    outcomes: list[Outcome] = field(default_factory=list)
    reports: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every file (new in this run) was accepted."""
        return all(o.state == "accepted" for o in self.outcomes if not o.seen_before)

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in OUTCOMES}
        for o in self.outcomes:
            out[o.state] += 1
        return out

    def lines(self) -> list[str]:
        """The summary as the command prints it: one line per file, then the totals."""
        out = []
        for o in self.outcomes:
            again = " (collected before)" if o.seen_before else ""
            out.append(f"{o.state}{again}: {o.file}" + (f" [{o.unit}, issue {o.issue}]" if o.unit else "")
                       + (f": {o.reason}" if o.reason else ""))
        counts = ", ".join(f"{n} {s}" for s, n in self.counts().items() if n)
        out.append(f"{len(self.outcomes)} file(s): {counts or 'none'}")
        out += [f"note: {n}" for n in self.notes]
        out += [f"report: {display(p)}" for p in self.reports]
        return out


class _Reject(Exception):
    def __init__(self, state: str, reason: str, unit: str | None = None, issue: int | None = None):
        super().__init__(reason)
        self.state, self.reason, self.unit, self.issue = state, reason, unit, issue


def collect(rnd: Round, inboxes: list[str | os.PathLike], *, replace: bool = False, update_master: bool = True,
            progress: Progress | None = None) -> CollectSummary:
    """Collect returned workbooks into the round (see the module's text).

    Args:
        rnd: the open round.
        inboxes: files and folders (searched recursively) of returned workbooks.
        replace: a newer file for a unit already accepted replaces its proposals.
        update_master: rebuild the master workbook (off for the ribbon, which writes the open
            workbook instead).
        progress: called with (what, done, total).

    Returns:
        The :class:`CollectSummary` (a report is also written to the round's ``reports/``).

    Raises:
        RoundError: the round is locked or busy, or an inbox does not exist.
    """
    with rnd.locked():
        rnd.refuse_if_locked()
        files = _files(inboxes)
        summary = CollectSummary()
        seen = _seen(rnd)
        reader = _Reader(rnd)
        try:
            for n, path in enumerate(files, start=1):
                summary.outcomes.append(_one(rnd, reader, path, seen, replace))
                if n % SYNC_EVERY == 0:
                    rnd.ledger.sync()
                if progress:
                    progress(path.name, n, len(files))
        finally:
            rnd.ledger.sync()
        accepted = any(o.state == "accepted" and not o.seen_before for o in summary.outcomes)
        summary.reports = _report(rnd, summary)
        if update_master and accepted:
            from aop_xl.cycle.master import write_master

            try:
                if write_master(rnd) is None:
                    summary.notes.append("the plan is beyond a workbook's limits: no master workbook (see the "
                                         "reconcile CSV and JSON)")
            except (FileInUse, AopError) as exc:
                summary.notes.append(f"the master workbook was not updated: {exc}")
        return summary


def _files(inboxes) -> list[Path]:
    out = []
    for inbox in inboxes:
        p = Path(inbox)
        if p.is_dir():
            out += sorted((q for q in p.rglob("*") if q.is_file() or q.is_symlink()), key=lambda q: str(q))
        elif p.exists() or p.is_symlink():
            out.append(p)
        else:
            raise RoundError(f"{display(p)}: no such file or folder")
    return out


def _seen(rnd: Round) -> dict[str, dict]:
    # sha256 -> the outcome the ledger recorded for that file.
    out: dict[str, dict] = {}
    for e in rnd.ledger.entries():
        data = e.get("data", {})
        if e["action"] in ("accepted", "rejected") and data.get("sha256"):
            out[data["sha256"]] = {"state": data.get("state", "accepted"), "reason": data.get("reason", ""),
                                   "unit": e.get("unit"), "issue": data.get("issue")}
    return out


def _one(rnd: Round, reader: "_Reader", path: Path, seen: dict, replace: bool) -> Outcome:
    # Judge one file; its ledger entries are written together once it is judged.
    name = str(path)
    if path.is_symlink() or not path.is_file():
        return _record(rnd, Outcome(name, None, 0, "malformed", "a link or special file, not a workbook file"))
    limit = untrusted.MAX_FILE_BYTES
    try:
        size = path.stat().st_size
        data = path.read_bytes() if size <= limit else b""
    except OSError as exc:
        return _record(rnd, Outcome(name, None, 0, "malformed", f"cannot be read ({exc.strerror})"))
    if size > limit:
        return _record(rnd, Outcome(name, None, size, "malformed",
                                    f"{size:,} bytes, more than the {limit:,} a returned workbook may have"))
    digest = sha256(data)
    if digest in seen:
        s = seen[digest]
        return Outcome(name, digest, size, s["state"], s["reason"], s["unit"], s["issue"], seen_before=True)
    returned = ("returned", None, {"file": path.name, "sha256": digest, "size": size})
    try:
        unit, issue, document = reader.check(data, path.name, replace)
    except _Reject as r:
        outcome = Outcome(name, digest, size, r.state, r.reason, r.unit, r.issue)
        seen[digest] = {"state": outcome.state, "reason": outcome.reason, "unit": outcome.unit,
                        "issue": outcome.issue}
        return _record(rnd, outcome, returned)
    outcome = Outcome(name, digest, size, "accepted", "", unit.key, issue)
    previous = rnd.units()[unit.key].accepted
    if previous:
        outcome.reason = f"replaces {previous['file']} (--replace)"
    rnd.ledger.append_many([
        returned,
        ("validated", unit.key, {"file": path.name, "sha256": digest, "issue": issue}),
        ("accepted", unit.key, {"file": path.name, "sha256": digest, "issue": issue,
                                "replaces": (previous or {}).get("sha256"), **document}),
    ], sync=False)
    seen[digest] = {"state": "accepted", "reason": outcome.reason, "unit": unit.key, "issue": issue}
    return outcome


def _record(rnd: Round, outcome: Outcome, returned: tuple | None = None) -> Outcome:
    rejected = ("rejected", outcome.unit, {"file": Path(outcome.file).name, "sha256": outcome.sha256,
                                           "state": outcome.state, "reason": outcome.reason, "issue": outcome.issue})
    rnd.ledger.append_many([returned, rejected] if returned else [rejected], sync=False)
    return outcome


# ---------------------------------------------------------------------------- reading one file


class _Grid:
    # A sheet's values from A1 as calamine gives them; "" reads as None.
    def __init__(self, rows: list[list]):
        self.rows = rows

    def get(self, row: int, col: int) -> Any:
        if row - 1 < len(self.rows):
            r = self.rows[row - 1]
            if col - 1 < len(r):
                v = r[col - 1]
                return None if v == "" else v
        return None


def cell(sheet: str, row: int, col: int) -> str:
    """``Sheet!A1`` as messages name a cell."""
    return f"{quote_sheetname(sheet)}!{get_column_letter(col)}{row}"


def _shown(value: Any, unit: float | None = None) -> str:
    if value is None:
        return "(blank)"
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, (int, float)) and unit is not None:
        decimals = max(0, -int(math.floor(math.log10(unit)))) if unit < 1 else 0
        return f"{value:,.{decimals}f}"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return f"{int(value)}"
    if isinstance(value, float):
        return repr(value)
    text = str(value)
    return json.dumps(text if len(text) <= 60 else text[:57] + "...", ensure_ascii=False)


class _Reader:
    """Reads and judges returned files of one round (caches what every file is compared with)."""

    def __init__(self, rnd: Round):
        self.rnd = rnd
        self.plan = rnd.plan
        self.kind = rnd.kind or "region"
        self._slices: RoundSlices | None = None
        self._expected: dict[str, tuple] = {}
        self._numbers: dict[str, UnitNumbers] | None = None
        self._layouts: dict[Capacity, Layout] = {}

    @property
    def slices(self) -> RoundSlices:
        if self._slices is None:
            self._slices = RoundSlices(self.plan, self.kind)
        return self._slices

    # ------------------------------------------------------------------ the steps

    def check(self, data: bytes, name: str, replace: bool) -> tuple[Unit, int, dict]:
        try:
            # The workbook's own parts first, then the sheets this reader (and calamine) parse.
            package = open_package(data, read=_WORKBOOK_PARTS.__contains__)
            sheets = _sheet_parts(package.parts)
            wanted = {sheets[s] for s in _READ if s in sheets}
            package = open_package(data, read=lambda name: name in _WORKBOOK_PARTS or name in wanted)
        except Malformed as exc:
            raise _Reject("malformed", str(exc)) from None
        if META not in sheets:
            raise _Reject("foreign", f"not a regional workbook of a planning round (no {META} sheet)")
        for sheet in (META, ASSUMPTIONS, TARGETS, QUOTAS, BOTTOM_UP):
            if sheet in sheets:
                try:
                    check_extent(package.parts.get(sheets[sheet], b""), sheet)
                except Malformed as exc:
                    raise _Reject("malformed", str(exc)) from None
        try:
            book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        except Exception as exc:  # calamine raises its own types for every kind of damage
            raise _Reject("malformed", f"cannot be read as a workbook ({type(exc).__name__}: {exc})") from None
        grids: dict[str, _Grid] = {}

        def grid(sheet: str) -> _Grid:
            if sheet not in grids:
                try:
                    grids[sheet] = _Grid(book.get_sheet_by_name(sheet).to_python(skip_empty_area=False))
                except Exception as exc:  # as above
                    raise _Reject("malformed", f"sheet {sheet} cannot be read ({type(exc).__name__})") from None
            return grids[sheet]

        identity, layout = self._identity(grid(META))
        unit, issue = self._verify_identity(identity)
        state = self.rnd.units().get(unit.key)
        self._not_stale(unit, identity, state)
        plan, numbers = self._expected_for(unit, state)
        missing = [s for s in (ASSUMPTIONS, TARGETS, QUOTAS, BOTTOM_UP) if s not in sheets]
        if missing:
            raise _Reject("malformed", f"the sheet {missing[0]} is missing", unit.key, issue)
        self._topdown(unit, issue, plan, numbers, layout, grid)
        document = self._proposals(unit, issue, plan, grid(BOTTOM_UP))
        if state is not None and state.accepted is not None and not replace:
            acc = state.accepted
            raise _Reject("duplicate", f"{unit.key} was accepted from {acc['file']} (issue {acc['issue']}); this "
                                       "file is kept in the ledger but not used (collect with --replace to take it "
                                       "instead)", unit.key, issue)
        return unit, issue, document

    def _identity(self, meta: _Grid) -> tuple[RoundIdentity, Layout]:
        rows = meta.rows
        values = {}
        for r in rows[:40]:
            if r and r[0] in META_KEYS and r[0] not in values:
                values[r[0]] = r[1] if len(r) > 1 else None
        if values.get("template_id") != TEMPLATE_ID:
            raise _Reject("foreign", f"not a standard AOP workbook (template {values.get('template_id')!r})")
        try:
            capacity = Capacity(**{k: int(values[k]) for k in ("regions", "products", "reps", "tiers", "budget",
                                                               "kpis")})
        except (KeyError, TypeError, ValueError, AopError):
            raise _Reject("malformed", f"the {META} sheet has no valid capacities") from None
        layout = self._layouts.get(capacity)
        if layout is None:
            layout = self._layouts[capacity] = Layout(capacity)
        identity = round_identity_from_rows([list(r) for r in rows], layout)
        if identity is None:
            raise _Reject("foreign", "a standard AOP workbook that no planning round issued (no round identity)")
        if identity.round_id != self.rnd.id:
            whose = f"{identity.company} {identity.year}".strip()
            raise _Reject("foreign", f"issued by another round ({identity.round_id}{', ' + whose if whose else ''}); "
                                     f"this round is {self.rnd.id} ({self.rnd.info['company']} {self.rnd.info['year']})")
        return identity, layout

    def _issued(self) -> dict[str, tuple[str, dict]]:
        # MAC -> (unit key, identity) of every issue the ledger records.
        out = {}
        for key, state in self.rnd.units().items():
            kind, name = key.split(":", 1)
            for issue, data in state.issues.items():
                region = data.get("region") or self._region_of(kind, name)
                ident = {"round_id": self.rnd.id, "company": self.rnd.info["company"],
                         "year": str(self.rnd.info["year"]), "kind": kind, "unit": name, "region": region,
                         "issue": issue, "topdown_hash": data["topdown_hash"]}
                out[identity_mac(self.rnd.key, ident)] = (key, ident)
        return out

    def _region_of(self, kind: str, name: str) -> str:
        if kind == "region":
            return name
        for r in self.plan.reps:
            if r.name == name:
                return r.region
        return ""

    def _verify_identity(self, identity: RoundIdentity) -> tuple[Unit, int]:
        found = identity.as_dict()
        if mac_ok(self.rnd.key, found) and identity.issue is not None:
            key = f"{identity.kind}:{identity.unit}"
            if key in self.rnd.units():
                return Unit(identity.kind, identity.unit, identity.region), identity.issue
        issued = self._issued()
        hit = issued.get(identity.mac)
        if hit is None:
            key = f"{identity.kind}:{identity.unit}"
            state = self.rnd.units().get(key)
            if state is None or state.issue == 0:
                raise _Reject("tampered", f"{cell(META, *self._rc(identity, 'unit'))}: the identity names "
                                          f"{_shown(identity.unit)}, which this round never issued, and its MAC is "
                                          "not the round key's")
            want: dict = {}
            for k, ident in issued.values():
                if k == key and ident["issue"] == state.issue:
                    want = ident
            diffs = [k for k in ROUND_KEYS if k != "mac" and want.get(k) != found.get(k)]
            what = ([f"{cell(META, *self._rc(identity, k))}: issued {_shown(want.get(k))}, found {_shown(found.get(k))}"
                     for k in diffs] or [f"{cell(META, *self._rc(identity, 'mac'))}: the MAC was edited"])
            raise _Reject("tampered", "identity edited: " + "; ".join(what[:SHOWN]), key, identity.issue)
        key, want = hit
        diffs = [k for k in ROUND_KEYS if k != "mac" and want.get(k) != found.get(k)]
        what = [f"{cell(META, *self._rc(identity, k))}: issued {_shown(want.get(k))}, found {_shown(found.get(k))}"
                for k in diffs]
        raise _Reject("tampered", "identity edited: " + "; ".join(what[:SHOWN]), key, want["issue"])

    @staticmethod
    def _rc(identity: RoundIdentity, key: str) -> tuple[int, int]:
        col, row = coordinate_from_string(identity.cells.get(key, "B1"))
        return row, column_index_from_string(col)

    def _not_stale(self, unit: Unit, identity: RoundIdentity, state) -> None:
        if state is None or state.state == "withdrawn":
            raise _Reject("stale", f"{unit.key} is no longer in the round's plan", unit.key, identity.issue)
        if identity.issue < state.issue:
            raise _Reject("stale", f"issue {identity.issue} of {unit.key}; issue {state.issue} was sent since "
                                   f"({state.file})", unit.key, identity.issue)

    def _expected_for(self, unit: Unit, state) -> tuple[Plan, UnitNumbers]:
        if unit.key not in self._expected:
            try:
                doc = self.slices.document(unit)
            except (ValueError, IndexError):
                raise _Reject("stale", f"{unit.key} is no longer in the round's plan", unit.key) from None
            if sha256(canonical(doc)) != state.content:
                raise _Reject("stale", f"the round's plan changed after issue {state.issue} of {unit.key} was sent; "
                                       "distribute again and collect the new issue", unit.key, state.issue)
            numbers = self._batched().get(unit.key)
            if numbers is None:
                plan = unit_plan(doc)
                numbers = engine_numbers(target_units(plan))
            else:
                # The document is the issued one (its hash is the ledger's), made from the
                # validated round plan: only its fields need reading.
                plan = Plan.model_validate(doc)
            if topdown_hash(doc, numbers) != state.topdown_hash:
                raise AopError(f"{unit.key}: the issued top-down hash does not match the round's plan (a damaged "
                               "round)")
            self._expected[unit.key] = (plan, numbers)
        return self._expected[unit.key]

    def _batched(self) -> dict[str, UnitNumbers]:
        # Every batchable unit's numbers at once (as distribute computes them).
        if self._numbers is None:
            slices = self.slices
            units = [u for u in slices.units if slices.margins(u).batchable]
            numbers = batch_numbers([slices.margins(u) for u in units], self.plan.plan.challenge_uplift)
            self._numbers = {u.key: n for u, n in zip(units, numbers)}
        return self._numbers

    def _topdown(self, unit: Unit, issue: int, plan: Plan, numbers: UnitNumbers, layout: Layout, grid) -> None:
        if layout.capacity != capacity_for(plan):
            raise _Reject("tampered", f"{cell(META, layout.meta.row(META_KEYS.index('regions')), 2)}: the workbook's "
                                      "blocks were resized (its capacities are not the issued ones)", unit.key, issue)
        diffs = []
        unit_size = plan.plan.unit
        values = input_values(plan, layout)
        a = grid(ASSUMPTIONS)
        total = _total_cell(layout)
        for (row, col), want in _topdown_inputs(layout, values).items():
            got = a.get(row, col)
            if not _same_input(want, got):
                money = unit_size if (row, col) == total else None
                diffs.append(f"{cell(ASSUMPTIONS, row, col)}: issued {_shown(want, money)}, found "
                             f"{_shown(got, money if isinstance(got, (int, float)) else None)}")
        for sheet, table, units in _topdown_results(layout, numbers):
            g = grid(sheet)
            for (row, col), n in units.items():
                got = g.get(row, col)
                if got is None:
                    continue  # never calculated (a file saved without cached values): its inputs decide
                if not _exact(got, n, unit_size):
                    diffs.append(f"{cell(sheet, row, col)}: issued {_shown(from_units(n, unit_size), unit_size)}, "
                                 f"found {_shown(got, unit_size) if isinstance(got, (int, float)) else _shown(got)}")
        if diffs:
            more = f" and {len(diffs) - SHOWN} more" if len(diffs) > SHOWN else ""
            raise _Reject("tampered", "top-down numbers edited: " + "; ".join(diffs[:SHOWN]) + more, unit.key, issue)

    def _proposals(self, unit: Unit, issue: int, plan: Plan, g: _Grid) -> dict:
        table = bottom_up_table(len(plan.products))
        months = fiscal_month_names(plan.plan.fiscal_year_start)
        problems = []
        header = {"region": "Region", "product": "Product", "comment": "Comment", **dict(zip(MONTHS, months))}
        for key, text in header.items():
            got = g.get(table.header_row, table.col(key))
            if got != text:
                problems.append(f"{cell(BOTTOM_UP, table.header_row, table.col(key))}: expected the header "
                                f"{_shown(text)}, found {_shown(got)} (the block must stay where it was issued)")
                break
        values, comments = [], []
        if not problems:
            region = plan.regions[0].name
            for j, product in enumerate(plan.product_names):
                r = table.row(j)
                for key, want in (("region", region), ("product", product)):
                    got = g.get(r, table.col(key))
                    if got != want:
                        problems.append(f"{cell(BOTTOM_UP, r, table.col(key))}: expected {_shown(want)}, found "
                                        f"{_shown(got)} (lines cannot be renamed, moved or removed)")
                row = []
                for key in MONTHS:
                    c = table.col(key)
                    got = g.get(r, c)
                    if got is None:
                        row.append(0.0)
                    elif isinstance(got, bool) or not isinstance(got, (int, float)):
                        kind = "text" if isinstance(got, str) else type(got).__name__
                        problems.append(f"{cell(BOTTOM_UP, r, c)}: {_shown(got)} is {kind}, expected a number "
                                        "(type the amount without quotes, % or separators)")
                        row.append(0.0)
                    elif not math.isfinite(got) or got < 0:
                        problems.append(f"{cell(BOTTOM_UP, r, c)}: {_shown(got)}; a proposal is a number >= 0")
                        row.append(0.0)
                    else:
                        row.append(float(got))
                values.append(row)
                note = g.get(r, table.col("comment"))
                comments.append("" if note is None else _text(note)[:BOTTOM_UP_COMMENT_CHARS])
            below = table.last_row + 1
            for key in ("region", "product"):
                if g.get(below, table.col(key)) is not None:
                    problems.append(f"{cell(BOTTOM_UP, below, table.col(key))}: a line below the block (lines cannot "
                                    "be added; put remarks in the Comment column)")
                    break
        if problems:
            more = f" and {len(problems) - SHOWN} more" if len(problems) > SHOWN else ""
            raise _Reject("malformed", "; ".join(problems[:SHOWN]) + more, unit.key, issue)
        return {"region": plan.regions[0].name, "products": plan.product_names, "months": months, "values": values,
                "comments": comments}


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _sheet_parts(parts: dict[str, bytes]) -> dict[str, str]:
    # Sheet name -> its part, from the workbook part and its relationships (any writer's form).
    from xml.sax.saxutils import unescape

    workbook = parts.get("xl/workbook.xml", b"").decode("utf-8", "replace")
    rels = parts.get("xl/_rels/workbook.xml.rels", b"").decode("utf-8", "replace")
    targets = {}
    for rel in re.finditer(r"<(?:\w+:)?Relationship\b([^>]*)/?>", rels):
        attrs = dict(re.findall(r'(\w+)="([^"]*)"', rel.group(1)))
        if "Id" in attrs and "Target" in attrs:
            t = attrs["Target"]
            targets[attrs["Id"]] = t.lstrip("/") if t.startswith("/") else f"xl/{t}"
    out = {}
    for sheet in re.finditer(r"<(?:\w+:)?sheet\b([^>]*)/?>", workbook):
        attrs = dict(re.findall(r'([\w:]+)="([^"]*)"', sheet.group(1)))
        rid = next((v for k, v in attrs.items() if k.endswith(":id")), None)
        if "name" in attrs and rid in targets:
            out[unescape(attrs["name"], {"&quot;": '"', "&apos;": "'"})] = targets[rid]
    return out


def _topdown_inputs(layout: Layout, values: dict) -> dict[tuple[int, int], Any]:
    # The Assumptions cells whose values decide the top-down numbers.
    keep = {(layout.params.row(PARAM_KEYS.index(k)), layout.params.col("value")) for k in TOPDOWN_PARAMS}
    for table, cols in ((layout.quarter_weights, ("weight",)), (layout.month_weights, ("weight",)),
                        (layout.regions, tuple(layout.regions.columns)), (layout.products, ("name",)),
                        (layout.reps, tuple(layout.reps.columns)), (layout.mix, tuple(layout.mix.columns))):
        for i in range(table.rows):
            for col in cols:
                keep.add((table.row(i), table.col(col)))
    return {rc: v for rc, v in values.items() if rc in keep}


def _total_cell(layout: Layout) -> tuple[int, int]:
    return layout.params.row(PARAM_KEYS.index("total_target")), layout.params.col("value")


def _topdown_results(layout: Layout, numbers: UnitNumbers):
    # (sheet, table, (row, col) -> whole units) of the top-down results: the cube rows of the
    # unit's products and its reps' base and challenge quotas (year and months).
    def block(table, i, months):
        out = {(table.row(i), table.col(k)): int(v) for k, v in zip(MONTHS, months)}
        out[(table.row(i), table.col("year"))] = int(sum(int(v) for v in months))
        for q, key in enumerate(QUARTERS):
            out[(table.row(i), table.col(key))] = int(sum(int(v) for v in months[3 * q:3 * q + 3]))
        return out

    cube: dict = {}
    for j, months in enumerate(numbers.cells):
        cube.update(block(layout.cube, j, months))
    yield TARGETS, layout.cube, cube
    quotas: dict = {}
    for k, months in enumerate(numbers.base_months):
        quotas.update(block(layout.base_quotas, k, months))
    for k, months in enumerate(numbers.challenge_months):
        quotas.update(block(layout.challenge_quotas, k, months))
    yield QUOTAS, layout.base_quotas, quotas


def _same_input(want: Any, got: Any) -> bool:
    if want is None or want == "":
        return got is None
    if isinstance(want, bool):
        return got is want or got == want
    if isinstance(want, (int, float)):
        return isinstance(got, (int, float)) and not isinstance(got, bool) and math.isclose(
            float(got), float(want), rel_tol=1e-12, abs_tol=1e-12)
    return isinstance(got, str) and got == want or (isinstance(got, float) and _text(got) == want)


def _exact(got: Any, units: int, unit: float) -> bool:
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        return False
    q = got / unit
    return round(q) == units and abs(q - round(q)) <= max(1e-6, 1e-11 * abs(q))


# ---------------------------------------------------------------------------- the report


def _report(rnd: Round, summary: CollectSummary) -> list[Path]:
    folder = rnd.path(REPORTS)
    n = 1 + sum(1 for p in folder.glob("collect-*.json"))
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    base = folder / f"collect-{n:03d}-{stamp}"
    rows = [asdict(o) for o in summary.outcomes]
    doc = {"round_id": rnd.id, "when": stamp, "counts": summary.counts(), "files": rows}
    json_path = base.with_suffix(".json")
    write_atomic(json_path, (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8"),
                 error=RoundError)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(Outcome.__dataclass_fields__), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_safe(v) for k, v in row.items()})
    csv_path = base.with_suffix(".csv")
    write_atomic(csv_path, out.getvalue().encode("utf-8-sig"), error=RoundError)
    return [csv_path, json_path]


def _csv_safe(value: Any) -> Any:
    # A file name or reason opened in a spreadsheet program stays text (never a formula).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value

