"""Glyph masks -> classifier rows: each glyph redrawn like a NIST36 training image (size, stroke, centring)."""
from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi
from skimage import filters, measure, morphology, transform

from hw5.data import images_to_rows
from hw5.ocr.detect import Layout, OcrConfig


def render_glyph(mask: np.ndarray, *, glyph: float, stroke: float, size: int = 32, supersample: int = 4):
    """Redraw a glyph like a NIST36 training image: (size, size) float, ink 0 on white 1, upright.

    The skeleton of mask (H, W), bool, is scaled so that, drawn with a round pen `stroke` pixels wide, the
    glyph's longer side is `glyph` pixels; it is centred by its box (as EMNIST centres its glyphs) on a
    supersampled canvas and box-averaged down, which gives the soft edges of the training images.
    """
    big = size * supersample
    # thin at one scale, on smoothed edges: ragged or blocky outlines would give the skeleton spurs
    f = big / max(mask.shape)
    shape = (max(1, round(mask.shape[0] * f)), max(1, round(mask.shape[1] * f)))
    soft = np.pad(transform.resize(mask.astype(float), shape, order=1, anti_aliasing=f < 1), supersample)
    width = 2 * soft.sum() / max(measure.perimeter(soft >= 0.5), 1)       # stroke width, as in components()
    mask = filters.gaussian(soft, sigma=width / 4) >= 0.5                 # keeps a stroke's core above 0.5
    rows, cols = np.nonzero(morphology.skeletonize(mask))
    if len(rows) == 0:
        return np.ones((size, size))
    f = max(glyph - stroke, 1) * supersample / max(np.ptp(rows), np.ptp(cols), 1)
    r = np.round((rows - (rows.min() + rows.max()) / 2) * f + (big - 1) / 2).astype(int)
    c = np.round((cols - (cols.min() + cols.max()) / 2) * f + (big - 1) / 2).astype(int)
    canvas = np.ones((big, big), bool)
    inside = (r >= 0) & (r < big) & (c >= 0) & (c < big)
    canvas[r[inside], c[inside]] = False
    ink = ndi.distance_transform_edt(canvas) <= stroke * supersample / 2     # the pen
    return 1.0 - ink.reshape(size, supersample, size, supersample).mean(axis=(1, 3))


def glyph_stats(images: np.ndarray) -> tuple[float, float]:
    """Median longer side of the ink box and median stroke width (ink area / skeleton length), in pixels,
    of upright glyph images (N, S, S) with ink 0 on white 1: what render_glyph should reproduce. NaN without ink."""
    sides, strokes = [], []
    for img in images:
        ink = img < 0.5
        rows, cols = np.nonzero(ink)
        if len(rows):
            sides.append(max(np.ptp(rows), np.ptp(cols)) + 1)
            strokes.append(ink.sum() / max(morphology.skeletonize(ink).sum(), 1))
    if not sides:
        return float("nan"), float("nan")          # no ink anywhere: nothing to measure
    return float(np.median(sides)), float(np.median(strokes))


def glyph_rows(layout: Layout, *, cfg: OcrConfig = OcrConfig()) -> np.ndarray:
    """(G, 1024) classifier input, one row per glyph of layout, in NIST36's transposed layout."""
    crops = []
    for labels, (r0, c0, r1, c1) in zip(layout.glyphs, layout.boxes):
        mask = np.isin(layout.labels[r0:r1, c0:c1], labels)
        crops.append(render_glyph(mask, glyph=cfg.glyph, stroke=cfg.stroke))
    return images_to_rows(np.array(crops).reshape(-1, 32, 32))

