"""Findings: the derived numbers and verdicts the prose states, computed once, from values as the text prints them.

A sentence that prints two numbers and their difference must give the difference of the printed numbers
(85.6 % and 80.3 % are 5.3 points apart even when the unrounded values are 5.24 apart), a ratio beside two
printed times must be the ratio of those times, and a "hardest class" that shares its printed value with another
is a tie, and is named as one. Templates only look these up and choose words; the analysis part of each section
calls these functions. Digits here match the template filters: `pct(v, d)` prints `100 v` with d decimals.
"""
from __future__ import annotations

import math
from typing import Sequence


def shown(value: float, digits: int = 0) -> float:
    """The value as printed with `digits` decimals (the same rounding as the f-string the filters use)."""
    return float(f"{value:.{digits}f}")


def shown_pct(fraction: float, digits: int = 1) -> float:
    """A fraction as `pct` prints it, in percent: 0.85649 -> 85.6."""
    return shown(100 * fraction, digits)


def significant(value: float, digits: int = 3) -> float:
    """The value as `num(v, digits)` prints it (significant figures): 0.012345 -> 0.0123."""
    return float(f"{value:.{digits}g}")


def points(a: float, b: float, digits: int = 1) -> float:
    """a - b in percentage points, of the two fractions as `pct(·, digits)` prints them (may be negative)."""
    return shown(shown_pct(a, digits) - shown_pct(b, digits), digits)


def difference(a: float, b: float, digits: int) -> float:
    """a - b of the two values as printed with `digits` decimals (dB, seconds)."""
    return shown(shown(a, digits) - shown(b, digits), digits)


def ratio(a: float, b: float, digits_in: int = 0, digits: int = 1) -> float | None:
    """a / b of the two values as printed with `digits_in` decimals, rounded to `digits`; None when b prints as 0."""
    shown_b = shown(b, digits_in)
    return None if shown_b == 0 else shown(shown(a, digits_in) / shown_b, digits)


def direction(a: float, b: float) -> str:
    """"above", "below" or "equal": how a compares with b (give both as printed)."""
    return "above" if a > b else "below" if a < b else "equal"


def extremes(values: Sequence[float], names: Sequence[str], digits: int = 1) -> dict:
    """The lowest and highest of per-class fractions as `pct(·, digits)` prints them, with every class that ties:
    {"lowest": {"value", "names", "tie"}, "highest": {...}}; names keep the input order."""
    printed = [shown_pct(v, digits) for v in values]
    out = {}
    for key, pick in (("lowest", min), ("highest", max)):
        target = pick(printed)
        at = [i for i, p in enumerate(printed) if p == target]
        out[key] = {"value": values[at[0]], "names": [names[i] for i in at], "tie": len(at) > 1}
    return out


def lowest_ranked(values: dict[str, float], count: int, digits: int = 1) -> list[list]:
    """The `count` lowest [name, value] pairs by printed percentage, plus every further one that ties with the
    last of them (a third place shared by two classes names both). Order: value, then input order."""
    items = sorted(values.items(), key=lambda kv: shown_pct(kv[1], digits))
    if len(items) <= count:
        return [list(kv) for kv in items]
    cut = shown_pct(items[count - 1][1], digits)
    return [list(kv) for kv in items if shown_pct(kv[1], digits) <= cut]


def top_ties(rows: Sequence[Sequence], column: int = -1) -> list:
    """The leading rows that share the first row's value in `column` (rows sorted best first): a tie at the top."""
    if not rows:
        return []
    return [list(r) for r in rows if r[column] == rows[0][column]]


def largest_cells(cm: Sequence[Sequence[int]], names: Sequence[str]) -> dict:
    """Every off-diagonal cell of a confusion matrix that holds the largest count: {"cells": [{"true",
    "predicted", "count"}] in row order (empty when nothing is confused), "tie": more than one cell}."""
    cells = [(cm[i][j], i, j) for i in range(len(cm)) for j in range(len(cm)) if i != j]
    top = max((c for c, _, _ in cells), default=0)
    found = [] if top == 0 else [{"true": names[i], "predicted": names[j], "count": int(c)}
                                 for c, i, j in cells if c == top]
    return {"cells": found, "tie": len(found) > 1}


def mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values)


def band(value: float, low: float, high: float) -> str:
    """"above" when value > high, "below" when value < low, else "within" (the boundaries are within)."""
    return "above" if value > high else "below" if value < low else "within"


def two_columns(rows: list, blank) -> list[tuple]:
    """Rows of a table laid out in two side-by-side halves: [(rows[i], rows[i + half] or blank)]."""
    half = (len(rows) + 1) // 2
    return [(rows[i], rows[i + half] if i + half < len(rows) else blank) for i in range(half)]


def call(name: str, *args, **kwargs) -> str:
    """A constructor call as Python source, with the values a part's config gave it (JSON lists as tuples):
    call("NistCNN", widths=[16, 32, 64], dropout=0.5) -> 'NistCNN(widths=(16, 32, 64), dropout=0.5)'."""
    def text(v):
        return repr(tuple(v)) if isinstance(v, list) else repr(v)
    return f"{name}({', '.join([*map(text, args), *(f'{k}={text(v)}' for k, v in kwargs.items())])})"
