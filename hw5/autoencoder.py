"""The autoencoder of Q5 (handout run_q5: 1024-32-32-32-1024, ReLU hidden layers, sigmoid output) built from
the Q2 functions, its two trainings (the handout's momentum SGD, and Adam on centred inputs), and the PCA
baseline with a code of the same length. Images are rows x (N, 1024) with pixels in [0, 1].
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from skimage.metrics import peak_signal_noise_ratio

from hw5 import nn, optim
from hw5.history import History
from hw5.runtime import blas_threads, progress

NAMES = ("layer1", "hidden", "hidden2", "output")      # run_q5's layer names
KEYS = tuple(p + n for n in NAMES for p in "Wb")       # the trained parameters, in update order


@dataclass(frozen=True)
class HandoutTraining:
    """run_q5's training (`train_handout`), with run_q5's values."""

    epochs: int = 100                # run_q5's max_iters
    batch_size: int = 36             # run_q5's batch_size; batches drawn once, as get_random_batches is called once
    learning_rate: float = 3e-5      # run_q5's learning_rate, on gradients summed over the batch
    lr_every: int = 20               # run_q5's lr_rate: multiply the learning rate by lr_decay every 20 epochs
    lr_decay: float = 0.9            # run_q5's factor
    momentum: float = 0.9            # Q5.1.2: M = 0.9 M - lr dJ/dW


@dataclass(frozen=True)
class ImprovedTraining:
    """Adam on centred inputs (`train_improved`); the defaults are Q5's choices on validation."""

    epochs: int = 100                # 150 epochs gained < 0.1 dB of validation PSNR (no warm-up)
    batch_size: int = 64             # 32 was no better over 3 seeds (without warm-up) and is slower
    lr: float = 5e-3                 # Adam peak step: with warm-up 3e-3 ended 0.6 dB lower, 1e-2 no higher
    warmup: int = 3                  # epochs of linear warm-up: without it 3-7 second-layer units died early
                                     # and 3 seeds ended at 16.5-16.7 dB instead of 16.9-17.0
    loss: str = "sse"                # "sse" or "ce" (pixel cross-entropy): ce ended 0.15 dB lower, and PSNR
                                     # scores the squared error


def reconstruct(x, params):
    """x (N, D) -> x_hat (N, D); caches every layer for `backprop`. Subtracts params['input_mean'] if set."""
    h = x - params["input_mean"] if "input_mean" in params else x
    for name in NAMES[:-1]:
        h = nn.forward(h, params, name, nn.relu)
    return nn.forward(h, params, NAMES[-1], nn.sigmoid)


def backprop(x, params, loss="sse"):
    """Forward and backward on a batch x (N, D); leaves grad_* in params; returns the total squared error.

    sse: J = sum (x - x_hat)^2, output delta 2 (x_hat - x). ce: pixel cross-entropy, whose gradient with
    respect to the output pre-activation is x_hat - x, so the output layer backpropagates it linearly.
    """
    out = reconstruct(x, params)
    if loss == "ce":
        delta = nn.backwards(out - x, params, NAMES[-1], nn.linear_deriv)
    else:
        delta = nn.backwards(2 * (out - x), params, NAMES[-1], nn.sigmoid_deriv)
    for name in reversed(NAMES[:-1]):
        delta = nn.backwards(delta, params, name, nn.relu_deriv)
    return float(np.sum((x - out) ** 2))


def objective(x, out, loss="sse"):
    """The training loss of x_hat = out for x, both (N, D): total squared error or pixel cross-entropy."""
    if loss == "ce":
        return float(-np.sum(x * np.log(out) + (1 - x) * np.log1p(-out)))
    return float(np.sum((x - out) ** 2))


def gradient_check(rng, loss="sse", dims=(12, 4, 4, 4, 12), n=3, h=1e-5):
    """Backprop against central differences over every parameter of a small network, in float64.

    Returns the largest elementwise relative error and the norm-wise one (nn.norm_relative_error).
    """
    x = rng.random((n, dims[0]))
    params = init_handout(dims, rng, np.float64)
    params["input_mean"] = x.mean(axis=0)
    for name in NAMES:
        params["b" + name] = rng.normal(0.0, 0.1, params["b" + name].shape)
    backprop(x, params, loss)
    analytic = np.concatenate([params["grad_" + k].ravel() for k in KEYS])
    numeric = np.concatenate([nn.numerical_grad(lambda: objective(x, reconstruct(x, params), loss),
                                                params[k], h).ravel() for k in KEYS])
    return {"max_rel_error": float(nn.relative_error(analytic, numeric).max()),
            "norm_rel_error": nn.norm_relative_error(analytic, numeric),
            "scalars": int(analytic.size)}


def init_handout(dims, rng, dtype=np.float32):
    """run_q5's network: Xavier weights, zero biases, and momentum buffers m_* that start at zero."""
    params = {}
    for name, n_in, n_out in zip(NAMES, dims[:-1], dims[1:]):
        nn.initialize_weights(n_in, n_out, params, name, rng=rng)
    for k in KEYS:
        params[k] = params[k].astype(dtype)
        params["m_" + k] = np.zeros_like(params[k])
    return params


