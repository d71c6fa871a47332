"""hw5.nn, the Q2 handout functions: shapes, known values, gradients against finite differences and torch."""
import numpy as np
import pytest
import torch

from hw5 import nn


def make_net(rng, d=6, h=5, c=3):
    params = {}
    nn.initialize_weights(d, h, params, "layer1", rng=rng)
    nn.initialize_weights(h, c, params, "output", rng=rng)
    params["blayer1"] = rng.normal(size=h)
    params["boutput"] = rng.normal(size=c)
    return params


def loss_of(x, y, params):
    h = nn.forward(x, params, "layer1", nn.sigmoid)
    probs = nn.softmax(nn.forward(h, params, "output", nn.linear))
    return nn.compute_loss_and_acc(y, probs)[0], probs


def backprop(x, y, params):
    """Forward, then backward through both layers; leaves grad_* in params."""
    _, probs = loss_of(x, y, params)
    delta = nn.backwards(probs - y, params, "output", nn.linear_deriv)
    nn.backwards(delta, params, "layer1", nn.sigmoid_deriv)


def test_initialize_weights_is_xavier_uniform(rng):
    params = {}
    nn.initialize_weights(300, 200, params, "layer1", rng=rng)
    W, b = params["Wlayer1"], params["blayer1"]
    limit = np.sqrt(6 / 500)
    assert W.shape == (300, 200) and b.shape == (200,)
    assert np.all(np.abs(W) <= limit) and np.abs(W).max() > 0.99 * limit
    assert W.var() == pytest.approx(2 / 500, rel=0.02)
    assert np.all(b == 0)


@pytest.mark.parametrize("x, expected", [
    pytest.param(np.array([-1000.0, 0.0, 1000.0]), [0.0, 0.5, 1.0], id="extremes"),
    pytest.param(np.array([np.log(3.0)]), [0.75], id="log3"),
])
def test_sigmoid_known_values(x, expected):
    with np.errstate(over="raise", invalid="raise"):   # no overflow even at +-1000
        assert nn.sigmoid(x) == pytest.approx(expected, abs=1e-15)


def test_sigmoid_keeps_float32():
    assert nn.sigmoid(np.zeros(3, dtype=np.float32)).dtype == np.float32


def test_softmax_rows_sum_to_one_and_survive_huge_logits():
    x = np.array([[1000.0, 1000.0, -1000.0], [-1000.0, -999.0, -1000.0], [1.0, 2.0, 3.0]])
    with np.errstate(over="raise", invalid="raise"):
        p = nn.softmax(x)
    assert p.shape == (3, 3)
    assert p.sum(axis=1) == pytest.approx([1, 1, 1], abs=1e-15)
    assert p[0] == pytest.approx([0.5, 0.5, 0.0])
    assert p[2] == pytest.approx(np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum())


def test_compute_loss_and_acc_sums_cross_entropy():
    y = np.eye(3)[[0, 1, 2, 0]]
    probs = np.array([[0.5, 0.25, 0.25], [0.1, 0.8, 0.1], [0.6, 0.2, 0.2], [0.25, 0.5, 0.25]])
    loss, acc = nn.compute_loss_and_acc(y, probs)
    assert loss == pytest.approx(-(np.log(0.5) + np.log(0.8) + np.log(0.2) + np.log(0.25)))
    assert acc == pytest.approx(0.5)


def test_forward_caches_and_backwards_shapes(rng):
    params = make_net(rng)
    x = rng.normal(size=(4, 6))
    out = nn.forward(x, params, "layer1")
    X, pre, post = params["cache_layer1"]
    assert X is x and pre.shape == post.shape == out.shape == (4, 5)
    dx = nn.backwards(np.ones_like(out), params, "layer1", nn.sigmoid_deriv)
    assert dx.shape == x.shape
    assert params["grad_Wlayer1"].shape == params["Wlayer1"].shape
    assert params["grad_blayer1"].shape == params["blayer1"].shape


@pytest.mark.parametrize("act, deriv", [(nn.sigmoid, nn.sigmoid_deriv), (nn.tanh, nn.tanh_deriv),
                                        (nn.relu, nn.relu_deriv), (nn.linear, nn.linear_deriv)],
                         ids=["sigmoid", "tanh", "relu", "linear"])
def test_activation_derivatives_match_finite_differences(act, deriv, rng):
    x = rng.normal(size=50)
    x = x[np.abs(x) > 1e-3]                         # relu has no derivative at 0
    h = 1e-6
    numeric = (act(x + h) - act(x - h)) / (2 * h)
    assert deriv(act(x)) == pytest.approx(numeric, abs=1e-8)


