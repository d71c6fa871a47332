"""Synthetic pages written with NIST36 glyphs: what the OCR is tested on, and how Q4 shows its assumptions.

Glyph images are upright, ink 0 on white 1, of any size; a page is an RGB uint8 array.
"""
from __future__ import annotations

import numpy as np
from skimage import transform

from hw5.data import LETTERS, rows_to_images


def glyph_image(row: np.ndarray, height: int) -> np.ndarray:
    """A NIST36 row (1024,) as an upright glyph, tight-cropped and resized to `height` px (ink 0, white 1)."""
    img = rows_to_images(row)[0]
    rows, cols = np.nonzero(img < 0.5)
    img = img[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    f = height / img.shape[0]
    return transform.resize(img, (height, max(2, round(img.shape[1] * f))), order=1, anti_aliasing=f < 1)


def compose_page(lines: list[list[np.ndarray | None]], rng: np.random.Generator, *, gap=0.3, space=1.3,
                 jitter=0.06, noise=0.02, shade=0.25, margin=60) -> np.ndarray:
    """An RGB uint8 page of glyph images (ink 0 on white 1, any size; None = a space) written line by line.

    Letters are `gap` x their height apart, spaces `space` x; baselines jitter by `jitter` x height; the
    paper darkens by `shade` from left to right and carries Gaussian noise of std `noise`.
    """
    heights = [g.shape[0] for line in lines for g in line if g is not None]
    h = max(heights) if heights else 40
    width = 2 * margin + max((sum(int((g.shape[1] if g is not None else space * h) + gap * h) for g in line)
                              for line in lines), default=0)
    page = np.ones((2 * margin + h + int(1.8 * h) * (len(lines) - 1), width))
    for i, line in enumerate(lines):
        left, base = margin, margin + int(1.8 * h * i) + h
        for g in line:
            if g is None:
                left += int(space * h)
                continue
            top = base - g.shape[0] + int(rng.uniform(-jitter, jitter) * g.shape[0])
            region = page[top:top + g.shape[0], left:left + g.shape[1]]
            np.minimum(region, g, out=region)
            left += g.shape[1] + int(gap * g.shape[0])
    page *= 1.0 - shade * np.linspace(0, 1, page.shape[1])[None, :]
    page = np.clip(page + rng.normal(0, noise, page.shape), 0, 1)
    return (np.stack([page * 0.95, page * 0.93, page * 0.88], axis=-1) * 255).astype(np.uint8)


def typical(x: np.ndarray, y: np.ndarray, char: str) -> np.ndarray:
    """The glyph (1024,) of class `char` in (x (N, 1024), y (N, 36)) closest to its class's mean image."""
    members = x[y.argmax(1) == LETTERS.index(char)]
    return members[np.argmin(((members - members.mean(0)) ** 2).sum(1))]


def class_glyphs(x: np.ndarray, y: np.ndarray, text: str, height: int) -> list[list[np.ndarray | None]]:
    """One line per text line: each character's most typical glyph in (x, y), `height` px; spaces are None."""
    return [[None if c == " " else glyph_image(typical(x, y, c), height) for c in line] for line in text.split("\n")]


def join(a: np.ndarray, b: np.ndarray, overlap: int) -> np.ndarray:
    """Glyphs a and b (ink 0 on white 1) on one baseline, b shifted `overlap` px into a: they touch."""
    out = np.ones((max(a.shape[0], b.shape[0]), a.shape[1] + b.shape[1] - overlap))
    out[out.shape[0] - a.shape[0]:, :a.shape[1]] = a
    region = out[out.shape[0] - b.shape[0]:, a.shape[1] - overlap:]
    np.minimum(region, b, out=region)
    return out
