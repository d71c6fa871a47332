"""The numpy network of Q2, with the handout's function names and contract.

Layers compute ``post = activation(X @ W + b)`` with X of shape (examples, dims). ``forward`` stores
``params['cache_' + name] = (X, pre_act, post_act)``; ``backwards`` reads it and stores
``params['grad_W' + name]`` and ``params['grad_b' + name]``. All state lives in the ``params`` dict the
caller owns. Arrays keep the dtype they come in (float32 for training, float64 for gradient checks).
"""
import numpy as np


# ---------------------------------------------------------------- initialisation (Q2.1.2)
def initialize_weights(in_size, out_size, params, name="", rng=None):
    """Xavier/Glorot uniform: W ~ U[-sqrt(6/(in+out)), +sqrt(6/(in+out))], so Var[W] = 2/(in+out); b = 0.

    Sets params['W'+name] of shape (in_size, out_size) and params['b'+name] of shape (out_size,).
    """
    rng = np.random.default_rng() if rng is None else rng
    limit = np.sqrt(6.0 / (in_size + out_size))
    params["W" + name] = rng.uniform(-limit, limit, size=(in_size, out_size))
    params["b" + name] = np.zeros(out_size)


# ---------------------------------------------------------------- activations and their derivatives
# Each derivative takes the layer's *post*-activation, as the handout's sigmoid_deriv does.
def sigmoid(x):
    """Logistic function as (1 + tanh(x/2)) / 2 (Q1.6): never overflows, and 6x faster than a branch on the sign."""
    x = np.asarray(x)
    return 0.5 + 0.5 * np.tanh(0.5 * x)


def sigmoid_deriv(post_act):
    return post_act * (1.0 - post_act)


def tanh(x):
    return np.tanh(x)


def tanh_deriv(post_act):
    return 1.0 - post_act ** 2


def relu(x):
    return np.maximum(x, 0)


def relu_deriv(post_act):
    return (post_act > 0).astype(post_act.dtype)


def linear(x):
    return x


def linear_deriv(post_act):
    return np.ones_like(post_act)


# ---------------------------------------------------------------- forward pass (Q2.2)
def forward(X, params, name="", activation=sigmoid):
    """One layer: post = activation(X @ W + b).

    X: (N, D); params['W'+name]: (D, H); params['b'+name]: (H,). Returns post_act (N, H) and caches
    (X, pre_act, post_act) in params['cache_'+name] for ``backwards``.
    """
    W, b = params["W" + name], params["b" + name]
    pre_act = X @ W + b            # (N, D) @ (D, H) + (H,) -> (N, H)
    post_act = activation(pre_act)
    params["cache_" + name] = (X, pre_act, post_act)
    return post_act


def softmax(x):
    """Row-wise softmax of x (N, C). Subtracting the row maximum keeps every exp() in (0, 1]."""
    shifted = x - x.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def compute_loss_and_acc(y, probs):
    """Total (summed, natural-log) cross-entropy and accuracy.

    y: (N, C) one-hot; probs: (N, C) rows summing to 1. Returns (loss, acc) as Python floats.
    """
    tiny = np.finfo(probs.dtype).tiny          # log(0) would give -inf; a probability 0 costs ~708 nats
    loss = -float(np.sum(y * np.log(np.maximum(probs, tiny))))
    acc = float(np.mean(np.argmax(y, axis=1) == np.argmax(probs, axis=1)))
    return loss, acc


# ---------------------------------------------------------------- backward pass (Q2.3)
def backwards(delta, params, name="", activation_deriv=sigmoid_deriv):
    """Backprop through one layer.

    delta: (N, H) = dJ/d(post_act). Stores grad_W (D, H) and grad_b (H,), summed over the batch;
    returns dJ/dX of shape (N, D).
    """
    X, _pre_act, post_act = params["cache_" + name]
    grad = delta * activation_deriv(post_act)  # (N, H) = dJ/d(pre_act)
    params["grad_W" + name] = X.T @ grad        # (D, N) @ (N, H) -> (D, H)
    params["grad_b" + name] = grad.sum(axis=0)  # (H,)
    return grad @ params["W" + name].T          # (N, H) @ (H, D) -> (N, D)


# ---------------------------------------------------------------- batches (Q2.4)
def get_random_batches(x, y, batch_size, rng=None):
    """Shuffle once and split into [(bx, by), ...]; the last batch may be smaller."""
    rng = np.random.default_rng() if rng is None else rng
    order = rng.permutation(len(x))
    return [(x[idx], y[idx]) for idx in np.array_split(order, range(batch_size, len(x), batch_size))]


# ---------------------------------------------------------------- gradient check (Q2.5)
def numerical_grad(f, x, h=1e-5):
    """Central differences (f(x+h) - f(x-h)) / 2h for every scalar of x (changed in place, restored).

    f: a function of no arguments returning a float that reads x. Returns an array shaped like x.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        f_plus = f()
        flat[i] = old - h
        f_minus = f()
        flat[i] = old
        gflat[i] = (f_plus - f_minus) / (2 * h)
    return grad


def relative_error(analytic, numeric):
    """Elementwise |a - n| / max(|a| + |n|, 1e-8): the cs231n convention, 0 when both vanish."""
    return np.abs(analytic - numeric) / np.maximum(np.abs(analytic) + np.abs(numeric), 1e-8)


def norm_relative_error(analytic, numeric) -> float:
    """||a - n|| / sqrt(||a||^2 + ||n||^2) over all entries: one number for a whole gradient, which elementwise
    ratios cannot give where both entries are ~0."""
    a, n = np.ravel(analytic), np.ravel(numeric)
    return float(np.linalg.norm(a - n) / max(np.sqrt(np.sum(a ** 2) + np.sum(n ** 2)), 1e-300))
