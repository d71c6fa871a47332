"""A small PyTorch training loop shared by the Q6 sections: epochs, histories, evaluation, devices.

Data are tensors already in memory (decode once, then batch by indexing); no per-sample Python in the loop.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from experiments.progress import progress
from reportkit.errors import ConfigError


def pick_device(name: str) -> torch.device:
    """torch.device for --device; asking for cuda without a GPU is a ConfigError, not a crash."""
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"--device {name}: no CUDA device is available here; use --device cpu")
    return torch.device(name)


def seed_everything(seed: int) -> torch.Generator:
    """Seed torch (CPU and CUDA) and return a generator for shuffling."""
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


@dataclass
class History:
    """Per-epoch curves; `seconds` is the wall time at the end of each epoch."""

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    valid_loss: list[float] = field(default_factory=list)
    valid_acc: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[float]]:
        return {k: [float(v) for v in vs] for k, vs in self.__dict__.items()}


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, device,
             batch_size: int = 1024) -> tuple[float, float, np.ndarray]:
    """Mean cross-entropy, accuracy and predicted labels of `model` on (x, y) (y: class indices)."""
    model.eval()
    total, correct, preds = 0.0, 0, []
    for i in range(0, len(x), batch_size):
        xb, yb = x[i:i + batch_size].to(device), y[i:i + batch_size].to(device)
        logits = model(xb)
        total += float(nn.functional.cross_entropy(logits, yb, reduction="sum"))
        pred = logits.argmax(1)
        correct += int((pred == yb).sum())
        preds.append(pred.cpu())
    return total / len(x), correct / len(x), torch.cat(preds).numpy()


def fit(model: nn.Module, train: tuple[torch.Tensor, torch.Tensor], valid: tuple[torch.Tensor, torch.Tensor],
        *, epochs: int, batch_size: int, optimizer: torch.optim.Optimizer, device, generator: torch.Generator,
        scheduler=None, step_scheduler_per_batch: bool = False, augment=None, show: bool = False,
        desc: str = "train", label_smoothing: float = 0.0) -> History:
    """Train with mini-batches reshuffled every epoch; evaluate on `valid` after each epoch.

    augment: an optional function applied to each training batch on the device (random crop, flip).
    label_smoothing: the training loss's target mixes this share of the uniform distribution into the label
    (the training loss curve includes it; validation loss is the plain cross-entropy).
    Training loss/accuracy are running means over the epoch's batches (what the model saw).
    """
    history, start = History(), time.perf_counter()
    x, y = train
    bar = progress(range(epochs), show, desc)
    for _ in bar:
        model.train()
        order = torch.randperm(len(x), generator=generator)
        seen, loss_sum, correct = 0, 0.0, 0
        for i in range(0, len(x), batch_size):
            idx = order[i:i + batch_size]
            xb, yb = x[idx].to(device), y[idx].to(device)
            if augment is not None:
                xb = augment(xb)
            logits = model(xb)
            loss = nn.functional.cross_entropy(logits, yb, label_smoothing=label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if scheduler is not None and step_scheduler_per_batch:
                scheduler.step()
            seen += len(idx)
            loss_sum += loss.item() * len(idx)   # .item(): float() on a graph tensor warns (an error in pytest)
            correct += int((logits.argmax(1) == yb).sum())
        if scheduler is not None and not step_scheduler_per_batch:
            scheduler.step()
        v_loss, v_acc, _ = evaluate(model, *valid, device)
        history.train_loss.append(loss_sum / seen)
        history.train_acc.append(correct / seen)
        history.valid_loss.append(v_loss)
        history.valid_acc.append(v_acc)
        history.seconds.append(time.perf_counter() - start)
        bar.set_postfix(loss=f"{loss_sum / seen:.3f}", valid_acc=f"{v_acc:.3f}")
    return history


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def random_crop(x: torch.Tensor, pad: int, generator: torch.Generator, fill: float | None = None) -> torch.Tensor:
    """Per-image random crop of x (N, C, H, W) padded by `pad` on each side (reflect, or constant `fill`).

    Same (N, C, H, W) out; offsets come from `generator` (CPU) so runs are reproducible on any device.
    """
    n, c, h, w = x.shape
    mode = "reflect" if fill is None else "constant"
    padded = nn.functional.pad(x, (pad, pad, pad, pad), mode=mode, **({} if fill is None else {"value": fill}))
    dy, dx = (torch.randint(0, 2 * pad + 1, (n,), generator=generator).to(x.device) for _ in range(2))
    rows = (dy[:, None] + torch.arange(h, device=x.device))[:, None, :, None]     # (N, 1, H, 1)
    cols = (dx[:, None] + torch.arange(w, device=x.device))[:, None, None, :]     # (N, 1, 1, W)
    batch = torch.arange(n, device=x.device)[:, None, None, None]
    chan = torch.arange(c, device=x.device)[None, :, None, None]
    return padded[batch, chan, rows, cols]


def random_flip(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Mirror a random half of the images x (N, C, H, W) left-right."""
    flip = (torch.rand(len(x), generator=generator) < 0.5).to(x.device)[:, None, None, None]
    return torch.where(flip, x.flip(3), x)


