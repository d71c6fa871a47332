"""Q6.2: ImageNet SqueezeNet 1.1 features fine-tuned on Flowers-17, against a network trained from scratch;
the same pretrained features on the SUN-8 scenes of Q6.1.4.

Frozen features are computed once per image (and its mirror image), so training the classifier, and then the
last fire modules, runs on cached 13x13 maps in seconds on a CPU. Every choice is made on `val` (Flowers) or on
a held-out part of SUN train; each test set is evaluated once, with the chosen model. Each of the three
trainings is a part of its own, seeded on its own; a cheap part compares them and another draws them.
"""
from __future__ import annotations

import copy
import json
import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from experiments import findings as fd
from hw5.data import stratified_holdout
from hw5.image_data import FLOWERS_DIR as FLOWERS, SUN_DIR, load_flowers, load_sun
from hw5.metrics import confusion_matrix, per_class_accuracy, taken_for
from hw5.plotting import epoch_axis, literal, plt, save
from hw5.pytorch.models import ToFloat, scratch_net
from hw5.pytorch.schedules import one_cycle
from hw5.pytorch.squeezenet import WEIGHTS, SqueezeNet, extract, imagenet_normalise, load_features, make_classifier
from hw5.pytorch.train import count_parameters, evaluate, fit_best, linear_probe, pick_device, seed_everything
from hw5.pytorch.transforms import random_brightness, random_resized_crop, resize, to_nchw
from hw5.runtime import torch_threads
from reportkit.section import Context, Figure, Part, Result, Section

@dataclass(frozen=True)
class FinetuneConfig:
    image_size: int = 224          # SqueezeNet's ImageNet input; the shared images have a short side of 224 px
    per_class: int = 0             # images per class and split (0: all); the smoke profile uses a few
    head_epochs: int = 15          # the head's best val epoch was 9 in a full run, within 1-2 images after ~8
    head_lr: float = 1e-3          # Adam on the new head
    head_weight_decay: float = 1e-3  # 1360 training maps (680 images and mirrors) for 8.7k weights: mild shrinkage
    head_batch: int = 64           # ~21 steps per epoch
    fire_modules: int = 2          # stage 2 also trains features.11 and .12, the most ImageNet-specific modules
    fire_epochs: int = 2           # the best val epoch was 1 or 2 in two runs; ~10 CPU-s per epoch
    fire_lr: float = 1e-4          # 10x below the head's rate: the pretrained filters should move only a little


@dataclass(frozen=True)
class ScratchConfig:
    per_class: int = 0
    load: int = 96                 # decoded short side; random crops are resampled from it
    size: int = 64                 # the network's input: 64 px keeps an epoch at a few seconds on 2 cores
    width: int = 32                # channels of the first conv, doubled at each of the 4 conv blocks
    epochs: int = 40               # val accuracy levels off after ~33 (two runs); ~4 CPU-s per epoch
    lr: float = 3e-3               # one-cycle AdamW peak rate
    weight_decay: float = 5e-4
    batch: int = 32                # ~21 steps per epoch on 680 images
    min_scale: float = 0.25        # random crops cover 25-100 % of the image's area ...
    max_aspect: float = math.exp(0.2)   # ... with an aspect ratio within about +-20 %
    brightness: float = 0.2        # and a brightness change of up to +-20 %


@dataclass(frozen=True)
class SunProbeConfig:
    image_size: int = 224
    per_class: int = 0
    holdout: float = 0.2           # share of SUN train held out to choose the linear classifier's L2 strength
    weight_decays: tuple = (1e-4, 1e-3, 1e-2, 1e-1)  # L2 strengths tried for the SUN linear classifier
    steps: int = 300               # full-batch Adam steps for the linear classifier on 512-d pooled features


@dataclass(frozen=True)
class FiguresConfig:
    grid_images: int = 24          # test images shown with their predictions


def load_split(ctx: Context, loader, split: str, size: int, per_class: int | None = None):
    """(x (N, 3, size, size) uint8 tensor, y (N,) int64 tensor, names) of a Flowers or SUN split, decoding only
    per_class images per class (the part's own config.per_class unless given; 0: all)."""
    x, y, names = loader(ctx.data_root, split, size, ctx.config.per_class if per_class is None else per_class)
    return to_nchw(x), torch.from_numpy(y), names


