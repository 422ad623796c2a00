"""``aop-xl diff``: what changed between two versions of a workbook, in the planner's terms.

For two AOP workbooks the diff is keyed by business labels, not cell positions: the inputs
(plan settings, regions, products, reps, tiers, budget lines, KPIs, sales) by name; the
targets by region, product and quarter with old, new, delta and %; quotas and commission by
rep. For any two workbooks (and for the AOP ones after that) it compares cells: sheets added,
removed or renamed; rows and columns inserted or deleted (rows are aligned by their content
in relative R1C1 form, so an inserted row does not make every cell below it "changed");
formulas changed, shown as formulas and grouped into ranges; typed values changed; values that
changed although their formula did not (a cached result, the impact of an input change).

``values_only`` leaves formula text out: only what a reader sees (inputs, numbers, cached
results) is compared.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aop_xl.checks.cells import addr, box, rectangles
from aop_xl.checks.formula import col_letters
from aop_xl.checks.index import FormulaIndex
from aop_xl.checks.reader import Sheet, Workbook, read_workbook
from aop_xl.errors import AopError
from aop_xl.workbook.book import XlError

MAX_LISTED = 200  # cell changes listed per kind and sheet before "... and N more"
_MEMBER_KEYS = {"regions": "name", "products": "name", "reps": "name", "budget": "item", "kpis": "metric"}


@dataclass
class Amount:
    """One business number in both versions (a region's target, a rep's quota)."""

    key: str
    old: float | None
    new: float | None

    @property
    def delta(self) -> float | None:
        return None if self.old is None or self.new is None else self.new - self.old

    @property
    def pct(self) -> float | None:
        d = self.delta
        return None if d is None or not self.old else d / abs(self.old)

    def as_json(self) -> dict:
        return {"key": self.key, "old": self.old, "new": self.new, "delta": self.delta, "pct": self.pct}


@dataclass
class CellChange:
    """A block of cells that changed the same way (the message describes its first cell)."""

    sheet: str
    range: str
    cells: int
    kind: str  # formula | value | result | added | removed
    old: Any
    new: Any

    def as_json(self) -> dict:
        return {"sheet": self.sheet, "range": self.range, "cells": self.cells, "kind": self.kind,
                "old": _plain(self.old), "new": _plain(self.new)}


@dataclass
class Diff:
    """Everything that changed from ``old`` to ``new``."""

    old: str
    new: str
    aop: bool = False
    notes: list[str] = field(default_factory=list)
    inputs: list[tuple[str, Any, Any]] = field(default_factory=list)  # (label, old, new)
    targets: dict[str, list[Amount]] = field(default_factory=dict)  # "region" / "product" / "quarter"
    quotas: list[Amount] = field(default_factory=list)
    commission: list[Amount] = field(default_factory=list)
    sheets: list[tuple[str, str, str | None]] = field(default_factory=list)  # (added|removed|renamed, name, new)
    names: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    rows: list[tuple[str, str, str]] = field(default_factory=list)  # (sheet, inserted|deleted, "7:9")
    columns: list[tuple[str, str, str]] = field(default_factory=list)
    cells: list[CellChange] = field(default_factory=list)
    unchanged_amounts: int = 0

    @property
    def empty(self) -> bool:
        return not (self.inputs or any(self.targets.values()) or self.quotas or self.commission or self.sheets
                    or self.names or self.rows or self.columns or self.cells)

    def as_json(self) -> dict:
        return {
            "schema": "aop-xl/diff", "version": 1, "old": self.old, "new": self.new, "aop_workbooks": self.aop,
            "notes": self.notes,
            "inputs": [{"input": k, "old": _plain(a), "new": _plain(b)} for k, a, b in self.inputs],
            "targets": {k: [a.as_json() for a in v] for k, v in self.targets.items()},
            "quotas": [a.as_json() for a in self.quotas],
            "commission": [a.as_json() for a in self.commission],
            "sheets": [{"change": c, "sheet": n, "new_name": m} for c, n, m in self.sheets],
            "names": [{"name": n, "old": a, "new": b} for n, a, b in self.names],
            "rows": [{"sheet": s, "change": c, "rows": r} for s, c, r in self.rows],
            "columns": [{"sheet": s, "change": c, "columns": r} for s, c, r in self.columns],
            "cells": [c.as_json() for c in self.cells],
        }


def diff_files(old: str | Path, new: str | Path, *, values_only: bool = False) -> Diff:
    """Compare two workbook files.

    Args:
        old: the earlier version.
        new: the later version.
        values_only: ignore formula text; compare what a reader sees.

    Returns:
        The :class:`Diff`.

    Raises:
        WorkbookError: a file is not a readable .xlsx workbook.
    """
    a, b = read_workbook(old), read_workbook(new)
    return diff_workbooks(a, b, str(old), str(new), values_only=values_only)


def diff_workbooks(a: Workbook, b: Workbook, old_name: str, new_name: str, *, values_only: bool = False) -> Diff:
    """Compare two workbooks already read (see :func:`diff_files`)."""
    out = Diff(old=old_name, new=new_name)
    from aop_xl.checks.contract import is_aop_workbook

    if is_aop_workbook(a) and is_aop_workbook(b):
        out.aop = True
        _business(a, b, out)
    _cells(a, b, out, values_only)
    return out


# ---------------------------------------------------------------------- business terms


def read_plan_and_sales(wb: Workbook):
    """(the plan of an AOP workbook's inputs, its sales by rep, its SheetPlan), read by the library."""
    from aop_xl.checks.contract import CheckedBook
    from aop_xl.workbook.plan_reader import read_sales, read_sheet_plan

    book = CheckedBook(wb)
    sp = read_sheet_plan(book)
    return sp.plan, read_sales(book, sp), sp


def _business(a: Workbook, b: Workbook, out: Diff) -> None:
    plans = []
    for wb, name in ((a, out.old), (b, out.new)):
        try:
            plans.append(read_plan_and_sales(wb))
        except AopError as exc:
            out.notes.append(f"{name}: the inputs are not a valid plan, so only cells are compared "
                             f"({str(exc).splitlines()[0]})")
            return
    (pa, sa, spa), (pb, sb, spb) = plans
    out.inputs = _input_changes(plan_document(pa, sa), plan_document(pb, sb))
    from aop_xl.report import plan_results

    try:
        ra, rb = plan_results(pa), plan_results(pb)
    except AopError as exc:
        out.notes.append(f"the engine refused a plan ({exc}); targets are not compared")
        return
    unchanged = 0
    for key, label in (("regions", "region"), ("products", "product"), ("quarters", "quarter")):
        amounts = [Amount("total", ra["total_target"], rb["total_target"])] if key == "quarters" else []
        amounts += _amounts(ra[key], rb[key])
        out.targets[label] = [x for x in amounts if not _same(x.old, x.new)]
        unchanged += len(amounts) - len(out.targets[label])
    quotas_a = {q["rep"]: q for q in ra["quotas"]}
    quotas_b = {q["rep"]: q for q in rb["quotas"]}
    for rep in _union(quotas_a, quotas_b):
        for part in ("base_quota", "challenge_quota"):
            x = Amount(f"{rep} {part.replace('_quota', '')}", quotas_a.get(rep, {}).get(part),
                       quotas_b.get(rep, {}).get(part))
            if _same(x.old, x.new):
                unchanged += 1
            else:
                out.quotas.append(x)
    for x in [Amount("commission at target (all reps)", ra["budget"]["commission_at_target"],
                     rb["budget"]["commission_at_target"])] + _commission(pa, sa, pb, sb):
        if _same(x.old, x.new):
            unchanged += 1
        else:
            out.commission.append(x)
    out.unchanged_amounts = unchanged


def _commission(pa, sa, pb, sb) -> list[Amount]:
    if not sa and not sb:
        return []
    from aop_xl.engine.commission import commission_statement

    try:
        ca = {row["rep"]: float(row["commission"]) for _, row in commission_statement(pa, sa).iterrows()}
        cb = {row["rep"]: float(row["commission"]) for _, row in commission_statement(pb, sb).iterrows()}
    except (AopError, KeyError):
        return []
    return [Amount(f"{rep} commission on entered sales", ca.get(rep), cb.get(rep)) for rep in _union(ca, cb)]


def plan_document(plan, sales: dict[str, float]) -> dict[str, Any]:
    """The plan's inputs as label -> value, members keyed by their names (``regions[East].weight``)."""
    data = plan.model_dump(mode="json")
    out: dict[str, Any] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else k, v)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            key = _MEMBER_KEYS.get(prefix.rsplit(".", 1)[-1])
            for i, member in enumerate(value):
                label = member.get(key) if key else None
                walk(f"{prefix}[{label if label is not None else i}]", member)
        else:
            out[prefix] = value

    walk("", data)
    for rep, amount in sales.items():
        out[f"sales[{rep}]"] = amount
    return out


