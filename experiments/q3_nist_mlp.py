"""Q3: the Q2 numpy network (1024-64-36, sigmoid + softmax) trained on NIST36, with a learning-rate study.

Training: float32, mini-batches reshuffled every epoch, momentum SGD on batch-mean gradients with a cosine
learning-rate schedule, inputs centred on the training mean image, random shifts, rotations and zooms
(`max_shift`, `max_rotate`, `max_zoom`).
The learning rate is chosen on validation accuracy; the test set is scored once, by the chosen network, with
the weights it saves: q3_weights.npz (for Q4 and `report.py ocr`) and the handout's q3_weights.pickle (a dict of
float64 arrays Wlayer1, blayer1, Woutput, boutput, the centring folded into blayer1), which the handout's
run_q4.py applies to raw rows with forward(x, params, 'layer1') and forward(h, params, 'output', softmax).
"""
from __future__ import annotations

import pickle
import time
from dataclasses import dataclass, field, replace

import numpy as np

from experiments import findings as fd
from hw5 import mlp
from hw5.data import LETTERS, describe_source, load_nist36, nist36_file, rows_to_images, seeded_subset
from hw5.history import History, summarise
from hw5.metrics import confused_pairs, confusion_matrix, per_class_accuracy
from hw5.parallel import map_jobs, workers_for
from hw5.plotting import LogNorm, epoch_axis, plt, save
from hw5.runtime import blas_threads
from reportkit.section import Context, Figure, Part, Result, Section

HANDOUT_WEIGHTS = "q3_weights.pickle"     # the handout's run_q3.py saves it and its run_q4.py loads it


@dataclass(frozen=True)
class Config:
    training: mlp.TrainingConfig = field(default_factory=mlp.TrainingConfig)   # network, epochs, warps
    learning_rates: tuple[float, ...] = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)  # half-decade grid: 10x and 0.1x of
    #                                   the best (0.3 in full builds) are in it, so the study trains them side by
    #                                   side with the rest instead of in a third lockstep run of its own
    train_limit: int = 0              # 0: all 9000 training images; smoke runs use a slice
    valid_limit: int = 0              # 0: all 2880 validation images
    top_pairs: int = 6                # confused pairs named in the text
    ablation: bool = True             # also train the chosen rate without augmentation, to show what it buys


