"""The course's data layout (`data/`, `images/`, `weights/` under one root) and the NIST36 files.

NIST36 stores each 32x32 image as a row of 1024 pixels in column-major order, so `row.reshape(32, 32)` is the
image transposed. `rows_to_images` and `images_to_rows` are the one place that knows it.
Loaders return checked arrays; anything wrong is one DataError naming the file and the fix.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from hw5.errors import DataError

LETTERS = [chr(ord("A") + i) for i in range(26)] + [str(d) for d in range(10)]   # NIST36 class order


def nist36_file(split: str) -> str:
    """Where a NIST36 split lives under the data root: "data/nist36_<split>.mat" (train, valid or test)."""
    return f"data/nist36_{split}.mat"


def rows_to_images(rows):
    """(N, 1024) NIST36 rows -> (N, 32, 32) upright images (numpy arrays or torch tensors; a view if possible)."""
    return rows.reshape(-1, 32, 32).swapaxes(1, 2)


def images_to_rows(images: np.ndarray) -> np.ndarray:
    """(N, 32, 32) upright images -> (N, 1024) C-ordered rows in the NIST36 layout (the inverse of rows_to_images)."""
    return np.ascontiguousarray(images.swapaxes(1, 2)).reshape(len(images), images.shape[1] * images.shape[2])


def candidate_roots(cli_value: str | None, project_root: Path) -> list[tuple[str, Path]]:
    """The places searched, in order: --data, $HW5_DATA, ./hw5data, ../shared/hw5data (beside the project)."""
    if cli_value:
        return [("--data", Path(cli_value))]
    if os.environ.get("HW5_DATA"):
        return [("$HW5_DATA", Path(os.environ["HW5_DATA"]))]
    return [("./hw5data", Path.cwd() / "hw5data"), ("./hw5data", project_root / "hw5data"),
            ("../shared/hw5data", project_root.parent / "shared" / "hw5data")]


def resolve_data_root(cli_value: str | None, project_root: Path) -> Path:
    """The first existing candidate root, or a DataError listing where we looked."""
    candidates = candidate_roots(cli_value, project_root)
    for _, path in candidates:
        if path.is_dir():
            return path.resolve()
    looked = ", ".join(f"{how} ({path})" for how, path in candidates)
    raise DataError(f"data root not found; looked at {looked}. Pass --data DIR or set HW5_DATA to a folder "
                    "with the course layout (data/nist36_*.mat, images/*.jpg, weights/)")


@lru_cache(maxsize=6)
def load_nist36(root: Path, split: str, dtype=np.float32) -> tuple[np.ndarray, np.ndarray]:
    """NIST36 split as (x (N, 1024) in [0, 1], NIST36 row layout; y (N, 36) one-hot), float32 for training;
    float64 gives the rows exactly as the .mat file (and the handout's scripts) hold them.

    Read once per process (several parts read the same split) and returned read-only: slice or copy it."""
    from scipy.io import loadmat          # scipy is slow to import; only the parts that need it pay

    path = root / nist36_file(split)
    if not path.is_file():
        raise DataError(f"missing {path}: copy the course's {nist36_file(split)} under the data root {root}")
    try:
        mat = loadmat(path)
        x, y = mat[f"{split}_data"], mat[f"{split}_labels"]
    except Exception as e:                # a truncated or foreign file: name it, say how to fix it
        raise DataError(f"cannot read {path} ({type(e).__name__}: {e}); re-copy the course file") from e
    if x.ndim != 2 or x.shape[1] != 1024 or y.shape != (len(x), 36):
        raise DataError(f"{path}: expected {split}_data (N, 1024) and {split}_labels (N, 36), "
                        f"got {x.shape} and {y.shape}")
    # loadmat gives column-major arrays: row batches from them are ~100x slower, so copy to C order once.
    x, y = np.ascontiguousarray(x, dtype=dtype), np.ascontiguousarray(y, dtype=dtype)
    for name, values in ((f"{split}_data", x), (f"{split}_labels", y)):
        if not np.isfinite(values).all():      # NaN trains and scores without an error: a NaN test set scored 3 %
            raise DataError(f"{path}: {name} holds NaN or infinite values; re-copy the course file")
    x.flags.writeable = y.flags.writeable = False
    return x, y


def seeded_subset(n: int, limit: int, seed: int) -> np.ndarray:
    """Sorted indices of a seeded random subset of `limit` of n items (all n when limit is 0 or >= n): the one
    way to take a smoke slice. Seeded by the run's seed alone, not a part's named stream, so that every part
    slicing a split at a seed gets the same slice (Q6.1's FC and CNN train and score on the same NIST36 images)."""
    if 0 < limit < n:
        return np.sort(np.random.default_rng(seed).permutation(n)[:limit])
    return np.arange(n)


def stratified_holdout(y: np.ndarray, share: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Indices (fit, hold) with `share` of every class held out (at least one): validation for data without one."""
    hold = np.concatenate([rng.permutation(np.flatnonzero(y == c))[:max(1, round(share * np.sum(y == c)))]
                           for c in np.unique(y)])
    return np.setdiff1d(np.arange(len(y)), hold), np.sort(hold)


def describe_source(root: Path | None) -> str:
    """One line for the writeup: where the data came from (the shared data is EMNIST-derived, not NIST36)."""
    if root is None:
        return "no data root (parts that need data were not built)"
    readme = root / "README.md"
    if readme.is_file() and "EMNIST" in readme.read_text(errors="replace"):
        return f"EMNIST-derived NIST36 and the shared course data ({root.name}/)"
    return f"course data folder {root.name}/"
