"""Learning-rate schedules of the Q6 trainings."""
from __future__ import annotations

import torch


def one_cycle(optimizer, peak: float, epochs: int, n: int, batch: int, warmup: float = 0.25):
    """One-cycle rate for a per-batch scheduler over epochs of n examples in batches of `batch`: warm up over
    the first `warmup` share of the steps to `peak`, then anneal (cosine) to ~0 by the last one."""
    steps = max(epochs * -(-n // batch), 8)           # OneCycleLR divides by zero on a few-step (smoke) run
    return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=peak, total_steps=steps, pct_start=warmup)
