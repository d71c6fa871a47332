"""Where the data lives and how to read it (the course's `data/` and `images/` layout).

Loaders return checked arrays; anything wrong is one DataError naming the file and the fix.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from reportkit.errors import DataError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LETTERS = [chr(ord("A") + i) for i in range(26)] + [str(d) for d in range(10)]   # NIST36 class order


def candidate_roots(cli_value: str | None) -> list[tuple[str, Path]]:
    """The places searched, in order: --data, $HW5_DATA, ./hw5data, ../shared/hw5data."""
    if cli_value:
        return [("--data", Path(cli_value))]
    if os.environ.get("HW5_DATA"):
        return [("$HW5_DATA", Path(os.environ["HW5_DATA"]))]
    return [("./hw5data", Path.cwd() / "hw5data"), ("./hw5data", PROJECT_ROOT / "hw5data"),
            ("../shared/hw5data", PROJECT_ROOT.parent / "shared" / "hw5data")]


def resolve_data_root(cli_value: str | None) -> Path:
    """The first existing candidate root, or a DataError listing where we looked."""
    candidates = candidate_roots(cli_value)
    for _, path in candidates:
        if path.is_dir():
            return path.resolve()
    looked = ", ".join(f"{how} ({path})" for how, path in candidates)
    raise DataError(f"data root not found; looked at {looked}. Pass --data DIR or set HW5_DATA to a folder "
                    "with the course layout (data/nist36_*.mat, images/*.jpg, weights/)")


def load_nist36(root: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """NIST36 split as (x (N, 1024) float32 in [0, 1], transposed layout; y (N, 36) float32 one-hot)."""
    from scipy.io import loadmat          # scipy is slow to import; only the sections that need it pay

    path = root / "data" / f"nist36_{split}.mat"
    if not path.is_file():
        raise DataError(f"missing {path}: copy the course's data/nist36_{split}.mat under the data root {root}")
    try:
        mat = loadmat(path)
        x, y = mat[f"{split}_data"], mat[f"{split}_labels"]
    except Exception as e:                # a truncated or foreign file: name it, say how to fix it
        raise DataError(f"cannot read {path} ({type(e).__name__}: {e}); re-copy the course file") from e
    if x.ndim != 2 or x.shape[1] != 1024 or y.shape != (len(x), 36):
        raise DataError(f"{path}: expected {split}_data (N, 1024) and {split}_labels (N, 36), "
                        f"got {x.shape} and {y.shape}")
    # loadmat gives column-major arrays: row batches from them are ~100x slower, so copy to C order once.
    return np.ascontiguousarray(x, dtype=np.float32), np.ascontiguousarray(y, dtype=np.float32)


def describe_source(root: Path | None) -> str:
    """One line for the writeup: where the data came from (the shared data is EMNIST-derived, not NIST36)."""
    if root is None:
        return "no data root (sections that need data were not built)"
    readme = root / "README.md"
    if readme.is_file() and "EMNIST" in readme.read_text(errors="replace"):
        return f"EMNIST-derived NIST36 and the shared course data ({root.name}/)"
    return f"course data folder {root.name}/"