def _input_changes(a: dict, b: dict) -> list[tuple[str, Any, Any]]:
    out = []
    for key in _union(a, b):
        x, y = a.get(key), b.get(key)
        if not _same(x, y):
            out.append((key, x, y))
    return out


def _amounts(a: dict, b: dict) -> list[Amount]:
    return [Amount(k, a.get(k), b.get(k)) for k in _union(a, b)]


def _union(a, b) -> list:
    return list(a) + [k for k in b if k not in a]


def _same(x, y) -> bool:
    if isinstance(x, float) and isinstance(y, float):
        return x == y or (math.isnan(x) and math.isnan(y))
    return x == y


# ---------------------------------------------------------------------- cells


def _content(sheet: Sheet, ix: FormulaIndex, sf, key) -> tuple:
    p = sf.find(*key)
    if p is not None:
        return ("f", ix.form_keys[int(sf.form[p])])
    if key in sheet.computed:
        return ("a",)
    return ("v", sheet.values.get(key))


def _contents(sheet: Sheet, ix: FormulaIndex, sf) -> dict[tuple[int, int], tuple]:
    out = {}
    for i, key in enumerate(zip(sf.rows.tolist(), sf.cols.tolist())):
        out[key] = ("f", ix.form_keys[int(sf.form[i])])
    for key, value in sheet.values.items():
        if key not in out:
            out[key] = ("a",) if key in sheet.computed else ("v", value)
    return out


