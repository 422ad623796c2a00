"""Every formula of a workbook as arrays: its relative (R1C1) form and what it references.

A template holds a hundred thousand formulas that are copies of a few thousand. The index
groups formulas by shape (:mod:`aop_xl.checks.formula`), tokenises each shape once, reads
the digits of a whole group with numpy and gives every formula cell:

- a *form id*: equal ids mean equal formulas in relative R1C1 notation (copies of each other);
- its *group*: formulas of one shape and the same non-row digits, which therefore call the
  same functions with the same constants (what the per-formula rules look at once);
- its references as (target sheet, rows, columns) boxes, used for circular references,
  references beyond the grid and whole-column sums.

Circular references are found as strongly connected components of the graph "formula cell ->
formula cells it references" (ranges become one node each, so a range shared by a thousand
formulas is expanded once), with scipy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from aop_xl.checks.formula import MAX_COL, MAX_ROW, ShapePlan, _TO_SHAPE, plan_of, sheet_of
from aop_xl.checks.reader import Workbook

SMALL_GROUP = 8  # shapes with at most this many formulas are indexed without numpy


@dataclass
class Group:
    """Formula cells of one sheet with the same shape and the same non-row digits."""

    sheet: int
    plan: ShapePlan
    raw: bytes  # one formula of the group (its real bytes)
    cells: np.ndarray  # positions in the sheet's formula arrays

    def text(self, span: tuple[int, int]) -> str:
        return self.raw[span[0]:span[1]].decode("utf-8", "replace")

    @cached_property
    def functions(self) -> list[str]:
        return [self.text(s).upper() for s in self.plan.functions]

    @cached_property
    def numbers(self) -> list[str]:
        return [self.text(s) for s in self.plan.numbers]

    def number_arguments(self) -> list[tuple[str, str | None, int]]:
        """(number as written, the function it is an argument of, its position) of every number."""
        return [(self.text(s), f.upper() if f else None, i)
                for s, (f, i) in zip(self.plan.numbers, self.plan.number_args)]


@dataclass
class SheetFormulas:
    """The formula cells of one sheet, in one order shared by every array."""

    index: int
    rows: np.ndarray
    cols: np.ndarray
    texts: list[str]
    form: np.ndarray = field(default=None)  # global form id per cell
    offset: int = 0  # the first global node number
    _lookup: tuple | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.texts)

    def find(self, row: int, col: int) -> int | None:
        """Position of the formula cell (row, col), or None."""
        found = self.find_many(np.array([row]), np.array([col]))[0]
        return None if found < 0 else int(found)

    def find_many(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Positions of the formula cells (rows[i], cols[i]); -1 where there is no formula."""
        if self._lookup is None:
            enc = (self.cols << 21) | self.rows
            order = np.argsort(enc, kind="stable")
            self._lookup = (enc[order], order)
        enc, order = self._lookup
        if not len(enc):
            return np.full(len(rows), -1, np.int64)
        keys = (np.asarray(cols, np.int64) << 21) | np.asarray(rows, np.int64)
        at = np.minimum(np.searchsorted(enc, keys), len(enc) - 1)
        return np.where(enc[at] == keys, order[at], -1)


