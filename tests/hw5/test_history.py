"""hw5.history: the one History of a training run and the numbers summarise reads from it."""
import numpy as np
import pytest

from hw5.history import History, loss_curve, summarise


def test_history_as_dict():
    h = History(train_loss=[np.float32(0.5)], valid_acc=[1])
    d = h.as_dict()
    assert d == {"train_loss": [0.5], "train_acc": [], "valid_loss": [], "valid_acc": [1.0], "seconds": [],
                 "diverged_epoch": None}
    assert type(d["valid_acc"][0]) is float
    assert History(valid_acc=[0.5, None], diverged_epoch=2).as_dict()["valid_acc"] == [0.5, None]


def test_summary_of_a_history():
    hist = History(train_loss=[2.0, 1.0, 0.5], train_acc=[0.4, 0.7, 0.8], valid_loss=[1.5, 0.9, 1.1],
                   valid_acc=[0.5, 0.92, 0.91], seconds=[1.0, 2.5, 4.0])
    s = summarise(hist)
    assert (s["final_valid_acc"], s["best_valid_acc"], s["best_epoch"]) == (0.91, 0.92, 2)
    assert (s["lowest_valid_loss"], s["lowest_valid_loss_epoch"], s["train_seconds"]) == (0.9, 2, 4.0)
    assert s["history"] == hist.as_dict() and not s["diverged"]


def curves(valid_acc, train_loss, diverged=None):
    n = len(valid_acc)
    return History(valid_acc=valid_acc, train_acc=[None if v is None else v + 0.05 for v in valid_acc],
                   train_loss=train_loss, valid_loss=[None if v is None else 1.0 for v in valid_acc],
                   diverged_epoch=diverged, seconds=[float(i) for i in range(n)])


def test_summary_of_a_diverged_run():
    s = summarise(curves([None] * 3, [None] * 3, diverged=1))
    assert s["diverged"] and s["diverged_epoch"] == 1
    assert s["final_valid_acc"] is None and s["last_gain"] is None and s["loss_rises"] == 0


def test_summary_counts_rises_and_gains():
    s = summarise(curves([0.2, 0.4, 0.5, 0.45, 0.6], [3.0, 2.0, 2.2, 1.5, 1.6]))
    assert not s["diverged"] and s["final_valid_acc"] == 0.6 and s["best_valid_acc"] == 0.6
    assert s["final_train_acc"] == pytest.approx(0.65) and s["final_train_loss"] == 1.6
    assert s["loss_rises"] == 2 and s["max_rise"] == pytest.approx(0.2)
    assert s["last_n"] == 4 and s["last_gain"] == pytest.approx(0.4)          # 0.6 - 0.2 over the 4 epochs


def test_loss_curve_finds_where_the_curve_flattens():
    losses = 1.0 + 99.0 * np.exp(-np.arange(100) / 5.0)               # falls 99, flat by about epoch 16
    s = loss_curve(losses, 0.05)
    assert s["flat_epoch"] == 16                                      # exp(-t/5) <= 0.05 from t = 15
    assert s["half_epoch"] == 5 and s["loss_rises"] == 0 and s["tail_epochs"] == 20
    assert 0 < s["tail_drop"] < 1e-4                                  # 99 e^-15.8 / 1 over the last 20
    bumpy = loss_curve([10.0, 6.0, 7.0, 2.0, 2.5, 1.0], 0.05)
    assert bumpy["loss_rises"] == 2 and bumpy["flat_epoch"] == 6 and bumpy["half_epoch"] == 4
    assert summarise(History(train_loss=list(losses)))["flat_epoch"] == 16      # the same inside summarise
