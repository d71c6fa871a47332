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
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, device, batch_size: int = 1024,
             transform=None) -> tuple[float, float, np.ndarray]:
    """Mean cross-entropy, accuracy and predicted labels of `model` on (x, y) (y: class indices)."""
    model.eval()
    total, correct, preds = 0.0, 0, []
    for i in range(0, len(x), batch_size):
        xb, yb = x[i:i + batch_size].to(device), y[i:i + batch_size].to(device)
        if transform is not None:
            xb = transform(xb)
        logits = model(xb)
        total += float(nn.functional.cross_entropy(logits, yb, reduction="sum"))
        pred = logits.argmax(1)
        correct += int((pred == yb).sum())
        preds.append(pred.cpu())
    return total / len(x), correct / len(x), torch.cat(preds).numpy()


def fit(model: nn.Module, train: tuple[torch.Tensor, torch.Tensor], valid: tuple[torch.Tensor, torch.Tensor],
        *, epochs: int, batch_size: int, optimizer: torch.optim.Optimizer, device, generator: torch.Generator,
        scheduler=None, step_scheduler_per_batch: bool = False, augment=None, show: bool = False,
        desc: str = "train") -> History:
    """Train with mini-batches reshuffled every epoch; evaluate on `valid` after each epoch.

    augment: an optional function applied to each training batch on the device (random crop, flip).
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
            loss = nn.functional.cross_entropy(logits, yb)
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
