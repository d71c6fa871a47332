"""Q5: the numpy autoencoder 1024-32-32-32-1024 (handout run_q5), an improved training of it, and PCA-32.

Images are rows of x (N, 1024) in [0, 1], stored transposed (`row.reshape(32, 32).T` is upright).
The network and its trainings are `hw5.autoencoder`; this section trains them, compares them and draws them.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from experiments import findings as fd
from hw5 import autoencoder as ae
from hw5.data import LETTERS, describe_source, load_nist36, nist36_file, rows_to_images, seeded_subset
from hw5.history import loss_curve
from hw5.parallel import map_jobs
from hw5.plotting import epoch_axis, plt, save
from hw5.runtime import blas_threads
from reportkit.section import Context, Figure, Part, Result, Section, check


@dataclass(frozen=True)
class Config:
    hidden: int = 32                 # run_q5's hidden_size: the code is 32 numbers per 1024-pixel image
    handout: ae.HandoutTraining = field(default_factory=ae.HandoutTraining)     # run_q5's momentum SGD
    improved: ae.ImprovedTraining = field(default_factory=ae.ImprovedTraining)  # Adam, centred inputs
    components: int = 32             # PCA baseline with as many numbers per image as the code
    classes: tuple[str, ...] = ("A", "G", "M", "S", "4")   # Q5.3.1: 5 classes, varied shapes, fixed in advance
    gradcheck_h: float = 1e-5        # central-difference step of the float64 gradient check, as in Q2
    gradcheck_dims: tuple[int, ...] = (12, 4, 4, 4, 12)   # the small network of that check (same layer names)
    gradcheck_tolerance: float = 1e-6   # its norm-wise relative error must stay below this
    flat_fraction: float = 0.05      # "flat" once the loss is within 5 % of its total fall from its final value
    train_limit: int = 0             # a seeded random subset of N training images (0: all); smoke runs use one
    valid_stride: int = 1            # every k-th validation image (sorted by class, so all classes stay)



def pick_images(y, classes):
    """Indices (2 per class) of the first two validation images of each class in `classes`."""
    labels = y.argmax(axis=1)
    return [int(i) for c in classes for i in np.flatnonzero(labels == LETTERS.index(c))[:2]]


def show(ax, row, title=None):
    ax.imshow(rows_to_images(row)[0], cmap="gray", vmin=0, vmax=1)
    ax.set_xticks([]), ax.set_yticks([]), ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title:
        ax.set_title(title, fontsize=7)


def loss_figure(ctx, losses, improved, flat_epoch, flat_fraction) -> list[Figure]:
    """Q5.2's curve alone, and Q5.4's figure that adds the improved training (each where its text introduces it)."""
    figures = []
    for label, file, curves in (("q5-loss", "loss.png", [losses]), ("q5-loss-improved", "loss_improved.png",
                                                                      [losses, improved])):
        fig, ax = plt.subplots(figsize=(5.0, 2.4))
        ax.plot(np.arange(1, len(losses) + 1), losses, label="handout defaults (momentum SGD)")
        if len(curves) > 1:
            ax.plot(np.arange(1, len(improved) + 1), improved, "--", label="improved (Adam, centred inputs)")
        ax.axvline(flat_epoch, color="gray", lw=0.8, ls=":")
        ax.set_yscale("log"), ax.set_xlabel("epoch"), ax.set_ylabel("total squared error per epoch"), ax.legend()
        epoch_axis(ax)
        figures.append(Figure(label, save(fig, ctx.path(file)),
                              "Training loss per epoch (sum over the epoch's batches of $\\sum (x - \\hat{x})^2$, log "
                              f"scale){' with the handout settings and with the improved training' if len(curves) > 1 else ''}. "
                              f"The dotted line marks epoch {flat_epoch}, where the handout run comes within "
                              f"{flat_fraction:.0%} of its total fall."))
    return figures


def pairs_figure(ctx, x, x_hat, idx, classes) -> Figure:
    fig, axes = plt.subplots(len(idx) // 2, 4, figsize=(3.6, 0.95 * (len(idx) // 2)))
    for row, (i, j) in enumerate(zip(idx[::2], idx[1::2])):
        for col, (img, t) in enumerate([(x[i], "image"), (x_hat[i], "reconstruction"),
                                        (x[j], "image"), (x_hat[j], "reconstruction")]):
            show(axes[row, col], img, t if row == 0 else None)
    return Figure("q5-pairs", save(fig, ctx.path("pairs.png")),
                  f"Two validation images of each class ({', '.join(classes)}, one class per row) "
                  "beside their reconstructions by the autoencoder trained with the handout defaults.")


def compare_figure(ctx, x, recons, idx) -> Figure:
    fig, axes = plt.subplots(len(recons) + 1, len(idx), figsize=(0.62 * len(idx), 0.7 * (len(recons) + 1)))
    for col, i in enumerate(idx):
        for row, img in enumerate([x[i]] + [r[i] for r in recons.values()]):
            show(axes[row, col], img)
    axes[0, 0].set_ylabel("original", fontsize=7, rotation=0, ha="right", va="center")
    for row, (name, r) in enumerate(recons.items(), start=1):
        label = f"{name}\n{ae.mean_psnr(x[idx], r[idx]):.1f} dB"
        axes[row, 0].set_ylabel(label, fontsize=7, rotation=0, ha="right", va="center")
    return Figure("q5-compare", save(fig, ctx.path("compare.png")),
                  "The validation images of @fig:q5-pairs reconstructed by the three 32-number codes of "
                  "@tab:q5-methods; beside each method, its mean PSNR over these ten images.")


def fit_models(x, cfg, rng, show=False):
    """Train the handout autoencoder, the improved one and PCA on x (N, D); time each. rng(name) gives the
    named generator (Context.rng).

    Returns ({"handout": params, "improved": params, "pca": (mean, components)}, loss curves,
    {"seconds", "units_at_init" (`unit_stats` before training), "adam" (its final state)}).
    """
    dims = (x.shape[1], cfg.hidden, cfg.hidden, cfg.hidden, x.shape[1])
    handout = ae.init_handout(dims, rng("handout init"))
    improved = ae.init_improved(dims, x.mean(axis=0), rng("improved init"))
    info = {"seconds": {}, "units_at_init": {"handout": ae.unit_stats(x, handout), "improved": ae.unit_stats(x, improved)}}
    jobs = [("handout", x, handout, cfg.handout, rng("handout batches"), show),
            ("improved", x, improved, cfg.improved, rng("improved order"), show)]
    trained = dict(zip(("handout", "improved"), map_jobs(ae.train_job, jobs)))      # side by side (hw5.parallel)
    models = {name: params for name, (params, _, _, _) in trained.items()}
    curves = {name: history.train_loss for name, (_, history, _, _) in trained.items()}
    info["seconds"].update({name: seconds for name, (_, _, _, seconds) in trained.items()})
    info["adam"] = trained["improved"][2]
    start = time.perf_counter()
    pca = ae.pca_fit(x, cfg.components)
    info["seconds"]["pca"] = time.perf_counter() - start
    return {**models, "pca": pca}, curves, info


def save_weights(ctx, models, adam) -> dict[str, str]:
    """Both autoencoders as .npz: weights with the momentum buffers m_* (handout), or with Adam's state."""
    handout, improved = models["handout"], models["improved"]
    np.savez(ctx.path("q5_handout_weights.npz"), **{k: handout[k] for k in ae.KEYS + tuple("m_" + k for k in ae.KEYS)})
    np.savez(ctx.path("q5_improved_weights.npz"), input_mean=improved["input_mean"], adam_t=adam["t"],
             adam_m=adam["adam_m"], adam_v=adam["adam_v"], **{k: improved[k] for k in ae.KEYS})
    return {"q5_handout_weights": "q5_handout_weights.npz", "q5_improved_weights": "q5_improved_weights.npz"}