class FormulaIndex:
    """Build the index of a workbook's formulas.

    Args:
        wb: the workbook read by :func:`~aop_xl.checks.reader.read_workbook`.
    """

    def __init__(self, wb: Workbook):
        self.wb = wb
        self.groups: list[Group] = []
        self._forms: dict[tuple, int] = {}
        self.form_text: list[tuple[int, int]] = []  # form id -> (sheet, position) of one cell
        #: form id -> its R1C1 key, comparable between workbooks (shape, digits, row offsets)
        self.form_keys: list[tuple] = []
        self._sheet_ids = {s.name.casefold(): s.index for s in wb.sheets}
        # References, collected per group: source nodes, rows, and (sheet, col1, col2, count).
        self._chunks: list[tuple[np.ndarray, ...]] = []  # (sources, r1, r2, sheet, c1, c2) per group
        self._box_arrays = None
        self.whole_aggregate: list[Group] = []
        self.sheets: list[SheetFormulas] = []
        offset = 0
        for sheet in wb.sheets:
            keys = list(sheet.formulas)
            texts = list(sheet.formulas.values())
            sf = SheetFormulas(index=sheet.index, rows=np.fromiter((k[0] for k in keys), np.int64, len(keys)),
                               cols=np.fromiter((k[1] for k in keys), np.int64, len(keys)), texts=texts,
                               form=np.zeros(len(keys), np.int64), offset=offset)
            offset += len(keys)
            self.sheets.append(sf)
            self._index_sheet(sf)
        self.nodes = offset
        self._offsets = np.array([sf.offset for sf in self.sheets] or [0], np.int64)

    # ------------------------------------------------------------------ building

    def _index_sheet(self, sf: SheetFormulas) -> None:
        raws = [t.encode("utf-8") for t in sf.texts]
        by_shape: dict[bytes, list[int]] = {}
        for i, raw in enumerate(raws):
            by_shape.setdefault(raw.translate(_TO_SHAPE), []).append(i)
        for shape_bytes, members in by_shape.items():
            self._index_group(sf, shape_bytes, members, raws)

    def _index_group(self, sf: SheetFormulas, shape_bytes: bytes, members: list[int], raws: list[bytes]) -> None:
        plan = plan_of(shape_bytes)
        tables = _tables(plan)
        if len(members) <= SMALL_GROUP:
            self._index_small(sf, plan, tables, members, raws)
            return
        idx = np.asarray(members, np.int64)
        n = len(members)
        rows, cols = sf.rows[idx], sf.cols[idx]
        if plan.runs:
            m = np.frombuffer(b"".join([raws[i] for i in members]), np.uint8).reshape(n, len(shape_bytes))
        else:
            m = None
        if tables.other_pos.size:
            first_sub, sub = unique_rows(m[:, tables.other_pos])
        else:
            first_sub, sub = np.zeros(1, np.int64), np.zeros(n, np.int64)
        if tables.row_pos.size:
            # Row numbers: each run's digits times powers of ten, a column of digits at a time.
            digits = m[:, tables.row_pos].astype(np.int64) - 48
            values = np.zeros((n, len(tables.run_slices)), np.int64)
            for j, (start, end) in enumerate(tables.run_slices):
                column = values[:, j]
                for p in range(start, end):
                    column *= 10
                    column += digits[:, p]
            moved = values - rows[:, None] * tables.relative[None, :]
            keymat = np.column_stack([cols, sub, moved])
        else:
            values = np.zeros((n, 0), np.int64)
            keymat = np.column_stack([cols, sub])
        first, inverse = unique_rows(keymat)
        ids = np.empty(len(first), np.int64)
        for u, at in enumerate(first.tolist()):
            key = (_canonical(plan, int(keymat[at, 0])), _split(m[at, tables.other_pos].tobytes(), tables)
                   if tables.other_pos.size else (), tuple(keymat[at, 2:].tolist()))
            form = self._forms.get(key)
            if form is None:
                form = self._forms[key] = len(self.form_text)
                self.form_text.append((sf.index, members[at]))
                self.form_keys.append(key)
            ids[u] = form
        sf.form[idx] = ids[inverse]

        # Groups (shape + non-row digits), and their references.
        if len(first_sub) == 1:
            parts = [(int(first_sub[0]), np.arange(n))]
        else:
            order = np.argsort(sub, kind="stable")
            bounds = np.searchsorted(sub[order], np.arange(len(first_sub) + 1))
            parts = [(int(first_sub[k]), order[bounds[k]:bounds[k + 1]]) for k in range(len(first_sub))]
        for rep, sel in parts:
            group = Group(sheet=sf.index, plan=plan, raw=raws[members[rep]], cells=idx[sel])
            self.groups.append(group)
            if plan.whole_in_aggregate:
                self.whole_aggregate.append(group)
            if plan.refs or plan.names:
                self._group_refs(sf, group, values[sel], tables)

    def _index_small(self, sf: SheetFormulas, plan: ShapePlan, tables: _Tables, members: list[int],
                     raws: list[bytes]) -> None:
        # A shape with a few formulas (most shapes of a small workbook): as below, in Python.
        runs = plan.runs
        relative = tables.relative_flags
        groups: dict[tuple, list[tuple[int, list[int]]]] = {}
        for at in members:
            raw = raws[at]
            row = int(sf.rows[at])
            values = [int(raw[runs[r][0]:runs[r][1]]) for r in plan.row_runs]
            others = tuple(raw[runs[r][0]:runs[r][1]] for r in plan.other_runs)
            key = (_canonical(plan, int(sf.cols[at])), others,
                   tuple(v - row if rel else v for v, rel in zip(values, relative)))
            form = self._forms.get(key)
            if form is None:
                form = self._forms[key] = len(self.form_text)
                self.form_text.append((sf.index, at))
                self.form_keys.append(key)
            sf.form[at] = form
            groups.setdefault(others, []).append((at, values))
        for items in groups.values():
            group = Group(sheet=sf.index, plan=plan, raw=raws[items[0][0]],
                          cells=np.array([at for at, _ in items], np.int64))
            self.groups.append(group)
            if plan.whole_in_aggregate:
                self.whole_aggregate.append(group)
            if plan.refs or plan.names:
                values = np.array([v for _, v in items], np.int64).reshape(len(items), len(plan.row_runs))
                self._group_refs(sf, group, values, tables)

    def _target_sheets(self, sf: SheetFormulas, group: Group, span) -> list[int]:
        if span is None:
            return [sf.index]
        name = group.text(span)
        if ":" in name and not name.startswith("'"):
            first, last = (self._sheet_ids.get(sheet_of(x).casefold()) for x in name.split(":", 1))
            if first is None or last is None:
                return []
            return list(range(min(first, last), max(first, last) + 1))
        found = self._sheet_ids.get(sheet_of(name).casefold())
        return [] if found is None else [found]

    def _group_refs(self, sf, group: Group, values: np.ndarray, tables: _Tables) -> None:
        # One block of boxes per group: every reference of every cell, cell by cell.
        plan = group.plan
        n = len(group.cells)
        # Row sources: the row-run columns of ``values``, then the constants 1 and MAX_ROW.
        one, last = values.shape[1], values.shape[1] + 1
        column = tables.column_of_run
        first_rows, last_rows, sheets, c1s, c2s = [], [], [], [], []
        for ref in plan.refs:
            if ref.external:
                continue
            if ref.kind == "cell":
                a = b = column[ref.row1]
                c1 = c2 = ref.col1
            elif ref.kind == "range":
                a, b = column[ref.row1], column[ref.row2]
                c1, c2 = ref.col1, ref.col2
            elif ref.kind == "cols":
                a, b = one, last
                c1, c2 = ref.col1, ref.col2
            else:
                a, b = column[ref.row1], column[ref.row2]
                c1, c2 = 1, MAX_COL
            for t in self._target_sheets(sf, group, ref.sheet):
                first_rows.append(a)
                last_rows.append(b)
                sheets.append(t)
                c1s.append(min(c1, c2))
                c2s.append(max(c1, c2))
        extra = []
        for span in plan.names:
            extra.extend(self.name_boxes(group.text(span), sf.index))
        if not first_rows and not extra:
            return
        if first_rows:
            ext = np.empty((n, values.shape[1] + 2), np.int64)
            ext[:, :one] = values
            ext[:, one] = 1
            ext[:, last] = MAX_ROW
            k = len(first_rows)
            self._chunks.append((np.repeat(sf.offset + group.cells, k), ext[:, first_rows].ravel(),
                                 ext[:, last_rows].ravel(), np.tile(sheets, n), np.tile(c1s, n), np.tile(c2s, n)))
        for t, r1, c1, r2, c2 in extra:
            self._chunks.append((sf.offset + group.cells, np.full(n, r1), np.full(n, r2), np.full(n, t),
                                 np.full(n, c1), np.full(n, c2)))

    def _boxes(self):
        # Every reference as arrays: source node, target sheet, rows r1..r2, columns c1..c2.
        if self._box_arrays is None:
            if not self._chunks:
                empty = np.zeros(0, np.int64)
                self._box_arrays = (empty,) * 6
            else:
                src, a, b, t, c1, c2 = (np.concatenate([c[i] for c in self._chunks]) for i in range(6))
                self._box_arrays = (src, t.astype(np.int64), np.minimum(a, b), np.maximum(a, b),
                                    c1.astype(np.int64), c2.astype(np.int64))
        return self._box_arrays

    def beyond_grid(self) -> list[tuple[int, int]]:
        """(sheet, position) of every formula with a reference off Excel's grid."""
        src, _, r1, r2, c1, c2 = self._boxes()
        bad = (r1 < 1) | (r2 > MAX_ROW) | (c1 < 1) | (c2 > MAX_COL)
        return sorted({self.position(int(node)) for node in np.unique(src[bad])})

    def position(self, node: int) -> tuple[int, int]:
        """(sheet, position in its formula arrays) of a global node number."""
        k = int(np.searchsorted(self._offsets, node, "right")) - 1
        sf = self.sheets[k]
        return sf.index, node - sf.offset

    def name_boxes(self, name: str, sheet: int, depth: int = 0) -> list[tuple[int, int, int, int, int]]:
        """The boxes (sheet, r1, c1, r2, c2) a defined name refers to (sheet scope first)."""
        if depth > 8:
            return []
        key = name.casefold()
        found = None
        for dn in self.wb.defined_names:
            if dn.name.casefold() == key and dn.scope == sheet:
                found = dn
        if found is None:
            found = next((dn for dn in self.wb.defined_names if dn.name.casefold() == key and dn.scope is None), None)
        if found is None or not found.text:
            return []
        raw = found.text.lstrip("=").encode("utf-8")
        plan = plan_of(raw.translate(_TO_SHAPE))
        out = []
        for ref in plan.refs:
            if ref.external or ref.sheet is None:
                continue
            label = raw[ref.sheet[0]:ref.sheet[1]].decode("utf-8", "replace")
            t = self._sheet_ids.get(sheet_of(label).casefold())
            if t is None:
                continue

            def row(run):
                s, e = plan.runs[run]
                return int(raw[s:e])
            if ref.kind == "cell":
                out.append((t, row(ref.row1), ref.col1, row(ref.row1), ref.col1))
            elif ref.kind == "range":
                out.append((t, min(row(ref.row1), row(ref.row2)), min(ref.col1, ref.col2),
                            max(row(ref.row1), row(ref.row2)), max(ref.col1, ref.col2)))
            elif ref.kind == "cols":
                out.append((t, 1, min(ref.col1, ref.col2), MAX_ROW, max(ref.col1, ref.col2)))
            else:
                out.append((t, min(row(ref.row1), row(ref.row2)), 1, max(row(ref.row1), row(ref.row2)), MAX_COL))
        for s, e in plan.names:
            out.extend(self.name_boxes(raw[s:e].decode("utf-8", "replace"), sheet, depth + 1))
        return out

    # ------------------------------------------------------------------ questions

    def locate(self, node: int) -> tuple[int, int, int]:
        """(sheet, row, col) of a global node number."""
        for sf in self.sheets:
            if sf.offset <= node < sf.offset + len(sf):
                i = node - sf.offset
                return sf.index, int(sf.rows[i]), int(sf.cols[i])
        raise IndexError(node)

    def _grid(self):
        # Each sheet's formula area as a dense table of node numbers (-1: no formula), or None
        # when the areas together are too large (a sparse sheet spanning the grid).
        count = len(self.wb.sheets)
        r0 = np.zeros(count, np.int64)
        r1 = np.full(count, -1, np.int64)
        c0 = np.zeros(count, np.int64)
        c1 = np.full(count, -1, np.int64)
        for sf in self.sheets:
            if len(sf):
                r0[sf.index], r1[sf.index] = sf.rows.min(), sf.rows.max()
                c0[sf.index], c1[sf.index] = sf.cols.min(), sf.cols.max()
        width = c1 - c0 + 1
        sizes = (r1 - r0 + 1) * width
        if sizes.sum() > 20_000_000:
            return None
        base = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        table = np.full(int(sizes.sum()), -1, np.int64)
        for sf in self.sheets:
            if len(sf):
                i = sf.index
                table[base[i] + (sf.rows - r0[i]) * width[i] + (sf.cols - c0[i])] = sf.offset + np.arange(len(sf))
        return table, base, r0, c0, r1, c1, width

    def cycles(self) -> list[list[int]]:
        """Formula cells on circular references: one list of global nodes per cycle."""
        if not self._chunks or not self.nodes:
            return []

        from scipy.sparse import csr_matrix
        from scipy.sparse.csgraph import connected_components

        # Formula cells sorted by (sheet, col, row): a box column is one interval of them.
        sheet_of_node = np.concatenate([np.full(len(sf), sf.index, np.int64) for sf in self.sheets])
        rows = np.concatenate([sf.rows for sf in self.sheets])
        cols = np.concatenate([sf.cols for sf in self.sheets])
        enc = (sheet_of_node << 36) | (cols << 21) | rows
        order = np.argsort(enc, kind="stable")
        sorted_enc = enc[order]
        box_src, box_t, box_r1, box_r2, box_c1, box_c2 = self._boxes()
        inside = (box_c2 >= 1) & (box_c1 <= MAX_COL) & (box_r2 >= 1) & (box_r1 <= MAX_ROW)
        n = self.nodes
        # References to one cell, most of them: looked up in a dense grid of each sheet's
        # formula area (when the areas are of a sensible size) instead of searched.
        cell = inside & (box_c1 == box_c2) & (box_r1 == box_r2)
        grid = self._grid()
        e_src, e_dst = [], []
        if grid is not None:
            table, base, r0, c0, r1, c1, width = grid
            t, r, c = box_t[cell], box_r1[cell], box_c1[cell]
            hit = (r >= r0[t]) & (r <= r1[t]) & (c >= c0[t]) & (c <= c1[t])
            target = table[base[t[hit]] + (r[hit] - r0[t[hit]]) * width[t[hit]] + (c[hit] - c0[t[hit]])]
            found = target >= 0
            e_src.append(box_src[cell][hit][found])
            e_dst.append(target[found])
            inside &= ~cell
        # A one-column box in a column without formulas leads nowhere: drop it before searching.
        has = np.zeros((len(self.wb.sheets), MAX_COL + 2), bool)
        for sf in self.sheets:
            has[sf.index, sf.cols] = True
        narrow_col = np.where(inside & (box_c1 == box_c2), np.clip(box_c1, 0, MAX_COL + 1), MAX_COL + 1)
        keep = inside & (~(box_c1 == box_c2) | has[box_t, narrow_col])
        box_src, box_t, box_c1, box_c2 = box_src[keep], box_t[keep], box_c1[keep], box_c2[keep]
        box_r1 = np.maximum(box_r1[keep], 0)
        box_r2 = np.minimum(box_r2[keep], MAX_ROW)
        # One-column boxes map directly; wider ones are expanded over the formula columns they cover.
        narrow = box_c1 == box_c2
        parts_src = [box_src[narrow]]
        parts_r1, parts_r2 = [box_r1[narrow]], [box_r2[narrow]]
        parts_base = [(box_t[narrow] << 36) | (box_c1[narrow] << 21)]
        wide = np.nonzero(~narrow)[0]
        if len(wide):
            formula_cols = {sf.index: np.unique(sf.cols) for sf in self.sheets}
            combos = np.stack([box_t[wide], box_c1[wide], box_c2[wide]], axis=1)
            first, inverse = unique_rows(combos)
            for u, at in enumerate(first.tolist()):
                t, c1, c2 = (int(x) for x in combos[at])
                fc = formula_cols.get(t, np.zeros(0, np.int64))
                sel = wide[inverse == u]
                for c in fc[(fc >= c1) & (fc <= c2)].tolist():
                    parts_src.append(box_src[sel])
                    parts_r1.append(box_r1[sel])
                    parts_r2.append(box_r2[sel])
                    parts_base.append(np.full(len(sel), (t << 36) | (c << 21), np.int64))
        src = np.concatenate(parts_src)
        base = np.concatenate(parts_base)
        lo = np.searchsorted(sorted_enc, base | np.concatenate(parts_r1), "left")
        hi = np.searchsorted(sorted_enc, base | np.concatenate(parts_r2), "right")
        keep = hi > lo
        src, lo, hi = src[keep], lo[keep], hi[keep]
        # Positions in sorted order -> node numbers.
        single = hi - lo == 1
        e_src.append(src[single])
        e_dst.append(order[lo[single]])
        total = n
        if (~single).any():
            pairs = np.stack([lo[~single], hi[~single]], axis=1)
            first_pair, inv = unique_rows(pairs)
            uniq = pairs[first_pair]
            e_src.append(src[~single])
            e_dst.append(n + inv)
            lengths = uniq[:, 1] - uniq[:, 0]
            starts = np.repeat(uniq[:, 0], lengths)
            offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
            e_src.append(np.repeat(n + np.arange(len(uniq)), lengths))
            e_dst.append(order[starts + offsets])
            total = n + len(uniq)
        if not sum(len(x) for x in e_src):
            return []
        a = np.concatenate(e_src)
        b = np.concatenate(e_dst)
        graph = csr_matrix((np.ones(len(a), np.int8), (a, b)), shape=(total, total))
        _, labels = connected_components(graph, directed=True, connection="strong")
        labels = labels[:n]
        counts = np.bincount(labels)
        out: dict[int, list[int]] = {}
        for node in np.nonzero(counts[labels] > 1)[0]:
            out.setdefault(int(labels[node]), []).append(int(node))
        # A formula referring to itself (directly, or through a range holding it).
        self_loops = set(np.asarray(a[(a == b) & (a < n)]).tolist())
        if (~single).any():
            ranged = src[~single]
            pos_of = np.empty(n, np.int64)
            pos_of[order] = np.arange(n)
            p = pos_of[ranged]
            inside = (p >= lo[~single]) & (p < hi[~single])
            self_loops.update(np.asarray(ranged[inside]).tolist())
        for node in self_loops:
            if counts[labels[node]] == 1:
                out[-1 - node] = [node]
        return list(out.values())


