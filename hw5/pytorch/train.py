"""The PyTorch training loop shared by Q6: epochs over in-memory tensors, histories, evaluation, devices.

Data are tensors already in memory (decode once, then batch by indexing); no per-sample Python in the loop.
"""
from __future__ import annotations

import copy
import time

import numpy as np
import torch

from hw5.errors import ConfigError
from hw5.history import History
from hw5.runtime import progress


def pick_device(name: str) -> torch.device:
    """torch.device for --device: cpu, cuda or cuda:N; anything else or an absent GPU is a ConfigError."""
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ConfigError(f"--device {name}: not a torch device; use cpu, cuda or cuda:N") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"--device {name}: no CUDA device is available here; use --device cpu")
    if device.type == "cuda" and (device.index or 0) >= torch.cuda.device_count():
        raise ConfigError(f"--device {name}: this machine has {torch.cuda.device_count()} CUDA device(s)")
    if device.type not in ("cpu", "cuda"):
        raise ConfigError(f"--device {name}: only cpu and cuda devices are supported")
    return device


def seed_everything(seed: int) -> torch.Generator:
    """Seed torch (CPU and CUDA) and return a generator for shuffling."""
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


@torch.no_grad()
def evaluate(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, device,
             batch_size: int = 1024) -> tuple[float, float, np.ndarray]:
    """Mean cross-entropy, accuracy and predicted labels of `model` on (x, y) (y: class indices)."""
    model.eval()
    total, correct, preds = 0.0, 0, []
    for i in range(0, len(x), batch_size):
        xb, yb = x[i:i + batch_size].to(device), y[i:i + batch_size].to(device)
        logits = model(xb)
        total += float(torch.nn.functional.cross_entropy(logits, yb, reduction="sum"))
        pred = logits.argmax(1)
        correct += int((pred == yb).sum())
        preds.append(pred.cpu())
    return total / len(x), correct / len(x), torch.cat(preds).numpy()


def fit(model: torch.nn.Module, train: tuple[torch.Tensor, torch.Tensor], valid: tuple[torch.Tensor, torch.Tensor],
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
            loss = torch.nn.functional.cross_entropy(logits, yb, label_smoothing=label_smoothing)
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


def fit_best(model: torch.nn.Module, train, valid, *, epochs: int, show: bool, desc: str, **kw):
    """`fit` one epoch at a time; returns the model with its best-validation-epoch weights, and the history as a
    dict with that epoch's best_epoch, best_valid_acc and best_train_acc."""
    history, best, state, best_epoch, start = History(), (-1.0, 0.0), None, 0, time.perf_counter()
    for epoch in progress(range(epochs), show, desc):
        h = fit(model, train, valid, epochs=1, **kw)
        for curve in ("train_loss", "train_acc", "valid_loss", "valid_acc"):
            getattr(history, curve).extend(getattr(h, curve))
        history.seconds.append(time.perf_counter() - start)
        if (h.valid_acc[0], -h.valid_loss[0]) > best:     # ties on accuracy: the lower val loss
            best, state, best_epoch = (h.valid_acc[0], -h.valid_loss[0]), copy.deepcopy(model.state_dict()), epoch + 1
    model.load_state_dict(state)
    return model, {**history.as_dict(), "best_epoch": best_epoch, "best_valid_acc": best[0],
                   "best_train_acc": history.train_acc[best_epoch - 1]}


def linear_probe(f_fit, y_fit, f_eval, y_eval, weight_decay: float, steps: int, device) -> tuple[float, np.ndarray]:
    """Softmax regression on standardised features f (N, D), full-batch Adam; accuracy and predictions on eval."""
    mean, std = f_fit.mean(0), f_fit.std(0) + 1e-6
    layer = torch.nn.Linear(f_fit.shape[1], int(y_fit.max()) + 1).to(device)
    opt = torch.optim.Adam(layer.parameters(), lr=1e-2)
    x, y = ((f_fit - mean) / std).to(device), y_fit.to(device)
    for _ in range(steps):
        loss = torch.nn.functional.cross_entropy(layer(x), y) + weight_decay * layer.weight.pow(2).sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    _, acc, pred = evaluate(layer, (f_eval - mean) / std, y_eval, device)
    return acc, pred


def count_parameters(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def nesterov_sgd(model, lr: float, weight_decay: float) -> torch.optim.SGD:
    """SGD with Nesterov momentum 0.9 and L2 weight decay (the CIFAR-10 and SUN trainings)."""
    return torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=weight_decay)

