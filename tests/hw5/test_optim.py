"""hw5.optim: the two momentum conventions by hand, Adam's bias correction, flattening to views, the cosine rate."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

from hw5 import optim


def tiny(dtype):
    return {"W": np.array([1.0, 2.0], dtype), "m_W": np.zeros(2, dtype)}


G1, G2 = np.array([1.0, -2.0]), np.array([0.5, 0.5])


def two_steps(step, dtype, rates):
    params = tiny(dtype)
    for g, lr in zip((G1, G2), rates):
        params["grad_W"] = g.astype(dtype)
        step(params, ["W"], lr, 0.5)
    return params


@pytest.mark.parametrize("step, dtype", [(optim.heavy_ball, np.float32), (optim.handout_momentum, np.float64)],
                         ids=["heavy-ball", "handout"])
def test_momentum_conventions_agree_at_a_constant_rate(step, dtype):
    # heavy ball: m1 = g1, W1 = (0.9, 2.2); m2 = 0.5 m1 + g2 = (1, -0.5), W2 = W1 - 0.1 m2 = (0.8, 2.25)
    # handout:    M1 = -0.1 g1 = (-0.1, 0.2), W1 = (0.9, 2.2); M2 = 0.5 M1 - 0.1 g2 = (-0.1, 0.05), W2 = W1 + M2
    params = two_steps(step, dtype, (0.1, 0.1))
    assert_allclose(params["W"], [0.8, 2.25], rtol=1e-6)


def test_momentum_conventions_differ_when_the_rate_changes():
    heavy = two_steps(optim.heavy_ball, np.float32, (0.1, 0.2))      # W2 = (0.9, 2.2) - 0.2 (1, -0.5)
    handout = two_steps(optim.handout_momentum, np.float64, (0.1, 0.2))  # M2 = 0.5 (-0.1, 0.2) - 0.2 g2
    assert_allclose(heavy["W"], [0.7, 2.3], rtol=1e-6)
    assert_allclose(handout["W"], [0.75, 2.2], rtol=1e-6)


def test_heavy_ball_updates_its_buffers_in_place():
    params = tiny(np.float32)
    w, m = params["W"], params["m_W"]
    params["grad_W"] = np.array([1.0, 1.0], np.float32)
    optim.heavy_ball(params, ["W"], 0.1, 0.9)
    assert params["W"] is w and params["m_W"] is m and w.dtype == np.float32
    assert_allclose(m, [1.0, 1.0])


def test_adam_first_step_moves_every_weight_by_the_learning_rate():
    w, g = np.zeros(4, np.float32), np.array([3.0, -0.5, 1e-3, -20.0], np.float32)
    state = {"t": 0, "adam_m": np.zeros(4, np.float32), "adam_v": np.zeros(4, np.float32)}
    optim.adam_step(w, g, state, lr=0.01)
    assert_allclose(w, -0.01 * np.sign(g), rtol=1e-3)               # bias-corrected m/sqrt(v) = sign(g), up to eps
    assert state["t"] == 1


def test_adam_steps_by_the_rate_while_the_gradient_is_constant():
    w, g = np.ones(2), np.array([0.2, -5.0])
    state = {"t": 0, "adam_m": np.zeros(2), "adam_v": np.zeros(2)}
    for _ in range(3):
        optim.adam_step(w, g, state, lr=0.05)
    assert_allclose(w, [1 - 3 * 0.05, 1 + 3 * 0.05], rtol=1e-6)
    assert state["t"] == 3
    assert_allclose(state["adam_m"], (1 - 0.9 ** 3) * g)            # m_t = (1 - b1^t) g for a constant g


def test_flatten_makes_params_views_of_one_buffer():
    params = {"a": np.arange(6.0).reshape(2, 3), "b": np.array([10.0, 11.0]), "other": np.zeros(1)}
    flat = optim.flatten(params, ["b", "a"])
    assert flat.dtype == np.float32
    assert_allclose(flat, [10, 11, 0, 1, 2, 3, 4, 5])               # in the order of the keys
    assert params["a"].shape == (2, 3) and params["a"].dtype == np.float32
    flat += 1.0
    assert_allclose(params["a"], np.arange(1.0, 7.0).reshape(2, 3))
    assert_allclose(params["b"], [11.0, 12.0])
    assert_allclose(params["other"], [0.0])


def test_schedule_warms_up_then_decays_to_zero():
    lrs = [optim.cosine(1.0, t, 100, 10) for t in range(100)]
    assert lrs[0] == pytest.approx(0.1) and lrs[9] == pytest.approx(1.0) and lrs[10] == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(lrs[10:], lrs[11:])) and lrs[-1] < 1e-3


@pytest.mark.parametrize("t, total, warmup, expected", [
    (0, 50, 0, 0.3), (25, 50, 0, 0.15), (50, 50, 0, 0.0), (55, 100, 10, 0.15), (4, 100, 10, 0.15),
], ids=["start", "half", "end", "half-after-warmup", "warmup-half"])
def test_cosine_known_values(t, total, warmup, expected):
    assert optim.cosine(0.3, t, total, warmup) == pytest.approx(expected, abs=1e-15)
