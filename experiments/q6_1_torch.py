"""Q6.1: PyTorch. The Q3 MLP and a CNN on NIST36, a residual CNN on CIFAR-10, a scene CNN on SUN-8 beside HW1's
bag of words.

Each training is a part of its own that chooses on validation data (NIST36's own split; a stratified hold-out
of the training set for CIFAR-10 and SUN) and touches its test split once. Drawing parts read their histories
and confusion matrices. Every network trains with hw5.pytorch.train.fit on tensors decoded once.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from experiments import findings as fd
from hw5 import bow_spm
from hw5.data import LETTERS, load_nist36, nist36_file, seeded_subset, stratified_holdout
from hw5.image_data import CIFAR_DIR, SUN_CLASSES, SUN_DIR, cifar_batches, load_cifar, load_sun, load_sun_whole, \
    sun_labels
from hw5.history import summarise
from hw5.metrics import confused_pairs, confusion_matrix, largest_confusion, per_class_accuracy, taken_for
from hw5.parallel import map_jobs
from hw5.plotting import epoch_axis, literal, plt, save
from hw5.pytorch.models import MirrorAverage, NistCNN, NistFC, Normalise, ResNetSmall, \
    nist_rows_to_images, save_nist36_cnn
from hw5.pytorch.schedules import one_cycle
from hw5.pytorch.train import count_parameters, evaluate, fit, nesterov_sgd, pick_device, seed_everything
from hw5.pytorch.transforms import random_affine, random_crop, random_flip, random_resized_crop, resize, to_nchw
from hw5.runtime import blas_threads, torch_threads
from reportkit.section import Context, Figure, Part, Result, Section

SQRT2 = 2 ** 0.5
NIST36 = (nist36_file("train"), nist36_file("valid"))
CIFAR_TRAIN_BATCHES = 5              # CIFAR-10 ships its training images as five batch files


# "dev" below: validation accuracies of development runs (NIST36's valid split, or the training hold-out).
@dataclass(frozen=True)
class FcConfig:
    nist_limit: int = 0               # 0: all images; smoke: a seeded slice of each split
    hidden: int = 64                  # Q3's network: 1024 -> 64 sigmoid -> 36
    epochs: int = 40                  # dev: 60 epochs gave +0.3 points for 1.5x the time
    batch: int = 64                   # dev: as good as 32 (81.1 vs 80.0 %) at half the steps
    lr: float = 3e-3                  # Adam one-cycle peak; dev: 1e-2 ends at 69 %
    one_cycle: bool = True            # dev: a constant 1e-3 plateaus at 79 %
    weight_decay: float = 1e-4        # dev: 3e-4 no better
    shift: int = 1                    # random translations of +-1 px (white padding); dev: +-2 px 79.2 %
    dropout: float = 0.0              # on the input pixels; dev: 0.1 no better


@dataclass(frozen=True)
class CnnConfig:
    nist_limit: int = 0
    widths: tuple[int, ...] = (16, 32, 64)   # channels per stage; dev: 24..96 and 32..128 no better
    dropout: float = 0.5              # before the linear layer, which holds most weights; dev: 0.3 -> -0.5 points
    epochs: int = 12                  # dev: 15-20 epochs no better
    batch: int = 128                  # dev: as good as 64 and faster per image on a CPU
    lr: float = 5e-3                  # AdamW one-cycle peak
    weight_decay: float = 0.0         # dev: 0.05 no better
    shift: int = 2                    # random translations of +-2 px
    rotate: float = 0.0               # > 0: random affine instead (degrees, 10 % zoom); dev: 10-15 degrees no better
    label_smoothing: float = 0.1      # dev (2 seeds): 93.1 % against 92.7 % without
    top_pairs: int = 6                # most confused validation pairs named in the text


@dataclass(frozen=True)
class CifarConfig:
    limit: int = 0                    # 0: every training image; smoke: a seeded slice of train and test
    holdout: int = 2000               # validation images held out of train (stratified), for choices
    widths: tuple[int, ...] = (16, 32, 64, 128)   # ResNet-9 layout at 1/4 width: CPU-sized
    epochs: int = 9                   # full runs, validation: 12 epochs (no smoothing, no mirrors) 83.3 %; 9:
    #                                   81.7 %, with mirrored evaluation 83.3 %, with label smoothing too 83.1 %
    batch: int = 128
    lr: float = 0.2                   # SGD one-cycle peak (Nesterov); dev: 0.1 -0.3, 0.4 -2.6 points
    weight_decay: float = 1e-3        # dev: +1 point over 5e-4
    pad: int = 4                      # random crops of the image reflect-padded by 4 px, plus flips
    label_smoothing: float = 0.1
    mirror_test: bool = True          # evaluate on each image and its mirror, probabilities averaged


@dataclass(frozen=True)
class SunSplitConfig:
    per_class: int = 0                # 0: every image; smoke: this many per class and split
    holdout: float = 0.15             # share of each class's training images held out for validation


@dataclass(frozen=True)
class SunCnnConfig:
    load: int = 96                    # decoded size (short side, centre crop) that augmentation crops from
    size: int = 64                    # network input; dev: 96 px from 128 +2 points for 2.25x the compute
    min_scale: float = 0.35           # smallest crop area share; dev: 0.2 -> -2 points
    widths: tuple[int, ...] = (16, 32, 64, 128)   # dev: 2x and 4x the compute no better (88 % valid)
    epochs: int = 60                  # dev: 120 no better
    batch: int = 64
    lr: float = 0.1                   # SGD one-cycle peak; dev: 0.05 and 0.2 both ~1.5 points lower
    weight_decay: float = 5e-4
    dropout: float = 0.0              # before the linear layer; dev: 0.3 no better


@dataclass(frozen=True)
class BowConfig:
    short_side: int = 96              # images shrunk before filtering: the filter bank dominates the run time
    scales: tuple[float, ...] = (1, 2, 4, 8, 8 * SQRT2)   # HW1's five scales
    k: int = 100                      # dictionary size; dev: 50 and 200 lower with nearest neighbour
    alpha: int = 100                  # random pixels per image for k-means
    dict_images: int = 300            # training images sampled for the dictionary
    layers: tuple[int, ...] = (1, 2, 3)     # pyramid depths compared on validation
    lambdas: tuple[float, ...] = (0.01, 0.1, 1.0)   # kernel-ridge regularisers compared on validation


# ---------------------------------------------------------------- shared helpers
def first_reaching(history, threshold: float) -> dict:
    """Epoch (1-based) and seconds at which valid accuracy first reached threshold; None if never."""
    hit = next((i for i, a in enumerate(history.valid_acc) if a >= threshold), None)
    return {"epoch": None if hit is None else hit + 1, "seconds": None if hit is None else history.seconds[hit]}


# ---------------------------------------------------------------- 6.1.1 / 6.1.2 NIST36
def nist_data(ctx: Context, limit: int) -> dict:
    """{"train", "valid"}: (x (N, 1024) float rows, y (N,) labels) tensors, a seeded slice when limit > 0."""
    out = {}
    for split in ("train", "valid"):
        x, y = load_nist36(ctx.data_root, split)
        keep = seeded_subset(len(x), limit, ctx.seed)
        out[split] = (torch.tensor(x[keep]), torch.from_numpy(y[keep].argmax(1)))
    return out


AMBIGUOUS = (("O", "0"), ("I", "1"))    # pairs EMNIST writers draw alike


def nist_errors(model, x: torch.Tensor, y: torch.Tensor, device, top: int = 6) -> dict:
    """Most confused validation pairs (both directions), and the accuracy if O = 0 and I = 1 were one class each."""
    _, acc, pred = evaluate(model, x, y, device)
    y = y.numpy()
    cm = confusion_matrix(y, pred, len(LETTERS))
    both = cm + cm.T
    merge = np.arange(36)
    for a, b in AMBIGUOUS:
        merge[LETTERS.index(b)] = LETTERS.index(a)
    return {"accuracy": acc, "pairs": confused_pairs(cm, top, LETTERS), "errors": int(np.sum(pred != y)),
            "ambiguous_errors": int(sum(both[LETTERS.index(a), LETTERS.index(b)] for a, b in AMBIGUOUS)),
            "merged_accuracy": float(np.mean(merge[pred] == merge[y]))}


def train_fc(ctx: Context) -> Result:
    """6.1.1: the Q3 network in torch, Adam with a one-cycle rate, on randomly shifted rows."""
    torch_threads()
    cfg, device, gen = ctx.config, pick_device(ctx.device), seed_everything(ctx.seed_for("torch"))
    data = nist_data(ctx, cfg.nist_limit)
    model = NistFC(cfg.hidden, cfg.dropout).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)

    def shift(x):                                             # (B, 1024) rows -> shifted rows, white padding
        return random_crop(x.reshape(-1, 1, 32, 32), cfg.shift, gen, fill=1.0).reshape(-1, 1024)

    sched = one_cycle(opt, cfg.lr, cfg.epochs, len(data["train"][0]), cfg.batch) if cfg.one_cycle else None
    hist = fit(model, data["train"], data["valid"], epochs=cfg.epochs, batch_size=cfg.batch, optimizer=opt,
               device=device, generator=gen, augment=shift if cfg.shift else None, show=ctx.progress,
               desc="6.1.1 FC", scheduler=sched, step_scheduler_per_batch=True)
    return Result({"fc": {**summarise(hist), "parameters": count_parameters(model),
                          "reach_90": first_reaching(hist, 0.9),
                          "valid_errors": nist_errors(model, *data["valid"], device)}})


def train_cnn(ctx: Context) -> Result:
    """6.1.2: a NistCNN on upright (N, 1, 32, 32) images, AdamW with a one-cycle rate; its validation errors, and
    the checkpoint Q4 reads."""
    torch_threads()
    cfg, device, gen = ctx.config, pick_device(ctx.device), seed_everything(ctx.seed_for("torch"))
    train, valid = ((nist_rows_to_images(x), y) for x, y in nist_data(ctx, cfg.nist_limit).values())
    model = NistCNN(cfg.widths, cfg.dropout).to(device).to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    augment = (lambda b: random_crop(b, cfg.shift, gen, fill=0.0)) if cfg.shift else None
    if cfg.rotate:
        augment = lambda b: random_affine(b, gen, cfg.rotate, 0.1, cfg.shift)      # noqa: E731
    hist = fit(model, train, valid, epochs=cfg.epochs, batch_size=cfg.batch, optimizer=opt, device=device,
               generator=gen, scheduler=one_cycle(opt, cfg.lr, cfg.epochs, len(train[0]), cfg.batch),
               step_scheduler_per_batch=True, show=ctx.progress, desc="6.1.2 CNN",
               augment=augment, label_smoothing=cfg.label_smoothing)
    cnn = {**summarise(hist), "parameters": count_parameters(model), "reach_90": first_reaching(hist, 0.9),
           "valid_errors": nist_errors(model, *valid, device, cfg.top_pairs)}
    save_nist36_cnn(model.cpu().to(memory_format=torch.contiguous_format), ctx.path("q6_cnn_nist36.pt"),
                    classes=LETTERS, valid_accuracy=cnn["valid_errors"]["accuracy"])
    return Result({"cnn": cnn}, artifacts={"q6_cnn_nist36": "q6_cnn_nist36.pt"})


# ---------------------------------------------------------------- 6.1.3 CIFAR-10
def train_cifar(ctx: Context) -> Result:
    """A ResNet-9 layout at quarter width: crops and flips, Nesterov SGD, one-cycle; chosen on a hold-out."""
    torch_threads()
    cfg, device, gen = ctx.config, pick_device(ctx.device), seed_everything(ctx.seed_for("torch"))
    x, y, names = load_cifar(ctx.data_root, "train")
    keep = seeded_subset(len(x), cfg.limit, ctx.seed)
    x, y = x[keep], y[keep]
    fit_idx, hold_idx = stratified_holdout(y, cfg.holdout / len(y), ctx.rng("holdout"))
    pixels = x[fit_idx].reshape(-1, 3) / 255.0                                   # (N * 1024, 3)
    model = torch.nn.Sequential(Normalise(pixels.mean(0), pixels.std(0)), ResNetSmall(10, cfg.widths))
    model = MirrorAverage(model) if cfg.mirror_test else model
    model = model.to(device).to(memory_format=torch.channels_last)
    opt = nesterov_sgd(model, cfg.lr, cfg.weight_decay)
    yt = torch.from_numpy(y)
    hist = fit(model, (to_nchw(x[fit_idx]), yt[fit_idx]), (to_nchw(x[hold_idx]), yt[hold_idx]),
               epochs=cfg.epochs, batch_size=cfg.batch, optimizer=opt, device=device, generator=gen,
               scheduler=one_cycle(opt, cfg.lr, cfg.epochs, len(fit_idx), cfg.batch), step_scheduler_per_batch=True,
               augment=lambda b: random_flip(random_crop(b.float(), cfg.pad, gen), gen), show=ctx.progress,
               desc="6.1.3 CIFAR-10", label_smoothing=cfg.label_smoothing)
    x_te, y_te, _ = load_cifar(ctx.data_root, "test")
    keep = seeded_subset(len(x_te), cfg.limit, ctx.seed)
    x_te, y_te = x_te[keep], y_te[keep]
    _, test_acc, pred = evaluate(model, to_nchw(x_te), torch.from_numpy(y_te), device)      # the one test pass
    cm = confusion_matrix(y_te, pred, 10)
    return Result({"cifar": {**summarise(hist), "parameters": count_parameters(model), "test_accuracy": test_acc,
                             "names": list(names), "confusion": cm.tolist(), "per_class": per_class_accuracy(cm),
                             "taken_for": taken_for(cm, names), "largest_confusion": largest_confusion(cm, names),
                             "n_train": len(fit_idx), "n_valid": len(hold_idx), "n_test": len(y_te),
                             "n_batch_files": len(cifar_batches(ctx.data_root))}})


# ---------------------------------------------------------------- 6.1.4 SUN-8
def sun_split(ctx: Context) -> Result:
    """The stratified hold-out of SUN train that both SUN classifiers choose on."""
    y = sun_labels(ctx.data_root, "train", ctx.config.per_class)
    fit_idx, hold_idx = stratified_holdout(y, ctx.config.holdout, ctx.rng("holdout"))
    np.savez(ctx.path("split.npz"), fit=fit_idx, hold=hold_idx)
    return Result()


def read_split(ctx: Context) -> tuple[np.ndarray, np.ndarray, int]:
    """(fit indices, hold-out indices, images per class: 0 = all) of the SUN split part."""
    split = ctx.input("sun_split")
    with np.load(split.path("split.npz")) as a:
        return a["fit"], a["hold"], split.config["per_class"]


def train_sun_cnn(ctx: Context) -> Result:
    """A scene CNN from scratch on random-resized crops of `load`-pixel images; evaluated at `size` pixels."""
    torch_threads()
    cfg, device = ctx.config, pick_device(ctx.device)
    fit_idx, hold_idx, per_class = read_split(ctx)
    x, y, names = load_sun(ctx.data_root, "train", cfg.load, per_class)
    x, yt = to_nchw(x), torch.from_numpy(y)
    flat = x[fit_idx].permute(1, 0, 2, 3).reshape(3, -1).float() / 255          # (3, pixels) of the fit split
    gen = seed_everything(ctx.seed_for("torch"))
    model = torch.nn.Sequential(Normalise(flat.mean(1), flat.std(1)),
                                ResNetSmall(int(y.max()) + 1, cfg.widths, stem_stride=2, dropout=cfg.dropout))
    model = model.to(device).to(memory_format=torch.channels_last)
    opt = nesterov_sgd(model, cfg.lr, cfg.weight_decay)
    hist = fit(model, (x[fit_idx], yt[fit_idx]), (resize(x[hold_idx], cfg.size), yt[hold_idx]),
               epochs=cfg.epochs, batch_size=cfg.batch, optimizer=opt, device=device, generator=gen,
               scheduler=one_cycle(opt, cfg.lr, cfg.epochs, len(fit_idx), cfg.batch), step_scheduler_per_batch=True,
               augment=lambda b: random_resized_crop(b.float(), cfg.size, gen, cfg.min_scale), show=ctx.progress,
               desc="6.1.4 SUN CNN")
    x_te, y_te, _ = load_sun(ctx.data_root, "test", cfg.load, per_class)
    _, test_acc, pred = evaluate(model, resize(to_nchw(x_te), cfg.size), torch.from_numpy(y_te), device)   # once
    cm = confusion_matrix(y_te, pred, len(names))
    return Result({"sun": {**summarise(hist), "parameters": count_parameters(model), "test_accuracy": test_acc,
                           "names": list(names), "n_test": len(y_te), "n_fit": len(fit_idx), "n_valid": len(hold_idx),
                           "confusion": cm.tolist(), "per_class": per_class_accuracy(cm),
                           "largest_confusion": largest_confusion(cm, names)}})


def bow_wordmaps(images: list, cfg, dictionary: np.ndarray, known: dict[int, np.ndarray]) -> list[np.ndarray]:
    """Every image's word map, side by side in worker processes (hw5.parallel); known: maps already computed."""
    todo = [i for i in range(len(images)) if i not in known]
    done = dict(zip(todo, map_jobs(bow_spm.wordmap, [(images[i], cfg.scales, dictionary) for i in todo])))
    return [known[i] if i in known else done[i] for i in range(len(images))]


