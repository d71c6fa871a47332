"""Parts against the machine's peak: the FLOPs, seconds and achieved GFLOP/s of every torch part and of the Q3/Q5
numpy trainings, beside the fp32 GEMM peak and each part's dominant-layer peak, measured in the same run.

    .venv/bin/python benchmarks/bench_parts.py [--cache DIR] [--measure N] [--data DIR] [--seed 0] [--out FILE]

Each part is read from its SECTION with its full-profile config and split into phases (a model trained on one
input shape, or run forward only). FLOPs per image come from torch.utils.flop_counter.FlopCounterMode on one
real training step (forward + backward, so frozen inputs cost no input gradient) and one forward pass; for the
numpy networks they are counted analytically (2 m n k per matmul; backward = 2x forward: grad_W and grad_X of
every layer). FlopCounterMode counts matmuls and convolutions only (no BatchNorm, ReLU, pooling, optimizer).
Images processed follow the training loops: epochs x training images (fwd + bwd) plus every evaluation pass
(forward only), with the training-set sizes read from the data root and the split functions the parts use.

Seconds come from the newest cache entry of each part whose config is the full profile (--cache, read only).
--measure N also times N steps of each phase in this process (torch on hw5.runtime.TORCH_THREADS threads,
numpy on the part's BLAS threads) and extrapolates the part's compute time from them: training steps as in
hw5.pytorch.train.fit (gather, augmentation, forward, backward, optimizer step), and the same step on a batch
already augmented, so the share spent gathering and augmenting shows.

Peaks, in the same run: a 2048 x 2048 x 2048 fp32 matmul in torch on the same threads, and per part the forward
pass of its dominant layer (the conv, or linear, shape with the most FLOPs) alone at the part's batch size.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from scipy.io import whosmat
from torch.utils.flop_counter import FlopCounterMode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from experiments import q3_nist_mlp, q5_autoencoder, q6_1_torch, q6_2_finetune  # noqa: E402
from hw5 import autoencoder as ae, mlp  # noqa: E402
from hw5.augment import warp_images  # noqa: E402
from hw5.data import stratified_holdout  # noqa: E402
from hw5.image_data import FLOWERS_DIR, load_cifar, sun_labels  # noqa: E402
from hw5.pytorch.models import NistCNN, NistFC, Normalise, ResNetSmall, ToFloat, scratch_net  # noqa: E402
from hw5.pytorch.squeezenet import imagenet_normalise, make_classifier, make_features  # noqa: E402
from hw5.pytorch.train import nesterov_sgd  # noqa: E402
from hw5.pytorch.transforms import random_brightness, random_crop, random_flip, random_resized_crop  # noqa: E402
from hw5.runtime import blas_threads, torch_threads  # noqa: E402

SECTIONS = {"q3": q3_nist_mlp, "q5": q5_autoencoder, "q6_1": q6_1_torch, "q6_2": q6_2_finetune}


def best_seconds(run: Callable[[], object], reps: int, warmup: int = 2) -> float:
    """Fastest of `reps` timed calls after `warmup` untimed ones: the least disturbed by other processes."""
    for _ in range(warmup):
        run()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return min(times)


# ---------------------------------------------------------------- phases: one loop of a part
@dataclass
class Phase:
    """One loop of a part: `trained` images through forward + backward + update in batches of `batch`, and
    `evaluated` images forward only in batches of `eval_batch`. FLOPs are per image; the timers return
    seconds per training step (loop as in fit, and model only) and per evaluation batch."""

    name: str
    batch: int
    trained: int
    evaluated: int
    eval_batch: int
    train_flops: float                          # per trained image, forward + backward
    eval_flops: float                           # per evaluated image, forward
    layer: str                                  # the dominant layer, in words
    layer_peak: Callable[[], float]             # its forward GFLOP/s alone at the phase's batch
    time_step: Callable[[int], tuple[float, float]] | None = None   # n -> (s/step in the loop, s/step model only)
    time_eval: Callable[[int], float] | None = None                 # n -> s per evaluation batch
    extra_flops: float = 0.0                    # counted once (Q5's SVD), not timed
    extra_seconds: Callable[[], float] | None = None   # seconds outside the steps (Q3's warps), from a timing

    @property
    def flops(self) -> float:
        return self.trained * self.train_flops + self.evaluated * self.eval_flops + self.extra_flops


def layer_flops(module: torch.nn.Module, out: torch.Tensor) -> float:
    """FLOPs of one Conv2d/Linear call that gave `out`: 2 x multiply-adds."""
    if isinstance(module, torch.nn.Conv2d):
        kh, kw = module.kernel_size
        return 2.0 * out.numel() * module.in_channels / module.groups * kh * kw
    return 2.0 * out.numel() * module.in_features


def dominant_layer(model: torch.nn.Module, x: torch.Tensor) -> tuple[torch.nn.Module, tuple[int, ...], float]:
    """(module, input shape (B, ...), share of the forward FLOPs) of the conv/linear shape with the most FLOPs in
    one forward pass of x; layers of the same configuration and input shape count together."""
    calls = []
    hooks = [m.register_forward_hook(lambda m, i, o: calls.append((m, tuple(i[0].shape), layer_flops(m, o))))
             for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    with torch.no_grad():
        model.eval()(x)
    for h in hooks:
        h.remove()
    totals: dict[tuple, list] = {}
    for m, shape, flops in calls:
        entry = totals.setdefault((repr(m), shape), [m, 0.0])
        entry[1] += flops
    (_, shape), (module, flops) = max(totals.items(), key=lambda kv: kv[1][1])
    return module, shape, flops / sum(f for *_, f in calls)


def describe(module: torch.nn.Module, shape: tuple[int, ...], share: float) -> str:
    if isinstance(module, torch.nn.Conv2d):
        k, s = module.kernel_size[0], module.stride[0]
        return (f"conv {k}x{k}{f'/{s}' if s > 1 else ''} {module.in_channels}->{module.out_channels} at "
                f"{shape[2]}x{shape[3]} ({share:.0%} of fwd)")
    return f"linear {module.in_features}->{module.out_features} ({share:.0%} of fwd)"


def torch_phase(name: str, build: Callable[[], torch.nn.Module], shape: tuple[int, ...], batch: int, *,
                trained: int = 0, evaluated: int = 0, eval_batch: int = 1024, dtype=torch.float32,
                raw: tuple[tuple[int, ...], torch.dtype] | None = None, augment=None, optimizer=None,
                classes: int = 10, label_smoothing: float = 0.0, channels_last: bool = False,
                full_batch: bool = False) -> Phase:
    """A phase of a torch model whose input is (B, *shape) of `dtype`.

    raw/augment: the stored image shape and dtype, and the part's augmentation from a stored batch to the model's
    input (None: the stored batch is the input). optimizer: model -> torch.optim.Optimizer (None: frozen model).
    full_batch: every step sees the same whole set (no gather), as the linear probe does.
    """
    def make() -> torch.nn.Module:
        model = build()
        return model.to(memory_format=torch.channels_last) if channels_last else model

    def sample(n: int, shp=shape, dt=dtype) -> torch.Tensor:      # (n, *shp) random pixels or activations
        x = torch.rand(n, *shp) * (255 if dt == torch.uint8 else 1)
        return x.to(dt)

    def step_flops() -> float:
        model = make().train()
        with FlopCounterMode(display=False) as count:
            model(sample(batch)).sum().backward()
        return count.get_total_flops() / batch

    def forward_flops() -> float:
        with torch.no_grad(), FlopCounterMode(display=False) as count:
            make().eval()(sample(batch))
        return count.get_total_flops() / batch

    module, layer_shape, share = dominant_layer(make(), sample(batch))

    def layer_peak(reps: int = 5) -> float:
        layer = copy.deepcopy(module).eval()
        x = torch.randn(layer_shape)
        if channels_last and x.ndim == 4:
            layer, x = layer.to(memory_format=torch.channels_last), x.contiguous(memory_format=torch.channels_last)
        with torch.no_grad():
            seconds = best_seconds(lambda: layer(x), reps)
            flops = layer_flops(layer, layer(x))
        return flops / seconds / 1e9

    def time_step(n: int) -> tuple[float, float]:
        model = make().train()
        opt = optimizer(model)
        pool_shape, pool_dtype = raw or (shape, dtype)
        stored, labels = sample(4 * batch, pool_shape, pool_dtype), torch.randint(0, classes, (4 * batch,))
        gen = torch.Generator().manual_seed(0)

        def step(xb=None, yb=None):                     # hw5.pytorch.train.fit's inner loop
            if xb is None:
                idx = torch.randperm(len(stored), generator=gen)[:batch]
                xb, yb = stored[idx], labels[idx]
                if augment is not None:
                    xb = augment(xb, gen)
            logits = model(xb)
            loss = torch.nn.functional.cross_entropy(logits, yb, label_smoothing=label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss.item(), int((logits.argmax(1) == yb).sum())

        xb, yb = sample(batch), labels[:batch]
        if augment is not None:
            xb = augment(stored[:batch], gen)
        step(), step(xb, yb)                            # warm-up: oneDNN picks its kernels, buffers settle
        model_only = best_seconds(lambda: [step(xb, yb) for _ in range(n)], 1, warmup=0) / n
        if full_batch:
            return model_only, model_only
        return best_seconds(lambda: [step() for _ in range(n)], 1, warmup=0) / n, model_only

    def time_eval(n: int) -> float:
        model, x = make().eval(), sample(min(eval_batch, max(evaluated, 1)))
        with torch.no_grad():
            return best_seconds(lambda: model(x), n, warmup=1)

    return Phase(name, batch, trained, evaluated, eval_batch, step_flops() if trained else 0.0, forward_flops(),
                 describe(module, layer_shape, share), layer_peak, time_step if trained else None,
                 time_eval if evaluated else None)


def numpy_phase(name: str, dims: tuple[int, ...], batch: int, *, trained: int, evaluated: int, eval_batch: int,
                threads: int, train_steps: Callable[[int], float], evaluate: Callable[[], float]) -> Phase:
    """A numpy network of fully connected layers dims[0] -> ... -> dims[-1] on `threads` BLAS threads.

    train_steps(n): seconds for n training steps of the part's own code; evaluate(): seconds per eval batch.
    """
    forward = 2.0 * sum(a * b for a, b in zip(dims[:-1], dims[1:]))         # per image
    d_in, d_out = max(zip(dims[:-1], dims[1:]), key=lambda ab: ab[0] * ab[1])

    def layer_peak(reps: int = 20) -> float:
        x, w = np.random.rand(batch, d_in).astype(np.float32), np.random.rand(d_in, d_out).astype(np.float32)
        with blas_threads(threads):
            return 2.0 * batch * d_in * d_out / best_seconds(lambda: x @ w, reps) / 1e9

    def time_step(n: int) -> tuple[float, float]:
        with blas_threads(threads):
            seconds = train_steps(n) / n
        return seconds, seconds

    def time_eval(n: int) -> float:
        with blas_threads(threads):
            return best_seconds(evaluate, n, warmup=1)

    layer = f"matmul ({batch}, {d_in}) @ ({d_in}, {d_out}), numpy, {threads} BLAS thread(s)"
    return Phase(name, batch, trained, evaluated, eval_batch, 3 * forward, forward, layer, layer_peak,
                 time_step, time_eval)


# ---------------------------------------------------------------- the parts, as their configs run them
def config(section: str, part: str):
    """The part's full-profile config (its Part's dataclass)."""
    return next(p for p in SECTIONS[section].SECTION.parts if p.name == part).make_config("full")


def nist_sizes(root: Path) -> dict[str, int]:
    """Images per NIST36 split, from the .mat headers (nothing decoded)."""
    return {s: dict((n, shape) for n, shape, _ in whosmat(root / "data" / f"nist36_{s}.mat"))[f"{s}_data"][0]
            for s in ("train", "valid", "test")}


def limited(n: int, limit: int) -> int:
    return min(n, limit) if limit else n


def q3_phases(root: Path, cfg, cached: dict | None) -> list[Phase]:
    """Q3: every run of the learning-rate study (epochs until a divergence) and the ablation; each epoch also
    scores train and valid; one test pass. The warps of an epoch are drawn once for all rates of a lockstep run."""
    n = nist_sizes(root)
    n_train, n_valid = limited(n["train"], cfg.train_limit), limited(n["valid"], cfg.valid_limit)
    runs = [r["diverged_epoch"] or cfg.epochs for r in cached["sweep_runs"]] if cached else [cfg.epochs] * len(
        cfg.learning_rates)
    if cfg.ablation:
        runs.append(cfg.epochs)
    warped_epochs = cfg.epochs * (1 + max(0, len(runs) - len(cfg.learning_rates) - cfg.ablation))
    x = np.random.rand(max(n_train, n_valid), 1024).astype(np.float32)
    y = np.eye(36, dtype=np.float32)[np.random.randint(0, 36, len(x))]
    params = mlp.init_training(cfg.hidden, np.random.default_rng(0))
    warp = {"max_shift": cfg.max_shift, "max_rotate": cfg.max_rotate, "max_zoom": cfg.max_zoom}

    def train_steps(k: int) -> float:
        part = slice(0, k * cfg.batch_size)
        return best_seconds(lambda: mlp.train_epoch(x[part], y[part], params, 0.01, cfg.momentum, cfg.batch_size,
                                                    np.random.default_rng(0)), 1)

    phase = numpy_phase("training", (1024, cfg.hidden, 36), cfg.batch_size, trained=sum(runs) * n_train,
                        evaluated=sum(runs) * (n_train + n_valid) + n["test"], eval_batch=n_valid,
                        threads=cfg.blas_threads, train_steps=train_steps,
                        evaluate=lambda: mlp.evaluate(x[:n_valid], y[:n_valid], params))
    phase.extra_seconds = lambda: warped_epochs * n_train / 1000 * best_seconds(
        lambda: warp_images(x[:1000], np.random.default_rng(0), **warp), 2, warmup=1)
    return [phase]


def q5_phases(root: Path, cfg) -> list[Phase]:
    """Q5: the handout training and the improved one (fwd + bwd every epoch), unit statistics before and after
    (4 passes over train), reconstructions of valid and of as many training images for both nets, PCA by SVD."""
    n = nist_sizes(root)
    n_train, n_valid = limited(n["train"], cfg.train_limit), -(-n["valid"] // cfg.valid_stride)
    dims = (1024, cfg.hidden, cfg.hidden, cfg.hidden, 1024)
    x = np.random.rand(n_train, 1024).astype(np.float32)
    params = ae.init_handout(dims, np.random.default_rng(0))

    def train_steps(k: int) -> float:                 # the handout loop; the improved one adds an Adam step
        one = replace(cfg, epochs=1)
        return best_seconds(lambda: ae.train_handout(x[:k * cfg.batch_size], params, one, np.random.default_rng(0)), 1)

    phase = numpy_phase("training", dims, cfg.batch_size, trained=(cfg.epochs + cfg.improved_epochs) * n_train,
                        evaluated=4 * n_train + 4 * n_valid, eval_batch=n_valid, threads=1, train_steps=train_steps,
                        evaluate=lambda: ae.reconstruct(x[:n_valid], params))
    m, d = n_train, 1024
    pca_passes = 3 * 2 * (2.0 * n_valid * d * cfg.components)        # valid, train, valid unclipped: 2 matmuls each
    phase.extra_flops = 6.0 * m * d * d + 20.0 * d ** 3 + pca_passes   # thin SVD with U (Golub & Van Loan's R-SVD)
    return [phase]


def nist_fc_phases(sizes: dict, cfg) -> list[Phase]:
    def shift(b, gen):
        return random_crop(b.reshape(-1, 1, 32, 32), cfg.shift, gen, fill=1.0).reshape(-1, 1024)
    return [torch_phase("training", lambda: NistFC(cfg.hidden, cfg.dropout), (1024,), cfg.batch,
                        trained=cfg.epochs * sizes["train"], evaluated=(cfg.epochs + 1) * sizes["valid"],
                        augment=shift if cfg.shift else None, classes=36,
                        optimizer=lambda m: torch.optim.Adam(m.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay))]


def nist_cnn_phases(sizes: dict, cfg) -> list[Phase]:
    """Training with a validation pass per epoch, then the validation errors: one more pass."""
    return [torch_phase("training", lambda: NistCNN(cfg.widths, cfg.dropout), (1, 32, 32), cfg.batch,
                        trained=cfg.epochs * sizes["train"], evaluated=(cfg.epochs + 1) * sizes["valid"], classes=36,
                        augment=lambda b, gen: random_crop(b, cfg.shift, gen, fill=0.0), channels_last=True,
                        label_smoothing=cfg.label_smoothing,
                        optimizer=lambda m: torch.optim.AdamW(m.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay))]


def cifar_phases(root: Path, cfg, seed: int) -> list[Phase]:
    _, y, _ = load_cifar(root, "train")
    y = y[:cfg.limit] if cfg.limit else y
    fit_idx, hold_idx = stratified_holdout(y, cfg.holdout / len(y), np.random.default_rng(seed))
    n_test = limited(len(load_cifar(root, "test")[1]), cfg.limit)

    def build():
        return torch.nn.Sequential(Normalise(np.full(3, 0.5), np.full(3, 0.25)), ResNetSmall(10, cfg.widths))
    return [torch_phase("training", build, (3, 32, 32), cfg.batch, trained=cfg.epochs * len(fit_idx),
                        evaluated=cfg.epochs * len(hold_idx) + n_test, dtype=torch.uint8, channels_last=True,
                        raw=((3, 32, 32), torch.uint8),
                        augment=lambda b, gen: random_flip(random_crop(b.float(), cfg.pad, gen), gen),
                        optimizer=lambda m: nesterov_sgd(m, cfg.lr, cfg.weight_decay))]


def sun_cnn_phases(root: Path, cfg, split_cfg, seed: int) -> list[Phase]:
    y = sun_labels(root, "train", split_cfg.per_class)
    fit_idx, hold_idx = stratified_holdout(y, split_cfg.holdout, np.random.default_rng(seed))
    n_test, classes = len(sun_labels(root, "test", split_cfg.per_class)), int(y.max()) + 1

    def build():
        return torch.nn.Sequential(Normalise(np.full(3, 0.5), np.full(3, 0.25)),
                                   ResNetSmall(classes, cfg.widths, stem_stride=2, dropout=cfg.dropout))
    return [torch_phase("training", build, (3, cfg.size, cfg.size), cfg.batch, trained=cfg.epochs * len(fit_idx),
                        evaluated=cfg.epochs * len(hold_idx) + n_test, channels_last=True, classes=classes,
                        raw=((3, cfg.load, cfg.load), torch.uint8),
                        augment=lambda b, gen: random_resized_crop(b.float(), cfg.size, gen, cfg.min_scale),
                        optimizer=lambda m: nesterov_sgd(m, cfg.lr, cfg.weight_decay))]


def flowers_sizes(root: Path, per_class: int) -> dict[str, int]:
    """Images per Flowers-17 split, counted as load_flowers lists them (nothing decoded)."""
    return {s: sum(len(sorted(d.glob("*.jpg"))[:per_class or None]) for d in (root / FLOWERS_DIR / s).iterdir()
                   if d.is_dir()) for s in ("train", "val", "test")}


def features_phase(size: int, images: int) -> Phase:
    """SqueezeNet 1.1's frozen features over `images` uint8 images, in squeezenet.extract's batches of 50."""
    return torch_phase("features", lambda: torch.nn.Sequential(imagenet_normalise(), make_features()),
                       (3, size, size), 50, evaluated=images, eval_batch=50, dtype=torch.uint8, channels_last=True)


def finetune_phases(root: Path, cfg, chosen: str) -> list[Phase]:
    """Features of train (and mirrors), val and test; the head on cached final maps; the last fire modules
    with the head on cached mid maps; the chosen model's test pass."""
    n, stop = flowers_sizes(root, cfg.per_class), 13 - cfg.fire_modules
    classes = len([d for d in (root / FLOWERS_DIR / "train").iterdir() if d.is_dir()])
    features = make_features()
    with torch.no_grad():
        mid = features[:stop](torch.zeros(1, 3, cfg.image_size, cfg.image_size)).shape[1:]
        final = features[stop:](torch.zeros(1, *mid)).shape[1:]

    def adam(model):
        return torch.optim.Adam(model.parameters(), lr=cfg.head_lr, weight_decay=cfg.head_weight_decay)
    head = torch_phase("head", lambda: torch.nn.Sequential(ToFloat(), make_classifier(classes), torch.nn.Flatten()),
                       tuple(final), cfg.head_batch, trained=cfg.head_epochs * 2 * n["train"],
                       evaluated=cfg.head_epochs * n["val"] + (n["test"] if chosen == "head" else 0),
                       dtype=torch.float16, optimizer=adam, classes=classes)
    fire = torch_phase("fire", lambda: torch.nn.Sequential(ToFloat(), *make_features()[stop:],
                                                           *make_classifier(classes), torch.nn.Flatten()),
                       tuple(mid), cfg.head_batch, trained=cfg.fire_epochs * 2 * n["train"],
                       evaluated=cfg.fire_epochs * n["val"] + (n["test"] if chosen == "fire" else 0),
                       dtype=torch.float16, optimizer=adam, classes=classes)
    return [features_phase(cfg.image_size, 2 * n["train"] + n["val"] + n["test"]), head, fire]