def _cells(a: Workbook, b: Workbook, out: Diff, values_only: bool) -> None:
    ia, ib = FormulaIndex(a), FormulaIndex(b)
    ca = {s.name: _contents(s, ia, ia.sheets[s.index]) for s in a.sheets}
    cb = {s.name: _contents(s, ib, ib.sheets[s.index]) for s in b.sheets}
    # Sheets: by name, then renamed ones by content.
    only_a = [s.name for s in a.sheets if b.sheet(s.name) is None]
    only_b = [s.name for s in b.sheets if a.sheet(s.name) is None]
    pairs = [(s.name, s.name) for s in a.sheets if b.sheet(s.name) is not None]
    for name in list(only_a):
        best, score = None, 0.0
        for other in only_b:
            sim = _similarity(ca[name], cb[other])
            if sim > score:
                best, score = other, sim
        if best is not None and score >= 0.5:
            out.sheets.append(("renamed", name, best))
            pairs.append((name, best))
            only_a.remove(name)
            only_b.remove(best)
    out.sheets.extend(("removed", n, None) for n in only_a)
    out.sheets.extend(("added", n, None) for n in only_b)
    # Defined names.
    na = {(d.name, d.scope): d.text for d in a.defined_names}
    nb = {(d.name, d.scope): d.text for d in b.defined_names}
    for key in _union(na, nb):
        if na.get(key) != nb.get(key):
            out.names.append((key[0], na.get(key), nb.get(key)))
    from aop_xl.workbook.layout import META

    for old_name, new_name in pairs:
        if out.aop and old_name == META == new_name:
            continue  # the identity sheet: its fingerprint follows the targets, shown above
        _sheet_cells(a.sheet(old_name), b.sheet(new_name), ca[old_name], cb[new_name], out, values_only)


def _similarity(x: dict, y: dict) -> float:
    if not x and not y:
        return 1.0
    vx = {(k, v) for k, v in x.items()}
    vy = {(k, v) for k, v in y.items()}
    return len(vx & vy) / max(len(vx | vy), 1)


