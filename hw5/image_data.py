"""Image datasets for Q6: CIFAR-10 pickles, the HW1 SUN scenes, Oxford Flowers-17; decoded once into uint8 arrays.

Loaders return checked arrays; a missing or unreadable file is one DataError naming the path and the fix.
Decoded arrays are memoised per process (`lru_cache`), so a section that needs a dataset twice, or two
sections in one build, pay for the JPEG decoding once. Callers must not mutate what they get back.
"""
from __future__ import annotations

import pickle
from functools import lru_cache
from pathlib import Path

import numpy as np

from hw5.errors import DataError

CIFAR_DIR = "data/cifar-10-batches-py"
SUN_DIR = "data/sun"
FLOWERS_DIR = "data/oxford-flowers17"
SUN_CLASSES = ("aquarium", "desert", "highway", "kitchen", "laundromat", "park", "waterfall", "windmill")


def _unpickle(path: Path) -> dict:
    if not path.is_file():
        raise DataError(f"missing {path}: copy the official CIFAR-10 python batches under {path.parent}")
    try:
        with open(path, "rb") as f:
            return pickle.load(f, encoding="bytes")
    except Exception as e:                 # a truncated or foreign file: name it, say how to fix it
        raise DataError(f"cannot read {path} ({type(e).__name__}: {e}); re-copy the CIFAR-10 batch") from e


def cifar_batches(root: Path) -> list[Path]:
    """Every `data_batch_*` present under root/CIFAR_DIR, sorted (the shared data has 2 of the 5)."""
    files = sorted((root / CIFAR_DIR).glob("data_batch_*"))
    if not files:
        raise DataError(f"no data_batch_* in {root / CIFAR_DIR}: place the CIFAR-10 python batches there")
    return files


@lru_cache(maxsize=4)
def load_cifar(root: Path, split: str) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """CIFAR-10 split ("train": every data_batch_*, "test": test_batch).

    Returns
    -------
    x : (N, 32, 32, 3) uint8, RGB
    y : (N,) int64 class indices
    names : the 10 class names from batches.meta
    """
    files = cifar_batches(root) if split == "train" else [root / CIFAR_DIR / "test_batch"]
    parts = [_unpickle(f) for f in files]
    x = np.concatenate([p[b"data"] for p in parts])                       # (N, 3072): R, G, B planes
    y = np.concatenate([np.asarray(p[b"labels"]) for p in parts]).astype(np.int64)
    if x.ndim != 2 or x.shape[1] != 3072 or len(y) != len(x):
        raise DataError(f"{files[0]}: expected data (N, 3072) and N labels, got {x.shape} and {y.shape}")
    names = tuple(n.decode() for n in _unpickle(root / CIFAR_DIR / "batches.meta")[b"label_names"])
    return x.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy(), y, names   # (N, 32, 32, 3)


def _read_list(path: Path) -> list[str]:
    if not path.is_file():
        raise DataError(f"missing {path}: copy the HW1 SUN subset (with its file lists) under {path.parent}")
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def _decode(path: Path, short_side: int) -> np.ndarray:
    """The one JPEG decoder of the datasets: (H, W, 3) uint8 RGB, short side resized to `short_side`."""
    from PIL import Image                 # Pillow comes with matplotlib; decoding is its job, not skimage's

    try:
        with Image.open(path) as im:
            im = im.convert("RGB")
            w, h = im.size
            scale = short_side / min(w, h)
            size = (max(short_side, round(w * scale)), max(short_side, round(h * scale)))
            return np.asarray(im.resize(size, Image.BILINEAR, reducing_gap=2.0), dtype=np.uint8)
    except OSError as e:
        raise DataError(f"cannot decode {path} ({e}); re-copy that image of the dataset") from e


def _decode_square(path: Path, size: int) -> np.ndarray:
    """One JPEG -> (size, size, 3) uint8: short side resized to `size`, then centre-cropped."""
    im = _decode(path, size)
    top, left = (im.shape[0] - size) // 2, (im.shape[1] - size) // 2
    return im[top:top + size, left:left + size]


def _sun_list(root: Path, split: str, per_class: int) -> tuple[Path, list[str], np.ndarray]:
    """(folder, files, labels (N,) int64) of a SUN split; per_class > 0 keeps the first per_class of each class."""
    folder = root / SUN_DIR
    files, labels = _read_list(folder / f"{split}_files.txt"), _read_list(folder / f"{split}_labels.txt")
    if len(files) != len(labels):
        raise DataError(f"{folder}: {split}_files.txt has {len(files)} lines but {split}_labels.txt {len(labels)}")
    y = np.array([int(v) for v in labels], dtype=np.int64)
    if y.min() < 0 or y.max() >= len(SUN_CLASSES):
        raise DataError(f"{folder / f'{split}_labels.txt'}: labels must be 0..{len(SUN_CLASSES) - 1}")
    if per_class:
        keep = np.concatenate([np.flatnonzero(y == c)[:per_class] for c in np.unique(y)])
        files, y = [files[i] for i in keep], y[keep]
    return folder, files, y


def sun_labels(root: Path, split: str, per_class: int = 0) -> np.ndarray:
    """(N,) int64 labels of a SUN split from its file list, without decoding any image."""
    return _sun_list(root, split, per_class)[2]


@lru_cache(maxsize=8)
def load_sun(root: Path, split: str, size: int, per_class: int = 0) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """The HW1 SUN subset, split "train" (1177 images) or "test" (400), as square centre crops.

    Each image's short side is resized to `size` (bilinear, antialiased) and the centre size x size kept.
    per_class > 0 decodes only the first per_class images of each class (smoke runs, tests).

    Returns
    -------
    x : (N, size, size, 3) uint8, RGB, in the order of <split>_files.txt
    y : (N,) int64 labels, 0..7 from <split>_labels.txt
    names : the 8 class names, index = label
    """
    folder, files, y = _sun_list(root, split, per_class)
    x = np.stack([_decode_square(folder / f, size) for f in files])         # (N, size, size, 3)
    return x, y, SUN_CLASSES


@lru_cache(maxsize=8)
def load_flowers(root: Path, split: str, size: int, per_class: int = 0) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Oxford Flowers-17 split ("train", "val" or "test") from <split>/<class>/*.jpg, as square centre crops;
    per_class > 0 decodes only the first per_class images of each class.

    Returns x (N, size, size, 3) uint8 RGB, y (N,) int64 (index into the sorted class folder names), names.
    """
    folder = root / FLOWERS_DIR / split
    names = tuple(sorted(p.name for p in folder.iterdir() if p.is_dir())) if folder.is_dir() else ()
    if not names:
        raise DataError(f"no class folders in {folder}: place Flowers-17 as {FLOWERS_DIR}/{split}/<class>/*.jpg")
    files = [(c, f) for c, name in enumerate(names)
             for f in sorted((folder / name).glob("*.jpg"))[:per_class or None]]
    x = np.stack([_decode_square(f, size) for _, f in files])             # (N, size, size, 3)
    return x, np.array([c for c, _ in files], dtype=np.int64), names


@lru_cache(maxsize=4)
def load_sun_whole(root: Path, split: str, short_side: int, per_class: int = 0) -> tuple[list[np.ndarray], np.ndarray]:
    """SUN images for the HW1 bag-of-words pipeline: whole images (no crop), short side resized.

    Returns a list of (H_i, W_i, 3) float32 RGB arrays in [0, 1] (sizes differ) and the (N,) int64 labels.
    """
    folder, files, y = _sun_list(root, split, per_class)
    return [_decode(folder / f, short_side).astype(np.float32) / 255.0 for f in files], y
