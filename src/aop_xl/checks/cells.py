"""Cell addresses and the grouping of many cells into a few rectangular ranges."""

from __future__ import annotations

from collections.abc import Iterable

from aop_xl.checks.formula import col_letters


def addr(row: int, col: int) -> str:
    """(7, 2) -> ``"B7"``."""
    return f"{col_letters(col)}{row}"


def box(r1: int, c1: int, r2: int, c2: int) -> str:
    """``"B7:F7"``, or ``"B7"`` for one cell."""
    return addr(r1, c1) if (r1, c1) == (r2, c2) else f"{addr(r1, c1)}:{addr(r2, c2)}"


def rectangles(cells: Iterable[tuple[int, int]]) -> list[tuple[int, int, int, int, int]]:
    """Group cells into rectangles: (r1, c1, r2, c2, how many cells), top to bottom.

    Runs along a row are merged first, then runs with the same columns on consecutive rows,
    so a broken row block reads ``B7:F7`` and a broken column ``D4:D40``.

    Examples:
        >>> rectangles([(7, 2), (7, 3), (7, 4), (9, 2)])
        [(7, 2, 7, 4, 3), (9, 2, 9, 2, 1)]
        >>> rectangles([(4, 4), (5, 4), (6, 4)])
        [(4, 4, 6, 4, 3)]
    """
    by_row: dict[int, list[int]] = {}
    for r, c in cells:
        by_row.setdefault(r, []).append(c)
    runs: list[tuple[int, int, int]] = []  # (row, c1, c2)
    for r in sorted(by_row):
        cols = sorted(set(by_row[r]))
        start = prev = cols[0]
        for c in cols[1:]:
            if c != prev + 1:
                runs.append((r, start, prev))
                start = c
            prev = c
        runs.append((r, start, prev))
    open_: dict[tuple[int, int], list[int]] = {}  # (c1, c2) -> [r1, r2]
    out = []
    for r, c1, c2 in runs:
        found = open_.get((c1, c2))
        if found is not None and found[1] == r - 1:
            found[1] = r
        else:
            if found is not None:
                out.append((found[0], c1, found[1], c2))
            open_[(c1, c2)] = [r, r]
    out.extend((r1, c1, r2, c2) for (c1, c2), (r1, r2) in open_.items())
    return sorted(((r1, c1, r2, c2, (r2 - r1 + 1) * (c2 - c1 + 1)) for r1, c1, r2, c2 in out),
                  key=lambda x: (x[0], x[1]))
