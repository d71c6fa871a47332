"""hw5.metrics: confusion matrices, the pairs confused most, the largest confusion, per-class accuracy and
what each class is taken for."""
import numpy as np
import pytest

from hw5 import metrics
from hw5.data import LETTERS

LABELS = np.array([0, 0, 1, 1, 1, 2, 2, 2, 2])
PREDS = np.array([0, 1, 1, 1, 0, 2, 0, 0, 2])
CM = np.array([[1, 1, 0],
               [1, 2, 0],
               [2, 0, 2]])


def test_confusion_matrix_by_hand():
    np.testing.assert_array_equal(metrics.confusion_matrix(LABELS, PREDS, 3), CM)
    wider = metrics.confusion_matrix(LABELS, PREDS, 4)                # a class without examples or predictions
    np.testing.assert_array_equal(wider[:3, :3], CM)
    assert wider.shape == (4, 4) and not wider[3].any() and not wider[:, 3].any()


def test_confusion_matrix_rows_and_diagonal(rng):
    labels, preds = rng.integers(0, 36, 500), rng.integers(0, 36, 500)
    preds[:200] = labels[:200]
    cm = metrics.confusion_matrix(labels, preds, 36)
    assert cm.shape == (36, 36)
    np.testing.assert_array_equal(cm.sum(axis=1), np.bincount(labels, minlength=36))
    assert np.trace(cm) / cm.sum() == pytest.approx(np.mean(labels == preds), abs=0)


def test_per_class_accuracy_by_hand():
    assert metrics.per_class_accuracy(CM) == pytest.approx([1 / 2, 2 / 3, 2 / 4])
    assert metrics.per_class_accuracy(np.array([[3, 1], [0, 0]])) == [0.75, 0.0]   # no examples: 0, not NaN


def test_largest_confusion_by_hand():
    assert metrics.largest_confusion(CM, ["a", "b", "c"]) == {"true": "c", "predicted": "a", "count": 2}
    diagonal_heavy = np.array([[50, 3], [3, 90]])                      # the diagonal never counts; ties: first
    assert metrics.largest_confusion(diagonal_heavy, ["x", "y"]) == {"true": "x", "predicted": "y", "count": 3}


def test_confused_pairs_sum_both_directions():
    cm = np.diag(np.full(36, 10))
    o, zero, s, five = LETTERS.index("O"), LETTERS.index("0"), LETTERS.index("S"), LETTERS.index("5")
    cm[o, zero], cm[zero, o], cm[s, five] = 3, 4, 6        # O/0: 7 in all beats S/5: 6 in one direction
    assert metrics.confused_pairs(cm, 2, LETTERS) == [["O", "0", 7], ["S", "5", 6]]


def test_confused_pairs_ties_keep_class_order():
    # both directions summed: (a, b) 1 + 2 = 3, (a, c) 2 + 1 = 3, (b, c) 4 + 0 = 4
    cm = np.array([[5, 1, 2], [2, 5, 4], [1, 0, 5]])
    assert metrics.confused_pairs(cm, 3, ["a", "b", "c"]) == [["b", "c", 4], ["a", "b", 3], ["a", "c", 3]]


def test_confused_pairs_never_pair_a_class_with_itself():
    pairs = metrics.confused_pairs(np.diag([5, 5, 5]), 2, ["a", "b", "c"])
    assert all(a != b for a, b, _ in pairs)


def test_taken_for_names_each_class_s_most_frequent_wrong_answer():
    cm = np.array([[5, 2, 2], [0, 6, 1], [3, 0, 4]])
    assert metrics.taken_for(cm, ["a", "b", "c"]) == [{"name": "b", "count": 2}, {"name": "c", "count": 1},
                                                      {"name": "a", "count": 3}]
    assert metrics.taken_for(np.eye(2, dtype=int), ["a", "b"])[0]["count"] == 0      # no error: count 0