# ---------------------------------------------------------------- data and analysis
def load(root, cfg, seed: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """train/valid/test as (x (N, 1024) float32, y (N, 36) one-hot); limits take seeded random subsets."""
    splits = {s: load_nist36(root, s) for s in ("train", "valid", "test")}      # C order: fast batch gathers
    for name, limit in (("train", cfg.train_limit), ("valid", cfg.valid_limit)):
        x, y = splits[name]
        keep = seeded_subset(len(x), limit, seed)
        splits[name] = (x[keep], y[keep])
    return splits


def reached_at(reference: History, accuracy: float | None) -> int | None:
    """The first epoch (1-based) at which the reference run's validation accuracy reached `accuracy`."""
    ref = np.array([np.nan if v is None else v for v in reference.valid_acc], dtype=float)
    reached = np.flatnonzero(ref >= accuracy) if accuracy is not None else []
    return int(reached[0]) + 1 if len(reached) else None


def border_ratio(W: np.ndarray, width: int = 3) -> float:
    """Mean |weight| in the outer `width`-pixel ring of the 32x32 images over that in the centre. W: (1024, H)."""
    ring = np.ones((32, 32), bool)
    ring[width:-width, width:-width] = False
    mag = np.abs(W).reshape(32, 32, -1)
    return float(mag[ring].mean() / mag[~ring].mean())


def smoothness(W: np.ndarray) -> np.ndarray:
    """Per unit (H,): correlation of vertically and horizontally adjacent weights in its 32x32 image. W: (1024, H)."""
    img = W.T.reshape(-1, 32, 32).astype(np.float64)          # either orientation: both directions count
    img = img - img.mean(axis=(1, 2), keepdims=True)
    corr = [np.sum(a * b, (1, 2)) / np.sqrt(np.sum(a * a, (1, 2)) * np.sum(b * b, (1, 2)))
            for a, b in ((img[:, 1:], img[:, :-1]), (img[:, :, 1:], img[:, :, :-1]))]
    return (corr[0] + corr[1]) / 2


# ---------------------------------------------------------------- figures
def curves_figure(ctx, runs: list[tuple[str, dict]]) -> Figure:
    """The runs on shared axes: accuracy (left) and mean cross-entropy (right) per epoch, train dashed, valid solid."""
    fig, (a, b) = plt.subplots(1, 2, figsize=(6.9, 2.5), layout="constrained")
    for i, (name, h) in enumerate(runs):
        colour, epochs = f"C{i}", np.arange(1, len(h["train_acc"]) + 1)
        f = lambda key: np.array([np.nan if v is None else v for v in h[key]])   # noqa: E731
        a.plot(epochs, f("train_acc"), "--", color=colour, lw=1)
        a.plot(epochs, f("valid_acc"), color=colour, label=name)
        b.plot(epochs, f("train_loss"), "--", color=colour, lw=1), b.plot(epochs, f("valid_loss"), color=colour)
        if h["diverged_epoch"]:
            for ax in (a, b):
                ax.axvline(h["diverged_epoch"], color=colour, ls=":")
    a.set_ylim(0, 1), a.set_ylabel("accuracy"), b.set_ylabel("mean cross-entropy"), a.legend(fontsize=8)
    for ax in (a, b):
        ax.set_xlabel("epoch"), epoch_axis(ax)
    return Figure("q3-lr-curves", save(fig, ctx.path("lr_curves.png")),
                  "Training with the chosen learning rate, ten times it and a tenth of it: accuracy (left) and mean "
                  "cross-entropy (right) after each epoch, on the training images as stored (dashed, not augmented) "
                  "and on the validation images (solid).")


def weights_figure(ctx, w_init: np.ndarray, w_trained: np.ndarray) -> Figure:
    """The H first-layer weight vectors as upright 32x32 images in 8x8 grids, at init and after training."""
    fig, axes = plt.subplots(1, 2, figsize=(6.0, 3.1))
    for ax, W, title in zip(axes, (w_init, w_trained), ("at initialisation", "after training")):
        tiles = rows_to_images(W.T).reshape(8, 8, 32, 32)                   # unit images, upright
        tiles = tiles / np.abs(tiles).max(axis=(2, 3), keepdims=True)        # each tile scaled to [-1, 1]
        grid = np.pad(tiles, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=np.nan)
        ax.imshow(grid.transpose(0, 2, 1, 3).reshape(8 * 34, 8 * 34), cmap="gray", vmin=-1, vmax=1)
        ax.set_title(title), ax.axis("off")
    return Figure("q3-weights", save(fig, ctx.path("weights.png")),
                  "The 64 first-layer weight vectors shown as 32×32 images (upright), each scaled to its own "
                  "largest magnitude; grey is 0, white positive, black negative.")


def confusion_figure(ctx, cm: np.ndarray) -> Figure:
    """The test confusion matrix on a logarithmic colour scale, so that single confusions show."""
    fig, ax = plt.subplots(figsize=(6.0, 5.2), layout="constrained")
    image = ax.imshow(np.where(cm > 0, cm, np.nan), cmap="viridis", norm=LogNorm(vmin=1, vmax=cm.max()))
    ticks = [t for t in (1, 2, 5, 10, 20, 50, 100, 200, 500) if t <= cm.max()]
    bar = fig.colorbar(image, ax=ax, shrink=0.8, label="test images (log scale; empty cells blank)", ticks=ticks)
    bar.ax.set_yticklabels([str(t) for t in ticks]), bar.ax.minorticks_off()
    ax.set_xticks(range(36), LETTERS, fontsize=7), ax.set_yticks(range(36), LETTERS, fontsize=7)
    ax.set_xlabel("predicted class"), ax.set_ylabel("true class"), ax.grid(False)
    return Figure("q3-confusion", save(fig, ctx.path("confusion.png")),
                  "Confusion matrix of the chosen network on the test set (rows: true class, columns: prediction), "
                  "coloured on a logarithmic scale; cells without a test image are blank.")


def misread_figure(ctx, x: np.ndarray, labels: np.ndarray, preds: np.ndarray, pairs, per_pair: int = 4) -> Figure:
    """Test glyphs misread within the most confused pairs: for each pair, up to per_pair in each direction."""
    rows = []
    for a, b in pairs:
        for t, p in ((a, b), (b, a)):
            idx = np.flatnonzero((labels == LETTERS.index(t)) & (preds == LETTERS.index(p)))[:per_pair]
            rows.append((f"{t} read as {p}", x[idx]))
    fig, axes = plt.subplots(len(rows) // 2, 2 * per_pair, figsize=(5.6, 0.95 * len(rows) // 2), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for r, (title, glyphs) in enumerate(rows):
        for k, img in enumerate(rows_to_images(glyphs)):
            ax = axes[r // 2, (r % 2) * per_pair + k]
            ax.imshow(img, cmap="gray", vmin=0, vmax=1)
            if k == 0:
                ax.set_title(title, fontsize=8, loc="left")
    return Figure("q3-misread", save(fig, ctx.path("misread.png")),
                  "Test glyphs the chosen network misreads, within its most confused pairs (up to "
                  f"{per_pair} of each kind), shown upright as the network sees them.")


# ---------------------------------------------------------------- the section
def final_valid(run) -> float:
    acc = run[1].valid_acc[-1]
    return -1.0 if acc is None else acc


def learning_rate_study(data, centre, cfg, seeds: mlp.Seeds, show):
    """Sweep the grid (same init and batch order for all), pick the best rate on validation, and add the
    runs at 10x and 0.1x it if the grid lacks them. Returns (runs {lr: (params, history)}, best, shown)."""
    n = workers_for(len(cfg.learning_rates))          # each group in lockstep in its own process (hw5.parallel)
    groups = [cfg.learning_rates[i::n] for i in range(n)]
    trained = {lr: run for group in map_jobs(mlp.train_rates, [(data, centre, cfg.training, g, seeds, show)
                                                               for g in groups]) for lr, run in group.items()}
    runs = {lr: trained[lr] for lr in cfg.learning_rates}                  # in grid order: ties go to the first
    best = max(runs, key=lambda lr: final_valid(runs[lr]))
    shown_rates = {name: next((g for g in runs if np.isclose(g, best * factor)), best * factor)
                   for name, factor in (("best", 1.0), ("high", 10.0), ("low", 0.1))}
    extra = [lr for lr in shown_rates.values() if lr not in runs]
    if extra:                                      # one lockstep run: the warps are drawn once for both
        runs.update(mlp.train_rates(data, centre, cfg.training, extra, seeds, show))
    shown = {}
    for name, lr in shown_rates.items():
        summary = summarise(runs[lr][1])
        shown[name] = {"lr": lr, **summary, "best_reached_at": reached_at(runs[best][1], summary["final_valid_acc"])}
    return runs, best, shown


def weight_metrics(w_init: np.ndarray, w_trained: np.ndarray) -> dict:
    """Numbers behind the Q3.3 comment: smoothness of the weight images and how much the border carries."""
    s0, s1 = smoothness(w_init), smoothness(w_trained)
    return {"smoothness": {"init": float(s0.mean()), "trained": float(s1.mean()), "smooth_units": int(np.sum(s1 > 0.5))},
            "border_ratio": {"init": border_ratio(w_init), "trained": border_ratio(w_trained)}}


def score_test(labels: np.ndarray, preds: np.ndarray, top: int) -> tuple[dict, np.ndarray]:
    """Test accuracy, confusion matrix (returned) and the Q3.4 numbers read from it."""
    cm = confusion_matrix(labels, preds, len(LETTERS))
    pairs = confused_pairs(cm, top, LETTERS)
    return {"test_accuracy": float(np.mean(preds == labels)), "confused_pairs": pairs,
            "test_errors": int(np.sum(preds != labels)),
            "pairs_letter_digit": sum(a.isdigit() != b.isdigit() for a, b, _ in pairs),
            "test_per_class": {c: acc for c, acc, n in zip(LETTERS, per_class_accuracy(cm), cm.sum(1)) if n}}, cm


def sweep_rows(runs: dict, grid) -> list[dict]:
    return [{"lr": lr, "in_grid": lr in grid, "valid_acc": h.valid_acc[-1], "train_acc": h.train_acc[-1],
             "train_loss": h.train_loss[-1], "diverged_epoch": h.diverged_epoch}
            for lr, (_, h) in sorted(runs.items())]


def run_training(ctx: Context) -> Result:
    """The learning-rate study, the ablation without augmentation, the saved weights and the one test pass."""
    cfg, start, cpu_start = ctx.config, time.perf_counter(), time.process_time()
    data = load(ctx.data_root, cfg, ctx.seed)
    centre = data["train"][0].mean(axis=0)                                   # (1024,) mean training image
    seeds = mlp.Seeds(init=ctx.seed_for("init"), order=ctx.seed_for("batch order"), warps=ctx.seed_for("warps"))
    runs, best, shown = learning_rate_study(data, centre, cfg, seeds, ctx.progress)
    plain = replace(cfg.training, max_shift=0, max_rotate=0, max_zoom=0)
    no_augment = mlp.train(data, centre, plain, best, seeds)[1] if cfg.ablation else None
    weights = mlp.raw_input_weights(runs[best][0], centre)
    np.savez(ctx.path("q3_weights.npz"), **weights)
    with open(ctx.path(HANDOUT_WEIGHTS), "wb") as f:                          # the handout's run_q4.py reads it
        pickle.dump(weights, f)
    x_test, y_test = load_nist36(ctx.data_root, "test", np.float64)            # the rows as the .mat holds them
    with blas_threads(cfg.training.blas_threads):
        preds = mlp.classifier(weights)(x_test).argmax(1)                        # as the handout's forward() would
    tests, cm = score_test(y_test.argmax(1), preds, cfg.top_pairs)
    w_init = mlp.init_training(cfg.training.hidden, np.random.default_rng(seeds.init))["Wlayer1"]   # as train() drew it
    np.savez(ctx.path("analysis.npz"), w_init=w_init, confusion=cm, test_pred=preds)
    return Result({
        "valid_accuracy": shown["best"]["final_valid_acc"], "train_accuracy": shown["best"]["final_train_acc"],
        "best_learning_rate": best, **tests, "shown": shown,
        "sweep": {f"{lr:g}": r[1].valid_acc[-1] for lr, r in sorted(runs.items())},
        "sweep_runs": sweep_rows(runs, cfg.learning_rates), **weight_metrics(w_init, runs[best][0]["Wlayer1"]),
        "no_augment": None if no_augment is None else {"train_acc": no_augment.train_acc[-1],
                                                       "valid_acc": no_augment.valid_acc[-1]},
        "sizes": {s: len(data[s][0]) for s in data}, "source": describe_source(ctx.data_root),
        "runs_trained": len(runs) + bool(no_augment),
        "seconds": time.perf_counter() - start,
        "cpu_seconds": time.process_time() - cpu_start,     # this process only: wall - cpu = waiting for cores
    }, artifacts={"q3_weights": "q3_weights.npz", "q3_weights_pickle": HANDOUT_WEIGHTS})


def draw(ctx: Context) -> Result:
    train = ctx.input("train")
    shown = train.metrics["shown"]
    with np.load(train.path("analysis.npz")) as a, np.load(train.path("q3_weights")) as w:
        w_init, cm, preds, w_trained = a["w_init"], a["confusion"], a["test_pred"], w["Wlayer1"]
    x_test, y_test = load_nist36(ctx.data_root, "test")
    runs = [(f"{t} ({shown[k]['lr']:g})", shown[k]["history"]) for k, t in (("best", "best"), ("high", "10×"),
                                                                          ("low", "0.1×"))]
    pairs = [(a, b) for a, b, n in train.metrics["confused_pairs"][:ctx.config.misread_pairs] if n]
    return Result(figures=[curves_figure(ctx, runs), weights_figure(ctx, w_init, w_trained), confusion_figure(ctx, cm),
                           misread_figure(ctx, x_test, y_test.argmax(1), preds, pairs)])


@dataclass(frozen=True)
class DrawConfig:
    misread_pairs: int = 4            # the most confused pairs whose misread glyphs are shown


@dataclass(frozen=True)
class FindingsConfig:
    overshoot_factor: float = 3.0     # 10x's largest loss rise above this many times the best rate's: "overshoot"
    smooth_correlation: float = 0.5   # trained weight images whose mean adjacent correlation exceeds this are "smooth"
    faded_border: float = 0.5         # the border "has faded" when its weight ratio fell below this share of init's
    worst_classes: int = 3            # classes named as recognised worst (more when the last place is shared)
    close_points: float = 2.0         # train and valid accuracy "close together" when at most this far apart


def rate_findings(shown: dict, epochs: int, cfg) -> dict:
    """Q3.2's verdicts on the 10x and 0.1x runs against the best one, on the values as printed."""
    best, high, low = shown["best"], shown["high"], shown["low"]
    out = {"steps": epochs - 1,
           "best_gap": fd.direction(fd.shown_pct(best["final_train_acc"]), fd.shown_pct(best["final_valid_acc"])),
           "best_gap_points": abs(fd.points(best["final_train_acc"], best["final_valid_acc"])),
           "high_overshoots": high["diverged"] or high["max_rise"] > cfg.overshoot_factor * best["max_rise"]}
    if not high["diverged"]:
        out["high_vs_best"] = fd.direction(fd.shown_pct(high["final_valid_acc"]), fd.shown_pct(best["final_valid_acc"]))
        out["high_vs_best_points"] = abs(fd.points(high["final_valid_acc"], best["final_valid_acc"]))
    if not low["diverged"]:
        loss_low, loss_best = fd.significant(low["final_train_loss"]), fd.significant(best["final_train_loss"])
        out.update(low_smooth=low["loss_rises"] <= best["loss_rises"], low_undertrained=loss_low > loss_best,
                   low_train_valid_close=abs(fd.points(low["final_train_acc"], low["final_valid_acc"]))
                   <= cfg.close_points,
                   low_loss_ratio=fd.shown(loss_low / loss_best, 2) if loss_best else None,
                   low_gained=low["last_gain"] >= 0, low_last_gain_points=fd.shown(abs(100 * low["last_gain"]), 2))
    return out


def findings(ctx: Context) -> Result:
    """Every derived number and verdict of the Q3 text, from the training part's cached metrics."""
    train, cfg = ctx.input("train"), ctx.config
    m, tc = train.metrics, train.config
    pairs = m["confused_pairs"]
    plain = m["no_augment"]
    return Result({"findings": {
        **rate_findings(m["shown"], tc["training"]["epochs"], cfg),
        "emnist": "EMNIST" in m["source"],                 # the shared data, not the course's own files
        "max_zoom_percent": 100 * tc["training"]["max_zoom"], "train_per_class": round(m["sizes"]["train"] / len(LETTERS)),
        "augmentation_helps": plain is not None and plain["valid_acc"] is not None
        and fd.shown_pct(plain["valid_acc"]) < fd.shown_pct(m["valid_accuracy"]),
        "sweep_rows": [{**row, "chosen": row["lr"] == m["best_learning_rate"]} for row in m["sweep_runs"]],
        "has_extra_rates": any(not row["in_grid"] for row in m["sweep_runs"]),
        "trained_smooth": m["smoothness"]["trained"] > cfg.smooth_correlation,
        "smooth_threshold": cfg.smooth_correlation,
        "border_faded": m["border_ratio"]["trained"] < cfg.faded_border * m["border_ratio"]["init"],
        "worst_pairs": fd.top_ties(pairs), "pairs": len(pairs),
        "all_pairs_mixed": m["pairs_letter_digit"] == len(pairs),
        "worst_classes": fd.lowest_ranked(m["test_per_class"], cfg.worst_classes)}})


SECTION = Section(id="q3", title="Q3 Training models", template="q3.md.j2", parts=(
    Part("train", run_training, Config,
         smoke={"training": mlp.TrainingConfig(epochs=2), "train_limit": 720, "valid_limit": 360},
         data=(nist36_file("train"), nist36_file("valid"), nist36_file("test"))),
    Part("figures", draw, DrawConfig, data=(nist36_file("test"),), reads=("train",)),
    Part("findings", findings, FindingsConfig, reads=("train",)),
))