def sun_bow(ctx: Context) -> Result:
    """HW1 reproduced: filter bank, k-means dictionary, spatial pyramid; classifier chosen on the hold-out."""
    cfg, rng = ctx.config, ctx.rng("dictionary")
    fit_idx, hold_idx, per_class = read_split(ctx)
    images, y = load_sun_whole(ctx.data_root, "train", cfg.short_side, per_class)
    test_images, y_te = load_sun_whole(ctx.data_root, "test", cfg.short_side, per_class)
    sample = rng.choice(fit_idx, min(cfg.dict_images, len(fit_idx)), replace=False)
    responses = map_jobs(bow_spm.extract_filter_responses, [(images[i], cfg.scales) for i in sample])
    dictionary = bow_spm.compute_dictionary(responses, cfg.k, cfg.alpha, rng)
    with blas_threads(1):                 # as bow_spm.wordmap computes the others: the same words on any machine
        known = {int(i): bow_spm.get_visual_words(r, dictionary) for i, r in zip(sample, responses)}
    del responses
    maps = bow_wordmaps(images, cfg, dictionary, known)
    maps_te = bow_wordmaps(test_images, cfg, dictionary, {})
    rows = bow_spm.validation_grid([maps[i] for i in fit_idx], y[fit_idx], [maps[i] for i in hold_idx], y[hold_idx],
                                   cfg.k, cfg.layers, cfg.lambdas)
    best = max(rows, key=lambda r: r["valid_accuracy"])          # first of equals: NN, then shallower, smaller lam
    pred = bow_spm.classify([maps[i] for i in fit_idx], y[fit_idx], maps_te, cfg.k, best)   # the one test pass
    cm = confusion_matrix(y_te, pred, int(y.max()) + 1)
    np.savez(ctx.path("example.npz"), image=images[fit_idx[0]], wordmap=maps[fit_idx[0]])
    by_depth = {layers: max(r["valid_accuracy"] for r in rows if r["layers"] == layers) for layers in cfg.layers}
    return Result({"bow": {"validation": rows, "chosen": best, "test_accuracy": float(np.mean(pred == y_te)),
                           "confusion": cm.tolist(), "per_class": per_class_accuracy(cm),
                           "largest_confusion": largest_confusion(cm, SUN_CLASSES),
                           "nearest_neighbour_best": max(r["valid_accuracy"] for r in rows if r["lam"] is None),
                           "best_by_depth": {str(k): v for k, v in by_depth.items()},
                           "feature_dim": cfg.k * (4 ** (best["layers"] + 1) - 1) // 3,
                           "filters": 12 * len(cfg.scales), "dict_pixels": cfg.alpha * len(sample)}})