def scratch_phases(root: Path, cfg) -> list[Phase]:
    n = flowers_sizes(root, cfg.per_class)
    classes = len([d for d in (root / FLOWERS_DIR / "train").iterdir() if d.is_dir()])

    def augment(b, gen):
        crops = random_resized_crop(b.float(), cfg.size, gen, cfg.min_scale, cfg.max_aspect)
        return random_brightness(crops, gen, cfg.brightness).contiguous(memory_format=torch.channels_last)
    return [torch_phase("training", lambda: scratch_net(cfg.width, classes, np.full(3, 0.5), np.full(3, 0.25)),
                        (3, cfg.size, cfg.size), cfg.batch, trained=cfg.epochs * n["train"],
                        evaluated=cfg.epochs * n["val"] + n["test"], eval_batch=256, channels_last=True,
                        raw=((3, cfg.load, cfg.load), torch.uint8), augment=augment, classes=classes,
                        optimizer=lambda m: torch.optim.AdamW(m.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay))]


def sun_probe_phases(root: Path, cfg, seed: int) -> list[Phase]:
    """Features of SUN train and test; full-batch softmax regressions: one per L2 strength on the fit split,
    then one on all of train."""
    y = sun_labels(root, "train", cfg.per_class)
    fit_idx, hold_idx = stratified_holdout(y, cfg.holdout, np.random.default_rng(seed))
    n_test, k = len(sun_labels(root, "test", cfg.per_class)), len(cfg.weight_decays)
    trained = cfg.steps * (k * len(fit_idx) + len(y))           # (k + 1) fits of `steps` full-batch steps
    probe = torch_phase("probe", lambda: torch.nn.Linear(512, int(y.max()) + 1), (512,),
                        round(trained / (cfg.steps * (k + 1))), trained=trained, full_batch=True,
                        evaluated=k * len(hold_idx) + n_test, classes=int(y.max()) + 1,
                        optimizer=lambda m: torch.optim.Adam(m.parameters(), lr=1e-2))
    return [features_phase(cfg.image_size, len(y) + n_test), probe]


