"""Q1: the theory answers, each identity checked numerically during the build.

Every check returns what it measured, the tolerance and whether it passed; the template prints them
beside the derivation, so the writeup can never claim an identity the code does not confirm.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hw5 import nn
from hw5.plotting import plt, save
from reportkit.section import Context, Figure, Part, Result, Section, check


@dataclass(frozen=True)
class Config:
    samples: int = 2000          # random vectors per check: enough to hit the worst case of each identity
    depth: int = 10              # layers of the vanishing-gradient demonstration (Q1.6)
    width: int = 64              # units per layer in that demonstration



def softmax_checks(rng, n) -> dict:
    x = rng.normal(0, 10, size=(n, 10))
    shifts = [-1e6, -1e3, -1.0, 0.5, 1e3, 1e6]
    shift_err = max(np.abs(nn.softmax(x) - nn.softmax(x + c)).max() for c in shifts)
    huge = x + 1000.0
    with np.errstate(over="ignore", invalid="ignore"):
        naive = np.exp(huge) / np.exp(huge).sum(axis=1, keepdims=True)
    stable = nn.softmax(huge)
    naive_bad = int((~np.isfinite(naive)).any(axis=1).sum())
    probs = nn.softmax(rng.normal(0, 3, size=(n, 10)))
    row_error = np.abs(probs.sum(axis=1) - 1).max()
    return {
        "softmax_shift": check("Q1.1 softmax(x + c) = softmax(x): largest difference", shift_err, 1e-9,
                               shifts=len(shifts), largest_shift=max(shifts)),
        "softmax_overflow": check("Q1.1 with logits raised by 1000, rows where the unshifted softmax is not finite "
                                  "(the shifted one must stay finite)", naive_bad, 0,
                                  passed=naive_bad > 0 and np.isfinite(stable).all(), rows=n,
                                  stable_max_sum_error=float(np.abs(stable.sum(1) - 1).max())),
        "softmax_range": check("Q1.2 outputs in (0, 1), rows summing to 1: largest row-sum error", row_error, 1e-12,
                               passed=probs.min() > 0 and probs.max() < 1 and row_error < 1e-12,
                               min=float(probs.min()), max=float(probs.max())),
    }


def linear_collapse_check(rng, n) -> dict:
    sizes = [8, 16, 12, 4]
    Ws = [rng.normal(size=(a, b)) for a, b in zip(sizes, sizes[1:])]
    bs = [rng.normal(size=b) for b in sizes[1:]]
    x = rng.normal(size=(n, sizes[0]))
    deep = x
    for W, b in zip(Ws, bs):
        deep = deep @ W + b
    W_total, b_total = np.eye(sizes[0]), np.zeros(sizes[0])
    for W, b in zip(Ws, bs):
        W_total, b_total = W_total @ W, b_total @ W + b
    err = np.abs(deep - (x @ W_total + b_total)).max() / np.abs(deep).max()
    return {"linear_collapse": check("Q1.3 a deep linear network equals one affine map: relative difference", err,
                                     1e-12, layers=len(Ws), sizes=sizes,
                                     rank=int(np.linalg.matrix_rank(W_total)))}


def sigmoid_checks() -> dict:
    x = np.linspace(-10, 10, 2001)
    h = 1e-5
    fd = (nn.sigmoid(x + h) - nn.sigmoid(x - h)) / (2 * h)
    s = nn.sigmoid(x)
    deriv = s * (1 - s)
    tanh_slope0 = (np.tanh(h) - np.tanh(-h)) / (2 * h)
    sig_slope0 = (nn.sigmoid(np.array(h)) - nn.sigmoid(np.array(-h))) / (2 * h)
    wide = np.linspace(-20, 20, 40001)
    tanh_deriv, scaled_sigmoid_deriv = 1 - np.tanh(wide) ** 2, 4 * (nn.sigmoid(2 * wide) * (1 - nn.sigmoid(2 * wide)))
    crossing = wide[(wide > 0) & (tanh_deriv < nn.sigmoid(wide) * (1 - nn.sigmoid(wide)))]
    return {
        "sigmoid_deriv": check("Q1.4 σ' = σ(1 − σ) against central differences", np.abs(fd - deriv).max(), 1e-9,
                               points=x.size, low=float(x[0]), high=float(x[-1])),
        "sigmoid_deriv_max": check("Q1.6 largest σ' minus 1/4", deriv.max() - 0.25, 1e-12,
                                   argmax=float(x[deriv.argmax()]), value=float(deriv.max())),
        "tanh_slope": check("Q1.6 tanh'(0) − 1", tanh_slope0 - 1, 1e-9, tanh=float(tanh_slope0),
                            sigmoid=float(sig_slope0), ratio=float(tanh_slope0 / sig_slope0)),
        "tanh_identity": check("Q1.6 tanh(x) = 2σ(2x) − 1: largest difference",
                               np.abs(np.tanh(wide) - (2 * nn.sigmoid(2 * wide) - 1)).max(), 1e-12,
                               points=wide.size, low=float(wide[0]), high=float(wide[-1])),
        "tanh_deriv_identity": check("Q1.6 tanh'(x) = 4σ'(2x): largest difference",
                                     np.abs(tanh_deriv - scaled_sigmoid_deriv).max(), 1e-12,
                                     crossing=float(crossing.min()) if crossing.size else None),
    }


def linear_layer_gradient_checks(rng) -> dict:
    """Q1.5 on J = sum(t * tanh(y)), y = Wx + b: analytic dJ/dW = delta x^T etc. vs central differences."""
    k, d = 5, 7
    W, b, x, t = rng.normal(size=(k, d)), rng.normal(size=(k, 1)), rng.normal(size=(d, 1)), rng.normal(size=(k, 1))

    def J():
        return float(np.sum(t * np.tanh(W @ x + b)))

    delta = t * (1 - np.tanh(W @ x + b) ** 2)            # dJ/dy, (k, 1)
    analytic = {"grad_W": delta @ x.T, "grad_x": W.T @ delta, "grad_b": delta}
    numeric = {"grad_W": nn.numerical_grad(J, W), "grad_x": nn.numerical_grad(J, x), "grad_b": nn.numerical_grad(J, b)}
    return {name: check(f"Q1.5 ∂J/∂{name[-1]} against central differences: norm-wise relative error",
                        nn.norm_relative_error(analytic[name], numeric[name]), 1e-8,
                        shape=list(analytic[name].shape))
            for name in analytic}


def vanishing_gradients(rng, depth, width, n=256) -> dict[str, list[float]]:
    """Norm of dJ/d(activations) at each layer of a deep Xavier-initialised stack, sigmoid vs tanh."""
    norms = {}
    for name, act, deriv in (("sigmoid", nn.sigmoid, nn.sigmoid_deriv), ("tanh", nn.tanh, nn.tanh_deriv)):
        params, h = {}, rng.normal(size=(n, width))
        layer_rng = np.random.default_rng(rng.integers(1 << 31))
        for i in range(depth):
            nn.initialize_weights(width, width, params, f"{i}", rng=layer_rng)
            h = nn.forward(h, params, f"{i}", act)
        delta = np.ones_like(h) / n
        layer_norms = []
        for i in reversed(range(depth)):
            delta = nn.backwards(delta, params, f"{i}", deriv)
            layer_norms.append(float(np.linalg.norm(params[f"grad_W{i}"])))
        norms[name] = layer_norms[::-1]                  # index 0 = first layer
    return norms


def activation_figure(ctx) -> Figure:
    x = np.linspace(-6, 6, 601)
    s, t = nn.sigmoid(x), np.tanh(x)
    fig, (a, b) = plt.subplots(1, 2, figsize=(6.9, 2.6))
    a.plot(x, s, label="σ(x)"), a.plot(x, t, label="tanh(x)"), a.set_title("activation"), a.legend()
    b.plot(x, s * (1 - s), label="σ'(x) ≤ 0.25"), b.plot(x, 1 - t ** 2, label="tanh'(x) ≤ 1")
    b.set_title("derivative"), b.legend()
    a.set_xlabel("$x$"), b.set_xlabel("$x$")
    return Figure("q1-activations", save(fig, ctx.path("activations.png")),
                  "Sigmoid and tanh (left) and their derivatives (right): the sigmoid's slope never exceeds 1/4.")


def vanishing_figure(ctx, norms) -> Figure:
    fig, ax = plt.subplots(figsize=(5, 2.8))
    for name, values in norms.items():
        ax.semilogy(range(1, len(values) + 1), values, "o-", label=name)
    ax.set_xlabel("layer (1 = closest to the input)"), ax.set_ylabel("‖∂J/∂W‖"), ax.legend()
    return Figure("q1-vanishing", save(fig, ctx.path("vanishing.png")),
                  f"Gradient norm per layer of a {len(norms['tanh'])}-layer network at Xavier initialisation.")


def run_checks(ctx: Context) -> Result:
    """Every numerical check of Q1, and the per-layer gradient norms of the vanishing-gradient demonstration."""
    rng = ctx.rng("checks")
    n = ctx.config.samples
    checks = {**softmax_checks(rng, n), **linear_collapse_check(rng, n), **sigmoid_checks(),
              **linear_layer_gradient_checks(rng)}
    norms = vanishing_gradients(rng, ctx.config.depth, ctx.config.width)
    ratio = {name: v[0] / v[-1] for name, v in norms.items()}   # first-layer / last-layer gradient norm
    checks["tanh_vanishes_less"] = check("Q1.6 first-to-last layer gradient ratio with sigmoid units (tanh's must be "
                                         "larger)", ratio["sigmoid"], 0, passed=ratio["tanh"] > ratio["sigmoid"],
                                         sigmoid_ratio=ratio["sigmoid"], tanh_ratio=ratio["tanh"])
    return Result({
        "checks_passed": sum(c["passed"] for c in checks.values()),
        "checks_total": len(checks),
        "checks": checks,
        "vanishing": {"norms": norms, "ratio": ratio},
    })


def draw(ctx: Context) -> Result:
    norms = ctx.input("checks").metrics["vanishing"]["norms"]
    return Result(figures=[activation_figure(ctx), vanishing_figure(ctx, norms)])


SECTION = Section(id="q1", title="Q1 Theory", template="q1.md.j2", parts=(
    Part("checks", run_checks, Config, smoke={"samples": 200}),
    Part("figures", draw, reads=("checks",)),
))
