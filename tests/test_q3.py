"""Q3: training on NIST36 slices, divergence handling, confusion matrix, and the saved raw-input weights."""
from dataclasses import replace

import numpy as np
import pytest

from experiments import q3_nist_mlp as q3
from hw5 import metrics, mlp, nn
from hw5.augment import warp_images
from hw5.data import LETTERS


def blobs(rng, n=180, classes=36):
    """Separable stand-in data: class c lights up 28 pixels of its own; x (n, 1024), y one-hot (n, 36)."""
    labels = np.arange(n) % classes
    x = rng.random((n, 1024), dtype=np.float32) * 0.3
    x[np.arange(n)[:, None], labels[:, None] * 28 + np.arange(28)] += 1.0
    return x, np.eye(classes, dtype=np.float32)[labels]


def tiny_cfg(**kw):
    return replace(q3.Config(), epochs=3, max_shift=0, max_rotate=0, max_zoom=0, **kw)


def test_training_on_tiny_slice_beats_chance(data_root):
    cfg = replace(q3.Config(), epochs=4, train_limit=1080, valid_limit=360)
    data = q3.load(data_root, cfg, seed=0)
    centre = data["train"][0].mean(axis=0)
    _, hist = mlp.train(data, centre, cfg, 0.1, seed=0)
    assert hist["diverged_epoch"] is None
    assert hist["train_loss"][-1] < hist["train_loss"][0] < np.log(36)       # below the uniform guess
    assert hist["valid_acc"][-1] > 5 / 36                                     # chance is 1/36


def test_overflowing_learning_rate_is_detected_and_reported(rng):
    x, y = blobs(rng)
    data = {"train": (x, y), "valid": (x[:36], y[:36])}
    centre = x.mean(axis=0)
    params, hist = mlp.train(data, centre, tiny_cfg(), 1e38, seed=0)          # raises no warning (they are errors)
    assert hist["diverged_epoch"] == 1
    assert hist["valid_acc"] == [None] * 3 and len(hist["train_loss"]) == 3
    summary = q3.curve_summary(hist, hist)
    assert summary["diverged"] and summary["final_valid_acc"] is None
    _, ok = mlp.train(data, centre, tiny_cfg(), 0.1, seed=0)                  # same data, sane rate: no alarm
    assert ok["diverged_epoch"] is None and ok["train_acc"][-1] > 10 / 36               # chance is 1/36


def test_rates_trained_in_lockstep_match_single_runs(rng):
    x, y = blobs(rng, n=72)
    data = {"train": (x, y), "valid": (x[:36], y[:36])}
    cfg = replace(q3.Config(), epochs=2, max_shift=1.0, max_rotate=5.0, max_zoom=0.05)   # with augmentation
    both = mlp.train_rates(data, x.mean(axis=0), cfg, [0.1, 0.03], seed=3)
    for lr in (0.1, 0.03):
        params, hist = mlp.train(data, x.mean(axis=0), cfg, lr, seed=3)
        assert hist == both[lr][1]
        np.testing.assert_array_equal(params["Wlayer1"], both[lr][0]["Wlayer1"])
    assert both[0.1][1] != both[0.03][1]


def test_confusion_matrix_rows_and_diagonal(rng):
    labels, preds = rng.integers(0, 36, 500), rng.integers(0, 36, 500)
    preds[:200] = labels[:200]
    cm = metrics.confusion_matrix(labels, preds, 36)
    assert cm.shape == (36, 36)
    np.testing.assert_array_equal(cm.sum(axis=1), np.bincount(labels, minlength=36))
    assert np.trace(cm) / cm.sum() == pytest.approx(np.mean(labels == preds), abs=0)


def test_confused_pairs_sum_both_directions():
    cm = np.diag(np.full(36, 10))
    o, zero, s, five = LETTERS.index("O"), LETTERS.index("0"), LETTERS.index("S"), LETTERS.index("5")
    cm[o, zero], cm[zero, o], cm[s, five] = 3, 4, 6        # O/0: 7 in all beats S/5: 6 in one direction
    assert metrics.confused_pairs(cm, 2, LETTERS) == [["O", "0", 7], ["S", "5", 6]]


def test_warps_move_ink_inside_a_white_border(rng):
    x = np.ones((5, 1024), np.float32)
    x.reshape(5, 32, 32)[:, 14:18, 14:18] = 0.0                  # a dark square far from the edges
    still = warp_images(x, rng, max_shift=0, max_rotate=0, max_zoom=0)
    np.testing.assert_allclose(still, x, atol=1e-6)               # no warp: identity
    moved = warp_images(x, rng, max_shift=2, max_rotate=0, max_zoom=0).reshape(5, 32, 32)
    ink = (1 - moved).sum(axis=(1, 2))
    np.testing.assert_allclose(ink, 16, atol=1e-4)                # a shift moves ink, neither loses nor invents it
    rows = [np.average(np.arange(32), weights=(1 - im).sum(1)) for im in moved]   # ink's centre row, was 15.5
    assert all(13.5 - 1e-6 <= r <= 17.5 + 1e-6 for r in rows) and np.ptp(rows) > 0.1
    turned = warp_images(x, rng, max_shift=0, max_rotate=45, max_zoom=0.2).reshape(5, 32, 32)
    assert (turned[:, :8] == 1).all() and (turned[:, :, :8] == 1).all()    # border stays white (cval)
    assert not np.allclose(turned, x.reshape(5, 32, 32))


def test_centring_folds_into_first_bias(rng):
    x, _ = blobs(rng, n=40)
    params = mlp.init_training(64, rng)
    params["blayer1"] += rng.normal(size=64).astype(np.float32)
    centre = x.mean(axis=0)
    folded = mlp.raw_input_weights(params, centre)
    np.testing.assert_allclose(mlp.predict(x, dict(folded)), mlp.predict(x - centre, params), atol=1e-5)


def test_saved_weights_reproduce_test_accuracy(run_section, data_root, tmp_path):
    result = run_section(q3, learning_rates=(0.1, 0.3))
    m = result.metrics
    w = np.load(tmp_path / "q3" / result.artifacts["q3_weights"])
    assert {k: w[k].shape for k in w.files} == {"Wlayer1": (1024, 64), "blayer1": (64,), "Woutput": (64, 36),
                                                "boutput": (36,)}
    from hw5.data import load_nist36
    x, y = load_nist36(data_root, "test")
    h = nn.sigmoid(x @ w["Wlayer1"] + w["blayer1"])                          # raw .mat rows, as Q4 uses them
    probs = nn.softmax(h @ w["Woutput"] + w["boutput"])
    assert np.mean(probs.argmax(1) == y.argmax(1)) == pytest.approx(m["test_accuracy"], abs=0)
    assert m["test_accuracy"] > 3 / 36 and m["best_learning_rate"] in (0.1, 0.3)
    assert set(m["sweep"]) >= {"0.1", "0.3"} and m["sweep"][f"{m['best_learning_rate']:g}"] == m["valid_accuracy"]
    assert sum(n for *_, n in m["confused_pairs"]) <= m["test_errors"]
    again = run_section(q3, learning_rates=(0.1, 0.3))                       # same seed, same numbers
    assert again.metrics["valid_accuracy"] == m["valid_accuracy"] and again.metrics["sweep"] == m["sweep"]