# ---------------------------------------------------------------- seconds from the cache
def cached_entry(cache: Path, section: str, part: str, cfg) -> dict | None:
    """The newest manifest of section/part whose config equals cfg (the full profile), or None."""
    want = json.loads(json.dumps(asdict(cfg)))
    best = None
    for manifest in (cache / section / part).glob("*/manifest.json"):
        try:
            entry = json.loads(manifest.read_text())
        except (OSError, ValueError):
            continue
        if entry.get("inputs", {}).get("config") == want and (best is None or entry["created"] > best["created"]):
            best = entry
    return best


@dataclass
class PartRun:
    section: str
    part: str
    phases: list[Phase]
    entry: dict | None
    note: str = ""
    measured: dict = field(default_factory=dict)


def parts(root: Path, cache: Path, seed: int) -> list[PartRun]:
    """Every torch part of Q6 and the Q3/Q5 trainings, with their phases and newest full-profile cache entry."""
    runs = []

    def add(section, part, cfg, phases, note=""):
        entry = cached_entry(cache, section, part, cfg)
        runs.append(PartRun(section, part, phases(entry) if callable(phases) else phases, entry, note))

    cfg = config("q3", "train")
    add("q3", "train", cfg, lambda e: q3_phases(root, cfg, e and e["metrics"]),
        "5 learning rates + ablation; 1 BLAS thread")
    add("q5", "train", config("q5", "train"), q5_phases(root, config("q5", "train")),
        "handout + improved runs; SVD estimated (6mn²+20n³)")
    sizes = nist_sizes(root)
    fc = config("q6_1", "nist_fc")
    add("q6_1", "nist_fc", fc, nist_fc_phases({k: limited(v, fc.nist_limit) for k, v in sizes.items()}, fc))
    cnn = config("q6_1", "nist_cnn")
    add("q6_1", "nist_cnn", cnn, nist_cnn_phases({k: limited(v, cnn.nist_limit) for k, v in sizes.items()}, cnn))
    add("q6_1", "cifar", config("q6_1", "cifar"), cifar_phases(root, config("q6_1", "cifar"), seed))
    add("q6_1", "sun_cnn", config("q6_1", "sun_cnn"),
        sun_cnn_phases(root, config("q6_1", "sun_cnn"), config("q6_1", "sun_split"), seed))
    ft = config("q6_2", "finetune")
    add("q6_2", "finetune", ft,
        lambda e: finetune_phases(root, ft, e["metrics"]["finetune"]["chosen"] if e else "fire"))
    add("q6_2", "scratch", config("q6_2", "scratch"), scratch_phases(root, config("q6_2", "scratch")))
    add("q6_2", "sun", config("q6_2", "sun"), sun_probe_phases(root, config("q6_2", "sun"), seed))
    return runs