def cache_maps(net: SqueezeNet, images: dict, device, stop: int) -> dict:
    """Frozen maps before features[stop] ("mid") and after features[12] ("final"), float16 on CPU, per image set."""
    out = {}
    for name, x in images.items():
        mid = extract(net.features[:stop], x, device, prepare=imagenet_normalise().to(device))
        out[name] = {"mid": mid.half(), "final": extract(net.features[stop:], mid, device).half()}
    return out


def pretrained_flowers(ctx: Context, net: SqueezeNet, flowers: dict, device, gen) -> dict:
    """Stage 1: the handout's head on frozen maps; stage 2: also the last fire modules. Chosen on val; test once."""
    cfg, stop, t0 = ctx.config, 13 - ctx.config.fire_modules, time.perf_counter()
    (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = flowers["train"], flowers["val"], flowers["test"]
    maps = cache_maps(net, {"train": torch.cat([x_tr, x_tr.flip(3)]), "val": x_va, "test": x_te}, device, stop)
    seconds, y_tr2 = {"features": time.perf_counter() - t0}, y_tr.repeat(2)      # the images, then their mirrors
    train = {k: (maps["train"][k], y_tr2) for k in ("mid", "final")}
    head = torch.nn.Sequential(ToFloat(), make_classifier(len(flowers["names"])), torch.nn.Flatten()).to(device)
    stages, t0 = {}, time.perf_counter()
    opt = torch.optim.Adam(head.parameters(), lr=cfg.head_lr, weight_decay=cfg.head_weight_decay)
    head, stages["head"] = fit_best(head, train["final"], (maps["val"]["final"], y_va), epochs=cfg.head_epochs,
                                    batch_size=cfg.head_batch, optimizer=opt, device=device, generator=gen,
                                    show=ctx.progress, desc="q6_2 head")
    seconds["head"], t0 = time.perf_counter() - t0, time.perf_counter()
    tail = torch.nn.Sequential(ToFloat(), *copy.deepcopy(net.features[stop:]), *copy.deepcopy(head[1:])).to(device)
    opt = torch.optim.Adam(tail.parameters(), lr=cfg.fire_lr, weight_decay=cfg.head_weight_decay)
    tail, stages["fire"] = fit_best(tail, train["mid"], (maps["val"]["mid"], y_va), epochs=cfg.fire_epochs,
                                    batch_size=cfg.head_batch, optimizer=opt, device=device, generator=gen,
                                    show=ctx.progress, desc="q6_2 fire")
    seconds["fire"] = time.perf_counter() - t0
    chosen = "fire" if stages["fire"]["best_valid_acc"] > stages["head"]["best_valid_acc"] else "head"
    model, kind = (tail, "mid") if chosen == "fire" else (head, "final")
    _, test_acc, pred = evaluate(model, maps["test"][kind], y_te, device, batch_size=256)
    return {"stages": stages, "chosen": chosen, "test_accuracy": test_acc, "pred": pred, "seconds": seconds,
            "trainable": {"head": count_parameters(head), "fire": count_parameters(tail)},
            "map_shape": list(maps["test"]["final"].shape[1:])}                  # (512, side, side)


def finetune(ctx: Context) -> Result:
    """SqueezeNet 1.1 with ImageNet features and the handout's new head, fine-tuned on Flowers-17."""
    torch_threads()
    cfg, device = ctx.config, pick_device(ctx.device)
    gen = seed_everything(ctx.seed_for("torch"))
    net = load_features(SqueezeNet(1000), ctx.data(WEIGHTS)).to(device)
    flowers = {s: load_split(ctx, load_flowers, s, cfg.image_size) for s in ("train", "val", "test")}
    names = flowers["train"][2]
    flowers = {**{s: flowers[s][:2] for s in ("train", "val", "test")}, "names": names}
    pre = pretrained_flowers(ctx, net, flowers, device, gen)
    y = flowers["test"][1].numpy()
    np.save(ctx.path("pred.npy"), pre["pred"])
    np.save(ctx.path("y_test.npy"), y)
    ctx.path("history.json").write_text(json.dumps(pre["stages"]))
    stages = {k: {m: v[m] for m in ("best_epoch", "best_valid_acc", "best_train_acc")} | {"epochs": len(v["valid_acc"])}
              for k, v in pre["stages"].items()}
    n_val = len(flowers["val"][1])
    return Result({"finetune_test_accuracy": pre["test_accuracy"], "finetune": {
        "chosen": pre["chosen"], "stages": stages, "trainable": pre["trainable"], "map_shape": pre["map_shape"],
        "valid_accuracy": stages[pre["chosen"]]["best_valid_acc"], "test_errors": int(np.sum(pre["pred"] != y)),
        "fire_gain_images": round((stages["fire"]["best_valid_acc"] - stages["head"]["best_valid_acc"]) * n_val),
        "seconds": pre["seconds"]},
        "classes": list(names), "n_classes": len(names), "n_test": len(y), "n_train": len(flowers["train"][1]),
        "n_val": n_val, "squeezenet_parameters": count_parameters(SqueezeNet(len(names)))})


def scratch(ctx: Context) -> Result:
    """The network from scratch on augmented low-resolution crops; best val epoch kept; test once."""
    torch_threads()
    cfg, device, t0 = ctx.config, pick_device(ctx.device), time.perf_counter()
    gen = seed_everything(ctx.seed_for("torch"))
    (x_tr, y_tr, _), (x_va, y_va, _), (x_te, y_te, _) = (load_split(ctx, load_flowers, s, cfg.load)
                                                         for s in ("train", "val", "test"))
    pixels = resize(x_tr, cfg.size) / 255.0                               # the statistics Normalise expects
    model = scratch_net(cfg.width, int(y_tr.max()) + 1, pixels.mean((0, 2, 3)), pixels.std((0, 2, 3)))
    model = model.to(device, memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = one_cycle(opt, cfg.lr, cfg.epochs, len(x_tr), cfg.batch, warmup=0.15)

    def augment(xb):                      # crops, mirror images and brightness, channels-last for the convolutions
        crops = random_resized_crop(xb.float(), cfg.size, gen, cfg.min_scale, cfg.max_aspect)
        return random_brightness(crops, gen, cfg.brightness).contiguous(memory_format=torch.channels_last)

    model, hist = fit_best(model, (x_tr, y_tr), (resize(x_va, cfg.size), y_va), epochs=cfg.epochs,
                           batch_size=cfg.batch, optimizer=opt, device=device, generator=gen, scheduler=sched,
                           step_scheduler_per_batch=True, augment=augment, show=ctx.progress, desc="q6_2 scratch")
    _, test_acc, pred = evaluate(model, resize(x_te, cfg.size), y_te, device, batch_size=256)
    np.save(ctx.path("pred.npy"), pred)
    ctx.path("history.json").write_text(json.dumps(hist))
    return Result({"scratch_test_accuracy": test_acc, "scratch": {
        "best_epoch": hist["best_epoch"], "epochs": len(hist["valid_acc"]), "parameters": count_parameters(model),
        "valid_accuracy": hist["best_valid_acc"], "best_train_acc": hist["best_train_acc"],
        "test_errors": int(np.sum(pred != y_te.numpy())), "seconds": time.perf_counter() - t0}})


def sun_pretrained(ctx: Context) -> Result:
    """Average-pooled SqueezeNet features + softmax regression on SUN-8; L2 chosen on held-out train; test once."""
    torch_threads()
    cfg, device, t0 = ctx.config, pick_device(ctx.device), time.perf_counter()
    seed_everything(ctx.seed_for("torch"))
    net = load_features(SqueezeNet(1000), ctx.data(WEIGHTS)).to(device)
    (x_tr, y_tr, names), (x_te, y_te, _) = (load_split(ctx, load_sun, s, cfg.image_size) for s in ("train", "test"))
    f_tr, f_te = (extract(net.features, x, device, prepare=imagenet_normalise().to(device)).mean((2, 3))
                  for x in (x_tr, x_te))                                                  # (N, 512) each
    fit_i, hold_i = stratified_holdout(y_tr.numpy(), cfg.holdout, ctx.rng("holdout"))
    scores = {wd: linear_probe(f_tr[fit_i], y_tr[fit_i], f_tr[hold_i], y_tr[hold_i], wd, cfg.steps, device)[0]
              for wd in cfg.weight_decays}
    best_wd = max(scores, key=lambda wd: (scores[wd], -wd))        # ties: the weaker regulariser
    test_acc, _ = linear_probe(f_tr, y_tr, f_te, y_te, best_wd, cfg.steps, device)
    return Result({"sun_pretrained_test_accuracy": test_acc, "sun": {
        "holdout_accuracy": [{"weight_decay": k, "accuracy": v} for k, v in scores.items()],
        "weight_decay": best_wd, "n_train": len(y_tr), "n_holdout": len(hold_i), "n_test": len(y_te),
        "classes": list(names), "seconds": time.perf_counter() - t0}})


def curves_figure(ctx: Context, stages: dict, scratch_history: dict) -> Figure:
    """Loss and accuracy per epoch: pretrained head, then its fire stage, and the scratch net (train dashed)."""
    head, fire, sc = stages["head"], stages["fire"], scratch_history
    fig, axes = plt.subplots(1, 2, figsize=(6.9, 2.5))
    for ax, key, label in ((axes[0], "loss", "cross-entropy"), (axes[1], "acc", "accuracy")):
        for hist, offset, colour, name in ((head, 0, "C0", "SqueezeNet head"),
                                           (fire, len(head["valid_acc"]), "C2", "+ last fire modules"),
                                           (sc, 0, "C3", "from scratch")):
            epochs = offset + np.arange(1, len(hist["valid_acc"]) + 1)
            ax.plot(epochs, hist["train_" + key], "--", color=colour, lw=1)
            ax.plot(epochs, hist["valid_" + key], "o-" if len(epochs) < 4 else "-", ms=3, color=colour, lw=1.4,
                    label=name)
        ax.set_xlabel("epoch"), ax.set_ylabel(label), epoch_axis(ax)
    axes[1].set_ylim(0, 1.02), axes[1].legend(fontsize=7, loc="lower right")
    return Figure("q6_2-curves", save(fig, ctx.path("curves.png")),
                  "Flowers-17 training curves: validation (solid) and training (dashed, running mean over the "
                  "epoch, on augmented or dropout-perturbed inputs). The fire-module stage starts from the best "
                  "head epoch.")


def per_class_figure(ctx: Context, names, y: np.ndarray, pred_ft: np.ndarray, pred_sc: np.ndarray) -> Figure:
    """Horizontal bars of test accuracy per class for both networks."""
    fig, ax = plt.subplots(figsize=(6.9, 3.0))
    rows = np.arange(len(names))
    for i, (pred, name, colour) in enumerate(((pred_ft, "fine-tuned SqueezeNet", "C0"), (pred_sc, "from scratch", "C3"))):
        acc = per_class_accuracy(confusion_matrix(y, pred, len(names)))
        ax.barh(rows + (0.2 if i else -0.2), acc, height=0.4, color=colour, label=name)
    ax.set_yticks(rows, [literal(n.replace("_", " ")) for n in names]), ax.invert_yaxis()
    ax.set_xlabel("test accuracy"), ax.set_xlim(0, 1)
    ax.legend(fontsize=7, ncol=2, loc="lower center", bbox_to_anchor=(0.5, 1.0))
    return Figure("q6_2-per-class", save(fig, ctx.path("per_class.png")),
                  f"Test accuracy per Flowers-17 class ({len(y) // len(names)} test images each).")


def grid_figure(ctx: Context, x: torch.Tensor, names, y: np.ndarray, pred_ft, pred_sc) -> Figure:
    """Test images with both networks' predictions; the fine-tuned net's errors first, then random ones."""
    rng, n = ctx.rng("grid images"), min(ctx.config.grid_images, len(y))
    wrong = np.flatnonzero(pred_ft != y)[: n // 3]
    rest = rng.permutation(np.setdiff1d(np.arange(len(y)), wrong))[: n - len(wrong)]
    pick, cols = np.concatenate([wrong, np.sort(rest)]), 6
    fig, axes = plt.subplots(-(-n // cols), cols, figsize=(6.9, 1.35 * -(-n // cols)), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, i in zip(axes.ravel(), pick):
        ax.imshow(x[i].permute(1, 2, 0).numpy())
        ax.set_title(literal(names[y[i]].replace("_", " ")), fontsize=7, pad=2)
        for row, (pred, tag) in enumerate(((pred_ft, "FT"), (pred_sc, "SC"))):
            ok = pred[i] == y[i]
            ax.text(0.02, 0.03 + 0.16 * (1 - row), f"{tag}: {literal(names[pred[i]].replace('_', ' '))}" + ("" if ok else " ✗"),
                    transform=ax.transAxes, fontsize=7, color="white",
                    bbox=dict(facecolor="C2" if ok else "C3", edgecolor="none", pad=1, alpha=0.85))
    return Figure("q6_2-grid", save(fig, ctx.path("grid.png")),
                  f"Flowers-17 test images with the true class above and the predictions of the fine-tuned "
                  f"SqueezeNet (FT) and the scratch network (SC) below; red with ✗ marks a wrong prediction. The "
                  f"first {len(wrong)} are the fine-tuned network's errors, the rest are drawn at random.")


def per_class_table(names, y, pred_ft, pred_sc) -> list[dict]:
    """Test accuracy per class for both networks, and each one's most frequent wrong answer."""
    shown = [n.replace("_", " ") for n in names]
    rows = [{"name": n} for n in shown]
    for key, pred in (("finetune", pred_ft), ("scratch", pred_sc)):
        cm = confusion_matrix(y, pred, len(names))
        for row, acc, taken in zip(rows, per_class_accuracy(cm), taken_for(cm, shown)):
            row[key], row[key + "_confused_with"] = acc, taken["name"] if taken["count"] else ""
    return rows


FEATURE_MODULES = 13                  # SqueezeNet 1.1's `features`: modules 0-12, the last ones fire modules


@dataclass(frozen=True)
class CompareConfig:
    overfit_points: float = 10.0      # the scratch network's train-valid gap above which the text says it overfits


def hardest(rows: list[dict], key: str) -> dict:
    """The lowest per-class accuracy of one network as the text prints it (whole percent), with every class at
    that value: {"value", "names", "tie", "confused_with"} (confused_with: the first class's most frequent error)."""
    low = fd.extremes([r[key] for r in rows], [r["name"] for r in rows], digits=0)["lowest"]
    first = next(r for r in rows if r["name"] == low["names"][0])
    return {**low, "confused_with": first[key + "_confused_with"]}


def comparison_findings(ft: dict, sc: dict, ft_cfg: dict, sc_cfg: dict, rows: list[dict], cfg) -> dict:
    """Everything Q6.2.1's text derives: differences of the printed accuracies, counts, verdicts, seconds."""
    tuned, seconds = ft["finetune"], ft["finetune"]["seconds"]
    train_gap = fd.points(sc["scratch"]["best_train_acc"], sc["scratch"]["valid_accuracy"])
    tune_seconds = seconds["head"] + seconds["fire"]
    return {
        "first_fire_module": FEATURE_MODULES - ft_cfg["fire_modules"],
        "lr_ratio": ft_cfg["head_lr"] / ft_cfg["fire_lr"],
        "scratch_channels": [sc_cfg["width"] * 2 ** k for k in range(4)],
        "fire_gain_images": abs(tuned["fire_gain_images"]),
        "test": fd.direction(fd.shown_pct(ft["finetune_test_accuracy"]), fd.shown_pct(sc["scratch_test_accuracy"])),
        "test_points": abs(fd.points(ft["finetune_test_accuracy"], sc["scratch_test_accuracy"])),
        "scratch_better_count": sum(r["scratch"] > r["finetune"] for r in rows),
        "hardest": {k: hardest(rows, k) for k in ("finetune", "scratch")},
        "frozen_weights": ft["squeezenet_parameters"] - tuned["trainable"][tuned["chosen"]],
        "train_per_class": round(ft["n_train"] / ft["n_classes"]),
        "scratch_overfits": train_gap > cfg.overfit_points, "scratch_gap_points": train_gap,
        "tune_seconds": tune_seconds,
        "transfer_fewer_seconds": fd.shown(seconds["features"]) + fd.shown(tune_seconds) < fd.shown(sc["scratch"]["seconds"]),
    }


def compare(ctx: Context) -> Result:
    """The fine-tuned network against the scratch one, class by class, and what the text says about them."""
    ft, sc = ctx.input("finetune"), ctx.input("scratch")
    y, names = np.load(ft.path("y_test.npy")), ft.metrics["classes"]
    pred_ft, pred_sc = np.load(ft.path("pred.npy")), np.load(sc.path("pred.npy"))
    rows = per_class_table(names, y, pred_ft, pred_sc)
    seconds = ft.metrics["finetune"]["seconds"]
    return Result({
        "gap": ft.metrics["finetune_test_accuracy"] - sc.metrics["scratch_test_accuracy"], "per_class": rows,
        "scratch_better_classes": [r["name"] for r in rows if r["scratch"] > r["finetune"]],
        "hardest": {k: min(rows, key=lambda r: r[k]) for k in ("finetune", "scratch")},   # first of equals
        "transfer_seconds": seconds["features"] + seconds["head"] + seconds["fire"],
        "findings": comparison_findings(ft.metrics, sc.metrics, ft.config, sc.config, rows, ctx.config)})


def sun_vs_scratch(ctx: Context) -> Result:
    """Whether the pretrained SUN features beat both Q6.1.4 methods (as printed), and the L2 table's rows."""
    sun = ctx.input("sun").metrics
    tested = [ctx.input("q6_1.sun_cnn").metrics["sun"]["test_accuracy"],
              ctx.input("q6_1.sun_bow").metrics["bow"]["test_accuracy"]]
    mine = sun["sun_pretrained_test_accuracy"]
    return Result({"sun_vs_scratch": {
        "beats_both": fd.shown_pct(mine) > max(fd.shown_pct(a) for a in tested),
        "rows": [{**row, "chosen": row["weight_decay"] == sun["sun"]["weight_decay"]}
                 for row in sun["sun"]["holdout_accuracy"]]}})


def draw(ctx: Context) -> Result:
    ft, sc = ctx.input("finetune"), ctx.input("scratch")
    y, names = np.load(ft.path("y_test.npy")), ft.metrics["classes"]
    pred_ft, pred_sc = np.load(ft.path("pred.npy")), np.load(sc.path("pred.npy"))
    stages, history = (json.loads(p.path("history.json").read_text()) for p in (ft, sc))
    x_test = load_split(ctx, load_flowers, "test", ft.config["image_size"], ft.config["per_class"])[0]
    return Result(figures=[curves_figure(ctx, stages, history), per_class_figure(ctx, names, y, pred_ft, pred_sc),
                           grid_figure(ctx, x_test, names, y, pred_ft, pred_sc)])


SECTION = Section(id="q6_2", title="Q6.2 Fine-tuning SqueezeNet 1.1 on Flowers-17", template="q6_2.md.j2", parts=(
    Part("finetune", finetune, FinetuneConfig,
         smoke={"image_size": 112, "per_class": 2, "head_epochs": 2, "fire_epochs": 1},
         data=(WEIGHTS, FLOWERS), torch=True),
    Part("scratch", scratch, ScratchConfig, smoke={"per_class": 2, "load": 112, "size": 32, "width": 8, "epochs": 2},
         data=(FLOWERS,), torch=True),
    Part("sun", sun_pretrained, SunProbeConfig, smoke={"image_size": 112, "per_class": 2, "steps": 5},
         data=(WEIGHTS, SUN_DIR), torch=True),
    Part("compare", compare, CompareConfig, reads=("finetune", "scratch")),
    Part("sun_vs_scratch", sun_vs_scratch, reads=("sun", "q6_1.sun_cnn", "q6_1.sun_bow")),
    Part("figures", draw, FiguresConfig, smoke={"grid_images": 8}, data=(FLOWERS,), reads=("finetune", "scratch")),
))