def _align(keys_a: list[int], keys_b: list[int], sig_a: dict, sig_b: dict):
    """Map old lines (rows or columns) to new ones by content; (mapping, deleted, inserted)."""
    seq_a = [sig_a[k] for k in keys_a]
    seq_b = [sig_b[k] for k in keys_b]
    mapping, deleted, inserted = {}, [], []
    matcher = difflib.SequenceMatcher(None, seq_a, seq_b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            mapping.update(zip(keys_a[i1:i2], keys_b[j1:j2]))
        elif tag == "replace":
            n = min(i2 - i1, j2 - j1)
            mapping.update(zip(keys_a[i1:i1 + n], keys_b[j1:j1 + n]))
            deleted.extend(keys_a[i1 + n:i2])
            inserted.extend(keys_b[j1 + n:j2])
        elif tag == "delete":
            deleted.extend(keys_a[i1:i2])
        else:
            inserted.extend(keys_b[j1:j2])
    return mapping, deleted, inserted


def _lines(content: dict, axis: int) -> dict[int, int]:
    sig: dict[int, list] = {}
    for key, value in content.items():
        sig.setdefault(key[axis], []).append((key[1 - axis], value))
    return {k: hash(tuple(sorted(v, key=repr))) for k, v in sig.items()}


def _spans(numbers: list[int], label) -> list[str]:
    out = []
    for r in rectangles([(n, 1) for n in numbers]):
        out.append(label(r[0]) if r[0] == r[2] else f"{label(r[0])}:{label(r[2])}")
    return out


def _sheet_cells(sa: Sheet, sb: Sheet, ca: dict, cb: dict, out: Diff, values_only: bool) -> None:
    if ca == cb:
        return
    rows_a, rows_b = sorted({k[0] for k in ca}), sorted({k[0] for k in cb})
    cols_a, cols_b = sorted({k[1] for k in ca}), sorted({k[1] for k in cb})
    same_layout = set(ca) == set(cb)
    if same_layout:
        row_map = {r: r for r in rows_a}
        col_map = {c: c for c in cols_a}
    else:
        row_map, del_rows, ins_rows = _align(rows_a, rows_b, _lines(ca, 0), _lines(cb, 0))
        col_map, del_cols, ins_cols = _align(cols_a, cols_b, _lines(ca, 1), _lines(cb, 1))
        # A shifted line whose content changed too is matched, not deleted and inserted, when
        # every other line kept its place.
        if len(row_map) * 2 < len(rows_a):
            row_map, del_rows, ins_rows = {r: r for r in rows_a if r in set(rows_b)}, \
                [r for r in rows_a if r not in set(rows_b)], [r for r in rows_b if r not in set(rows_a)]
        if len(col_map) * 2 < len(cols_a):
            col_map, del_cols, ins_cols = {c: c for c in cols_a if c in set(cols_b)}, \
                [c for c in cols_a if c not in set(cols_b)], [c for c in cols_b if c not in set(cols_a)]
        shifted_rows = any(r != s for r, s in row_map.items())
        shifted_cols = any(c != d for c, d in col_map.items())
        if shifted_rows or shifted_cols:
            out.rows.extend((sb.name, "deleted", s) for s in _spans(del_rows, str))
            out.rows.extend((sb.name, "inserted", s) for s in _spans(ins_rows, str))
            out.columns.extend((sb.name, "deleted", s) for s in _spans(del_cols, col_letters))
            out.columns.extend((sb.name, "inserted", s) for s in _spans(ins_cols, col_letters))
        else:  # nothing moved: lines present on one side only are added/removed cells
            row_map = {r: r for r in rows_a}
            col_map = {c: c for c in cols_a}
    changes: dict[str, dict[tuple[int, int], tuple]] = {k: {} for k in
                                                       ("formula", "value", "result", "added", "removed")}
    seen_b = set()
    for key, content in ca.items():
        r, c = row_map.get(key[0]), col_map.get(key[1])
        if r is None or c is None:
            continue
        new_key = (r, c)
        seen_b.add(new_key)
        other = cb.get(new_key)
        if other == content and (content[0] != "f" or _same_result(sa, sb, key, new_key)):
            continue
        old_text, new_text = _shown(sa, key), _shown(sb, new_key)
        if other is None:
            changes["removed"][new_key] = (old_text, None)
        elif content[0] == "f" and other[0] == "f":
            if content != other and not values_only:
                changes["formula"][new_key] = (old_text, new_text)
            elif not _same_result(sa, sb, key, new_key):
                changes["result"][new_key] = (_result(sa, key), _result(sb, new_key))
        elif content[0] == "f" or other[0] == "f":
            if values_only:
                x, y = _result(sa, key), _result(sb, new_key)
                if not _same(x, y):
                    changes["value"][new_key] = (x, y)
            else:
                changes["formula"][new_key] = (old_text, new_text)
        elif not _same(content[1] if len(content) > 1 else None, other[1] if len(other) > 1 else None):
            changes["value"][new_key] = (old_text, new_text)
    moved_rows = set(row_map.values())
    moved_cols = set(col_map.values())
    for key in cb:
        if key not in seen_b and key[0] in moved_rows and key[1] in moved_cols:
            changes["added"][key] = (None, _shown(sb, key))
    for kind, cells in changes.items():
        listed = 0
        for r in rectangles(cells):
            old, new = cells[(r[0], r[1])]
            if listed >= MAX_LISTED:
                out.notes.append(f"{sb.name}: {len(cells)} {kind} changes, the first {MAX_LISTED} blocks listed")
                break
            out.cells.append(CellChange(sb.name, box(*r[:4]), r[4], kind, old, new))
            listed += 1


def _shown(sheet: Sheet, key) -> Any:
    if key in sheet.formulas:
        return "=" + sheet.formulas[key]
    return sheet.values.get(key)


def _result(sheet: Sheet, key) -> Any:
    return sheet.values.get(key)


def _same_result(sa: Sheet, sb: Sheet, ka, kb) -> bool:
    return _same(sa.values.get(ka), sb.values.get(kb))


def _plain(value: Any) -> Any:
    if isinstance(value, XlError):
        return str(value)
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return str(value)
    return value


# ---------------------------------------------------------------------- text


def number(value: Any) -> str:
    """A number as a planner reads it: thousands separators, at most 2 decimals for amounts."""
    if value is None:
        return "-"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return _quote(value)
    if float(value).is_integer():
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.2f}"
    return f"{value:.6g}"