# ---------------------------------------------------------------- figures
def curves_figure(ctx: Context, runs: list[tuple[str, dict]], label: str, file: str, caption: str,
                  by_seconds: bool = False) -> Figure:
    """Accuracy and loss per epoch (train dashed, validation solid) for each run; optionally accuracy vs time."""
    fig, axes = plt.subplots(1, 3 if by_seconds else 2, figsize=(6.9, 2.3 if by_seconds else 2.4))
    for i, (name, h) in enumerate(runs):
        color, epochs = plt.cm.tab10(i), np.arange(1, len(h["valid_acc"]) + 1)
        axes[0].plot(epochs, h["train_acc"], "--", color=color, label=f"{name} train")
        axes[0].plot(epochs, h["valid_acc"], color=color, label=f"{name} valid")
        axes[1].plot(epochs, h["train_loss"], "--", color=color), axes[1].plot(epochs, h["valid_loss"], color=color)
        if by_seconds:
            axes[2].plot(h["seconds"], h["valid_acc"], "o-", ms=2.5, color=color, label=name)
    axes[0].set_ylabel("accuracy"), axes[1].set_ylabel("cross-entropy")
    for ax in axes[:2]:
        ax.set_xlabel("epoch"), epoch_axis(ax)
    axes[0].legend(fontsize=7)
    if by_seconds:
        axes[2].axhline(0.9, color="grey", lw=0.8, ls=":"), axes[2].set_xlabel("training seconds")
        axes[2].set_ylabel("validation accuracy"), axes[2].set_ylim(0.5, 1.0)
    return Figure(label, save(fig, ctx.path(file)), caption)