@dataclass
class _Tables:
    # Per shape: byte positions of the non-row digits, of the row digits, and where each row
    # run's digits are among the latter.
    other_pos: np.ndarray
    row_pos: np.ndarray
    run_slices: list[tuple[int, int]]
    other_lengths: tuple[int, ...]
    relative: np.ndarray
    relative_flags: tuple[bool, ...]
    column_of_run: dict[int, int]


_TABLES: dict[bytes, _Tables] = {}


def _tables(plan: ShapePlan) -> _Tables:
    found = _TABLES.get(plan.shape)
    if found is not None:
        return found
    other_pos = [p for run in plan.other_runs for p in range(*plan.runs[run])]
    row_runs = plan.row_runs
    row_pos = [p for run in row_runs for p in range(*plan.runs[run])]
    slices, at = [], 0
    for run in row_runs:
        start, end = plan.runs[run]
        slices.append((at, at + end - start))
        at += end - start
    found = _Tables(other_pos=np.asarray(other_pos, np.int64), row_pos=np.asarray(row_pos, np.int64),
                    run_slices=slices,
                    other_lengths=tuple(plan.runs[r][1] - plan.runs[r][0] for r in plan.other_runs),
                    relative=np.array([plan.run_kind[r] == 1 for r in row_runs], np.int64),
                    relative_flags=tuple(plan.run_kind[r] == 1 for r in row_runs),
                    column_of_run={run: j for j, run in enumerate(row_runs)})
    if len(_TABLES) < 50_000:
        _TABLES[plan.shape] = found
    return found