def test_backprop_matches_numerical_gradient(rng):
    params = make_net(rng)
    x, y = rng.normal(size=(7, 6)), np.eye(3)[rng.integers(0, 3, 7)]
    backprop(x, y, params)
    for name in ("Wlayer1", "blayer1", "Woutput", "boutput"):
        analytic = params["grad_" + name].copy()
        numeric = nn.numerical_grad(lambda: loss_of(x, y, params)[0], params[name])
        assert nn.relative_error(analytic, numeric).max() < 1e-6, name


def test_backprop_matches_torch(rng):
    """An independent oracle: the same two-layer network in torch autograd."""
    params = make_net(rng)
    x, y = rng.normal(size=(5, 6)), np.eye(3)[rng.integers(0, 3, 5)]
    backprop(x, y, params)
    t = {k: torch.tensor(params[k], requires_grad=True) for k in ("Wlayer1", "blayer1", "Woutput", "boutput")}
    logits = torch.sigmoid(torch.tensor(x) @ t["Wlayer1"] + t["blayer1"]) @ t["Woutput"] + t["boutput"]
    loss = -(torch.tensor(y) * torch.log_softmax(logits, 1)).sum()
    loss.backward()
    for name, tensor in t.items():
        np.testing.assert_allclose(params["grad_" + name], tensor.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_get_random_batches_covers_every_example_once(rng):
    x, y = np.arange(23)[:, None], np.arange(23)[:, None] * 10
    batches = nn.get_random_batches(x, y, 5, rng=rng)
    assert [len(bx) for bx, _ in batches] == [5, 5, 5, 5, 3]
    assert sorted(np.concatenate([bx for bx, _ in batches]).ravel()) == list(range(23))
    for bx, by in batches:                            # pairs stay aligned
        assert np.all(by == bx * 10)


def test_numerical_grad_restores_its_input(rng):
    x = rng.normal(size=(3, 2))
    before = x.copy()
    g = nn.numerical_grad(lambda: float(np.sum(x ** 2)), x)
    np.testing.assert_array_equal(x, before)
    np.testing.assert_allclose(g, 2 * x, atol=1e-8)


def test_norm_relative_error_is_scale_free_and_bounded():
    a = np.random.default_rng(0).normal(size=(4, 5))
    assert nn.norm_relative_error(a, a) == 0.0
    assert np.isclose(nn.norm_relative_error(a, -a), np.sqrt(2))                   # the largest it can be
    assert np.isclose(nn.norm_relative_error(1e-9 * a, 1e-9 * (a + 1e-3)), nn.norm_relative_error(a, a + 1e-3))
    assert nn.norm_relative_error(np.zeros(3), np.zeros(3)) == 0.0


def test_relative_error_known_values():
    analytic, numeric = np.array([1.0, 0.0, 2.0, -1.0]), np.array([3.0, 0.0, 2.0, 1.0])
    np.testing.assert_allclose(nn.relative_error(analytic, numeric), [0.5, 0.0, 0.0, 1.0])


def test_norm_relative_error_known_value():
    assert nn.norm_relative_error(np.array([3.0, 0.0]), np.array([0.0, 4.0])) == pytest.approx(1.0)
    assert nn.norm_relative_error(np.array([1.0, 1.0]), np.array([1.0, 0.0])) == pytest.approx(1 / np.sqrt(3))


def test_forward_applies_weights_bias_and_activation():
    params = {"Wl": np.array([[1.0, -1.0], [2.0, 0.0]]), "bl": np.array([0.5, 1.0])}
    out = nn.forward(np.array([[1.0, 1.0]]), params, "l", nn.relu)
    np.testing.assert_allclose(params["cache_l"][1], [[3.5, 0.0]])
    np.testing.assert_allclose(out, [[3.5, 0.0]])
    out = nn.forward(np.array([[1.0, -1.0]]), params, "l", nn.relu)    # pre-activation (-0.5, 0)
    np.testing.assert_allclose(out, [[0.0, 0.0]])


def test_backwards_by_hand():
    params = {"Wl": np.array([[1.0], [2.0]]), "bl": np.array([0.0])}
    x = np.array([[1.0, 3.0], [2.0, -1.0]])
    nn.forward(x, params, "l", nn.linear)
    dx = nn.backwards(np.array([[1.0], [2.0]]), params, "l", nn.linear_deriv)
    np.testing.assert_allclose(params["grad_Wl"], [[1 * 1 + 2 * 2], [3 * 1 + -1 * 2]])
    np.testing.assert_allclose(params["grad_bl"], [3.0])
    np.testing.assert_allclose(dx, [[1.0, 2.0], [2.0, 4.0]])


# ---------------------------------------------------------------- the handout's scripts' uses of nn.py
def test_run_q5_keeps_parameters_and_momentum_in_a_counter(rng):
    """run_q5.py: params = Counter(); relu layers and a sigmoid output; m_<name> read as 0 before the first step."""
    from collections import Counter

    params, x = Counter(), rng.random((12, 16))
    for name, (n_in, n_out) in {"layer1": (16, 4), "layer2": (4, 4), "layer3": (4, 4), "output": (4, 16)}.items():
        nn.initialize_weights(n_in, n_out, params, name, rng=rng)
    assert params["m_Wlayer1"] == 0                                  # a Counter's missing key
    handout = Counter()
    nn.initialize_weights(16, 4, handout, "layer1")                  # the handout's call, without a generator
    assert handout["Wlayer1"].shape == (16, 4) and not handout["blayer1"].any()
    losses = []                      # batches drawn from the seeded rng: a 4-unit relu net dies on ~8 % of orders
    for _ in range(40):
        total = 0.0
        for xb, _ in nn.get_random_batches(x, np.ones((len(x), 1)), 4, rng=rng):
            h1 = nn.forward(xb, params, "layer1", nn.relu)
            h2 = nn.forward(h1, params, "layer2", nn.relu)
            h3 = nn.forward(h2, params, "layer3", nn.relu)
            out = nn.forward(h3, params, "output", nn.sigmoid)
            total += np.sum((xb - out) ** 2)
            delta = nn.backwards(2 * (out - xb), params, "output", nn.sigmoid_deriv)
            delta = nn.backwards(delta, params, "layer3", nn.relu_deriv)
            delta = nn.backwards(delta, params, "layer2", nn.relu_deriv)
            nn.backwards(delta, params, "layer1", nn.relu_deriv)
            for k, _v in sorted(params.items()):
                if "_" in k:
                    continue
                params["m_" + k] = 0.9 * params["m_" + k] - 0.05 * params["grad_" + k]
                params[k] += params["m_" + k]
        losses.append(total)
    assert params["m_Wlayer1"].shape == params["Wlayer1"].shape == (16, 4)
    assert params["m_boutput"].shape == params["boutput"].shape == (16,)
    assert np.isfinite(losses).all() and losses[-1] < 0.8 * losses[0], losses


def test_relu_relu_deriv_and_sigmoid_deriv_as_run_q5_calls_them(rng):
    x = np.array([[-2.0, 0.0, 3.0]])
    np.testing.assert_array_equal(nn.relu(x), [[0.0, 0.0, 3.0]])
    np.testing.assert_array_equal(nn.relu_deriv(nn.relu(x)), [[0.0, 0.0, 1.0]])
    assert nn.relu_deriv(nn.relu(x.astype(np.float32))).dtype == np.float32
    z = rng.normal(size=(4, 5))
    numeric = (nn.sigmoid(z + 1e-6) - nn.sigmoid(z - 1e-6)) / 2e-6
    np.testing.assert_allclose(nn.sigmoid_deriv(nn.sigmoid(z)), numeric, rtol=1e-6)


def test_get_random_batches_with_a_column_of_ones_as_run_q5_calls_it(rng):
    x = rng.random((23, 16))
    batches = nn.get_random_batches(x, np.ones((len(x), 1)), 5)
    assert [bx.shape for bx, _ in batches] == [(5, 16)] * 4 + [(3, 16)]
    assert [by.shape for _, by in batches] == [(5, 1)] * 4 + [(3, 1)] and all((by == 1).all() for _, by in batches)
    rows = np.concatenate([bx for bx, _ in batches])
    assert sorted(map(tuple, rows)) == sorted(map(tuple, x))        # every example once


def test_run_q3_may_turn_the_probs_forward_returns_into_its_delta(rng):
    """run_q3.py: probs = forward(h, params, 'output', softmax); delta = probs; delta[range, label] -= 1. Writing
    into the array forward returned gives the gradients of probs - y, which match finite differences."""
    x, labels = rng.normal(size=(7, 6)), rng.integers(0, 3, 7)
    y = np.eye(3)[labels]
    params = make_net(rng)
    backprop(x, y, params)                                           # probs - y, nothing written in place
    expected = {k: params[k].copy() for k in ("grad_Wlayer1", "grad_blayer1", "grad_Woutput", "grad_boutput")}
    h = nn.forward(x, params, "layer1")
    probs = nn.forward(h, params, "output", nn.softmax)
    loss, _ = nn.compute_loss_and_acc(y, probs)
    delta = probs
    delta[np.arange(len(x)), labels] -= 1
    delta = nn.backwards(delta, params, "output", nn.linear_deriv)
    nn.backwards(delta, params, "layer1", nn.sigmoid_deriv)
    for k, v in expected.items():
        np.testing.assert_allclose(params[k], v, rtol=1e-12, atol=1e-14)
    assert loss == pytest.approx(loss_of(x, y, params)[0])
    numeric = nn.numerical_grad(lambda: loss_of(x, y, params)[0], params["Wlayer1"])
    assert nn.norm_relative_error(params["grad_Wlayer1"], numeric) < 1e-7