def confusion_figure(ctx: Context, mats: list[tuple[str, list]], names: list[str]) -> Figure:
    fig, axes = plt.subplots(1, len(mats), figsize=(6.2, 3.1))
    for ax, (title, cm) in zip(np.atleast_1d(axes), mats):
        cm = np.asarray(cm)
        ax.imshow(cm / np.maximum(cm.sum(1, keepdims=True), 1), cmap="Blues", vmin=0, vmax=1)
        for (i, j), v in np.ndenumerate(cm):
            if v:
                ax.text(j, i, str(v), ha="center", va="center", fontsize=7,
                        color="white" if v > cm.sum(1)[i] / 2 else "black")
        shown = [literal(n) for n in names]
        ax.set_xticks(range(len(names)), shown, rotation=60, ha="right", fontsize=7)
        ax.set_yticks(range(len(names)), shown if ax is np.atleast_1d(axes)[0] else [], fontsize=7)
        ax.set_title(title, fontsize=9), ax.set_xlabel("predicted"), ax.grid(False)
    np.atleast_1d(axes)[0].set_ylabel("true")
    return Figure("q6_1-sun-confusion", save(fig, ctx.path("sun_confusion.png")),
                  "Test confusion matrices on SUN-8 (counts; colour = share of the true class): the CNN trained "
                  "from scratch (left) and the reproduced HW1 bag of words with spatial pyramid (right).")


