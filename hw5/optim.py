"""Optimisers and learning-rate schedules of the numpy networks (Q3, Q5). Parameters live in a dict of arrays.

Two momentum conventions are used, each where its question asks for it: `heavy_ball` (Q3, m = mu m + g,
W -= lr m) and `handout_momentum` (Q5.1.2, M = mu M - lr g, W += M). They coincide for a constant rate.
"""
from __future__ import annotations

import numpy as np


def heavy_ball(params: dict, keys, lr: float, momentum: float) -> None:
    """W -= lr * m after m = momentum * m + grad_W, for each key, in place (buffers params['m_' + key], float32)."""
    for k in keys:
        m = params["m_" + k]
        m *= momentum
        m += params["grad_" + k]
        params[k] -= np.float32(lr) * m


def handout_momentum(params: dict, keys, lr: float, momentum: float) -> None:
    """Q5.1.2 for every key: M = momentum * M - lr * dJ/dW, then W = W + M (buffers params['m_' + key])."""
    for k in keys:
        params["m_" + k] = momentum * params["m_" + k] - lr * params["grad_" + k]
        params[k] += params["m_" + k]


def flatten(params: dict, keys) -> np.ndarray:
    """Move params[k] for k in keys into one flat float32 buffer (P,), of which they become views."""
    flat = np.concatenate([params[k].ravel() for k in keys]).astype(np.float32)
    start = 0
    for k in keys:
        size = params[k].size
        params[k] = flat[start:start + size].reshape(params[k].shape)
        start += size
    return flat


def adam_step(w: np.ndarray, g: np.ndarray, state: dict, lr: float, b1=0.9, b2=0.999, eps=1e-8) -> None:
    """One Adam step on flat w (P,) with gradient g (P,); state holds adam_m, adam_v (P,) and the step t."""
    state["t"] += 1
    m, v = state["adam_m"], state["adam_v"]
    m *= b1
    m += (1 - b1) * g
    v *= b2
    v += (1 - b2) * g * g
    step = lr * np.sqrt(1 - b2 ** state["t"]) / (1 - b1 ** state["t"])
    w -= step * m / (np.sqrt(v) + eps)


def cosine(peak: float, t: int, total: int, warmup: int = 0) -> float:
    """Rate at step t (0-based): linear warm-up over `warmup` steps, then a cosine from peak to 0 at `total`."""
    if t < warmup:
        return peak * (t + 1) / warmup
    return 0.5 * peak * (1 + np.cos(np.pi * (t - warmup) / max(1, total - warmup)))