def comparison(psnr: dict, psnr_train: dict, params: dict, seconds: dict) -> dict:
    """The numbers behind Q5.4's comparison: gains in dB, what a gain means in squared error, size ratio."""
    gain = psnr["improved"] - psnr["pca"]
    return {"improved_over_pca_db": gain, "handout_over_pca_db": psnr["handout"] - psnr["pca"],
            "improved_error_reduction": 1 - 10 ** (-gain / 10),      # on a typical image: PSNR averages log errors
            "parameter_ratio": params["autoencoder"] / params["pca"],
            "generalisation_gap_db": {k: psnr_train[k] - psnr[k] for k in ("handout", "improved", "pca")},
            "pca_time_share": seconds["pca"] / seconds["handout"]}


def run_training(ctx: Context) -> Result:
    """Both trainings and PCA, their reconstructions of the validation images, the gradient checks."""
    cfg, t0 = ctx.config, time.perf_counter()
    root = ctx.data_root
    x, _ = load_nist36(root, "train")
    x = x[seeded_subset(len(x), cfg.train_limit, ctx.seed)]
    xv, yv = (a[::cfg.valid_stride] for a in load_nist36(root, "valid"))
    with blas_threads(1):
        models, curves, info = fit_models(x, cfg, ctx.rng, ctx.progress)
        mean, components = models["pca"]
        recons = {"handout": ae.reconstruct(xv, models["handout"]), "improved": ae.reconstruct(xv, models["improved"]),
                  "pca": ae.pca_reconstruct(xv, mean, components)}
        psnr = {k: ae.mean_psnr(xv, r) for k, r in recons.items()}
        seen = x[:len(xv)]             # training images, as many as validation ones: the generalisation gap
        psnr_train = {k: ae.mean_psnr(seen, ae.reconstruct(seen, models[k])) for k in ("handout", "improved")}
        psnr_train["pca"] = ae.mean_psnr(seen, ae.pca_reconstruct(seen, mean, components))
        units = {k: ae.unit_stats(x, models[k]) for k in ("handout", "improved")}
    grad_rng = ctx.rng("gradient check")
    gradcheck = {loss: ae.gradient_check(grad_rng, loss, dims=cfg.gradcheck_dims, h=cfg.gradcheck_h)
                 for loss in ("sse", "ce")}
    checks = {f"gradient_{loss}": check(f"Q5.1.1 backprop of the {name} against central differences: norm-wise "
                                        "relative error", g["norm_rel_error"], cfg.gradcheck_tolerance,
                                        scalars=g["scalars"])
              for (loss, g), name in zip(gradcheck.items(), ("squared error", "pixel cross-entropy"))}
    artifacts = save_weights(ctx, models, info["adam"])
    idx = pick_images(yv, cfg.classes)
    np.savez(ctx.path("reconstructions.npz"), images=xv[idx], improved_losses=curves["improved"],
             **{k: r[idx] for k, r in recons.items()})
    params = {"autoencoder": int(sum(models["handout"][k].size for k in ae.KEYS)),
              "pca": int(components.size + mean.size), "input_mean": int(x.shape[1])}
    return Result({
        "psnr_valid": psnr["handout"], "psnr_valid_improved": psnr["improved"], "psnr_pca32": psnr["pca"],
        "psnr_train": psnr_train,
        "psnr_pca_unclipped": ae.mean_psnr(xv, (xv - mean) @ components.T @ components + mean),
        "final_loss": curves["handout"][-1], "final_loss_per_pixel": curves["handout"][-1] / x.size,
        "improved_final_loss": curves["improved"][-1], "losses": curves["handout"],
        **loss_curve(curves["handout"], cfg.flat_fraction),
        "comparison": comparison(psnr, psnr_train, params, info["seconds"]),
        "train_seconds": info["seconds"], "units": units, "units_at_init": info["units_at_init"],
        "n_train": len(x), "n_valid": len(xv), "params": params,
        "gradcheck": gradcheck, "checks": checks,
        "seconds": time.perf_counter() - t0,
    }, artifacts=artifacts)