def wordmap_figure(ctx: Context, example, k: int) -> Figure:
    fig, (a, b) = plt.subplots(1, 2, figsize=(5.6, 2.4))
    a.imshow(example["image"])
    b.imshow(example["wordmap"], cmap="nipy_spectral", vmin=0, vmax=k - 1, interpolation="nearest")
    for ax in (a, b):
        ax.axis("off")
    return Figure("q6_1-wordmap", save(fig, ctx.path("bow_wordmap.png")),
                  f"A training scene and its visual-word map ({k} words; each colour is one word).")


def sun_compare(ctx: Context) -> Result:
    """The scene CNN against the bag of words: the test gap and the classes where the bag of words wins."""
    sun, bow = ctx.input("sun_cnn").metrics["sun"], ctx.input("sun_bow").metrics["bow"]
    return Result({"sun_vs_bow": {
        "test_gap": sun["test_accuracy"] - bow["test_accuracy"],
        "bow_better_classes": [n for n, a, b in zip(sun["names"], sun["per_class"], bow["per_class"]) if b > a]}})


# ---------------------------------------------------------------- findings: what the text says about the numbers
@dataclass(frozen=True)
class FindingsConfig:
    fits_points: float = 3.0          # training above validation by more than this (points): "begun to fit"
    harder_points: float = 1.0        # training below validation by more than this: the augmented batches are harder
    clear_overfit_points: float = 8.0  # SUN: a train-valid gap above this is "clear" overfitting


