"""Q2: the numpy network on the handout's four-Gaussian toy problem (run_q2), and its gradient check."""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from hw5 import mlp, nn
from hw5.plotting import epoch_axis, plt, save
from hw5.metrics import confused_pairs, confusion_matrix
from reportkit.section import Context, Figure, Part, Result, Section, check

# The handout's run_q2: four 2-D Gaussians, 10 points each (means and diagonal covariances from run_q2.py).
MEANS = [(3.6, 40), (3.9, 10), (3.4, 30), (2.0, 10)]
COVS = [(0.05, 10), (0.01, 5), (0.25, 5), (0.5, 10)]


@dataclass(frozen=True)
class Config:
    points_per_class: int = 10   # run_q2's 4 x 10 points
    hidden: int = 25             # run_q2: layer1 is 2 -> 25 sigmoid, output 25 -> 4 softmax
    epochs: int = 1000           # 2x run_q2's max_iters of 500: at 500 some seeds end below 75 % (seed study)
    handout_epochs: int = 500    # run_q2's max_iters, compared with `epochs` over several seeds
    study_seeds: int = 8         # seeds of that comparison
    learning_rate: float = 1e-3  # run_q2's learning_rate, applied to gradients summed over the batch
    batch_size: int = 5          # run_q2's get_random_batches(x, y, 5)
    gradcheck_h: float = 1e-5    # central-difference step; ~eps^(1/3) balances truncation and round-off
    gradcheck_tolerance: float = 1e-4   # run_q2's bound on the relative error of the gradient check



def toy_data(rng, per_class):
    """x (4*per_class, 2), y one-hot (4*per_class, 4)."""
    x = np.concatenate([rng.multivariate_normal(m, np.diag(c), per_class) for m, c in zip(MEANS, COVS)])
    y = np.repeat(np.eye(4), per_class, axis=0)
    return x, y


def init_params(hidden, rng, zero=False):
    """run_q2's 2-hidden-4 network, Xavier-initialised, or with every weight and bias zero."""
    params = mlp.init_params(2, hidden, 4, rng)
    if zero:
        for k in list(params):
            params[k] = np.zeros_like(params[k])
    return params


def loss_and_gradients(x, y, params):
    """Forward and backward on (x, y); leaves grad_W*/grad_b* in params. Returns (loss, acc)."""
    return nn.compute_loss_and_acc(y, mlp.backprop(x, y, params))


def train(x, y, params, cfg, rng):
    """SGD on batches sampled once, as in run_q2. Returns per-epoch total loss and accuracy on (x, y)."""
    batches = nn.get_random_batches(x, y, cfg.batch_size, rng=rng)
    history = {"loss": [], "acc": []}
    for _ in range(cfg.epochs):
        total_loss, correct = 0.0, 0.0
        for bx, by in batches:
            loss, acc = loss_and_gradients(bx, by, params)
            total_loss, correct = total_loss + loss, correct + acc * len(bx)
            for name in ("layer1", "output"):
                params["W" + name] -= cfg.learning_rate * params["grad_W" + name]
                params["b" + name] -= cfg.learning_rate * params["grad_b" + name]
        history["loss"].append(total_loss)
        history["acc"].append(correct / len(x))
    return history


def gradient_check(x, y, params, h):
    """Max and total relative error of backprop vs central differences, over every scalar parameter."""
    params = {k: v.astype(np.float64).copy() for k, v in params.items() if k[0] in "Wb"}
    loss_and_gradients(x, y, params)
    analytic = {k: params["grad_" + k].copy() for k in ("Wlayer1", "blayer1", "Woutput", "boutput")}
    per_param, numerics = {}, []
    for name, grad in analytic.items():
        numeric = nn.numerical_grad(lambda: nn.compute_loss_and_acc(y, mlp.predict(x, params))[0], params[name], h)
        per_param[name] = float(nn.relative_error(grad, numeric).max())
        numerics.append(numeric.ravel())
    n_scalars = sum(g.size for g in analytic.values())
    joint = nn.norm_relative_error(np.concatenate([g.ravel() for g in analytic.values()]), np.concatenate(numerics))
    return {"max_rel_error": max(per_param.values()), "per_param": per_param,
            "norm_rel_error": joint, "scalars": n_scalars}