def train_handout(x, params, cfg: HandoutTraining, rng, show=False):
    """run_q5: batches drawn once, momentum SGD, lr x lr_decay every lr_every epochs. Returns the History of its
    epoch losses (train_loss: the sum over the epoch's batches)."""
    batches = nn.get_random_batches(x, np.ones((len(x), 1)), cfg.batch_size, rng=rng)
    lr, losses = cfg.learning_rate, []
    for epoch in progress(range(cfg.epochs), show, "q5 handout"):
        total = 0.0
        for bx, _ in batches:
            total += backprop(bx, params)
            optim.handout_momentum(params, KEYS, lr, cfg.momentum)
        losses.append(total)
        if epoch % cfg.lr_every == cfg.lr_every - 1:
            lr *= cfg.lr_decay
    return History(train_loss=losses)


def init_improved(dims, x_mean, rng):
    """Same shapes as run_q5. He-normal ReLU layers, inputs centred on the training mean image, and an
    output bias at logit(mean image), so the untrained network outputs roughly the mean image."""
    params = {}
    for name, n_in, n_out in zip(NAMES, dims[:-1], dims[1:]):
        gain = 1.0 if name == NAMES[-1] else 2.0            # the sigmoid layer gets LeCun's 1/n_in
        params["W" + name] = (rng.standard_normal((n_in, n_out)) * np.sqrt(gain / n_in)).astype(np.float32)
        params["b" + name] = np.zeros(n_out, np.float32)
    m = np.clip(x_mean, 0.01, 0.99)
    params["b" + NAMES[-1]] = np.log(m / (1 - m)).astype(np.float32)
    params["input_mean"] = x_mean.astype(np.float32)
    return params


def train_improved(x, params, cfg: ImprovedTraining, rng, show=False):
    """Adam with a cosine schedule from cfg.lr to 0, batches reshuffled each epoch. Returns the History of its
    epoch losses, and Adam's state."""
    w = optim.flatten(params, KEYS)
    state = {"t": 0, "adam_m": np.zeros_like(w), "adam_v": np.zeros_like(w)}
    g = np.empty_like(w)
    n_batches = -(-len(x) // cfg.batch_size)
    total_steps, warm_steps, losses = cfg.epochs * n_batches, cfg.warmup * n_batches, []
    for _ in progress(range(cfg.epochs), show, "q5 improved"):
        order, total = rng.permutation(len(x)), 0.0
        for i in range(n_batches):
            total += backprop(x[order[i * cfg.batch_size:(i + 1) * cfg.batch_size]], params, cfg.loss)
            np.concatenate([params["grad_" + k].ravel() for k in KEYS], out=g)
            optim.adam_step(w, g, state, optim.cosine(cfg.lr, state["t"], total_steps, warm_steps))
        losses.append(total)
    return History(train_loss=losses), state


def train_job(kind: str, x, params, cfg, rng, show=False):
    """One of Q5's two trainings as a job for hw5.parallel ("handout" or "improved"), on one BLAS thread as
    the report's process runs it: (the trained params, History, Adam's state or None, seconds)."""
    with blas_threads(1):
        start = time.perf_counter()
        if kind == "handout":
            history, adam = train_handout(x, params, cfg, rng, show), None
        else:
            history, adam = train_improved(x, params, cfg, rng, show)
        return params, history, adam, time.perf_counter() - start


def pca_fit(x, k):
    """Mean (D,) and the top-k principal directions (k, D) of x (N, D), by SVD of the centred data."""
    mean = x.mean(axis=0, dtype=np.float64)
    _, _, vt = np.linalg.svd(x - mean, full_matrices=False)    # (N, D) = U S Vt, rows of Vt by variance
    return mean, vt[:k]


def pca_reconstruct(x, mean, components):
    """Project x (N, D) on the components (k, D) and back, clipped to the pixel range [0, 1]."""
    return np.clip((x - mean) @ components.T @ components + mean, 0.0, 1.0)   # (N, k) @ (k, D) -> (N, D)


def mean_psnr(x, x_hat):
    """Mean over images of skimage's PSNR (data_range 1), each image on its own."""
    x, x_hat = x.astype(np.float64), x_hat.astype(np.float64)
    return float(np.mean([peak_signal_noise_ratio(a, b, data_range=1.0) for a, b in zip(x, x_hat)]))


def unit_stats(x, params):
    """Per hidden layer, over the images x (N, D): units never active (dead: they get no gradient again) and
    units active for under 5 % or over 95 % of the images (one-sided: nearly constant or nearly linear)."""
    reconstruct(x, params)
    active = [(params["cache_" + name][2] > 0).mean(axis=0) for name in NAMES[:-1]]   # (H,) per layer
    return {"dead": [int(np.sum(a == 0)) for a in active],
            "one_sided": [int(np.sum((a < 0.05) | (a > 0.95))) for a in active]}
