"""hw5.mlp: the handout network's forward/backward, training in lockstep over rates, divergence, folded centring."""
from functools import partial

import numpy as np
import pytest

from hw5 import mlp, nn
from hw5.data import load_nist36, seeded_subset


SEEDS = mlp.Seeds(init=0, order=1, warps=2)
Cfg = partial(mlp.TrainingConfig, epochs=3, max_shift=0.0, max_rotate=0.0, max_zoom=0.0)   # Q3's, no warps


def blobs(rng, n=180, classes=36):
    """Separable stand-in data: class c lights up 28 pixels of its own; x (n, 1024), y one-hot (n, 36)."""
    labels = np.arange(n) % classes
    x = rng.random((n, 1024), dtype=np.float32) * 0.3
    x[np.arange(n)[:, None], labels[:, None] * 28 + np.arange(28)] += 1.0
    return x, np.eye(classes, dtype=np.float32)[labels]


def test_training_on_tiny_slice_beats_chance(fixture_root):
    splits = {}
    for split, limit in (("train", 1080), ("valid", 360)):
        x, y = load_nist36(fixture_root, split)
        keep = seeded_subset(len(x), limit, 0)
        splits[split] = (x[keep], y[keep])
    cfg = Cfg(epochs=4, max_shift=2.0, max_rotate=10.0, max_zoom=0.1)
    _, hist = mlp.train(splits, splits["train"][0].mean(axis=0), cfg, 0.1, SEEDS)
    assert hist.diverged_epoch is None
    assert hist.train_loss[-1] < hist.train_loss[0] < np.log(36)       # below the uniform guess
    assert hist.valid_acc[-1] > 5 / 36                                     # chance is 1/36


def test_overflowing_learning_rate_is_detected_and_reported(rng):
    x, y = blobs(rng)
    data = {"train": (x, y), "valid": (x[:36], y[:36])}
    centre = x.mean(axis=0)
    _, hist = mlp.train(data, centre, Cfg(), 1e38, SEEDS)                    # raises no warning (they are errors)
    assert hist.diverged_epoch == 1
    assert hist.valid_acc == [None] * 3 and len(hist.train_loss) == 3
    _, ok = mlp.train(data, centre, Cfg(), 0.1, SEEDS)                       # same data, sane rate: no alarm
    assert ok.diverged_epoch is None and ok.train_acc[-1] > 10 / 36    # chance is 1/36


def test_rates_trained_in_lockstep_match_single_runs(rng):
    x, y = blobs(rng, n=72)
    data = {"train": (x, y), "valid": (x[:36], y[:36])}
    cfg = Cfg(epochs=2, max_shift=1.0, max_rotate=5.0, max_zoom=0.05)        # with augmentation
    both = mlp.train_rates(data, x.mean(axis=0), cfg, [0.1, 0.03], mlp.Seeds(3, 4, 5))
    for lr in (0.1, 0.03):
        params, hist = mlp.train(data, x.mean(axis=0), cfg, lr, mlp.Seeds(3, 4, 5))
        assert hist == both[lr][1]
        np.testing.assert_array_equal(params["Wlayer1"], both[lr][0]["Wlayer1"])
    assert both[0.1][1] != both[0.03][1]


def test_centring_folds_into_first_bias(rng):
    x, _ = blobs(rng, n=40)
    params = mlp.init_training(64, rng)
    params["blayer1"] += rng.normal(size=64).astype(np.float32)
    centre = x.mean(axis=0)
    folded = mlp.raw_input_weights(params, centre)
    np.testing.assert_allclose(mlp.predict(x, dict(folded)), mlp.predict(x - centre, params), atol=1e-5)
    assert all(folded[k].dtype == np.float64 for k in mlp.KEYS)     # the handout's dtype, for its float64 rows
    assert params["blayer1"].dtype == np.float32                    # the training parameters are untouched