def _quote(value: Any) -> str:
    if value is None:
        return "(empty)"
    if isinstance(value, str) and not value.startswith("="):
        return repr(value)
    return str(value)


def _signed(value: float | None) -> str:
    if value is None:
        return "-"
    return ("+" if value >= 0 else "") + number(value)


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:+.1%}"


def _table(title: str, rows: list[Amount]) -> list[str]:
    if not rows:
        return []
    width = max(len(x.key) for x in rows)
    out = [title, f"  {'':<{width}}  {'old':>16}  {'new':>16}  {'delta':>16}  {'%':>7}"]
    for x in rows:
        out.append(f"  {x.key:<{width}}  {number(x.old):>16}  {number(x.new):>16}  {_signed(x.delta):>16}  "
                   f"{_percent(x.pct):>7}")
    return out


def _value(value: Any, limit: int = 100) -> str:
    return number(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else _short(value, limit)


def _short(value: Any, limit: int = 100) -> str:
    text = _quote(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def render_text(d: Diff) -> str:
    """The diff for people: business sections first, then sheets, names, lines and cells."""
    out = [f"--- {d.old}", f"+++ {d.new}"]
    out.extend(f"note: {n}" for n in d.notes)
    if d.inputs:
        out.append("Inputs")
        out.extend(f"  {k}: {_value(a)} -> {_value(b)}" for k, a, b in d.inputs)
    for label, rows in d.targets.items():
        out.extend(_table(f"Targets by {label}", rows))
    out.extend(_table("Quotas", d.quotas))
    out.extend(_table("Commission", d.commission))
    if d.sheets:
        out.append("Sheets")
        for change, name, new in d.sheets:
            out.append(f"  renamed: {name} -> {new}" if change == "renamed" else f"  {change}: {name}")
    if d.names:
        out.append("Defined names")
        for name, a, b in d.names:
            out.append(f"  {name}: {a or '(none)'} -> {b or '(none)'}")
    if d.rows or d.columns:
        out.append("Rows and columns")
        out.extend(f"  {s}: rows {r} {c}" for s, c, r in d.rows)
        out.extend(f"  {s}: columns {r} {c}" for s, c, r in d.columns)
    titles = {"formula": "Formulas changed", "value": "Values changed", "result":
              "Values changed, formula unchanged", "added": "Cells added", "removed": "Cells removed"}
    for kind, title in titles.items():
        block = [c for c in d.cells if c.kind == kind]
        if not block:
            continue
        out.append(title)
        for c in block:
            count = f" · {c.cells} cells" if c.cells > 1 else ""
            from aop_xl.workbook.layout import quote_sheetname

            out.append(f"  {quote_sheetname(c.sheet)}!{c.range}{count}: {_value(c.old)} -> {_value(c.new)}")
    if d.empty:
        out.append("no differences")
    return "\n".join(out)


# ---------------------------------------------------------------------- textconv


def dump(path: str | Path) -> str:
    """One workbook as stable, line-oriented text for ``git diff`` (a textconv filter).

    AOP workbooks start with their inputs by label and the targets, quotas and commission the
    engine computes from them; then every sheet's cells, formulas grouped into ranges of
    copies (one line per block, the formula of its first cell), typed values one per line.
    """
    wb = read_workbook(path)
    out = [f"# {Path(path).name}"]
    from aop_xl.checks.contract import is_aop_workbook

    if is_aop_workbook(wb):
        out.extend(_business_dump(wb))
    ix = FormulaIndex(wb)
    from aop_xl.workbook.layout import quote_sheetname

    for d in wb.defined_names:
        scope = f" ({wb.sheets[d.scope].name})" if d.scope is not None and d.scope < len(wb.sheets) else ""
        out.append(f"name {d.name}{scope} = {d.text}")
    for sheet in wb.sheets:
        sf = ix.sheets[sheet.index]
        out.append(f"[{sheet.name}]" + ("" if sheet.state == "visible" else f" ({sheet.state})"))
        q = quote_sheetname(sheet.name)
        by_form: dict[int, list[tuple[int, int]]] = {}
        for i, key in enumerate(zip(sf.rows.tolist(), sf.cols.tolist())):
            by_form.setdefault(int(sf.form[i]), []).append(key)
        lines = []
        for cells in by_form.values():
            for r in rectangles(cells):
                count = f" · {r[4]} cells" if r[4] > 1 else ""
                lines.append(((r[0], r[1]), f"{q}!{box(*r[:4])}{count} = ={sheet.formulas[(r[0], r[1])]}"))
        for key, value in sheet.values.items():
            if key in sheet.formulas or key in sheet.computed:
                continue
            lines.append((key, f"{q}!{addr(*key)} = {_value(value, 10_000)}"))
        out.extend(text for _, text in sorted(lines))
    return "\n".join(out) + "\n"


def _business_dump(wb: Workbook) -> list[str]:
    try:
        plan, sales, _ = read_plan_and_sales(wb)
    except AopError as exc:
        return [f"# inputs: not a valid plan ({str(exc).splitlines()[0]})"]
    out = ["# inputs"]
    out.extend(f"input {k} = {_value(v, 10_000)}" for k, v in plan_document(plan, sales).items())
    from aop_xl.report import plan_results

    try:
        results = plan_results(plan)
    except AopError as exc:
        return out + [f"# targets: the engine refused the plan ({exc})"]
    out.append("# targets")
    out.append(f"target total = {number(results['total_target'])}")
    for key in ("regions", "products", "quarters"):
        out.extend(f"target {key[:-1]} {name} = {number(v)}" for name, v in results[key].items())
    out.append("# quotas")
    for q in results["quotas"]:
        out.append(f"quota {q['rep']} = base {number(q['base_quota'])}, challenge {number(q['challenge_quota'])}")
    out.append(f"commission at target = {number(results['budget']['commission_at_target'])}")
    return out