# ---------------------------------------------------------------- peaks, measurement, the table
def gemm_peak(n: int = 2048, reps: int = 10) -> float:
    """GFLOP/s of an n x n x n fp32 matmul in torch on the current threads (fastest of reps)."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    return 2.0 * n ** 3 / best_seconds(lambda: a @ b, reps) / 1e9


def main_phase(run: PartRun) -> Phase:
    return max(run.phases, key=lambda p: p.flops)


def measure(run: PartRun, steps: int, memo: dict) -> dict:
    """Seconds of the part's compute extrapolated from `steps` timed steps per phase, the share of it spent
    gathering and augmenting batches, and the dominant layer's forward peak. Shared phases are timed once."""
    out = {"seconds": 0.0, "augment_seconds": 0.0, "timed_flops": 0.0, "phases": {}}
    for phase in run.phases:
        if id(phase) not in memo:
            loop, model = phase.time_step(steps) if phase.time_step else (0.0, 0.0)
            memo[id(phase)] = {"step_s": loop, "model_step_s": model,
                               "eval_batch_s": phase.time_eval(max(2, steps // 5)) if phase.time_eval else 0.0,
                               "extra_s": phase.extra_seconds() if phase.extra_seconds else 0.0}
            print(f"  {run.section}.{run.part} {phase.name}: {memo[id(phase)]}", file=sys.stderr, flush=True)
        m = memo[id(phase)]
        train_steps, eval_batches = phase.trained / phase.batch, phase.evaluated / min(phase.eval_batch,
                                                                                        max(phase.evaluated, 1))
        seconds = train_steps * m["step_s"] + eval_batches * m["eval_batch_s"] + m["extra_s"]
        out["phases"][phase.name] = {**m, "seconds": seconds}
        out["seconds"] += seconds
        out["augment_seconds"] += train_steps * (m["step_s"] - m["model_step_s"]) + m["extra_s"]
        out["timed_flops"] += phase.flops - phase.extra_flops
    phase = main_phase(run)
    if ("layer", id(phase)) not in memo:
        memo[("layer", id(phase))] = phase.layer_peak()
    out["layer_gflops"] = memo[("layer", id(phase))]
    return out


def pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.0%}" if x >= 0.095 else f"{x:.1%}"


def row(run: PartRun, gemm: float) -> dict:
    """The table's numbers for one part."""
    main, flops = main_phase(run), sum(p.flops for p in run.phases)
    seconds = run.entry["seconds"] if run.entry else None
    achieved = flops / seconds / 1e9 if seconds else None
    m, layer = run.measured, run.measured.get("layer_gflops")
    measured = m["timed_flops"] / m["seconds"] / 1e9 if m else None

    def ratio(a, b):
        return a / b if a is not None and b else None
    return {"part": f"{run.section}.{run.part}", "trained": sum(p.trained for p in run.phases),
            "evaluated": sum(p.evaluated for p in run.phases), "main_phase": main.name,
            "gflop_per_image_fwd_bwd": main.train_flops / 1e9 if main.trained else None,
            "gflop_per_image_fwd": main.eval_flops / 1e9, "tflop": flops / 1e12, "layer": main.layer,
            "seconds_cache": seconds, "cache_key": run.entry and run.entry["key"],
            "cache_created": run.entry and time.strftime("%Y-%m-%d %H:%M", time.localtime(run.entry["created"])),
            "gflops_cache": achieved, "pct_gemm_cache": ratio(achieved, gemm), "pct_layer_cache": ratio(achieved, layer),
            "seconds_measured": m.get("seconds"), "gflops_measured": measured,
            "pct_gemm_measured": ratio(measured, gemm), "pct_layer_measured": ratio(measured, layer),
            "augment_share": ratio(m.get("augment_seconds"), m.get("seconds")), "layer_gflops": layer,
            "measured_phases": m.get("phases"),
            "note": run.note, "phases": {p.name: {"trained": p.trained, "evaluated": p.evaluated, "batch": p.batch,
                                                  "train_gflop": p.train_flops / 1e9, "eval_gflop": p.eval_flops / 1e9,
                                                  "tflop": p.flops / 1e12, "layer": p.layer} for p in run.phases}}


def markdown(rows: list[dict]) -> str:
    def num(x, fmt):
        return "—" if x is None else format(x, fmt)
    lines = ["| part | images trained + evaluated | GFLOP/img fwd+bwd (fwd) | TFLOP | s (cache) | GFLOP/s "
             "| % GEMM | % layer | s (measured) | GFLOP/s | % GEMM | % layer | gather+augment | dominant layer; note |",
             "|" + "---|" * 14]
    for r in rows:
        per_image = (f"{num(r['gflop_per_image_fwd_bwd'], '.3g')} ({r['gflop_per_image_fwd']:.3g})"
                     if r["gflop_per_image_fwd_bwd"] is not None else f"— ({r['gflop_per_image_fwd']:.3g})")
        note = "; ".join(x for x in (f"{r['main_phase']}: {r['layer']}", r["note"]) if x)
        lines.append(f"| {r['part']} | {r['trained']:,} + {r['evaluated']:,} | {per_image} | {r['tflop']:.3g} "
                     f"| {num(r['seconds_cache'], '.0f')} | {num(r['gflops_cache'], '.3g')} "
                     f"| {pct(r['pct_gemm_cache'])} | {pct(r['pct_layer_cache'])} "
                     f"| {num(r['seconds_measured'], '.0f')} | {num(r['gflops_measured'], '.3g')} "
                     f"| {pct(r['pct_gemm_measured'])} | {pct(r['pct_layer_measured'])} "
                     f"| {pct(r['augment_share'])} | {note} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path("/work/main/build/cache/parts"),
                        help="cache of a finished full build (read only)")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "hw5data", help="data root")
    parser.add_argument("--seed", type=int, default=0, help="the build's seed (hold-out splits)")
    parser.add_argument("--measure", type=int, default=0, metavar="N", help="also time N steps of each phase")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "bench_parts.json",
                        help="JSON results (default: bench_parts.json in the temp folder)")
    args = parser.parse_args()
    if not (args.data / "data").is_dir():
        parser.error(f"--data {args.data}: no data/ folder there; pass the data root (../shared/hw5data)")
    if not args.cache.is_dir():
        print(f"--cache {args.cache}: no such folder; the seconds of the cache stay empty", file=sys.stderr)
    threads = torch_threads()
    load_start = os.getloadavg()
    gemm_start = gemm_peak()
    runs = parts(args.data, args.cache, args.seed)
    memo: dict = {}
    for run in runs:
        if args.measure:
            run.measured = measure(run, args.measure, memo)
    gemm = max(gemm_start, gemm_peak())
    rows = [row(run, gemm) for run in runs]
    table = markdown(rows)
    total = {"tflop": sum(r["tflop"] for r in rows), "seconds_cache": sum(r["seconds_cache"] or 0 for r in rows),
             "seconds_measured": sum(r["seconds_measured"] or 0 for r in rows)}
    print(table)
    print(f"\nAll {len(rows)} parts: {total['tflop']:.3g} TFLOP; {total['seconds_cache']:.0f} s in the cache"
          + (f", {total['seconds_measured']:.0f} s measured" if args.measure else "")
          + f". fp32 GEMM peak {gemm:.0f} GFLOP/s ({gemm_start:.0f} at the start), torch {torch.__version__}, "
          f"{threads} threads; load average {load_start[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end.")
    result = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
              "torch": torch.__version__, "threads": threads, "gemm_gflops": gemm, "gemm_gflops_start": gemm_start,
              "load_average": {"start": load_start, "end": os.getloadavg()}, "measure_steps": args.measure,
              "cache": str(args.cache), "total": total, "parts": rows}
    args.out.write_text(json.dumps(result, indent=1))
    print(f"JSON: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