def one_coordinate(x, y) -> dict:
    """How far one input coordinate alone gets: each point given the class whose mean on that coordinate is
    nearest; the best coordinate (1-based) and its accuracy. A network whose hidden units are copies of one
    unit sees a single projection of the input, so this bounds what zero initialisation can learn here."""
    labels = y.argmax(1)
    accs = []
    for j in range(x.shape[1]):
        means = np.array([x[labels == c, j].mean() for c in range(y.shape[1])])
        accs.append(float(np.mean(np.abs(x[:, j, None] - means).argmin(1) == labels)))
    best = int(np.argmax(accs))
    return {"coordinate": best + 1, "accuracy": accs[best], "accuracies": accs}


def seed_study(cfg, rng):
    """Final training accuracy per draw after handout_epochs and after epochs (fresh data and init each).

    rng(name) gives the named generator (Context.rng): draw k's data and init, and its batches."""
    finals = {cfg.handout_epochs: [], cfg.epochs: []}
    for k in range(cfg.study_seeds):
        for epochs in finals:
            draw = rng(f"study{k} data")
            x, y = toy_data(draw, cfg.points_per_class)
            params = init_params(cfg.hidden, draw)
            history = train(x, y, params, replace(cfg, epochs=epochs), rng(f"study{k} batches"))
            finals[epochs].append(history["acc"][-1])
    return [{"epochs": e, "mean": float(np.mean(a)), "min": float(np.min(a)), "max": float(np.max(a)),
             "below_75": int(np.sum(np.array(a) <= 0.75))} for e, a in finals.items()]


def training_figure(ctx, history, zero_history) -> Figure:
    fig, (a, b) = plt.subplots(1, 2, figsize=(6.9, 2.3))
    epochs = np.arange(1, len(history["loss"]) + 1)
    a.plot(epochs, history["loss"], label="Xavier init"), a.plot(epochs, zero_history["loss"], "--", label="zero init")
    a.set_xlabel("epoch"), a.set_ylabel("total cross-entropy"), a.legend()
    b.plot(epochs, history["acc"], label="Xavier init"), b.plot(epochs, zero_history["acc"], "--", label="zero init")
    b.set_xlabel("epoch"), b.set_ylabel("training accuracy"), b.set_ylim(0, 1.02)
    epoch_axis(a), epoch_axis(b)
    return Figure("q2-toy-training", save(fig, ctx.path("toy_training.png")),
                  "Training the 2–25–4 network on the 40 toy points: total loss and accuracy per epoch, "
                  "Xavier initialisation against all-zero weights.")


def data_figure(ctx, x, y, params, epochs: int) -> Figure:
    fig, ax = plt.subplots(figsize=(3.6, 2.4))
    gx, gy = np.meshgrid(np.linspace(x[:, 0].min() - 0.5, x[:, 0].max() + 0.5, 200),
                         np.linspace(x[:, 1].min() - 5, x[:, 1].max() + 5, 200))
    regions = mlp.predict(np.c_[gx.ravel(), gy.ravel()], dict(params)).argmax(1).reshape(gx.shape)
    ax.contourf(gx, gy, regions, levels=np.arange(-0.5, 4), alpha=0.15, cmap="tab10", vmin=0, vmax=9)
    for c in range(4):
        pts = x[y.argmax(1) == c]
        ax.scatter(pts[:, 0], pts[:, 1], s=14, color=plt.cm.tab10(c), label=f"class {c}")
    ax.set_xlabel("$x_1$"), ax.set_ylabel("$x_2$"), ax.legend(fontsize=7, ncol=2)
    return Figure("q2-toy-data", save(fig, ctx.path("toy_data.png")),
                  f"The four toy classes and the decision regions of the 2–25–4 network trained from Xavier "
                  f"initialisation for {epochs} epochs (the solid curves of the training figure).")


