"""The trained networks the OCR reads pages with, loaded from the files their training parts saved."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

KINDS = ("mlp", "cnn")        # the Q3 numpy network (.npz), the Q6.1 NIST36 CNN (torch checkpoint)


def load_classifier(kind: str, path: Path) -> Callable[[np.ndarray], np.ndarray]:
    """rows (N, 1024) of .mat-layout glyphs -> class probabilities (N, 36). Raises ValueError naming the file
    when it is not a network of that kind (truncated, another format, missing arrays)."""
    try:
        if kind == "mlp":
            from hw5 import mlp

            with np.load(path) as weights:
                return mlp.classifier(dict(weights))
        if kind == "cnn":
            from hw5.pytorch.models import load_nist36_cnn

            return load_nist36_cnn(path)
    except (OSError, KeyError, ValueError, RuntimeError) as e:
        raise ValueError(f"cannot load the {kind} weights {path} ({type(e).__name__}: {e})") from e
    raise ValueError(f"unknown OCR network {kind!r}; known: {', '.join(KINDS)}")