def test_init_training_is_float32_with_zero_momentum(rng):
    params = mlp.init_training(8, rng, n_in=5, n_out=3)
    assert {k: params[k].shape for k in mlp.KEYS} == {"Wlayer1": (5, 8), "blayer1": (8,), "Woutput": (8, 3),
                                                      "boutput": (3,)}
    for k in mlp.KEYS:
        assert params[k].dtype == np.float32 and params["m_" + k].dtype == np.float32
        assert params["m_" + k].shape == params[k].shape and not params["m_" + k].any()


def test_predict_by_hand():
    params = {"Wlayer1": np.zeros((2, 1)), "blayer1": np.zeros(1),            # hidden unit: sigmoid(0) = 1/2
              "Woutput": np.array([[0.0, 2 * np.log(3.0)]]), "boutput": np.zeros(2)}
    np.testing.assert_allclose(mlp.predict(np.ones((1, 2)), params), [[0.25, 0.75]])   # logits 0, log 3


def test_batch_mean_gradients_are_the_summed_ones_over_n(rng):
    x, y = rng.normal(size=(4, 6)), np.eye(3)[[0, 1, 2, 0]]
    params = mlp.init_params(6, 5, 3, rng)
    mlp.backprop(x, y, params)
    summed = {k: params["grad_" + k].copy() for k in mlp.KEYS}
    mlp.backprop(x, y, params, batch_mean=True)
    for k in mlp.KEYS:
        np.testing.assert_allclose(params["grad_" + k], summed[k] / 4, rtol=1e-6, err_msg=k)


def test_backprop_matches_numerical_gradient(rng):
    x, y = rng.normal(size=(3, 4)), np.eye(3)[[2, 0, 1]]
    params = mlp.init_params(4, 5, 3, rng)
    params["blayer1"] = rng.normal(size=5)
    mlp.backprop(x, y, params)
    for k in mlp.KEYS:
        numeric = nn.numerical_grad(lambda: nn.compute_loss_and_acc(y, mlp.predict(x, params))[0], params[k])
        assert nn.norm_relative_error(params["grad_" + k], numeric) < 1e-7, k


def test_sgd_step_is_heavy_ball_on_batch_mean_gradients(rng):
    x, y = blobs(rng, n=8)
    params = mlp.init_training(6, rng)
    reference = {k: v.copy() for k, v in params.items()}
    mlp.backprop(x, y, reference, batch_mean=True)
    mlp.sgd_step(x, y, params, lr=0.5, momentum=0.9)
    for k in mlp.KEYS:                       # first step from zero momentum: plain gradient descent
        np.testing.assert_allclose(params[k], reference[k] - 0.5 * reference["grad_" + k], rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(params["m_" + k], reference["grad_" + k], rtol=1e-6)


def test_loss_and_accuracy_returns_mean_loss_and_accuracy():
    params = {"Wlayer1": np.zeros((2, 1)), "blayer1": np.zeros(1),
              "Woutput": np.array([[0.0, 2 * np.log(3.0)]]), "boutput": np.zeros(2)}
    x, y = np.ones((2, 2)), np.eye(2)[[1, 0]]                  # both predicted class 1 with p = 0.75
    loss, acc = mlp.loss_and_accuracy(x, y, params)
    assert loss == pytest.approx(-(np.log(0.75) + np.log(0.25)) / 2) and acc == 0.5
    params["Woutput"] = np.array([[0.0, np.inf]])                # the forward pass overflows
    assert np.isnan(mlp.loss_and_accuracy(x, y, params)[0])


def test_classifier_computes_in_float64_from_saved_weights():
    weights = {"Wlayer1": np.zeros((2, 1), np.float32), "blayer1": np.zeros(1, np.float32),
               "Woutput": np.array([[0.0, 2 * np.log(3.0)]], np.float32), "boutput": np.zeros(2, np.float32),
               "m_Wlayer1": np.ones((2, 1), np.float32)}               # extra entries are ignored
    probs = mlp.classifier(weights)(np.ones((3, 2), np.float32))
    assert probs.dtype == np.float64
    np.testing.assert_allclose(probs, [[0.25, 0.75]] * 3, rtol=1e-6)