def random_resized_crop(x: torch.Tensor, size: int, generator: torch.Generator, min_scale: float = 0.35,
                        max_aspect: float = 4 / 3, flip: bool = True) -> torch.Tensor:
    """Per-image random crop (area share in [min_scale, 1], aspect in [1/max_aspect, max_aspect]) resized to size.

    x (N, C, H, W) float -> (N, C, size, size), bilinear through one affine grid for the whole batch; with
    `flip`, half the crops are mirrored. Random numbers come from `generator` (CPU).
    """
    n = len(x)
    area = min_scale + (1 - min_scale) * torch.rand(n, generator=generator)
    log_r = (torch.rand(n, generator=generator) * 2 - 1) * torch.log(torch.tensor(max_aspect))
    sx = torch.sqrt(area * torch.exp(log_r)).clamp(max=1.0)         # crop width / image width
    sy = torch.sqrt(area / torch.exp(log_r)).clamp(max=1.0)
    tx = (torch.rand(n, generator=generator) * 2 - 1) * (1 - sx)      # centre offset keeps the crop inside
    ty = (torch.rand(n, generator=generator) * 2 - 1) * (1 - sy)
    mirror = torch.where(torch.rand(n, generator=generator) < 0.5, -1.0, 1.0) if flip else torch.ones(n)
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0], theta[:, 0, 2], theta[:, 1, 1], theta[:, 1, 2] = sx * mirror, tx, sy, ty
    grid = nn.functional.affine_grid(theta.to(x.device), [n, x.shape[1], size, size], align_corners=False)
    return nn.functional.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


def random_affine(x: torch.Tensor, generator: torch.Generator, degrees: float, scale: float, shift: float,
                  fill: float = 0.0) -> torch.Tensor:
    """Per-image random rotation (+-degrees), zoom (1 +- scale) and translation (+-shift pixels) of x (N, C, H, W).

    One affine grid for the batch (bilinear); uncovered pixels get `fill`. Random numbers come from `generator`.
    """
    n, _, h, w = x.shape
    u = lambda: torch.rand(n, generator=generator) * 2 - 1            # uniform in [-1, 1], (N,)
    angle, zoom = u() * degrees * torch.pi / 180, 1 + u() * scale
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    theta = torch.stack([torch.stack([cos, -sin, u() * 2 * shift / w], 1),
                         torch.stack([sin, cos, u() * 2 * shift / h], 1)], 1)   # (N, 2, 3)
    grid = nn.functional.affine_grid(theta.to(x.device), list(x.shape), align_corners=False)
    out = nn.functional.grid_sample(x - fill, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return out + fill


def stratified_holdout(y: np.ndarray, share: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Indices (fit, hold) with `share` of every class held out (at least one): validation for data without one."""
    hold = np.concatenate([rng.permutation(np.flatnonzero(y == c))[:max(1, round(share * np.sum(y == c)))]
                           for c in np.unique(y)])
    return np.setdiff1d(np.arange(len(y)), hold), np.sort(hold)