def fit_verdict(train: float, valid: float, fits: float, harder: float) -> str:
    """"fits" (train above valid by more than `fits` points, as printed), "harder" (below by more than
    `harder`), else "close"."""
    return {"above": "fits", "below": "harder", "within": "close"}[fd.band(fd.points(train, valid), -harder, fits)]


def overfit_verdict(train: float, valid: float, clear: float) -> str:
    """"clearly" (train above valid by more than `clear` points), "a little" (above), or "no"."""
    gap = fd.points(train, valid)
    return "clearly" if gap > clear else "a little" if gap > 0 else "no"


def nist_findings(fc: dict, cnn: dict, fc_cfg: dict, cnn_cfg: dict, q3_valid: float, q3_plain, cfg) -> dict:
    """Q6.1.1-2: the FC and CNN comparisons as the text prints them (seconds to 2 significant figures per
    epoch, whole seconds in total, accuracies to 0.1 %)."""
    fc_epoch, cnn_epoch = fc["train_seconds"] / fc_cfg["epochs"], cnn["train_seconds"] / cnn_cfg["epochs"]
    return {
        "fc_fit": fit_verdict(fc["final_train_acc"], fc["final_valid_acc"], cfg.fits_points, cfg.harder_points),
        "fc_gap_points": abs(fd.points(fc["final_train_acc"], fc["final_valid_acc"])),
        "fc_final_valid_loss": fc["history"]["valid_loss"][-1],
        "fc_vs_q3": fd.direction(fd.shown_pct(fc["final_valid_acc"]), fd.shown_pct(q3_valid)),
        "fc_vs_q3_points": abs(fd.points(fc["final_valid_acc"], q3_valid)),
        "q3_plain_below_fc": q3_plain is not None and fd.shown_pct(q3_plain) < fd.shown_pct(fc["final_valid_acc"]),
        "fc_seconds_per_epoch": fc_epoch, "cnn_seconds_per_epoch": cnn_epoch,
        "weights_ratio": fd.shown(cnn["parameters"] / fc["parameters"], 1),
        "epoch_seconds_ratio": fd.shown(fd.significant(cnn_epoch, 2) / fd.significant(fc_epoch, 2), 1),
        "cnn_vs_fc": fd.direction(fd.shown_pct(cnn["final_valid_acc"]), fd.shown_pct(fc["final_valid_acc"])),
        "cnn_vs_fc_points": abs(fd.points(cnn["final_valid_acc"], fc["final_valid_acc"])),
        "only_cnn_reaches_90": cnn["reach_90"]["epoch"] is not None and fc["reach_90"]["epoch"] is None,
        "fc_worst_pairs": fc["valid_errors"]["pairs"][:3],
        "fc_call": fd.call("NistFC", hidden=fc_cfg["hidden"], dropout=fc_cfg["dropout"]),
        "cnn_call": fd.call("NistCNN", widths=cnn_cfg["widths"], dropout=cnn_cfg["dropout"]),
    }


