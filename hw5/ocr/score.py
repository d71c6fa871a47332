"""Q4 scoring: character accuracy = 1 - Levenshtein distance / ground-truth characters, lines aligned by index,
spaces and punctuation ignored; plus the marks and confusion counts the writeup shows."""
from __future__ import annotations

import numpy as np


def normalise_text(text: str) -> str:
    """Only the characters that are scored: A-Z and 0-9 (spaces and punctuation ignored)."""
    return "".join(ch for ch in text.upper() if ch.isascii() and ch.isalnum())


def edit_table(a: str, b: str) -> np.ndarray:
    """(len(a) + 1, len(b) + 1) Levenshtein table: d[i, j] = edits turning a[:i] into b[:j]."""
    d = np.zeros((len(a) + 1, len(b) + 1), dtype=int)
    d[:, 0], d[0, :] = np.arange(len(a) + 1), np.arange(len(b) + 1)
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i, j] = min(d[i - 1, j] + 1, d[i, j - 1] + 1, d[i - 1, j - 1] + (a[i - 1] != b[j - 1]))
    return d


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions) between two strings."""
    return int(edit_table(a, b)[-1, -1])


def align(a: str, b: str) -> list[tuple[int | None, int | None]]:
    """A minimal-edit alignment of a with b as index pairs (i, j); None marks an insertion or a deletion."""
    d, i, j, pairs = edit_table(a, b), len(a), len(b), []
    while i or j:
        if i and j and d[i, j] == d[i - 1, j - 1] + (a[i - 1] != b[j - 1]):
            i, j = i - 1, j - 1
            pairs.append((i, j))
        elif i and d[i, j] == d[i - 1, j] + 1:
            i -= 1
            pairs.append((i, None))
        else:
            j -= 1
            pairs.append((None, j))
    return pairs[::-1]


def mark_errors(predicted: str, truth: str) -> list[tuple[str, bool]]:
    """The predicted line as (character, correct) pairs along a minimal alignment with the truth; a truth
    character the prediction lacks appears as ("·", False). Spaces and punctuation count as correct."""
    keep = [i for i, ch in enumerate(predicted) if normalise_text(ch)]
    a, b = "".join(predicted[i] for i in keep), normalise_text(truth)
    ok, missing_before = {}, {}            # scored index -> correct; scored index -> truth chars missing
    pending = 0
    for i, j in align(a, b):
        if i is None:
            pending += 1
            continue
        ok[i], missing_before[i], pending = j is not None and a[i] == b[j], pending, 0
    out, pos = [], {k: n for n, k in enumerate(keep)}
    for idx, ch in enumerate(predicted):
        out += [("·", False)] * missing_before.get(pos[idx], 0) if idx in pos else []
        out.append((ch, ok.get(pos.get(idx), True)))
    return out + [("·", False)] * pending


def confusions(predicted: list[str], truth: list[str]) -> dict[tuple[str, str], int]:
    """Counts of (true character, read as) substitutions over lines aligned by index."""
    counts: dict[tuple[str, str], int] = {}
    for p, t in zip(predicted, truth):
        a, b = normalise_text(p), normalise_text(t)
        for i, j in align(a, b):
            if i is not None and j is not None and a[i] != b[j]:
                counts[b[j], a[i]] = counts.get((b[j], a[i]), 0) + 1
    return counts


def page_edits(predicted: list[str], truth: list[str]) -> tuple[int, int]:
    """(summed Levenshtein distance, ground-truth characters) of a page, lines aligned by index; missing
    lines count as all deleted, extra lines as all inserted; spaces and punctuation are ignored."""
    n = max(len(predicted), len(truth))
    pred = [normalise_text(t) for t in predicted] + [""] * (n - len(predicted))
    true = [normalise_text(t) for t in truth] + [""] * (n - len(truth))
    return sum(levenshtein(p, t) for p, t in zip(pred, true)), sum(len(t) for t in true)


def char_accuracy(predicted: list[str], truth: list[str]) -> float:
    """1 - (summed per-line Levenshtein distance) / (ground-truth characters), as page_edits counts them;
    floored at 0."""
    edits, total = page_edits(predicted, truth)
    return max(0.0, 1.0 - edits / max(total, 1))
