"""Classification metrics shared by the questions: confusion matrices, the pairs confused most, per-class
accuracy and what each class is taken for."""
from __future__ import annotations

import numpy as np


def confusion_matrix(labels: np.ndarray, preds: np.ndarray, classes: int) -> np.ndarray:
    """(classes, classes) counts; row = true class, column = predicted class. labels, preds: (N,) ints."""
    return np.bincount(labels * classes + preds, minlength=classes * classes).reshape(classes, classes)


def confused_pairs(cm: np.ndarray, k: int, names) -> list[list]:
    """The k unordered class pairs with the most confusions (both directions summed): [[a, b, count], ...].

    Ties keep the order of the classes (row, then column of the upper triangle).
    """
    rows, cols = np.triu_indices(len(cm), k=1)
    counts = (cm + cm.T)[rows, cols]
    best = np.argsort(-counts, kind="stable")[:k]
    return [[names[rows[b]], names[cols[b]], int(counts[b])] for b in best]


def per_class_accuracy(cm: np.ndarray) -> list[float]:
    """Accuracy of each true class (row) of a confusion matrix; 0 for a class without examples."""
    return (np.diag(cm) / np.maximum(cm.sum(1), 1)).tolist()


def errors_only(cm: np.ndarray) -> np.ndarray:
    """A copy of the confusion matrix with -1 on the diagonal, so that argmax finds the largest error."""
    off = np.array(cm, copy=True)
    np.fill_diagonal(off, -1)
    return off


def largest_confusion(cm: np.ndarray, names) -> dict:
    """The single off-diagonal cell with the most images: {"true", "predicted", "count"} (first of equals)."""
    off = errors_only(cm)
    i, j = np.unravel_index(int(np.argmax(off)), off.shape)
    return {"true": names[i], "predicted": names[j], "count": int(off[i, j])}


def taken_for(cm: np.ndarray, names) -> list[dict]:
    """Per true class, the class its images are most often taken for: [{"name", "count"}] (first of equals;
    count 0 when the class has no error)."""
    off = errors_only(cm)
    return [{"name": names[int(j)], "count": int(off[i, j])} for i, j in enumerate(off.argmax(1))]