def cifar_findings(cf: dict, cf_cfg: dict, cfg) -> dict:
    """Q6.1.3: data counts, the train-valid verdict, the hardest and easiest classes with ties, table rows."""
    names = cf["names"]
    rows = [{"name": n, "accuracy": a, "taken_for": t} for n, a, t in zip(names, cf["per_class"], cf["taken_for"])]
    return {
        "all_batches": cf["n_batch_files"] == CIFAR_TRAIN_BATCHES, "n_images": cf["n_train"] + cf["n_valid"],
        "test_per_class": cf["n_test"] // len(names),
        "fit": fit_verdict(cf["final_train_acc"], cf["final_valid_acc"], cfg.fits_points, cfg.harder_points),
        "gap_points": abs(fd.points(cf["final_train_acc"], cf["final_valid_acc"])),
        "first_valid": cf["history"]["valid_acc"][0],
        **fd.extremes(cf["per_class"], names),
        "largest_confusions": fd.largest_cells(cf["confusion"], names),
        "class_rows": fd.two_columns(rows, None),
        "call": fd.call("ResNetSmall", len(names), cf_cfg["widths"]),
    }


def sun_findings(sun: dict, bow: dict, sun_cfg: dict, bow_cfg: dict, cfg) -> dict:
    """Q6.1.4: the bag-of-words choices, the CNN against it, the overfitting verdict, table rows."""
    chosen, nn_best = bow["chosen"], bow["nearest_neighbour_best"]
    lo, hi = min(bow_cfg["layers"]), max(bow_cfg["layers"])
    v_lo, v_hi = bow["best_by_depth"][str(lo)], bow["best_by_depth"][str(hi)]
    valid_rows = [{"layers": layers, "cells": [{"accuracy": row["valid_accuracy"], "chosen": row == chosen}
                                                for row in bow["validation"] if row["layers"] == layers]}
                  for layers in bow_cfg["layers"]]
    names = sun["names"]
    classes = [{"name": n, "cnn": a, "bow": b} for n, a, b in zip(names, sun["per_class"], bow["per_class"])]
    return {
        "n_train": sun["n_fit"] + sun["n_valid"], "test_per_class": sun["n_test"] // len(names),
        "fit_per_class": round(sun["n_fit"] / len(names)),
        "ridge_gain_points": fd.points(chosen["valid_accuracy"], nn_best),
        "ridge_better": fd.points(chosen["valid_accuracy"], nn_best) > 0,
        "depth": {"lo": lo, "hi": hi, "finer_better": fd.shown_pct(v_hi) > fd.shown_pct(v_lo),
                  "gain_points": fd.points(v_hi, v_lo)},
        "valid_rows": valid_rows,
        "cnn_vs_bow": fd.direction(fd.shown_pct(sun["test_accuracy"]), fd.shown_pct(bow["test_accuracy"])),
        "cnn_vs_bow_points": abs(fd.points(sun["test_accuracy"], bow["test_accuracy"])),
        "class_rows": fd.two_columns(classes, None),
        "bow_better_classes": [c["name"] for c in classes if fd.shown_pct(c["bow"], 0) > fd.shown_pct(c["cnn"], 0)],
        "overfit": overfit_verdict(sun["final_train_acc"], sun["final_valid_acc"], cfg.clear_overfit_points),
        "cnn_confusions": fd.largest_cells(sun["confusion"], names),
        "bow_confusions": fd.largest_cells(bow["confusion"], names),
        "call": fd.call("ResNetSmall", len(names), sun_cfg["widths"], stem_stride=2, dropout=sun_cfg["dropout"]),
    }