def _split(others: bytes, tables: _Tables) -> tuple[bytes, ...]:
    # The non-row digits of a formula, run by run.
    out, pos = [], 0
    for length in tables.other_lengths:
        out.append(others[pos:pos + length])
        pos += length
    return tuple(out)


def unique_rows(mat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index of each distinct row's first occurrence, distinct-row number of every row)."""
    n = len(mat)
    if n == 1 or mat.shape[1] == 0:
        return np.zeros(1, np.int64), np.zeros(n, np.int64)
    order = np.lexsort(mat.T[::-1]) if mat.shape[1] > 1 else np.argsort(mat[:, 0], kind="stable")
    ordered = mat[order]
    new = np.empty(n, bool)
    new[0] = True
    new[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    numbers = np.cumsum(new) - 1
    inverse = np.empty(n, np.int64)
    inverse[order] = numbers
    # The first occurrence of each distinct row, in order of appearance of its number.
    first = np.full(int(numbers[-1]) + 1, n, np.int64)
    np.minimum.at(first, numbers, order)
    return first, inverse


def _canonical(plan: ShapePlan, col: int) -> bytes:
    # The shape with relative column letters written as offsets from ``col`` (R1C1 style).
    return _canonical_cached(plan.shape, col)


_CANON: dict[tuple[bytes, int], bytes] = {}
_RUNS = re.compile(rb"\x01+")


def _canonical_cached(shape_bytes: bytes, col: int) -> bytes:
    key = (shape_bytes, col)
    found = _CANON.get(key)
    if found is not None:
        return found
    plan = plan_of(shape_bytes)
    edits = []
    for ref in plan.refs:
        for start, end, c, absolute in ref.col_spans:
            edits.append((start, end, (b"C%d" % c) if absolute else (b"C[%d]" % (c - col))))
    out, pos = [], 0
    for start, end, new in sorted(edits):
        out.append(shape_bytes[pos:start])
        out.append(new)
        pos = end
    out.append(shape_bytes[pos:])
    # Digit counts are not part of a form (row 9 and row 10 copies are one formula): the
    # digits themselves are in the rest of the key.
    result = _RUNS.sub(b"\x01", b"".join(out))
    if len(_CANON) < 200_000:
        _CANON[key] = result
    return result