def run_toy(ctx: Context) -> Result:
    """run_q2 step by step: checks at initialisation, the gradient check, training from Xavier and from zeros."""
    cfg, rng = ctx.config, ctx.rng("toy data")
    x, y = toy_data(rng, cfg.points_per_class)
    params = init_params(cfg.hidden, rng)
    initial = {k: params[k].copy() for k in mlp.KEYS}                 # for the findings' gradient check
    init = {"bias_sum": float(params["blayer1"].sum() + params["boutput"].sum()),
            "w_var": float(params["Wlayer1"].var()), "w_var_expected": 2 / (2 + cfg.hidden)}
    sig = nn.sigmoid(np.array([-1000.0, 1000.0]))
    probs = mlp.predict(x, params)
    start_loss, start_acc = nn.compute_loss_and_acc(y, probs)
    prints = {"sigmoid_extremes": [float(sig[0]), float(sig[1])], "probs_positive": bool((probs > 0).all()),
              "probs_row_sum_error": float(np.abs(probs.sum(1) - 1).max()), "probs_shape": list(probs.shape)}
    grad = gradient_check(x, y, params, cfg.gradcheck_h)
    history = train(x, y, params, cfg, ctx.rng("batches"))
    zero = init_params(cfg.hidden, rng, zero=True)
    zero_history = train(x, y, zero, cfg, ctx.rng("batches"))            # the same batches
    hidden_spread = float(np.abs(zero["Wlayer1"] - zero["Wlayer1"][:, :1]).max())   # 0: all units identical
    zero_cm = confusion_matrix(y.argmax(1), mlp.predict(x, zero).argmax(1), 4)
    np.savez(ctx.path("toy.npz"), x=x, y=y, loss=history["loss"], acc=history["acc"], zero_loss=zero_history["loss"],
             zero_acc=zero_history["acc"], **{k: params[k] for k in mlp.KEYS},
             **{"initial_" + k: v for k, v in initial.items()})
    return Result({
        "init": init, "run_q2": prints,
        "checks": {"gradient": check("Q2.5 backprop against central differences: largest elementwise relative error",
                                     grad["max_rel_error"], cfg.gradcheck_tolerance, scalars=grad["scalars"])},
        "start_loss": start_loss, "start_acc": start_acc, "chance_loss": float(len(x) * np.log(4)),
        "toy_final_loss": history["loss"][-1], "toy_final_accuracy": history["acc"][-1], "n_points": len(x),
        "gradcheck_max_rel_error": grad["max_rel_error"], "gradcheck": grad,
        "seed_study": seed_study(cfg, ctx.rng),
        "zero_init": {"final_accuracy": zero_history["acc"][-1], "hidden_spread": hidden_spread,
                      "final_loss": zero_history["loss"][-1], "confused": confused_pairs(zero_cm, 1, range(4))[0]},
        "one_coordinate": one_coordinate(x, y),
    })


def draw(ctx: Context) -> Result:
    with np.load(ctx.input("toy").path("toy.npz")) as a:
        toy = dict(a)
    history = {"loss": toy["loss"], "acc": toy["acc"]}
    zero_history = {"loss": toy["zero_loss"], "acc": toy["zero_acc"]}
    params = {k: toy[k] for k in mlp.KEYS}
    epochs = ctx.input("toy").config["epochs"]
    return Result(figures=[training_figure(ctx, history, zero_history),
                           data_figure(ctx, toy["x"], toy["y"], params, epochs)])


def norm_errors(x, y, params, h) -> dict:
    """The relative error of Q1 (nn.norm_relative_error) between backprop and central differences, per parameter
    array: the toy check of Q2.5 under the writeup's one definition."""
    params = {k: v.astype(np.float64).copy() for k, v in params.items() if k[0] in "Wb"}
    loss_and_gradients(x, y, params)
    analytic = {k: params["grad_" + k].copy() for k in ("Wlayer1", "blayer1", "Woutput", "boutput")}
    return {name: nn.norm_relative_error(grad, nn.numerical_grad(
        lambda: nn.compute_loss_and_acc(y, mlp.predict(x, params))[0], params[name], h))
        for name, grad in analytic.items()}


def findings(ctx: Context) -> Result:
    """What the Q2 text derives: chance level, the run's result after the handout's epoch count (the same run:
    with a fixed learning rate and batches drawn once, its first handout_epochs epochs are run_q2's run), and
    the gradient check per parameter under the writeup's relative error, at run_toy's initial point."""
    toy = ctx.input("toy")
    with np.load(toy.path("toy.npz")) as a:
        loss, acc, x, y = a["loss"], a["acc"], a["x"], a["y"]
        params = {k: a["initial_" + k] for k in mlp.KEYS}          # run_toy's initialisation
    at, classes = min(toy.config["handout_epochs"], len(loss)), y.shape[1]
    return Result({"findings": {"chance_accuracy": 1 / classes, "handout_epochs": at,
                                "handout_loss": float(loss[at - 1]), "handout_accuracy": float(acc[at - 1]),
                                "norm_rel_error": norm_errors(x, y, params, toy.config["gradcheck_h"])}})


SECTION = Section(id="q2", title="Q2 Implementing a fully-connected network", template="q2.md.j2", parts=(
    Part("toy", run_toy, Config, smoke={"epochs": 60, "handout_epochs": 30, "study_seeds": 2}),
    Part("figures", draw, reads=("toy",)),
    Part("findings", findings, reads=("toy",)),
))