def findings(ctx: Context) -> Result:
    """Every derived number and verdict of the Q6.1 text, from the training parts' cached metrics."""
    up = {name: ctx.input(name) for name in ("nist_fc", "nist_cnn", "cifar", "sun_cnn", "sun_bow")}
    q3 = ctx.input("q3.train").metrics
    fc, cnn = up["nist_fc"].metrics["fc"], up["nist_cnn"].metrics["cnn"]
    plain = q3["no_augment"]["valid_acc"] if q3["no_augment"] else None
    return Result({"findings": {
        "nist": nist_findings(fc, cnn, up["nist_fc"].config, up["nist_cnn"].config, q3["valid_accuracy"], plain,
                              ctx.config),
        "cifar": cifar_findings(up["cifar"].metrics["cifar"], up["cifar"].config, ctx.config),
        "sun": sun_findings(up["sun_cnn"].metrics["sun"], up["sun_bow"].metrics["bow"], up["sun_cnn"].config,
                            up["sun_bow"].config, ctx.config)}})


def draw_nist(ctx: Context) -> Result:
    fc, cnn = ctx.input("nist_fc").metrics["fc"], ctx.input("nist_cnn").metrics["cnn"]
    return Result(figures=[curves_figure(
        ctx, [("FC", fc["history"]), ("CNN", cnn["history"])], "q6_1-nist-curves", "nist_curves.png",
        "NIST36: the Q3 network in PyTorch (FC) and the CNN. Accuracy and cross-entropy per epoch "
        "(dashed: training batches as seen, with augmentation, and for the CNN with label smoothing, which "
        "keeps its training loss well above zero; solid: validation), and validation "
        "accuracy against training time (dotted line: 90 %).", by_seconds=True)])


def draw_cifar(ctx: Context) -> Result:
    cifar = ctx.input("cifar").metrics["cifar"]
    return Result(figures=[curves_figure(
        ctx, [("CIFAR-10", cifar["history"])], "q6_1-cifar-curves", "cifar_curves.png",
        "CIFAR-10: accuracy and loss per epoch on the augmented training batches (dashed) and on the "
        "held-out validation images (solid).")])


def draw_sun(ctx: Context) -> Result:
    sun, bow = ctx.input("sun_cnn").metrics["sun"], ctx.input("sun_bow")
    with np.load(bow.path("example.npz")) as example:
        wordmap = wordmap_figure(ctx, example, bow.config["k"])
    return Result(figures=[
        curves_figure(ctx, [("SUN CNN", sun["history"])], "q6_1-sun-curves", "sun_curves.png",
                      "SUN-8 CNN from scratch: accuracy and loss per epoch on augmented training crops (dashed) "
                      "and on the held-out validation images (solid)."),
        confusion_figure(ctx, [("CNN from scratch", sun["confusion"]), ("HW1 BoW + SPM", bow.metrics["bow"]["confusion"])],
                         sun["names"]),
        wordmap])


SECTION = Section(id="q6_1", title="Q6.1 PyTorch: NIST36, CIFAR-10 and SUN scenes", template="q6_1.md.j2", parts=(
    Part("nist_fc", train_fc, FcConfig, smoke={"nist_limit": 600, "epochs": 2}, data=NIST36, torch=True),
    Part("nist_cnn", train_cnn, CnnConfig, smoke={"nist_limit": 600, "epochs": 2}, data=NIST36, torch=True),
    Part("cifar", train_cifar, CifarConfig, smoke={"limit": 600, "holdout": 200, "epochs": 1},
         data=(CIFAR_DIR,), torch=True),
    Part("sun_split", sun_split, SunSplitConfig, smoke={"per_class": 6}, data=(SUN_DIR,)),
    Part("sun_cnn", train_sun_cnn, SunCnnConfig, smoke={"load": 40, "size": 32, "epochs": 2}, data=(SUN_DIR,),
         reads=("sun_split",), torch=True),
    Part("sun_bow", sun_bow, BowConfig,
         smoke={"short_side": 40, "scales": (1, 2), "k": 10, "alpha": 20, "dict_images": 10, "layers": (1, 2),
                "lambdas": (0.1,)},
         data=(SUN_DIR,), reads=("sun_split",)),
    Part("sun_compare", sun_compare, reads=("sun_cnn", "sun_bow")),
    Part("findings", findings, FindingsConfig,
         reads=("nist_fc", "nist_cnn", "cifar", "sun_cnn", "sun_bow", "q3.train")),
    Part("nist_figures", draw_nist, reads=("nist_fc", "nist_cnn")),
    Part("cifar_figures", draw_cifar, reads=("cifar",)),
    Part("sun_figures", draw_sun, reads=("sun_cnn", "sun_bow")),
))
