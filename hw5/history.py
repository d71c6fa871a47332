"""One training run's curves, as every trainer of the library returns them, and the numbers read from them.

Numpy only (the numpy trainers use it without importing torch). A curve a trainer does not measure stays empty
(the autoencoders record only their training loss); a run that diverged keeps None for the epochs it lost.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np


@dataclass
class History:
    """Per-epoch curves of one run; `seconds` is the wall time at the end of each epoch."""

    train_loss: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    valid_loss: list = field(default_factory=list)
    valid_acc: list = field(default_factory=list)
    seconds: list = field(default_factory=list)
    diverged_epoch: int | None = None         # the epoch whose loss or weights stopped being finite

    def as_dict(self) -> dict:
        """Plain JSON: floats, and None where a diverged run has no value."""
        curves = {k: [None if v is None else float(v) for v in vs] for k, vs in asdict(self).items()
                  if k != "diverged_epoch"}
        return {**curves, "diverged_epoch": self.diverged_epoch}


def _finite(values) -> np.ndarray:
    return np.array([v for v in values if v is not None], dtype=float)


def summarise(history: History | dict, flat_fraction: float = 0.05, last: int = 10) -> dict:
    """The numbers the writeup quotes from a run's curves (None for a curve the run did not record):

    final, best and lowest values and their epochs (1-based, first of equals); the training loss's rises from
    one epoch to the next and the largest one; where it flattens: the first epochs within half and within
    `flat_fraction` of its total fall, and its relative drop over its last fifth (`tail_epochs`); the change of
    validation accuracy over the `last` (or fewer) final epochs (`last_n`, `last_gain`).
    """
    h = history.as_dict() if isinstance(history, History) else history
    loss, train_acc, valid_acc, valid_loss = (_finite(h[k]) for k in ("train_loss", "train_acc", "valid_acc",
                                                                       "valid_loss"))
    final = {k: float(v[-1]) if len(v) else None
             for k, v in (("train_loss", loss), ("train_acc", train_acc), ("valid_acc", valid_acc))}
    out = {"history": h, "diverged": h["diverged_epoch"] is not None, "diverged_epoch": h["diverged_epoch"],
           **{f"final_{k}": v for k, v in final.items()},
           "train_seconds": h["seconds"][-1] if h["seconds"] else None,
           "best_valid_acc": None, "best_epoch": None, "lowest_valid_loss": None, "lowest_valid_loss_epoch": None,
           "last_n": 0, "last_gain": None}
    if len(valid_acc):
        best, lowest, n = int(np.argmax(valid_acc)), int(np.argmin(valid_loss)), min(last, len(valid_acc) - 1)
        out.update(best_valid_acc=float(valid_acc[best]), best_epoch=best + 1, last_n=n,
                   lowest_valid_loss=float(valid_loss[lowest]), lowest_valid_loss_epoch=lowest + 1,
                   last_gain=float(valid_acc[-1] - valid_acc[-1 - n]))
    return {**out, **loss_curve(loss, flat_fraction)}


def loss_curve(loss, flat_fraction: float = 0.05) -> dict:
    """How a training-loss curve (epochs,) falls, the part of `summarise` for runs that record only that loss."""
    loss = _finite(loss)
    if not len(loss):
        return {"first_epoch_loss": None, "loss_rises": 0, "max_rise": 0.0, "half_epoch": None, "flat_epoch": None,
                "tail_epochs": 0, "tail_drop": None}
    with np.errstate(divide="ignore", invalid="ignore"):
        above_final = (loss - loss[-1]) / (loss[0] - loss[-1])    # 1 at the start, 0 at the end
    tail = max(1, len(loss) // 5)
    rises = np.diff(loss)
    return {"first_epoch_loss": float(loss[0]), "loss_rises": int(np.sum(rises > 0)),
            "max_rise": float(np.max(rises, initial=0.0)),
            "half_epoch": int(np.argmax(above_final <= 0.5)) + 1,
            "flat_epoch": int(np.argmax(above_final <= flat_fraction)) + 1,
            "tail_epochs": tail,
            "tail_drop": float((loss[-tail - 1] - loss[-1]) / loss[-tail - 1]) if len(loss) > 1 else 0.0}