def draw(ctx: Context) -> Result:
    train = ctx.input("train")
    m, cfg = train.metrics, train.config
    with np.load(train.path("reconstructions.npz")) as a:
        r = dict(a)
    idx = list(range(len(r["images"])))
    recons = {"handout AE": r["handout"], "improved AE": r["improved"], f"PCA-{cfg['components']}": r["pca"]}
    return Result(figures=[
        *loss_figure(ctx, m["losses"], r["improved_losses"], m["flat_epoch"], cfg["flat_fraction"]),
        pairs_figure(ctx, r["images"], r["handout"], idx, cfg["classes"]),
        compare_figure(ctx, r["images"], recons, idx)])


@dataclass(frozen=True)
class FindingsConfig:
    converged_drop: float = 0.005     # the handout run "has converged" when the last fifth lowers its loss by less
    fits_margin_db: float = 0.2       # the improved AE "starts to fit its training set" when its train-valid PSNR gap
    #                                   exceeds PCA's by more than this


def findings(ctx: Context) -> Result:
    """Every derived number and verdict of the Q5 text, from the training part's cached metrics; dB values are
    differences of the table's two-decimal numbers, seconds of its one-decimal ones."""
    train, cfg = ctx.input("train"), ctx.config
    m, tc = train.metrics, train.config
    psnr, seconds = m["psnr_train"], m["train_seconds"]
    gain = fd.difference(m["psnr_valid_improved"], m["psnr_pca32"], 2)
    handout_gain = fd.difference(m["psnr_valid"], m["psnr_pca32"], 2)
    gap, pca_gap = (fd.difference(psnr["improved"], m["psnr_valid_improved"], 2),
                    fd.difference(psnr["pca"], m["psnr_pca32"], 2))
    dead = {k: m["units"][k]["dead"] for k in ("handout", "improved")}
    return Result({"findings": {
        "emnist": "EMNIST" in describe_source(ctx.data_root),      # the shared data, not the course's own files
        "flat_covered": 1 - tc["flat_fraction"], "epoch_steps": tc["handout"]["epochs"] - 1,
        "converged": m["tail_drop"] < cfg.converged_drop,
        "dead_handout": sum(dead["handout"]), "dead_improved": sum(dead["improved"]), "hidden_units": 3 * tc["hidden"],
        "improved_lower_loss": m["improved_final_loss"] < m["final_loss"],
        "improved_params": m["params"]["autoencoder"] + m["params"]["input_mean"],
        "improved_vs_pca": fd.direction(gain, 0.0), "improved_vs_pca_db": abs(gain),
        "handout_vs_pca": fd.direction(handout_gain, 0.0), "handout_vs_pca_db": abs(handout_gain),
        "improved_error_reduction": 1 - 10 ** (-gain / 10),
        "pca_fewer_seconds": fd.shown(seconds["pca"], 1) < fd.shown(seconds["handout"], 1),
        "gap_db": gap, "pca_gap_db": pca_gap, "improved_fits_training": gap > pca_gap + cfg.fits_margin_db}})


SECTION = Section(id="q5", title="Q5 Image compression with autoencoders", template="q5.md.j2", parts=(
    Part("train", run_training, Config,
         smoke={"handout": ae.HandoutTraining(epochs=3, lr_every=1), "improved": ae.ImprovedTraining(epochs=3, warmup=1),
                "train_limit": 720, "valid_stride": 20},
         data=(nist36_file("train"), nist36_file("valid"))),
    Part("figures", draw, reads=("train",)),
    Part("findings", findings, FindingsConfig, reads=("train",)),
))
